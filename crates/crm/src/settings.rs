//! Settings from the environment, validated at start with a message naming the bad setting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use api::ApiConfig;
use domain::Secret;
use services::calendar::providers::{CalendarProviders, Registration};
use worker::WorkerConfig;

/// The development master key: the bytes of `dev-only-master-key-not-secret!!`, public on
/// purpose (dev data only).
const DEV_MASTER_KEYS: &str = "dev:ZGV2LW9ubHktbWFzdGVyLWtleS1ub3Qtc2VjcmV0ISE=";

/// A setting that is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {reason}")]
pub struct SettingError {
    pub name: &'static str,
    pub reason: String,
}

/// Everything the binary reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Secret,
    /// The schema owner's connection, for `crm migrate` (defaults to `DATABASE_URL`).
    pub migrate_database_url: Secret,
    pub http_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub worker_metrics_addr: SocketAddr,
    pub dev: bool,
    pub log_format: LogFormat,
    pub api: ApiConfig,
    pub worker: WorkerConfig,
    /// True when no signing key was configured and one was generated (dev mode only).
    pub jwt_key_generated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Reads variables through a function, so tests can pass a map.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
        what: &str,
    ) -> Result<T, SettingError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e| SettingError {
                name,
                reason: format!("expected {what}, got '{raw}' ({e})"),
            }),
        }
    }

    fn secs(&self, name: &'static str, default: u64) -> Result<Duration, SettingError> {
        let n: u64 = self.parse(name, default, "a whole number of seconds")?;
        if n == 0 {
            return Err(SettingError {
                name,
                reason: "must be greater than 0".into(),
            });
        }
        Ok(Duration::from_secs(n))
    }

    fn flag(&self, name: &'static str) -> Result<bool, SettingError> {
        match self
            .get(name)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("0" | "false" | "no" | "off") => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some(other) => Err(SettingError {
                name,
                reason: format!("expected true or false, got '{other}'"),
            }),
        }
    }
}

/// The platform's SMTP server for invitations and password resets: `CRM_SMTP_HOST` (none:
/// no platform mail), `CRM_SMTP_PORT` (587), `CRM_SMTP_SECURITY` (`starttls`, `tls` or
/// `none`), `CRM_SMTP_USERNAME`, `CRM_SMTP_PASSWORD`, `CRM_MAIL_FROM` (required with a host),
/// `CRM_MAIL_FROM_NAME`.
fn platform_smtp<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<integrations::mail::SmtpSettings>, SettingError> {
    use integrations::mail::SmtpSecurity;
    let Some(host) = env.get("CRM_SMTP_HOST") else {
        return Ok(None);
    };
    let security = match env.get("CRM_SMTP_SECURITY").as_deref() {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            return Err(SettingError {
                name: "CRM_SMTP_SECURITY",
                reason: format!("expected starttls, tls or none, got '{other}'"),
            });
        }
    };
    let from_address = env.get("CRM_MAIL_FROM").ok_or(SettingError {
        name: "CRM_MAIL_FROM",
        reason: "must be set when CRM_SMTP_HOST is".into(),
    })?;
    Ok(Some(integrations::mail::SmtpSettings {
        host,
        port: env.parse("CRM_SMTP_PORT", 587, "a port number")?,
        security,
        username: env.get("CRM_SMTP_USERNAME"),
        password: env.get("CRM_SMTP_PASSWORD"),
        from_address,
        from_name: env.get("CRM_MAIL_FROM_NAME"),
        timeout: std::time::Duration::from_secs(30),
    }))
}

fn url(name: &'static str, value: String, schemes: &[&str]) -> Result<Secret, SettingError> {
    if schemes
        .iter()
        .any(|s| value.starts_with(&format!("{s}://")))
    {
        Ok(Secret::new(value))
    } else {
        Err(SettingError {
            name,
            reason: format!("must be a URL starting with {}://", schemes.join(":// or ")),
        })
    }
}

/// The calendar providers users may connect: `CRM_GOOGLE_CLIENT_ID` with
/// `CRM_GOOGLE_CLIENT_SECRET` registers Google (`CRM_GOOGLE_AUTHORIZE_URL`,
/// `CRM_GOOGLE_TOKEN_URL`, `CRM_GOOGLE_REVOKE_URL` and `CRM_GOOGLE_CALENDAR_BASE_URL` move its
/// endpoints, for a local fake); `CRM_MICROSOFT_CLIENT_ID` with `CRM_MICROSOFT_CLIENT_SECRET`
/// registers Outlook (`CRM_MICROSOFT_AUTHORIZE_URL`, `CRM_MICROSOFT_TOKEN_URL`,
/// `CRM_MICROSOFT_GRAPH_BASE_URL`).
fn calendar_providers<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<CalendarProviders, SettingError> {
    let registration = |prefix: &'static [&'static str; 6],
                        make: fn(String, String) -> Registration|
     -> Result<Option<Registration>, SettingError> {
        let [id_name, secret_name, authorize, token, revoke, api] = *prefix;
        let Some(id) = env.get(id_name) else {
            return Ok(None);
        };
        let secret = env.get(secret_name).ok_or(SettingError {
            name: secret_name,
            reason: format!("must be set when {id_name} is"),
        })?;
        let mut reg = make(id, secret);
        let web = &["https", "http"];
        if let Some(v) = env.get(authorize) {
            reg.oauth.authorize_url = url(authorize, v, web)?.expose().to_owned();
        }
        if let Some(v) = env.get(token) {
            reg.oauth.token_url = url(token, v, web)?.expose().to_owned();
        }
        if let Some(v) = env.get(revoke) {
            reg.oauth.revoke_url = Some(url(revoke, v, web)?.expose().to_owned());
        }
        if let Some(v) = env.get(api) {
            reg.api_base_url = url(api, v, web)?.expose().to_owned();
        }
        Ok(Some(reg))
    };
    Ok(CalendarProviders {
        google: registration(
            &[
                "CRM_GOOGLE_CLIENT_ID",
                "CRM_GOOGLE_CLIENT_SECRET",
                "CRM_GOOGLE_AUTHORIZE_URL",
                "CRM_GOOGLE_TOKEN_URL",
                "CRM_GOOGLE_REVOKE_URL",
                "CRM_GOOGLE_CALENDAR_BASE_URL",
            ],
            Registration::google,
        )?,
        microsoft: registration(
            &[
                "CRM_MICROSOFT_CLIENT_ID",
                "CRM_MICROSOFT_CLIENT_SECRET",
                "CRM_MICROSOFT_AUTHORIZE_URL",
                "CRM_MICROSOFT_TOKEN_URL",
                "CRM_MICROSOFT_REVOKE_URL",
                "CRM_MICROSOFT_GRAPH_BASE_URL",
            ],
            Registration::microsoft,
        )?,
        notices_base: None,
    })
}

impl Settings {
    pub fn from_env(dev: bool) -> Result<Self, SettingError> {
        Self::from(Env(|k| std::env::var(k).ok()), dev)
    }

    /// Parses settings; `dev` (or `CRM_DEV=true`) allows a generated signing key.
    pub fn from<F: Fn(&str) -> Option<String>>(
        env: Env<F>,
        dev: bool,
    ) -> Result<Self, SettingError> {
        let dev = dev || env.flag("CRM_DEV")?;
        let database_url = match env.get("DATABASE_URL") {
            Some(v) => url("DATABASE_URL", v, &["postgres", "postgresql"])?,
            None if dev => Secret::new("postgres://crm_app@127.0.0.1:5432/crm"),
            None => {
                return Err(SettingError {
                    name: "DATABASE_URL",
                    reason: "is required (the application role's connection URL)".into(),
                });
            }
        };
        let migrate_database_url = match env.get("CRM_MIGRATE_DATABASE_URL") {
            Some(v) => url("CRM_MIGRATE_DATABASE_URL", v, &["postgres", "postgresql"])?,
            None if dev && env.get("DATABASE_URL").is_none() => {
                Secret::new("postgres://postgres@127.0.0.1:5432/crm")
            }
            None => database_url.clone(),
        };
        let redis_raw = env
            .get("REDIS_URL")
            .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
        // This build's Redis client has no TLS: refuse at start what would fail at every use.
        if redis_raw.starts_with("rediss://") {
            return Err(SettingError {
                name: "REDIS_URL",
                reason: "TLS (rediss://) is not supported by this build; reach Redis over a \
                         private network with redis://"
                    .into(),
            });
        }
        let redis_url = url("REDIS_URL", redis_raw, &["redis"])?;
        let (jwt_key, generated) = match (
            env.get("CRM_JWT_PRIVATE_KEY"),
            env.get("CRM_JWT_PRIVATE_KEY_FILE"),
        ) {
            (Some(pem), _) => (pem, false),
            (None, Some(path)) => (
                std::fs::read_to_string(&path).map_err(|e| SettingError {
                    name: "CRM_JWT_PRIVATE_KEY_FILE",
                    reason: format!("cannot read '{path}': {e}"),
                })?,
                false,
            ),
            (None, None) if dev => (api::auth::tokens::generate_private_key_pem(), true),
            (None, None) => {
                return Err(SettingError {
                    name: "CRM_JWT_PRIVATE_KEY",
                    reason: "is required outside dev mode: a PKCS#8 PEM Ed25519 key \
                             (openssl genpkey -algorithm ed25519)"
                        .into(),
                });
            }
        };
        let previous = env
            .get("CRM_JWT_PREVIOUS_PUBLIC_KEYS")
            .map(|all| {
                all.split_inclusive("-----END PUBLIC KEY-----")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut api = ApiConfig::new(database_url.clone(), redis_url, Secret::new(jwt_key));
        api.jwt_previous_public_keys_pem = previous;
        // Fail now, naming the setting, rather than at the first request.
        api::auth::tokens::TokenKeys::new(
            api.jwt_private_key_pem.expose(),
            &api.jwt_previous_public_keys_pem,
            "check",
            "check",
            Duration::from_secs(1),
        )
        .map_err(|e| SettingError {
            name: if e.to_string().contains("PREVIOUS") {
                "CRM_JWT_PREVIOUS_PUBLIC_KEYS"
            } else {
                "CRM_JWT_PRIVATE_KEY"
            },
            reason: e.to_string(),
        })?;
        api.master_keys = match env.get("CRM_MASTER_KEYS") {
            Some(spec) => Secret::new(spec),
            // A fixed, public development key: data written in dev mode survives restarts,
            // and is protected by nothing. Production must set its own.
            None if dev => Secret::new(DEV_MASTER_KEYS),
            None => {
                return Err(SettingError {
                    name: "CRM_MASTER_KEYS",
                    reason: "is required outside dev mode: `id:base64-of-32-random-bytes` \
                             (e.g. `k1:$(openssl rand -base64 32)`), current key first"
                        .into(),
                });
            }
        };
        db::crypto::MasterKeys::parse(api.master_keys.expose()).map_err(|e| SettingError {
            name: "CRM_MASTER_KEYS",
            reason: e.to_string(),
        })?;
        api.jwt_issuer = env.get("CRM_JWT_ISSUER").unwrap_or(api.jwt_issuer);
        api.jwt_audience = env.get("CRM_JWT_AUDIENCE").unwrap_or(api.jwt_audience);
        api.access_token_ttl = env.secs("CRM_ACCESS_TOKEN_TTL_SECS", 900)?;
        api.refresh_token_ttl = env.secs("CRM_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?;
        api.login_per_account_per_minute =
            env.parse("CRM_LOGIN_LIMIT_PER_ACCOUNT", 10, "a whole number")?;
        api.login_per_ip_per_minute = env.parse("CRM_LOGIN_LIMIT_PER_IP", 60, "a whole number")?;
        api.max_body_bytes = env.parse("CRM_MAX_BODY_BYTES", 1024 * 1024, "a number of bytes")?;
        api.database_max_connections = env.parse("CRM_DB_MAX_CONNECTIONS", 20, "a whole number")?;
        api.statement_timeout = env.secs("CRM_DB_STATEMENT_TIMEOUT_SECS", 30)?;
        if api.statement_timeout > Duration::from_secs(300) {
            return Err(SettingError {
                name: "CRM_DB_STATEMENT_TIMEOUT_SECS",
                reason: "must be from 1 to 300 seconds".into(),
            });
        }
        api.shutdown_grace = env.secs("CRM_SHUTDOWN_GRACE", 20)?;
        let delay: u64 = env.parse(
            "CRM_SHUTDOWN_DELAY",
            if dev { 0 } else { 5 },
            "a whole number of seconds",
        )?;
        api.shutdown_delay = Duration::from_secs(delay);
        if api.shutdown_delay * 2 > api.shutdown_grace {
            return Err(SettingError {
                name: "CRM_SHUTDOWN_DELAY",
                reason: "must be at most half of CRM_SHUTDOWN_GRACE".into(),
            });
        }
        api.authz_reload_every = env.secs("CRM_AUTHZ_RELOAD_SECS", 30)?;
        if api.authz_reload_every > Duration::from_secs(60) {
            return Err(SettingError {
                name: "CRM_AUTHZ_RELOAD_SECS",
                reason: "must be at most 60 so role changes apply within a minute without Redis"
                    .into(),
            });
        }
        api.assets_dir = PathBuf::from(
            env.get("CRM_ASSETS_DIR")
                .unwrap_or_else(|| "assets/dist".into()),
        );
        api.trust_forwarded_for = env.flag("CRM_TRUST_FORWARDED_FOR")?;
        if let Some(v) = env.get("CRM_PUBLIC_URL") {
            api.public_url = Some(
                url("CRM_PUBLIC_URL", v, &["https", "http"])?
                    .expose()
                    .to_owned(),
            );
        }
        api.secure_cookies = match env.get("CRM_SECURE_COOKIES") {
            Some(_) => env.flag("CRM_SECURE_COOKIES")?,
            None => !dev,
        };

        let mut worker = WorkerConfig::default();
        if let Some(id) = env.get("CRM_WORKER_ID") {
            worker.worker_id = id;
        }
        worker.concurrency = env.parse("CRM_WORKER_CONCURRENCY", 16, "a whole number")?;
        worker.heartbeat_every = env.secs("CRM_WORKER_HEARTBEAT_SECS", 30)?;
        worker.escalate_every = env.secs("CRM_WORKER_ESCALATE_SECS", 60)?;
        worker.shutdown_grace = api.shutdown_grace;
        worker.dead_after = env.secs("CRM_WORKER_DEAD_AFTER_SECS", 60)?;
        if !(Duration::from_secs(6)..=Duration::from_secs(3600)).contains(&worker.dead_after) {
            return Err(SettingError {
                name: "CRM_WORKER_DEAD_AFTER_SECS",
                reason: "must be from 6 to 3600 seconds".into(),
            });
        }
        for (name, target) in [
            (
                "CRM_WHATSAPP_BASE_URL",
                &mut worker.platform.whatsapp_base_url,
            ),
            ("CRM_SMS_BASE_URL", &mut worker.platform.sms_base_url),
        ] {
            if let Some(v) = env.get(name) {
                *target = url(name, v, &["https", "http"])?.expose().to_owned();
            }
        }
        worker.platform.public_url = api.public_url.clone();
        worker.platform.smtp = platform_smtp(&env)?;
        worker.platform.allow_internal_smtp = match env.get("CRM_ALLOW_INTERNAL_SMTP") {
            Some(_) => env.flag("CRM_ALLOW_INTERNAL_SMTP")?,
            None => dev,
        };
        api.calendar_providers = calendar_providers(&env)?;
        api.calendar_providers.notices_base = api.public_url.clone();
        worker.calendar_providers = api.calendar_providers.clone();
        worker.master_keys = api.master_keys.clone();
        worker.redis_url = api.redis_url.clone();

        let log_format = match env.get("CRM_LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => {
                return Err(SettingError {
                    name: "CRM_LOG_FORMAT",
                    reason: format!("expected json or pretty, got '{other}'"),
                });
            }
        };
        Ok(Self {
            database_url,
            migrate_database_url,
            http_addr: env.parse(
                "CRM_HTTP_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "host:port",
            )?,
            metrics_addr: env.parse(
                "CRM_METRICS_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9090)),
                "host:port",
            )?,
            worker_metrics_addr: env.parse(
                "CRM_WORKER_METRICS_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9091)),
                "host:port",
            )?,
            dev,
            log_format,
            api,
            worker,
            jwt_key_generated: generated,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(vars: &[(&str, &str)], dev: bool) -> Result<Settings, SettingError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Settings::from(Env(move |k| map.get(k).cloned()), dev)
    }

    #[test]
    fn production_needs_a_key_and_a_database() {
        let e = parse(&[], false).expect_err("error");
        assert_eq!(e.name, "DATABASE_URL");
        let e = parse(&[("DATABASE_URL", "postgres://a@b/c")], false).expect_err("error");
        assert_eq!(e.name, "CRM_JWT_PRIVATE_KEY");
        let key = api::auth::tokens::generate_private_key_pem();
        let e = parse(
            &[
                ("DATABASE_URL", "postgres://a@b/c"),
                ("CRM_JWT_PRIVATE_KEY", &key),
            ],
            false,
        )
        .expect_err("error");
        assert_eq!(e.name, "CRM_MASTER_KEYS");
    }

    #[test]
    fn dev_generates_a_key() {
        let s = parse(&[], true).expect("settings");
        assert!(s.jwt_key_generated);
        assert_eq!(s.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.metrics_addr.to_string(), "127.0.0.1:9090");
        assert_eq!(s.worker.dead_after, Duration::from_secs(60));
        assert_eq!(s.api.statement_timeout, Duration::from_secs(30));
    }

    #[test]
    fn calendar_providers_register_with_their_credentials_and_endpoints() {
        let s = parse(&[], true).expect("settings");
        assert_eq!(s.api.calendar_providers.configured(), vec![]);
        let e = parse(&[("CRM_GOOGLE_CLIENT_ID", "id")], true).expect_err("no secret");
        assert_eq!(e.name, "CRM_GOOGLE_CLIENT_SECRET");
        let s = parse(
            &[
                ("CRM_GOOGLE_CLIENT_ID", "id"),
                ("CRM_GOOGLE_CLIENT_SECRET", "secret"),
                ("CRM_GOOGLE_TOKEN_URL", "http://127.0.0.1:9/token"),
                ("CRM_PUBLIC_URL", "https://crm.example.com"),
            ],
            true,
        )
        .expect("settings");
        let google = s.worker.calendar_providers.google.expect("google");
        assert_eq!(google.oauth.token_url, "http://127.0.0.1:9/token");
        assert_eq!(google.api_base_url, "https://www.googleapis.com");
        assert_eq!(
            s.api.calendar_providers.notices_base.as_deref(),
            Some("https://crm.example.com")
        );
        let e = parse(
            &[
                ("CRM_MICROSOFT_CLIENT_ID", "id"),
                ("CRM_MICROSOFT_CLIENT_SECRET", "s"),
                ("CRM_MICROSOFT_GRAPH_BASE_URL", "graph.example.com"),
            ],
            true,
        )
        .expect_err("not a URL");
        assert_eq!(e.name, "CRM_MICROSOFT_GRAPH_BASE_URL");
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (name, value) in [
            ("CRM_HTTP_ADDR", "nowhere"),
            ("CRM_SHUTDOWN_GRACE", "soon"),
            ("REDIS_URL", "http://x"),
            ("REDIS_URL", "rediss://cache.internal:6380"),
            ("CRM_JWT_PRIVATE_KEY", "not a key"),
            ("CRM_AUTHZ_RELOAD_SECS", "120"),
            ("CRM_WORKER_DEAD_AFTER_SECS", "5"),
            ("CRM_DB_STATEMENT_TIMEOUT_SECS", "0"),
            ("CRM_DB_STATEMENT_TIMEOUT_SECS", "301"),
            ("CRM_WORKER_DEAD_AFTER_SECS", "7200"),
            ("CRM_LOG_FORMAT", "xml"),
            ("CRM_MASTER_KEYS", "k1:not-32-bytes"),
        ] {
            let e = parse(&[(name, value)], true).expect_err("error");
            assert_eq!(e.name, name, "{e}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = parse(&[("DATABASE_URL", "postgres://u:topsecret@h/d")], true).expect("settings");
        let shown = format!("{s:?}");
        assert!(!shown.contains("topsecret"));
        assert!(!shown.contains("PRIVATE KEY"));
    }
}
