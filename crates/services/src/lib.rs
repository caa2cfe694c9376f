//! Application services: the write flows shared by the API and the background jobs, above the
//! repositories and below both.

pub mod clients;
pub mod import;
pub mod jobs;
pub mod live;

/// One invalid field: a JSON pointer into the input and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub detail: String,
}

impl Problem {
    pub fn at(pointer: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            detail: detail.into(),
        }
    }
}

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input: {0:?}")]
    Invalid(Vec<Problem>),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Crypto(#[from] db::crypto::CryptoError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}
