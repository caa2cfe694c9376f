//! `/calendar/connections` (issue 18): the signed-in user's connected Google and Outlook
//! calendars with each one's sync health (token age, push channel expiry, last success, last
//! error, the events set aside), a button to connect each provider the platform is registered
//! with, and one to disconnect. Connecting goes to the provider's page and back to
//! `/calendar/connections/{provider}/callback`, which finishes it. The flows are the API's
//! own (`services::calendar::connections`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::calendar::connections::{self, ConnectionOut, ConnectionStart};
use uuid::Uuid;

use super::admin::Fields;
use crate::page::{Page, PageResult, encode_component};
use crate::render::{Chrome, html};

/// One provider on the page: connected (with its health) or not.
pub struct ProviderCard {
    pub provider: &'static str,
    pub connection: Option<ConnectionOut>,
}

#[derive(Template)]
#[template(path = "calendar_connections.html")]
struct ConnectionsPage {
    c: Chrome,
    cards: Vec<ProviderCard>,
    /// The notice of what just happened: (Bootstrap colour, message key).
    notice: Option<(&'static str, &'static str)>,
}

/// The page that takes the user on to the provider: the console's forms may only post to
/// itself (`form-action 'self'`, which also holds for a form's redirects), so the form answers
/// this page, which goes on by itself (or by its link).
#[derive(Template)]
#[template(path = "calendar_connections_leave.html")]
struct LeavingPage {
    c: Chrome,
    provider: String,
    url: String,
}

/// What the page was sent back with.
#[derive(Debug, Default, Deserialize)]
pub struct Outcome {
    outcome: Option<String>,
}

fn notice_of(outcome: Option<&str>) -> Option<(&'static str, &'static str)> {
    Some(match outcome? {
        "connected" => ("success", "connections-connected"),
        "disconnected" => ("success", "connections-disconnected"),
        "disconnected-unrevoked" => ("warning", "connections-disconnected-unrevoked"),
        "refused" => ("danger", "connections-refused"),
        "expired" => ("warning", "connections-expired"),
        "not-configured" => ("danger", "connections-not-configured"),
        _ => return None,
    })
}

/// `GET /calendar/connections`
pub async fn show(mut page: Page, Query(q): Query<Outcome>) -> PageResult {
    page.require("calendar.view").await?;
    let mut connected = connections::list(&mut page.ctx).await?;
    let configured = page.app.config.calendar_providers.configured();
    let mut cards: Vec<ProviderCard> = configured
        .iter()
        .map(|k| ProviderCard {
            provider: k.as_str(),
            connection: None,
        })
        .collect();
    for card in &mut cards {
        if let Some(i) = connected.iter().position(|c| c.provider == card.provider) {
            card.connection = Some(connected.remove(i));
        }
    }
    // A connection to a provider no longer registered still shows, to be disconnected.
    cards.extend(connected.into_iter().map(|c| {
        ProviderCard {
            provider: services::calendar::providers::ProviderKind::parse(&c.provider)
                .map_or("other", |k| k.as_str()),
            connection: Some(c),
        }
    }));
    let body = ConnectionsPage {
        c: Chrome::new(&page, "calendar", "connections-title"),
        cards,
        notice: notice_of(q.outcome.as_deref()),
    };
    page.ctx.done();
    Ok(html(&body))
}

fn back(outcome: &str) -> axum::response::Response {
    Redirect::to(&format!("/calendar/connections?outcome={outcome}")).into_response()
}

/// `POST /calendar/connections`: starts connecting the provider chosen; the browser goes on
/// to the provider's page.
pub async fn start(mut page: Page, headers: HeaderMap, Form(f): Form<Fields>) -> PageResult {
    page.require("calendar.view").await?;
    let cipher = page.cipher().await?;
    let start = ConnectionStart {
        provider: f.one("provider").trim().to_owned(),
    };
    let redirect = callback(&page, &headers, &start.provider);
    let providers = &page.app.config.calendar_providers;
    match connections::start(&mut page.ctx, &cipher, providers, &start, &redirect).await {
        Ok(out) => {
            let body = LeavingPage {
                c: Chrome::new(&page, "calendar", "connections-title"),
                provider: out.provider,
                url: out.authorize_url,
            };
            page.ctx.commit().await?;
            Ok(html(&body))
        }
        Err(services::Error::Invalid(_) | services::Error::Conflict { .. }) => {
            Ok(back("not-configured"))
        }
        Err(e) => Err(e.into()),
    }
}

fn callback(page: &Page, headers: &HeaderMap, provider: &str) -> String {
    let base = api::http::public_base(&page.app, headers);
    api::routes::calendar_connections::callback_url(&base, &encode_component(provider))
}

/// What a provider sends the user back with: a code and the state, or an error (the user
/// said no).
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /calendar/connections/{provider}/callback`
pub async fn finish(
    mut page: Page,
    headers: HeaderMap,
    Path(provider): Path<String>,
    Query(q): Query<Callback>,
) -> PageResult {
    page.require("calendar.view").await?;
    let (Some(code), Some(state), None) = (q.code, q.state, q.error) else {
        return Ok(back("refused"));
    };
    let cipher = page.cipher().await?;
    let redirect = callback(&page, &headers, &provider);
    let app = page.app.clone();
    let providers = &app.config.calendar_providers;
    let done = connections::finish(
        &mut page.ctx,
        &cipher,
        providers,
        &app.oauth,
        &provider,
        &code,
        &state,
        &redirect,
    )
    .await;
    match done {
        Ok(_) => {
            page.ctx.commit().await?;
            Ok(back("connected"))
        }
        Err(services::Error::Conflict { code, .. }) => Ok(back(match code {
            "calendar-authorization-expired" => "expired",
            "calendar-provider-not-configured" => "not-configured",
            _ => "refused",
        })),
        Err(services::Error::Invalid(_)) => Ok(back("not-configured")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /calendar/connections/{id}/disconnect`
pub async fn disconnect(mut page: Page, Path(id): Path<Uuid>) -> PageResult {
    page.require("calendar.view").await?;
    let cipher = page.cipher().await?;
    let app = page.app.clone();
    let out = connections::disconnect(
        &mut page.ctx,
        &cipher,
        &app.config.calendar_providers,
        &app.oauth,
        id,
    )
    .await?;
    page.ctx.commit().await?;
    Ok(back(if out.revoked {
        "disconnected"
    } else {
        "disconnected-unrevoked"
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_its_notice_and_others_none() {
        for o in [
            "connected",
            "disconnected",
            "disconnected-unrevoked",
            "refused",
            "expired",
            "not-configured",
        ] {
            assert!(notice_of(Some(o)).is_some(), "{o}");
        }
        assert_eq!(notice_of(Some("<script>")), None);
        assert_eq!(notice_of(None), None);
    }
}
