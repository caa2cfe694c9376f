//! `/clients/{id}/communications`: the client's communications tab, its conversation across
//! e-mail, WhatsApp, SMS and calls in one thread, newest first (the order of the service's
//! pages; "load more" brings older ones). Each message shows its channel, direction, delivery
//! status (the reason when it failed), sentiment and time, and the thread refreshes itself
//! when a `communication.*` event of this client arrives on the live stream
//! (`data-live-refresh`). Beside it the compose and call forms (`communications_compose`). The
//! other pages: the inbox (`communications_inbox`), the template editor
//! (`communications_templates`) and the channel settings (`communications_channels`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query};
use axum::routing::{get, post};
use serde::Deserialize;
use services::communications::{CommunicationFilter, CommunicationQuery};
use uuid::Uuid;

use super::communications_compose::{self as compose, Compose};
use super::communications_view::{MessageItem, Names, item};
use super::{communications_channels, communications_inbox, communications_templates};
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult, encode_component};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html};
use crate::state::WebState;

/// The communications routes (each page checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/clients/{id}/communications",
            get(show).post(compose::send),
        )
        .route("/clients/{id}/communications/thread", get(thread))
        .route(
            "/clients/{id}/communications/preview",
            get(compose::preview),
        )
        .route("/communications", get(communications_inbox::list))
        .route(
            "/communications/{id}/seen",
            post(communications_inbox::mark_seen),
        )
        .route(
            "/templates",
            get(communications_templates::list).post(communications_templates::create),
        )
        .route("/templates/new", get(communications_templates::new))
        .route(
            "/templates/{id}",
            get(communications_templates::show).post(communications_templates::update),
        )
        .route(
            "/templates/{id}/delete",
            post(communications_templates::delete),
        )
        .route("/admin/channels", get(communications_channels::show))
        .route(
            "/admin/channels/{channel}",
            post(communications_channels::save),
        )
}

/// One page of a client's thread and the link to the older messages.
#[derive(Template)]
#[template(path = "communication_thread.html")]
pub struct ThreadRows {
    pub locale: Locale,
    pub csrf: String,
    pub items: Vec<MessageItem>,
    pub more: Option<String>,
}

impl ThreadRows {
    fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }
}

/// The communications tab of a client.
#[derive(Template)]
#[template(path = "communication_client.html")]
pub(super) struct ConversationPage {
    c: Chrome,
    client_id: Uuid,
    client_name: String,
    thread: ThreadRows,
    /// The thread follows the live stream (the user may read it).
    live: bool,
    /// The forms, for a user who may send.
    compose: Option<Compose>,
    notice: Option<String>,
    /// The client's sentiment month by month (chart data) and the channel it prefers.
    trend: Trend,
}

/// A client's conversation in brief, for the top of its tab.
pub(super) struct Trend {
    /// Chart data: months and the mean sentiment of the client's own messages.
    chart: String,
    /// Months with messages.
    months: usize,
    preferred_channel: Option<String>,
}

/// The trend of `summary`, with labels in `locale`.
fn trend(
    summary: &services::communications::kpis::ClientConversation,
    locale: crate::i18n::Locale,
) -> Trend {
    let chart = serde_json::json!({
        "labels": summary.months.iter().map(|m| m.month.format("%Y-%m").to_string()).collect::<Vec<_>>(),
        "series": [{
            "label": locale.t("comm-sentiment-series"),
            "values": summary.months.iter().map(|m| m.sentiment).collect::<Vec<_>>(),
        }],
    });
    Trend {
        chart: chart.to_string(),
        months: summary.months.len(),
        preferred_channel: summary
            .preferred_channel
            .as_ref()
            .map(|c| locale.t(&format!("comms-channel-{c}"))),
    }
}

/// What the thread may be given: the page after `cursor`.
#[derive(Debug, Default, Deserialize)]
pub struct ThreadQuery {
    cursor: Option<String>,
    /// `sent` or `logged`: what the form just did.
    notice: Option<String>,
}

/// The client's name; [`services::Error::NotFound`] when the tenant has no such client.
pub async fn client_name(page: &mut Page, id: Uuid) -> Result<String, PageError> {
    let cipher = page.cipher().await?;
    Ok(services::clients::get(&mut page.ctx, &cipher, id)
        .await?
        .value
        .company_name)
}

/// One page of the client's thread, its contacts and authors named.
pub async fn thread_rows(
    page: &mut Page,
    client: Uuid,
    cursor: Option<String>,
) -> Result<ThreadRows, PageError> {
    let q = CommunicationQuery {
        cursor: cursor.filter(|c| !c.trim().is_empty()),
        ..CommunicationQuery::default()
    };
    let (_, request) = q.parse()?;
    let found = services::communications::list_of_client(
        &mut page.ctx,
        client,
        &CommunicationFilter::default(),
        &request,
    )
    .await?;
    let names = Names {
        contacts: super::contacts::of_client(page, client)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        users: services::users::owners(&mut page.ctx)
            .await?
            .into_iter()
            .collect(),
        ..Names::default()
    };
    let locale = page.locale;
    Ok(ThreadRows {
        locale,
        csrf: page.csrf.clone(),
        items: found
            .data
            .into_iter()
            .map(|m| item(locale, m, &names))
            .collect(),
        more: found.next_cursor.map(|c| {
            format!(
                "/clients/{client}/communications/thread?cursor={}",
                encode_component(&c)
            )
        }),
    })
}

/// `GET /clients/{id}/communications`: the thread, and the forms for a user who may send.
pub async fn show(
    mut page: Page,
    Path(id): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> PageResult {
    page.require("communications.view").await?;
    let id = parse_id(&id)?;
    let body = conversation(&mut page, id, q.notice.as_deref(), None).await?;
    page.ctx.done();
    Ok(html(&body))
}

/// The tab's page; `compose` given when a form comes back refused.
pub(super) async fn conversation(
    page: &mut Page,
    id: Uuid,
    notice: Option<&str>,
    compose: Option<Compose>,
) -> Result<ConversationPage, PageError> {
    let client_name = client_name(page, id).await?;
    let summary = services::communications::kpis::client_conversation(&mut page.ctx, id).await?;
    let trend = trend(&summary, page.locale);
    let thread = thread_rows(page, id, None).await?;
    let compose = match compose {
        Some(refused) => Some(refused),
        None if page.can("communications.send") => Some(Compose::blank(page, id).await?),
        None => None,
    };
    let notice = match notice {
        Some("sent") => Some(page.locale.t("comm-notice-sent")),
        Some("logged") => Some(page.locale.t("comm-notice-logged")),
        _ => None,
    };
    Ok(ConversationPage {
        c: Chrome::new(page, "clients", "comm-client-title"),
        client_id: id,
        client_name,
        thread,
        live: page.can("timeline.view"),
        compose,
        notice,
        trend,
    })
}

/// `GET /clients/{id}/communications/thread`: the thread alone (htmx: the live refresh and
/// "load more").
pub async fn thread(
    mut page: Page,
    Path(id): Path<String>,
    Query(q): Query<ThreadQuery>,
) -> PageResult {
    page.require("communications.view").await?;
    let id = parse_id(&id)?;
    let rows = thread_rows(&mut page, id, q.cursor).await?;
    page.ctx.done();
    Ok(html(&rows))
}
