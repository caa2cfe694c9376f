//! Commercial proposals' rules: line items and their exact totals (`lines`), and the life of a
//! proposal (`status`).

pub mod lines;
pub mod status;

pub use lines::{Line, LineInput, LineProblem, TaxBreakdown, Totals, line, totals};
pub use status::ProposalStatus;
