//! "Forgot your password?": ask for a reset link by company and e-mail (`/forgot-password`),
//! then choose a new password with the mailed link (`/reset-password?token=…`). The API's own
//! flows (`api::auth::sessions`); neither page tells whether an account exists.

use api::auth::sessions::{self, Caller};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::auth::locale;
use crate::csrf::CsrfToken;
use crate::render::{Plain, html_with};
use crate::state::WebState;

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    c: Plain,
    tenant: String,
    email: String,
    /// After a request: the answer, the same whether or not the account exists.
    sent: bool,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    email: String,
}

/// `GET /forgot-password`.
pub async fn show_forgot(
    State(ws): State<WebState>,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
) -> Response {
    let page = ForgotPage {
        c: Plain::new(&ws.assets, locale(&headers), csrf.0, "forgot-title"),
        tenant: String::new(),
        email: String::new(),
        sent: false,
        error: None,
    };
    html_with(StatusCode::OK, &page)
}

/// `POST /forgot-password`: mails a reset link when the account exists.
pub async fn request(
    State(ws): State<WebState>,
    caller: Caller,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Form(form): Form<ForgotForm>,
) -> Response {
    let locale = locale(&headers);
    let base = api::http::public_base(&ws.app, &headers);
    let outcome =
        sessions::request_password_reset(&ws.app, &caller, &form.tenant, &form.email, &base).await;
    let (status, sent, error) = match outcome {
        Ok(()) => (StatusCode::OK, true, None),
        Err(e) if e.code == "validation-failed" => {
            let detail = e
                .errors
                .first()
                .map(|f| f.detail.clone())
                .unwrap_or(e.detail);
            (StatusCode::UNPROCESSABLE_ENTITY, false, Some(detail))
        }
        Err(e) if e.code == "rate-limited" => (
            StatusCode::TOO_MANY_REQUESTS,
            false,
            Some(locale.t("forgot-rate-limited")),
        ),
        Err(e) => return crate::errors::page(&headers, e),
    };
    let page = ForgotPage {
        c: Plain::new(&ws.assets, locale, csrf.0, "forgot-title"),
        tenant: form.tenant,
        email: form.email,
        sent,
        error,
    };
    html_with(status, &page)
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    c: Plain,
    token: String,
    done: bool,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// `GET /reset-password?token=…`: choose a new password.
pub async fn show_reset(
    State(ws): State<WebState>,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Query(q): Query<ResetQuery>,
) -> Response {
    let page = ResetPage {
        c: Plain::new(&ws.assets, locale(&headers), csrf.0, "reset-title"),
        token: q.token,
        done: false,
        error: None,
    };
    html_with(StatusCode::OK, &page)
}

/// `POST /reset-password`: sets the password; the user then signs in with it.
pub async fn reset(
    State(ws): State<WebState>,
    caller: Caller,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Form(form): Form<ResetForm>,
) -> Response {
    let locale = locale(&headers);
    let outcome = sessions::reset_password(&ws.app, &caller, &form.token, form.password).await;
    let (status, done, error) = match outcome {
        Ok(()) => (StatusCode::OK, true, None),
        Err(e) if e.code == "not-found" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            Some(locale.t("reset-unknown")),
        ),
        Err(e) if e.code == "validation-failed" => {
            let detail = e
                .errors
                .first()
                .map(|f| f.detail.clone())
                .unwrap_or(e.detail);
            (StatusCode::UNPROCESSABLE_ENTITY, false, Some(detail))
        }
        Err(e) => return crate::errors::page(&headers, e),
    };
    let page = ResetPage {
        c: Plain::new(&ws.assets, locale, csrf.0, "reset-title"),
        token: form.token,
        done,
        error,
    };
    html_with(status, &page)
}
