//! `/pipeline`: the sales board (issue 16). One column per stage in order, its header with the
//! stage's probability, count, value per currency and weighted value; the cards with client,
//! value, expected close date, owner and a badge when they rot; the open pipeline and its
//! weighted forecast above the board. Filters: another pipeline (`?pipeline_id=`), an owner
//! (`?owner_id=`, `mine`) and a client (`?client_id=`); htmx asks for the board alone. A holder
//! of `pipeline.edit` drags cards (SortableJS, `static/console.js`) and each drop posts to the
//! move endpoint (`pipeline_move`). The other pages: an opportunity (`pipeline_opportunity`)
//! and the pipelines' administration (`pipeline_admin`).

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use services::pipeline::{BoardOut, BoardParams, BoardStage, Card, PipelineOut};
use uuid::Uuid;

use super::pipeline_view::{TotalLine, date, kind_label, money, total_lines};
use super::tickets_new::Choice;
use super::{pipeline_admin, pipeline_move, pipeline_opportunity};
use crate::i18n::Locale;
use crate::page::{Page, PageError, PageResult};
use crate::pages::clients::parse_id;
use crate::render::{Chrome, html};
use crate::state::WebState;

/// The pipeline routes (each page checks its own permission).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/pipeline", get(board))
        .route(
            "/pipeline/opportunities/new",
            get(pipeline_opportunity::new).post(pipeline_opportunity::create),
        )
        .route(
            "/pipeline/opportunities/{id}",
            get(pipeline_opportunity::show).post(pipeline_opportunity::update),
        )
        .route(
            "/pipeline/opportunities/{id}/stage",
            post(pipeline_opportunity::change_stage),
        )
        .route(
            "/pipeline/opportunities/{id}/delete",
            post(pipeline_opportunity::delete),
        )
        .route(
            "/pipeline/opportunities/{id}/move",
            post(pipeline_move::move_card),
        )
        .route(
            "/admin/pipelines",
            get(pipeline_admin::list).post(pipeline_admin::create),
        )
        .route("/admin/pipelines/new", get(pipeline_admin::new))
        .route(
            "/admin/pipelines/{id}",
            get(pipeline_admin::show).post(pipeline_admin::update),
        )
        .route(
            "/admin/pipelines/{id}/default",
            post(pipeline_admin::make_default),
        )
        .route("/admin/pipelines/{id}/delete", post(pipeline_admin::delete))
}

/// The board's filters as the form and links send them; blank is none.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct BoardFilter {
    pipeline_id: Option<String>,
    /// A user's id, or `mine`.
    owner_id: Option<String>,
    client_id: Option<String>,
    /// What the page says about the last change (`deleted`).
    notice: Option<String>,
}

impl BoardFilter {
    fn without_blanks(mut self) -> Self {
        for field in [
            &mut self.pipeline_id,
            &mut self.owner_id,
            &mut self.client_id,
            &mut self.notice,
        ] {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        self
    }

    /// The service's board query; `mine` is the signed-in user.
    fn params(&self, me: Uuid) -> BoardParams {
        BoardParams {
            owner_id: self.owner_id.as_deref().map(|o| match o {
                "mine" => me.to_string(),
                other => other.to_owned(),
            }),
            client_id: self.client_id.clone(),
            per_stage: None,
        }
    }
}

/// One card of the board.
pub struct CardView {
    pub id: Uuid,
    pub title: String,
    pub client_id: Uuid,
    pub client_name: String,
    pub value: String,
    pub close_date: Option<String>,
    /// Expected to close before today and still open.
    pub overdue: bool,
    pub owner: Option<String>,
    pub rotting: bool,
    pub days_in_stage: i64,
    pub version: i32,
}

/// One column: a stage with its figures and cards.
pub struct Column {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub probability: i16,
    pub count: i64,
    pub totals: Vec<TotalLine>,
    pub cards: Vec<CardView>,
    /// Cards counted but not listed.
    pub hidden: i64,
}

/// The board: the forecast above it and the columns (the part htmx redraws).
#[derive(Template)]
#[template(path = "pipeline_board.html")]
pub struct BoardView {
    pub locale: Locale,
    pub pipeline_id: Uuid,
    pub forecast: Vec<TotalLine>,
    pub columns: Vec<Column>,
    /// Cards may be dragged, and new ones opened from a column.
    pub can_edit: bool,
    /// The client the board is limited to, `(id, name)` (new cards are for it).
    pub client: Option<(Uuid, String)>,
    pub closed_days: i64,
}

impl BoardView {
    fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    fn t_count(&self, key: &str, count: &i64) -> String {
        self.locale
            .t_with(key, &[("count", crate::i18n::Arg::Number(*count))])
    }

    /// Where "new opportunity" goes: into `stage` (else the first open stage), for the client
    /// shown.
    fn new_url(&self, stage: Option<&Uuid>) -> String {
        let stage = stage
            .copied()
            .or_else(|| self.columns.iter().find(|c| c.kind == "open").map(|c| c.id));
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(stage) = stage {
            pairs.push(("stage_id", stage.to_string()));
        }
        if let Some((client, _)) = &self.client {
            pairs.push(("client_id", client.to_string()));
        }
        format!(
            "/pipeline/opportunities/new?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
        .trim_end_matches('?')
        .to_owned()
    }

    /// The board without the client filter, keeping the pipeline.
    fn every_client_url(&self) -> String {
        format!("/pipeline?pipeline_id={}", self.pipeline_id)
    }
}

fn card_view(locale: Locale, card: Card, open: bool) -> CardView {
    let today = Utc::now().date_naive();
    CardView {
        value: money(locale, card.estimated_value, &card.currency),
        close_date: card.expected_close_date.map(|d| date(locale, d)),
        overdue: open && card.expected_close_date.is_some_and(|d| d < today),
        id: card.id,
        title: card.title,
        client_id: card.client_id,
        client_name: card.client_name,
        owner: card.owner_name,
        rotting: card.rotting,
        days_in_stage: card.days_in_stage,
        version: card.version,
    }
}

fn column(locale: Locale, stage: BoardStage, currency: &str) -> Column {
    let open = stage.stage.kind == "open";
    let listed = i64::try_from(stage.cards.len()).unwrap_or(i64::MAX);
    Column {
        kind_label: kind_label(locale, &stage.stage.kind),
        totals: total_lines(locale, &stage.totals, currency),
        hidden: (stage.count - listed).max(0),
        cards: stage
            .cards
            .into_iter()
            .map(|c| card_view(locale, c, open))
            .collect(),
        id: stage.stage.id,
        name: stage.stage.name,
        kind: stage.stage.kind,
        probability: stage.stage.probability,
        count: stage.count,
    }
}

/// The board view of `board` for `page`'s user.
fn board_view(page: &Page, board: BoardOut, client: Option<(Uuid, String)>) -> BoardView {
    let locale = page.locale;
    let currency = page.me.tenant.currency.clone();
    BoardView {
        locale,
        pipeline_id: board.pipeline_id,
        forecast: total_lines(locale, &board.open_totals, &currency),
        columns: board
            .stages
            .into_iter()
            .map(|s| column(locale, s, &currency))
            .collect(),
        can_edit: page.can("pipeline.edit"),
        client,
        closed_days: services::pipeline::board::CLOSED_DAYS,
    }
}

#[derive(Template)]
#[template(path = "pipeline.html")]
struct BoardPage {
    c: Chrome,
    board: BoardView,
    pipelines: Vec<Choice>,
    owners: Vec<Choice>,
    can_config: bool,
    notice: Option<String>,
    /// The board follows the live stream (the user may read it): another user's move redraws it.
    live: bool,
}

/// The pipeline shown: the one asked for, else the tenant's default.
fn chosen_pipeline(pipelines: &[PipelineOut], asked: Option<&str>) -> Result<Uuid, PageError> {
    match asked {
        Some(raw) => parse_id(raw),
        None => pipelines
            .iter()
            .find(|p| p.is_default)
            .or_else(|| pipelines.first())
            .map(|p| p.id)
            .ok_or_else(|| services::Error::NotFound.into()),
    }
}

/// A client's name; another tenant's client is not found.
async fn client_name(page: &mut Page, client: Uuid) -> Result<String, PageError> {
    let names = super::tickets::client_names(page, [client]).await?;
    names
        .get(&client)
        .cloned()
        .ok_or_else(|| services::Error::NotFound.into())
}

/// The owner filter's options: everyone (blank), mine, then each user.
fn owner_choices(locale: Locale, users: Vec<(Uuid, String)>, chosen: Option<&str>) -> Vec<Choice> {
    let chosen = chosen.unwrap_or_default();
    let mut out = vec![
        Choice {
            value: String::new(),
            label: locale.t("pipeline-owner-any"),
            selected: chosen.is_empty(),
        },
        Choice {
            value: "mine".to_owned(),
            label: locale.t("pipeline-owner-mine"),
            selected: chosen == "mine",
        },
    ];
    out.extend(users.into_iter().map(|(id, name)| Choice {
        selected: id.to_string() == chosen,
        value: id.to_string(),
        label: name,
    }));
    out
}

/// `GET /pipeline` (the board alone for htmx: filters, and the refresh after a drop).
pub async fn board(mut page: Page, Query(filter): Query<BoardFilter>) -> PageResult {
    page.require("pipeline.view").await?;
    let filter = filter.without_blanks();
    let pipelines = services::pipeline::pipelines::list(&mut page.ctx).await?;
    let id = chosen_pipeline(&pipelines, filter.pipeline_id.as_deref())?;
    let q = filter.params(page.me.id).parse()?;
    let found = services::pipeline::board(&mut page.ctx, id, &q).await?;
    let client = match q.client_id {
        Some(client) => Some((client, client_name(&mut page, client).await?)),
        None => None,
    };
    let view = board_view(&page, found, client);
    if page.htmx {
        page.ctx.done();
        return Ok(html(&view));
    }
    let users = services::users::owners(&mut page.ctx).await?;
    let locale = page.locale;
    let body = BoardPage {
        c: Chrome::new(&page, "pipeline", "pipeline-title"),
        pipelines: pipelines
            .iter()
            .map(|p| Choice {
                value: p.id.to_string(),
                label: p.name.clone(),
                selected: p.id == id,
            })
            .collect(),
        owners: owner_choices(locale, users, filter.owner_id.as_deref()),
        can_config: page.can("pipeline.config"),
        live: page.can("timeline.view"),
        notice: match filter.notice.as_deref() {
            Some("deleted") => Some(locale.t("opportunity-deleted")),
            _ => None,
        },
        board: view,
    };
    page.ctx.done();
    Ok(html(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mine_is_the_signed_in_user_and_blanks_are_no_filter() {
        let me = Uuid::now_v7();
        let filter = BoardFilter {
            owner_id: Some("mine".into()),
            client_id: Some(" ".into()),
            ..BoardFilter::default()
        }
        .without_blanks();
        let params = filter.params(me);
        assert_eq!(params.owner_id, Some(me.to_string()));
        assert_eq!(params.client_id, None);
        let q = params.parse().expect("a board query");
        assert_eq!(q.owner_id, Some(me));
    }

    #[test]
    fn the_owner_filter_offers_everyone_mine_and_each_user() {
        let id = Uuid::now_v7();
        let options = owner_choices(Locale::En, vec![(id, "Ana".into())], Some(&id.to_string()));
        let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["", "mine", id.to_string().as_str()]);
        assert!(options[2].selected && !options[0].selected);
    }
}
