//! The console's error pages: the API's problem (status, type and detail) shown as a page in
//! the visitor's language, with a way back. The same problem codes as the JSON API.

use api::http::ApiError;
use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::assets::Assets;
use crate::i18n::Locale;
use crate::render::{Plain, html_with};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Plain,
    status: u16,
    heading: String,
    detail: String,
    code: &'static str,
}

fn locale_of(headers: &HeaderMap) -> Locale {
    Locale::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A problem a handler answered with, before it is rendered (see [`render_problems`]).
#[derive(Debug, Clone)]
struct Problem {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
}

/// An answer standing for `error`, rendered as a page by [`render_problems`].
pub fn problem_response(error: ApiError) -> Response {
    let mut response = error.status.into_response();
    response.extensions_mut().insert(Problem {
        status: error.status,
        code: error.code,
        title: error.title,
        detail: error.detail,
    });
    response
}

/// Renders the problems handlers answered with as pages in the browser's language.
pub async fn render_problems(req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let response = next.run(req).await;
    match response.extensions().get::<Problem>().cloned() {
        Some(p) => {
            let error = ApiError::new(p.status, p.code, p.title, p.detail);
            page(&headers, error)
        }
        None => response,
    }
}

/// The page for a problem.
pub fn page(headers: &HeaderMap, error: ApiError) -> Response {
    let locale = locale_of(headers);
    let (heading, detail) = match error.code {
        "forbidden" => (
            locale.t("error-forbidden"),
            locale.t("error-forbidden-detail"),
        ),
        "not-found" => (
            locale.t("error-not-found"),
            locale.t("error-not-found-detail"),
        ),
        "csrf" => (locale.t("error-csrf"), locale.t("error-csrf-detail")),
        "internal" | "unavailable" | "busy" | "timeout" => (
            locale.t("error-internal"),
            locale.t("error-internal-detail"),
        ),
        _ => (error.title.to_owned(), error.detail.clone()),
    };
    let template = ErrorPage {
        c: Plain::new(assets(), locale, String::new(), "error-title"),
        status: error.status.as_u16(),
        heading,
        detail,
        code: error.code,
    };
    html_with(error.status, &template)
}

/// The assets as loaded by the console (error pages may be shown before any state).
fn assets() -> &'static Assets {
    ASSETS.get_or_init(Assets::default)
}

static ASSETS: std::sync::OnceLock<Assets> = std::sync::OnceLock::new();

/// Remembers the console's assets for error pages (called once when the console is built).
pub fn use_assets(assets: &Assets) {
    let _ = ASSETS.set(assets.clone());
}

/// 404 for a path that is neither the API's nor a console page.
pub fn not_found(headers: &HeaderMap) -> Response {
    page(headers, ApiError::not_found())
}

/// 403 for a state-changing request without the right CSRF token.
pub fn forbidden_csrf(headers: &HeaderMap) -> Response {
    page(
        headers,
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "Request refused",
            "The form's security token is missing or does not match.",
        ),
    )
}
