//! Support tickets (issue 17), end to end: business calendars, categories with their SLA,
//! tickets with their SLA clock (pauses, replies that do and do not count), the queue, tenant
//! isolation and every built-in role's permission.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

/// A 24/7 category: first response in 60 minutes, next response in 30, resolution in 600
/// (for every priority), warned at 80 %.
fn around_the_clock(name: &str) -> Value {
    let targets = json!({
        "first_response_minutes": 60,
        "next_response_minutes": 30,
        "resolution_minutes": 600
    });
    json!({
        "name": name,
        "sla": { "urgent": targets, "high": targets, "normal": targets, "low": targets },
        "warn_at_percent": 80
    })
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// A client, and a 24/7 category, of the tenant.
async fn client_and_category(app: &TestApp, t: &TenantFixture) -> (String, String) {
    let client = created(
        app,
        "/api/v1/clients",
        &t.owner_token,
        json!({ "company_name": "Acme Ibérica" }),
    )
    .await;
    let category = created(
        app,
        "/api/v1/ticket-categories",
        &t.owner_token,
        around_the_clock("Incidents"),
    )
    .await;
    (id_of(&client), id_of(&category))
}

async fn ticket(app: &TestApp, token: &str, body: Value) -> Value {
    created(app, "/api/v1/tickets", token, body).await
}

/// Moves a ticket's creation into the past (the SLA clock then started back then).
async fn created_minutes_ago(app: &TestApp, id: &str, minutes: i64) {
    sqlx::query(
        "UPDATE tickets SET created_at = now() - make_interval(mins => $2::int) WHERE id = $1",
    )
    .bind(Uuid::parse_str(id).expect("uuid"))
    .bind(minutes as i32)
    .execute(&app.owner)
    .await
    .expect("backdate");
}

fn event_types(r: &Reply) -> Vec<String> {
    r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["event_type"].as_str().expect("type").to_owned())
        .collect()
}

fn ids(r: &Reply) -> Vec<String> {
    r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(id_of)
        .collect()
}

fn pointers(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_ticket_lives_its_life_on_the_timeline() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkt")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let contact = created(
        &app,
        &format!("/api/v1/clients/{client}/contacts"),
        &t.owner_token,
        json!({ "name": "Ana García" }),
    )
    .await;
    let (agent, agent_token) = app.user_with_roles(&t, "agent", &["support"]).await;

    // No priority given: the rules choose it, and say why.
    let tk = ticket(
        &app,
        &agent_token,
        json!({
            "client_id": client,
            "contact_id": id_of(&contact),
            "category_id": category,
            "title": "El servidor está caído",
            "description": "Desde esta mañana",
            "assignee_id": agent,
            "team": "Nivel 1"
        }),
    )
    .await;
    let id = id_of(&tk);
    assert_eq!(tk["status"], "new");
    assert_eq!(tk["priority"], "high");
    assert!(
        tk["priority_reason"]
            .as_str()
            .expect("reason")
            .contains("keyword"),
        "{}",
        tk["priority_reason"]
    );
    assert_eq!(tk["sla"]["first_response"]["met"], false);
    assert!(tk["sla"]["first_response"]["due_at"].is_string());
    assert!(tk["sla"]["next_response"].is_null());

    let path = format!("/api/v1/tickets/{id}");
    let got = app.get(&path, &agent_token).await;
    assert_eq!(got.status, StatusCode::OK);
    let etag = got.header("etag").expect("etag").to_owned();

    // Waiting for the customer pauses the clock, with the reason kept.
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&agent_token),
            Some(json!({ "status": "pending_customer", "status_reason": "asked for the logs" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sla"]["paused"], true);
    assert!(r.body["sla"]["first_response"]["due_at"].is_null());
    assert_eq!(r.body["pauses"][0]["reason"], "pending_customer");
    assert_eq!(r.body["pauses"][0]["note"], "asked for the logs");
    assert!(r.body["pauses"][0]["ended_at"].is_null());
    let stale = app
        .call(
            Method::PATCH,
            &path,
            Some(&agent_token),
            Some(json!({ "title": "x" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let due_while_paused: Option<String> =
        sqlx::query_scalar("SELECT next_due_at::text FROM tickets WHERE id = $1")
            .bind(Uuid::parse_str(&id).expect("uuid"))
            .fetch_one(&app.owner)
            .await
            .expect("due");
    assert_eq!(due_while_paused, None, "no due time while paused");

    // Back to work: the pause ends and the clock runs again.
    let r = app
        .patch(&path, &agent_token, json!({ "status": "open" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sla"]["paused"], false);
    assert!(r.body["pauses"][0]["ended_at"].is_string());
    assert!(r.body["sla"]["first_response"]["due_at"].is_string());

    // A new priority needs its reason.
    let r = app
        .patch(&path, &agent_token, json!({ "priority": "urgent" }))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&r), ["/priority_reason"]);
    let r = app
        .patch(
            &path,
            &agent_token,
            json!({ "priority": "urgent", "priority_reason": "the whole office is down" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["priority"], "urgent");
    assert_eq!(r.body["priority_reason"], "the whole office is down");

    // The thread: a note counts for nothing; a public reply meets the first response; the
    // customer's message restarts next response.
    let comments = format!("{path}/comments");
    created(
        &app,
        &comments,
        &agent_token,
        json!({ "body": "Looks like the disk", "public": false }),
    )
    .await;
    let after_note = app.get(&path, &agent_token).await;
    assert!(after_note.body["first_response_at"].is_null());
    assert_eq!(after_note.body["sla"]["first_response"]["met"], false);
    let reply = created(
        &app,
        &comments,
        &agent_token,
        json!({ "body": "We are on it", "public": true }),
    )
    .await;
    assert_eq!(reply["author_kind"], "agent");
    assert_eq!(reply["author_id"], agent.to_string());
    let after_reply = app.get(&path, &agent_token).await;
    assert_eq!(after_reply.body["first_response_at"], reply["created_at"]);
    assert_eq!(after_reply.body["sla"]["first_response"]["met"], true);
    assert!(after_reply.body["sla"]["next_response"].is_null());
    let second = created(
        &app,
        &comments,
        &agent_token,
        json!({ "body": "Still on it", "public": true }),
    )
    .await;
    let after_second = app.get(&path, &agent_token).await;
    assert_eq!(
        after_second.body["first_response_at"], reply["created_at"],
        "the first response is set once"
    );
    assert_eq!(
        after_second.body["last_agent_reply_at"],
        second["created_at"]
    );
    created(
        &app,
        &comments,
        &agent_token,
        json!({ "body": "Any news?", "public": true, "author_kind": "customer" }),
    )
    .await;
    let after_customer = app.get(&path, &agent_token).await;
    assert_eq!(
        after_customer.body["sla"]["next_response"]["met"], false,
        "{}",
        after_customer.text
    );
    let thread = app.get(&comments, &agent_token).await;
    let kinds: Vec<(&str, bool)> = thread.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| {
            (
                c["author_kind"].as_str().expect("kind"),
                c["public"] == true,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("agent", false),
            ("agent", true),
            ("agent", true),
            ("customer", true)
        ]
    );

    // Satisfaction comes once resolved.
    let r = app
        .patch(&path, &agent_token, json!({ "satisfaction": 5 }))
        .await;
    assert_eq!(pointers(&r), ["/satisfaction"]);
    let r = app
        .patch(
            &path,
            &agent_token,
            json!({ "status": "resolved", "satisfaction": 4 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["resolved_at"].is_string());
    assert_eq!(r.body["satisfaction"], 4);
    assert!(r.body["resolution_time_hours"].is_number());
    assert_eq!(r.body["sla"]["resolution"]["met"], true);
    assert!(r.body["sla"]["next_due_at"].is_null());
    let r = app
        .patch(&path, &agent_token, json!({ "status": "new" }))
        .await;
    assert_eq!(pointers(&r), ["/status"]);
    // Reopening forgets the resolution; the time it stood resolved is a pause.
    let r = app
        .patch(&path, &agent_token, json!({ "status": "open" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["resolved_at"].is_null());
    let reasons: Vec<&str> = r.body["pauses"]
        .as_array()
        .expect("pauses")
        .iter()
        .map(|p| p["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, ["pending_customer", "resolved"]);

    // Every change is on the client's timeline.
    let timeline = app
        .get(
            &format!("/api/v1/clients/{client}/timeline?limit=100"),
            &t.owner_token,
        )
        .await;
    let kinds = event_types(&timeline);
    for kind in [
        "ticket.created",
        "ticket.updated",
        "ticket.noted",
        "ticket.replied",
        "ticket.customer_replied",
    ] {
        assert!(
            kinds.contains(&kind.to_owned()),
            "{kind} missing: {kinds:?}"
        );
    }

    // The queue and its filters.
    let mine = app.get("/api/v1/tickets?mine=true", &agent_token).await;
    assert_eq!(ids(&mine), [id.as_str()]);
    let others = app.get("/api/v1/tickets?mine=true", &t.owner_token).await;
    assert!(ids(&others).is_empty());
    let open = app
        .get("/api/v1/tickets?status=open&priority=urgent", &agent_token)
        .await;
    assert_eq!(ids(&open), [id.as_str()]);
    let none = app.get("/api/v1/tickets?status=closed", &agent_token).await;
    assert!(ids(&none).is_empty());
    let of_client = app
        .get(&format!("/api/v1/clients/{client}/tickets"), &agent_token)
        .await;
    assert_eq!(ids(&of_client), [id.as_str()]);
    assert!(of_client.body["data"][0]["sla"].is_object());
    let bad = app
        .get("/api/v1/tickets?status=done&mine=yes", &agent_token)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn the_queue_pages_by_newest_and_by_due_time() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkq")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let mut made = Vec::new();
    for i in 0..5 {
        let tk = ticket(
            &app,
            &t.owner_token,
            json!({ "client_id": client, "category_id": category, "title": format!("T{i}"), "priority": "low" }),
        )
        .await;
        made.push(id_of(&tk));
    }
    let no_sla = ticket(
        &app,
        &t.owner_token,
        json!({ "client_id": client, "title": "No SLA" }),
    )
    .await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(
                &format!("/api/v1/tickets?limit=2&sort=due&cursor={cursor}"),
                &t.owner_token,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(ids(&r));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let mut expected = made.clone();
    expected.push(id_of(&no_sla));
    assert_eq!(seen, expected, "oldest due first, no due time last");
    let newest = app.get("/api/v1/tickets?limit=100", &t.owner_token).await;
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(ids(&newest), reversed);
    app.stop().await;
}

#[tokio::test]
async fn the_sla_on_a_24_7_category_is_right() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tks")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let tk = ticket(
        &app,
        &t.owner_token,
        json!({ "client_id": client, "category_id": category, "title": "Slow", "priority": "normal" }),
    )
    .await;
    let id = id_of(&tk);
    let path = format!("/api/v1/tickets/{id}");

    // 50 of 60 minutes used: 10 left, at risk (past 80 %), not breached.
    created_minutes_ago(&app, &id, 50).await;
    let r = app.get(&path, &t.owner_token).await;
    let first = &r.body["sla"]["first_response"];
    let left = first["remaining_business_minutes"]
        .as_i64()
        .expect("minutes");
    assert!((9..=10).contains(&left), "{first}");
    assert_eq!(first["breached"], false);
    assert_eq!(first["at_risk"], true);
    assert_eq!(r.body["sla"]["at_risk"], true);
    let resolution = &r.body["sla"]["resolution"];
    let left = resolution["remaining_business_minutes"]
        .as_i64()
        .expect("minutes");
    assert!((549..=550).contains(&left), "{resolution}");
    let created_at =
        chrono::DateTime::parse_from_rfc3339(r.body["created_at"].as_str().expect("t"))
            .expect("time");
    let due =
        chrono::DateTime::parse_from_rfc3339(first["due_at"].as_str().expect("due")).expect("time");
    assert_eq!(due - created_at, chrono::TimeDelta::minutes(60));

    // Two hours in: an hour late, breached; after any change the queue finds it breached.
    created_minutes_ago(&app, &id, 120).await;
    let r = app
        .patch(&path, &t.owner_token, json!({ "title": "Very slow" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = &r.body["sla"]["first_response"];
    let left = first["remaining_business_minutes"]
        .as_i64()
        .expect("minutes");
    assert!((-61..=-60).contains(&left), "{first}");
    assert_eq!(first["breached"], true);
    assert_eq!(r.body["sla"]["breached"], true);
    assert_eq!(r.body["sla"]["at_risk"], false);
    let breached = app
        .get("/api/v1/tickets?breached=true", &t.owner_token)
        .await;
    assert_eq!(ids(&breached), [id.as_str()]);
    let at_risk = app
        .get("/api/v1/tickets?at_risk=true", &t.owner_token)
        .await;
    assert!(ids(&at_risk).is_empty());

    // A late public reply meets the target, but late: breached it stays.
    created(
        &app,
        &format!("{path}/comments"),
        &t.owner_token,
        json!({ "body": "Sorry for the wait", "public": true }),
    )
    .await;
    let r = app.get(&path, &t.owner_token).await;
    let first = &r.body["sla"]["first_response"];
    assert_eq!(
        (first["met"].clone(), first["breached"].clone()),
        (json!(true), json!(true))
    );
    // The nearest open target is now resolution, 480 minutes ahead.
    let next: chrono::DateTime<chrono::FixedOffset> =
        chrono::DateTime::parse_from_rfc3339(r.body["sla"]["next_due_at"].as_str().expect("due"))
            .expect("time");
    let created_at =
        chrono::DateTime::parse_from_rfc3339(r.body["created_at"].as_str().expect("t"))
            .expect("time");
    assert_eq!(next - created_at, chrono::TimeDelta::minutes(600));
    let breached = app
        .get("/api/v1/tickets?breached=true", &t.owner_token)
        .await;
    assert!(ids(&breached).is_empty());

    // A ticket at 50 minutes, then put on hold: the clock stands still.
    let held = ticket(
        &app,
        &t.owner_token,
        json!({ "client_id": client, "category_id": category, "title": "Held", "priority": "low" }),
    )
    .await;
    let held_id = id_of(&held);
    created_minutes_ago(&app, &held_id, 50).await;
    let held_path = format!("/api/v1/tickets/{held_id}");
    let r = app
        .patch(&held_path, &t.owner_token, json!({ "status": "on_hold" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = &r.body["sla"]["first_response"];
    assert!(first["due_at"].is_null());
    let left = first["remaining_business_minutes"]
        .as_i64()
        .expect("minutes");
    assert!((9..=10).contains(&left), "{first}");
    let at_risk = app
        .get("/api/v1/tickets?at_risk=true", &t.owner_token)
        .await;
    assert!(ids(&at_risk).is_empty(), "a paused ticket is not at risk");
    // Resumed, it is at risk again.
    let r = app
        .patch(&held_path, &t.owner_token, json!({ "status": "open" }))
        .await;
    assert_eq!(r.body["sla"]["at_risk"], true);
    let at_risk = app
        .get("/api/v1/tickets?at_risk=true", &t.owner_token)
        .await;
    assert_eq!(ids(&at_risk), [held_id.as_str()]);
    app.stop().await;
}

#[tokio::test]
async fn a_category_change_moves_the_due_times_of_its_open_tickets() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkc")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let tk = ticket(
        &app,
        &t.owner_token,
        json!({ "client_id": client, "category_id": category, "title": "Slow", "priority": "high" }),
    )
    .await;
    let due = |app: &TestApp, id: String| {
        let pool = app.owner.clone();
        async move {
            sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
                "SELECT next_due_at FROM tickets WHERE id = $1",
            )
            .bind(Uuid::parse_str(&id).expect("uuid"))
            .fetch_one(&pool)
            .await
            .expect("due")
        }
    };
    let before = due(&app, id_of(&tk)).await.expect("due");
    let r = app
        .patch(
            &format!("/api/v1/ticket-categories/{category}"),
            &t.owner_token,
            json!({ "sla": { "high": { "first_response_minutes": 15 } } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let after = due(&app, id_of(&tk)).await.expect("due");
    assert_eq!(before - after, chrono::TimeDelta::minutes(45));
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkb")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let other_client = created(
        &app,
        "/api/v1/clients",
        &t.owner_token,
        json!({ "company_name": "Other" }),
    )
    .await;
    let foreign_contact = created(
        &app,
        &format!("/api/v1/clients/{}/contacts", id_of(&other_client)),
        &t.owner_token,
        json!({ "name": "Not theirs" }),
    )
    .await;
    let tk = ticket(
        &app,
        &t.owner_token,
        json!({ "client_id": client, "category_id": category, "title": "Fine" }),
    )
    .await;
    let path = format!("/api/v1/tickets/{}", id_of(&tk));
    let snapshot = || async {
        (
            app.count("tickets", t.id).await,
            app.count("ticket_categories", t.id).await,
            app.count("business_calendars", t.id).await,
            app.count("ticket_comments", t.id).await,
            app.count("ticket_pauses", t.id).await,
            app.count("audit_events", t.id).await,
        )
    };
    let before = snapshot().await;
    let version_before = app
        .get(&path, &t.owner_token)
        .await
        .header("etag")
        .map(str::to_owned);
    let missing = Uuid::now_v7();

    let cases: Vec<(Method, String, Value, &[&str])> = vec![
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({ "client_id": missing, "title": "x" }),
            &["/client_id"],
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({ "client_id": client, "title": "  ", "priority": "critical",
                    "contact_id": id_of(&foreign_contact), "category_id": missing,
                    "assignee_id": missing }),
            &[
                "/title",
                "/priority",
                "/contact_id",
                "/category_id",
                "/assignee_id",
            ],
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({ "title": "x" }),
            &["/client_id"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({ "status": "closed" }),
            &["/status"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({ "status": "on_hold", "satisfaction": 9, "title": "" }),
            &["/title", "/satisfaction"],
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({ "contact_id": id_of(&foreign_contact) }),
            &["/contact_id"],
        ),
        (
            Method::POST,
            format!("{path}/comments"),
            json!({ "body": " ", "public": true }),
            &["/body"],
        ),
        (
            Method::POST,
            format!("{path}/comments"),
            json!({ "body": "hi", "public": false, "author_kind": "customer" }),
            &["/public"],
        ),
        (
            Method::POST,
            format!("{path}/comments"),
            json!({ "body": "hi" }),
            &["/public"],
        ),
        (
            Method::POST,
            "/api/v1/ticket-categories".into(),
            json!({ "name": "Bad", "sla": { "high": { "resolution_minutes": 0 } },
                    "calendar_id": missing, "warn_at_percent": 100, "default_priority": "asap" }),
            &[
                "/sla/high/resolution_minutes",
                "/calendar_id",
                "/warn_at_percent",
                "/default_priority",
            ],
        ),
        (
            Method::POST,
            "/api/v1/ticket-categories".into(),
            json!({ "name": "Bad", "sla": { "high": { "first_response_minutes": 1.5 } } }),
            &["/sla/high/first_response_minutes"],
        ),
        (
            Method::POST,
            "/api/v1/business-calendars".into(),
            json!({ "name": "Office", "time_zone": "Europe/Madrid",
                    "weekly_hours": { "mon": [["18:00", "09:00"]] } }),
            &["/weekly_hours/mon/0"],
        ),
        (
            Method::POST,
            "/api/v1/business-calendars".into(),
            json!({ "name": "Office", "time_zone": "Mars/Olympus",
                    "weekly_hours": { "mon": [["09:00", "18:00"]] } }),
            &["/time_zone"],
        ),
        (
            Method::POST,
            "/api/v1/business-calendars".into(),
            json!({ "name": "Office" }),
            &["/time_zone", "/weekly_hours"],
        ),
    ];
    for (method, path, body, expected) in cases {
        let r = app
            .call(
                method.clone(),
                &path,
                Some(&t.owner_token),
                Some(body.clone()),
                &[],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}: {}",
            r.text
        );
        let got = pointers(&r);
        for p in expected {
            assert!(
                got.contains(&(*p).to_owned()),
                "{method} {path} {body}: {p} not in {got:?}"
            );
        }
    }
    assert_eq!(snapshot().await, before, "bad input wrote something");
    let version_after = app
        .get(&path, &t.owner_token)
        .await
        .header("etag")
        .map(str::to_owned);
    assert_eq!(version_before, version_after);

    // Names are unique; what is in use stays.
    let r = app
        .post(
            "/api/v1/ticket-categories",
            &t.owner_token,
            around_the_clock("incidents"),
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "category-exists")
    );
    let r = app
        .delete(
            &format!("/api/v1/ticket-categories/{category}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "category-in-use")
    );
    let calendar = created(
        &app,
        "/api/v1/business-calendars",
        &t.owner_token,
        json!({ "name": "Office", "time_zone": "Europe/Madrid",
                "weekly_hours": { "mon": [["09:00", "14:00"], ["15:00", "18:00"]] } }),
    )
    .await;
    let r = app
        .patch(
            &format!("/api/v1/ticket-categories/{category}"),
            &t.owner_token,
            json!({ "calendar_id": id_of(&calendar) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .delete(
            &format!("/api/v1/business-calendars/{}", id_of(&calendar)),
            &t.owner_token,
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "calendar-in-use")
    );
    app.stop().await;
}

#[tokio::test]
async fn holidays_come_from_an_ical_feed() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkh")).await;
    let calendar = created(
        &app,
        "/api/v1/business-calendars",
        &t.owner_token,
        json!({ "name": "Madrid office", "time_zone": "Europe/Madrid",
                "weekly_hours": { "mon": [["09:00", "18:00"]], "fri": [["09:00", "15:00"]] },
                "holidays": ["2026-01-01"] }),
    )
    .await;
    assert_eq!(calendar["weekly_hours"]["fri"], json!([["09:00", "15:00"]]));
    let path = format!("/api/v1/business-calendars/{}", id_of(&calendar));
    let feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n\
                SUMMARY:Navidad\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\n\
                SUMMARY:Año nuevo\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let send = |body: &'static str, content_type: &'static str| {
        let req = app
            .http
            .post(app.url(&format!("{path}/holidays")))
            .bearer_auth(&t.owner_token)
            .header("content-type", content_type)
            .body(body);
        async move { read(req.send().await.expect("send")).await }
    };
    let r = send(feed, "text/calendar; charset=utf-8").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["holidays"], json!(["2026-01-01", "2026-12-25"]));
    assert!(r.header("etag").is_some());
    let r = send("not a feed", "text/calendar").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = send(feed, "application/json").await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let got = app.get(&path, &t.owner_token).await;
    assert_eq!(got.body["holidays"], json!(["2026-01-01", "2026-12-25"]));
    let audit = app
        .get(
            "/api/v1/audit-events?action=business_calendar.updated",
            &t.owner_token,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert_eq!(audit.body["data"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_tickets_categories_and_calendars_are_not_found() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("tka")).await;
    let b = app.tenant(&slug("tkz")).await;
    let (b_client, b_category) = client_and_category(&app, &b).await;
    let b_calendar = created(
        &app,
        "/api/v1/business-calendars",
        &b.owner_token,
        json!({ "name": "B office", "time_zone": "UTC",
                "weekly_hours": { "mon": [["09:00", "18:00"]] } }),
    )
    .await;
    let b_ticket = ticket(
        &app,
        &b.owner_token,
        json!({ "client_id": b_client, "category_id": b_category, "title": "Theirs" }),
    )
    .await;
    let (a_client, _) = client_and_category(&app, &a).await;
    let tk = format!("/api/v1/tickets/{}", id_of(&b_ticket));
    let cat = format!("/api/v1/ticket-categories/{b_category}");
    let cal = format!("/api/v1/business-calendars/{}", id_of(&b_calendar));
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, tk.clone(), None),
        (
            Method::PATCH,
            tk.clone(),
            Some(json!({ "title": "Mine now" })),
        ),
        (Method::GET, format!("{tk}/comments"), None),
        (
            Method::POST,
            format!("{tk}/comments"),
            Some(json!({ "body": "hi", "public": true })),
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{b_client}/tickets"),
            None,
        ),
        (Method::GET, cat.clone(), None),
        (
            Method::PATCH,
            cat.clone(),
            Some(json!({ "name": "Mine now" })),
        ),
        (Method::DELETE, cat.clone(), None),
        (Method::GET, cal.clone(), None),
        (
            Method::PATCH,
            cal.clone(),
            Some(json!({ "name": "Mine now" })),
        ),
        (Method::DELETE, cal.clone(), None),
    ];
    for (method, path, body) in requests {
        let r = app
            .call(method.clone(), &path, Some(&a.owner_token), body, &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.text
        );
    }
    // Their ids cannot be borrowed either.
    let r = app
        .post(
            "/api/v1/tickets",
            &a.owner_token,
            json!({ "client_id": b_client, "title": "x" }),
        )
        .await;
    assert_eq!(pointers(&r), ["/client_id"]);
    let r = app
        .post(
            "/api/v1/tickets",
            &a.owner_token,
            json!({ "client_id": a_client, "category_id": b_category, "title": "x" }),
        )
        .await;
    assert_eq!(pointers(&r), ["/category_id"]);
    let r = app
        .post(
            "/api/v1/ticket-categories",
            &a.owner_token,
            json!({ "name": "Borrowing", "calendar_id": id_of(&b_calendar) }),
        )
        .await;
    assert_eq!(pointers(&r), ["/calendar_id"]);
    for list in [
        "/api/v1/tickets",
        "/api/v1/ticket-categories",
        "/api/v1/business-calendars",
    ] {
        let r = app.get(list, &a.owner_token).await;
        let text = r.text;
        for theirs in [id_of(&b_ticket), b_category.clone(), id_of(&b_calendar)] {
            assert!(!text.contains(&theirs), "{list} shows {theirs}");
        }
    }
    // Untouched.
    let theirs = app.get(&tk, &b.owner_token).await;
    assert_eq!(theirs.body["title"], "Theirs");
    assert_eq!(theirs.header("etag"), Some("\"1\""));
    assert_eq!(app.count("ticket_comments", b.id).await, 0);
    assert_eq!(
        app.get(&cat, &b.owner_token).await.body["name"],
        "Incidents"
    );
    assert_eq!(app.get(&cal, &b.owner_token).await.body["name"], "B office");
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
async fn ticket_endpoints_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkr")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let calendar = created(
        &app,
        "/api/v1/business-calendars",
        &t.owner_token,
        json!({ "name": "Office", "time_zone": "UTC",
                "weekly_hours": { "mon": [["09:00", "18:00"]] } }),
    )
    .await;
    let tk = ticket(
        &app,
        &t.owner_token,
        json!({ "client_id": client, "category_id": category, "title": "Target" }),
    )
    .await;
    let id = id_of(&tk);
    let cal = id_of(&calendar);
    let missing = Uuid::now_v7();
    const VIEW: &[&str] = &["owner", "admin", "sales", "support", "viewer"];
    const WORK: &[&str] = &["owner", "admin", "support"];
    const CONFIG: &[&str] = &["owner", "admin"];
    let cases: Vec<RoleCase> = vec![
        (
            Method::GET,
            "/api/v1/tickets".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            Some(json!({ "client_id": client, "title": "" })),
            WORK,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{id}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/tickets/{missing}"),
            Some(json!({})),
            WORK,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("/api/v1/tickets/{id}/comments"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{missing}/comments"),
            Some(json!({ "body": "hi", "public": false })),
            WORK,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{client}/tickets"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/ticket-categories".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/ticket-categories".into(),
            Some(json!({ "name": "" })),
            CONFIG,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/ticket-categories/{category}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/ticket-categories/{missing}"),
            Some(json!({})),
            CONFIG,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/ticket-categories/{missing}"),
            None,
            CONFIG,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            "/api/v1/business-calendars".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/business-calendars".into(),
            Some(json!({ "name": "" })),
            CONFIG,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/business-calendars/{cal}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/business-calendars/{missing}"),
            Some(json!({})),
            CONFIG,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/business-calendars/{missing}"),
            None,
            CONFIG,
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
        // The holiday import reads a text/calendar body.
        let r = read(
            app.http
                .post(app.url(&format!("/api/v1/business-calendars/{missing}/holidays")))
                .bearer_auth(&token)
                .header("content-type", "text/calendar")
                .body("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
                .send()
                .await
                .expect("send"),
        )
        .await;
        let expected = if CONFIG.contains(&role) {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        if r.status != expected {
            failures.push(format!(
                "{role}: holidays -> {} (expected {expected})",
                r.status
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.stop().await;
}

#[tokio::test]
async fn an_angry_ticket_is_raised_by_its_sentiment() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tkm")).await;
    let (client, category) = client_and_category(&app, &t).await;
    let tk = ticket(
        &app,
        &t.owner_token,
        json!({
            "client_id": client,
            "category_id": category,
            "title": "El servidor está caído",
            "description": "No funciona desde esta mañana"
        }),
    )
    .await;
    // The keyword raises it to high, the negative sentiment one step more.
    assert_eq!(tk["priority"], "urgent", "{tk}");
    let reason = tk["priority_reason"].as_str().expect("reason");
    assert!(reason.contains("negative sentiment"), "{reason}");
}
