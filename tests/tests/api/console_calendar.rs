//! The console's calendar pages on the server side: each page is allowed exactly to the roles
//! holding its permission and shows only the controls the role may use (with the client's
//! activities tab and today's activities on the dashboard); a forged form of a role without
//! `calendar.edit` changes nothing; another tenant's activity is not found and stays untouched
//! and its events are not in the feed; the events feed expands a series; the drop endpoint
//! moves an activity (to instants, or to whole days of the activity's zone) and answers a stale
//! version with 409; and the activity forms work without JavaScript.

use chrono::{Duration, Utc};
use domain::BuiltinRole;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::console::Browser;
use tests::{TenantFixture, TestApp, slug, spawn_app};

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// A client with a meeting of the owner's in an hour and a weekly call series.
struct Desk {
    client: String,
    meeting: String,
    series: String,
}

async fn desk(app: &TestApp, t: &TenantFixture, name: &str) -> Desk {
    let token = &t.owner_token;
    let client = id_of(
        &created(
            app,
            "/api/v1/clients",
            token,
            json!({ "company_name": name, "status": "client" }),
        )
        .await,
    );
    let start = Utc::now() + Duration::hours(1);
    let meeting = id_of(
        &created(
            app,
            "/api/v1/activities",
            token,
            json!({ "client_id": client, "kind": "meeting", "title": "Revisión trimestral",
                    "starts_at": start, "ends_at": start + Duration::minutes(45),
                    "time_zone": "Europe/Madrid" }),
        )
        .await,
    );
    let series = id_of(
        &created(
            app,
            "/api/v1/activities",
            token,
            json!({ "client_id": client, "kind": "call", "title": "Seguimiento semanal",
                    "starts_at": start - Duration::days(14), "ends_at": start - Duration::days(14) + Duration::minutes(15),
                    "time_zone": "Europe/Madrid", "recurrence": "FREQ=WEEKLY;COUNT=6" }),
        )
        .await,
    );
    Desk {
        client,
        meeting,
        series,
    }
}

/// The calendar's pages and the permission each needs.
fn pages(d: &Desk) -> Vec<(String, &'static str)> {
    let from = (Utc::now() - Duration::days(1)).to_rfc3339();
    let to = (Utc::now() + Duration::days(6)).to_rfc3339();
    let window = format!("from={}&to={}", urlencoding(&from), urlencoding(&to));
    vec![
        ("/calendar".to_owned(), "calendar.view"),
        ("/calendar?who=all".to_owned(), "calendar.view"),
        (format!("/calendar?client_id={}", d.client), "calendar.view"),
        (format!("/calendar/events?{window}"), "calendar.view"),
        (
            format!("/calendar/activities/{}", d.meeting),
            "calendar.view",
        ),
        ("/calendar/activities/new".to_owned(), "calendar.edit"),
        (
            format!(
                "/calendar/activities/new?client_id={}&start=2026-12-09",
                d.client
            ),
            "calendar.edit",
        ),
    ]
}

fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn every_calendar_page_is_allowed_exactly_to_the_roles_holding_its_permission() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccal")).await;
    let d = desk(&app, &t, "Agenda Roles S.L.").await;
    for role in BuiltinRole::ALL {
        let name = format!("as-{}", role.name());
        let (_, token) = app.user_with_roles(&t, &name, &[role.name()]).await;
        let browser = Browser::new(&app, Some(&token));
        let held = role.permissions();
        let can = |p: &str| held.contains(&p);
        for (path, permission) in pages(&d) {
            let (status, body, _) = browser.get(&path).await;
            let expected = if can(permission) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{} GET {path}: {body:.300}", role.name());
        }
        let (_, profile, _) = browser.get(&format!("/clients/{}", d.client)).await;
        assert_eq!(
            profile.contains(r#"id="tab-activities""#) && profile.contains("Revisión trimestral"),
            can("calendar.view"),
            "{}: the client's activities tab",
            role.name()
        );
        let (_, dashboard, _) = browser.get("/").await;
        assert_eq!(
            dashboard.contains("data-today"),
            can("calendar.view"),
            "{}: today on the dashboard",
            role.name()
        );
        assert_eq!(
            dashboard.contains(r#"href="/calendar""#),
            can("calendar.view"),
            "{}: the navigation",
            role.name()
        );
        if !can("calendar.view") {
            continue;
        }
        let (_, calendar, _) = browser.get("/calendar").await;
        assert_eq!(
            calendar.contains(r#"data-editable="true""#),
            can("calendar.edit"),
            "{}: dragging",
            role.name()
        );
        assert_eq!(
            calendar.contains(r#"data-action="new-activity""#),
            can("calendar.edit"),
            "{}: the new activity button",
            role.name()
        );
        let (_, page, _) = browser
            .get(&format!("/calendar/activities/{}", d.meeting))
            .await;
        for action in ["save-activity", "complete-activity", "delete-activity"] {
            assert_eq!(
                page.contains(&format!(r#"data-action="{action}""#)),
                can("calendar.edit"),
                "{} {action}",
                role.name()
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn the_events_feed_expands_a_series_and_only_single_planned_activities_are_draggable() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccalf")).await;
    let d = desk(&app, &t, "Agenda Feed S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let from = Utc::now() - Duration::days(21);
    let to = Utc::now() + Duration::days(35);
    let (status, body, _) = owner
        .get(&format!(
            "/calendar/events?from={}&to={}&client_id={}",
            urlencoding(&from.to_rfc3339()),
            urlencoding(&to.to_rfc3339()),
            d.client
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body:.300}");
    let events: Vec<Value> = serde_json::from_str(&body).expect("events");
    let of = |id: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["groupId"].as_str() == Some(id))
            .collect()
    };
    assert_eq!(of(&d.series).len(), 6, "every occurrence of the series");
    assert!(of(&d.series).iter().all(|e| e["editable"] == json!(false)));
    let meeting = of(&d.meeting);
    assert_eq!(meeting.len(), 1);
    assert_eq!(meeting[0]["editable"], json!(true));
    assert_eq!(meeting[0]["allDay"], json!(false));
    assert_eq!(
        meeting[0]["url"],
        json!(format!("/calendar/activities/{}", d.meeting))
    );
    // Another assignee's filter leaves the owner's activities out; a bad window is named.
    let (_, body, _) = owner
        .get(&format!(
            "/calendar/events?from={}&to={}&assignee_id={}",
            urlencoding(&from.to_rfc3339()),
            urlencoding(&to.to_rfc3339()),
            uuid::Uuid::now_v7()
        ))
        .await;
    assert_eq!(body, "[]");
    let (status, body, _) = owner.get("/calendar/events?from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.300}");
    assert!(body.contains("from"), "{body:.300}");
    app.stop().await;
}

/// What a refused form must leave as it was.
async fn state(app: &TestApp, t: &TenantFixture, d: &Desk) -> Vec<Value> {
    let token = &t.owner_token;
    let mut out = Vec::new();
    for id in [&d.meeting, &d.series] {
        let a = app.get(&format!("/api/v1/activities/{id}"), token).await;
        out.push(a.body.clone());
    }
    out.push(json!(app.count("activities", t.id).await));
    out
}

fn forms(d: &Desk) -> Vec<(String, Vec<(&'static str, String)>)> {
    let m = format!("/calendar/activities/{}", d.meeting);
    vec![
        (
            "/calendar/activities/new".into(),
            vec![
                ("client_id", d.client.clone()),
                ("kind", "call".into()),
                ("title", "Intrusa".into()),
                ("start_date", "2026-12-09".into()),
                ("start_time", "10:00".into()),
                ("time_zone", "Europe/Madrid".into()),
            ],
        ),
        (
            m.clone(),
            vec![
                ("kind", "call".into()),
                ("title", "Cambiada".into()),
                ("start_date", "2026-12-09".into()),
                ("start_time", "10:00".into()),
                ("time_zone", "Europe/Madrid".into()),
                ("version", "1".into()),
            ],
        ),
        (
            format!("{m}/move"),
            vec![
                ("start", "2026-12-09T10:00:00Z".into()),
                ("version", "1".into()),
            ],
        ),
        (
            format!("{m}/status"),
            vec![("status", "done".into()), ("version", "1".into())],
        ),
        (format!("{m}/delete"), vec![]),
    ]
}

#[tokio::test]
async fn a_forged_form_is_refused_for_a_role_without_calendar_edit_and_another_tenant_finds_nothing()
 {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccalr")).await;
    let d = desk(&app, &t, "Agenda Forjada S.L.").await;
    let before = state(&app, &t, &d).await;
    for role in ["viewer", "marketing"] {
        let (_, token) = app.user_with_roles(&t, role, &[role]).await;
        let browser = Browser::new(&app, Some(&token));
        for (path, fields) in forms(&d) {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body, _) = browser.post(&path, &fields).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} POST {path}: {body:.300}"
            );
        }
    }
    let other = app.tenant(&slug("ccalo")).await;
    let intruder = Browser::new(&app, Some(&other.owner_token));
    let (status, _, _) = intruder
        .get(&format!("/calendar/activities/{}", d.meeting))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (path, fields) in forms(&d).into_iter().skip(1) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body, _) = intruder.post(&path, &fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {body:.300}");
    }
    // Planning for another tenant's client finds no such client (as the other modules' forms).
    let (new_path, fields) = &forms(&d)[0];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = intruder.post(new_path, &fields).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body:.300}");
    let from = urlencoding(&(Utc::now() - Duration::days(30)).to_rfc3339());
    let to = urlencoding(&(Utc::now() + Duration::days(30)).to_rfc3339());
    let (_, body, _) = intruder
        .get(&format!(
            "/calendar/events?from={from}&to={to}&assignee_id=&client_id={}",
            d.client
        ))
        .await;
    assert_eq!(body, "[]", "another tenant's events");
    assert_eq!(
        before,
        state(&app, &t, &d).await,
        "a refused form changed something"
    );
    app.stop().await;
}

async fn drop_event(
    browser: &Browser,
    id: &str,
    start: &str,
    end: &str,
    version: &str,
) -> (StatusCode, Value) {
    let (status, body, _) = browser
        .post(
            &format!("/calendar/activities/{id}/move"),
            &[("start", start), ("end", end), ("version", version)],
        )
        .await;
    let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body:.300}"));
    (status, json)
}

#[tokio::test]
async fn a_dropped_event_moves_to_instants_or_days_and_a_stale_version_is_a_conflict() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccalm")).await;
    let d = desk(&app, &t, "Agenda Movida S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let path = format!("/api/v1/activities/{}", d.meeting);
    let version = |v: &Value| v["version"].as_i64().expect("version").to_string();

    let (status, moved) = drop_event(
        &owner,
        &d.meeting,
        "2027-01-12T16:00:00+01:00",
        "2027-01-12T17:30:00+01:00",
        "1",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let stored = app.get(&path, &t.owner_token).await.body;
    assert_eq!(
        (&stored["starts_at"], &stored["ends_at"], &stored["all_day"]),
        (
            &json!("2027-01-12T15:00:00Z"),
            &json!("2027-01-12T16:30:00Z"),
            &json!(false)
        )
    );
    assert_eq!(version(&moved), version(&stored));

    // To the month view's day cell: whole days of Madrid, whatever the browser's zone.
    let (status, moved) = drop_event(&owner, &d.meeting, "2027-07-01", "", &version(&stored)).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let stored = app.get(&path, &t.owner_token).await.body;
    assert_eq!(
        (&stored["starts_at"], &stored["ends_at"], &stored["all_day"]),
        (
            &json!("2027-06-30T22:00:00Z"),
            &json!("2027-07-01T22:00:00Z"),
            &json!(true)
        )
    );

    // The version the calendar showed before is stale: 409, nothing moves.
    let (status, answer) = drop_event(&owner, &d.meeting, "2027-07-05", "", "1").await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    // An end before the start, and a start that is neither: each named.
    let (status, answer) = drop_event(
        &owner,
        &d.meeting,
        "2027-07-05T10:00:00Z",
        "2027-07-05T09:00:00Z",
        &version(&stored),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["pointer"], json!("/ends_at"));
    let (status, answer) = drop_event(&owner, &d.meeting, "soon", "", &version(&stored)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["pointer"], json!("/start"));
    assert_eq!(
        stored,
        app.get(&path, &t.owner_token).await.body,
        "a refused drop changed it"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_activity_forms_work_without_javascript_and_show_their_problems() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccalw")).await;
    let d = desk(&app, &t, "Agenda Formularios S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let count = app.count("activities", t.id).await;

    // Refused: no title, an end before the start, a rule that is not one; nothing is planned.
    let (status, body, _) = owner
        .post(
            "/calendar/activities/new",
            &[
                ("client_id", d.client.as_str()),
                ("kind", "demo"),
                ("title", " "),
                ("start_date", "2027-03-28"),
                ("start_time", "10:00"),
                ("end_date", "2027-03-28"),
                ("end_time", "09:00"),
                ("time_zone", "Europe/Madrid"),
                ("repeat", "custom"),
                ("rule", "EVERY=TUESDAY"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.300}");
    for id in [
        "activity-title-error",
        "activity-ends_at-error",
        "activity-recurrence-error",
    ] {
        assert!(
            body.contains(&format!(r#"id="{id}""#)),
            "{id}: {body:.2000}"
        );
    }
    assert!(
        body.contains(r#"value="2027-03-28""#),
        "the typed values stay"
    );
    assert_eq!(app.count("activities", t.id).await, count);

    // Planned: a monthly demo at 10:00 Madrid time, three times; shown after a redirect.
    let me = app.get("/api/v1/me", &t.owner_token).await;
    let owner_id = me.body["id"].as_str().expect("my id").to_owned();
    let (status, _, location) = owner
        .post(
            "/calendar/activities/new",
            &[
                ("client_id", d.client.as_str()),
                ("kind", "demo"),
                ("title", "Demo del módulo de facturas"),
                ("start_date", "2027-03-28"),
                ("start_time", "10:00"),
                ("end_date", "2027-03-28"),
                ("end_time", "11:00"),
                ("time_zone", "Europe/Madrid"),
                ("repeat", "monthly"),
                ("repeat_count", "3"),
                ("assignee_ids", owner_id.as_str()),
                ("location", "Sala 2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = location.expect("where the activity is shown");
    let id = page.rsplit('/').next().expect("id").to_owned();
    let stored = app
        .get(&format!("/api/v1/activities/{id}"), &t.owner_token)
        .await
        .body;
    assert_eq!(
        stored["starts_at"],
        json!("2027-03-28T08:00:00Z"),
        "summer time in Madrid"
    );
    assert_eq!(stored["recurrence"], json!("FREQ=MONTHLY;COUNT=3"));
    assert_eq!(stored["assignee_ids"], json!([owner_id]));
    let (status, shown, _) = owner.get(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        shown.contains(r#"<option value="monthly" selected>"#),
        "{shown:.3000}"
    );
    assert!(shown.contains(r#"value="10:00""#));

    // Changed at the version it showed; the old version is refused.
    let change = |version: &'static str, title: &'static str| {
        vec![
            ("kind", "demo"),
            ("title", title),
            ("start_date", "2027-03-30"),
            ("start_time", "12:00"),
            ("end_date", "2027-03-30"),
            ("end_time", "12:30"),
            ("time_zone", "Europe/Madrid"),
            ("version", version),
        ]
    };
    let (status, _, location) = owner.post(&page, &change("1", "Demo movida")).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some(page.as_str()))
    );
    let (status, _, _) = owner.post(&page, &change("1", "Demo pisada")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let stored = app
        .get(&format!("/api/v1/activities/{id}"), &t.owner_token)
        .await
        .body;
    assert_eq!(
        (
            &stored["title"],
            &stored["starts_at"],
            &stored["recurrence"]
        ),
        (
            &json!("Demo movida"),
            &json!("2027-03-30T10:00:00Z"),
            &Value::Null
        )
    );

    // Done with its outcome, then deleted.
    let (status, _, _) = owner
        .post(
            &format!("{page}/status"),
            &[
                ("status", "done"),
                ("outcome", "Quieren la propuesta"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = app
        .get(&format!("/api/v1/activities/{id}"), &t.owner_token)
        .await
        .body;
    assert_eq!(
        (&stored["status"], &stored["outcome"]),
        (&json!("done"), &json!("Quieren la propuesta"))
    );
    let (status, _, location) = owner.post(&format!("{page}/delete"), &[]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/calendar"))
    );
    assert_eq!(app.count("activities", t.id).await, count);
    app.stop().await;
}

#[tokio::test]
async fn the_calendar_page_issues_and_revokes_the_users_feed() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccalics")).await;
    let d = desk(&app, &t, "Agenda Suscrita S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let (_, calendar, _) = owner.get("/calendar").await;
    assert!(
        calendar.contains(r#"data-calendar-feed="false""#),
        "no feed yet"
    );
    let (status, page, _) = owner.post("/calendar/feed", &[]).await;
    assert_eq!(status, StatusCode::OK, "{page:.300}");
    let url = page
        .split(r#"value=""#)
        .find(|s| s.contains("/ical/"))
        .and_then(|s| s.split('"').next())
        .expect("the feed's URL, shown once")
        .to_owned();
    let path = url
        .split_once("/ical/")
        .map(|(_, p)| format!("/ical/{p}"))
        .expect("path");
    let signed_out = Browser::new(&app, None);
    let (status, ics, _) = signed_out.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ics.contains("SUMMARY:Revisión trimestral"), "{ics:.500}");
    assert_eq!(
        ics.matches(&format!("UID:{}-", d.series)).count(),
        6,
        "each occurrence of the series is an event"
    );
    let (_, calendar, _) = owner.get("/calendar").await;
    assert!(calendar.contains(r#"data-calendar-feed="true""#));
    let (status, _, location) = owner.post("/calendar/feed/revoke", &[]).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/calendar"))
    );
    assert_eq!(signed_out.get(&path).await.0, StatusCode::NOT_FOUND);
    // Without the calendar, no feed.
    let (_, token) = app.user_with_roles(&t, "marketing", &["marketing"]).await;
    let marketing = Browser::new(&app, Some(&token));
    assert_eq!(
        marketing.post("/calendar/feed", &[]).await.0,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
