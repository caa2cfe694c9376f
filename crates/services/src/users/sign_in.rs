//! The records of signing in and out. Sessions and tokens are the API's (it issues them);
//! what happened to them is recorded here, with the user as the actor.

use domain::EventType;
use uuid::Uuid;

use crate::{Change, Result, Scope};

/// Records that `user` signed in.
pub async fn signed_in(scope: &mut Scope, user: Uuid) -> Result<()> {
    scope
        .record(Change::of(EventType::SignedIn, "user", user))
        .await
}

/// Ends a session the user signs out of; recorded when it was still open.
pub async fn sign_out(scope: &mut Scope, session: Uuid) -> Result<()> {
    if db::sessions::revoke(&mut scope.tx, session, "logout").await? {
        scope
            .record(Change::of(EventType::SignedOut, "session", session))
            .await?;
    }
    Ok(())
}

/// Ends a session whose refresh token was presented twice (someone holds a stolen copy);
/// recorded when it was still open.
pub async fn end_reused_session(scope: &mut Scope, session: Uuid) -> Result<()> {
    if db::sessions::revoke(&mut scope.tx, session, "refresh token reuse").await? {
        scope
            .record(Change::of(
                EventType::RefreshReuseDetected,
                "session",
                session,
            ))
            .await?;
    }
    Ok(())
}
