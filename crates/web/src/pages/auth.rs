//! Signing in and out, and accepting an invitation: the API's session flows
//! (`api::auth::sessions`) behind forms, the token pair kept in cookies.

use api::auth::sessions::{self, Caller, TokenResponse};
use api::http::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::cookies;
use crate::csrf::CsrfToken;
use crate::i18n::{Arg, Locale};
use crate::render::{Plain, html_with};
use crate::session::{clear_pair, set_pair};
use crate::state::WebState;

/// One field of a sign-in form.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Plain,
    message: Option<String>,
    next: String,
    fields: Vec<Field>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub(super) fn locale(headers: &HeaderMap) -> Locale {
    Locale::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Where to go after signing in: a path of this site, never another site.
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local { next } else { "/" }
}

fn login_page(
    ws: &WebState,
    headers: &HeaderMap,
    csrf: String,
    form: &LoginForm,
    error: Option<&ApiError>,
) -> LoginPage {
    let locale = locale(headers);
    let field_error = |pointer: &str| {
        error
            .into_iter()
            .flat_map(|e| e.errors.iter())
            .find(|f| f.pointer == pointer)
            .map(|f| f.detail.clone())
    };
    let message = error.map(|e| match e.code {
        "invalid-credentials" => locale.t("login-failed"),
        "rate-limited" => locale.t_with(
            "login-rate-limited",
            &[("seconds", Arg::Number(e.retry_after.unwrap_or(60) as i64))],
        ),
        "validation-failed" => locale.t("form-has-errors"),
        _ => locale.t("error-internal-detail"),
    });
    let field = |name, key: &str, kind, value: &str, autocomplete| Field {
        name,
        label: locale.t(key),
        kind,
        value: value.to_owned(),
        autocomplete,
        error: field_error(&format!("/{name}")),
    };
    LoginPage {
        c: Plain::new(&ws.assets, locale, csrf, "login-title"),
        message,
        next: safe_next(&form.next).to_owned(),
        fields: vec![
            field(
                "tenant",
                "login-tenant",
                "text",
                &form.tenant,
                "organization",
            ),
            field("email", "login-email", "email", &form.email, "username"),
            field(
                "password",
                "login-password",
                "password",
                "",
                "current-password",
            ),
        ],
    }
}

/// `GET /login`
pub async fn show(
    State(ws): State<WebState>,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Query(q): Query<NextQuery>,
) -> Response {
    let form = LoginForm {
        next: q.next.unwrap_or_else(|| "/".to_owned()),
        ..Default::default()
    };
    html_with(
        StatusCode::OK,
        &login_page(&ws, &headers, csrf.0, &form, None),
    )
}

/// `POST /login`
pub async fn submit(
    State(ws): State<WebState>,
    caller: Caller,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Form(form): Form<LoginForm>,
) -> Response {
    let password = form.password.clone();
    match sessions::sign_in(&ws.app, &caller, &form.tenant, &form.email, password).await {
        Ok(pair) => signed_in(&ws, &pair, safe_next(&form.next)),
        Err(e) => {
            let status = match e.code {
                "validation-failed" => StatusCode::UNPROCESSABLE_ENTITY,
                "internal" => StatusCode::INTERNAL_SERVER_ERROR,
                _ => e.status,
            };
            html_with(status, &login_page(&ws, &headers, csrf.0, &form, Some(&e)))
        }
    }
}

/// 303 to `next` with the session's cookies.
fn signed_in(ws: &WebState, pair: &TokenResponse, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    for cookie in set_pair(ws, pair) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /logout`: ends the session (its access tokens stop working at once) and clears
/// the cookies.
pub async fn sign_out(State(ws): State<WebState>, caller: Caller, headers: HeaderMap) -> Response {
    if let Some(refresh) = cookies::get(&headers, cookies::REFRESH)
        && let Err(e) = sessions::sign_out(&ws.app, &caller, refresh).await
    {
        return crate::errors::page(&headers, e);
    }
    let mut response = Redirect::to("/login").into_response();
    for cookie in clear_pair(&ws) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    c: Plain,
    token: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct InvitationQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
pub struct InvitationForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// `GET /invitation?token=…`: choose a password.
pub async fn show_invitation(
    State(ws): State<WebState>,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Query(q): Query<InvitationQuery>,
) -> Response {
    let page = InvitationPage {
        c: Plain::new(&ws.assets, locale(&headers), csrf.0, "invitation-title"),
        token: q.token,
        error: None,
    };
    html_with(StatusCode::OK, &page)
}

/// `POST /invitation`: the new user's first session.
pub async fn accept_invitation(
    State(ws): State<WebState>,
    caller: Caller,
    headers: HeaderMap,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    Form(form): Form<InvitationForm>,
) -> Response {
    match sessions::accept_invitation(&ws.app, &caller, &form.token, form.password).await {
        Ok(pair) => signed_in(&ws, &pair, "/"),
        Err(e) if e.code == "validation-failed" || e.code == "not-found" => {
            let locale = locale(&headers);
            let error = match e.code {
                "not-found" => locale.t("invitation-unknown"),
                _ => e
                    .errors
                    .first()
                    .map(|f| f.detail.clone())
                    .unwrap_or(e.detail),
            };
            let page = InvitationPage {
                c: Plain::new(&ws.assets, locale, csrf.0, "invitation-title"),
                token: form.token,
                error: Some(error),
            };
            html_with(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => crate::errors::page(&headers, e),
    }
}
