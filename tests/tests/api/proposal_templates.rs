//! Proposal templates (issue 16), end to end: versions kept as the content changes, renames,
//! `If-Match`, variable and declaration errors, names unique ignoring case, deleting one in
//! use, the audit trail, tenant isolation and every built-in role's permission.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

const BASE: &str = "/api/v1/proposal-templates";

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
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

/// A template with one section using a declared percentage and the proposal's total.
fn offer(name: &str) -> Value {
    json!({
        "name": name,
        "sections": [
            { "title": "Propuesta para {{clientName}}",
              "body": "Total: {{total}}.\n\nAnticipo: {{deposit}} %, válida hasta {{validUntil}}." }
        ],
        "variables": [{ "name": "deposit", "type": "percentage", "label": "Anticipo" }]
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post(BASE, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"1\""));
    r.body
}

async fn patch_if(app: &TestApp, token: &str, id: &str, tag: &str, body: Value) -> Reply {
    app.call(
        Method::PATCH,
        &format!("{BASE}/{id}"),
        Some(token),
        Some(body),
        &[("If-Match", tag)],
    )
    .await
}

#[tokio::test]
async fn a_change_of_content_adds_a_version_and_the_old_one_stays_readable() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-ver")).await;
    let tok = &t.owner_token;
    let v1 = create(&app, tok, offer("Oferta estándar")).await;
    let id = id_of(&v1);
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["variables"][0]["label"], "Anticipo");
    assert_eq!(v1["sections"][0]["title"], "Propuesta para {{clientName}}");

    let new_sections = json!([
        { "title": "Resumen", "body": "{{deposit}} % por adelantado, {{paymentTerms}}." },
        { "title": "Precio", "body": "{{total}}" }
    ]);
    let r = patch_if(
        &app,
        tok,
        &id,
        "\"1\"",
        json!({ "sections": new_sections,
                "variables": [{ "name": "deposit", "type": "percentage" },
                              { "name": "paymentTerms", "type": "text" }] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"2\""));
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["sections"], new_sections);
    assert_eq!(r.body["variables"][1]["label"], "paymentTerms");

    let newest = app.get(&format!("{BASE}/{id}"), tok).await;
    assert_eq!(
        (newest.body["version"].clone(), newest.header("etag")),
        (json!(2), Some("\"2\""))
    );
    for old in [
        format!("{BASE}/{id}?version=1"),
        format!("{BASE}/{id}/versions/1"),
    ] {
        let r = app.get(&old, tok).await;
        assert_eq!(r.status, StatusCode::OK, "{old}: {}", r.text);
        assert_eq!(r.body["version"], 1, "{old}");
        assert_eq!(r.body["sections"], v1["sections"], "{old}");
        assert_eq!(r.body["variables"], v1["variables"], "{old}");
    }
    for missing in [
        format!("{BASE}/{id}?version=3"),
        format!("{BASE}/{id}/versions/3"),
        format!("{BASE}/{id}/versions/0"),
        format!("{BASE}/{id}/versions/x"),
    ] {
        let r = app.get(&missing, tok).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}: {}", r.text);
    }
    let r = app.get(&format!("{BASE}/{id}?version=zero"), tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/version"]);

    // The same content again changes nothing; a name alone makes no version.
    let r = patch_if(&app, tok, &id, "\"2\"", json!({ "sections": new_sections })).await;
    assert_eq!(
        (r.status, r.body["version"].clone()),
        (StatusCode::OK, json!(2))
    );
    let r = patch_if(&app, tok, &id, "\"2\"", json!({ "name": "Oferta 2027" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["name"].clone(), r.body["version"].clone()),
        (json!("Oferta 2027"), json!(2))
    );
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["updated_at"].as_str().expect("updated_at"))
            .expect("time")
    };
    assert!(at(&r.body) > at(&v1), "a rename moves updated_at");
    let old = app.get(&format!("{BASE}/{id}/versions/1"), tok).await;
    assert_eq!(
        old.body["name"], "Oferta 2027",
        "the name is the template's"
    );

    // A stale tag changes nothing.
    let r = patch_if(&app, tok, &id, "\"1\"", json!({ "name": "Otra" })).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text);
    assert_eq!(
        app.get(&format!("{BASE}/{id}"), tok).await.body["name"],
        "Oferta 2027"
    );
    assert_eq!(app.count("proposal_template_versions", t.id).await, 2);

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE tenant_id = $1 AND target_type = 'proposal_template'
          ORDER BY occurred_at, id",
    )
    .bind(t.id)
    .fetch_all(&app.owner)
    .await
    .expect("audit");
    assert_eq!(
        actions,
        [
            "proposal_template.created",
            "proposal_template.updated",
            "proposal_template.updated"
        ]
    );
    let timeline: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM timeline_events WHERE tenant_id = $1 AND event_type LIKE 'proposal_template.%'",
    )
    .bind(t.id)
    .fetch_one(&app.owner)
    .await
    .expect("timeline");
    assert_eq!(timeline, 0, "templates are about no client");
    app.stop().await;
}

#[tokio::test]
async fn the_list_pages_templates_by_name() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-list")).await;
    let tok = &t.owner_token;
    for name in ["bravo", "Alfa", "charlie"] {
        create(&app, tok, offer(name)).await;
    }
    let first = app.get(&format!("{BASE}?limit=2"), tok).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let names = |r: &Reply| -> Vec<String> {
        r.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["Alfa", "bravo"]);
    assert_eq!(first.body["data"][0]["variables"][0]["name"], "deposit");
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let rest = app
        .get(&format!("{BASE}?limit=2&cursor={cursor}"), tok)
        .await;
    assert_eq!(names(&rest), ["charlie"]);
    assert!(rest.body["next_cursor"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn placeholders_and_declarations_are_checked_where_they_are() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-bad")).await;
    let tok = &t.owner_token;
    let mut unknown = offer("Desconocida");
    unknown["sections"][0]["body"] = json!("Pago: {{paymentTerms}}");
    let r = app.post(BASE, tok, unknown).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/sections/0/body"]);
    assert!(r.text.contains("paymentTerms"), "{}", r.text);

    let r = app
        .post(
            BASE,
            tok,
            json!({ "name": "Tipos", "sections": [{ "title": "T", "body": "{{deposit}} {{total}}" }],
                    "variables": [{ "name": "deposit", "type": "percent" },
                                  { "name": "total", "type": "money" }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/variables/0/type", "/variables/1/name"]);

    let r = app
        .post(BASE, tok, json!({ "name": " ", "sections": [] }))
        .await;
    assert_eq!(pointers(&r), ["/name", "/sections"]);
    let r = app
        .post(BASE, tok, json!({ "name": "Sin secciones" }))
        .await;
    assert_eq!(pointers(&r), ["/sections"]);
    assert_eq!(app.count("proposal_templates", t.id).await, 0);

    // A custom field's key may be used once it exists.
    let mut custom = offer("Con campo");
    custom["sections"][0]["body"] = json!("Nivel {{custom.tier}}");
    let r = app.post(BASE, tok, custom.clone()).await;
    assert_eq!(pointers(&r), ["/sections/0/body"]);
    let r = app
        .post(
            "/api/v1/custom-fields",
            tok,
            json!({ "key": "tier", "label": "Tier", "field_type": "text" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let made = create(&app, tok, custom).await;

    // Dropping a declared variable the sections use is refused on the section.
    let uses = create(&app, tok, offer("Usa anticipo")).await;
    let r = app
        .patch(
            &format!("{BASE}/{}", id_of(&uses)),
            tok,
            json!({ "variables": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/sections/0/body"]);
    assert_eq!(app.count("proposal_template_versions", t.id).await, 2);
    assert_eq!(made["version"], 1);
    app.stop().await;
}

#[tokio::test]
async fn names_are_unique_ignoring_case() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-dup")).await;
    let tok = &t.owner_token;
    create(&app, tok, offer("Mantenimiento")).await;
    let r = app.post(BASE, tok, offer("MANTENIMIENTO")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem(), "template-name-taken");
    let other = create(&app, tok, offer("Instalación")).await;
    let r = app
        .patch(
            &format!("{BASE}/{}", id_of(&other)),
            tok,
            json!({ "name": "mantenimiento" }),
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "template-name-taken")
    );
    assert_eq!(app.count("proposal_templates", t.id).await, 2);
    app.stop().await;
}

/// A proposal as the tests insert it: made from `version` of `template`, sent and decided so
/// many days ago (none: not yet).
struct Seed<'a> {
    template: &'a str,
    version: i32,
    currency: &'a str,
    total: &'a str,
    status: &'a str,
    sent_days_ago: Option<f64>,
    decided_days_ago: Option<f64>,
}

impl Seed<'_> {
    fn draft(template: &str) -> Seed<'_> {
        Seed {
            template,
            version: 1,
            currency: "EUR",
            total: "0",
            status: "draft",
            sent_days_ago: None,
            decided_days_ago: None,
        }
    }
}

async fn a_client(app: &TestApp, t: &TenantFixture) -> Uuid {
    let r = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Cliente SA", "status": "lead" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    id_of(&r.body).parse().expect("uuid")
}

/// Inserts a proposal for `client`, as the schema owner (the proposals API is not needed).
async fn insert_proposal(app: &TestApp, t: &TenantFixture, client: Uuid, p: Seed<'_>) {
    let template: Uuid = p.template.parse().expect("uuid");
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO proposals (tenant_id, id, client_id, template_id, template_version, first_id,
                                title, currency, items, subtotal, tax_total, total, valid_until,
                                status, sent_at, decided_at)
         VALUES ($1, $2, $3, $4, $5, $2, 'P', $6, '[]', $7::numeric, 0, $7::numeric,
                 current_date + 30, $8, now() - $9 * interval '1 day',
                 now() - $10 * interval '1 day')",
    )
    .bind(t.id)
    .bind(id)
    .bind(client)
    .bind(template)
    .bind(p.version)
    .bind(p.currency)
    .bind(p.total)
    .bind(p.status)
    .bind(p.sent_days_ago)
    .bind(p.decided_days_ago)
    .execute(&app.owner)
    .await
    .expect("proposal");
}

#[tokio::test]
async fn a_template_in_use_stays_and_an_unused_one_goes() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-del")).await;
    let tok = &t.owner_token;
    let used = id_of(&create(&app, tok, offer("Usada")).await);
    let unused = id_of(&create(&app, tok, offer("Libre")).await);
    let client = a_client(&app, &t).await;
    insert_proposal(&app, &t, client, Seed::draft(&used)).await;
    let r = app.delete(&format!("{BASE}/{used}"), tok).await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "template-in-use"),
        "{}",
        r.text
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("{BASE}/{unused}"),
            Some(tok),
            None,
            &[("If-Match", "\"7\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text);
    let r = app.delete(&format!("{BASE}/{unused}"), tok).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(
        app.get(&format!("{BASE}/{unused}"), tok).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{BASE}/{used}"), tok).await.status,
        StatusCode::OK
    );
    assert_eq!(app.count("proposal_template_versions", t.id).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_template_is_not_found() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("pt-a")).await;
    let b = app.tenant(&slug("pt-b")).await;
    let theirs = create(&app, &b.owner_token, offer("Suya")).await;
    let id = id_of(&theirs);
    let requests = [
        (Method::GET, format!("{BASE}/{id}"), None),
        (Method::GET, format!("{BASE}/{id}/versions/1"), None),
        (
            Method::PATCH,
            format!("{BASE}/{id}"),
            Some(json!({ "name": "Mía" })),
        ),
        (Method::DELETE, format!("{BASE}/{id}"), None),
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
    let list = app.get(BASE, &a.owner_token).await;
    assert_eq!(list.body["data"], json!([]));
    // Names are unique per tenant only.
    create(&app, &a.owner_token, offer("Suya")).await;
    let still = app.get(&format!("{BASE}/{id}"), &b.owner_token).await;
    assert_eq!(
        (still.body["name"].clone(), still.body["version"].clone()),
        (json!("Suya"), json!(1))
    );
    app.stop().await;
}

/// A request, the roles allowed it, and its answer for them (403 for the others).
type RoleCase = (
    Method,
    String,
    Option<Value>,
    &'static [&'static str],
    StatusCode,
);

#[tokio::test]
async fn proposal_template_endpoints_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-roles")).await;
    let id = id_of(&create(&app, &t.owner_token, offer("Roles")).await);
    let missing = Uuid::now_v7();
    const VIEW: &[&str] = &["owner", "admin", "sales", "viewer"];
    const EDIT: &[&str] = &["owner", "admin", "sales"];
    let cases: Vec<RoleCase> = vec![
        (Method::GET, BASE.into(), None, VIEW, StatusCode::OK),
        (
            Method::GET,
            format!("{BASE}/{id}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("{BASE}/{id}/versions/1"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            BASE.into(),
            Some(json!({ "name": "", "sections": [] })),
            EDIT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::PATCH,
            format!("{BASE}/{missing}"),
            Some(json!({})),
            EDIT,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("{BASE}/{missing}"),
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

#[tokio::test]
async fn proposal_kpis_follow_the_proposals_sent_in_the_period() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pt-kpi")).await;
    let tok = &t.owner_token;
    let alfa = create(&app, tok, offer("Alfa")).await;
    let a = id_of(&alfa);
    let r = app
        .patch(
            &format!("{BASE}/{a}"),
            tok,
            json!({ "sections": [{ "title": "v2", "body": "{{total}}" }] }),
        )
        .await;
    assert_eq!(r.body["version"], 2, "{}", r.text);
    let b = id_of(&create(&app, tok, offer("Beta")).await);
    let client = a_client(&app, &t).await;
    let sent = |template, version, currency, total, status, sent, decided| Seed {
        template,
        version,
        currency,
        total,
        status,
        sent_days_ago: Some(sent),
        decided_days_ago: decided,
    };
    for p in [
        sent(&a, 1, "EUR", "1000.00", "accepted", 5.0, Some(3.0)),
        sent(&a, 1, "EUR", "500.00", "rejected", 5.0, Some(4.0)),
        sent(&a, 2, "EUR", "300.00", "sent", 1.0, None),
        sent(&a, 2, "USD", "200.00", "accepted", 2.0, Some(1.0)),
        sent(&b, 1, "EUR", "100.00", "expired", 6.0, Some(1.0)),
        // Outside the default 30 days, and a draft: neither counts.
        sent(&a, 1, "EUR", "50.00", "accepted", 40.0, Some(39.0)),
        Seed::draft(&b),
    ] {
        insert_proposal(&app, &t, client, p).await;
    }
    // Another tenant's won proposal counts only there.
    let other = app.tenant(&slug("pt-kpi-b")).await;
    let theirs = id_of(&create(&app, &other.owner_token, offer("Alfa")).await);
    let their_client = a_client(&app, &other).await;
    insert_proposal(
        &app,
        &other,
        their_client,
        sent(&theirs, 1, "EUR", "7.00", "accepted", 1.0, Some(0.5)),
    )
    .await;

    let r = app.get("/api/v1/kpis/proposals", tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let k = &r.body;
    let counts: Vec<i64> = ["sent", "accepted", "rejected", "expired", "pending"]
        .iter()
        .map(|f| k[*f].as_i64().expect("count"))
        .collect();
    assert_eq!(counts, [5, 2, 1, 1, 1]);
    assert_eq!(k["conversion_rate"], 0.5);
    assert_eq!(k["average_days_to_close"], 1.5);
    assert_eq!(
        k["by_currency"],
        json!([
            { "currency": "EUR", "sent": 4, "accepted": 1, "average_value": "475.00",
              "pending_value": "300.00", "won_value": "1000.00" },
            { "currency": "USD", "sent": 1, "accepted": 1, "average_value": "200.00",
              "pending_value": "0.00", "won_value": "200.00" }
        ])
    );
    let row = |id: &str,
               name: &str,
               version: i64,
               currency: &str,
               sent: i64,
               accepted: i64,
               won: &str,
               per: &str| {
        json!({ "template_id": id, "template_name": name, "template_version": version,
                "currency": currency, "sent": sent, "accepted": accepted,
                "won_value": won, "won_value_per_sent": per })
    };
    assert_eq!(
        k["by_template_version"],
        json!([
            row(&a, "Alfa", 1, "EUR", 2, 1, "1000.00", "500.00"),
            row(&a, "Alfa", 2, "EUR", 1, 0, "0.00", "0.00"),
            row(&a, "Alfa", 2, "USD", 1, 1, "200.00", "200.00"),
            row(&b, "Beta", 1, "EUR", 1, 0, "0.00", "0.00"),
        ])
    );

    // A period with nothing sent, and a period that ends before it starts.
    let r = app
        .get(
            "/api/v1/kpis/proposals?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
            tok,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["sent"].clone(), r.body["conversion_rate"].clone()),
        (json!(0), Value::Null)
    );
    assert_eq!(r.body["average_days_to_close"], Value::Null);
    let r = app
        .get(
            "/api/v1/kpis/proposals?from=2020-02-01T00:00:00Z&to=2020-01-01T00:00:00Z",
            tok,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    for (role, expected) in [
        ("viewer", StatusCode::OK),
        ("support", StatusCode::FORBIDDEN),
    ] {
        let (_, token) = app.user_with_roles(&t, &format!("k-{role}"), &[role]).await;
        let r = app.get("/api/v1/kpis/proposals", &token).await;
        assert_eq!(r.status, expected, "{role}: {}", r.text);
    }
    app.stop().await;
}
