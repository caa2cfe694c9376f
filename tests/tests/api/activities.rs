//! The calendar's activities (issue 18), end to end: planning, logging and completing one
//! (the client's last contact and timeline), a weekly series across the daylight-saving change
//! with an exception, moves with `If-Match`, windows and their filters, bad input, tenant
//! isolation and every built-in role's permission.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn pointers(r: &Reply) -> Vec<String> {
    let mut got: Vec<String> = r.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    got.sort();
    got
}

async fn client(app: &TestApp, token: &str, name: &str) -> String {
    id_of(
        &created(
            app,
            "/api/v1/clients",
            token,
            json!({ "company_name": name, "status": "client" }),
        )
        .await,
    )
}

/// The starts of the occurrences a window holds, with their activities' titles.
async fn window(app: &TestApp, token: &str, query: &str) -> Vec<(String, String)> {
    let r = app.get(&format!("/api/v1/activities?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
    r.body["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| {
            (
                o["starts_at"].as_str().expect("starts_at").to_owned(),
                o["activity"]["title"].as_str().expect("title").to_owned(),
            )
        })
        .collect()
}

async fn timeline_types(app: &TestApp, token: &str, client: &str) -> Vec<String> {
    let r = app
        .get(
            &format!("/api/v1/clients/{client}/timeline?limit=100"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["event_type"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_activity_is_planned_moved_and_completed_and_completing_it_is_contact() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ac-flow")).await;
    let c = client(&app, &t.owner_token, "Calendario SA").await;
    let before = app
        .get(&format!("/api/v1/clients/{c}"), &t.owner_token)
        .await;
    assert_eq!(
        before.body["last_contact_at"],
        Value::Null,
        "{}",
        before.text
    );

    let a = created(
        &app,
        "/api/v1/activities",
        &t.owner_token,
        json!({
            "client_id": c, "kind": "meeting", "title": " Kick-off ",
            "starts_at": "2026-03-10T09:00:00Z", "ends_at": "2026-03-10T10:00:00Z",
            "video_url": "https://meet.example/abc"
        }),
    )
    .await;
    assert_eq!(
        (
            a["title"].as_str(),
            a["status"].as_str(),
            a["time_zone"].as_str(),
            a["occurs_until"].as_str(),
            a["assignee_ids"].as_array().map(Vec::len),
            a["version"].as_i64(),
        ),
        (
            Some("Kick-off"),
            Some("planned"),
            Some("Europe/Madrid"),
            Some("2026-03-10T10:00:00Z"),
            Some(1),
            Some(1)
        )
    );
    let path = format!("/api/v1/activities/{}", id_of(&a));
    let planned = app
        .get(&format!("/api/v1/clients/{c}"), &t.owner_token)
        .await;
    assert_eq!(
        planned.body["last_contact_at"],
        Value::Null,
        "planning is not contact"
    );

    // A move with a stale version is refused and changes nothing.
    let stale = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "starts_at": "2026-03-11T09:00:00Z", "ends_at": "2026-03-11T10:00:00Z" })),
            &[("If-Match", "\"7\"")],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    let moved = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "starts_at": "2026-03-11T09:00:00Z", "ends_at": "2026-03-11T10:00:00Z" })),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(
        (
            moved.body["starts_at"].as_str(),
            moved.body["version"].as_i64()
        ),
        (Some("2026-03-11T09:00:00Z"), Some(2))
    );

    let done = app
        .patch(
            &path,
            &t.owner_token,
            json!({ "status": "done", "outcome": "They want a demo" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.body["completed_at"].is_string(), "{}", done.text);
    let after = app
        .get(&format!("/api/v1/clients/{c}"), &t.owner_token)
        .await;
    assert!(
        after.body["last_contact_at"].is_string(),
        "completing is contact: {}",
        after.text
    );
    let types = timeline_types(&app, &t.owner_token, &c).await;
    for expected in ["activity.planned", "activity.updated", "activity.completed"] {
        assert!(types.iter().any(|t| t == expected), "{expected}: {types:?}");
    }

    let gone = app.delete(&path, &t.owner_token).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(
        app.get(&path, &t.owner_token).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        timeline_types(&app, &t.owner_token, &c)
            .await
            .iter()
            .any(|t| t == "activity.deleted")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_weekly_series_keeps_madrid_time_across_the_clock_change_without_its_exception() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ac-series")).await;
    let c = client(&app, &t.owner_token, "Serie SL").await;
    // Mondays at 10:00 in Madrid from 16 March 2026 (09:00 UTC), four times, the second
    // taken out; summer time starts on Sunday 29 March.
    let series = created(
        &app,
        "/api/v1/activities",
        &t.owner_token,
        json!({
            "client_id": c, "kind": "call", "title": "Weekly call",
            "starts_at": "2026-03-16T09:00:00Z", "ends_at": "2026-03-16T09:30:00Z",
            "time_zone": "Europe/Madrid", "recurrence": "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            "exceptions": ["2026-03-23T09:00:00Z"]
        }),
    )
    .await;
    assert_eq!(series["occurs_until"], "2026-04-06T08:30:00Z", "{series}");
    created(
        &app,
        "/api/v1/activities",
        &t.owner_token,
        json!({
            "client_id": c, "kind": "deadline", "title": "Offer due",
            "starts_at": "2026-03-31T16:00:00Z"
        }),
    )
    .await;
    let got = window(
        &app,
        &t.owner_token,
        "from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z",
    )
    .await;
    let expected = [
        ("2026-03-16T09:00:00Z", "Weekly call"),
        ("2026-03-30T08:00:00Z", "Weekly call"),
        ("2026-03-31T16:00:00Z", "Offer due"),
        ("2026-04-06T08:00:00Z", "Weekly call"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(got, expected);
    // A window of one week holds that week's occurrence only.
    let week = window(
        &app,
        &t.owner_token,
        "from=2026-03-30T00:00:00Z&to=2026-03-31T00:00:00Z",
    )
    .await;
    assert_eq!(week, expected[1..2]);
    // Cancelling the series: its occurrences stay, filtered by status.
    let path = format!("/api/v1/activities/{}", id_of(&series));
    let r = app
        .patch(&path, &t.owner_token, json!({ "status": "cancelled" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let planned = window(
        &app,
        &t.owner_token,
        "from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z&status=planned",
    )
    .await;
    assert_eq!(planned, expected[2..3]);
    app.stop().await;
}

#[tokio::test]
async fn windows_filter_by_assignee_and_client() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ac-filter")).await;
    let (ana, ana_token) = app.user_with_roles(&t, "ana", &["sales"]).await;
    let c1 = client(&app, &t.owner_token, "Uno SA").await;
    let c2 = client(&app, &t.owner_token, "Dos SA").await;
    let at = "2026-06-01T08:00:00Z";
    for (c, title, token) in [
        (&c1, "Ana's demo", &ana_token),
        (&c2, "Owner's call", &t.owner_token),
    ] {
        created(
            &app,
            "/api/v1/activities",
            token,
            json!({ "client_id": c, "kind": "demo", "title": title, "starts_at": at }),
        )
        .await;
    }
    let q = "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z";
    let titles = |v: Vec<(String, String)>| v.into_iter().map(|(_, t)| t).collect::<Vec<_>>();
    assert_eq!(
        titles(window(&app, &t.owner_token, &format!("{q}&assignee_id={ana}")).await),
        ["Ana's demo"]
    );
    assert_eq!(
        titles(window(&app, &t.owner_token, &format!("{q}&client_id={c2}")).await),
        ["Owner's call"]
    );
    assert_eq!(titles(window(&app, &t.owner_token, q).await).len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn bad_activities_and_windows_name_each_problem_and_change_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ac-bad")).await;
    let c = client(&app, &t.owner_token, "Malo SA").await;
    let r = app
        .post(
            "/api/v1/activities",
            &t.owner_token,
            json!({
                "client_id": c, "kind": "party", "title": " ",
                "starts_at": "2026-03-10T10:00:00Z", "ends_at": "2026-03-10T09:00:00Z",
                "time_zone": "Mars/Olympus", "status": "maybe",
                "video_url": "http://insecure.example", "recurrence": "FREQ=HOURLY",
                "assignee_ids": [Uuid::now_v7()], "contact_id": Uuid::now_v7()
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        pointers(&r),
        [
            "/assignee_ids/0",
            "/contact_id",
            "/ends_at",
            "/kind",
            "/status",
            "/time_zone",
            "/title",
            "/video_url"
        ]
    );
    let r = app
        .post(
            "/api/v1/activities",
            &t.owner_token,
            json!({
                "client_id": c, "kind": "task", "title": "All day",
                "starts_at": "2026-03-10T09:00:00Z", "ends_at": "2026-03-11T09:00:00Z",
                "all_day": true, "recurrence": "FREQ=DAILY;COUNT=5000"
            }),
        )
        .await;
    assert_eq!(
        pointers(&r),
        ["/ends_at", "/recurrence", "/starts_at"],
        "{}",
        r.text
    );
    let r = app
        .post(
            "/api/v1/activities",
            &t.owner_token,
            json!({ "client_id": Uuid::now_v7(), "kind": "task", "title": "x",
                    "starts_at": "2026-03-10T09:00:00Z" }),
        )
        .await;
    assert_eq!(pointers(&r), ["/client_id"]);
    for (query, name) in [
        ("from=yesterday", "from"),
        ("from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z", "to"),
        ("from=1800-01-01T00:00:00Z&to=1800-01-02T00:00:00Z", "from"),
        ("status=open", "status"),
        ("assignee_id=ana", "assignee_id"),
    ] {
        let r = app
            .get(&format!("/api/v1/activities?{query}"), &t.owner_token)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text
        );
        assert!(r.text.contains(name), "{query}: {}", r.text);
    }
    assert_eq!(app.count("activities", t.id).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_activities_are_not_found_nor_linkable() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("ac-ta")).await;
    let b = app.tenant(&slug("ac-tb")).await;
    let ac = client(&app, &a.owner_token, "A SA").await;
    let bc = client(&app, &b.owner_token, "B SA").await;
    let theirs = created(
        &app,
        "/api/v1/activities",
        &b.owner_token,
        json!({ "client_id": bc, "kind": "call", "title": "Theirs",
                "starts_at": "2026-06-01T08:00:00Z" }),
    )
    .await;
    let path = format!("/api/v1/activities/{}", id_of(&theirs));
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({ "title": "Mine" }))),
        (Method::DELETE, None),
    ] {
        let r = app
            .call(method.clone(), &path, Some(&a.owner_token), body, &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method}: {}", r.text);
    }
    let (b_user, _) = app.user_with_roles(&b, "b-sales", &["sales"]).await;
    let r = app
        .post(
            "/api/v1/activities",
            &a.owner_token,
            json!({ "client_id": bc, "kind": "call", "title": "x",
                    "starts_at": "2026-06-01T08:00:00Z" }),
        )
        .await;
    assert_eq!(pointers(&r), ["/client_id"]);
    let r = app
        .post(
            "/api/v1/activities",
            &a.owner_token,
            json!({ "client_id": ac, "kind": "call", "title": "x",
                    "starts_at": "2026-06-01T08:00:00Z", "assignee_ids": [b_user] }),
        )
        .await;
    assert_eq!(pointers(&r), ["/assignee_ids/0"]);
    let mine = window(
        &app,
        &a.owner_token,
        "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z",
    )
    .await;
    assert!(mine.is_empty(), "{mine:?}");
    let r = app.get(&path, &b.owner_token).await;
    assert_eq!(
        (r.body["title"].as_str(), r.body["version"].as_i64()),
        (Some("Theirs"), Some(1))
    );
    app.stop().await;
}

type RoleCase = (
    Method,
    String,
    Option<Value>,
    &'static [&'static str],
    StatusCode,
);

#[tokio::test]
async fn activity_endpoints_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ac-roles")).await;
    let c = client(&app, &t.owner_token, "Roles SA").await;
    let a = created(
        &app,
        "/api/v1/activities",
        &t.owner_token,
        json!({ "client_id": c, "kind": "task", "title": "Target",
                "starts_at": "2026-06-01T08:00:00Z" }),
    )
    .await;
    let (aid, missing) = (id_of(&a), Uuid::now_v7());
    const VIEW: &[&str] = &["owner", "admin", "sales", "support", "viewer"];
    const EDIT: &[&str] = &["owner", "admin", "sales", "support"];
    let cases: Vec<RoleCase> = vec![
        (
            Method::GET,
            "/api/v1/activities".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/activities".into(),
            Some(json!({ "client_id": c, "kind": "task", "title": "",
                         "starts_at": "2026-06-01T08:00:00Z" })),
            EDIT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/activities/{aid}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/activities/{missing}"),
            Some(json!({})),
            EDIT,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/activities/{missing}"),
            None,
            EDIT,
            StatusCode::NOT_FOUND,
        ),
    ];
    let mut failures = Vec::new();
    for role in ["owner", "admin", "sales", "support", "marketing", "viewer"] {
        let (_, token) = app.user_with_roles(&t, &format!("r-{role}"), &[role]).await;
        for (method, path, body, allowed, when_allowed) in &cases {
            let expected = if allowed.contains(&role) {
                *when_allowed
            } else {
                StatusCode::FORBIDDEN
            };
            let r = app
                .call(method.clone(), path, Some(&token), body.clone(), &[])
                .await;
            if r.status != expected {
                failures.push(format!(
                    "{role}: {method} {path} -> {} (expected {expected})",
                    r.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.stop().await;
}
