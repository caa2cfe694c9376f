//! `/communications`: the tenant's inbox. The inbound messages nobody has read come first (the
//! service's `unseen` list), each with its "mark as read" button; then every message the
//! filters (channel, direction, status) keep, newest first, in keyset pages ("load more").
//! It refreshes itself when a `communication.*` event arrives on the live stream.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use services::communications::CommunicationQuery;
use uuid::Uuid;

use super::communications_view::{MessageItem, Names, all_of, item};
use super::tickets::client_names;
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html};

/// Most unread messages shown above the list.
const UNREAD_SHOWN: &str = "50";

/// One page of the inbox's list and the link to the next.
#[derive(Template)]
#[template(path = "communications_rows.html")]
struct InboxRows {
    locale: Locale,
    csrf: String,
    /// Where "mark as read" comes back to: the inbox with its filters.
    back: String,
    items: Vec<MessageItem>,
    more: Option<String>,
    /// What an empty list says.
    empty: String,
}

impl InboxRows {
    fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }
}

/// The unread messages and the first page of the list (what a filter change or a live
/// event redraws).
#[derive(Template)]
#[template(path = "communications_inbox.html")]
struct InboxBody {
    locale: Locale,
    /// The unread messages, unless the filters leave inbound ones out.
    unread: Option<InboxRows>,
    rows: InboxRows,
}

impl InboxBody {
    fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }
}

#[derive(Template)]
#[template(path = "communications.html")]
struct InboxPage {
    c: Chrome,
    q: CommunicationQuery,
    body: InboxBody,
    channels: Vec<(&'static str, String)>,
    directions: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    /// The inbox follows the live stream (the user may read it).
    live: bool,
}

impl InboxPage {
    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }
}

/// The inbox's filters as the form sends them: a filter left blank is no filter, and only
/// the filters the inbox offers are kept.
fn filters(q: CommunicationQuery) -> CommunicationQuery {
    let kept = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    CommunicationQuery {
        channel: kept(q.channel),
        direction: kept(q.direction),
        status: kept(q.status),
        cursor: kept(q.cursor),
        ..CommunicationQuery::default()
    }
}

/// The inbox's URL with the filters of `q`, and `cursor` when given.
fn inbox_url(q: &CommunicationQuery, cursor: Option<&str>) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("channel", q.channel.as_deref()),
        ("direction", q.direction.as_deref()),
        ("status", q.status.as_deref()),
        ("cursor", cursor),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if pairs.is_empty() {
        return "/communications".to_owned();
    }
    format!(
        "/communications?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// Whether the filters can keep unread messages at all (they are inbound and `received`).
fn shows_unread(q: &CommunicationQuery) -> bool {
    q.cursor.is_none()
        && q.direction.as_deref().is_none_or(|d| d == "inbound")
        && q.status.as_deref().is_none_or(|s| s == "received")
}

/// The rows of `q`'s page, the clients named.
async fn rows(page: &mut Page, q: &CommunicationQuery) -> Result<InboxRows, PageError> {
    let (filter, request) = q.parse()?;
    let found = services::communications::list(&mut page.ctx, &filter, &request).await?;
    let names = Names {
        clients: client_names(page, found.data.iter().map(|m| m.client_id)).await?,
        ..Names::default()
    };
    let locale = page.locale;
    Ok(InboxRows {
        locale,
        csrf: page.csrf.clone(),
        back: inbox_url(q, None),
        empty: locale.t("comm-inbox-none"),
        more: found.next_cursor.as_deref().map(|c| inbox_url(q, Some(c))),
        items: found
            .data
            .into_iter()
            .map(|m| item(locale, m, &names))
            .collect(),
    })
}

async fn body(page: &mut Page, q: &CommunicationQuery) -> Result<InboxBody, PageError> {
    let unread = if shows_unread(q) {
        let unseen = CommunicationQuery {
            channel: q.channel.clone(),
            unseen: Some("true".into()),
            limit: Some(UNREAD_SHOWN.into()),
            ..CommunicationQuery::default()
        };
        let mut unread = rows(page, &unseen).await?;
        // The unread list is not paged: its newest are shown, read ones leave it.
        unread.more = None;
        unread.back = inbox_url(q, None);
        unread.empty = page.locale.t("comm-inbox-no-unread");
        Some(unread)
    } else {
        None
    };
    Ok(InboxBody {
        locale: page.locale,
        unread,
        rows: rows(page, q).await?,
    })
}

/// `GET /communications` (htmx: the list's next page when a cursor is given, else the unread
/// messages and the list, for a filter change or a live event).
pub async fn list(mut page: Page, Query(q): Query<CommunicationQuery>) -> PageResult {
    page.require("communications.view").await?;
    let q = filters(q);
    if page.htmx && q.cursor.is_some() {
        let rows = rows(&mut page, &q).await?;
        page.ctx.done();
        return Ok(html(&rows));
    }
    let body = body(&mut page, &q).await?;
    if page.htmx {
        page.ctx.done();
        return Ok(html(&body));
    }
    let locale = page.locale;
    let inbox = InboxPage {
        c: Chrome::new(&page, "communications", "comm-inbox-title"),
        channels: all_of(locale, "channel"),
        directions: all_of(locale, "direction"),
        statuses: all_of(locale, "status"),
        live: page.can("timeline.view"),
        q,
        body,
    };
    page.ctx.done();
    Ok(html(&inbox))
}

/// Where "mark as read" was pressed.
#[derive(Debug, Default, Deserialize)]
pub struct SeenForm {
    /// `client` (the client's thread) or the inbox's URL with its filters.
    #[serde(default)]
    back: String,
}

/// `POST /communications/{id}/seen`: marks an inbound message read, then shows the page it
/// was marked on.
pub async fn mark_seen(
    mut page: Page,
    Path(id): Path<String>,
    Form(form): Form<SeenForm>,
) -> PageResult {
    page.require("communications.view").await?;
    let id: Uuid = parse_id(&id)?;
    let message = services::communications::mark_seen(&mut page.ctx, id).await?;
    page.ctx.commit().await?;
    let back = match form.back.as_str() {
        "client" => format!("/clients/{}/communications", message.client_id),
        inbox if inbox.starts_with("/communications?") => inbox.to_owned(),
        _ => "/communications".to_owned(),
    };
    Ok(Redirect::to(&back).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_are_kept_in_the_next_page_and_blanks_dropped() {
        let q = filters(CommunicationQuery {
            channel: Some("email".into()),
            direction: Some(String::new()),
            status: Some("failed".into()),
            unseen: Some("true".into()),
            ..CommunicationQuery::default()
        });
        assert_eq!(q.direction, None);
        assert_eq!(q.unseen, None, "the inbox does not take it from the URL");
        assert_eq!(
            inbox_url(&q, Some("abc")),
            "/communications?channel=email&status=failed&cursor=abc"
        );
        assert!(!shows_unread(&q), "failed messages are never unread");
        assert!(shows_unread(&filters(CommunicationQuery::default())));
    }
}
