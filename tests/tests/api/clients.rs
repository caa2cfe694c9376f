//! Clients and leads, contacts, custom fields and the timeline, end to end.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/clients", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn events(r: &Reply) -> Vec<String> {
    r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["event_type"].as_str().expect("type").to_owned())
        .collect()
}

#[tokio::test]
async fn a_client_lives_its_life_on_the_timeline() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cli")).await;
    let owner = app.get("/api/v1/me", &t.owner_token).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let c = create(
        &app,
        &t.owner_token,
        json!({
            "company_name": "Telefónica Ibérica S.A.",
            "tax_id": "b-1234567.4",
            "emails": ["Compras@Telefonica.Example"],
            "phones": ["612 345 678"],
            "sector": "telecom",
            "owner_id": owner,
            "source": "referral",
            "tags": ["VIP", "madrid"],
            "address": { "city": "Madrid", "country": "ES" }
        }),
    )
    .await;
    let id = c["id"].as_str().expect("id").to_owned();
    assert_eq!(c["status"], "lead");
    assert_eq!(c["tax_id"], "B12345674");
    assert_eq!(c["tax_id_country"], "ES");
    assert_eq!(c["emails"], json!(["compras@telefonica.example"]));
    assert_eq!(c["phones"], json!(["+34612345678"]));
    assert_eq!(c["tags"], json!(["madrid", "vip"]));

    // Encrypted at rest: the tax id is nowhere in the row as plaintext.
    let leaks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM clients WHERE clients::text LIKE '%12345674%'")
            .fetch_one(&app.owner)
            .await
            .expect("query");
    assert_eq!(leaks, 0);

    let path = format!("/api/v1/clients/{id}");
    let got = app.get(&path, &t.owner_token).await;
    assert_eq!(got.body["tax_id"], "B12345674");
    let etag = got.header("etag").expect("etag").to_owned();
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "sector": "utilities", "website": null })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["sector"], "utilities");
    let stale = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "sector": "x" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    // A lead converts once, recording who; a client never goes back to lead.
    let direct = app
        .patch(&path, &t.owner_token, json!({ "status": "client" }))
        .await;
    assert_eq!(direct.status, StatusCode::UNPROCESSABLE_ENTITY);
    let conv = app
        .call(
            Method::POST,
            &format!("{path}/convert"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(conv.status, StatusCode::OK, "{}", conv.text);
    assert_eq!(conv.body["status"], "client");
    assert_eq!(conv.body["converted_by"], owner.as_str());
    assert!(conv.body["converted_at"].is_string());
    let again = app
        .call(
            Method::POST,
            &format!("{path}/convert"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let back = app
        .patch(&path, &t.owner_token, json!({ "status": "lead" }))
        .await;
    assert_eq!(back.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(back.body["errors"][0]["pointer"], "/status");

    assert_eq!(
        app.delete(&path, &t.owner_token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, &t.owner_token).await.status,
        StatusCode::NOT_FOUND
    );
    let list = app.get("/api/v1/clients", &t.owner_token).await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(0));
    let restore = app
        .call(
            Method::POST,
            &format!("{path}/restore"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(restore.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &t.owner_token).await.status, StatusCode::OK);

    let tl = app.get(&format!("{path}/timeline"), &t.owner_token).await;
    assert_eq!(tl.status, StatusCode::OK, "{}", tl.text);
    assert_eq!(
        events(&tl),
        [
            "client.restored",
            "client.deleted",
            "client.converted",
            "client.updated",
            "client.created"
        ]
    );
    assert_eq!(tl.body["data"][0]["triggered_by"], "user");
    assert_eq!(tl.body["data"][0]["actor_id"], owner.as_str());
    let audit = app
        .get(
            "/api/v1/audit-events?action=client.*&limit=100",
            &t.owner_token,
        )
        .await;
    assert_eq!(audit.body["data"].as_array().map(Vec::len), Some(5));
    assert!(!audit.text.contains("12345674"), "tax id in the audit log");
    app.stop().await;
}

#[tokio::test]
async fn invalid_clients_are_refused_field_by_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("inval")).await;
    let before = app.count("clients", t.id).await;
    let r = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({
                "company_name": "",
                "tax_id": "12345678A",
                "emails": ["ok@x.example", "broken"],
                "phones": ["12"],
                "status": "prospect",
                "owner_id": Uuid::now_v7(),
                "source": "telepathy",
                "custom_fields": { "nope": 1 }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let pointers: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("e")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for p in [
        "/company_name",
        "/tax_id",
        "/emails/1",
        "/phones/0",
        "/status",
        "/owner_id",
        "/source",
        "/custom_fields/nope",
    ] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
    assert_eq!(app.count("clients", t.id).await, before);
    assert_eq!(app.count("timeline_events", t.id).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn custom_fields_are_defined_then_validated() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cf")).await;
    for def in [
        json!({ "key": "employees", "label": "Employees", "field_type": "number", "required": false }),
        json!({ "key": "tier", "label": "Tier", "field_type": "select", "required": true, "options": ["gold", "silver"] }),
        json!({ "key": "renewal", "label": "Renewal", "field_type": "date", "required": false }),
    ] {
        let r = app.post("/api/v1/custom-fields", &t.owner_token, def).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let bad_def = app
        .post("/api/v1/custom-fields", &t.owner_token, json!({ "key": "x", "label": "X", "field_type": "select", "required": false, "options": [] }))
        .await;
    assert_eq!(
        bad_def.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_def.text
    );
    let missing = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "A" }),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["errors"][0]["pointer"], "/custom_fields/tier");
    let wrong = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "A", "custom_fields": { "tier": "bronze", "employees": "many", "renewal": "2026-02-30" } }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.body["errors"].as_array().map(Vec::len),
        Some(3),
        "{}",
        wrong.text
    );
    let ok = create(
        &app,
        &t.owner_token,
        json!({ "company_name": "A", "custom_fields": { "tier": "gold", "employees": 120, "renewal": "2027-01-31" } }),
    )
    .await;
    assert_eq!(ok["custom_fields"]["tier"], "gold");
    assert_eq!(ok["custom_fields"]["employees"], 120.0);
    app.stop().await;
}

#[tokio::test]
async fn search_and_filters_find_the_right_clients() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("find")).await;
    let owner = app.get("/api/v1/me", &t.owner_token).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (sales, _) = app.user_with_roles(&t, "sally", &["sales"]).await;
    let tele = create(&app, &t.owner_token, json!({ "company_name": "Telefónica Ibérica", "tax_id": "A58818501", "sector": "telecom", "tags": ["vip"], "owner_id": owner })).await;
    let bar = create(&app, &t.owner_token, json!({ "company_name": "Bar Manolo", "emails": ["manolo@bar.example"], "phones": ["+34 699 111 222"], "sector": "hospitality", "owner_id": sales })).await;
    let acme = create(&app, &t.owner_token, json!({ "company_name": "Acme Logística", "status": "client", "sector": "logistics", "tags": ["vip", "north"] })).await;
    let ids = |r: &Reply| -> Vec<String> {
        r.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let id = |c: &Value| c["id"].as_str().expect("id").to_owned();
    // Acme has a ticket still open; Telefónica's only ticket is resolved.
    for (client, status) in [(&acme, "open"), (&tele, "resolved")] {
        let r = app
            .post(
                "/api/v1/tickets",
                &t.owner_token,
                json!({ "client_id": id(client), "title": "Printer jammed" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let path = format!("/api/v1/tickets/{}", id(&r.body));
        let r = app
            .patch(&path, &t.owner_token, json!({ "status": status }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let find = |query: &'static str| {
        let app = &app;
        let token = t.owner_token.clone();
        async move { app.get(&format!("/api/v1/clients?{query}"), &token).await }
    };
    for (query, expected) in [
        ("q=telefonica", vec![id(&tele)]),
        ("q=Telefonika", vec![id(&tele)]),
        ("q=iberica", vec![id(&tele)]),
        ("q=logistica", vec![id(&acme)]),
        ("q=A58818501", vec![id(&tele)]),
        ("q=manolo%40bar.example", vec![id(&bar)]),
        ("q=699111222", vec![id(&bar)]),
        ("status=client", vec![id(&acme)]),
        ("status=lead&sort=name", vec![id(&bar), id(&tele)]),
        ("sector=hospitality", vec![id(&bar)]),
        ("tag=vip&sort=oldest", vec![id(&tele), id(&acme)]),
        ("has_open_tickets=true", vec![id(&acme)]),
        ("has_pending_proposals=true", vec![]),
    ] {
        let r = find(query).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(ids(&r), expected, "{query}");
    }
    let r = app
        .get(&format!("/api/v1/clients?owner_id={sales}"), &t.owner_token)
        .await;
    assert_eq!(ids(&r), vec![id(&bar)]);
    let r = find("has_open_tickets=false").await;
    assert_eq!(ids(&r).len(), 3);
    let r = find("created_after=2000-01-01T00:00:00Z&created_before=2000-01-02T00:00:00Z").await;
    assert_eq!(ids(&r).len(), 0);
    let r = find("last_contact_before=2100-01-01T00:00:00Z").await;
    assert_eq!(ids(&r).len(), 3, "never contacted counts as before");
    for bad in [
        "status=prospect",
        "sort=random",
        "owner_id=me",
        "has_open_tickets=maybe",
        "created_after=yesterday",
    ] {
        let r = app
            .get(&format!("/api/v1/clients?{bad}"), &t.owner_token)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn pagination_is_stable_while_clients_are_added() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pages")).await;
    for i in 0..7 {
        create(
            &app,
            &t.owner_token,
            json!({ "company_name": format!("Company {i:02}") }),
        )
        .await;
    }
    for sort in ["newest", "oldest", "name"] {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut added = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/clients?sort={sort}&limit=3&cursor={c}"),
                None => format!("/api/v1/clients?sort={sort}&limit=3"),
            };
            let r = app.get(&path, &t.owner_token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            seen.extend(
                r.body["data"]
                    .as_array()
                    .expect("d")
                    .iter()
                    .map(|c| c["company_name"].as_str().expect("n").to_owned()),
            );
            // Someone adds a client between two pages.
            if added < 2 {
                create(
                    &app,
                    &t.owner_token,
                    json!({ "company_name": format!("Zeta {sort} {added}") }),
                )
                .await;
                added += 1;
            }
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{sort}: a client appeared twice: {seen:?}"
        );
        for i in 0..7 {
            assert!(
                seen.contains(&format!("Company {i:02}")),
                "{sort}: Company {i:02} was skipped"
            );
        }
        if sort == "name" {
            let mut sorted = seen.clone();
            sorted.sort_by_key(|s| s.to_lowercase());
            assert_eq!(sorted, seen);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn contacts_keep_their_phones_encrypted() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cont")).await;
    let c = create(&app, &t.owner_token, json!({ "company_name": "Acme" })).await;
    let base = format!("/api/v1/clients/{}/contacts", c["id"].as_str().expect("id"));
    let r = app
        .post(&base, &t.owner_token, json!({ "name": "Ana Pérez", "role": "CFO", "emails": ["ana@acme.example"], "phones": ["600 123 456"] }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["phones"], json!(["+34600123456"]));
    let contact = r.body["id"].as_str().expect("id").to_owned();
    let leaks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM contacts WHERE contacts::text LIKE '%600123456%'")
            .fetch_one(&app.owner)
            .await
            .expect("query");
    assert_eq!(leaks, 0, "a contact's phone is stored in clear");
    let list = app.get(&base, &t.owner_token).await;
    assert_eq!(list.body["data"][0]["phones"], json!(["+34600123456"]));
    let r = app
        .patch(
            &format!("{base}/{contact}"),
            &t.owner_token,
            json!({ "role": "CEO" }),
        )
        .await;
    assert_eq!(r.body["role"], "CEO");
    assert_eq!(r.body["phones"], json!(["+34600123456"]));
    let bad = app
        .post(
            &base,
            &t.owner_token,
            json!({ "name": "", "phones": ["abc"] }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.delete(&format!("{base}/{contact}"), &t.owner_token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let tl = app
        .get(
            &format!(
                "/api/v1/clients/{}/timeline?type=contact.*",
                c["id"].as_str().expect("id")
            ),
            &t.owner_token,
        )
        .await;
    assert_eq!(
        events(&tl),
        ["contact.removed", "contact.updated", "contact.added"]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_timeline_filters_pages_and_counts() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tl")).await;
    let (_, sales) = app.user_with_roles(&t, "sam", &["sales"]).await;
    let a = create(&app, &t.owner_token, json!({ "company_name": "A" })).await;
    let b = create(&app, &sales, json!({ "company_name": "B" })).await;
    let a_path = format!("/api/v1/clients/{}", a["id"].as_str().expect("id"));
    app.patch(&a_path, &t.owner_token, json!({ "sector": "x" }))
        .await;
    app.call(
        Method::POST,
        &format!("{a_path}/convert"),
        Some(&t.owner_token),
        None,
        &[],
    )
    .await;

    let all = app.get("/api/v1/timeline", &t.owner_token).await;
    assert_eq!(
        events(&all),
        [
            "client.converted",
            "client.updated",
            "client.created",
            "client.created"
        ]
    );
    let two = app
        .get(
            "/api/v1/timeline?type=client.created,client.converted",
            &t.owner_token,
        )
        .await;
    assert_eq!(events(&two).len(), 3);
    let prefix = app
        .get("/api/v1/timeline?type=client.*", &t.owner_token)
        .await;
    assert_eq!(events(&prefix).len(), 4);
    let none = app
        .get("/api/v1/timeline?type=ticket.*", &t.owner_token)
        .await;
    assert_eq!(events(&none).len(), 0);
    let sam = app.get("/api/v1/me", &sales).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let by_sam = app
        .get(&format!("/api/v1/timeline?actor_id={sam}"), &t.owner_token)
        .await;
    assert_eq!(by_sam.body["data"][0]["client_id"], b["id"]);
    assert_eq!(events(&by_sam).len(), 1);
    let future = app
        .get("/api/v1/timeline?from=2100-01-01T00:00:00Z", &t.owner_token)
        .await;
    assert_eq!(events(&future).len(), 0);
    let p1 = app.get("/api/v1/timeline?limit=3", &t.owner_token).await;
    let c = p1.body["next_cursor"].as_str().expect("cursor");
    let p2 = app
        .get(
            &format!("/api/v1/timeline?limit=3&cursor={c}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(events(&p1).len() + events(&p2).len(), 4);
    assert!(p2.body["next_cursor"].is_null());
    let stats = app
        .get("/api/v1/timeline/stats?bucket=week", &t.owner_token)
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    let created: i64 = stats
        .body
        .as_array()
        .expect("buckets")
        .iter()
        .filter(|b| b["event_type"] == "client.created")
        .map(|b| b["count"].as_i64().expect("n"))
        .sum();
    assert_eq!(created, 2);
    let one = app
        .get(
            &format!(
                "/api/v1/timeline/stats?bucket=month&client_id={}",
                a["id"].as_str().expect("id")
            ),
            &t.owner_token,
        )
        .await;
    let total: i64 = one
        .body
        .as_array()
        .expect("b")
        .iter()
        .map(|b| b["count"].as_i64().expect("n"))
        .sum();
    assert_eq!(total, 3);
    for bad in ["type=Client", "from=soon", "limit=0", "cursor=zzz"] {
        assert_eq!(
            app.get(&format!("/api/v1/timeline?{bad}"), &t.owner_token)
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    assert_eq!(
        app.get("/api/v1/timeline/stats?bucket=year", &t.owner_token)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_clients_are_invisible_and_untouchable() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("ca")).await;
    let b = app.tenant(&slug("cb")).await;
    let bc = create(
        &app,
        &b.owner_token,
        json!({ "company_name": "B Secret", "tax_id": "A58818501" }),
    )
    .await;
    let bid = bc["id"].as_str().expect("id").to_owned();
    let contact = app
        .post(
            &format!("/api/v1/clients/{bid}/contacts"),
            &b.owner_token,
            json!({ "name": "Bea" }),
        )
        .await
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post(
        "/api/v1/custom-fields",
        &b.owner_token,
        json!({ "key": "b_only", "label": "B", "field_type": "text", "required": false }),
    )
    .await;
    let before = (
        app.count("clients", b.id).await,
        app.count("contacts", b.id).await,
        app.count("timeline_events", b.id).await,
    );
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/clients/{bid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/clients/{bid}"),
            Some(json!({ "company_name": "pwned" })),
        ),
        (Method::DELETE, format!("/api/v1/clients/{bid}"), None),
        (Method::POST, format!("/api/v1/clients/{bid}/restore"), None),
        (Method::POST, format!("/api/v1/clients/{bid}/convert"), None),
        (Method::GET, format!("/api/v1/clients/{bid}/timeline"), None),
        (Method::GET, format!("/api/v1/clients/{bid}/contacts"), None),
        (
            Method::POST,
            format!("/api/v1/clients/{bid}/contacts"),
            Some(json!({ "name": "x" })),
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{bid}/contacts/{contact}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/clients/{bid}/contacts/{contact}"),
            Some(json!({ "name": "x" })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/clients/{bid}/contacts/{contact}"),
            None,
        ),
        (Method::GET, "/api/v1/custom-fields/b_only".into(), None),
        (
            Method::PATCH,
            "/api/v1/custom-fields/b_only".into(),
            Some(json!({ "key": "b_only", "label": "X", "field_type": "text", "required": false })),
        ),
        (Method::DELETE, "/api/v1/custom-fields/b_only".into(), None),
    ];
    for (method, path, body) in cases {
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
    for path in [
        "/api/v1/clients?q=secret",
        "/api/v1/clients?q=A58818501",
        "/api/v1/timeline",
        "/api/v1/custom-fields",
        "/api/v1/timeline/stats",
    ] {
        let r = app.get(path, &a.owner_token).await;
        assert!(
            !r.text.contains(&bid) && !r.text.contains("b_only") && !r.text.contains("B Secret"),
            "{path} leaks"
        );
    }
    let r = app
        .get(
            &format!("/api/v1/timeline/stats?client_id={bid}"),
            &a.owner_token,
        )
        .await;
    assert_eq!(r.body, json!([]));
    let after = (
        app.count("clients", b.id).await,
        app.count("contacts", b.id).await,
        app.count("timeline_events", b.id).await,
    );
    assert_eq!(before, after);
    app.stop().await;
}

/// Method, path, body, the roles allowed, and the status when allowed.
type RoleCase = (
    Method,
    String,
    Option<Value>,
    &'static [&'static str],
    StatusCode,
);

#[tokio::test]
async fn client_endpoints_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("crole")).await;
    let c = create(&app, &t.owner_token, json!({ "company_name": "Target" })).await;
    let id = c["id"].as_str().expect("id");
    let missing = Uuid::now_v7();
    let cases: Vec<RoleCase> = vec![
        (
            Method::GET,
            "/api/v1/clients".into(),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/clients".into(),
            Some(json!({ "company_name": "" })),
            &["owner", "admin", "sales"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{id}"),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/clients/{missing}"),
            Some(json!({})),
            &["owner", "admin", "sales", "support"],
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/clients/{missing}"),
            None,
            &["owner", "admin"],
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            format!("/api/v1/clients/{missing}/restore"),
            None,
            &["owner", "admin"],
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            format!("/api/v1/clients/{missing}/convert"),
            None,
            &["owner", "admin", "sales", "support"],
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{id}/contacts"),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/clients/{id}/contacts"),
            Some(json!({ "name": "" })),
            &["owner", "admin", "sales", "support"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{id}/timeline"),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/timeline".into(),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/timeline/stats".into(),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/custom-fields".into(),
            None,
            &["owner", "admin", "sales", "support", "marketing", "viewer"],
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/custom-fields".into(),
            Some(
                json!({ "key": "Bad Key", "label": "x", "field_type": "text", "required": false }),
            ),
            &["owner", "admin"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::DELETE,
            "/api/v1/custom-fields/nothing".into(),
            None,
            &["owner", "admin"],
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
async fn export_streams_the_filtered_clients_as_csv() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("exp")).await;
    let other = app.tenant(&slug("exq")).await;
    create(
        &app,
        &other.owner_token,
        json!({ "company_name": "Other Tenant Co" }),
    )
    .await;
    create(&app, &t.owner_token, json!({ "company_name": "Alfa, S.L.", "tax_id": "B12345674", "status": "client", "tags": ["vip"] })).await;
    create(
        &app,
        &t.owner_token,
        json!({ "company_name": "=cmd|calc", "status": "lead" }),
    )
    .await;
    // Enough rows for more than one batch of the stream.
    sqlx::query(
        "INSERT INTO clients (tenant_id, id, company_name, status)
         SELECT $1, gen_random_uuid(), 'Bulk ' || n, 'lead' FROM generate_series(1, 1005) n",
    )
    .bind(t.id)
    .execute(&app.owner)
    .await
    .expect("bulk");

    let csv = app
        .call(
            Method::GET,
            "/api/v1/clients/export.csv?status=client",
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.text.starts_with('\u{feff}'), "no BOM");
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("id,company_name,tax_id,tax_id_country,emails,phones"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[1].contains("\"Alfa, S.L.\",B12345674,ES"),
        "{}",
        lines[1]
    );

    let all = app
        .call(
            Method::GET,
            "/api/v1/clients/export.csv?sort=name&separator=semicolon",
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    let lines: Vec<&str> = all.text.lines().collect();
    assert_eq!(lines.len(), 1 + 1007);
    assert!(lines[0].contains("id;company_name;tax_id"));
    assert!(all.text.contains(";'=cmd|calc;"), "formula not defused");
    assert!(!all.text.contains("Other Tenant Co"));
    let mut names: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(';').nth(1).expect("name").to_lowercase())
        .collect();
    let sorted = {
        let mut s = names.clone();
        s.sort();
        s
    };
    assert_eq!(names.len(), sorted.len());
    names.dedup();
    assert_eq!(names.len(), 1007, "a row appeared twice across batches");

    let bad = app
        .get("/api/v1/clients/export.csv?separator=tab", &t.owner_token)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, support) = app.user_with_roles(&t, "sup", &["support"]).await;
    assert_eq!(
        app.get("/api/v1/clients/export.csv", &support).await.status,
        StatusCode::FORBIDDEN
    );
    let (_, marketing) = app.user_with_roles(&t, "mkt", &["marketing"]).await;
    assert_eq!(
        app.get("/api/v1/clients/export.csv", &marketing)
            .await
            .status,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn a_custom_field_value_or_a_selection_of_ids_narrows_the_list_and_the_export() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pick")).await;
    let other = app.tenant(&slug("pick-other")).await;
    for def in [
        json!({ "key": "employees", "label": "Employees", "field_type": "number" }),
        json!({ "key": "tier", "label": "Tier", "field_type": "select", "options": ["gold", "silver"] }),
    ] {
        let r = app.post("/api/v1/custom-fields", &t.owner_token, def).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let gold = create(&app, &t.owner_token, json!({ "company_name": "Oro S.L.", "custom_fields": { "tier": "gold", "employees": 120 } })).await;
    let silver = create(&app, &t.owner_token, json!({ "company_name": "Plata S.L.", "custom_fields": { "tier": "silver", "employees": 12 } })).await;
    let plain = create(
        &app,
        &t.owner_token,
        json!({ "company_name": "Llano S.L." }),
    )
    .await;
    let foreign = create(
        &app,
        &other.owner_token,
        json!({ "company_name": "Ajena S.A." }),
    )
    .await;
    let id = |c: &Value| c["id"].as_str().expect("id").to_owned();
    let names = |r: &Reply| -> Vec<String> {
        let mut n: Vec<String> = r.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|c| c["company_name"].as_str().expect("name").to_owned())
            .collect();
        n.sort();
        n
    };
    let picked = format!("{},{},{}", id(&gold), id(&plain), id(&foreign));
    for (query, expected) in [
        ("custom_field=tier:gold".to_owned(), vec!["Oro S.L."]),
        ("custom_field=employees:12".to_owned(), vec!["Plata S.L."]),
        ("custom_field=tier:bronze".to_owned(), vec![]),
        (format!("ids={picked}"), vec!["Llano S.L.", "Oro S.L."]),
        (
            format!("ids={picked}&custom_field=tier:gold"),
            vec!["Oro S.L."],
        ),
    ] {
        let r = app
            .get(&format!("/api/v1/clients?{query}"), &t.owner_token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(names(&r), expected, "{query}");
    }
    let csv = app
        .get(
            &format!("/api/v1/clients/export.csv?ids={}", id(&silver)),
            &t.owner_token,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    let rows: Vec<&str> = csv.text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("Plata S.L."), "{}", rows[0]);
    for (bad, parameter) in [
        ("custom_field=tier", "custom_field"),
        ("custom_field=Tier:gold", "custom_field"),
        ("custom_field=tier:", "custom_field"),
        ("ids=nope", "ids"),
        ("ids=", "ids"),
    ] {
        let r = app
            .get(&format!("/api/v1/clients?{bad}"), &t.owner_token)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["parameter"], parameter, "{bad}");
    }
    app.stop().await;
}
