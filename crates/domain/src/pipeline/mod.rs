//! The sales pipeline's rules: stages and their kinds, a pipeline's shape, the default
//! pipeline of a new tenant, money amounts, and the order of cards within a stage.

pub mod defaults;
pub mod money;
pub mod rank;
pub mod stage;

pub use defaults::{default_pipeline_name, default_stages};
pub use money::parse_amount;
pub use rank::{RANK_STEP, rank_between};
pub use stage::{StageKind, StageSpec, check_stages};
