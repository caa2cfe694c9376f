//! The one check that a field naming a person (an owner, an assignee, a team lead) names a
//! user of the tenant.

use db::TenantTx;
use uuid::Uuid;

use crate::{InvalidField, Result};

/// Adds a problem at `pointer` when `user` is given and is not a user of the tenant.
pub async fn check_is_user(
    tx: &mut TenantTx,
    user: Option<Uuid>,
    pointer: &str,
    problems: &mut Vec<InvalidField>,
) -> Result<()> {
    if let Some(id) = user
        && db::users::get(tx, id).await?.is_none()
    {
        problems.push(InvalidField::at(pointer, "is not a user of this tenant"));
    }
    Ok(())
}
