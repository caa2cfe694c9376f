//! Support tickets with SLAs measured in business time (issue 17): business calendars
//! (`calendars`), categories with their SLA and escalation policy (`categories`), the flows of
//! one ticket (`flows`: open, read, change with pauses of the SLA clock), its thread of replies,
//! notes and customer messages (`comments`), the queue (`list`), and the SLA itself (`sla`:
//! the view at a moment, the due times kept on the ticket for the escalation pass).
//!
//! Every write records its change (audit row, timeline event on the client's timeline, live
//! notice) and keeps `tickets.next_due_at` / `next_warn_at` true in the same transaction.

pub mod calendars;
pub mod categories;
pub mod comments;
mod flows;
mod input;
mod list;
mod output;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod sla;

pub use calendars::{CalendarInput, CalendarOut};
pub use categories::{CategoryInput, CategoryOut};
pub use flows::{create, get, get_at, update};
pub use input::{
    BODY_CHARS, CommentInput, NewTicket, REASON_CHARS, TEAM_CHARS, TITLE_CHARS, TicketPatch,
};
pub use list::{TicketFilter, TicketKey, TicketQuery, list, list_of_client};
pub use output::{CommentOut, PauseOut, TicketOut, ticket_out};
pub use sla::{AT_RISK_PROBABILITY, DueTimes, Policy, TargetOut, TicketSla};
