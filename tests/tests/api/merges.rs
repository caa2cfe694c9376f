//! Duplicates, merge and undo, and GDPR erasure.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post("/api/v1/clients", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

/// Every row a client owns, as the database holds it (owner connection).
async fn state_of(app: &TestApp, client: &str) -> (Value, Vec<String>, Vec<String>) {
    let row: Value = sqlx::query_scalar(
        "SELECT to_jsonb(c) - 'version' - 'updated_at' FROM clients c WHERE id = $1::uuid",
    )
    .bind(client)
    .fetch_one(&app.owner)
    .await
    .expect("row");
    let contacts: Vec<String> =
        sqlx::query_scalar("SELECT id::text FROM contacts WHERE client_id = $1::uuid ORDER BY id")
            .bind(client)
            .fetch_all(&app.owner)
            .await
            .expect("contacts");
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT id::text FROM timeline_events WHERE client_id = $1::uuid AND event_type NOT LIKE 'client.merge%' ORDER BY id",
    )
    .bind(client)
    .fetch_all(&app.owner)
    .await
    .expect("events");
    (row, contacts, events)
}

#[tokio::test]
async fn duplicates_are_found_merged_and_the_merge_undone() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("dup")).await;
    let keep = create(&app, &t.owner_token, json!({ "company_name": "Acme Iberia S.L.", "emails": ["info@acme.example"], "tags": ["a"], "sector": "retail" })).await;
    let twin = create(
        &app,
        &t.owner_token,
        json!({ "company_name": "ACME Ibéria SL", "tax_id": "B12345674", "emails": ["ventas@acme.example"], "phones": ["600111222"], "tags": ["b"], "status": "client", "website": "https://acme.example" }),
    )
    .await;
    let same_mail = create(
        &app,
        &t.owner_token,
        json!({ "company_name": "Totally Different", "emails": ["info@acme.example"] }),
    )
    .await;
    let unrelated = create(
        &app,
        &t.owner_token,
        json!({ "company_name": "Zurich Bakery" }),
    )
    .await;
    for (name, phone) in [("Ana", "611000001"), ("Luis", "611000002")] {
        let r = app
            .post(
                &format!("/api/v1/clients/{twin}/contacts"),
                &t.owner_token,
                json!({ "name": name, "phones": [phone] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    app.patch(
        &format!("/api/v1/clients/{twin}"),
        &t.owner_token,
        json!({ "sector": "wholesale" }),
    )
    .await;

    let d = app
        .get(
            &format!("/api/v1/clients/{keep}/duplicates"),
            &t.owner_token,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    let found: Vec<(String, Vec<String>)> = d
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|x| {
            (
                x["client"]["id"].as_str().expect("id").to_owned(),
                x["reasons"]
                    .as_array()
                    .expect("r")
                    .iter()
                    .map(|r| r.as_str().expect("s").to_owned())
                    .collect(),
            )
        })
        .collect();
    let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
    assert!(ids.contains(&twin.as_str()), "{found:?}");
    assert!(ids.contains(&same_mail.as_str()), "{found:?}");
    assert!(!ids.contains(&unrelated.as_str()), "{found:?}");
    let twin_reasons = &found.iter().find(|(id, _)| *id == twin).expect("twin").1;
    assert!(
        twin_reasons.contains(&"name".to_owned()),
        "{twin_reasons:?}"
    );
    let mail_reasons = &found
        .iter()
        .find(|(id, _)| *id == same_mail)
        .expect("mail")
        .1;
    assert_eq!(mail_reasons, &vec!["email".to_owned()]);

    let keep_before = state_of(&app, &keep).await;
    let twin_before = state_of(&app, &twin).await;
    assert_eq!(twin_before.1.len(), 2);

    let r = app
        .post(
            &format!("/api/v1/clients/{keep}/merge"),
            &t.owner_token,
            json!({ "other_id": twin }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let merge_id = r.body["merge_id"].as_str().expect("merge id").to_owned();

    let merged = app
        .get(&format!("/api/v1/clients/{keep}"), &t.owner_token)
        .await
        .body;
    assert_eq!(
        merged["emails"],
        json!(["info@acme.example", "ventas@acme.example"])
    );
    assert_eq!(merged["tags"], json!(["a", "b"]));
    assert_eq!(
        merged["tax_id"], "B12345674",
        "the survivor had none, so it takes the other's"
    );
    assert_eq!(merged["sector"], "retail", "the survivor's own value wins");
    assert_eq!(merged["website"], "https://acme.example");
    assert_eq!(merged["status"], "client");
    let contacts = app
        .get(&format!("/api/v1/clients/{keep}/contacts"), &t.owner_token)
        .await;
    assert_eq!(contacts.body["data"].as_array().map(Vec::len), Some(2));
    let tl = app
        .get(
            &format!("/api/v1/clients/{keep}/timeline?limit=100"),
            &t.owner_token,
        )
        .await;
    let types: Vec<&str> = tl.body["data"]
        .as_array()
        .expect("d")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(types[0], "client.merged");
    assert!(
        types.contains(&"contact.added"),
        "the twin's history moved: {types:?}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/clients/{twin}"), &t.owner_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let restore = app
        .call(
            Method::POST,
            &format!("/api/v1/clients/{twin}/restore"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (restore.status, restore.problem()),
        (StatusCode::CONFLICT, "merged")
    );

    let undo = app
        .call(
            Method::POST,
            &format!("/api/v1/merges/{merge_id}/undo"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(undo.status, StatusCode::NO_CONTENT, "{}", undo.text);
    assert_eq!(
        state_of(&app, &keep).await,
        keep_before,
        "the survivor is not back as it was"
    );
    assert_eq!(
        state_of(&app, &twin).await,
        twin_before,
        "the merged client is not back as it was"
    );
    let twin_now = app
        .get(&format!("/api/v1/clients/{twin}"), &t.owner_token)
        .await;
    assert_eq!(twin_now.body["tax_id"], "B12345674");
    let again = app
        .call(
            Method::POST,
            &format!("/api/v1/merges/{merge_id}/undo"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (again.status, again.problem()),
        (StatusCode::CONFLICT, "already-undone")
    );

    let itself = app
        .post(
            &format!("/api/v1/clients/{keep}/merge"),
            &t.owner_token,
            json!({ "other_id": keep }),
        )
        .await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, sales) = app.user_with_roles(&t, "sid", &["sales"]).await;
    let denied = app
        .post(
            &format!("/api/v1/clients/{keep}/merge"),
            &sales,
            json!({ "other_id": twin }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let audit = app
        .get("/api/v1/audit-events?action=client.merge*", &t.owner_token)
        .await;
    assert!(audit.status == StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn merges_and_erasures_stay_inside_their_tenant() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("ma")).await;
    let b = app.tenant(&slug("mb")).await;
    let mine = create(&app, &a.owner_token, json!({ "company_name": "Mine" })).await;
    let theirs = create(&app, &b.owner_token, json!({ "company_name": "Theirs" })).await;
    let theirs2 = create(
        &app,
        &b.owner_token,
        json!({ "company_name": "Theirs Too" }),
    )
    .await;
    let contact = app
        .post(
            &format!("/api/v1/clients/{theirs}/contacts"),
            &b.owner_token,
            json!({ "name": "Berta" }),
        )
        .await;
    let contact = contact.body["id"].as_str().expect("id").to_owned();
    let merge = app
        .post(
            &format!("/api/v1/clients/{theirs}/merge"),
            &b.owner_token,
            json!({ "other_id": theirs2 }),
        )
        .await;
    let merge_id = merge.body["merge_id"].as_str().expect("merge").to_owned();

    let r = app
        .post(
            &format!("/api/v1/clients/{mine}/merge"),
            &a.owner_token,
            json!({ "other_id": theirs }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another tenant's client is no such client"
    );
    for (method, path) in [
        (Method::GET, format!("/api/v1/clients/{theirs}/duplicates")),
        (Method::POST, format!("/api/v1/merges/{merge_id}/undo")),
        (Method::POST, format!("/api/v1/contacts/{contact}/erase")),
    ] {
        let r = app
            .call(method.clone(), &path, Some(&a.owner_token), None, &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let berta: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts WHERE name = 'Berta'")
        .fetch_one(&app.owner)
        .await
        .expect("count");
    assert_eq!(berta, 1);
    let undone: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT undone_at FROM client_merges WHERE id = $1::uuid")
            .bind(&merge_id)
            .fetch_one(&app.owner)
            .await
            .expect("merge");
    assert!(undone.is_none());
    app.stop().await;
}

#[tokio::test]
async fn gdpr_erasure_leaves_no_trace_of_the_person() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("gdpr")).await;
    let client = create(&app, &t.owner_token, json!({ "company_name": "Acme" })).await;
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/clients/{client}/contacts"),
            Some(&t.owner_token),
            Some(json!({ "name": "Zoltan Quixote", "role": "Buyer", "emails": ["zoltan.quixote@mail.example"], "phones": ["+34 655 443 322"] })),
            &[("idempotency-key", "contact-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let contact = r.body["id"].as_str().expect("id").to_owned();
    app.patch(
        &format!("/api/v1/clients/{client}/contacts/{contact}"),
        &t.owner_token,
        json!({ "role": "Head of Buying" }),
    )
    .await;

    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{contact}/erase"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // Nothing of the person anywhere in the tenant's data.
    for needle in [
        "Zoltan",
        "Quixote",
        "zoltan.quixote",
        "655443322",
        "Head of Buying",
    ] {
        for table in [
            "clients",
            "contacts",
            "timeline_events",
            "audit_events",
            "idempotency_keys",
        ] {
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} t WHERE t.tenant_id = $1 AND to_jsonb(t)::text ILIKE '%' || $2 || '%'"
            )))
            .bind(t.id)
            .bind(needle)
            .fetch_one(&app.owner)
            .await
            .expect("search");
            assert_eq!(n, 0, "'{needle}' survives in {table}");
        }
    }
    let got = app
        .get(
            &format!("/api/v1/clients/{client}/contacts/{contact}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(got.body["name"], "[erased]");
    assert!(got.body["erased_at"].is_string());
    let audit = app
        .get("/api/v1/audit-events?action=contact.erased", &t.owner_token)
        .await;
    assert_eq!(audit.body["data"].as_array().map(Vec::len), Some(1));
    let tl = app
        .get(
            &format!("/api/v1/clients/{client}/timeline"),
            &t.owner_token,
        )
        .await;
    assert_eq!(tl.body["data"][0]["event_type"], "contact.erased");
    // Erasing twice is harmless; support may not erase.
    let again = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{contact}/erase"),
            Some(&t.owner_token),
            None,
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    let (_, support) = app.user_with_roles(&t, "sup", &["support"]).await;
    let denied = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{contact}/erase"),
            Some(&support),
            None,
            &[],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    // The person's data cannot be written back onto the erased contact.
    let rewrite = app
        .patch(
            &format!("/api/v1/clients/{client}/contacts/{contact}"),
            &t.owner_token,
            json!({ "name": "Ana Back", "emails": ["ana.back@example.com"] }),
        )
        .await;
    assert_eq!(rewrite.status, StatusCode::CONFLICT, "{}", rewrite.text);
    assert_eq!(rewrite.problem(), "contact-erased");
    let still = app
        .get(
            &format!("/api/v1/clients/{client}/contacts/{contact}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(still.body["name"], "[erased]");
    app.stop().await;
}

/// The ids of a client's rows in `table`.
async fn ids_in(app: &TestApp, table: &str, client: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id::text FROM {table} WHERE client_id = $1::uuid ORDER BY id"
    )))
    .bind(client)
    .fetch_all(&app.owner)
    .await
    .expect("ids")
}

#[tokio::test]
async fn a_merge_moves_tickets_messages_and_opportunities_and_undo_brings_them_back() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("mrg-all")).await;
    let keep = create(&app, &t.owner_token, json!({ "company_name": "Norte SL" })).await;
    let other = create(
        &app,
        &t.owner_token,
        json!({ "company_name": "Norte S.L.", "phones": ["+34 911 234 567"] }),
    )
    .await;
    let mut expected = Vec::new();
    for (path, body) in [
        (
            "/api/v1/tickets",
            json!({ "client_id": other, "title": "Factura duplicada" }),
        ),
        (
            "/api/v1/opportunities",
            json!({ "client_id": other, "title": "Renovación 2027" }),
        ),
        (
            &*format!("/api/v1/clients/{other}/communications"),
            json!({ "channel": "phone", "body": "Llamada de seguimiento",
                    "duration_seconds": 60, "outcome": "answered" }),
        ),
    ] {
        let r = app.post(path, &t.owner_token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
        expected.push(r.body["id"].as_str().expect("id").to_owned());
    }
    let tables = ["tickets", "opportunities", "communications"];
    let r = app
        .post(
            &format!("/api/v1/clients/{keep}/merge"),
            &t.owner_token,
            json!({ "other_id": other }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let merge_id = r.body["merge_id"].as_str().expect("merge id").to_owned();
    for (table, id) in tables.iter().zip(&expected) {
        assert_eq!(
            ids_in(&app, table, &keep).await,
            std::slice::from_ref(id),
            "{table} on the survivor"
        );
        assert!(
            ids_in(&app, table, &other).await.is_empty(),
            "{table} left behind"
        );
    }
    let r = app
        .post(
            &format!("/api/v1/merges/{merge_id}/undo"),
            &t.owner_token,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    for (table, id) in tables.iter().zip(&expected) {
        assert_eq!(
            ids_in(&app, table, &other).await,
            std::slice::from_ref(id),
            "{table} back"
        );
        assert!(ids_in(&app, table, &keep).await.is_empty(), "{table} kept");
    }
    app.stop().await;
}
