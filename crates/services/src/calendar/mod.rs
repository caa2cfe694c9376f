//! The calendar (issue 18): activities for clients (`activity`: input and output; `rules`: the
//! rules their details keep; `flows`: plan, read, change, delete; `reschedule`: move to another
//! slot) and windows of the calendar
//! with recurring activities expanded (`window`); reminders (`reminders`: planned on every
//! write, sent by the worker's pass; `preferences`: each user's default reminders); each
//! user's connected calendars (`providers`: the platform's registrations; `connections`:
//! connect, list with their health, disconnect) and the two-way sync with them (`sync`).
//!
//! Every write records its change (audit row, timeline event on the client's timeline, live
//! notice) in the same transaction.

mod activity;
pub mod connections;
pub mod feed;
mod flows;
mod preferences;
pub mod providers;
pub mod reminders;
mod reschedule;
mod rules;
pub mod sync;
mod window;

pub use activity::{
    ActivityOut, ActivityPatch, MAX_ASSIGNEES, NewActivity, TITLE_CHARS, activity_out,
};
pub use flows::{create, delete, get, update};
pub use preferences::{CalendarSettingsChange, CalendarSettingsOut, change_settings, settings};
pub use reschedule::{Slot, reschedule};
pub use window::{CalendarWindowOut, MAX_WINDOW_DAYS, OccurrenceOut, WindowQuery, window};
