//! Sending a draft from its page: the form (a contact of the client with an e-mail address,
//! or another address, and a note for the e-mail) at the version shown, and its handler,
//! which calls the same service as the API (`services::proposals::send`, with the tenant's
//! cipher and the public address the link is made under).

use axum::Form;
use axum::extract::Path;
use axum::http::HeaderMap;
use serde::Deserialize;
use services::Expected;
use services::proposals::{ProposalOut, SendInput};
use uuid::Uuid;

use super::proposals_detail::{Forms, detail_page, see};
use super::proposals_view::{refusal, unplaced};
use super::tickets_new::Choice;
use crate::form::{Refusal, field_error};
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::html_with;

/// The fields the send form places; any other problem is listed under its message.
const PLACED: [&str; 3] = ["/contact_id", "/to", "/note"];

/// The send form as typed; blank is none.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    pub contact_id: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub note: String,
    /// The version the page showed.
    #[serde(default)]
    pub version: String,
}

impl SendForm {
    fn input(&self) -> SendInput {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        SendInput {
            contact_id: Uuid::try_parse(self.contact_id.trim()).ok(),
            to: text(&self.to),
            note: text(&self.note),
        }
    }

    /// The version the form was filled in at; a form without one matches no version.
    fn expected(&self) -> Expected {
        Expected::OneOf(self.version.trim().parse().into_iter().collect())
    }
}

/// The send form as the page shows it.
pub struct SendPart {
    pub form: SendForm,
    pub contacts: Vec<Choice>,
    pub refusal: Option<Refusal>,
    pub others: Vec<String>,
}

impl SendPart {
    pub fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }
}

/// The send form of draft `p`: the client's contacts with an e-mail address to choose from.
pub async fn send_part(
    page: &mut Page,
    p: &ProposalOut,
    given: Option<(SendForm, Option<Refusal>)>,
) -> Result<SendPart, PageError> {
    let (mut form, refused) = given.unwrap_or_default();
    form.version = p.version.to_string();
    let contacts = super::contacts::of_client(page, p.client_id)
        .await?
        .into_iter()
        .filter_map(|c| {
            let email = c.emails.first()?.clone();
            Some(Choice {
                selected: c.id.to_string() == form.contact_id.trim(),
                value: c.id.to_string(),
                label: format!("{} <{email}>", c.name),
            })
        })
        .collect();
    Ok(SendPart {
        others: unplaced(&refused, &PLACED),
        form,
        contacts,
        refusal: refused,
    })
}

/// `POST /proposals/{id}/send`: sends the draft at the version shown, then shows it.
pub async fn send(
    mut page: Page,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SendForm>,
) -> PageResult {
    page.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    let base = api::http::public_base(&page.app, &headers);
    let sent = services::proposals::send(
        &mut page.ctx,
        &cipher,
        &base,
        id,
        form.input(),
        &form.expected(),
    )
    .await;
    match sent {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(see(id, "sent"))
        }
        Err(e) => {
            let refused = refusal(page.locale, e)?;
            let status = refused.status();
            let found = services::proposals::get(&mut page.ctx, id).await?;
            let forms = Forms {
                edit: None,
                send: Some((form, Some(refused))),
            };
            let body = detail_page(&mut page, &headers, found, forms).await?;
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}
