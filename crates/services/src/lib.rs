//! The application layer: every write flow and every non-trivial read of the CRM, above the
//! repositories (`db`) and below everything that calls them (the API, the worker, the CLI,
//! the tests). A service function takes the caller's [`Scope`] and typed input, and returns
//! typed output or the one [`Error`]; it knows nothing of HTTP or of the job queue's tables.

pub mod access;
pub mod api_keys;
pub mod audit;
pub mod calendar;
pub mod clients;
pub mod clock;
pub mod communications;
pub mod contacts;
pub mod custom_fields;
pub mod demo_data;
pub mod error;
pub mod import;
pub mod jobs;
pub mod kpis;
pub mod live;
pub mod merges;
pub mod number;
pub mod page;
pub mod patch;
pub mod pipeline;
pub mod platform_mail;
pub mod proposals;
pub mod query;
pub mod record;
pub mod roles;
pub mod scope;
pub mod signed_link;
pub mod sla_escalation;
pub mod tenants;
pub mod text;
pub mod tickets;
pub mod tickets_kpis;
pub mod timeline;
pub mod users;

pub use error::{Error, InvalidField, Result};
pub use page::{Page, PageRequest};
pub use record::Change;
pub use scope::{AfterCommit, Scope};

/// A resource with the version its `ETag` is made of.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i32,
}

/// The versions a change may apply to (the API's `If-Match`): any, or one of these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Expected {
    #[default]
    Any,
    OneOf(Vec<i32>),
}

impl Expected {
    /// Fails with [`Error::Stale`] unless `current` is expected.
    pub fn check(&self, current: i32) -> Result<()> {
        match self {
            Self::OneOf(versions) if !versions.contains(&current) => Err(Error::Stale),
            _ => Ok(()),
        }
    }
}
