//! Each tenant's sending channels (`email`, `whatsapp`, `sms`): its SMTP server, WhatsApp
//! Business number and Twilio account, secrets sealed with the tenant's data key and never
//! read back. Administrators only (`tenant.settings`).

use axum::extract::{Path, State};
use services::communications::channels::{ChannelInput, ChannelOut};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::clients::cipher;
use crate::auth::Ctx;
use crate::http::ApiJson;
use crate::http::problem::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels))
        .routes(routes!(get_channel, put_channel))
}

/// Every channel with a provider, set or not: which secrets are stored, never their values.
#[utoipa::path(get, path = "/channels", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("tenant.settings"))),
    responses((status = 200, description = "E-mail, WhatsApp and SMS", body = Vec<ChannelOut>)))]
async fn list_channels(
    State(state): State<AppState>,
    mut ctx: Ctx,
) -> ApiResult<ApiJson<Vec<ChannelOut>>> {
    ctx.require("tenant.settings").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let channels = services::communications::channels::list(&mut ctx, &cipher).await?;
    ctx.done();
    Ok(ApiJson(channels))
}

/// One channel's settings.
#[utoipa::path(get, path = "/channels/{channel}", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("tenant.settings"))),
    params(("channel" = String, Path, description = "`email`, `whatsapp` or `sms`")),
    responses(
        (status = 200, description = "The channel's settings", body = ChannelOut),
        (status = 404, description = "No such channel")))]
async fn get_channel(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(channel): Path<String>,
) -> ApiResult<ApiJson<ChannelOut>> {
    ctx.require("tenant.settings").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let out = services::communications::channels::get(&mut ctx, &cipher, &channel).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Sets a channel: members of another channel are refused, a secret left out keeps the
/// stored one, an empty text clears a member, and enabling needs the channel's required
/// members.
#[utoipa::path(put, path = "/channels/{channel}", tag = "communications", security(("bearer" = [])),
    extensions(("x-permission" = json!("tenant.settings"))),
    params(("channel" = String, Path, description = "`email`, `whatsapp` or `sms`")),
    request_body = ChannelInput,
    responses(
        (status = 200, description = "The channel's settings as stored", body = ChannelOut),
        (status = 404, description = "No such channel")))]
async fn put_channel(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(channel): Path<String>,
    ApiJson(input): ApiJson<ChannelInput>,
) -> ApiResult<ApiJson<ChannelOut>> {
    ctx.require("tenant.settings").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let out = services::communications::channels::put(&mut ctx, &cipher, &channel, input).await?;
    ctx.commit().await?;
    Ok(ApiJson(out))
}
