//! Sending a draft: it is rendered for the last time (what the client receives is kept), its
//! PDF is attached to an e-mail queued through the communications module with the public
//! link, and its opportunity moves to the pipeline's "proposal sent" stage when it stands
//! before it. All in the caller's transaction: the e-mail leaves once it commits.

use db::crypto::TenantCipher;
use db::proposals::ProposalRow;
use domain::EventType;
use domain::proposals::ProposalStatus;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::draft::tenant_day;
use super::flows::described;
use super::labels::Labels;
use super::link::{PublicLink, link};
use super::proposal::{ProposalOut, proposal_out};
use super::render::{Strictness, reference, render};
use crate::communications::{Attachment, NewMessage, send_with_attachments};
use crate::pipeline::{MoveInput, move_opportunity};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, text};

/// Most characters of the note the salesperson adds to the e-mail.
pub const NOTE_CHARS: usize = 5000;

/// How a proposal is sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// A contact of the client to address (default: the client's first e-mail address).
    pub contact_id: Option<Uuid>,
    /// The address to send to instead.
    #[cfg_attr(feature = "openapi", schema(format = "email", max_length = 320))]
    pub to: Option<String>,
    /// A note put before the link in the e-mail (at most 5,000 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 5000))]
    pub note: Option<String>,
}

use crate::clock::now;

/// Sends a draft at a version `expected` allows; `base` is the public address the link is
/// made under.
pub async fn send(
    scope: &mut Scope,
    cipher: &TenantCipher,
    base: &str,
    id: Uuid,
    input: SendInput,
    expected: &Expected,
) -> Result<Versioned<ProposalOut>> {
    let row = db::proposals::get_for_update(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(row.version)?;
    let from = ProposalStatus::parse(&row.status).map_err(|e| Error::Corrupt(e.0))?;
    ProposalStatus::can_change(from, ProposalStatus::Sent)
        .map_err(|e| Error::conflict("proposal-not-draft", e.0))?;
    let mut problems = Vec::new();
    let note = text::optional("/note", input.note.clone(), NOTE_CHARS, &mut problems);
    let day = tenant_day(scope).await?;
    if row.valid_until < day.today {
        problems.push(InvalidField::at(
            "/valid_until",
            "has passed: change the validity before sending",
        ));
    }
    if row.items.as_array().is_none_or(Vec::is_empty) {
        problems.push(InvalidField::at(
            "/items",
            "needs at least one item to be sent",
        ));
    }
    Error::check(problems)?;
    let rendered = render(scope, &row, day.today, Strictness::Send).await?;
    let public = link(cipher, base, scope.tenant(), id, row.valid_until);
    let labels = Labels::of(day.locale);
    let message = NewMessage {
        channel: "email".into(),
        contact_id: input.contact_id,
        to: input.to,
        subject: Some(format!("{}: {}", labels.mail_subject, row.title)),
        body: Some(mail_body(&labels, note.as_deref(), &public, day.locale)),
        ..NewMessage::default()
    };
    let attachment = Attachment {
        filename: format!("{}.pdf", reference(&row)),
        content_type: "application/pdf".into(),
        content: rendered.pdf(),
    };
    let mail =
        send_with_attachments(scope, cipher, row.client_id, message, vec![attachment]).await?;
    let at = now();
    let used = Value::Object(rendered.variables_used);
    let sent = db::proposals::mark_sent(&mut scope.tx, id, at, &used, &rendered.html).await?;
    let moved_to = advance_opportunity(scope, &sent).await?;
    scope
        .record(
            Change::of(EventType::ProposalSent, "proposal", id)
                .before(json!({ "status": row.status }))
                .after(json!({ "status": "sent", "communication_id": mail.id }))
                .on_timeline_of(
                    sent.client_id,
                    format!("Proposal sent: {}", described(&sent)),
                    json!({
                        "proposal_id": id,
                        "communication_id": mail.id,
                        "total": sent.total.to_string(),
                        "currency": sent.currency,
                        "opportunity_stage_id": moved_to,
                    }),
                ),
        )
        .await?;
    proposal_out(sent)
}

/// The e-mail's text: the salesperson's note, then the link and its last day.
fn mail_body(
    labels: &Labels,
    note: Option<&str>,
    link: &PublicLink,
    locale: domain::templates::Locale,
) -> String {
    let last_day = locale.long_date((link.expires_at - chrono::Duration::days(1)).date_naive());
    let mut body = String::new();
    if let Some(note) = note {
        body.push_str(note);
        body.push_str("\n\n");
    }
    body.push_str(&format!("{} {last_day}:\n{}\n", labels.mail_body, link.url));
    body
}

/// Moves the proposal's open opportunity to its pipeline's "proposal sent" stage when it
/// stands in an earlier stage; returns the stage it moved to.
async fn advance_opportunity(scope: &mut Scope, row: &ProposalRow) -> Result<Option<Uuid>> {
    let Some(opportunity_id) = row.opportunity_id else {
        return Ok(None);
    };
    let Some(opportunity) = db::opportunities::get(&mut scope.tx, opportunity_id).await? else {
        return Ok(None);
    };
    let Some(target) =
        db::pipelines::proposal_stage(&mut scope.tx, opportunity.pipeline_id).await?
    else {
        return Ok(None);
    };
    let current = db::pipelines::stage(&mut scope.tx, opportunity.stage_id)
        .await?
        .ok_or_else(|| Error::Corrupt("an opportunity's stage is gone".into()))?;
    if current.kind != "open" || current.position >= target.position {
        return Ok(None);
    }
    move_to_end(scope, opportunity_id, target.id).await?;
    Ok(Some(target.id))
}

/// Moves an opportunity to the end of a stage, trying again when a person moved it at the
/// same moment.
pub(super) async fn move_to_end(scope: &mut Scope, id: Uuid, stage_id: Uuid) -> Result<()> {
    let mut tries = 0;
    loop {
        let version = db::opportunities::get(&mut scope.tx, id)
            .await?
            .ok_or(Error::NotFound)?
            .version;
        let input = MoveInput {
            stage_id,
            position: 1_000_000,
            version,
            lost_reason: None,
        };
        match move_opportunity(scope, id, input).await {
            Err(Error::Conflict { .. }) if tries < 3 => tries += 1,
            other => return other.map(|_| ()),
        }
    }
}
