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

/// Checks that each role exists (built-in, or custom in this tenant) and that the caller may
/// hand it out: only an owner may grant `owner`. Returns the names sorted and deduplicated.
pub(crate) async fn check_assignable_roles(
    ctx: &mut Ctx,
    pointer: &str,
    roles: &[String],
) -> Result<Vec<String>, ApiError> {
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
        } else if name == BuiltinRole::Owner.name() && ctx.require("tenant.settings").await.is_err()
        {
            errors.push(FieldError::body(
                &format!("{pointer}/{i}"),
                "only an owner may grant the owner role",
            ));
        }
    }
    if errors.is_empty() {
        Ok(names.into_iter().collect())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Parses a path id; anything that is not a UUID is simply not found.
pub(crate) fn parse_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::not_found())
}
