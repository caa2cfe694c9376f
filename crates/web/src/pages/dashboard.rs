//! `/`: the dashboard. KPI cards, the clients by status, new clients and conversions per week,
//! and the timeline's activity per week by kind; the cards and the recent activity follow the
//! live stream (`/live`, the API's event stream). Later modules add their cards here.

use askama::Template;
use chrono::{Duration, Utc};
use serde_json::json;
use services::kpis::{ClientKpis, KpiParams};
use services::timeline::{EventQuery, StatsQuery, TimelineEvent};

use crate::page::{Page, PageResult};
use crate::render::{Chrome, html};

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
pub async fn show(mut page: Page) -> PageResult {
    page.require("clients.view").await?;
    let kpis = services::kpis::client_kpis(&mut page.ctx, &KpiParams::defaults(Utc::now())).await?;
    let can_timeline = page.can("timeline.view");
    let (stats, recent) = if can_timeline {
        let q = StatsQuery {
            bucket: Some("week".into()),
            from: Some((Utc::now() - Duration::weeks(WEEKS)).to_rfc3339()),
            ..Default::default()
        };
        let stats = services::timeline::stats(&mut page.ctx, &q).await?;
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
