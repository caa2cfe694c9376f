//! The one shared state of the API.

use std::ops::Deref;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use crate::auth::authz::Authorizer;
use crate::auth::tokens::TokenKeys;
use crate::config::ApiConfig;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::redis::Redis;

pub struct Inner {
    pub config: ApiConfig,
    pub db: db::PgPool,
    pub redis: Redis,
    pub tokens: TokenKeys,
    pub authz: Authorizer,
    pub metrics: Metrics,
    pub limiter: RateLimiter,
    /// Master keys of the column encryption.
    pub master_keys: db::crypto::MasterKeys,
    /// Tenants' unwrapped data keys, kept for a minute.
    pub ciphers: db::crypto::CipherCache,
    /// Set at SIGTERM: readiness answers 503 while in-flight requests finish.
    pub draining: AtomicBool,
    /// Live updates of this process: the SSE connections' hub and its Redis relay.
    pub live: crate::live::Hub,
    /// The OpenAPI document, generated from the routes when the router is built.
    pub openapi_json: OnceLock<String>,
    /// Calls the calendar providers' token endpoints (connect, disconnect).
    pub oauth: integrations::oauth::OAuthClient,
}

/// Cheap to clone; every handler gets it.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
