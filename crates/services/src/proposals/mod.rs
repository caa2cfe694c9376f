//! Commercial proposals (issue 16, second half): versioned templates (`templates`, their
//! content rules in `content`), proposals with line items and exact totals (`proposal`,
//! `draft`, `flows`), written out as HTML and PDF (`render`, `pdf`, `labels`), sent by e-mail
//! with their PDF (`sending`), answered by the client through a signed public link (`link`,
//! `decisions`), expired and reminded about by the worker (`expiry`), and their figures
//! (`kpis`).
//!
//! Every write records its change (audit row, timeline event on the client's timeline, live
//! notice) in the same transaction.

pub mod content;
pub mod decisions;
mod documents;
mod draft;
pub mod expiry;
mod flows;
pub mod kpis;
mod labels;
pub mod link;
pub mod pdf;
mod proposal;
mod queries;
pub mod render;
pub mod sending;
pub mod templates;

pub use documents::{html, pdf_of, public_link};
pub use flows::{create, delete, get, revise, update};
pub use proposal::{
    ItemInput, ItemOut, MAX_ITEMS, NewProposal, ProposalOut, ProposalPatch, TITLE_CHARS, TaxOut,
};
pub use queries::{ProposalKey, ProposalQuery, list, pending};
pub use sending::{SendInput, send};
