//! The user's iCal feed in the console: `/ical/<token>.ics` answers a calendar application
//! (no session: the secret URL is the capability; a revoked or unknown one is not found), and
//! the calendar page issues (`POST /calendar/feed`, showing the URL once) and revokes
//! (`POST /calendar/feed/revoke`) it. The flows are the API's own
//! (`services::calendar::feed`).

use api::auth::secrets::{digest, split_tenant};
use api::routes::calendar_feed::{FEED_PREFIX, feed_url, new_token};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::page::{Page, PageResult};
use crate::render::{Chrome, html};
use crate::state::WebState;

/// `GET /ical/{token}.ics`
pub async fn read(
    State(ws): State<WebState>,
    Path(file): Path<String>,
) -> Result<Response, api::http::ApiError> {
    let not_found = || (StatusCode::NOT_FOUND, "no such calendar feed\n").into_response();
    let Some(token) = file.strip_suffix(".ics") else {
        return Ok(not_found());
    };
    let Some((tenant, _)) = split_tenant(FEED_PREFIX, token) else {
        return Ok(not_found());
    };
    let (mut scope, _) = api::routes::webhooks::system_scope(&ws.app, &tenant.to_string()).await?;
    let text = match services::calendar::feed::read(&mut scope, &digest(token)).await {
        Ok(text) => text,
        Err(services::Error::NotFound) => return Ok(not_found()),
        Err(e) => return Err(e.into()),
    };
    api::routes::webhooks::commit(&ws.app, scope).await?;
    let mut res = text.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "calendar_feed.html")]
struct IssuedPage {
    c: Chrome,
    url: String,
}

/// `POST /calendar/feed`: a new secret URL (the old one stops working), shown once.
pub async fn issue(mut page: Page, headers: HeaderMap) -> PageResult {
    page.require("calendar.view").await?;
    let (token, hash) = new_token(page.ctx.tenant());
    services::calendar::feed::issue(&mut page.ctx, &hash).await?;
    let base = api::http::public_base(&page.app, &headers);
    let body = IssuedPage {
        c: Chrome::new(&page, "calendar", "calendar-feed-title"),
        url: feed_url(&base, &token),
    };
    page.ctx.commit().await?;
    Ok(html(&body))
}

/// `POST /calendar/feed/revoke`
pub async fn revoke(mut page: Page) -> PageResult {
    page.require("calendar.view").await?;
    match services::calendar::feed::revoke(&mut page.ctx).await {
        Ok(()) | Err(services::Error::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    page.ctx.commit().await?;
    Ok(Redirect::to("/calendar").into_response())
}
