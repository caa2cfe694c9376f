//! The sales pipeline (issue 16): pipelines with ordered stages (`pipelines`), opportunities
//! (`opportunity`: input and output; `flows`: open, read, change, delete), the drag and drop
//! (`moves`), the kanban in one call (`board`), the figures (`metrics`) and the list and query
//! parameters (`queries`).
//!
//! Every write records its change (audit row, timeline event on the client's timeline, live
//! notice) in the same transaction.

pub mod board;
mod flows;
pub mod metrics;
pub mod moves;
mod opportunity;
pub mod pipelines;
mod queries;

pub use board::{BoardOut, BoardQuery, BoardStage, Card, MoneyTotal, board};
pub use flows::{create, delete, get, update};
pub use metrics::{MetricsOut, metrics};
pub use moves::{MoveInput, move_opportunity};
pub use opportunity::{
    LOST_REASON_CHARS, NewOpportunity, OpportunityOut, OpportunityPatch, TITLE_CHARS,
};
pub use pipelines::{PipelineInput, PipelineOut, StageInput, StageOut};
pub use queries::{BoardParams, OpportunityKey, OpportunityQuery, PeriodParams, list};
