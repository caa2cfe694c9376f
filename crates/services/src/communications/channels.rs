//! Each tenant's sending channels, set by its administrators (`/admin/channels`): the SMTP
//! server and sender for e-mail, the WhatsApp Business number, the Twilio account for SMS, and
//! a per-minute send limit. Secrets (passwords, tokens, app secrets) are sealed with the
//! tenant's data key and never read back; a change that leaves a secret out keeps the stored
//! one. Provider base URLs are platform settings (`Platform`), not the tenant's, so a tenant
//! cannot point the worker at an address of its choosing (only its SMTP server is its own).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use db::channel_settings::ChannelSettingsRow;
use db::crypto::TenantCipher;
use domain::communications::Channel;
use domain::{Email, EventType, Phone};
use integrations::mail::{SmtpSecurity, SmtpSettings};
use integrations::sms::SmsSettings;
use integrations::whatsapp::WhatsAppSettings;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{Change, Error, InvalidField, Result, Scope, text};

/// The send limit of a channel nobody limited: messages per minute per tenant.
pub const DEFAULT_PER_MINUTE: i32 = 600;

/// A channel's settings as an administrator gives them. Members of another channel are
/// refused; a secret left out keeps the stored one.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// Whether messages may be sent on the channel.
    pub enabled: bool,
    /// Messages per minute the tenant may send on it (1-100,000; default 600).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub per_minute_limit: Option<i64>,
    /// E-mail: the SMTP server's host name.
    #[cfg_attr(feature = "openapi", schema(max_length = 253))]
    pub host: Option<String>,
    /// E-mail: the SMTP port (587 for STARTTLS, 465 for TLS).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 65535))]
    pub port: Option<i64>,
    /// E-mail: `starttls` (the default), `tls`, or `none` (a local relay only).
    #[cfg_attr(feature = "openapi", schema(schema_with = security_schema))]
    pub security: Option<String>,
    /// E-mail: the SMTP user; none: no authentication.
    #[cfg_attr(feature = "openapi", schema(max_length = 320))]
    pub username: Option<String>,
    /// E-mail (secret): the SMTP password.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub password: Option<String>,
    /// E-mail: the sender's address.
    #[cfg_attr(feature = "openapi", schema(max_length = 320))]
    pub from_address: Option<String>,
    /// E-mail: the sender's name.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub from_name: Option<String>,
    /// E-mail (secret): the Mailgun webhook signing key that signs inbound e-mail forwarded to
    /// `/api/v1/webhooks/mailgun/{tenant_id}`; none: no inbound e-mail.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub inbound_signing_key: Option<String>,
    /// WhatsApp: the business number's id in the Cloud API.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub phone_number_id: Option<String>,
    /// WhatsApp (secret): the access token.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub access_token: Option<String>,
    /// WhatsApp (secret): the app secret that signs webhooks (`X-Hub-Signature-256`).
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub app_secret: Option<String>,
    /// WhatsApp (secret): the verify token of the webhook subscription handshake.
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub verify_token: Option<String>,
    /// SMS: the Twilio account SID.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub account_sid: Option<String>,
    /// SMS (secret): the account's auth token (also signs webhooks, `X-Twilio-Signature`).
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub auth_token: Option<String>,
    /// SMS: the sender number (E.164) or a Messaging Service SID (`MG…`).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub from: Option<String>,
}

#[cfg(feature = "openapi")]
fn security_schema() -> utoipa::openapi::schema::Schema {
    let mut all: Vec<Value> = SECURITIES.iter().map(|(n, _)| (*n).into()).collect();
    all.push(Value::Null);
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .enum_values(Some(all))
        .into()
}

const SECURITIES: [(&str, SmtpSecurity); 3] = [
    ("starttls", SmtpSecurity::StartTls),
    ("tls", SmtpSecurity::Tls),
    ("none", SmtpSecurity::None),
];

/// A channel's settings as administrators read them: never a secret, only which are set.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelOut {
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::template_channel))]
    pub channel: String,
    pub enabled: bool,
    pub per_minute_limit: i32,
    /// The settings that are not secret, by name.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: Map<String, Value>,
    /// The names of the secrets stored.
    pub secrets_set: Vec<String>,
    /// Where the provider sends its webhooks (WhatsApp, SMS), under the API's address.
    pub webhook_path: Option<String>,
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The members of each channel: (name, secret).
fn members(channel: Channel) -> &'static [(&'static str, bool)] {
    match channel {
        Channel::Email => &[
            ("host", false),
            ("port", false),
            ("security", false),
            ("username", false),
            ("password", true),
            ("from_address", false),
            ("from_name", false),
            ("inbound_signing_key", true),
        ],
        Channel::Whatsapp => &[
            ("phone_number_id", false),
            ("access_token", true),
            ("app_secret", true),
            ("verify_token", true),
        ],
        Channel::Sms => &[
            ("account_sid", false),
            ("auth_token", true),
            ("from", false),
        ],
        Channel::Phone => &[],
    }
}

/// The members a channel cannot work without.
fn required(channel: Channel) -> &'static [&'static str] {
    match channel {
        Channel::Email => &["host", "port", "from_address"],
        Channel::Whatsapp => &[
            "phone_number_id",
            "access_token",
            "app_secret",
            "verify_token",
        ],
        Channel::Sms => &["account_sid", "auth_token", "from"],
        Channel::Phone => &[],
    }
}

impl ChannelInput {
    /// The members given, by name, as JSON values.
    fn given(&self) -> BTreeMap<&'static str, Value> {
        let texts = [
            ("host", &self.host),
            ("security", &self.security),
            ("username", &self.username),
            ("password", &self.password),
            ("from_address", &self.from_address),
            ("from_name", &self.from_name),
            ("inbound_signing_key", &self.inbound_signing_key),
            ("phone_number_id", &self.phone_number_id),
            ("access_token", &self.access_token),
            ("app_secret", &self.app_secret),
            ("verify_token", &self.verify_token),
            ("account_sid", &self.account_sid),
            ("auth_token", &self.auth_token),
            ("from", &self.from),
        ];
        let mut out: BTreeMap<&'static str, Value> = texts
            .into_iter()
            .filter_map(|(k, v)| Some((k, Value::String(v.clone()?.trim().to_owned()))))
            .collect();
        if let Some(port) = self.port {
            out.insert("port", json!(port));
        }
        out
    }
}

/// The settings channels with a provider can have.
fn configurable(raw: &str) -> Result<Channel> {
    match Channel::parse(raw) {
        Ok(Channel::Phone) | Err(_) => Err(Error::NotFound),
        Ok(c) => Ok(c),
    }
}

/// One member checked; a problem names it.
fn check_member(name: &str, value: &Value, problems: &mut Vec<InvalidField>) {
    let pointer = format!("/{name}");
    let text = value.as_str().unwrap_or_default();
    let bad = |why: &str, problems: &mut Vec<InvalidField>| {
        problems.push(InvalidField::at(&pointer, why));
    };
    match name {
        "port" => {
            if !value.as_i64().is_some_and(|p| (1..=65535).contains(&p)) {
                bad("must be a port from 1 to 65535", problems);
            }
        }
        "security" => {
            if !SECURITIES.iter().any(|(n, _)| *n == text) {
                bad("must be one of: starttls, tls, none", problems);
            }
        }
        "from_address" => {
            if let Err(e) = Email::parse(text) {
                problems.push(InvalidField::at(&pointer, e.0));
            }
        }
        "host" => {
            let ok = !text.is_empty()
                && text.len() <= 253
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c));
            if !ok {
                bad("must be a host name such as smtp.example.com", problems);
            }
        }
        "phone_number_id" | "account_sid" => {
            if text.is_empty()
                || text.len() > 64
                || !text.chars().all(|c| c.is_ascii_alphanumeric())
            {
                bad("must be 1-64 letters and digits", problems);
            }
        }
        "from" => {
            let service = text.starts_with("MG") && text.chars().all(|c| c.is_ascii_alphanumeric());
            if !service && Phone::parse(text, None).is_err() {
                bad(
                    "must be an E.164 number or a Messaging Service SID",
                    problems,
                );
            }
        }
        _ => {
            let max = if name == "from_name" { 200 } else { 1000 };
            text::optional(&pointer, Some(text.to_owned()), max, problems);
        }
    }
}

/// The stored secrets, opened.
fn secrets_of(
    row: Option<&ChannelSettingsRow>,
    cipher: &TenantCipher,
) -> Result<Map<String, Value>> {
    let Some(sealed) = row.and_then(|r| r.secrets_cipher.as_deref()) else {
        return Ok(Map::new());
    };
    match serde_json::from_str(&cipher.decrypt(sealed)?) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::Corrupt(
            "channel secrets are not a JSON object".into(),
        )),
    }
}

fn channel_out(
    channel: Channel,
    row: Option<ChannelSettingsRow>,
    secrets: &Map<String, Value>,
) -> ChannelOut {
    let webhook_path = match channel {
        Channel::Email => Some("/api/v1/webhooks/mailgun/{tenant_id}".to_owned()),
        Channel::Whatsapp => Some("/api/v1/webhooks/whatsapp/{tenant_id}".to_owned()),
        Channel::Sms => Some("/api/v1/webhooks/twilio/{tenant_id}/messages".to_owned()),
        Channel::Phone => None,
    };
    let settings = match row.as_ref().map(|r| &r.settings) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    ChannelOut {
        channel: channel.as_str().to_owned(),
        enabled: row.as_ref().is_some_and(|r| r.enabled),
        per_minute_limit: row
            .as_ref()
            .map_or(DEFAULT_PER_MINUTE, |r| r.per_minute_limit),
        settings,
        secrets_set: secrets.keys().cloned().collect(),
        webhook_path,
        version: row.as_ref().map_or(0, |r| r.version),
        updated_at: row.map(|r| r.updated_at),
    }
}

/// Every channel with a provider, set or not.
pub async fn list(scope: &mut Scope, cipher: &TenantCipher) -> Result<Vec<ChannelOut>> {
    let mut out = Vec::new();
    for channel in [Channel::Email, Channel::Whatsapp, Channel::Sms] {
        out.push(get(scope, cipher, channel.as_str()).await?);
    }
    Ok(out)
}

/// One channel's settings; [`Error::NotFound`] for a channel without settings (`phone`).
pub async fn get(scope: &mut Scope, cipher: &TenantCipher, raw: &str) -> Result<ChannelOut> {
    let channel = configurable(raw)?;
    let row = db::channel_settings::get(&mut scope.tx, channel.as_str()).await?;
    let secrets = secrets_of(row.as_ref(), cipher)?;
    Ok(channel_out(channel, row, &secrets))
}

/// Sets a channel's settings: checks every member, seals the secrets, records the change
/// (which members changed, never their values).
pub async fn put(
    scope: &mut Scope,
    cipher: &TenantCipher,
    raw: &str,
    input: ChannelInput,
) -> Result<ChannelOut> {
    let channel = configurable(raw)?;
    let current = db::channel_settings::get(&mut scope.tx, channel.as_str()).await?;
    let mut secrets = secrets_of(current.as_ref(), cipher)?;
    let mut settings = match current.as_ref().map(|r| r.settings.clone()) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut problems = Vec::new();
    let own = members(channel);
    let mut changed = Vec::new();
    for (name, value) in input.given() {
        let Some((_, secret)) = own.iter().find(|(n, _)| *n == name) else {
            problems.push(InvalidField::at(
                &format!("/{name}"),
                format!("is not a setting of the {channel} channel"),
            ));
            continue;
        };
        check_member(name, &value, &mut problems);
        let target = if *secret { &mut secrets } else { &mut settings };
        let blank = value.as_str().is_some_and(str::is_empty);
        if blank {
            target.remove(name);
        } else {
            target.insert(name.to_owned(), value);
        }
        changed.push(name);
    }
    if channel == Channel::Email && !settings.contains_key("security") {
        settings.insert("security".into(), json!("starttls"));
    }
    if input.enabled {
        for name in required(channel) {
            if !settings.contains_key(*name) && !secrets.contains_key(*name) {
                problems.push(InvalidField::at(
                    &format!("/{name}"),
                    "is required to enable the channel",
                ));
            }
        }
    }
    let limit = match input.per_minute_limit {
        None => current
            .as_ref()
            .map_or(DEFAULT_PER_MINUTE, |r| r.per_minute_limit),
        Some(n) if (1..=100_000).contains(&n) => n as i32,
        Some(_) => {
            problems.push(InvalidField::at(
                "/per_minute_limit",
                "must be from 1 to 100000",
            ));
            DEFAULT_PER_MINUTE
        }
    };
    Error::check(problems)?;
    let sealed =
        (!secrets.is_empty()).then(|| cipher.encrypt(&Value::Object(secrets.clone()).to_string()));
    let row = db::channel_settings::put(
        &mut scope.tx,
        channel.as_str(),
        input.enabled,
        &Value::Object(settings),
        sealed.as_deref(),
        limit,
    )
    .await?;
    scope
        .record(
            Change::of(
                EventType::ChannelSettingsUpdated,
                "channel_settings",
                channel.as_str(),
            )
            .before(json!({
                "enabled": current.as_ref().map(|r| r.enabled),
                "per_minute_limit": current.as_ref().map(|r| r.per_minute_limit),
            }))
            .after(json!({
                "enabled": row.enabled,
                "per_minute_limit": row.per_minute_limit,
                "changed": changed,
            })),
        )
        .await?;
    Ok(channel_out(channel, Some(row), &secrets))
}

/// Where the providers' APIs are: the platform's choice, for every tenant.
#[derive(Debug, Clone)]
pub struct Platform {
    pub whatsapp_base_url: String,
    pub sms_base_url: String,
    /// How long one SMTP delivery may take.
    pub smtp_timeout: Duration,
    /// The API's public address (`CRM_PUBLIC_URL`): SMS are sent asking Twilio to report
    /// their status there. None: no status callbacks.
    pub public_url: Option<String>,
    /// The platform's own SMTP server and sender (`CRM_SMTP_*`), for invitations and password
    /// resets. None: those mails fail with the reason.
    pub smtp: Option<SmtpSettings>,
    /// Whether tenants' SMTP hosts may resolve to internal addresses (`CRM_ALLOW_INTERNAL_SMTP`;
    /// for a local mail catcher, never in production).
    pub allow_internal_smtp: bool,
}

impl Default for Platform {
    fn default() -> Self {
        Self {
            whatsapp_base_url: integrations::whatsapp::DEFAULT_BASE_URL.to_owned(),
            sms_base_url: integrations::sms::DEFAULT_BASE_URL.to_owned(),
            smtp_timeout: Duration::from_secs(30),
            public_url: None,
            smtp: None,
            allow_internal_smtp: false,
        }
    }
}

/// A channel ready to send on, its secrets opened.
#[derive(Debug, Clone)]
pub enum Sender {
    Email(SmtpSettings),
    Whatsapp(WhatsAppSettings),
    Sms(SmsSettings),
}

/// A channel's stored settings and opened secrets, as one map of text values.
pub struct Opened {
    pub enabled: bool,
    pub per_minute_limit: i32,
    values: Map<String, Value>,
}

impl Opened {
    /// A text member, if set.
    pub fn text(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn required(&self, name: &str) -> Result<String> {
        self.text(name)
            .ok_or_else(|| Error::Corrupt(format!("channel setting {name} is missing")))
    }
}

/// A channel's settings with its secrets opened; `None` when the tenant never set it.
pub async fn open(
    scope: &mut Scope,
    cipher: &TenantCipher,
    channel: Channel,
) -> Result<Option<Opened>> {
    let Some(row) = db::channel_settings::get(&mut scope.tx, channel.as_str()).await? else {
        return Ok(None);
    };
    let mut values = secrets_of(Some(&row), cipher)?;
    if let Value::Object(m) = &row.settings {
        values.extend(m.clone());
    }
    Ok(Some(Opened {
        enabled: row.enabled,
        per_minute_limit: row.per_minute_limit,
        values,
    }))
}

/// What the worker sends `channel` with.
pub fn sender(channel: Channel, o: &Opened, platform: &Platform) -> Result<Sender> {
    Ok(match channel {
        Channel::Email => Sender::Email(SmtpSettings {
            host: o.required("host")?,
            port: o
                .values
                .get("port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| Error::Corrupt("channel setting port is missing".into()))?,
            security: SECURITIES
                .iter()
                .find(|(n, _)| Some(*n) == o.text("security").as_deref())
                .map_or(SmtpSecurity::StartTls, |(_, s)| *s),
            username: o.text("username"),
            password: o.text("password"),
            from_address: o.required("from_address")?,
            from_name: o.text("from_name"),
            timeout: platform.smtp_timeout,
        }),
        Channel::Whatsapp => {
            let mut s =
                WhatsAppSettings::new(o.required("phone_number_id")?, o.required("access_token")?);
            s.base_url = platform.whatsapp_base_url.clone();
            Sender::Whatsapp(s)
        }
        Channel::Sms => Sender::Sms(SmsSettings {
            base_url: platform.sms_base_url.clone(),
            account_sid: o.required("account_sid")?,
            auth_token: o.required("auth_token")?,
            from: o.required("from")?,
        }),
        Channel::Phone => return Err(Error::Corrupt("a call is never sent".into())),
    })
}
