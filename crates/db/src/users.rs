//! Users of a tenant.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub status: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What sign-in needs of a user.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: Uuid,
    pub status: String,
    pub password_hash: Option<String>,
}

pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub status: &'a str,
    pub invite_hash: Option<&'a [u8]>,
}

/// Adds a user (active with a password, or invited with the hash of an invitation token).
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut TenantTx, new: &NewUser<'_>) -> Result<User, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        User,
        "INSERT INTO users (tenant_id, id, email, display_name, password_hash, status, invite_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, email, display_name, status, version, created_at, updated_at",
        tenant,
        new.id,
        new.email,
        new.display_name,
        new.password_hash,
        new.status,
        new.invite_hash
    )
    .fetch_one(tx.conn())
    .await
}

/// A user by id, unless deleted.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, status, version, created_at, updated_at
         FROM users WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// What sign-in checks of the user with this e-mail, unless deleted.
#[tracing::instrument(skip(tx))]
pub async fn credentials_by_email(
    tx: &mut TenantTx,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "SELECT id, status, password_hash FROM users WHERE email = $1 AND deleted_at IS NULL",
        email
    )
    .fetch_optional(tx.conn())
    .await
}

/// One page of users by id (ids are UUIDv7, so this is creation order).
#[tracing::instrument(skip(tx))]
pub async fn list(
    tx: &mut TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, status, version, created_at, updated_at
         FROM users
         WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR id > $1)
         ORDER BY id LIMIT $2",
        after,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Changes name and status; bumps the version used for `ETag`.
#[tracing::instrument(skip(tx))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    display_name: &str,
    status: &str,
) -> Result<User, sqlx::Error> {
    sqlx::query_as!(
        User,
        "UPDATE users SET display_name = $2, status = $3, version = version + 1, updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL
         RETURNING id, email, display_name, status, version, created_at, updated_at",
        id,
        display_name,
        status
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a user: marked deleted and disabled, its password and invitation dropped.
#[tracing::instrument(skip(tx))]
pub async fn soft_delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET deleted_at = now(), status = 'disabled', version = version + 1,
                password_hash = NULL, invite_hash = NULL
         WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The user an open invitation is for; None when the token is unknown or already used.
#[tracing::instrument(skip_all)]
pub async fn find_invited(
    tx: &mut TenantTx,
    invite_hash: &[u8],
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, status, version, created_at, updated_at
         FROM users WHERE invite_hash = $1 AND status = 'invited' AND deleted_at IS NULL",
        invite_hash
    )
    .fetch_optional(tx.conn())
    .await
}

/// Accepts an invitation: sets the password and activates; None when the token is unknown.
#[tracing::instrument(skip_all)]
pub async fn accept_invite(
    tx: &mut TenantTx,
    invite_hash: &[u8],
    password_hash: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, status = 'active', invite_hash = NULL,
                version = version + 1, updated_at = now()
         WHERE invite_hash = $1 AND status = 'invited' AND deleted_at IS NULL
         RETURNING id",
        invite_hash,
        password_hash
    )
    .fetch_optional(tx.conn())
    .await
}

/// The roles assigned to each of the given users.
#[tracing::instrument(skip(tx))]
pub async fn roles_of(
    tx: &mut TenantTx,
    user_ids: &[Uuid],
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT user_id, role_name FROM user_roles WHERE user_id = ANY($1) ORDER BY role_name",
        user_ids
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.role_name)).collect())
}

/// Replaces a user's role assignments.
#[tracing::instrument(skip(tx))]
pub async fn set_roles(
    tx: &mut TenantTx,
    user_id: Uuid,
    roles: &[String],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!("DELETE FROM user_roles WHERE user_id = $1", user_id)
        .execute(tx.conn())
        .await?;
    sqlx::query!(
        "INSERT INTO user_roles (tenant_id, user_id, role_name) SELECT $1, $2, unnest($3::text[])",
        tenant,
        user_id,
        roles
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The signed-in user with their tenant and roles, in one query.
#[derive(Debug, Clone)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub time_zone: String,
    pub currency: String,
    /// The tenant's locale.
    pub locale: String,
    /// The language the user chose, if any (it wins over the tenant's).
    pub user_locale: Option<String>,
    pub roles: Vec<String>,
}

/// The signed-in user with their tenant and roles (`GET /me`).
#[tracing::instrument(skip(tx))]
pub async fn me(tx: &mut TenantTx, id: Uuid) -> Result<Option<Me>, sqlx::Error> {
    sqlx::query_as!(
        Me,
        r#"SELECT u.id, u.email, u.display_name, t.id AS tenant_id, t.slug AS tenant_slug,
                  t.name AS tenant_name, t.time_zone, t.currency AS "currency!", t.locale,
                  u.locale AS user_locale,
                  coalesce((SELECT array_agg(r.role_name ORDER BY r.role_name)
                              FROM user_roles r WHERE r.user_id = u.id), '{}') AS "roles!"
             FROM users u JOIN tenants t ON t.id = u.tenant_id
            WHERE u.id = $1 AND u.deleted_at IS NULL"#,
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Sets the language a user chose (None: the tenant's); false when there is no such user. The
/// version stays: it covers what `GET /users` shows, which the language is not part of.
#[tracing::instrument(skip(tx))]
pub async fn set_locale(
    tx: &mut TenantTx,
    id: Uuid,
    locale: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE users SET locale = $2 WHERE id = $1 AND deleted_at IS NULL",
        id,
        locale
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Active users holding a role (to keep at least one owner).
#[tracing::instrument(skip(tx))]
pub async fn count_active_with_role(tx: &mut TenantTx, role: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM user_roles r
             JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id
            WHERE r.role_name = $1 AND u.status = 'active' AND u.deleted_at IS NULL"#,
        role
    )
    .fetch_one(tx.conn())
    .await
}

/// The active user with this e-mail, if any (a password reset is asked for by address).
#[tracing::instrument(skip(tx))]
pub async fn find_active_by_email(
    tx: &mut TenantTx,
    email: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, status, version, created_at, updated_at
           FROM users WHERE email = $1 AND status = 'active' AND deleted_at IS NULL",
        email
    )
    .fetch_optional(tx.conn())
    .await
}

/// Gives a user a password-reset token's digest, valid until `expires_at` (replacing any).
#[tracing::instrument(skip(tx, reset_hash))]
pub async fn set_reset(
    tx: &mut TenantTx,
    id: Uuid,
    reset_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET reset_hash = $2, reset_expires_at = $3 WHERE id = $1",
        id,
        reset_hash,
        expires_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The active user a valid (unexpired) reset token is for.
#[tracing::instrument(skip_all)]
pub async fn find_by_reset(
    tx: &mut TenantTx,
    reset_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, status, version, created_at, updated_at
           FROM users
          WHERE reset_hash = $1 AND reset_expires_at > $2 AND status = 'active'
            AND deleted_at IS NULL",
        reset_hash,
        now
    )
    .fetch_optional(tx.conn())
    .await
}

/// Sets a new password with a valid reset token, which is used up; None when the token is
/// unknown, used or expired.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    tx: &mut TenantTx,
    reset_hash: &[u8],
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, reset_hash = NULL, reset_expires_at = NULL,
                version = version + 1, updated_at = now()
          WHERE reset_hash = $1 AND reset_expires_at > $3 AND status = 'active'
            AND deleted_at IS NULL
         RETURNING id",
        reset_hash,
        password_hash,
        now
    )
    .fetch_optional(tx.conn())
    .await
}
