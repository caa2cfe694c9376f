//! `/proposals`: the commercial proposals (issue 16), newest first, filtered by status and by
//! client, each with its client, status, total, validity and revision. The other pages: the
//! editor of a new one (`proposals_new`), a proposal with its draft's editor, preview, PDF,
//! sending and revisions (`proposals_detail`, `proposals_send`, `proposals_documents`), the
//! client page's tab (`proposals_client`), the dashboard's card (`dashboard_proposals`) and the
//! client's public page (`proposal_public`, outside the signed-in console).

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::routing::{get, post};
use serde::Deserialize;
use services::proposals::{ProposalOut, ProposalQuery};
use uuid::Uuid;

use super::pipeline_view::date;
use super::proposals_view::{STATUSES, amount, status_class, status_label};
use super::tickets_new::{Choice, client_choices};
use super::{proposals_detail, proposals_documents, proposals_new, proposals_send};
use crate::i18n::Locale;
use crate::page::{Page, PageResult};
use crate::render::{Chrome, html};
use crate::state::WebState;

/// The proposal routes (each page checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/proposals", get(list))
        .route(
            "/proposals/new",
            get(proposals_new::new).post(proposals_new::create),
        )
        .route(
            "/proposals/{id}",
            get(proposals_detail::show).post(proposals_detail::update),
        )
        .route("/proposals/{id}/send", post(proposals_send::send))
        .route("/proposals/{id}/revise", post(proposals_detail::revise))
        .route("/proposals/{id}/delete", post(proposals_detail::delete))
        .route("/proposals/{id}/preview", get(proposals_documents::preview))
        .route("/proposals/{id}/pdf", get(proposals_documents::pdf))
}

/// The list's filters as the form and links send them; blank is none.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListFilter {
    status: Option<String>,
    client_id: Option<String>,
    cursor: Option<String>,
    /// What the page says about the last change (`deleted`).
    notice: Option<String>,
}

impl ListFilter {
    fn without_blanks(mut self) -> Self {
        for field in [
            &mut self.status,
            &mut self.client_id,
            &mut self.cursor,
            &mut self.notice,
        ] {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        self
    }

    fn query(&self) -> ProposalQuery {
        ProposalQuery {
            status: self.status.clone(),
            client_id: self.client_id.clone(),
            cursor: self.cursor.clone(),
            ..ProposalQuery::default()
        }
    }

    /// The list's address with these filters and the page after `cursor`.
    fn next_url(&self, cursor: &str) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("status", self.status.as_deref()),
            ("client_id", self.client_id.as_deref()),
            ("cursor", Some(cursor)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        format!(
            "/proposals?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// One proposal of a list.
pub struct ProposalLine {
    pub id: Uuid,
    pub title: String,
    pub client_id: Uuid,
    pub client_name: String,
    pub status: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub total: String,
    pub valid_until: String,
    pub revision: i32,
}

/// The lines of `proposals`, with their clients' names.
pub async fn lines(
    page: &mut Page,
    proposals: Vec<ProposalOut>,
) -> Result<Vec<ProposalLine>, crate::page::PageError> {
    let names = super::tickets::client_names(page, proposals.iter().map(|p| p.client_id)).await?;
    let locale = page.locale;
    Ok(proposals
        .into_iter()
        .map(|p| line(locale, p, &names))
        .collect())
}

fn line(
    locale: Locale,
    p: ProposalOut,
    names: &std::collections::HashMap<Uuid, String>,
) -> ProposalLine {
    ProposalLine {
        client_name: names.get(&p.client_id).cloned().unwrap_or_default(),
        status_label: status_label(locale, &p.status),
        status_class: status_class(&p.status),
        total: amount(locale, &p.total, &p.currency),
        valid_until: date(locale, p.valid_until),
        id: p.id,
        title: p.title,
        client_id: p.client_id,
        status: p.status,
        revision: p.revision,
    }
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ListPage {
    c: Chrome,
    lines: Vec<ProposalLine>,
    more: Option<String>,
    statuses: Vec<Choice>,
    clients: Vec<Choice>,
    can_create: bool,
    new_url: String,
    notice: Option<String>,
}

/// The status filter's options: any (blank), then each status.
fn status_choices(locale: Locale, chosen: Option<&str>) -> Vec<Choice> {
    let chosen = chosen.unwrap_or_default();
    let mut out = vec![Choice {
        value: String::new(),
        label: locale.t("proposal-status-any"),
        selected: chosen.is_empty(),
    }];
    out.extend(STATUSES.iter().map(|s| Choice {
        value: (*s).to_owned(),
        label: status_label(locale, s),
        selected: *s == chosen,
    }));
    out
}

/// `GET /proposals`
pub async fn list(mut page: Page, Query(filter): Query<ListFilter>) -> PageResult {
    page.require("proposals.view").await?;
    let filter = filter.without_blanks();
    let (q, request) = filter.query().parse()?;
    let found = services::proposals::list(&mut page.ctx, &q, &request).await?;
    let more = found.next_cursor.as_deref().map(|c| filter.next_url(c));
    let lines = lines(&mut page, found.data).await?;
    let clients = client_choices(&mut page, q.client_id).await?;
    let locale = page.locale;
    let body = ListPage {
        c: Chrome::new(&page, "proposals", "proposals-title"),
        lines,
        more,
        statuses: status_choices(locale, filter.status.as_deref()),
        clients,
        can_create: page.can("proposals.create"),
        new_url: match q.client_id {
            Some(client) => format!("/proposals/new?client_id={client}"),
            None => "/proposals/new".to_owned(),
        },
        notice: match filter.notice.as_deref() {
            Some("deleted") => Some(locale.t("proposal-deleted")),
            _ => None,
        },
    };
    page.ctx.done();
    Ok(html(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_no_filter_and_the_next_page_keeps_the_filters() {
        let filter = ListFilter {
            status: Some("sent".into()),
            client_id: Some(" ".into()),
            ..ListFilter::default()
        }
        .without_blanks();
        assert_eq!(filter.client_id, None);
        assert_eq!(filter.next_url("abc"), "/proposals?status=sent&cursor=abc");
        let options = status_choices(Locale::En, Some("sent"));
        assert_eq!(options.len(), 6);
        assert!(options[2].selected && options[2].value == "sent");
    }
}
