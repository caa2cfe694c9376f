//! Administration pages for tenant admins: users, roles, API keys and the audit log. Each
//! page calls the same service functions as the JSON API with the same permission checks; a
//! refusal of the services (a field, a permission the admin does not hold, a conflict, a
//! stale version) is shown on the form it came from.

mod api_keys;
mod audit;
mod roles;
mod users;

use axum::Router;
use axum::routing::{get, post};
use services::{Error, Expected};

pub use crate::form::{Refusal, field_error};
use crate::page::{Page, PageError};
use crate::state::WebState;

/// The administration routes (each page checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/admin/users", get(users::list).post(users::invite))
        .route("/admin/users/new", get(users::new))
        .route("/admin/users/{id}", get(users::show).post(users::update))
        .route("/admin/users/{id}/status", post(users::set_status))
        .route("/admin/roles", get(roles::list).post(roles::create))
        .route("/admin/roles/new", get(roles::new))
        .route("/admin/roles/{name}", get(roles::show).post(roles::update))
        .route("/admin/roles/{name}/delete", post(roles::delete))
        .route(
            "/admin/api-keys",
            get(api_keys::list).post(api_keys::create),
        )
        .route("/admin/api-keys/new", get(api_keys::new))
        .route("/admin/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/admin/audit", get(audit::list))
}

/// A posted form's fields in order, repeated names kept (a list of checkboxes).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or empty.
    pub(crate) fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The version the form was filled in at (its hidden `version`), as `If-Match` would give
    /// it; a form without one matches no version.
    pub(crate) fn expected(&self) -> Expected {
        Expected::OneOf(self.one("version").trim().parse().into_iter().collect())
    }
}

/// A role as the administration pages offer it: whether the signed-in admin may hand it out
/// (they hold every permission it grants); the services check it again.
pub struct RoleChoice {
    pub name: String,
    pub description: String,
    pub built_in: bool,
    pub grantable: bool,
}

/// Every role of the tenant, built-in first, as choices for `page`'s user.
async fn role_choices(page: &mut Page) -> Result<Vec<RoleChoice>, PageError> {
    let roles = services::roles::list(&mut page.ctx).await?;
    Ok(roles
        .into_iter()
        .map(|r| RoleChoice {
            grantable: r.permissions.iter().all(|p| page.can(p)),
            name: r.name,
            description: r.description,
            built_in: r.built_in,
        })
        .collect())
}

/// The `cursor` of a list page, parsed the one way; a bad one is the services' 422.
fn page_request(cursor: Option<&str>) -> Result<services::PageRequest<uuid::Uuid>, PageError> {
    let mut problems = Vec::new();
    let request = services::PageRequest::parse(None, cursor, &mut problems);
    Error::check(problems)?;
    Ok(request)
}

/// `path?cursor=<cursor>`, for "load more".
fn next_url(path: &str, cursor: &str) -> String {
    let query = serde_urlencoded::to_string([("cursor", cursor)]).unwrap_or_default();
    format!("{path}?{query}")
}
