//! Nobody grants what they do not hold.
//!
//! Putting a permission in a role, giving a role to a user or an API key, and acting on a
//! user or key (changing its roles, disabling, deleting, revoking) all require the caller to
//! hold every permission involved. Owner-only permissions are thus grantable only by an owner.
//! The caller's permissions are read from the database in the request's transaction, not from
//! the authorization cache, so a change committed a moment ago already counts.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use domain::BuiltinRole;

use super::{Ctx, Principal};
use crate::http::ApiError;

/// The permissions granted by a set of roles (built-in from code, custom from the tenant).
pub async fn permissions_of(ctx: &mut Ctx, roles: &[String]) -> Result<BTreeSet<String>, ApiError> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut custom = Vec::new();
    for r in roles {
        match BuiltinRole::from_name(r) {
            Some(b) => out.extend(b.permissions().into_iter().map(str::to_owned)),
            None => custom.push(r.clone()),
        }
    }
    if !custom.is_empty() {
        out.extend(db::roles::permissions_of(&mut ctx.tx, &custom).await?);
    }
    Ok(out)
}

/// The roles the caller acts with: a user's assigned roles, or an API key's one role.
pub async fn caller_roles(ctx: &mut Ctx) -> Result<Vec<String>, ApiError> {
    match ctx.principal.clone() {
        Principal::User { user, .. } => Ok(db::users::roles_of(&mut ctx.tx, &[user])
            .await?
            .into_iter()
            .map(|(_, role)| role)
            .collect()),
        Principal::ApiKey { key, .. } => Ok(db::api_keys::get(&mut ctx.tx, key)
            .await?
            .map(|k| vec![k.role_name])
            .unwrap_or_default()),
    }
}

/// Fails with 403, naming what is missing, unless the caller holds every one of `wanted`.
pub async fn require_all(
    ctx: &mut Ctx,
    wanted: &BTreeSet<String>,
    action: &str,
) -> Result<(), ApiError> {
    if wanted.is_empty() {
        return Ok(());
    }
    let roles = caller_roles(ctx).await?;
    let held = permissions_of(ctx, &roles).await?;
    let missing: Vec<&str> = wanted.difference(&held).map(String::as_str).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Permission denied",
        format!(
            "You cannot {action}: it involves permissions you do not hold ({}).",
            missing.join(", ")
        ),
    ))
}

/// Fails with 403 unless the caller holds every permission of each of `roles`.
pub async fn require_roles(ctx: &mut Ctx, roles: &[String], action: &str) -> Result<(), ApiError> {
    let wanted = permissions_of(ctx, roles).await?;
    require_all(ctx, &wanted, action).await
}
