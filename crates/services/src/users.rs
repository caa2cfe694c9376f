//! Users of the tenant: invited (or created with a password), listed, changed (name, status,
//! roles), deleted; and the records of their signing in and out. Whoever acts on a user must
//! hold every permission the user holds ([`crate::access`]), and a tenant always keeps an
//! active owner. Each user may choose their own language ([`set_locale`]).

mod changes;
mod invitations;
mod language;
mod membership;
pub mod password_reset;
mod sign_in;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

pub use changes::{UserChange, delete, update};
pub use invitations::{NewUser, SignIn, accept_invitation, invite, invite_and_mail};
pub use language::set_locale;
pub use membership::check_is_user;
pub use sign_in::{end_reused_session, sign_out, signed_in};

use crate::{Error, Page, PageRequest, Result, Scope, Versioned};

/// Signs in.
const ACTIVE: &str = "active";
/// Has an invitation to accept.
const INVITED: &str = "invited";
/// Cannot sign in.
const DISABLED: &str = "disabled";

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `active`, `invited` or `disabled`.
    pub status: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn user_out(u: db::users::User, roles: Vec<String>) -> Versioned<UserOut> {
    Versioned {
        version: u.version,
        value: UserOut {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            status: u.status,
            roles,
            created_at: u.created_at,
            updated_at: u.updated_at,
        },
    }
}

/// The user as recorded in the audit trail.
fn snapshot(u: &UserOut) -> Value {
    serde_json::to_value(u).unwrap_or_default()
}

/// One page of the tenant's users, oldest first.
pub async fn list(scope: &mut Scope, page: PageRequest<Uuid>) -> Result<Page<UserOut>> {
    let rows = db::users::list(&mut scope.tx, page.after, page.fetch_limit()).await?;
    let ids: Vec<Uuid> = rows.iter().map(|u| u.id).collect();
    let roles = db::users::roles_of(&mut scope.tx, &ids).await?;
    Page::from_rows(
        rows,
        page.limit,
        |u| u.id,
        |u| {
            let mine = roles
                .iter()
                .filter(|(id, _)| *id == u.id)
                .map(|(_, r)| r.clone())
                .collect();
            Ok(user_out(u, mine).value)
        },
    )
}

/// Most users a picker of owners offers.
const MOST_OWNERS: i64 = 500;

/// Who may own a client: the tenant's active users as `(id, name)`, by name, for the
/// console's pickers and filters (the first 500 by creation).
pub async fn owners(scope: &mut Scope) -> Result<Vec<(Uuid, String)>> {
    let mut owners: Vec<(Uuid, String)> = db::users::list(&mut scope.tx, None, MOST_OWNERS)
        .await?
        .into_iter()
        .filter(|u| u.status == ACTIVE)
        .map(|u| (u.id, u.display_name))
        .collect();
    owners.sort_by_key(|(_, name)| name.to_lowercase());
    Ok(owners)
}

/// One user, with their roles.
pub async fn get(scope: &mut Scope, id: Uuid) -> Result<Versioned<UserOut>> {
    let user = db::users::get(&mut scope.tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    let roles = db::users::roles_of(&mut scope.tx, &[id])
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok(user_out(user, roles))
}
