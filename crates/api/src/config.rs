//! Settings of the API process (parsed from the environment by the `crm` binary).

use std::path::PathBuf;
use std::time::Duration;

use domain::Secret;

/// Everything `crm serve` needs to know.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub database_url: Secret,
    pub database_max_connections: u32,
    pub redis_url: Secret,
    /// PEM (PKCS#8) Ed25519 key that signs access tokens.
    pub jwt_private_key_pem: Secret,
    /// PEM public keys of earlier signing keys, still accepted and published in the JWKS.
    pub jwt_previous_public_keys_pem: Vec<String>,
    /// `id:base64[,id:base64...]`: master keys wrapping each tenant's data keys, current first.
    pub master_keys: Secret,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Sign-in attempts allowed per minute per tenant and e-mail, and per client IP.
    pub login_per_account_per_minute: u32,
    pub login_per_ip_per_minute: u32,
    pub max_body_bytes: usize,
    /// How long any one database statement of the process may run, and wait for a lock
    /// (Postgres `statement_timeout`, `lock_timeout`); a request whose statement is cancelled
    /// answers 503 `timeout`.
    pub statement_timeout: Duration,
    pub shutdown_grace: Duration,
    /// After SIGTERM, how long to keep accepting requests with readiness at 503, so load
    /// balancers stop sending traffic before the listener closes (at most half the grace).
    pub shutdown_delay: Duration,
    /// How often each process reloads authorization policies even without a Redis message.
    pub authz_reload_every: Duration,
    /// Where the built browser assets are (`scripts/assets.sh` writes them).
    pub assets_dir: PathBuf,
    /// Trust `X-Forwarded-For` from the load balancer for the client IP.
    pub trust_forwarded_for: bool,
    /// The web console's cookies carry `Secure` (off only for development on plain HTTP).
    pub secure_cookies: bool,
    /// The address clients and providers reach the API at (`CRM_PUBLIC_URL`), such as
    /// `https://crm.example.com`: the URL Twilio signs its webhooks with. None: the request's
    /// `Host` over plain HTTP (local use).
    pub public_url: Option<String>,
    /// The calendar providers users may connect (`CRM_GOOGLE_*`, `CRM_MICROSOFT_*`).
    pub calendar_providers: services::calendar::providers::CalendarProviders,
}

impl ApiConfig {
    /// Defaults for everything but the connections and the signing key.
    pub fn new(database_url: Secret, redis_url: Secret, jwt_private_key_pem: Secret) -> Self {
        Self {
            database_url,
            database_max_connections: 20,
            redis_url,
            jwt_private_key_pem,
            jwt_previous_public_keys_pem: Vec::new(),
            master_keys: Secret::new(db::crypto::MasterKeys::generate_spec("dev")),
            jwt_issuer: "crm".to_owned(),
            jwt_audience: "crm-api".to_owned(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            login_per_account_per_minute: 10,
            login_per_ip_per_minute: 60,
            max_body_bytes: 1024 * 1024,
            statement_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            shutdown_delay: Duration::from_secs(5),
            authz_reload_every: Duration::from_secs(30),
            assets_dir: PathBuf::from("assets/dist"),
            trust_forwarded_for: false,
            secure_cookies: true,
            public_url: None,
            calendar_providers: Default::default(),
        }
    }
}
