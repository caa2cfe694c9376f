//! Who is calling (tokens, API keys, passwords) and what they may do (casbin).

pub mod authz;
pub mod ctx;
pub mod password;
pub mod principal;
pub mod secrets;
pub mod sessions;
pub mod tokens;

pub use ctx::Ctx;
pub use principal::Principal;
