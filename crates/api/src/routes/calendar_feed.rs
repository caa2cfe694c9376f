//! The signed-in user's iCal feed: `POST /api/v1/me/calendar-feed` issues a secret URL (shown
//! once; a new one replaces the old), `GET` tells whether there is one and when a calendar
//! application last read it, `DELETE` revokes it. The URL itself (`/ical/<token>.ics`) is
//! answered by the console. Needs `calendar.view`; an API key has no calendar feed.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use services::calendar::feed::{self, FeedOut};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::auth::secrets::{digest, random_token, with_tenant};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, public_base};
use crate::state::AppState;

/// The prefix of a feed's token.
pub const FEED_PREFIX: &str = "ics";

/// A new feed token for `tenant` (`ics_<tenant>_<random>`, naming its tenant so the feed can
/// be found under row-level security) and the hash that is stored of it.
pub fn new_token(tenant: uuid::Uuid) -> (String, Vec<u8>) {
    let token = with_tenant(FEED_PREFIX, tenant, &random_token());
    let hash = digest(&token);
    (token, hash)
}

/// Where a calendar application reads the feed of `token`, under the service's address `base`.
pub fn feed_url(base: &str, token: &str) -> String {
    format!("{base}/ical/{token}.ics")
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(feed_status, issue_feed, revoke_feed))
}

/// A feed just issued: its secret URL, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedFeed {
    /// Subscribe to it in any calendar application; whoever has it reads your calendar.
    pub url: String,
    #[serde(flatten)]
    pub feed: FeedOut,
}

/// Whether you have a calendar feed, since when, and when it was last read.
#[utoipa::path(get, path = "/me/calendar-feed", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    responses((status = 200, description = "Your feed (`active` false when you have none)", body = FeedOut)))]
async fn feed_status(mut ctx: Ctx) -> ApiResult<ApiJson<FeedOut>> {
    ctx.require("calendar.view").await?;
    let out = feed::status(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Issues your calendar feed's secret URL; the previous one, if any, stops working.
#[utoipa::path(post, path = "/me/calendar-feed", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    responses((status = 201, description = "The feed and its URL, shown this once", body = IssuedFeed)))]
async fn issue_feed(
    State(state): State<AppState>,
    mut ctx: Ctx,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, ApiJson<IssuedFeed>)> {
    ctx.require("calendar.view").await?;
    let (token, hash) = new_token(ctx.tenant());
    let out = feed::issue(&mut ctx, &hash).await?;
    ctx.commit().await?;
    let url = feed_url(&public_base(&state, &headers), &token);
    Ok((StatusCode::CREATED, ApiJson(IssuedFeed { url, feed: out })))
}

/// Revokes your calendar feed: its URL stops working at once.
#[utoipa::path(delete, path = "/me/calendar-feed", tag = "calendar", security(("bearer" = [])),
    extensions(("x-permission" = json!("calendar.view"))),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "You have no feed (`not-found`).")))]
async fn revoke_feed(mut ctx: Ctx) -> ApiResult<StatusCode> {
    ctx.require("calendar.view").await?;
    feed::revoke(&mut ctx).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
