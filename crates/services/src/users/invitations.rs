//! Bringing a user in: invited by e-mail (they choose a password by accepting), or created
//! with a password set now. Passwords are judged and hashed by the caller (the API's password
//! rule and argon2id), invitation tokens made by it; this module stores their results.

use domain::{Email, EventType};
use uuid::Uuid;

use super::{ACTIVE, INVITED, UserOut, snapshot, user_out};
use crate::tenants::JudgedPassword;
use crate::{Change, Error, InvalidField, Result, Scope, Versioned, access, roles, text};

/// How a new user will sign in.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// With a password set now, already judged by the password rule: its hash to store, or
    /// why the rule refused it.
    Password(JudgedPassword),
    /// By accepting an invitation: the digest of the token they are sent.
    Invitation(Vec<u8>),
}

/// A user to bring in, as given.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    /// Names of roles of the tenant (built-in or custom).
    pub roles: Vec<String>,
    pub sign_in: SignIn,
}

/// Invites a user (or creates an active one with a password) with roles the caller holds
/// every permission of; an e-mail already in use is a conflict (`email-taken`).
pub async fn invite(scope: &mut Scope, input: NewUser) -> Result<Versioned<UserOut>> {
    let mut problems = Vec::new();
    let email = Email::parse(&input.email)
        .map_err(|e| problems.push(InvalidField::at("/email", e.0)))
        .ok();
    let name = text::required("/display_name", &input.display_name, 200, &mut problems);
    if let SignIn::Password(Err(why)) = &input.sign_in {
        problems.push(InvalidField::at("/password", why.clone()));
    }
    let roles = roles::existing(&mut scope.tx, "/roles", &input.roles, &mut problems)
        .await?
        .unwrap_or_default();
    let Some(email) = email.filter(|_| problems.is_empty()) else {
        return Err(Error::Invalid(problems));
    };
    access::require_roles(scope, &roles, "grant these roles").await?;
    let (password_hash, invite_hash) = match &input.sign_in {
        SignIn::Password(hash) => (hash.as_deref().ok(), None),
        SignIn::Invitation(digest) => (None, Some(digest.as_slice())),
    };
    let id = Uuid::now_v7();
    let new = db::users::NewUser {
        id,
        email: email.as_str(),
        display_name: &name,
        password_hash,
        status: if password_hash.is_some() {
            ACTIVE
        } else {
            INVITED
        },
        invite_hash,
    };
    let user = match db::users::insert(&mut scope.tx, &new).await {
        Err(e) if db::constraint_of(&e) == Some("users_email_uq") => {
            return Err(Error::conflict(
                "email-taken",
                "A user with this e-mail already exists.",
            ));
        }
        other => other?,
    };
    db::users::set_roles(&mut scope.tx, id, &roles).await?;
    let out = user_out(user, roles);
    scope
        .record(Change::of(EventType::UserInvited, "user", id).after(snapshot(&out.value)))
        .await?;
    scope.policies_changed();
    Ok(out)
}

/// [`invite`], and for an invitation the mail that brings the invitee its `link` (the
/// console's page for choosing a password, with the token), queued in the same transaction.
pub async fn invite_and_mail(
    scope: &mut Scope,
    cipher: &db::crypto::TenantCipher,
    input: NewUser,
    link: &str,
) -> Result<Versioned<UserOut>> {
    let invited = matches!(input.sign_in, SignIn::Invitation(_));
    let user = invite(scope, input).await?;
    if invited {
        let (tenant, locale) = crate::platform_mail::tenant_voice(scope).await?;
        let letter =
            crate::platform_mail::invitation(locale, &tenant, &user.value.display_name, link);
        let kind = crate::platform_mail::MailKind::Invitation;
        crate::platform_mail::queue(scope, cipher, kind, &user.value.email, &letter).await?;
    }
    Ok(user)
}

/// Accepts the invitation whose token has `invite_digest`: the user gets the password
/// (already judged and hashed) and becomes active. Returns the user; not found when no
/// invitation is open under that token.
pub async fn accept_invitation(
    scope: &mut Scope,
    invite_digest: &[u8],
    password_hash: &str,
) -> Result<Uuid> {
    let user = db::users::accept_invite(&mut scope.tx, invite_digest, password_hash)
        .await?
        .ok_or(Error::NotFound)?;
    scope
        .record(Change::of(EventType::UserInviteAccepted, "user", user))
        .await?;
    Ok(user)
}
