//! A proposal's documents as served: its HTML page (what was sent, or a draft's preview) and
//! its PDF.

use uuid::Uuid;

use super::draft;
use super::render::{self, Strictness};
use crate::{Error, Result, Scope};

/// A proposal's HTML page as the client sees it: what was sent, or (a draft) a preview.
pub async fn html(scope: &mut Scope, id: Uuid) -> Result<String> {
    let row = db::proposals::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(sent) = row.sent_html.clone() {
        return Ok(sent);
    }
    let today = draft::tenant_day(scope).await?.today;
    Ok(render::render(scope, &row, today, Strictness::Preview)
        .await?
        .html)
}

/// A proposal's PDF, rendered on the day it was sent (a draft: today).
pub async fn pdf_of(scope: &mut Scope, id: Uuid) -> Result<(String, Vec<u8>)> {
    let row = db::proposals::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let date = match row.sent_at {
        Some(at) => {
            let zone: chrono_tz::Tz = crate::tenants::settings(scope)
                .await?
                .time_zone
                .parse()
                .unwrap_or(chrono_tz::UTC);
            at.with_timezone(&zone).date_naive()
        }
        None => draft::tenant_day(scope).await?.today,
    };
    let rendered = render::render(scope, &row, date, Strictness::Preview).await?;
    Ok((format!("{}.pdf", render::reference(&row)), rendered.pdf()))
}

/// The public link of a sent proposal; a draft has none yet (`proposal-is-draft`).
pub async fn public_link(
    scope: &mut Scope,
    cipher: &db::crypto::TenantCipher,
    base: &str,
    id: Uuid,
) -> Result<super::link::PublicLink> {
    let row = db::proposals::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    if row.status == "draft" {
        return Err(Error::conflict(
            "proposal-is-draft",
            "A draft has no public link until it is sent.",
        ));
    }
    Ok(super::link::link(
        cipher,
        base,
        scope.tenant(),
        id,
        row.valid_until,
    ))
}
