//! Commercial proposals' rules: line items and their exact totals (`lines`), the life of a
//! proposal (`status`) and its template's typed variables (`variables`).

pub mod lines;
pub mod status;
pub mod variables;

pub use lines::{
    Line, LineInput, LineProblem, TaxBreakdown, Totals, line, overall_discount, totals,
};
pub use status::ProposalStatus;
pub use variables::{Declared, VariableType};
