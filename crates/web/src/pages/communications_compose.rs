//! The forms of a client's communications tab: a message (channel, contact, address, subject
//! for an e-mail, and its words or a template, previewed for this client as it is chosen) and
//! a logged call (who called, length in minutes and seconds, outcome, notes). Both post to
//! the one service flow (`services::communications::send`, as `POST
//! /api/v1/clients/{id}/communications`); a refused form comes back with each field's problem
//! next to it (422), a sent one shows the thread (303).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::communications::NewMessage;
use services::communications::templates::{PreviewInput, PreviewOut};
use uuid::Uuid;

use super::communications::conversation;
use super::communications_view::{all_of, message_channels};
use crate::form::{Refusal, field_error};
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{html, html_with};

/// A message or a call as typed; blank means none.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub contact_id: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub template_id: String,
    /// A call: `outbound` (we called) or `inbound`.
    #[serde(default)]
    pub direction: String,
    /// A call's length: minutes and seconds.
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub seconds: String,
    #[serde(default)]
    pub outcome: String,
}

fn text(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|t| !t.is_empty())
}

fn id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw.trim()).ok()
}

impl ComposeForm {
    fn message() -> Self {
        Self {
            channel: "email".into(),
            ..Self::default()
        }
    }

    fn call() -> Self {
        Self {
            channel: "phone".into(),
            direction: "outbound".into(),
            outcome: "answered".into(),
            ..Self::default()
        }
    }

    fn is_call(&self) -> bool {
        self.channel.trim() == "phone"
    }

    /// The call's length in seconds: none when neither part is typed; a part that is not a
    /// whole number makes it -1, which the service refuses at `/duration_seconds`.
    fn duration_seconds(&self) -> Option<i64> {
        let (m, s) = (self.minutes.trim(), self.seconds.trim());
        if m.is_empty() && s.is_empty() {
            return None;
        }
        let part = |raw: &str| match raw {
            "" => Some(0),
            _ => raw.parse::<i64>().ok().filter(|n| *n >= 0),
        };
        Some(match (part(m), part(s)) {
            (Some(m), Some(s)) => m.saturating_mul(60).saturating_add(s),
            _ => -1,
        })
    }

    /// The service's input: a call's members only for a call.
    fn input(&self) -> NewMessage {
        let call = self.is_call();
        NewMessage {
            channel: self.channel.trim().to_owned(),
            contact_id: id(&self.contact_id),
            to: text(&self.to),
            subject: if call { None } else { text(&self.subject) },
            body: text(&self.body),
            template_id: if call { None } else { id(&self.template_id) },
            direction: if call { text(&self.direction) } else { None },
            duration_seconds: if call { self.duration_seconds() } else { None },
            outcome: if call { text(&self.outcome) } else { None },
            occurred_at: None,
        }
    }
}

/// The two forms of the tab, with what they offer and the refusal of the one posted.
pub struct Compose {
    pub client_id: Uuid,
    pub message: ComposeForm,
    pub call: ComposeForm,
    pub refusal: Option<Refusal>,
    /// The refusal is the call form's.
    pub refused_call: bool,
    /// `(id, name)` of the client's contacts.
    pub contacts: Vec<(String, String)>,
    /// `(id, "name · channel")` of the tenant's templates.
    pub templates: Vec<(String, String)>,
    pub channels: Vec<(&'static str, String)>,
    pub directions: Vec<(&'static str, String)>,
    pub outcomes: Vec<(&'static str, String)>,
}

impl Compose {
    /// The forms as first shown.
    pub async fn blank(page: &mut Page, client: Uuid) -> Result<Self, PageError> {
        let contacts = super::contacts::of_client(page, client)
            .await?
            .into_iter()
            .filter(|c| c.erased_at.is_none())
            .map(|c| (c.id.to_string(), c.name))
            .collect();
        let locale = page.locale;
        let templates = services::communications::templates::list(&mut page.ctx, None)
            .await?
            .into_iter()
            .map(|t| {
                let channel = locale.t(&format!("comm-channel-{}", t.channel));
                (t.id.to_string(), format!("{} · {channel}", t.name))
            })
            .collect();
        Ok(Self {
            client_id: client,
            message: ComposeForm::message(),
            call: ComposeForm::call(),
            refusal: None,
            refused_call: false,
            contacts,
            templates,
            channels: message_channels(locale),
            directions: all_of(locale, "direction"),
            outcomes: all_of(locale, "outcome"),
        })
    }

    /// What is wrong with a field of the message form.
    pub fn message_error(&self, pointer: &str) -> Option<String> {
        (!self.refused_call)
            .then(|| field_error(&self.refusal, pointer))
            .flatten()
    }

    /// What is wrong with a field of the call form.
    pub fn call_error(&self, pointer: &str) -> Option<String> {
        self.refused_call
            .then(|| field_error(&self.refusal, pointer))
            .flatten()
    }

    /// The refusal above the form it concerns.
    pub fn refusal_of(&self, call: bool) -> Option<&Refusal> {
        self.refusal.as_ref().filter(|_| self.refused_call == call)
    }

    /// Where the preview is asked for, with the form's values when a template is chosen.
    pub fn preview_trigger(&self) -> &'static str {
        if self.message.template_id.trim().is_empty() {
            "change from:#compose-template_id, change from:#compose-contact_id"
        } else {
            "load, change from:#compose-template_id, change from:#compose-contact_id"
        }
    }
}

/// `POST /clients/{id}/communications`: sends the message or logs the call, then shows the
/// thread.
pub async fn send(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<ComposeForm>,
) -> PageResult {
    page.require("communications.send").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    match services::communications::send(&mut page.ctx, &cipher, id, form.input()).await {
        Ok(_) => {
            page.ctx.commit().await?;
            let notice = if form.is_call() { "logged" } else { "sent" };
            Ok(
                Redirect::to(&format!("/clients/{id}/communications?notice={notice}"))
                    .into_response(),
            )
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            let mut compose = Compose::blank(&mut page, id).await?;
            compose.refused_call = form.is_call();
            if compose.refused_call {
                compose.call = form;
            } else {
                compose.message = form;
            }
            compose.refusal = Some(refusal);
            let body = conversation(&mut page, id, None, Some(compose)).await?;
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

/// What the preview is asked for.
#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    template_id: Option<String>,
    contact_id: Option<String>,
}

/// A template rendered for the client, or why it cannot be.
#[derive(Template)]
#[template(path = "communication_preview.html")]
struct PreviewPart {
    locale: Locale,
    preview: Option<PreviewOut>,
    problem: Option<String>,
}

impl PreviewPart {
    fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }
}

/// `GET /clients/{id}/communications/preview?template_id=&contact_id=`: the template chosen,
/// rendered for this client (htmx, as the compose form's choice changes).
pub async fn preview(
    mut page: Page,
    Path(client): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> PageResult {
    page.require("communications.view").await?;
    let client_id = parse_id(&client)?;
    let mut part = PreviewPart {
        locale: page.locale,
        preview: None,
        problem: None,
    };
    if let Some(template) = q.template_id.as_deref().and_then(id) {
        let input = PreviewInput {
            client_id,
            contact_id: q.contact_id.as_deref().and_then(id),
        };
        match services::communications::templates::preview(&mut page.ctx, template, input).await {
            Ok(p) => part.preview = Some(p),
            // Another tenant's client is not found, as on every other page.
            Err(services::Error::Invalid(f)) if f.iter().any(|f| f.pointer == "/client_id") => {
                return Err(services::Error::NotFound.into());
            }
            Err(services::Error::Invalid(fields)) => {
                let details: Vec<String> = fields.into_iter().map(|f| f.detail).collect();
                part.problem = Some(details.join("; "));
            }
            Err(e) => return Err(e.into()),
        }
    }
    page.ctx.done();
    Ok(html(&part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_leaves_out_the_call_and_a_call_the_message() {
        let message = ComposeForm {
            channel: "email".into(),
            subject: " Oferta ".into(),
            template_id: Uuid::nil().to_string(),
            minutes: "3".into(),
            outcome: "answered".into(),
            ..ComposeForm::default()
        };
        let input = message.input();
        assert_eq!(input.subject.as_deref(), Some("Oferta"));
        assert_eq!(input.template_id, Some(Uuid::nil()));
        assert_eq!((input.duration_seconds, input.outcome), (None, None));
        let call = ComposeForm {
            subject: "ignored".into(),
            minutes: "3".into(),
            seconds: "5".into(),
            body: "Renovación".into(),
            ..ComposeForm::call()
        };
        let input = call.input();
        assert_eq!(input.subject, None);
        assert_eq!(input.duration_seconds, Some(185));
        assert_eq!(input.outcome.as_deref(), Some("answered"));
        assert_eq!(input.direction.as_deref(), Some("outbound"));
    }

    #[test]
    fn a_call_length_that_is_no_number_is_refused_by_the_service() {
        let typed = |m: &str, s: &str| {
            ComposeForm {
                minutes: m.into(),
                seconds: s.into(),
                ..ComposeForm::call()
            }
            .duration_seconds()
        };
        assert_eq!(typed("", ""), None);
        assert_eq!(typed("", "40"), Some(40));
        assert_eq!(typed("2", ""), Some(120));
        assert_eq!(typed("dos", "5"), Some(-1));
        assert_eq!(typed("1", "-5"), Some(-1));
    }
}
