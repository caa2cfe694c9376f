//! `/admin/api-keys`: the tenant's API keys with "load more" (revoked ones stay listed);
//! creating one shows its secret once; revoking stops it at once. A key gets a role, and only
//! one whose permissions the admin holds (`services::access`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::api_keys::ApiKeyOut;

use super::{Fields, Refusal, RoleChoice, field_error, next_url, page_request, role_choices};
use crate::i18n::Locale;
use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html, html_with};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_api_keys.html")]
struct KeysPage {
    c: Chrome,
    rows: KeyRows,
}

/// One page of keys and the link to the next.
#[derive(Template)]
#[template(path = "admin_api_keys_rows.html")]
struct KeyRows {
    l: Locale,
    csrf: String,
    keys: Vec<ApiKeyOut>,
    /// Roles whose keys the admin may revoke (they hold every permission of the role).
    revocable: Vec<String>,
    more: Option<String>,
}

impl KeyRows {
    fn can_revoke(&self, key: &ApiKeyOut) -> bool {
        key.revoked_at.is_none() && self.revocable.contains(&key.role)
    }
}

/// `GET /admin/api-keys` (the rows alone for htmx: "load more").
pub async fn list(mut page: Page, Query(q): Query<ListQuery>) -> PageResult {
    page.require("api_keys.manage").await?;
    let request = page_request(q.cursor.as_deref())?;
    let found = services::api_keys::list(&mut page.ctx, request).await?;
    let revocable = role_choices(&mut page)
        .await?
        .into_iter()
        .filter(|r| r.grantable)
        .map(|r| r.name)
        .collect();
    let rows = KeyRows {
        l: page.locale,
        csrf: page.csrf.clone(),
        keys: found.data,
        revocable,
        more: found
            .next_cursor
            .as_deref()
            .map(|c| next_url("/admin/api-keys", c)),
    };
    if page.htmx {
        page.ctx.done();
        return Ok(html(&rows));
    }
    let body = KeysPage {
        c: Chrome::new(&page, "api-keys", "admin-keys-title"),
        rows,
    };
    page.ctx.done();
    Ok(html(&body))
}

/// The new key's form, as filled in.
#[derive(Default)]
struct KeyForm {
    name: String,
    role: String,
}

#[derive(Template)]
#[template(path = "admin_api_key_new.html")]
struct NewKeyPage {
    c: Chrome,
    form: KeyForm,
    roles: Vec<RoleChoice>,
    refusal: Option<Refusal>,
}

impl NewKeyPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }
}

/// `GET /admin/api-keys/new`
pub async fn new(mut page: Page) -> PageResult {
    page.require("api_keys.manage").await?;
    let roles = role_choices(&mut page).await?;
    let body = NewKeyPage {
        c: Chrome::new(&page, "api-keys", "admin-key-new-title"),
        form: KeyForm::default(),
        roles,
        refusal: None,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[derive(Template)]
#[template(path = "admin_api_key_created.html")]
struct CreatedPage {
    c: Chrome,
    key: ApiKeyOut,
    secret: String,
}

/// `POST /admin/api-keys`: creates a key; the answer shows its secret, once.
pub async fn create(mut page: Page, Form(fields): Form<Fields>) -> PageResult {
    page.require("api_keys.manage").await?;
    let roles = role_choices(&mut page).await?;
    let form = KeyForm {
        name: fields.one("name"),
        role: fields.one("role"),
    };
    let (input, secret) =
        api::routes::api_keys::new_key(page.ctx.tenant(), form.name.clone(), form.role.clone());
    match services::api_keys::create(&mut page.ctx, input).await {
        Ok(key) => {
            let body = CreatedPage {
                c: Chrome::new(&page, "api-keys", "admin-key-created-title"),
                key,
                secret,
            };
            page.ctx.commit().await?;
            Ok(html(&body))
        }
        Err(e) => {
            let refusal = Refusal::of(page.locale, e)?;
            let status = refusal.status();
            let body = NewKeyPage {
                c: Chrome::new(&page, "api-keys", "admin-key-new-title"),
                form,
                roles,
                refusal: Some(refusal),
            };
            page.ctx.done();
            Ok(html_with(status, &body))
        }
    }
}

/// `POST /admin/api-keys/{id}/revoke`: the key stops working at once.
pub async fn revoke(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("api_keys.manage").await?;
    let id = parse_id(&id)?;
    services::api_keys::revoke(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    Ok(Redirect::to("/admin/api-keys").into_response())
}
