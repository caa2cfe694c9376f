//! The opportunities tab of a client's page (for holders of `pipeline.view`): the client's
//! opportunities, newest first, each with its pipeline and stage, state, value and expected
//! close date, and the way to the board showing only this client's cards.

use std::collections::HashMap;

use services::pipeline::OpportunityQuery;
use uuid::Uuid;

use super::pipeline_view::{date, kind_class, kind_label, money};
use crate::page::{Page, PageError};

/// Most opportunities the tab lists (the board shows them all).
const LISTED: &str = "50";

/// One opportunity of the tab.
pub struct OpportunityLine {
    pub id: Uuid,
    pub title: String,
    /// `Pipeline · Stage`.
    pub stage: String,
    pub state: String,
    pub state_label: String,
    pub state_class: &'static str,
    pub value: String,
    pub close_date: Option<String>,
}

/// The tab's content.
pub struct ClientOpportunities {
    pub lines: Vec<OpportunityLine>,
    /// More than are listed.
    pub more: bool,
    pub board_url: String,
    pub new_url: Option<String>,
}

/// The opportunities tab of `client`.
pub async fn of_client(page: &mut Page, client: Uuid) -> Result<ClientOpportunities, PageError> {
    let q = OpportunityQuery {
        client_id: Some(client.to_string()),
        limit: Some(LISTED.into()),
        ..OpportunityQuery::default()
    };
    let (filter, request) = q.parse()?;
    let found = services::pipeline::list(&mut page.ctx, &filter, &request).await?;
    let mut stages: HashMap<Uuid, String> = HashMap::new();
    for p in services::pipeline::pipelines::list(&mut page.ctx).await? {
        for s in p.stages {
            stages.insert(s.id, format!("{} · {}", p.name, s.name));
        }
    }
    let locale = page.locale;
    Ok(ClientOpportunities {
        lines: found
            .data
            .into_iter()
            .map(|o| OpportunityLine {
                stage: stages.get(&o.stage_id).cloned().unwrap_or_default(),
                state_label: kind_label(locale, &o.state),
                state_class: kind_class(&o.state),
                value: money(locale, o.estimated_value, &o.currency),
                close_date: o.expected_close_date.map(|d| date(locale, d)),
                id: o.id,
                title: o.title,
                state: o.state,
            })
            .collect(),
        more: found.next_cursor.is_some(),
        board_url: format!("/pipeline?client_id={client}"),
        new_url: page
            .can("pipeline.edit")
            .then(|| format!("/pipeline/opportunities/new?client_id={client}")),
    })
}
