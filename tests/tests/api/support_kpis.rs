//! Support KPIs (`GET /api/v1/kpis/support`, issue 17): exact compliance, business hours,
//! backlog, breaches and satisfaction on tickets with known outcomes (aged in SQL, on 24/7
//! categories); the period; tenant isolation; roles; and the dashboard's support row.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::BuiltinRole;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::console::Browser;
use tests::*;
use uuid::Uuid;

const KPIS: &str = "/api/v1/kpis/support";

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Uuid {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id")
}

/// A 24/7 category: first response in 60 minutes, next response in 30, resolution in 600.
async fn category(app: &TestApp, token: &str, name: &str) -> Uuid {
    let targets = json!({
        "first_response_minutes": 60,
        "next_response_minutes": 30,
        "resolution_minutes": 600
    });
    let body = json!({
        "name": name,
        "sla": { "urgent": targets, "high": targets, "normal": targets, "low": targets }
    });
    created(app, "/api/v1/ticket-categories", token, body).await
}

/// A ticket's history, written over a new ticket as the schema owner: created `ago` before
/// `now`, each moment in minutes after creation.
#[derive(Clone, Copy)]
struct Shape {
    ago: Duration,
    status: &'static str,
    first_response: Option<i64>,
    customer: Option<i64>,
    agent_reply: Option<i64>,
    resolved: Option<i64>,
    closed: Option<i64>,
    satisfaction: Option<i16>,
}

fn shape(ago: Duration, status: &'static str) -> Shape {
    Shape {
        ago,
        status,
        first_response: None,
        customer: None,
        agent_reply: None,
        resolved: None,
        closed: None,
        satisfaction: None,
    }
}

struct Desk<'a> {
    app: &'a TestApp,
    tenant: Uuid,
    token: String,
    client: Uuid,
    now: DateTime<Utc>,
}

impl Desk<'_> {
    async fn ticket(&self, category: Option<Uuid>, s: Shape) -> Uuid {
        let body = json!({
            "client_id": self.client,
            "category_id": category,
            "title": "Consulta",
            "priority": "normal"
        });
        let id = created(self.app, "/api/v1/tickets", &self.token, body).await;
        let created_at = self.now - s.ago;
        let after = |m: Option<i64>| m.map(|m| created_at + Duration::minutes(m));
        sqlx::query(
            "UPDATE tickets SET created_at = $2, first_response_at = $3, last_customer_at = $4,
                    last_agent_reply_at = $5, resolved_at = $6, closed_at = $7, status = $8,
                    satisfaction = $9
              WHERE id = $1",
        )
        .bind(id)
        .bind(created_at)
        .bind(after(s.first_response))
        .bind(after(s.customer))
        .bind(after(s.agent_reply))
        .bind(after(s.resolved))
        .bind(after(s.closed))
        .bind(s.status)
        .bind(s.satisfaction)
        .execute(&self.app.owner)
        .await
        .expect("shape");
        id
    }

    /// A pause of a ticket's clock, from and to minutes after its creation.
    async fn pause(&self, ticket: Uuid, from: i64, to: i64) {
        sqlx::query(
            "INSERT INTO ticket_pauses (tenant_id, ticket_id, started_at, ended_at, reason)
             SELECT tenant_id, id, created_at + make_interval(mins => $2),
                    created_at + make_interval(mins => $3), 'on_hold'
               FROM tickets WHERE id = $1",
        )
        .bind(ticket)
        .bind(from as i32)
        .bind(to as i32)
        .execute(&self.app.owner)
        .await
        .expect("pause");
    }

    /// An escalation the pass took `ago` before now.
    async fn escalation(&self, ticket: Uuid, target: &str, action: &str, ago: Duration) {
        sqlx::query(
            "INSERT INTO ticket_escalations (tenant_id, ticket_id, target, action, taken_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.tenant)
        .bind(ticket)
        .bind(target)
        .bind(action)
        .bind(self.now - ago)
        .execute(&self.app.owner)
        .await
        .expect("escalation");
    }
}

async fn desk<'a>(app: &'a TestApp, t: &TenantFixture, now: DateTime<Utc>) -> Desk<'a> {
    let client = created(
        app,
        "/api/v1/clients",
        &t.owner_token,
        json!({ "company_name": "Soporte Ibérico S.L." }),
    )
    .await;
    Desk {
        app,
        tenant: t.id,
        token: t.owner_token.clone(),
        client,
        now,
    }
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn kpis(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("{KPIS}{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// `[on_time, decided]` of each target, and the rates.
fn compliance(c: &Value) -> [(i64, i64, Option<f64>); 3] {
    ["first_response", "next_response", "resolution"].map(|t| {
        (
            c[t]["on_time"].as_i64().unwrap_or(-1),
            c[t]["decided"].as_i64().unwrap_or(-1),
            c[t]["rate"].as_f64(),
        )
    })
}

fn hours(h: &Value) -> (i64, Option<f64>, Option<f64>) {
    (
        h["count"].as_i64().unwrap_or(-1),
        h["mean"].as_f64(),
        h["p90"].as_f64(),
    )
}

/// Tenant A's desk, on categories "Incidencias" (A) and "Facturación" (B), both 24/7 with
/// first response 60 min, next response 30, resolution 600 (`+m`: minutes after creation):
/// - T1 (A) 10 d ago: replied +30, paused +60..+120, resolved +300 (4 business hours), score 5
/// - T2 (A) 10 d ago: replied +90 (late), customer +100, reply +200 (late), resolved +900
///   (late), closed +960, score 2
/// - T3 (A) 5 d ago, open, never answered: first response missed at +60, resolution at +600
/// - T4 (A) 40 d ago: replied +30, resolved after 5 days, closed, score 1: before the period
/// - T5 (A) 20 min ago, new: nothing decided yet
/// - T6 (A) 2 d ago, pending customer: replied +15, customer +60, reply +75, resolution missed
/// - T7 (B) 3 d ago: resolved +30 without a reply (both targets met by it), score 4
/// - T8 (no category) 9 d ago, on hold: replied +60; no SLA
async fn fixture(d: &Desk<'_>) -> [Uuid; 8] {
    let a = Some(category(d.app, &d.token, "Incidencias").await);
    let b = Some(category(d.app, &d.token, "Facturación").await);
    let t1 = d
        .ticket(
            a,
            Shape {
                first_response: Some(30),
                resolved: Some(300),
                satisfaction: Some(5),
                ..shape(days(10), "resolved")
            },
        )
        .await;
    d.pause(t1, 60, 120).await;
    let t2 = d
        .ticket(
            a,
            Shape {
                first_response: Some(90),
                customer: Some(100),
                agent_reply: Some(200),
                resolved: Some(900),
                closed: Some(960),
                satisfaction: Some(2),
                ..shape(days(10), "closed")
            },
        )
        .await;
    let t3 = d.ticket(a, shape(days(5), "open")).await;
    let t4 = d
        .ticket(
            a,
            Shape {
                first_response: Some(30),
                resolved: Some(5 * 24 * 60),
                closed: Some(5 * 24 * 60 + 1),
                satisfaction: Some(1),
                ..shape(days(40), "closed")
            },
        )
        .await;
    let t5 = d.ticket(a, shape(Duration::minutes(20), "new")).await;
    let t6 = d
        .ticket(
            a,
            Shape {
                first_response: Some(15),
                customer: Some(60),
                agent_reply: Some(75),
                ..shape(days(2), "pending_customer")
            },
        )
        .await;
    let t7 = d
        .ticket(
            b,
            Shape {
                resolved: Some(30),
                satisfaction: Some(4),
                ..shape(days(3), "resolved")
            },
        )
        .await;
    let t8 = d
        .ticket(
            None,
            Shape {
                first_response: Some(60),
                ..shape(days(9), "on_hold")
            },
        )
        .await;
    d.escalation(t3, "first_response", "breached", days(5))
        .await;
    d.escalation(t3, "resolution", "breached", days(4)).await;
    d.escalation(t2, "first_response", "breached", days(10))
        .await;
    d.escalation(t4, "resolution", "breached", days(38)).await;
    d.escalation(t6, "resolution", "warned", days(2)).await;
    [t1, t2, t3, t4, t5, t6, t7, t8]
}

#[tokio::test]
async fn support_kpis_are_exact_for_known_outcomes_and_count_only_the_tenants_tickets() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("skpi-a")).await;
    let b = app.tenant(&slug("skpi-b")).await;
    let now = Utc::now();
    let desk_a = desk(&app, &a, now).await;
    fixture(&desk_a).await;
    // Tenant B: one ticket resolved late with a low score, one open for 10 days, a breach.
    let desk_b = desk(&app, &b, now).await;
    let other = Some(category(&app, &b.owner_token, "Incidencias").await);
    let late = desk_b
        .ticket(
            other,
            Shape {
                resolved: Some(700),
                satisfaction: Some(1),
                ..shape(days(4), "resolved")
            },
        )
        .await;
    desk_b.ticket(other, shape(days(10), "open")).await;
    desk_b
        .escalation(late, "resolution", "breached", days(3))
        .await;

    let k = kpis(&app, &a.owner_token, "").await;
    let to: DateTime<Utc> = k["period"]["to"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("to");
    let from: DateTime<Utc> = k["period"]["from"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("from");
    assert_eq!(to - from, days(30));
    assert!((to - now).num_seconds().abs() < 60, "{to} vs {now}");
    assert_eq!(
        compliance(&k["compliance"]),
        [(3, 5, Some(0.6)), (1, 2, Some(0.5)), (2, 5, Some(0.4))],
        "{k}"
    );
    let categories = k["categories"].as_array().expect("categories");
    let names: Vec<&str> = categories
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["Facturación", "Incidencias"], "{k}");
    assert_eq!(
        compliance(&categories[0]["compliance"]),
        [(1, 1, Some(1.0)), (0, 0, None), (1, 1, Some(1.0))],
        "{k}"
    );
    assert_eq!(
        compliance(&categories[1]["compliance"]),
        [(2, 4, Some(0.5)), (1, 2, Some(0.5)), (1, 4, Some(0.25))],
        "{k}"
    );
    // First replies in the period: T1 0.5 h, T2 1.5, T6 0.25, T8 1.0 (no SLA, still timed).
    assert_eq!(
        hours(&k["first_response_hours"]),
        (4, Some(0.81), Some(1.5)),
        "{k}"
    );
    // Resolutions: T1 4 h (its pause left out), T2 15, T7 0.5.
    assert_eq!(
        hours(&k["resolution_hours"]),
        (3, Some(6.5), Some(15.0)),
        "{k}"
    );
    assert_eq!(
        k["backlog"],
        json!({
            "total": 4,
            "by_status": { "new": 1, "open": 1, "pending_customer": 1, "on_hold": 1 },
            "by_age": { "under_1_day": 1, "from_1_to_3_days": 1, "from_3_to_7_days": 1,
                        "over_7_days": 1 }
        })
    );
    assert_eq!(k["breaches"], 3, "{k}");
    assert_eq!(k["satisfaction"], json!({ "average": 3.67, "count": 3 }));

    // An earlier period: only T1, T2 and T8 were created before it ended (T4 was done before
    // it began); the backlog is today's whatever the period.
    let query = format!(
        "?from={}&to={}",
        rfc3339(now - days(20)),
        rfc3339(now - days(6))
    );
    let k = kpis(&app, &a.owner_token, &query).await;
    assert_eq!(
        compliance(&k["compliance"]),
        [(1, 2, Some(0.5)), (0, 1, Some(0.0)), (1, 2, Some(0.5))],
        "{k}"
    );
    assert_eq!(hours(&k["first_response_hours"]), (3, Some(1.0), Some(1.5)));
    assert_eq!(hours(&k["resolution_hours"]), (2, Some(9.5), Some(15.0)));
    assert_eq!(k["breaches"], 1, "{k}");
    assert_eq!(k["satisfaction"], json!({ "average": 3.5, "count": 2 }));
    assert_eq!(k["backlog"]["total"], 4);

    // A quiet period has nothing decided and no made-up rates.
    let query = format!(
        "?from={}&to={}",
        rfc3339(now - days(400)),
        rfc3339(now - days(300))
    );
    let k = kpis(&app, &a.owner_token, &query).await;
    assert_eq!(compliance(&k["compliance"]), [(0, 0, None); 3], "{k}");
    assert_eq!(hours(&k["resolution_hours"]), (0, None, None));
    assert_eq!(k["satisfaction"], json!({ "average": null, "count": 0 }));

    // B sees only its own desk.
    let k = kpis(&app, &b.owner_token, "").await;
    assert_eq!(
        compliance(&k["compliance"]),
        [(0, 2, Some(0.0)), (0, 0, None), (0, 2, Some(0.0))],
        "{k}"
    );
    assert_eq!(k["backlog"]["total"], 1, "{k}");
    assert_eq!(k["backlog"]["by_age"]["over_7_days"], 1, "{k}");
    assert_eq!(k["breaches"], 1, "{k}");
    assert_eq!(k["satisfaction"], json!({ "average": 1.0, "count": 1 }));
    assert_eq!(k["categories"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn bad_periods_are_problems_naming_the_parameter() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("skpi-bad")).await;
    let now = Utc::now();
    let (later, earlier) = (rfc3339(now + days(1)), rfc3339(now - days(1)));
    for (query, parameter) in [
        ("?from=last-monday".to_owned(), "from"),
        ("?to=2026-02-30T00:00:00Z".to_owned(), "to"),
        (format!("?from={later}&to={earlier}"), "to"),
        (format!("?from={later}"), "from"),
    ] {
        let r = app.get(&format!("{KPIS}{query}"), &t.owner_token).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text
        );
        assert_eq!(r.problem(), "validation-failed");
        assert_eq!(
            r.body["errors"][0]["parameter"], parameter,
            "{query}: {}",
            r.text
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn support_kpis_need_tickets_view() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("skpi-roles")).await;
    for role in BuiltinRole::ALL {
        let (_, token) = app
            .user_with_roles(&t, &format!("u{}", role.name()), &[role.name()])
            .await;
        let r = app.get(KPIS, &token).await;
        let expected = if role.permissions().contains(&"tickets.view") {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, expected, "{}: {}", role.name(), r.text);
    }
    app.custom_role(&t, "clients_only", &["clients.view"]).await;
    let (_, token) = app.user_with_roles(&t, "carla", &["clients_only"]).await;
    let r = app.get(KPIS, &token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.problem(), "forbidden");
    let r = app.call(Method::GET, KPIS, None, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_shows_the_support_row_only_to_those_holding_tickets_view() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("skpi-dash")).await;
    let d = desk(&app, &t, Utc::now()).await;
    fixture(&d).await;
    let (status, body, _) = Browser::new(&app, Some(&t.owner_token)).get("/").await;
    assert_eq!(status, StatusCode::OK, "{body:.300}");
    assert!(body.contains("data-support-kpis"), "{body}");
    assert!(body.contains(r#"data-support-kpi="backlog">4<"#), "{body}");
    assert!(body.contains(r#"data-support-kpi="breaches">3<"#), "{body}");
    assert!(
        body.contains(r#"data-support-kpi="satisfaction">3"#),
        "{body}"
    );
    // Compliance per target, in percent, for the chart.
    assert!(body.contains("[60.0,50.0,40.0]"), "{body}");

    app.custom_role(&t, "clients_only", &["clients.view"]).await;
    let (_, token) = app.user_with_roles(&t, "carla", &["clients_only"]).await;
    let (status, body, _) = Browser::new(&app, Some(&token)).get("/").await;
    assert_eq!(status, StatusCode::OK, "{body:.300}");
    assert!(!body.contains("data-support-kpis"), "{body}");
    app.stop().await;
}
