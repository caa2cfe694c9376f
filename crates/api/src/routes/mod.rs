//! One module per resource; each exports `router()`.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod clients;
pub mod contacts;
pub mod custom_fields;
pub mod docs;
pub mod events;
pub mod export;
pub mod health;
pub mod imports;
pub mod kpis;
pub mod me;
pub mod merges;
pub mod roles;
pub mod timeline;
pub mod users;

use std::collections::BTreeSet;

use domain::BuiltinRole;

use crate::auth::Ctx;
use crate::http::{ApiError, FieldError};

/// Most roles one request may assign (to a user); each is looked up, so the list is bounded.
pub(crate) const MAX_ROLES: usize = 20;

/// Checks that each role exists (built-in, or custom in this tenant); returns the names sorted
/// and deduplicated. Whether the caller may hand them out is `grants::require_roles`.
pub(crate) async fn existing_roles(
    ctx: &mut Ctx,
    pointer: &str,
    roles: &[String],
) -> Result<Vec<String>, ApiError> {
    if roles.len() > MAX_ROLES {
        return Err(ApiError::field(
            pointer,
            format!("at most {MAX_ROLES} roles"),
        ));
    }
    let mut errors = Vec::new();
    let names: BTreeSet<String> = roles.iter().map(|r| r.trim().to_owned()).collect();
    for (i, name) in names.iter().enumerate() {
        let exists = BuiltinRole::from_name(name).is_some()
            || db::roles::get(&mut ctx.tx, name).await?.is_some();
        if !exists {
            errors.push(FieldError::body(
                &format!("{pointer}/{i}"),
                format!("no role named '{name}'"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(names.into_iter().collect())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The body size limit of the routes that take more than `CRM_MAX_BODY_BYTES`, by route
/// template (the idempotency layer reads bodies before the route's own limit applies).
pub(crate) fn body_limit(route: &str) -> Option<usize> {
    (route == imports::ROUTE).then_some(imports::MAX_FILE_BYTES)
}

/// Parses a path id; anything that is not a UUID is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::not_found())
}
