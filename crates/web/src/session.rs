//! The signed-in browser: the API's token pair kept in cookies. Each console request is
//! authenticated from the access cookie; once it has expired, the refresh cookie is exchanged
//! for a new pair on the way (silently) and the new cookies go back with the answer. Signing in
//! and out are the API's own flows (`api::auth::sessions`), called with the form's fields.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::auth::principal::Principal;
use api::auth::sessions::{self, Caller, TokenResponse};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::cookies;
use crate::state::WebState;

/// How long a refresh answer is kept for the same browser's other requests in flight: they
/// present the same (now used) refresh token, and would otherwise end the session as a reuse.
const SHARE_REFRESH_FOR: Duration = Duration::from_secs(30);

/// Refreshes done lately in this process, by refresh token.
#[derive(Clone, Default)]
pub struct Refreshes(Arc<Mutex<HashMap<String, (Instant, TokenResponse)>>>);

impl Refreshes {
    fn recent(&self, refresh: &str) -> Option<TokenResponse> {
        let mut map = self.0.lock().ok()?;
        map.retain(|_, (at, _)| at.elapsed() < SHARE_REFRESH_FOR);
        map.get(refresh).map(|(_, pair)| pair.clone())
    }

    fn keep(&self, refresh: &str, pair: &TokenResponse) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(refresh.to_owned(), (Instant::now(), pair.clone()));
        }
    }
}

/// Authenticates a console request from its cookies (refreshing them when needed) and stores
/// the `Principal` for the page extractor; a request without a live session goes on without
/// one, and the page sends it to `/login`.
pub async fn attach(State(ws): State<WebState>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let access = cookies::get(headers, cookies::ACCESS).and_then(|t| ws.app.tokens.verify(t));
    if let Some(claims) = access {
        req.extensions_mut().insert(Principal::User {
            tenant: claims.tid,
            user: claims.sub,
            session: claims.sid,
        });
        return next.run(req).await;
    }
    let Some(refresh) = cookies::get(headers, cookies::REFRESH).map(str::to_owned) else {
        return next.run(req).await;
    };
    let pair = match ws.refreshes.recent(&refresh) {
        Some(pair) => Some(pair),
        None => {
            let (mut parts, body) = req.into_parts();
            let Ok(who) = Caller::from_request_parts(&mut parts, &ws).await;
            req = Request::from_parts(parts, body);
            match sessions::refresh(&ws.app, &who, &refresh).await {
                Ok(pair) => {
                    ws.refreshes.keep(&refresh, &pair);
                    Some(pair)
                }
                Err(_) => None,
            }
        }
    };
    let claims = pair
        .as_ref()
        .and_then(|p| ws.app.tokens.verify(&p.access_token));
    if let Some(claims) = claims {
        req.extensions_mut().insert(Principal::User {
            tenant: claims.tid,
            user: claims.sub,
            session: claims.sid,
        });
    }
    let mut response = next.run(req).await;
    let jar = ws.jar();
    let set = response.headers_mut();
    match pair {
        Some(pair) => {
            for cookie in set_pair(&ws, &pair) {
                set.append(header::SET_COOKIE, cookie);
            }
        }
        None => {
            set.append(header::SET_COOKIE, jar.clear(cookies::ACCESS));
            set.append(header::SET_COOKIE, jar.clear(cookies::REFRESH));
        }
    }
    response
}

/// The two `Set-Cookie` values of a new pair.
pub fn set_pair(ws: &WebState, pair: &TokenResponse) -> [axum::http::HeaderValue; 2] {
    let jar = ws.jar();
    let refresh_age = ws.app.config.refresh_token_ttl.as_secs();
    [
        jar.set(cookies::ACCESS, &pair.access_token, pair.expires_in),
        jar.set(cookies::REFRESH, &pair.refresh_token, refresh_age),
    ]
}

/// The `Set-Cookie` values that sign the browser out.
pub fn clear_pair(ws: &WebState) -> [axum::http::HeaderValue; 2] {
    let jar = ws.jar();
    [jar.clear(cookies::ACCESS), jar.clear(cookies::REFRESH)]
}
