//! Changing and deleting a user: only with every permission they hold, never oneself out of
//! the tenant, never its last active owner.

use domain::{BuiltinRole, EventType};
use uuid::Uuid;

use super::{ACTIVE, DISABLED, INVITED, UserOut, get, snapshot, user_out};
use crate::{Change, Error, Expected, InvalidField, Result, Scope, Versioned, access, roles, text};

/// What to change of a user, as given; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
    /// Replaces the user's roles.
    pub roles: Option<Vec<String>>,
}

/// Fails with `last-owner` unless another active owner stays.
async fn require_another_owner(scope: &mut Scope) -> Result<()> {
    let owners =
        db::users::count_active_with_role(&mut scope.tx, BuiltinRole::Owner.name()).await?;
    if owners <= 1 {
        return Err(Error::conflict(
            "last-owner",
            "A tenant must keep at least one active owner.",
        ));
    }
    Ok(())
}

fn is_active_owner(u: &UserOut) -> bool {
    u.status == ACTIVE && u.roles.iter().any(|r| r == BuiltinRole::Owner.name())
}

/// The status a change asks for, checked against the current one.
fn check_status(asked: Option<&str>, current: &str, problems: &mut Vec<InvalidField>) -> String {
    match asked {
        None => current.to_owned(),
        Some(s @ (ACTIVE | DISABLED)) => {
            if current == INVITED && s == ACTIVE {
                problems.push(InvalidField::at(
                    "/status",
                    "an invited user becomes active by accepting the invitation",
                ));
            }
            s.to_owned()
        }
        Some(_) => {
            problems.push(InvalidField::at(
                "/status",
                "must be 'active' or 'disabled'",
            ));
            current.to_owned()
        }
    }
}

/// Changes a user's name, status or roles if their version is `expected`. Disabling ends
/// their sessions; nobody disables themselves.
pub async fn update(
    scope: &mut Scope,
    id: Uuid,
    expected: &Expected,
    change: UserChange,
) -> Result<Versioned<UserOut>> {
    let before = get(scope, id).await?;
    expected.check(before.version)?;
    let before = before.value;
    let mut problems = Vec::new();
    let name = text::required_or_current(
        "/display_name",
        change.display_name.clone(),
        Some(&before.display_name),
        200,
        &mut problems,
    );
    let status = check_status(change.status.as_deref(), &before.status, &mut problems);
    let roles = match &change.roles {
        None => None,
        Some(r) => roles::existing(&mut scope.tx, "/roles", r, &mut problems).await?,
    }
    .unwrap_or_else(|| before.roles.clone());
    Error::check(problems)?;
    if scope.user_id() == Some(id) && status == DISABLED {
        return Err(Error::conflict(
            "cannot-disable-self",
            "You cannot disable yourself.",
        ));
    }
    // Acting on a user needs every permission they hold; adding roles, every one they grant.
    access::require_roles(scope, &before.roles, "change this user").await?;
    let roles_changed = roles != before.roles;
    if roles_changed {
        access::require_roles(scope, &roles, "grant these roles").await?;
    }
    let owner = BuiltinRole::Owner.name().to_owned();
    if is_active_owner(&before) && (!roles.contains(&owner) || status != ACTIVE) {
        require_another_owner(scope).await?;
    }

    let user = db::users::update(&mut scope.tx, id, &name, &status).await?;
    if roles_changed {
        db::users::set_roles(&mut scope.tx, id, &roles).await?;
    }
    if status == DISABLED && before.status != DISABLED {
        db::sessions::revoke_all_of_user(&mut scope.tx, id, "user disabled").await?;
    }
    let after = user_out(user, roles);
    scope
        .record(
            Change::of(EventType::UserUpdated, "user", id)
                .before(snapshot(&before))
                .after(snapshot(&after.value)),
        )
        .await?;
    if roles_changed {
        scope.policies_changed();
    }
    Ok(after)
}

/// Deletes a user if their version is `expected`: they can no longer sign in (their roles
/// and sessions end); their history stays attributed. Nobody deletes themselves.
pub async fn delete(scope: &mut Scope, id: Uuid, expected: &Expected) -> Result<()> {
    let before = get(scope, id).await?;
    expected.check(before.version)?;
    let before = before.value;
    if scope.user_id() == Some(id) {
        return Err(Error::conflict(
            "cannot-delete-self",
            "You cannot delete yourself.",
        ));
    }
    access::require_roles(scope, &before.roles, "delete this user").await?;
    if is_active_owner(&before) {
        require_another_owner(scope).await?;
    }
    db::users::soft_delete(&mut scope.tx, id).await?;
    db::users::set_roles(&mut scope.tx, id, &[]).await?;
    db::sessions::revoke_all_of_user(&mut scope.tx, id, "user deleted").await?;
    scope
        .record(Change::of(EventType::UserDeleted, "user", id).before(snapshot(&before)))
        .await?;
    scope.policies_changed();
    Ok(())
}
