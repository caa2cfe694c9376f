//! Duplicates and merging from a client's page: the candidates that look like the same
//! company (and why), merging one into this client, and undoing the merge.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::merges::Duplicate;
use uuid::Uuid;

use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;
use crate::render::html;

#[derive(Template)]
#[template(path = "client_duplicates.html")]
struct Duplicates {
    client_id: Uuid,
    found: Vec<Duplicate>,
    csrf: String,
    none: String,
    merge: String,
    reasons_label: String,
}

impl Duplicates {
    fn percent(&self, score: &f32) -> String {
        format!("{:.0}%", score * 100.0)
    }
}

/// `GET /clients/{id}/duplicates` (a fragment for the client page).
pub async fn list(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("clients.merge").await?;
    let id = parse_id(&id)?;
    let cipher = page.cipher().await?;
    let found = services::merges::duplicates(&mut page.ctx, &cipher, id).await?;
    let locale = page.locale;
    let body = Duplicates {
        client_id: id,
        found,
        csrf: page.csrf.clone(),
        none: locale.t("duplicates-none"),
        merge: locale.t("duplicates-merge"),
        reasons_label: locale.t("duplicates-reasons"),
    };
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    other_id: String,
}

/// `POST /clients/{id}/merge`: `other_id` merges into this client; the page offers the undo.
pub async fn merge(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> PageResult {
    page.require("clients.merge").await?;
    let id = parse_id(&id)?;
    let other = parse_id(&form.other_id)?;
    let cipher = page.cipher().await?;
    let merge_id = services::merges::merge(&mut page.ctx, &cipher, id, other).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to(&format!("/clients/{id}?merged={merge_id}")).into_response())
}

/// `POST /merges/{id}/undo`: both clients back as they were.
pub async fn undo(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("clients.merge").await?;
    let id = parse_id(&id)?;
    services::merges::undo(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to("/clients").into_response())
}
