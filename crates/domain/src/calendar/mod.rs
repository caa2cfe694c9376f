//! The calendar's activities: what kind each is, where it stands, and when a recurring one
//! occurs, and when its reminders come due.

mod activity;
pub mod ical;
mod recurrence;
pub mod reminders;

pub use activity::{ActivityKind, ActivityStatus};
pub use recurrence::{MAX_OCCURRENCES, Occurrence, Recurrence, YEARS, in_calendar_years};
