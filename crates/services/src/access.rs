//! What the caller holds, and the rule that nobody grants what they do not hold.
//!
//! Putting a permission in a role, giving a role to a user or an API key, and acting on a
//! user or key (changing its roles, disabling, deleting, revoking) all require the caller to
//! hold every permission involved. Owner-only permissions are thus grantable only by an owner.
//! The caller's permissions are read in the scope's transaction, not from the authorization
//! cache, so a change committed a moment ago already counts.

use std::collections::BTreeSet;

use db::TenantTx;
use domain::BuiltinRole;
use serde::Serialize;
use uuid::Uuid;

use crate::{Error, Result, Scope};

/// The permissions granted by a set of roles (built-in from code, custom from the tenant).
pub async fn permissions_of(tx: &mut TenantTx, roles: &[String]) -> Result<BTreeSet<String>> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut custom = Vec::new();
    for r in roles {
        match BuiltinRole::from_name(r) {
            Some(b) => out.extend(b.permissions().into_iter().map(str::to_owned)),
            None => custom.push(r.clone()),
        }
    }
    if !custom.is_empty() {
        out.extend(db::roles::permissions_of(tx, &custom).await?);
    }
    Ok(out)
}

/// The permissions the scope's actor acts with: a user's roles', an API key's role's; the
/// system (the CLI, provisioning) holds every one, anyone else none.
pub async fn held(scope: &mut Scope) -> Result<BTreeSet<String>> {
    let roles = match (scope.actor.kind, scope.actor.id) {
        ("user", Some(user)) => db::users::roles_of(&mut scope.tx, &[user])
            .await?
            .into_iter()
            .map(|(_, role)| role)
            .collect(),
        ("api_key", Some(key)) => db::api_keys::get(&mut scope.tx, key)
            .await?
            .map(|k| vec![k.role_name])
            .unwrap_or_default(),
        ("system", _) => {
            return Ok(domain::permissions::ALL
                .iter()
                .map(|p| (*p).to_owned())
                .collect());
        }
        _ => Vec::new(),
    };
    permissions_of(&mut scope.tx, &roles).await
}

/// Fails with [`Error::Forbidden`], naming what is missing, unless the caller holds every
/// one of `wanted`; `action` says what was attempted ("grant these roles").
pub async fn require_all(scope: &mut Scope, wanted: &BTreeSet<String>, action: &str) -> Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let held = held(scope).await?;
    let missing: Vec<&str> = wanted.difference(&held).map(String::as_str).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "You cannot {action}: it involves permissions you do not hold ({}).",
        missing.join(", ")
    )))
}

/// Fails with [`Error::Forbidden`] unless the caller holds every permission of each of `roles`.
pub async fn require_roles(scope: &mut Scope, roles: &[String], action: &str) -> Result<()> {
    let wanted = permissions_of(&mut scope.tx, roles).await?;
    require_all(scope, &wanted, action).await
}

/// The tenant of the caller, as `GET /me` shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub locale: String,
}

/// The caller: who, in which tenant, with which roles and permissions.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    /// `user` or `api_key`.
    #[cfg_attr(feature = "openapi", schema(schema_with = caller_kind))]
    pub kind: &'static str,
    pub id: Uuid,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub tenant: MeTenant,
    /// The language the user chose (`es`, `en`); null follows the tenant's (`tenant.locale`).
    /// Always null for an API key.
    pub locale: Option<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

#[cfg(feature = "openapi")]
fn caller_kind() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["user", "api_key"]))
        .build()
}

/// The scope's actor (a user or an API key) with its tenant, roles and permissions; None when
/// the user or key no longer exists, or the actor is neither.
pub async fn me(scope: &mut Scope) -> Result<Option<MeResponse>> {
    match (scope.actor.kind, scope.actor.id) {
        ("user", Some(user)) => me_as_user(scope, user).await,
        ("api_key", Some(key)) => me_as_key(scope, key).await,
        _ => Ok(None),
    }
}

async fn me_as_user(scope: &mut Scope, user: Uuid) -> Result<Option<MeResponse>> {
    let Some(me) = db::users::me(&mut scope.tx, user).await? else {
        return Ok(None);
    };
    let permissions = permissions_of(&mut scope.tx, &me.roles).await?;
    Ok(Some(MeResponse {
        kind: "user",
        id: me.id,
        email: Some(me.email),
        display_name: Some(me.display_name),
        tenant: MeTenant {
            id: me.tenant_id,
            slug: me.tenant_slug,
            name: me.tenant_name,
            time_zone: me.time_zone,
            currency: me.currency,
            locale: me.locale,
        },
        locale: me.user_locale,
        roles: me.roles,
        permissions: permissions.into_iter().collect(),
    }))
}

async fn me_as_key(scope: &mut Scope, key: Uuid) -> Result<Option<MeResponse>> {
    let Some(api_key) = db::api_keys::get(&mut scope.tx, key).await? else {
        return Ok(None);
    };
    let tenant = scope.tenant();
    let t = db::tenants::get(&mut scope.tx, tenant)
        .await?
        .ok_or(Error::NotFound)?;
    let roles = vec![api_key.role_name];
    let permissions = permissions_of(&mut scope.tx, &roles).await?;
    Ok(Some(MeResponse {
        kind: "api_key",
        id: key,
        email: None,
        display_name: Some(api_key.name),
        tenant: MeTenant {
            id: t.id,
            slug: t.slug,
            name: t.name,
            time_zone: t.time_zone,
            currency: t.currency,
            locale: t.locale,
        },
        locale: None,
        roles,
        permissions: permissions.into_iter().collect(),
    }))
}
