//! Password resets: a user who forgot their password asks by e-mail address and gets a
//! one-time link, valid for an hour, by mail; the new password (judged and hashed by the
//! caller) ends every session of theirs. Tokens are made by the caller; only their digests are
//! stored.

use chrono::{DateTime, Duration, Utc};
use db::crypto::TenantCipher;
use domain::EventType;
use uuid::Uuid;

use crate::platform_mail::{self, MailKind};
use crate::{Change, Error, Result, Scope};

/// How long a reset link works.
pub const RESET_VALID_MINUTES: i64 = 60;

/// Gives the active user with `email` a reset token (`digest` of it stored, replacing any
/// earlier one) and mails them `link`. Does nothing for an address that is not an active
/// user's: the answer must not tell who has an account.
pub async fn request_password_reset(
    scope: &mut Scope,
    cipher: &TenantCipher,
    email: &str,
    digest: &[u8],
    link: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(user) = db::users::find_active_by_email(&mut scope.tx, email).await? else {
        return Ok(false);
    };
    let expires = now + Duration::minutes(RESET_VALID_MINUTES);
    db::users::set_reset(&mut scope.tx, user.id, digest, expires).await?;
    let (tenant, locale) = platform_mail::tenant_voice(scope).await?;
    let letter = platform_mail::password_reset(
        locale,
        &tenant,
        &user.display_name,
        link,
        RESET_VALID_MINUTES,
    );
    platform_mail::queue(scope, cipher, MailKind::PasswordReset, &user.email, &letter).await?;
    scope
        .record(Change::of(
            EventType::UserPasswordResetRequested,
            "user",
            user.id,
        ))
        .await?;
    Ok(true)
}

/// The user a valid reset token (by its digest) is for; [`Error::NotFound`] otherwise.
pub async fn reset_user(
    scope: &mut Scope,
    digest: &[u8],
    now: DateTime<Utc>,
) -> Result<db::users::User> {
    db::users::find_by_reset(&mut scope.tx, digest, now)
        .await?
        .ok_or(Error::NotFound)
}

/// Sets the new password (already judged and hashed) with a valid token, used up at once, and
/// ends every session of the user; [`Error::NotFound`] for an unknown, used or expired token.
pub async fn reset_password(
    scope: &mut Scope,
    digest: &[u8],
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let user = db::users::reset_password(&mut scope.tx, digest, password_hash, now)
        .await?
        .ok_or(Error::NotFound)?;
    db::sessions::revoke_all_of_user(&mut scope.tx, user, "password reset").await?;
    scope
        .record(Change::of(EventType::UserPasswordReset, "user", user))
        .await?;
    Ok(user)
}
