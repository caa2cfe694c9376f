//! `/`: the dashboard. KPI cards, the clients by status, new clients and conversions per week,
//! and the timeline's activity per week by kind; the cards and the recent activity follow the
//! live stream (`/live`, the API's event stream). Later modules add their cards here: the
//! support row (SLA compliance per target, backlog, breaches and satisfaction of the last 30
//! days) for those who hold `tickets.view`, from one service call; the communications row
//! (`dashboard_communications`) and the pipeline row (`dashboard_pipeline`: value per stage and
//! the weighted forecast) and the pending proposals (`dashboard_proposals`) for those who may
//! see them.
//!
//! The weekly counts read every event of twelve weeks (about 50,000 in the large data set's
//! biggest tenant, some 55 ms of database time), and the support KPIs walk the SLA clock of
//! every open and recently resolved ticket (some 100 ms over a desk of 20,000 tickets): both
//! are kept per tenant for a minute in this process ([`WeeklyCounts`]), so a busy tenant's
//! dashboards do not recount them on every load; the client cards and the recent activity are
//! read fresh and follow the live stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use askama::Template;
use axum::extract::State;
use chrono::{Duration, Utc};
use serde_json::json;
use services::kpis::{ClientKpis, KpiParams};
use services::tickets_kpis::{SupportKpiParams, SupportKpis};
use services::timeline::{EventQuery, StatsBucket, StatsQuery, TimelineEvent};
use uuid::Uuid;

use crate::i18n::{Arg, Locale};
use crate::page::{Page, PageResult};
use crate::render::{Chrome, html};
use crate::state::WebState;

/// How long a tenant's weekly counts and support KPIs are reused.
const COUNTS_FOR: StdDuration = StdDuration::from_secs(60);

/// What the dashboard keeps of each tenant for a minute, in this process: the weekly counts
/// and the support KPIs (the type is named after the first).
#[derive(Clone, Default)]
pub struct WeeklyCounts {
    weeks: Kept<Vec<StatsBucket>>,
    support: Kept<SupportKpis>,
}

/// A value per tenant, with when it was read.
struct Kept<T>(Arc<Mutex<HashMap<Uuid, (Instant, T)>>>);

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T: Clone> Kept<T> {
    fn recent(&self, tenant: Uuid) -> Option<T> {
        let mut map = self.0.lock().ok()?;
        map.retain(|_, (at, _)| at.elapsed() < COUNTS_FOR);
        map.get(&tenant).map(|(_, value)| value.clone())
    }

    fn keep(&self, tenant: Uuid, value: T) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(tenant, (Instant::now(), value));
        }
    }
}

/// The tenant's event counts per week and type over the charts' weeks.
async fn weekly_counts(
    page: &mut Page,
    cache: &WeeklyCounts,
) -> Result<Vec<StatsBucket>, crate::page::PageError> {
    let tenant = page.ctx.tenant();
    if let Some(counts) = cache.weeks.recent(tenant) {
        return Ok(counts);
    }
    let q = StatsQuery {
        bucket: Some("week".into()),
        from: Some((Utc::now() - Duration::weeks(WEEKS)).to_rfc3339()),
        ..Default::default()
    };
    let counts = services::timeline::stats(&mut page.ctx, &q).await?;
    cache.weeks.keep(tenant, counts.clone());
    Ok(counts)
}

/// The tenant's support KPIs of the last 30 days.
async fn support_kpis(
    page: &mut Page,
    cache: &WeeklyCounts,
) -> Result<SupportKpis, crate::page::PageError> {
    let tenant = page.ctx.tenant();
    if let Some(kpis) = cache.support.recent(tenant) {
        return Ok(kpis);
    }
    let period = SupportKpiParams::defaults(Utc::now());
    let kpis = services::tickets_kpis::support_kpis(&mut page.ctx, &period).await?;
    cache.support.keep(tenant, kpis.clone());
    Ok(kpis)
}

/// Weeks the charts cover.
const WEEKS: i64 = 12;

/// One KPI card; `key` names it for the live updates (a field of the KPI answer).
pub(super) struct KpiCard {
    pub(super) key: &'static str,
    pub(super) label: String,
    pub(super) value: String,
}

fn cards(kpis: &ClientKpis, locale: crate::i18n::Locale) -> Vec<KpiCard> {
    let card = |key: &'static str, value: String| KpiCard {
        key,
        label: locale.t(&format!("kpi-{key}")),
        value,
    };
    vec![
        card("total", locale.int(kpis.total)),
        card("leads", locale.int(kpis.leads)),
        card("clients", locale.int(kpis.clients)),
        card("active", locale.int(kpis.active)),
        card("new_this_month", locale.int(kpis.new_this_month)),
        card(
            "conversion_rate",
            kpis.conversion_rate
                .map(|r| locale.percent(r))
                .unwrap_or_else(|| "–".to_owned()),
        ),
    ]
}

/// The support row: SLA compliance per target as a chart, and its cards.
struct SupportRow {
    compliance: String,
    cards: Vec<KpiCard>,
}

/// A rate as a percentage for the chart, to one decimal (null without decided targets).
fn chart_percent(rate: Option<f64>) -> Option<f64> {
    rate.map(|r| (r * 1000.0).round() / 10.0)
}

/// A number with one decimal in the locale's way: 4,3 or 4.3.
pub(super) fn one_decimal(x: f64, locale: Locale) -> String {
    let text = format!("{x:.1}");
    match locale {
        Locale::Es => text.replace('.', ","),
        Locale::En => text,
    }
}

fn support_row(kpis: &SupportKpis, locale: Locale) -> SupportRow {
    let c = &kpis.compliance;
    let values = [c.first_response, c.next_response, c.resolution].map(|t| chart_percent(t.rate));
    let compliance = json!({
        "labels": [
            locale.t("support-first-response"),
            locale.t("support-next-response"),
            locale.t("support-resolution"),
        ],
        "series": [{
            "label": locale.t("support-compliance-series"),
            "values": values,
        }],
    });
    let card = |key: &'static str, value: String| KpiCard {
        key,
        label: locale.t(&format!("support-{key}")),
        value,
    };
    let satisfaction = match kpis.satisfaction.average {
        Some(avg) => locale.t_with(
            "support-satisfaction-value",
            &[
                ("average", Arg::Text(one_decimal(avg, locale))),
                ("count", Arg::Number(kpis.satisfaction.count)),
            ],
        ),
        None => "–".to_owned(),
    };
    SupportRow {
        compliance: compliance.to_string(),
        cards: vec![
            card("backlog", locale.int(kpis.backlog.total)),
            card("breaches", locale.int(kpis.breaches)),
            card("satisfaction", satisfaction),
        ],
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    cards: Vec<KpiCard>,
    by_status: String,
    per_week: String,
    activity: String,
    recent: Vec<TimelineEvent>,
    can_timeline: bool,
    support: Option<SupportRow>,
    communications: Option<super::dashboard_communications::CommunicationsRow>,
    pipeline: Option<super::dashboard_pipeline::PipelineRow>,
    proposals: Option<super::dashboard_proposals::ProposalsRow>,
    /// The user's activities today, for a user who may see the calendar.
    today: Option<Vec<super::calendar_lines::ActivityLine>>,
}

/// `GET /`
pub async fn show(State(ws): State<WebState>, mut page: Page) -> PageResult {
    page.require("clients.view").await?;
    let kpis = services::kpis::client_kpis(&mut page.ctx, &KpiParams::defaults(Utc::now())).await?;
    let can_timeline = page.can("timeline.view");
    let (stats, recent) = if can_timeline {
        let stats = weekly_counts(&mut page, &ws.weekly_counts).await?;
        let recent_q = EventQuery {
            limit: Some("8".into()),
            ..Default::default()
        };
        let recent = services::timeline::tenant_events(&mut page.ctx, &recent_q).await?;
        (stats, recent.data)
    } else {
        (Vec::new(), Vec::new())
    };
    let support = if page.can("tickets.view") {
        let kpis = support_kpis(&mut page, &ws.weekly_counts).await?;
        Some(support_row(&kpis, page.locale))
    } else {
        None
    };
    let communications = if page.can("communications.view") {
        let period = KpiParams::defaults(Utc::now());
        let kpis =
            services::communications::kpis::communication_kpis(&mut page.ctx, &period).await?;
        Some(super::dashboard_communications::communications_row(
            &kpis,
            page.locale,
        ))
    } else {
        None
    };
    let pipeline = if page.can("pipeline.view") {
        let board = super::dashboard_pipeline::default_board(&mut page).await?;
        Some(super::dashboard_pipeline::pipeline_row(
            &board,
            page.locale,
            &page.me.tenant.currency,
        ))
    } else {
        None
    };
    let proposals = if page.can("proposals.view") {
        let pending = services::proposals::pending(&mut page.ctx).await?;
        Some(super::dashboard_proposals::proposals_row(
            &pending,
            page.locale,
            &page.me.tenant.currency,
        ))
    } else {
        None
    };
    let today = if page.can("calendar.view") {
        Some(super::calendar_lines::today(&mut page).await?)
    } else {
        None
    };
    let c = Chrome::new(&page, "dashboard", "dashboard-title");
    let locale = page.locale;
    let others = kpis.total - kpis.leads - kpis.clients;
    let by_status = json!({
        "labels": [locale.t("status-lead"), locale.t("status-client"), locale.t("status-other")],
        "values": [kpis.leads, kpis.clients, others.max(0)],
    });
    let weeks: Vec<String> = {
        let mut w: Vec<_> = stats.iter().map(|b| b.period.to_rfc3339()).collect();
        w.sort();
        w.dedup();
        w
    };
    let series = |pick: &dyn Fn(&str) -> bool| -> Vec<i64> {
        weeks
            .iter()
            .map(|w| {
                stats
                    .iter()
                    .filter(|b| b.period.to_rfc3339() == *w && pick(&b.event_type))
                    .map(|b| b.count)
                    .sum()
            })
            .collect()
    };
    let per_week = json!({
        "labels": weeks,
        "series": [
            {"label": locale.t("chart-new-clients"), "values": series(&|t| t == "client.created")},
            {"label": locale.t("chart-conversions"), "values": series(&|t| t == "client.converted")},
        ],
    });
    let kinds = ["client", "contact", "communication", "user"];
    let activity = json!({
        "labels": weeks,
        "series": kinds.iter().map(|k| json!({
            "label": locale.t(&format!("kind-{k}")),
            "values": series(&|t| t.split('.').next() == Some(*k)),
        })).collect::<Vec<_>>(),
    });
    let body = Dashboard {
        c,
        cards: cards(&kpis, locale),
        by_status: by_status.to_string(),
        per_week: per_week.to_string(),
        activity: activity.to_string(),
        recent,
        can_timeline,
        support,
        communications,
        pipeline,
        proposals,
        today,
    };
    page.ctx.done();
    Ok(html(&body))
}
