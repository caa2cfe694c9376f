//! `Ctx`: the authenticated caller with the request's tenant-scoped transaction.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use db::TenantTx;
use db::audit::Actor;
use services::{AfterCommit, Scope};
use subtle::ConstantTimeEq;

use super::principal::Principal;
use super::secrets;
use super::sessions::Caller;
use crate::http::{ApiError, idempotency, request_id};
use crate::state::AppState;

/// The caller of a request, in good standing, with its open transaction: the services'
/// [`Scope`] (which it dereferences to, so handlers pass `&mut ctx` to service functions) and
/// what the API needs around it.
pub struct Ctx {
    scope: Scope,
    pub principal: Principal,
    /// The casbin subject: the user id, or the API key's role.
    subject: String,
    state: AppState,
    /// Set for a request with an `Idempotency-Key`: `commit` hands the transaction back to
    /// the idempotency layer, which stores the response in it before committing.
    deferred: Option<idempotency::Deferred>,
}

impl std::ops::Deref for Ctx {
    type Target = Scope;

    fn deref(&self) -> &Scope {
        &self.scope
    }
}

impl std::ops::DerefMut for Ctx {
    fn deref_mut(&mut self) -> &mut Scope {
        &mut self.scope
    }
}

/// A transaction ready to commit, with what follows its commit.
pub struct Committable {
    pub tx: TenantTx,
    state: AppState,
    after: AfterCommit,
}

impl Committable {
    /// Commits, then publishes the live updates and reloads the policies if they changed.
    pub async fn commit(self) -> Result<(), ApiError> {
        let tenant = self.tx.tenant_id();
        self.tx.commit().await?;
        crate::live::committed(&self.state, tenant, self.after.recorded);
        if self.after.policies_changed {
            self.state.policies_changed().await;
        }
        Ok(())
    }
}

fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(Self {
            ip: client_ip(parts, state.config.trust_forwarded_for)
                .unwrap_or_else(|| "unknown".to_owned()),
            user_agent: user_agent(parts),
        })
    }
}

fn user_agent(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(ctx) = idempotency::prepared(parts) {
            return Ok(ctx);
        }
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("Authentication required."))?;
        let (tx, subject, actor_kind, actor_id) = match &principal {
            Principal::User {
                tenant,
                user,
                session,
            } => {
                let tx = TenantTx::begin_as_user(&state.db, *tenant, *user, *session)
                    .await?
                    .ok_or_else(|| {
                        ApiError::unauthorized(
                            "The session has ended, or the user or tenant is no longer active.",
                        )
                    })?;
                (tx, user.to_string(), "user", *user)
            }
            Principal::ApiKey {
                tenant,
                key,
                secret,
            } => {
                let mut tx = TenantTx::begin(&state.db, *tenant).await?;
                let live = db::principal::live_api_key(&mut tx, *key).await?;
                let valid = live.as_ref().is_some_and(|k| {
                    bool::from(k.secret_hash.as_slice().ct_eq(&secrets::digest(secret)))
                });
                match live {
                    Some(k) if valid => (tx, k.role_name, "api_key", *key),
                    _ => return Err(ApiError::unauthorized("The API key is invalid or revoked.")),
                }
            }
        };
        let span = tracing::Span::current();
        span.record("tenant_id", tracing::field::display(principal.tenant()));
        span.record("user_id", tracing::field::display(actor_id));
        let actor = Actor {
            kind: actor_kind,
            id: Some(actor_id),
            ip: client_ip(parts, state.config.trust_forwarded_for),
            user_agent: user_agent(parts),
            request_id: request_id::current(),
        };
        Ok(Self {
            scope: Scope::new(tx, actor),
            principal,
            subject,
            state: state.clone(),
            deferred: None,
        })
    }
}

impl Ctx {
    /// Whether the caller holds `permission` (what a page shows or hides).
    pub async fn allows(&self, permission: &str) -> bool {
        self.state
            .authz
            .allowed(&self.subject, self.tenant(), permission)
            .await
    }

    /// Fails with 403 unless the caller holds `permission`.
    pub async fn require(&self, permission: &str) -> Result<(), ApiError> {
        if self.allows(permission).await {
            Ok(())
        } else {
            Err(ApiError::forbidden(permission))
        }
    }

    /// Ends a request that only read (no COMMIT round trip on the request's path).
    pub fn done(self) {
        self.scope.done();
    }

    /// Commits the request's changes; with an `Idempotency-Key`, the idempotency layer
    /// commits them together with the response it stores.
    pub async fn commit(self) -> Result<(), ApiError> {
        let (tx, after) = self.scope.into_parts();
        let committable = Committable {
            tx,
            state: self.state,
            after,
        };
        match self.deferred {
            Some(deferred) => {
                deferred.hand_over(committable);
                Ok(())
            }
            None => committable.commit().await,
        }
    }

    /// Makes `commit` hand the transaction to the idempotency layer.
    pub(crate) fn defer_commit(&mut self, deferred: idempotency::Deferred) {
        self.deferred = Some(deferred);
    }

    /// The caller's stable name, for idempotency keys.
    pub(crate) fn principal_key(&self) -> String {
        self.principal.key()
    }
}
