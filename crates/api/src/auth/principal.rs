//! Authentication: the bearer credential, verified, becomes a `Principal` in the request.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::secrets;
use crate::http::ApiError;
use crate::state::AppState;

pub const API_KEY_PREFIX: &str = "crm";

/// A caller whose credential has been verified cryptographically (its standing in the
/// database is checked by `Ctx`, in the request's transaction).
#[derive(Debug, Clone)]
pub enum Principal {
    User {
        tenant: Uuid,
        user: Uuid,
        session: Uuid,
    },
    ApiKey {
        tenant: Uuid,
        key: Uuid,
        secret: String,
    },
}

impl Principal {
    pub fn tenant(&self) -> Uuid {
        match self {
            Self::User { tenant, .. } | Self::ApiKey { tenant, .. } => *tenant,
        }
    }

    /// A stable name of the caller, for idempotency keys and logs.
    pub fn key(&self) -> String {
        match self {
            Self::User { user, .. } => format!("user:{user}"),
            Self::ApiKey { key, .. } => format!("key:{key}"),
        }
    }
}

/// An API key is `crm_<tenant>_<key id>_<secret>`.
fn parse_api_key(token: &str) -> Option<Principal> {
    let (tenant, rest) = secrets::split_tenant(API_KEY_PREFIX, token)?;
    let (key, secret) = rest.split_once('_')?;
    Some(Principal::ApiKey {
        tenant,
        key: Uuid::try_parse(key).ok()?,
        secret: secret.to_owned(),
    })
}

fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Rejects requests without a valid credential; stores the `Principal` for extractors.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(token) = bearer(&req) else {
        return ApiError::unauthorized("Send `Authorization: Bearer <access token or API key>`.")
            .into_response();
    };
    let principal = if token.starts_with("crm_") {
        parse_api_key(token)
    } else {
        state.tokens.verify(token).map(|c| Principal::User {
            tenant: c.tid,
            user: c.sub,
            session: c.sid,
        })
    };
    match principal {
        Some(p) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        None => ApiError::unauthorized("The credential is invalid or expired.").into_response(),
    }
}
