//! Roles: the built-in ones (fixed, in code) and the tenant's custom roles. Every change of a
//! role changes what its holders may do, so it asks every process to reload the policies.

use std::collections::BTreeSet;

use db::TenantTx;
use domain::{BuiltinRole, EventType, Permission, RoleName};
use serde::Serialize;
use serde_json::Value;

use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, access};

/// Most roles one request may assign (to a user); each is looked up, so the list is bounded.
pub const MAX_ROLES: usize = 20;

/// A role as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleOut {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub built_in: bool,
}

fn builtin_out(r: BuiltinRole) -> RoleOut {
    RoleOut {
        name: r.name().to_owned(),
        description: r.description().to_owned(),
        permissions: r.permissions().into_iter().map(str::to_owned).collect(),
        built_in: true,
    }
}

fn custom_out(r: db::roles::CustomRole) -> Versioned<RoleOut> {
    Versioned {
        version: r.version,
        value: RoleOut {
            name: r.name,
            description: r.description,
            permissions: r.permissions,
            built_in: false,
        },
    }
}

/// The role as recorded in the audit trail.
fn snapshot(r: &RoleOut) -> Value {
    serde_json::to_value(r).unwrap_or_default()
}

fn built_in_is_fixed() -> Error {
    Error::conflict(
        "built-in-role",
        "Built-in roles cannot be changed or deleted; create a custom role.",
    )
}

/// Checks that each named role exists (built-in, or custom in this tenant): the names trimmed,
/// sorted and deduplicated, or None with the problems noted at `pointer` (`pointer/i` for the
/// i-th name in that order). Whether the caller may hand them out is [`access::require_roles`].
pub async fn existing(
    tx: &mut TenantTx,
    pointer: &str,
    roles: &[String],
    problems: &mut Vec<InvalidField>,
) -> Result<Option<Vec<String>>> {
    if roles.len() > MAX_ROLES {
        problems.push(InvalidField::at(
            pointer,
            format!("at most {MAX_ROLES} roles"),
        ));
        return Ok(None);
    }
    let names: BTreeSet<String> = roles.iter().map(|r| r.trim().to_owned()).collect();
    let mut missing = false;
    for (i, name) in names.iter().enumerate() {
        let exists =
            BuiltinRole::from_name(name).is_some() || db::roles::get(tx, name).await?.is_some();
        if !exists {
            missing = true;
            problems.push(InvalidField::at(
                &format!("{pointer}/{i}"),
                format!("no role named '{name}'"),
            ));
        }
    }
    Ok((!missing).then(|| names.into_iter().collect()))
}

/// Permissions of the catalogue, sorted and deduplicated; problems noted at `pointer/i`.
fn check_permissions(
    pointer: &str,
    raw: &[String],
    problems: &mut Vec<InvalidField>,
) -> Vec<String> {
    // Each entry names a distinct permission at best: more than the catalogue is never needed.
    let most = domain::permissions::ALL.len();
    if raw.len() > most {
        problems.push(InvalidField::at(
            pointer,
            format!("at most {most} permissions (the size of the catalogue)"),
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        match Permission::parse(p) {
            Ok(p) => out.push(p.as_str().to_owned()),
            Err(e) => problems.push(InvalidField::at(&format!("{pointer}/{i}"), e.0)),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn check_description(raw: &str, problems: &mut Vec<InvalidField>) -> String {
    let d = raw.trim().to_owned();
    if d.chars().count() > 500 {
        problems.push(InvalidField::at(
            "/description",
            "must be at most 500 characters",
        ));
    }
    d
}

/// Every role of the tenant, built-in first, then the custom ones by name.
pub async fn list(scope: &mut Scope) -> Result<Vec<RoleOut>> {
    let mut out: Vec<RoleOut> = BuiltinRole::ALL.into_iter().map(builtin_out).collect();
    out.extend(
        db::roles::list(&mut scope.tx)
            .await?
            .into_iter()
            .map(|r| custom_out(r).value),
    );
    Ok(out)
}

/// One role by name; a built-in role is at version 0.
pub async fn get(scope: &mut Scope, name: &str) -> Result<Versioned<RoleOut>> {
    if let Some(b) = BuiltinRole::from_name(name) {
        return Ok(Versioned {
            value: builtin_out(b),
            version: 0,
        });
    }
    let role = db::roles::get(&mut scope.tx, name)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(custom_out(role))
}

/// A custom role to create, as given.
#[derive(Debug, Clone)]
pub struct NewRole {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

/// Creates a custom role with permissions the caller holds (`role-exists` when the name is
/// taken).
pub async fn create(scope: &mut Scope, input: NewRole) -> Result<Versioned<RoleOut>> {
    let mut problems = Vec::new();
    let name = RoleName::parse_custom(&input.name)
        .map_err(|e| problems.push(InvalidField::at("/name", e.0)))
        .ok();
    let description = check_description(input.description.as_deref().unwrap_or(""), &mut problems);
    let permissions = check_permissions("/permissions", &input.permissions, &mut problems);
    let Some(name) = name.filter(|_| problems.is_empty()) else {
        return Err(Error::Invalid(problems));
    };
    let involved = permissions.iter().cloned().collect();
    access::require_all(scope, &involved, "create a role with these permissions").await?;
    let inserted =
        db::roles::insert(&mut scope.tx, name.as_str(), &description, &permissions).await;
    let role = match inserted {
        Err(e) if db::constraint_of(&e) == Some("roles_pkey") => {
            return Err(Error::conflict(
                "role-exists",
                "A role with this name already exists.",
            ));
        }
        other => custom_out(other?),
    };
    scope
        .record(
            Change::of(EventType::RoleCreated, "role", &role.value.name)
                .after(snapshot(&role.value)),
        )
        .await?;
    scope.policies_changed();
    Ok(role)
}

/// What to change of a custom role; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct RoleChange {
    pub description: Option<String>,
    /// Replaces the permissions.
    pub permissions: Option<Vec<String>>,
}

/// Loads a custom role to change: built-in roles are fixed, a missing one is not found, and
/// `expected` must hold its version.
async fn changeable(
    scope: &mut Scope,
    name: &str,
    expected: &Expected,
) -> Result<db::roles::CustomRole> {
    if BuiltinRole::from_name(name).is_some() {
        return Err(built_in_is_fixed());
    }
    let role = db::roles::get(&mut scope.tx, name)
        .await?
        .ok_or(Error::NotFound)?;
    expected.check(role.version)?;
    Ok(role)
}

/// Changes a custom role's description or permissions; the caller must hold every permission
/// it had and every one it gets.
pub async fn update(
    scope: &mut Scope,
    name: &str,
    expected: &Expected,
    change: RoleChange,
) -> Result<Versioned<RoleOut>> {
    let before = changeable(scope, name, expected).await?;
    let mut problems = Vec::new();
    let description = match change.description.as_deref() {
        Some(d) => check_description(d, &mut problems),
        None => before.description.clone(),
    };
    let permissions = match &change.permissions {
        Some(p) => check_permissions("/permissions", p, &mut problems),
        None => before.permissions.clone(),
    };
    Error::check(problems)?;
    let involved = before
        .permissions
        .iter()
        .chain(&permissions)
        .cloned()
        .collect();
    access::require_all(scope, &involved, "change this role").await?;
    let role =
        custom_out(db::roles::update(&mut scope.tx, name, &description, &permissions).await?);
    let before = custom_out(before).value;
    scope
        .record(
            Change::of(EventType::RoleUpdated, "role", name)
                .before(snapshot(&before))
                .after(snapshot(&role.value)),
        )
        .await?;
    scope.policies_changed();
    Ok(role)
}

/// Deletes a custom role and removes it from every user; the caller must hold every
/// permission it had.
pub async fn delete(scope: &mut Scope, name: &str, expected: &Expected) -> Result<()> {
    let before = changeable(scope, name, expected).await?;
    let involved = before.permissions.iter().cloned().collect();
    access::require_all(scope, &involved, "delete this role").await?;
    db::roles::delete(&mut scope.tx, name).await?;
    let before = custom_out(before).value;
    scope
        .record(Change::of(EventType::RoleDeleted, "role", name).before(snapshot(&before)))
        .await?;
    scope.policies_changed();
    Ok(())
}
