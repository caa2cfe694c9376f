//! `/admin/channels`: the tenant's sending channels (e-mail over its SMTP server, WhatsApp
//! Business, SMS through Twilio), one form each, for its administrators (`tenant.settings`):
//! switched on or off, a per-minute limit, the provider's settings, and where the provider
//! sends its webhooks. Secrets are password inputs never filled back: "stored" shows one is
//! set, and left blank it keeps the stored one. The same service flows as `PUT
//! /api/v1/channels/{channel}` (`services::communications::channels`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use services::communications::channels::{ChannelInput, ChannelOut};

use super::communications_view::channel_icon;
use crate::form::{Posted, Refusal, field_error};
use crate::i18n::Locale;
use crate::page::{Page, PageResult};
use crate::render::{Chrome, html, html_with};

/// How a setting is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Email,
    /// SMTP security: `starttls`, `tls` or `none`.
    Security,
    /// Never shown back.
    Secret,
}

/// The settings of a channel's form, in order: `(name, kind)`.
fn members(channel: &str) -> &'static [(&'static str, Kind)] {
    match channel {
        "email" => &[
            ("host", Kind::Text),
            ("port", Kind::Number),
            ("security", Kind::Security),
            ("username", Kind::Text),
            ("password", Kind::Secret),
            ("from_address", Kind::Email),
            ("from_name", Kind::Text),
        ],
        "whatsapp" => &[
            ("phone_number_id", Kind::Text),
            ("access_token", Kind::Secret),
            ("app_secret", Kind::Secret),
            ("verify_token", Kind::Secret),
        ],
        _ => &[
            ("account_sid", Kind::Text),
            ("auth_token", Kind::Secret),
            ("from", Kind::Text),
        ],
    }
}

/// One setting as its input shows it.
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub label: String,
    /// The value shown (never a secret's).
    pub value: String,
    /// A secret is stored.
    pub stored: bool,
    pub error: Option<String>,
}

impl Field {
    fn is(&self, kind: Kind) -> bool {
        self.kind == kind
    }
}

/// One channel's form.
pub struct ChannelForm {
    pub channel: String,
    pub label: String,
    pub enabled: bool,
    pub per_minute_limit: String,
    pub fields: Vec<Field>,
    /// Where the provider sends its webhooks, under the console's address.
    pub webhook: Option<String>,
    pub refusal: Option<Refusal>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ChannelForm {
    fn limit_error(&self) -> Option<String> {
        field_error(&self.refusal, "/per_minute_limit")
    }

    fn enabled_error(&self) -> Option<String> {
        field_error(&self.refusal, "/enabled")
    }
}

/// A stored setting as text.
fn shown(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The form of a channel as stored, or as typed when `typed` is given (secrets never).
fn form_of(
    locale: Locale,
    out: &ChannelOut,
    tenant: &str,
    typed: Option<&Posted>,
    refusal: Option<Refusal>,
) -> ChannelForm {
    let fields = members(&out.channel)
        .iter()
        .map(|(name, kind)| {
            let value = match (kind, typed) {
                (Kind::Secret, _) => String::new(),
                (_, Some(posted)) => posted.one(name),
                (_, None) => shown(out.settings.get(*name)),
            };
            Field {
                name,
                kind: *kind,
                label: locale.t(&format!("channel-field-{name}")),
                value,
                stored: out.secrets_set.iter().any(|s| s == name),
                error: field_error(&refusal, &format!("/{name}")),
            }
        })
        .collect();
    ChannelForm {
        label: locale.t(&format!("comm-channel-{}", out.channel)),
        enabled: typed.map_or(out.enabled, |p| p.one("enabled") == "true"),
        per_minute_limit: typed.map_or(out.per_minute_limit.to_string(), |p| {
            p.one("per_minute_limit")
        }),
        webhook: out
            .webhook_path
            .as_deref()
            .map(|p| p.replace("{tenant_id}", tenant)),
        channel: out.channel.clone(),
        updated_at: out.updated_at,
        fields,
        refusal,
    }
}

/// A typed number: blank is none; anything but a whole number is 0, which the service refuses
/// at its own pointer with its own words.
fn number(raw: &str) -> Option<i64> {
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(0))
}

/// The service's input from the posted form. A blank secret keeps the stored one; a blank
/// setting clears it when one is stored (the service says whether it may be cleared) and is
/// left out otherwise.
fn input(posted: &Posted, current: &ChannelOut) -> ChannelInput {
    let mut input = ChannelInput {
        enabled: posted.one("enabled") == "true",
        per_minute_limit: number(&posted.one("per_minute_limit")),
        ..ChannelInput::default()
    };
    for (name, kind) in members(&current.channel) {
        let typed = posted.one(name);
        let stored = current.settings.contains_key(*name);
        if *kind == Kind::Number {
            input.port = number(&typed);
            continue;
        }
        let value = match kind {
            Kind::Secret => Some(typed).filter(|t| !t.is_empty()),
            _ if typed.is_empty() => stored.then(String::new),
            _ => Some(typed),
        };
        let slot = match *name {
            "host" => &mut input.host,
            "security" => &mut input.security,
            "username" => &mut input.username,
            "password" => &mut input.password,
            "from_address" => &mut input.from_address,
            "from_name" => &mut input.from_name,
            "phone_number_id" => &mut input.phone_number_id,
            "access_token" => &mut input.access_token,
            "app_secret" => &mut input.app_secret,
            "verify_token" => &mut input.verify_token,
            "account_sid" => &mut input.account_sid,
            "auth_token" => &mut input.auth_token,
            _ => &mut input.from,
        };
        *slot = value;
    }
    input
}

#[derive(Template)]
#[template(path = "admin_channels.html")]
struct ChannelsPage {
    c: Chrome,
    forms: Vec<ChannelForm>,
    notice: Option<String>,
}

impl ChannelsPage {
    fn icon(&self, channel: &str) -> &'static str {
        channel_icon(channel)
    }
}

/// What the page says after a save.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// The page with every channel as stored, but `refused` as typed.
async fn channels_page(
    page: &mut Page,
    refused: Option<(&Posted, Refusal)>,
    notice: Option<String>,
) -> Result<ChannelsPage, crate::page::PageError> {
    let cipher = page.cipher().await?;
    let stored = services::communications::channels::list(&mut page.ctx, &cipher).await?;
    let tenant = page.me.tenant.id.to_string();
    let locale = page.locale;
    let mut refused = refused;
    let forms = stored
        .iter()
        .map(|out| {
            let (posted, refusal) = match refused.take_if(|(p, _)| p.one("channel") == out.channel)
            {
                Some((posted, refusal)) => (Some(posted), Some(refusal)),
                None => (None, None),
            };
            form_of(locale, out, &tenant, posted, refusal)
        })
        .collect();
    Ok(ChannelsPage {
        c: Chrome::new(page, "channels", "channels-title"),
        forms,
        notice,
    })
}

/// `GET /admin/channels`
pub async fn show(mut page: Page, Query(saved): Query<Saved>) -> PageResult {
    page.require("tenant.settings").await?;
    let notice = saved.saved.as_deref().map(|c| {
        let channel = page.locale.t(&format!("comm-channel-{c}"));
        page.locale.t_with(
            "channels-saved",
            &[("channel", crate::i18n::Arg::Text(channel))],
        )
    });
    let body = channels_page(&mut page, None, notice).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// `POST /admin/channels/{channel}`: sets the channel's settings, then shows them all.
pub async fn save(
    mut page: Page,
    Path(channel): Path<String>,
    Form(mut posted): Form<Posted>,
) -> PageResult {
    page.require("tenant.settings").await?;
    let cipher = page.cipher().await?;
    let current = services::communications::channels::get(&mut page.ctx, &cipher, &channel).await?;
    let input = input(&posted, &current);
    match services::communications::channels::put(&mut page.ctx, &cipher, &channel, input).await {
        Ok(out) => {
            page.ctx.commit().await?;
            Ok(Redirect::to(&format!("/admin/channels?saved={}", out.channel)).into_response())
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            posted.0.insert("channel".into(), current.channel.clone());
            let body = channels_page(&mut page, Some((&posted, refusal)), None).await?;
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{Map, json};

    use super::*;

    fn stored(settings: Value) -> ChannelOut {
        let Value::Object(settings) = settings else {
            panic!("an object");
        };
        ChannelOut {
            channel: "email".into(),
            enabled: true,
            per_minute_limit: 600,
            settings,
            secrets_set: vec!["password".into()],
            webhook_path: None,
            version: 1,
            updated_at: None,
        }
    }

    fn posted(fields: &[(&str, &str)]) -> Posted {
        Posted(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn a_blank_secret_keeps_the_stored_one_and_a_blank_setting_clears_only_a_stored_one() {
        let current =
            stored(json!({ "host": "smtp.example.com", "port": 587, "from_name": "Ventas" }));
        let input = input(
            &posted(&[
                ("enabled", "true"),
                ("host", "mail.example.com"),
                ("port", "465"),
                ("password", ""),
                ("from_name", ""),
                ("username", ""),
                ("per_minute_limit", "muchos"),
            ]),
            &current,
        );
        assert!(input.enabled);
        assert_eq!(input.host.as_deref(), Some("mail.example.com"));
        assert_eq!(input.port, Some(465));
        assert_eq!(input.password, None, "blank keeps the stored password");
        assert_eq!(input.from_name.as_deref(), Some(""), "blank clears it");
        assert_eq!(input.username, None, "nothing stored, nothing to clear");
        assert_eq!(input.per_minute_limit, Some(0), "refused by the service");
    }

    #[test]
    fn secrets_are_never_shown_back_and_the_webhook_names_the_tenant() {
        let mut out = stored(json!({ "host": "smtp.example.com" }));
        let form = form_of(Locale::En, &out, "t-1", None, None);
        let password = form.fields.iter().find(|f| f.name == "password");
        assert!(password.is_some_and(|p| p.stored && p.value.is_empty()));
        out.channel = "sms".into();
        out.settings = Map::new();
        out.webhook_path = Some("/api/v1/webhooks/twilio/{tenant_id}/messages".into());
        let typed = posted(&[("auth_token", "s3cret"), ("from", "+34600000000")]);
        let form = form_of(Locale::En, &out, "t-1", Some(&typed), None);
        assert!(form.fields.iter().all(|f| f.value != "s3cret"));
        assert_eq!(
            form.webhook.as_deref(),
            Some("/api/v1/webhooks/twilio/t-1/messages")
        );
    }
}
