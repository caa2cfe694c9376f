//! The console's ticket pages on the server side: each page is allowed exactly to the roles
//! holding its permission and shows only the controls the role may use; a forged form of a
//! role without the permission changes nothing; another tenant's ticket, category and
//! calendar are not found; and the forms work without JavaScript (post/redirect/get, field
//! problems next to the fields, a stale change shown as a conflict).

use domain::BuiltinRole;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::console::Browser;
use tests::{TenantFixture, TestApp, slug, spawn_app};

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

/// What a tenant's ticket pages are shown with: a client, a calendar, a category on it and a
/// ticket in that category.
struct Desk {
    client: String,
    calendar: String,
    category: String,
    ticket: String,
}

async fn desk(app: &TestApp, t: &TenantFixture, name: &str) -> Desk {
    let token = &t.owner_token;
    let client = created(
        app,
        "/api/v1/clients",
        token,
        json!({ "company_name": name }),
    )
    .await;
    let calendar = created(
        app,
        "/api/v1/business-calendars",
        token,
        json!({ "name": "Oficina Madrid", "time_zone": "Europe/Madrid",
                "weekly_hours": { "mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]] } }),
    )
    .await;
    let targets = json!({ "first_response_minutes": 60, "resolution_minutes": 600 });
    let category = created(
        app,
        "/api/v1/ticket-categories",
        token,
        json!({ "name": "Incidencias", "calendar_id": calendar,
                "sla": { "urgent": targets, "high": targets, "normal": targets, "low": targets } }),
    )
    .await;
    let ticket = created(
        app,
        "/api/v1/tickets",
        token,
        json!({ "client_id": client, "category_id": category, "title": "La impresora no imprime",
                "priority": "normal" }),
    )
    .await;
    Desk {
        client,
        calendar,
        category,
        ticket,
    }
}

/// The console's ticket pages and the permission each needs.
fn pages(d: &Desk) -> Vec<(String, &'static str)> {
    [
        ("/tickets", "tickets.view"),
        ("/tickets?client_id={client}", "tickets.view"),
        ("/tickets?breached=true&sort=due", "tickets.view"),
        ("/tickets/new", "tickets.create"),
        ("/tickets/new?client_id={client}", "tickets.create"),
        ("/tickets/new/contacts?client_id={client}", "tickets.create"),
        ("/tickets/{ticket}", "tickets.view"),
        ("/admin/ticket-categories", "tickets.config"),
        ("/admin/ticket-categories/new", "tickets.config"),
        ("/admin/ticket-categories/{category}", "tickets.config"),
        ("/admin/business-calendars", "tickets.config"),
        ("/admin/business-calendars/new", "tickets.config"),
        ("/admin/business-calendars/{calendar}", "tickets.config"),
    ]
    .into_iter()
    .map(|(p, perm)| {
        let path = p
            .replace("{client}", &d.client)
            .replace("{ticket}", &d.ticket)
            .replace("{category}", &d.category)
            .replace("{calendar}", &d.calendar);
        (path, perm)
    })
    .collect()
}

#[tokio::test]
async fn every_tickets_page_is_allowed_exactly_to_the_roles_holding_its_permission() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cont")).await;
    let d = desk(&app, &t, "Talleres Soporte S.L.").await;
    for role in BuiltinRole::ALL {
        let name = format!("as-{}", role.name());
        let (_, token) = app.user_with_roles(&t, &name, &[role.name()]).await;
        let browser = Browser::new(&app, Some(&token));
        let held = role.permissions();
        for (path, permission) in pages(&d) {
            let (status, body, _) = browser.get(&path).await;
            let expected = if held.contains(&permission) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{} GET {path}: {body:.300}", role.name());
            if status == StatusCode::FORBIDDEN {
                assert!(body.contains(r#"data-problem="forbidden""#), "{body:.300}");
            }
        }
        if !held.contains(&"tickets.view") {
            continue;
        }
        // Only the controls the role may use are rendered.
        let (_, queue, _) = browser.get("/tickets").await;
        assert!(
            queue.contains(&d.ticket),
            "{}: the queue lacks the ticket",
            role.name()
        );
        assert_eq!(
            queue.contains(r#"data-action="new-ticket""#),
            held.contains(&"tickets.create"),
            "{}",
            role.name()
        );
        let (_, ticket, _) = browser.get(&format!("/tickets/{}", d.ticket)).await;
        for (action, permission) in [
            ("send-reply", "tickets.create"),
            ("save-ticket", "tickets.edit"),
        ] {
            assert_eq!(
                ticket.contains(&format!(r#"data-action="{action}""#)),
                held.contains(&permission),
                "{} {action}",
                role.name()
            );
        }
        let (_, dashboard, _) = browser.get("/tickets").await;
        assert_eq!(
            dashboard.contains(r#"href="/admin/ticket-categories""#),
            held.contains(&"tickets.config"),
            "{}: the administration menu",
            role.name()
        );
    }
    app.stop().await;
}

/// What a refused form must leave as it was.
async fn state(app: &TestApp, t: &TenantFixture, d: &Desk) -> Vec<Value> {
    let token = &t.owner_token;
    let ticket = app
        .get(&format!("/api/v1/tickets/{}", d.ticket), token)
        .await;
    let category = app
        .get(&format!("/api/v1/ticket-categories/{}", d.category), token)
        .await;
    let calendar = app
        .get(&format!("/api/v1/business-calendars/{}", d.calendar), token)
        .await;
    let mut out = vec![
        json!(ticket.header("etag")),
        ticket.body["status"].clone(),
        ticket.body["priority"].clone(),
        ticket.body["assignee_id"].clone(),
        category.body.clone(),
        calendar.body.clone(),
    ];
    for table in [
        "tickets",
        "ticket_comments",
        "ticket_categories",
        "business_calendars",
    ] {
        out.push(json!(app.count(table, t.id).await));
    }
    out
}

#[tokio::test]
async fn a_forged_form_is_refused_for_a_role_without_the_permission_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cont")).await;
    let d = desk(&app, &t, "Forjas Soporte S.L.").await;
    let before = state(&app, &t, &d).await;
    let ticket = format!("/tickets/{}", d.ticket);
    let comments = format!("{ticket}/comments");
    let category = format!("/admin/ticket-categories/{}", d.category);
    let calendar = format!("/admin/business-calendars/{}", d.calendar);
    let holidays = format!("{calendar}/holidays");
    let feed = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let ticket_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/tickets/new",
            vec![("client_id", d.client.as_str()), ("title", "Intrusa")],
        ),
        (
            &ticket,
            vec![
                ("status", "resolved"),
                ("priority", "normal"),
                ("version", "1"),
            ],
        ),
        (&comments, vec![("body", "Hola"), ("kind", "public")]),
    ];
    let config_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/admin/ticket-categories", vec![("name", "Intrusa")]),
        (&category, vec![("name", "Cambiada"), ("version", "1")]),
        (
            "/admin/business-calendars",
            vec![
                ("name", "Intruso"),
                ("time_zone", "UTC"),
                ("mon-0-start", "09:00"),
                ("mon-0-end", "17:00"),
            ],
        ),
        (&calendar, vec![("name", "Cambiado"), ("version", "1")]),
        (&holidays, vec![("ical", feed), ("version", "1")]),
    ];
    // A viewer may do none of it; sales may only look at tickets; support may not configure.
    for (role, forms) in [
        ("viewer", [&ticket_forms[..], &config_forms[..]].concat()),
        ("sales", [&ticket_forms[..], &config_forms[..]].concat()),
        ("support", config_forms.clone()),
    ] {
        let (_, token) = app.user_with_roles(&t, role, &[role]).await;
        let browser = Browser::new(&app, Some(&token));
        for (path, fields) in &forms {
            let (status, body, _) = browser.post(path, fields).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} POST {path}: {body:.300}"
            );
            assert!(body.contains(r#"data-problem="forbidden""#), "{body:.300}");
        }
    }
    assert_eq!(
        before,
        state(&app, &t, &d).await,
        "a refused form changed something"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_ticket_category_and_calendar_are_not_found_and_stay_untouched() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("conta")).await;
    let b = app.tenant(&slug("contb")).await;
    let d = desk(&app, &a, "Privada Soporte S.L.").await;
    let before = state(&app, &a, &d).await;
    let intruder = Browser::new(&app, Some(&b.owner_token));
    for path in [
        format!("/tickets/{}", d.ticket),
        format!("/tickets?client_id={}", d.client),
        format!("/tickets/new?client_id={}", d.client),
        format!("/admin/ticket-categories/{}", d.category),
        format!("/admin/business-calendars/{}", d.calendar),
    ] {
        let (status, body, _) = intruder.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body:.300}");
    }
    let forms: [(String, Vec<(&str, &str)>); 5] = [
        (
            format!("/tickets/{}", d.ticket),
            vec![
                ("status", "resolved"),
                ("priority", "normal"),
                ("version", "1"),
            ],
        ),
        (
            format!("/tickets/{}/comments", d.ticket),
            vec![("body", "Hola"), ("kind", "public")],
        ),
        (
            format!("/admin/ticket-categories/{}", d.category),
            vec![("name", "Cambiada"), ("version", "1")],
        ),
        (
            format!("/admin/business-calendars/{}", d.calendar),
            vec![
                ("name", "Cambiado"),
                ("time_zone", "UTC"),
                ("mon-0-start", "09:00"),
                ("mon-0-end", "17:00"),
                ("version", "1"),
            ],
        ),
        (
            format!("/admin/business-calendars/{}/holidays", d.calendar),
            vec![
                ("ical", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
                ("version", "1"),
            ],
        ),
    ];
    for (path, fields) in &forms {
        let (status, body, _) = intruder.post(path, fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {body:.300}");
    }
    let (status, queue, _) = intruder.get("/tickets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!queue.contains(&d.ticket), "B's queue shows A's ticket");
    let (_, categories, _) = intruder.get("/admin/ticket-categories").await;
    assert!(!categories.contains(&d.category), "B sees A's category");
    let (_, calendars, _) = intruder.get("/admin/business-calendars").await;
    assert!(!calendars.contains(&d.calendar), "B sees A's calendar");
    assert_eq!(before, state(&app, &a, &d).await);
    app.stop().await;
}

/// The id at the end of a redirect to `prefix/{id}` (query left out).
fn redirected_id(location: &Option<String>, prefix: &str) -> String {
    let location = location.as_deref().expect("a redirect");
    let rest = location.strip_prefix(prefix).expect(location);
    rest.split('?').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_forms_work_without_javascript_and_show_their_problems() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("contf")).await;
    let client = created(
        &app,
        "/api/v1/clients",
        &t.owner_token,
        json!({ "company_name": "Formularios Soporte S.L." }),
    )
    .await;
    let owner = Browser::new(&app, Some(&t.owner_token));

    // A calendar: a bad stretch and a bad holiday are shown next to them.
    let mut calendar_form = vec![
        ("name", "Madrid"),
        ("time_zone", "Europe/Madrid"),
        ("mon-0-start", "09:00"),
        ("mon-0-end", "14:00"),
        ("mon-1-start", "16:00"),
        ("mon-1-end", "19:00"),
        ("tue-0-start", "18:00"),
        ("tue-0-end", "09:00"),
        ("holidays", "2026-01-01\n2026-13-01"),
    ];
    let (status, body, _) = owner
        .post("/admin/business-calendars", &calendar_form)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="tue-0-error""#), "{body}");
    calendar_form[6] = ("tue-0-start", "09:00");
    calendar_form[7] = ("tue-0-end", "18:00");
    let (status, body, _) = owner
        .post("/admin/business-calendars", &calendar_form)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(
        body.contains("calendar-holidays-error") && body.contains("2026-13-01"),
        "{body}"
    );
    calendar_form[8] = ("holidays", "2026-01-01");
    let feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Navidad\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    calendar_form.push(("ical", feed));
    let (status, body, location) = owner
        .post("/admin/business-calendars", &calendar_form)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let calendar = redirected_id(&location, "/admin/business-calendars/");
    let stored = app
        .get(
            &format!("/api/v1/business-calendars/{calendar}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(stored.body["holidays"], json!(["2026-01-01", "2026-12-25"]));
    assert_eq!(
        stored.body["weekly_hours"]["mon"],
        json!([["09:00", "14:00"], ["16:00", "19:00"]])
    );

    // A category: a bad target is shown in its cell.
    let mut category_form = vec![
        ("name", "Incidencias"),
        ("calendar_id", calendar.as_str()),
        ("default_priority", "high"),
        ("warn_at_percent", "75"),
        ("sla-urgent-first_response", "30"),
        ("sla-normal-first_response", "120"),
        ("sla-normal-resolution", "-5"),
    ];
    let (status, body, _) = owner.post("/admin/ticket-categories", &category_form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(
        body.contains(r#"id="sla-normal-resolution-error""#),
        "{body}"
    );
    category_form[6] = ("sla-normal-resolution", "960");
    let (status, body, location) = owner.post("/admin/ticket-categories", &category_form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let category = redirected_id(&location, "/admin/ticket-categories/");
    let stored = app
        .get(
            &format!("/api/v1/ticket-categories/{category}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(stored.body["sla"]["normal"]["resolution_minutes"], 960);
    assert_eq!(stored.body["sla"]["urgent"]["first_response_minutes"], 30);
    assert_eq!(stored.body["warn_at_percent"], 75);
    let (status, page, _) = owner
        .get(&format!("/admin/ticket-categories/{category}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"value="960""#), "{page:.300}");

    // A ticket: no title is refused next to the field; then opened and shown.
    let ticket_form = [
        ("client_id", client.as_str()),
        ("category_id", category.as_str()),
        ("title", ""),
        ("description", "No imprime desde ayer"),
        ("priority", "normal"),
    ];
    let (status, body, _) = owner.post("/tickets/new", &ticket_form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="ticket-title-error""#), "{body}");
    assert!(
        body.contains("No imprime desde ayer"),
        "the typed values stay"
    );
    let mut ticket_form = ticket_form.to_vec();
    ticket_form[2] = ("title", "La impresora no imprime");
    let (status, body, location) = owner.post("/tickets/new", &ticket_form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let ticket = redirected_id(&location, "/tickets/");
    let path = format!("/tickets/{ticket}");
    let (status, page, _) = owner.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-countdown"), "no countdown: {page:.300}");
    assert!(
        page.contains(r#"data-target="first_response""#),
        "{page:.300}"
    );

    // A public reply and an internal note, told apart in the thread.
    let comments = format!("{path}/comments");
    let (status, _, location) = owner
        .post(
            &comments,
            &[("kind", "public"), ("body", "Lo miramos ahora mismo")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=reply").as_str())
    );
    let (status, body, _) = owner
        .post(&comments, &[("kind", "note"), ("body", " ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("ticket-reply-body-error"), "{body}");
    let (status, _, _) = owner
        .post(&comments, &[("kind", "note"), ("body", "Cliente VIP, ojo")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = owner.get(&path).await;
    assert_eq!(page.matches(r#"data-comment-kind="public""#).count(), 1);
    assert_eq!(page.matches(r#"data-comment-kind="note""#).count(), 1);
    assert!(
        page.contains(r#"data-state="met""#),
        "first response not met: {page}"
    );
    let stored = app
        .get(&format!("/api/v1/tickets/{ticket}"), &t.owner_token)
        .await;
    assert_eq!(
        stored.body["sla"]["first_response"]["met"], true,
        "{}",
        stored.text
    );
    let version = stored
        .header("etag")
        .expect("etag")
        .trim_matches('"')
        .to_owned();

    // A new priority needs its reason; a change at an old version is a conflict.
    let change = |priority: &'static str, reason: &'static str, version: String| {
        vec![
            ("status", "open".to_owned()),
            ("priority", priority.to_owned()),
            ("priority_reason", reason.to_owned()),
            ("assignee_id", String::new()),
            ("version", version),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let path = path.clone();
        let owner = &owner;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            owner.post(&path, &fields).await
        }
    };
    let (status, body, _) = send(change("urgent", "", version.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(
        body.contains(r#"id="ticket-priority_reason-error""#),
        "{body}"
    );
    let (status, _, location) = send(change("urgent", "Cliente VIP parado", version.clone())).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=saved").as_str())
    );
    let (status, body, _) = send(change("low", "No es urgente", version)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body:.500}");
    assert!(body.contains(r#"data-problem="stale""#), "{body:.500}");
    let stored = app
        .get(&format!("/api/v1/tickets/{ticket}"), &t.owner_token)
        .await;
    assert_eq!(stored.body["priority"], "urgent");
    assert_eq!(stored.body["status"], "open");
    assert_eq!(stored.body["priority_reason"], "Cliente VIP parado");

    // The queue filters by client; the client's tab leads there.
    let (_, queue, _) = owner.get(&format!("/tickets?client_id={client}")).await;
    assert!(queue.contains(&ticket));
    let (_, profile, _) = owner.get(&format!("/clients/{client}")).await;
    assert!(profile.contains(&format!(r#"href="/tickets?client_id={client}""#)));
    app.stop().await;
}
