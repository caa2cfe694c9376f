//! Communications (issue 15) through the API: messages committed `queued` with their delivery
//! job, calls logged, templates checked when saved and previewed in the tenant's locale, channel
//! settings whose secrets never come back, the lists and their filters, tenant isolation and
//! every built-in role's permission. Delivery by the worker is `communications_delivery`.

use chrono::{Duration, SecondsFormat, Utc};
use domain::templates::Locale;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

/// POSTs `body`; panics unless it is created. Returns what was created.
pub(crate) async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

/// The `id` member.
pub(crate) fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// The members a 422 names.
pub(crate) fn pointers(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The query parameters a 422 names.
fn parameters(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["parameter"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The ids of a page, in order.
fn ids(r: &Reply) -> Vec<String> {
    r.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {}", r.text))
        .iter()
        .map(id_of)
        .collect()
}

/// A client of the tenant with an e-mail address and a mobile number; `extra` adds members.
pub(crate) async fn client(app: &TestApp, token: &str, name: &str, extra: Value) -> String {
    let mut body = json!({
        "company_name": name,
        "emails": ["compras@tienda.example"],
        "phones": ["+34600111222"],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    id_of(&created(app, "/api/v1/clients", token, body).await)
}

/// Sets a channel up; panics unless it is accepted.
pub(crate) async fn put_channel(app: &TestApp, token: &str, channel: &str, body: Value) -> Value {
    let r = app
        .call(
            Method::PUT,
            &format!("/api/v1/channels/{channel}"),
            Some(token),
            Some(body),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "PUT {channel}: {}", r.text);
    r.body
}

/// The e-mail channel through a plain-text SMTP server on the loopback at `port`.
pub(crate) async fn email_channel(app: &TestApp, token: &str, port: u16) {
    put_channel(
        app,
        token,
        "email",
        json!({
            "enabled": true, "host": "127.0.0.1", "port": port, "security": "none",
            "username": "crm", "password": "smtp-secret",
            "from_address": "ventas@acme.example", "from_name": "Acme Ventas"
        }),
    )
    .await;
}

/// The WhatsApp Business number and the token that sends from it.
pub(crate) const WA_NUMBER_ID: &str = "106540352242922";
pub(crate) const WA_TOKEN: &str = "EAAG-access-token";

/// The WhatsApp channel on [`WA_NUMBER_ID`].
pub(crate) async fn whatsapp_channel(app: &TestApp, token: &str) {
    put_channel(
        app,
        token,
        "whatsapp",
        json!({
            "enabled": true, "phone_number_id": WA_NUMBER_ID, "access_token": WA_TOKEN,
            "app_secret": "meta-app-secret", "verify_token": "hub-verify-token"
        }),
    )
    .await;
}

/// The Twilio account and its auth token.
pub(crate) const TWILIO_SID: &str = "AC0123456789abcdef";
pub(crate) const TWILIO_TOKEN: &str = "twilio-auth-token";

/// The SMS channel with `limit` messages per minute.
pub(crate) async fn sms_channel(app: &TestApp, token: &str, limit: i64) {
    put_channel(
        app,
        token,
        "sms",
        json!({
            "enabled": true, "account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN,
            "from": "+34910000000", "per_minute_limit": limit
        }),
    )
    .await;
}

/// Sends a message to (or logs a call with) `client`.
pub(crate) async fn send(app: &TestApp, token: &str, client: &str, body: Value) -> Reply {
    app.post(
        &format!("/api/v1/clients/{client}/communications"),
        token,
        body,
    )
    .await
}

/// Sends; panics unless the message is accepted. Returns it.
pub(crate) async fn sent(app: &TestApp, token: &str, client: &str, body: Value) -> Value {
    let r = send(app, token, client, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// The kinds of event on the client's timeline, newest first.
pub(crate) async fn timeline_kinds(app: &TestApp, token: &str, client: &str) -> Vec<String> {
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
        .map(|e| e["event_type"].as_str().expect("type").to_owned())
        .collect()
}

/// The delivery jobs on the queue for message `id`: (status, idempotency key).
pub(crate) async fn delivery_jobs(app: &TestApp, id: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT status, idempotency_key FROM apalis.jobs
          WHERE job_type = $1
            AND convert_from(job, 'UTF8')::jsonb ->> 'kind' = 'deliver_communication'
            AND convert_from(job, 'UTF8')::jsonb ->> 'communication_id' = $2",
    )
    .bind(worker::queue::QUEUE)
    .bind(id)
    .fetch_all(&app.owner)
    .await
    .expect("jobs")
}

/// A message the client wrote `minutes_ago` on `channel` (what the webhooks store), as the
/// schema owner.
pub(crate) async fn inbound(
    app: &TestApp,
    tenant: Uuid,
    client: &str,
    channel: &str,
    body: &str,
    minutes_ago: i64,
) -> String {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO communications (tenant_id, id, client_id, channel, direction, counterpart,
                                     body, status, message_key, sentiment_score, occurred_at)
         VALUES ($1, $2, $3, $4, 'inbound', '+34600111222', $5, 'received', $2::text, $6,
                 now() - make_interval(mins => $7::int))",
    )
    .bind(tenant)
    .bind(id)
    .bind(Uuid::parse_str(client).expect("uuid"))
    .bind(channel)
    .bind(body)
    .bind(domain::sentiment::score(body))
    .bind(minutes_ago as i32)
    .execute(&app.owner)
    .await
    .expect("inbound message");
    id.to_string()
}

#[tokio::test]
async fn a_message_is_committed_queued_with_its_delivery_job() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmq")).await;
    email_channel(&app, &t.owner_token, free_port()).await;
    let (_, agent) = app.user_with_roles(&t, "agent", &["support"]).await;
    let client = client(&app, &t.owner_token, "Acme Ibérica", json!({})).await;

    let r = send(
        &app,
        &agent,
        &client,
        json!({ "channel": "email", "subject": "Su pedido", "body": "Ya está en camino." }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = id_of(&r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/communications/{id}").as_str())
    );
    let m = &r.body;
    assert_eq!(m["status"], "queued");
    assert_eq!(m["direction"], "outbound");
    assert_eq!(m["counterpart"], "compras@tienda.example");
    assert_eq!(m["attempts"], 0);
    assert!(m["provider_message_id"].is_null() && m["sent_at"].is_null());

    // The job committed with the message: a worker that starts now finds it.
    assert_eq!(
        delivery_jobs(&app, &id).await,
        [("Pending".to_owned(), Some(format!("deliver-{id}")))]
    );
    let got = app
        .get(&format!("/api/v1/communications/{id}"), &agent)
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["subject"], "Su pedido");
    assert!(got.body["created_by"].is_string());
    assert!(
        timeline_kinds(&app, &agent, &client)
            .await
            .contains(&"communication.queued".to_owned())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_call_is_logged_on_the_timeline_and_never_queued() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmc")).await;
    let client = client(&app, &t.owner_token, "Acme Ibérica", json!({})).await;
    let when = (Utc::now() - Duration::hours(2)).to_rfc3339_opts(SecondsFormat::Secs, true);

    // No channel is set up: a call needs none.
    let call = sent(
        &app,
        &t.owner_token,
        &client,
        json!({
            "channel": "phone", "duration_seconds": 125, "outcome": "answered",
            "body": "Hablamos de la renovación", "direction": "inbound", "occurred_at": when
        }),
    )
    .await;
    assert_eq!(call["status"], "logged");
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["duration_seconds"], 125);
    assert_eq!(call["outcome"], "answered");
    assert_eq!(call["counterpart"], "+34600111222");
    assert_eq!(
        call["occurred_at"]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)),
        Some(when)
    );
    assert!(delivery_jobs(&app, &id_of(&call)).await.is_empty());
    // A call counts as contact with the client, when it took place.
    let c = app
        .get(&format!("/api/v1/clients/{client}"), &t.owner_token)
        .await;
    assert_eq!(c.body["last_contact_at"], call["occurred_at"]);

    // A contact's own number is the counterpart when the call was with them.
    let contact = created(
        &app,
        &format!("/api/v1/clients/{client}/contacts"),
        &t.owner_token,
        json!({ "name": "Ana Pérez", "phones": ["+34611222333"], "emails": ["ana@tienda.example"] }),
    )
    .await;
    let with_ana = sent(
        &app,
        &t.owner_token,
        &client,
        json!({ "channel": "phone", "duration_seconds": 30, "outcome": "voicemail",
                "contact_id": id_of(&contact) }),
    )
    .await;
    assert_eq!(with_ana["counterpart"], "+34611222333");
    assert_eq!(with_ana["contact_id"], id_of(&contact).as_str());

    // Notes are optional; outbound is the default.
    let quick = sent(
        &app,
        &t.owner_token,
        &client,
        json!({ "channel": "phone", "duration_seconds": 0, "outcome": "no_answer" }),
    )
    .await;
    assert_eq!(quick["direction"], "outbound");
    assert_eq!(quick["body"], "");
    assert!(delivery_jobs(&app, &id_of(&quick)).await.is_empty());

    let kinds = timeline_kinds(&app, &t.owner_token, &client).await;
    let calls = kinds
        .iter()
        .filter(|k| *k == "communication.call_logged")
        .count();
    assert_eq!(calls, 3, "{kinds:?}");
    assert!(!kinds.contains(&"communication.queued".to_owned()));
    app.stop().await;
}

#[tokio::test]
async fn sending_needs_the_channel_set_up_and_enabled() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmn")).await;
    let client = client(&app, &t.owner_token, "Acme Ibérica", json!({})).await;
    let tok = &t.owner_token;
    for body in [
        json!({ "channel": "sms", "body": "Hola" }),
        json!({ "channel": "whatsapp", "body": "Hola" }),
        json!({ "channel": "email", "subject": "Hola", "body": "Hola" }),
    ] {
        let r = send(&app, tok, &client, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(pointers(&r), ["/channel"], "{body}: {}", r.text);
    }
    // Set up but switched off.
    email_channel(&app, tok, free_port()).await;
    put_channel(&app, tok, "email", json!({ "enabled": false })).await;
    let r = send(
        &app,
        tok,
        &client,
        json!({ "channel": "email", "subject": "Hola", "body": "Hola" }),
    )
    .await;
    assert_eq!(pointers(&r), ["/channel"], "{}", r.text);
    assert_eq!(app.count("communications", t.id).await, 0);
    put_channel(&app, tok, "email", json!({ "enabled": true })).await;
    let r = send(
        &app,
        tok,
        &client,
        json!({ "channel": "email", "subject": "Hola", "body": "Hola" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn bad_messages_are_refused_naming_the_field_and_store_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmv")).await;
    let tok = &t.owner_token;
    email_channel(&app, tok, free_port()).await;
    sms_channel(&app, tok, 600).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let no_phone = self::client(
        &app,
        tok,
        "Sin teléfono",
        json!({ "phones": [], "emails": [] }),
    )
    .await;
    let sms_template = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Aviso", "channel": "sms", "body": "Hola {{clientName}}" }),
    )
    .await;
    let other = self::client(&app, tok, "Otra S.A.", json!({})).await;
    let contact = created(
        &app,
        &format!("/api/v1/clients/{other}/contacts"),
        tok,
        json!({ "name": "Luis" }),
    )
    .await;
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({ "channel": "email", "body": "Sin asunto" }),
            &["/subject"],
        ),
        (json!({ "channel": "email" }), &["/body", "/subject"]),
        (
            json!({ "channel": "sms", "body": "Hola", "template_id": id_of(&sms_template) }),
            &["/template_id"],
        ),
        (json!({ "channel": "fax", "body": "Hola" }), &["/channel"]),
        (
            json!({ "channel": "phone" }),
            &["/duration_seconds", "/outcome"],
        ),
        (
            json!({ "channel": "phone", "duration_seconds": 90000, "outcome": "answered" }),
            &["/duration_seconds"],
        ),
        (
            json!({ "channel": "phone", "duration_seconds": 60, "outcome": "hung_up" }),
            &["/outcome"],
        ),
        (
            json!({ "channel": "phone", "duration_seconds": 60, "outcome": "answered",
                    "occurred_at": future }),
            &["/occurred_at"],
        ),
        (
            json!({ "channel": "phone", "template_id": id_of(&sms_template),
                    "duration_seconds": 60, "outcome": "answered" }),
            &["/template_id"],
        ),
        (
            json!({ "channel": "sms", "body": "Hola", "outcome": "answered" }),
            &["/outcome"],
        ),
        (
            json!({ "channel": "sms", "subject": "Asunto", "body": "Hola" }),
            &["/subject"],
        ),
        (
            json!({ "channel": "email", "template_id": id_of(&sms_template) }),
            &["/template_id"],
        ),
        (
            json!({ "channel": "sms", "template_id": Uuid::now_v7() }),
            &["/template_id"],
        ),
        (
            json!({ "channel": "sms", "body": "Hola", "to": "not a number" }),
            &["/to"],
        ),
        (
            json!({ "channel": "email", "subject": "x", "body": "Hola", "to": "nobody" }),
            &["/to"],
        ),
        (
            json!({ "channel": "sms", "body": "Hola", "contact_id": id_of(&contact) }),
            &["/contact_id"],
        ),
        (
            json!({ "channel": "sms", "body": "x".repeat(20_001) }),
            &["/body"],
        ),
    ];
    for (body, expected) in cases {
        let r = send(&app, tok, &client, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(pointers(&r), expected, "{body}: {}", r.text);
    }
    // Nowhere to send it.
    let r = send(
        &app,
        tok,
        &no_phone,
        json!({ "channel": "sms", "body": "Hola" }),
    )
    .await;
    assert_eq!(pointers(&r), ["/to"], "{}", r.text);
    // An unknown member, and no such client.
    let r = send(
        &app,
        tok,
        &client,
        json!({ "channel": "sms", "body": "Hola", "priority": "high" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = send(
        &app,
        tok,
        &Uuid::now_v7().to_string(),
        json!({ "channel": "sms", "body": "Hola" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(app.count("communications", t.id).await, 0);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM apalis.jobs WHERE job_type = $1")
        .bind(worker::queue::QUEUE)
        .fetch_one(&app.owner)
        .await
        .expect("jobs");
    assert_eq!(jobs, 0);
    app.stop().await;
}

#[tokio::test]
async fn templates_are_checked_when_saved() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmt")).await;
    let tok = &t.owner_token;
    let bad: Vec<(Value, &str, &str)> = vec![
        (
            json!({ "name": "T", "channel": "sms", "body": "Hola {{clientname}}" }),
            "/body",
            "clientname",
        ),
        (
            json!({ "name": "T", "channel": "sms", "body": "Hola {{custom.tier}}" }),
            "/body",
            "custom.tier",
        ),
        (
            json!({ "name": "T", "channel": "email", "subject": "Hola {{clientName",
                    "body": "x" }),
            "/subject",
            "unclosed",
        ),
        (
            json!({ "name": "T", "channel": "sms", "body": "Hola {{clientName" }),
            "/body",
            "unclosed",
        ),
        (
            json!({ "name": "T", "channel": "email", "body": "Sin asunto" }),
            "/subject",
            "subject",
        ),
        (
            json!({ "name": "T", "channel": "sms", "subject": "x", "body": "x" }),
            "/subject",
            "e-mail",
        ),
        (
            json!({ "name": "T", "channel": "phone", "body": "x" }),
            "/channel",
            "email, whatsapp, sms",
        ),
        (
            json!({ "name": "T", "channel": "email", "subject": "x", "body": "x",
                    "provider_name": "hello" }),
            "/provider_name",
            "WhatsApp",
        ),
        (
            json!({ "name": "T", "channel": "whatsapp", "body": "x",
                    "provider_name": "hello" }),
            "/provider_language",
            "required",
        ),
        (
            json!({ "name": "", "channel": "sms", "body": "x" }),
            "/name",
            "1-100",
        ),
    ];
    for (body, pointer, says) in bad {
        let r = app.post("/api/v1/templates", tok, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert_eq!(pointers(&r), [pointer], "{body}: {}", r.text);
        let detail = r.body["errors"][0]["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{body}: {detail}");
    }
    assert_eq!(app.count("message_templates", t.id).await, 0);

    // A custom field's key becomes a variable.
    created(
        &app,
        "/api/v1/custom-fields",
        tok,
        json!({ "key": "tier", "label": "Tier", "field_type": "text" }),
    )
    .await;
    let r = app
        .post(
            "/api/v1/templates",
            tok,
            json!({ "name": "Bienvenida", "channel": "email",
                    "subject": "Bienvenidos, {{ clientName }}",
                    "body": "Nivel {{custom.tier}}. {{ownerName}}, {{today}}. {{clientName}}" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(
        r.body["variables"],
        json!(["clientName", "custom.tier", "ownerName", "today"])
    );
    let id = id_of(&r.body);
    let path = format!("/api/v1/templates/{id}");
    let dup = app
        .post(
            "/api/v1/templates",
            tok,
            json!({ "name": "BIENVENIDA", "channel": "sms", "body": "x" }),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.text);
    assert_eq!(dup.problem(), "template-exists");

    // A change is checked the same way, and honours If-Match.
    let r = app
        .patch(&path, tok, json!({ "body": "Hola {{nombre}}" }))
        .await;
    assert_eq!(pointers(&r), ["/body"], "{}", r.text);
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(tok),
            Some(json!({ "body": "Hola {{contactName}}" })),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text);
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(tok),
            Some(json!({ "body": "Hola {{contactName}}" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"2\""));
    assert_eq!(r.body["subject"], "Bienvenidos, {{ clientName }}");
    assert_eq!(r.body["variables"], json!(["clientName", "contactName"]));

    // An approved WhatsApp template, and the list by channel.
    let wa = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Seguimiento", "channel": "whatsapp", "body": "Hola {{clientName}}",
                "provider_name": "follow_up", "provider_language": "es" }),
    )
    .await;
    assert_eq!(wa["provider_name"], "follow_up");
    let all = app.get("/api/v1/templates", tok).await;
    let names: Vec<&str> = all
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Bienvenida", "Seguimiento"]);
    let only = app.get("/api/v1/templates?channel=whatsapp", tok).await;
    assert_eq!(only.body.as_array().map(Vec::len), Some(1));
    let r = app.get("/api/v1/templates?channel=fax", tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(parameters(&r), ["channel"]);

    // A custom field removed since: the stored template still reads, but it can no longer
    // be previewed or sent, and the problem names the placeholder.
    let tiered = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Nivel", "channel": "email", "subject": "Su nivel",
                "body": "Su nivel es {{custom.tier}}" }),
    )
    .await;
    let r = app.delete("/api/v1/custom-fields/tier", tok).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let tiered_path = format!("/api/v1/templates/{}", id_of(&tiered));
    assert_eq!(app.get(&tiered_path, tok).await.status, StatusCode::OK);
    email_channel(&app, tok, free_port()).await;
    let acme = client(&app, tok, "Acme Ibérica", json!({})).await;
    let r = app
        .post(
            &format!("{tiered_path}/preview"),
            tok,
            json!({ "client_id": acme }),
        )
        .await;
    assert_eq!(pointers(&r), ["/body"], "{}", r.text);
    assert!(r.text.contains("custom.tier"), "{}", r.text);
    let r = send(
        &app,
        tok,
        &acme,
        json!({ "channel": "email", "template_id": id_of(&tiered) }),
    )
    .await;
    assert_eq!(pointers(&r), ["/template_id"], "{}", r.text);
    assert!(r.text.contains("custom.tier"), "{}", r.text);
    assert_eq!(app.count("communications", t.id).await, 0);

    // Deleted, with If-Match.
    let r = app
        .call(
            Method::DELETE,
            &path,
            Some(tok),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.delete(&path, tok).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, tok).await.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// Previews template `id` for `client`; panics unless it renders.
async fn preview(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/api/v1/templates/{id}/preview"), token, body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Whether `text` ends with today's (or, just after midnight, yesterday's) date in `locale`.
fn ends_with_today(text: &str, locale: Locale) -> bool {
    let today = Utc::now().date_naive();
    [today, today - Duration::days(1)]
        .iter()
        .any(|d| text.ends_with(&locale.long_date(*d)))
}

#[tokio::test]
async fn a_preview_renders_the_clients_values_in_the_tenant_locale() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmp")).await;
    let tok = &t.owner_token;
    let (owner, _) = app.user_with_roles(&t, "marta", &["sales"]).await;
    let r = app
        .patch(
            "/api/v1/tenant",
            tok,
            json!({ "locale": "es", "time_zone": "UTC" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let client = client(&app, tok, "Tienda <b>& Hijos", json!({ "owner_id": owner })).await;
    let contact = created(
        &app,
        &format!("/api/v1/clients/{client}/contacts"),
        tok,
        json!({ "name": "Ana Pérez" }),
    )
    .await;
    let template = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Bienvenida", "channel": "email",
                "subject": "Bienvenidos, {{clientName}}",
                "body": "Hola {{contactName}}:\n\n{{ownerName}} le escribe el {{today}}" }),
    )
    .await;
    let id = id_of(&template);

    let p = preview(
        &app,
        tok,
        &id,
        json!({ "client_id": client, "contact_id": id_of(&contact) }),
    )
    .await;
    assert_eq!(p["subject"], "Bienvenidos, Tienda <b>& Hijos");
    let body = p["body"].as_str().expect("body");
    assert!(
        body.starts_with("Hola Ana Pérez:\n\nmarta le escribe el "),
        "{body}"
    );
    assert!(ends_with_today(body, Locale::Es), "{body}");
    assert!(body.contains(" de 20"), "a Spanish long date: {body}");
    let html = p["html"].as_str().expect("an e-mail has an HTML part");
    assert!(html.contains("<p>Hola Ana Pérez:</p>"), "{html}");

    // Values are escaped in the HTML part only.
    let escaping = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Escapes", "channel": "email", "subject": "x",
                "body": "Cliente: {{clientName}}" }),
    )
    .await;
    let p = preview(&app, tok, &id_of(&escaping), json!({ "client_id": client })).await;
    assert_eq!(p["body"], "Cliente: Tienda <b>& Hijos");
    let html = p["html"].as_str().expect("html");
    assert!(
        html.contains("Cliente: Tienda &lt;b&gt;&amp; Hijos"),
        "{html}"
    );
    assert!(!html.contains("<b>"), "{html}");

    // No contact: its name is empty. In English, the date is written the English way.
    let r = app
        .patch("/api/v1/tenant", tok, json!({ "locale": "en" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = preview(&app, tok, &id, json!({ "client_id": client })).await;
    let body = p["body"].as_str().expect("body");
    assert!(body.starts_with("Hola :\n\nmarta le escribe el "), "{body}");
    assert!(ends_with_today(body, Locale::En), "{body}");

    // SMS previews have no HTML.
    let sms = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Aviso", "channel": "sms", "body": "Hola {{clientName}}" }),
    )
    .await;
    let p = preview(&app, tok, &id_of(&sms), json!({ "client_id": client })).await;
    assert!(p["html"].is_null());
    assert_eq!(p["subject"], "");

    // Someone else's contact, or no such client.
    let other = self::client(&app, tok, "Otra S.A.", json!({})).await;
    let r = app
        .post(
            &format!("/api/v1/templates/{id}/preview"),
            tok,
            json!({ "client_id": other, "contact_id": id_of(&contact) }),
        )
        .await;
    assert_eq!(pointers(&r), ["/contact_id"], "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/templates/{id}/preview"),
            tok,
            json!({ "client_id": Uuid::now_v7() }),
        )
        .await;
    assert_eq!(pointers(&r), ["/client_id"], "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_and_page_the_messages() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cml")).await;
    let tok = &t.owner_token;
    email_channel(&app, tok, free_port()).await;
    sms_channel(&app, tok, 600).await;
    let acme = client(&app, tok, "Acme Ibérica", json!({})).await;
    let other = client(&app, tok, "Otra S.A.", json!({})).await;
    let days_ago =
        |d: i64| (Utc::now() - Duration::days(d)).to_rfc3339_opts(SecondsFormat::Secs, true);

    let old_call = sent(
        &app,
        tok,
        &acme,
        json!({ "channel": "phone", "duration_seconds": 60, "outcome": "busy",
                "occurred_at": days_ago(3) }),
    )
    .await;
    let mail = sent(
        &app,
        tok,
        &acme,
        json!({ "channel": "email", "subject": "Oferta", "body": "Le envío la oferta." }),
    )
    .await;
    let sms = sent(
        &app,
        tok,
        &other,
        json!({ "channel": "sms", "body": "Su cita es mañana." }),
    )
    .await;
    let happy_text = "¡Muchas gracias! Excelente servicio, estamos encantados.";
    let angry_text = "Estoy muy enfadado, el servicio es terrible y pésimo.";
    let happy = inbound(&app, t.id, &acme, "sms", happy_text, 30).await;
    let angry = inbound(&app, t.id, &other, "whatsapp", angry_text, 20).await;
    assert!(domain::sentiment::score(happy_text) >= 0.25);
    assert!(domain::sentiment::score(angry_text) <= -0.25);
    let [old_call, mail, sms] = [&old_call, &mail, &sms].map(id_of);

    // Newest first (by when they were stored).
    let all = app.get("/api/v1/communications", tok).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(
        ids(&all),
        [
            angry.as_str(),
            happy.as_str(),
            sms.as_str(),
            mail.as_str(),
            old_call.as_str()
        ]
    );
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("channel=sms".into(), vec![happy.as_str(), sms.as_str()]),
        ("channel=phone".into(), vec![old_call.as_str()]),
        (
            "direction=inbound".into(),
            vec![angry.as_str(), happy.as_str()],
        ),
        ("status=queued".into(), vec![sms.as_str(), mail.as_str()]),
        ("status=logged".into(), vec![old_call.as_str()]),
        (
            "status=received&channel=whatsapp".into(),
            vec![angry.as_str()],
        ),
        ("sentiment_min=0.25".into(), vec![happy.as_str()]),
        ("sentiment_max=-0.25".into(), vec![angry.as_str()]),
        (
            format!("from={}", days_ago(1)),
            vec![angry.as_str(), happy.as_str(), sms.as_str(), mail.as_str()],
        ),
        (format!("to={}", days_ago(1)), vec![old_call.as_str()]),
        (
            format!("from={}&to={}", days_ago(4), days_ago(2)),
            vec![old_call.as_str()],
        ),
        ("unseen=true".into(), vec![angry.as_str(), happy.as_str()]),
    ];
    for (query, expected) in cases {
        let r = app
            .get(&format!("/api/v1/communications?{query}"), tok)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(ids(&r), expected, "{query}");
    }

    // A client's conversation, with the same filters.
    let r = app
        .get(&format!("/api/v1/clients/{acme}/communications"), tok)
        .await;
    assert_eq!(ids(&r), [happy.as_str(), mail.as_str(), old_call.as_str()]);
    let r = app
        .get(
            &format!("/api/v1/clients/{acme}/communications?direction=outbound"),
            tok,
        )
        .await;
    assert_eq!(ids(&r), [mail.as_str(), old_call.as_str()]);
    let r = app
        .get(
            &format!("/api/v1/clients/{}/communications", Uuid::now_v7()),
            tok,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Pages of two, each cursor taking up where the last page ended.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0..3 {
        let query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".to_owned(),
        };
        let r = app
            .get(&format!("/api/v1/communications?{query}"), tok)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(ids(&r));
        cursor = r.body["next_cursor"].as_str().map(str::to_owned);
        assert_eq!(cursor.is_some(), page < 2, "page {page}: {}", r.text);
    }
    assert_eq!(seen, ids(&all));

    // Read: it leaves the unseen list; an outbound message is left as it is.
    let r = app
        .post(
            &format!("/api/v1/communications/{happy}/seen"),
            tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first_seen = r.body["seen_at"].as_str().expect("seen").to_owned();
    let again = app
        .post(
            &format!("/api/v1/communications/{happy}/seen"),
            tok,
            json!({}),
        )
        .await;
    assert_eq!(again.body["seen_at"], first_seen.as_str());
    let r = app
        .post(
            &format!("/api/v1/communications/{mail}/seen"),
            tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["seen_at"].is_null());
    let r = app.get("/api/v1/communications?unseen=true", tok).await;
    assert_eq!(ids(&r), [angry.as_str()]);
    app.stop().await;
}

#[tokio::test]
async fn bad_list_parameters_are_refused_naming_them() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmb")).await;
    let acme = client(&app, &t.owner_token, "Acme Ibérica", json!({})).await;
    let cases = [
        ("channel=fax", "channel"),
        ("direction=sideways", "direction"),
        ("status=lost", "status"),
        ("sentiment_min=2", "sentiment_min"),
        ("sentiment_max=abc", "sentiment_max"),
        ("sentiment_min=0.5&sentiment_max=0.1", "sentiment_min"),
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("unseen=maybe", "unseen"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=not-a-cursor", "cursor"),
    ];
    for base in [
        "/api/v1/communications".to_owned(),
        format!("/api/v1/clients/{acme}/communications"),
    ] {
        for (query, parameter) in cases {
            let r = app.get(&format!("{base}?{query}"), &t.owner_token).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{base}?{query}: {}",
                r.text
            );
            assert_eq!(parameters(&r), [parameter], "{base}?{query}: {}", r.text);
        }
    }
    let r = app
        .get(
            "/api/v1/communications?channel=fax&status=lost&limit=x",
            &t.owner_token,
        )
        .await;
    assert_eq!(parameters(&r), ["channel", "status", "limit"], "{}", r.text);
    // An id that cannot be one names no message.
    let r = app
        .get("/api/v1/communications/not-a-uuid", &t.owner_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn channel_settings_keep_their_secrets_sealed() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cms")).await;
    let tok = &t.owner_token;
    let secrets = [
        "smtp-secret",
        WA_TOKEN,
        "meta-app-secret",
        "hub-verify-token",
        TWILIO_TOKEN,
    ];

    // Nothing set: each channel is there, off, with the default limit.
    let r = app.get("/api/v1/channels", tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.body.as_array().expect("list");
    let names: Vec<&str> = list
        .iter()
        .map(|c| c["channel"].as_str().expect("channel"))
        .collect();
    assert_eq!(names, ["email", "whatsapp", "sms"]);
    assert!(list.iter().all(|c| c["enabled"] == false
        && c["per_minute_limit"] == 600
        && c["secrets_set"] == json!([])));

    email_channel(&app, tok, 2525).await;
    whatsapp_channel(&app, tok).await;
    sms_channel(&app, tok, 30).await;
    let email = app.get("/api/v1/channels/email", tok).await;
    assert_eq!(email.body["enabled"], true);
    assert_eq!(email.body["secrets_set"], json!(["password"]));
    assert_eq!(
        email.body["settings"],
        json!({ "host": "127.0.0.1", "port": 2525, "security": "none", "username": "crm",
                "from_address": "ventas@acme.example", "from_name": "Acme Ventas" })
    );
    let wa = app.get("/api/v1/channels/whatsapp", tok).await;
    assert_eq!(
        wa.body["secrets_set"],
        json!(["access_token", "app_secret", "verify_token"])
    );
    assert_eq!(
        wa.body["settings"],
        json!({ "phone_number_id": WA_NUMBER_ID })
    );
    assert_eq!(
        wa.body["webhook_path"],
        "/api/v1/webhooks/whatsapp/{tenant_id}"
    );
    let sms = app.get("/api/v1/channels/sms", tok).await;
    assert_eq!(sms.body["secrets_set"], json!(["auth_token"]));
    assert_eq!(sms.body["per_minute_limit"], 30);

    // A change that leaves a secret out keeps it; an empty text clears a member.
    let r = app
        .call(
            Method::PUT,
            "/api/v1/channels/email",
            Some(tok),
            Some(json!({ "enabled": true, "from_name": "", "port": 587 })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["secrets_set"], json!(["password"]));
    assert_eq!(r.body["settings"]["port"], 587);
    assert!(r.body["settings"].get("from_name").is_none(), "{}", r.text);
    assert_eq!(r.body["version"], 2);

    // No secret ever comes back: not in the answers, not in the audit trail, not stored in
    // the clear.
    let mut texts = vec![r.text];
    for path in [
        "/api/v1/channels",
        "/api/v1/channels/email",
        "/api/v1/channels/whatsapp",
        "/api/v1/channels/sms",
    ] {
        texts.push(app.get(path, tok).await.text);
    }
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(before::text, '') || coalesce(after::text, '') FROM audit_events
          WHERE tenant_id = $1",
    )
    .bind(t.id)
    .fetch_all(&app.owner)
    .await
    .expect("audit");
    texts.extend(audit);
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT settings::text || coalesce(encode(secrets_cipher, 'escape'), '')
           FROM channel_settings WHERE tenant_id = $1",
    )
    .bind(t.id)
    .fetch_all(&app.owner)
    .await
    .expect("stored");
    assert_eq!(stored.len(), 3);
    texts.extend(stored);
    for text in &texts {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
    }

    // Refusals name the member.
    let bad: Vec<(&str, Value, &[&str])> = vec![
        (
            "email",
            json!({ "enabled": true, "access_token": "x" }),
            &["/access_token"],
        ),
        (
            "email",
            json!({ "enabled": false, "port": 70000 }),
            &["/port"],
        ),
        (
            "email",
            json!({ "enabled": false, "security": "ssl" }),
            &["/security"],
        ),
        (
            "email",
            json!({ "enabled": false, "host": "smtp example" }),
            &["/host"],
        ),
        (
            "email",
            json!({ "enabled": false, "from_address": "ventas" }),
            &["/from_address"],
        ),
        (
            "email",
            json!({ "enabled": false, "per_minute_limit": 0 }),
            &["/per_minute_limit"],
        ),
        (
            "sms",
            json!({ "enabled": false, "from": "ventas" }),
            &["/from"],
        ),
        (
            "sms",
            json!({ "enabled": false, "account_sid": "AC/../x" }),
            &["/account_sid"],
        ),
        (
            "whatsapp",
            json!({ "enabled": false, "auth_token": "x" }),
            &["/auth_token"],
        ),
    ];
    for (channel, body, expected) in bad {
        let r = app
            .call(
                Method::PUT,
                &format!("/api/v1/channels/{channel}"),
                Some(tok),
                Some(body.clone()),
                &[],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{channel} {body}: {}",
            r.text
        );
        assert_eq!(pointers(&r), expected, "{channel} {body}: {}", r.text);
    }
    // Enabling a channel needs what it cannot work without.
    let other = app.tenant(&slug("cms2")).await;
    let r = app
        .call(
            Method::PUT,
            "/api/v1/channels/sms",
            Some(&other.owner_token),
            Some(json!({ "enabled": true, "from": "+34910000000" })),
            &[],
        )
        .await;
    assert_eq!(pointers(&r), ["/account_sid", "/auth_token"], "{}", r.text);
    for path in ["/api/v1/channels/phone", "/api/v1/channels/fax"] {
        assert_eq!(app.get(path, tok).await.status, StatusCode::NOT_FOUND);
    }
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_messages_templates_and_channels_are_not_found() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("cma")).await;
    let b = app.tenant(&slug("cmz")).await;
    email_channel(&app, &b.owner_token, free_port()).await;
    let b_client = client(&app, &b.owner_token, "Cliente de B", json!({})).await;
    let b_message = sent(
        &app,
        &b.owner_token,
        &b_client,
        json!({ "channel": "email", "subject": "De B", "body": "Solo de B" }),
    )
    .await;
    let b_inbound = inbound(&app, b.id, &b_client, "sms", "Hola B", 5).await;
    let b_template = created(
        &app,
        "/api/v1/templates",
        &b.owner_token,
        json!({ "name": "Plantilla de B", "channel": "email", "subject": "B",
                "body": "Hola {{clientName}}" }),
    )
    .await;
    let a_client = client(&app, &a.owner_token, "Cliente de A", json!({})).await;
    email_channel(&app, &a.owner_token, free_port()).await;
    let a_template = created(
        &app,
        "/api/v1/templates",
        &a.owner_token,
        json!({ "name": "Plantilla de A", "channel": "email", "subject": "A",
                "body": "Hola {{clientName}}" }),
    )
    .await;
    let msg = format!("/api/v1/communications/{}", id_of(&b_message));
    let tpl = format!("/api/v1/templates/{}", id_of(&b_template));
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, msg.clone(), None),
        (Method::POST, format!("{msg}/seen"), Some(json!({}))),
        (
            Method::POST,
            format!("/api/v1/communications/{b_inbound}/seen"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{b_client}/communications"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/clients/{b_client}/communications"),
            Some(json!({ "channel": "email", "subject": "x", "body": "x" })),
        ),
        (Method::GET, tpl.clone(), None),
        (Method::PATCH, tpl.clone(), Some(json!({ "name": "Mía" }))),
        (Method::DELETE, tpl.clone(), None),
        (
            Method::POST,
            format!("{tpl}/preview"),
            Some(json!({ "client_id": a_client })),
        ),
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
    // Their ids cannot be borrowed.
    let r = send(
        &app,
        &a.owner_token,
        &a_client,
        json!({ "channel": "email", "template_id": id_of(&b_template) }),
    )
    .await;
    assert_eq!(pointers(&r), ["/template_id"], "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/templates/{}/preview", id_of(&a_template)),
            &a.owner_token,
            json!({ "client_id": b_client }),
        )
        .await;
    assert_eq!(pointers(&r), ["/client_id"], "{}", r.text);
    // Lists do not leak.
    let theirs = [
        id_of(&b_message),
        b_inbound.clone(),
        id_of(&b_template),
        "Solo de B".to_owned(),
    ];
    for list in [
        "/api/v1/communications",
        "/api/v1/communications?unseen=true",
        "/api/v1/templates",
    ] {
        let r = app.get(list, &a.owner_token).await;
        assert_eq!(r.status, StatusCode::OK);
        for t in &theirs {
            assert!(!r.text.contains(t.as_str()), "{list} shows {t}");
        }
    }
    // Each tenant's channel is its own.
    put_channel(&app, &a.owner_token, "email", json!({ "enabled": false })).await;
    let r = app.get("/api/v1/channels/email", &b.owner_token).await;
    assert_eq!(r.body["enabled"], true);
    // Untouched.
    let r = app.get(&msg, &b.owner_token).await;
    assert_eq!(r.body["subject"], "De B");
    let r = app
        .get(
            &format!("/api/v1/communications/{b_inbound}"),
            &b.owner_token,
        )
        .await;
    assert!(r.body["seen_at"].is_null());
    assert_eq!(
        app.get(&tpl, &b.owner_token).await.header("etag"),
        Some("\"1\"")
    );
    assert_eq!(app.count("communications", b.id).await, 2);
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
async fn communication_endpoints_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cmr")).await;
    let client = client(&app, &t.owner_token, "Acme Ibérica", json!({})).await;
    let call = sent(
        &app,
        &t.owner_token,
        &client,
        json!({ "channel": "phone", "duration_seconds": 60, "outcome": "answered" }),
    )
    .await;
    let template = created(
        &app,
        "/api/v1/templates",
        &t.owner_token,
        json!({ "name": "Aviso", "channel": "sms", "body": "Hola {{clientName}}" }),
    )
    .await;
    let (msg, tpl) = (id_of(&call), id_of(&template));
    let missing = Uuid::now_v7();
    const VIEW: &[&str] = &["owner", "admin", "sales", "support", "marketing", "viewer"];
    const SEND: &[&str] = &["owner", "admin", "sales", "support", "marketing"];
    const TEMPLATES: &[&str] = &["owner", "admin", "marketing"];
    const SETTINGS: &[&str] = &["owner"];
    let cases: Vec<RoleCase> = vec![
        (
            Method::GET,
            "/api/v1/communications".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/v1/communications/{msg}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/communications/{missing}/seen"),
            Some(json!({})),
            VIEW,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("/api/v1/clients/{client}/communications"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/clients/{client}/communications"),
            Some(json!({ "channel": "phone" })),
            SEND,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            "/api/v1/templates".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/templates".into(),
            Some(json!({ "name": "" })),
            TEMPLATES,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/templates/{tpl}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/templates/{missing}"),
            Some(json!({})),
            TEMPLATES,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/templates/{missing}"),
            None,
            TEMPLATES,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            format!("/api/v1/templates/{tpl}/preview"),
            Some(json!({ "client_id": client })),
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/channels".into(),
            None,
            SETTINGS,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/channels/sms".into(),
            None,
            SETTINGS,
            StatusCode::OK,
        ),
        (
            Method::PUT,
            "/api/v1/channels/sms".into(),
            Some(json!({ "enabled": false, "per_minute_limit": 0 })),
            SETTINGS,
            StatusCode::UNPROCESSABLE_ENTITY,
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
    // Nothing was written by the refused calls.
    assert_eq!(app.count("communications", t.id).await, 1);
    assert_eq!(app.count("message_templates", t.id).await, 1);
    assert_eq!(app.count("channel_settings", t.id).await, 0);
    app.stop().await;
}
