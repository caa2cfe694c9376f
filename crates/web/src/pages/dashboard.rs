//! `/`: the dashboard. KPI cards, the clients by status, new clients and conversions per week,
//! and the timeline's activity per week by kind; the cards and the recent activity follow the
//! live stream (`/live`, the API's event stream). Later modules add their cards here.
//!
//! The weekly counts read every event of twelve weeks (about 50,000 in the large data set's
//! biggest tenant, some 55 ms of database time): they are kept per tenant for a minute in this
//! process ([`WeeklyCounts`]), so a busy tenant's dashboards do not recount them on every load;
//! the cards and the recent activity are read fresh and follow the live stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use askama::Template;
use axum::extract::State;
use chrono::{Duration, Utc};
use serde_json::json;
use services::kpis::{ClientKpis, KpiParams};
use services::timeline::{EventQuery, StatsBucket, StatsQuery, TimelineEvent};
use uuid::Uuid;

use crate::page::{Page, PageResult};
use crate::render::{Chrome, html};
use crate::state::WebState;

/// How long a tenant's weekly counts are reused.
const COUNTS_FOR: StdDuration = StdDuration::from_secs(60);

/// The tenants' weekly counts of the last minute, in this process.
#[derive(Clone, Default)]
pub struct WeeklyCounts(Arc<Mutex<HashMap<Uuid, CountedAt>>>);

/// A tenant's counts and when they were read.
type CountedAt = (Instant, Vec<StatsBucket>);

impl WeeklyCounts {
    fn recent(&self, tenant: Uuid) -> Option<Vec<StatsBucket>> {
        let mut map = self.0.lock().ok()?;
        map.retain(|_, (at, _)| at.elapsed() < COUNTS_FOR);
        map.get(&tenant).map(|(_, counts)| counts.clone())
    }

    fn keep(&self, tenant: Uuid, counts: &[StatsBucket]) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(tenant, (Instant::now(), counts.to_vec()));
        }
    }
}

/// The tenant's event counts per week and type over the charts' weeks.
async fn weekly_counts(
    page: &mut Page,
    cache: &WeeklyCounts,
) -> Result<Vec<StatsBucket>, crate::page::PageError> {
    let tenant = page.ctx.tenant();
    if let Some(counts) = cache.recent(tenant) {
        return Ok(counts);
    }
    let q = StatsQuery {
        bucket: Some("week".into()),
        from: Some((Utc::now() - Duration::weeks(WEEKS)).to_rfc3339()),
        ..Default::default()
    };
    let counts = services::timeline::stats(&mut page.ctx, &q).await?;
    cache.keep(tenant, &counts);
    Ok(counts)
}

/// Weeks the charts cover.
const WEEKS: i64 = 12;

/// One KPI card; `key` names it for the live updates (a field of the KPI answer).
struct KpiCard {
    key: &'static str,
    label: String,
    value: String,
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
    };
    page.ctx.done();
    Ok(html(&body))
}
