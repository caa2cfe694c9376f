//! Communications (issue 15): messages to and from a client on e-mail, WhatsApp, SMS and the
//! phone. A message to send is committed `queued` with its delivery job (`flows::send`); the
//! worker hands it to the channel's provider (`delivery`); the provider's reports and the
//! client's answers come back through webhooks. Templates with `{{variables}}`
//! (`templates`, rendered by `domain::templates`) and each tenant's channel settings
//! (`channels`, secrets sealed with the tenant's data key) complete it.
//!
//! Every write records its change (audit row, timeline event on the client's timeline, live
//! notice).

pub mod channels;
pub mod delivery;
pub(crate) mod demo;
mod flows;
pub mod inbound;
mod input;
pub mod kpis;
mod list;
mod output;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod send_window;
pub mod templates;
pub mod tracking;
mod values;

pub use flows::{
    ATTACHMENT_BYTES, Attachment, MAX_ATTACHMENTS, get, mark_seen, send, send_at,
    send_with_attachments,
};
pub use input::{BODY_CHARS, NewMessage, SUBJECT_CHARS};
pub use list::{CommunicationFilter, CommunicationQuery, list, list_of_client};
pub use output::{CommunicationOut, communication_out};
pub use values::values_for;
