//! The providers' webhooks (issue 15): WhatsApp Cloud's handshake and signed events, Twilio's
//! signed inbound SMS and status callbacks. A bad signature stores nothing; an inbound message
//! lands on its client's timeline (or makes its sender a lead); a provider's retry is stored
//! once; status reports move a sent message forward only.

use integrations::webhook_signatures::{sign_meta, sign_twilio};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

const APP_SECRET: &str = "meta-app-secret";
const VERIFY_TOKEN: &str = "verify-me";
const AUTH_TOKEN: &str = "twilio-auth-token";

async fn set_channels(app: &TestApp, t: &TenantFixture) {
    let whatsapp = json!({
        "enabled": true, "phone_number_id": "PN1", "access_token": "token",
        "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN
    });
    let r = app
        .call(
            Method::PUT,
            "/api/v1/channels/whatsapp",
            Some(&t.owner_token),
            Some(whatsapp),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let sms = json!({ "enabled": true, "account_sid": "AC1", "auth_token": AUTH_TOKEN, "from": "+34910000000" });
    let r = app
        .call(
            Method::PUT,
            "/api/v1/channels/sms",
            Some(&t.owner_token),
            Some(sms),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn client_with_phone(app: &TestApp, t: &TenantFixture, phone: &str) -> String {
    let r = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Bodegas Lara", "phones": [phone] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

fn whatsapp_text(from: &str, wamid: &str, text: &str) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "WABA", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "34910000000", "phone_number_id": "PN1" },
            "contacts": [{ "profile": { "name": "Lucía Lara" }, "wa_id": from }],
            "messages": [{ "from": from, "id": wamid, "timestamp": "1765000000", "type": "text",
                           "text": { "body": text } }]
        }}]}]
    })
    .to_string()
}

async fn post_whatsapp(app: &TestApp, tenant: Uuid, body: &str, signature: &str) -> Reply {
    let res = app
        .http
        .post(app.url(&format!("/api/v1/webhooks/whatsapp/{tenant}")))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    read(res).await
}

async fn messages_of(app: &TestApp, t: &TenantFixture, client: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/api/v1/clients/{client}/communications"),
            &t.owner_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["data"].as_array().expect("data").clone()
}

#[tokio::test]
async fn the_whatsapp_handshake_echoes_the_challenge_only_for_the_tenants_token() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("wh")).await;
    set_channels(&app, &t).await;
    let path = |token: &str| {
        format!(
            "/api/v1/webhooks/whatsapp/{}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=42",
            t.id
        )
    };
    let ok = app
        .call(Method::GET, &path(VERIFY_TOKEN), None, None, &[])
        .await;
    assert_eq!((ok.status, ok.text.as_str()), (StatusCode::OK, "42"));
    let wrong = app.call(Method::GET, &path("guess"), None, None, &[]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let unknown = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/webhooks/whatsapp/{}?hub.mode=subscribe",
                Uuid::now_v7()
            ),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_signed_whatsapp_message_lands_on_its_clients_timeline_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("wh")).await;
    set_channels(&app, &t).await;
    let client = client_with_phone(&app, &t, "+34612345678").await;
    let body = whatsapp_text(
        "34612345678",
        "wamid.IN1",
        "Muchas gracias, el servicio es excelente",
    );

    let forged = post_whatsapp(
        &app,
        t.id,
        &body,
        &sign_meta(b"another-secret", body.as_bytes()),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(
        messages_of(&app, &t, &client).await.is_empty(),
        "a forged call stores nothing"
    );

    let signature = sign_meta(APP_SECRET.as_bytes(), body.as_bytes());
    for _ in 0..2 {
        let r = post_whatsapp(&app, t.id, &body, &signature).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let messages = messages_of(&app, &t, &client).await;
    assert_eq!(
        messages.len(),
        1,
        "Meta's retry is stored once: {messages:?}"
    );
    let m = &messages[0];
    assert_eq!(m["direction"], "inbound");
    assert_eq!(m["status"], "received");
    assert_eq!(m["counterpart"], "+34612345678");
    assert!(m["sentiment_score"].as_f64().expect("score") > 0.25, "{m}");
    let timeline = app
        .get(
            &format!("/api/v1/clients/{client}/timeline"),
            &t.owner_token,
        )
        .await;
    assert!(
        timeline.text.contains("communication.received"),
        "{}",
        timeline.text
    );
    let unseen = app
        .get("/api/v1/communications?unseen=true", &t.owner_token)
        .await;
    assert_eq!(unseen.body["data"].as_array().map(Vec::len), Some(1));
    let seen = app
        .post(
            &format!(
                "/api/v1/communications/{}/seen",
                m["id"].as_str().expect("id")
            ),
            &t.owner_token,
            json!({}),
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    let unseen = app
        .get("/api/v1/communications?unseen=true", &t.owner_token)
        .await;
    assert_eq!(unseen.body["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn an_unknown_sender_becomes_a_lead_and_other_tenants_see_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("wh")).await;
    let other = app.tenant(&slug("wh")).await;
    set_channels(&app, &t).await;
    let body = whatsapp_text(
        "34699000111",
        "wamid.NEW",
        "Hola, quiero información sobre precios",
    );
    let r = post_whatsapp(
        &app,
        t.id,
        &body,
        &sign_meta(APP_SECRET.as_bytes(), body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let clients = app.get("/api/v1/clients?q=Lucía", &t.owner_token).await;
    let lead = &clients.body["data"][0];
    assert_eq!(lead["company_name"], "Lucía Lara", "{}", clients.text);
    assert_eq!(lead["status"], "lead");
    assert_eq!(lead["phones"][0], "+34699000111");
    let id = lead["id"].as_str().expect("id");
    assert_eq!(messages_of(&app, &t, id).await.len(), 1);
    let theirs = app.get("/api/v1/communications", &other.owner_token).await;
    assert_eq!(theirs.body["data"].as_array().map(Vec::len), Some(0));
    // The same call signed for this tenant is refused at another tenant's address (it has no
    // WhatsApp channel).
    let r = post_whatsapp(
        &app,
        other.id,
        &body,
        &sign_meta(APP_SECRET.as_bytes(), body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn post_twilio(app: &TestApp, path: &str, form: &[(&str, &str)], token: &str) -> Reply {
    let pairs: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let signature = sign_twilio(token, &app.url(path), &pairs);
    let res = app
        .http
        .post(app.url(path))
        .header("x-twilio-signature", signature)
        .form(&pairs)
        .send()
        .await
        .expect("request");
    read(res).await
}

#[tokio::test]
async fn twilio_inbound_sms_and_status_reports_are_verified_and_applied() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tw")).await;
    set_channels(&app, &t).await;
    let client = client_with_phone(&app, &t, "+34655443322").await;
    let inbound = format!("/api/v1/webhooks/twilio/{}/messages", t.id);
    let form = [
        ("MessageSid", "SM-in-1"),
        ("From", "+34655443322"),
        ("To", "+34910000000"),
        ("Body", "Estoy muy enfadado, el pedido no llega"),
    ];
    let forged = post_twilio(&app, &inbound, &form, "not-the-token").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let r = post_twilio(&app, &inbound, &form, AUTH_TOKEN).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let messages = messages_of(&app, &t, &client).await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["sentiment_score"].as_f64().expect("score") < -0.25,
        "{:?}",
        messages[0]
    );

    // An SMS of ours, as the worker left it after Twilio accepted it.
    let sent = app
        .post(
            &format!("/api/v1/clients/{client}/communications"),
            &t.owner_token,
            json!({ "channel": "sms", "body": "Le llamamos hoy" }),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let id = Uuid::parse_str(sent.body["id"].as_str().expect("id")).expect("uuid");
    sqlx::query("UPDATE communications SET status = 'sent', sent_at = now(), provider_message_id = 'SM-out-1' WHERE id = $1")
        .bind(id)
        .execute(&app.owner)
        .await
        .expect("sent");
    let status = format!("/api/v1/webhooks/twilio/{}/status", t.id);
    let read_report = [("MessageSid", "SM-out-1"), ("MessageStatus", "read")];
    let delivered_late = [("MessageSid", "SM-out-1"), ("MessageStatus", "delivered")];
    for form in [&read_report[..], &delivered_late[..]] {
        let r = post_twilio(&app, &status, form, AUTH_TOKEN).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    let m = app
        .get(&format!("/api/v1/communications/{id}"), &t.owner_token)
        .await;
    assert_eq!(
        m.body["status"], "read",
        "a late `delivered` does not move it back: {}",
        m.text
    );
    assert!(
        m.body["read_at"].is_string() && m.body["delivered_at"].is_string(),
        "{}",
        m.text
    );
}

/// The tenant's cipher, as the worker holds it when it writes tracking addresses.
async fn cipher_of(app: &TestApp, tenant: Uuid) -> db::crypto::TenantCipher {
    let mut tx = db::TenantTx::begin(&app.app_pool, tenant)
        .await
        .expect("tx");
    let keys = db::crypto::MasterKeys::parse(&test_master_keys()).expect("keys");
    let cipher = db::crypto::tenant_cipher(&mut tx, &keys)
        .await
        .expect("cipher");
    tx.commit().await.expect("commit");
    cipher
}

async fn get_path(app: &TestApp, url: &str) -> reqwest::Response {
    let path = url
        .strip_prefix("https://crm.example")
        .expect("under the public address");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    client.get(app.url(path)).send().await.expect("request")
}

#[tokio::test]
async fn opens_and_clicks_count_only_through_the_tenants_signed_addresses() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tr")).await;
    set_channels(&app, &t).await;
    let client = client_with_phone(&app, &t, "+34611223344").await;
    let sent = app
        .post(
            &format!("/api/v1/clients/{client}/communications"),
            &t.owner_token,
            json!({ "channel": "sms", "body": "Oferta en https://shop.example/o?id=7&x=1" }),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let id = Uuid::parse_str(sent.body["id"].as_str().expect("id")).expect("uuid");
    let cipher = cipher_of(&app, t.id).await;
    let tracker = services::communications::tracking::Tracker {
        cipher: &cipher,
        base: "https://crm.example".into(),
        tenant: t.id,
        message: id,
    };
    let html = services::communications::templates::text_to_html(
        "Mire https://shop.example/o?id=7&x=1 hoy",
    );
    let tracked = tracker.apply(&html);
    assert!(
        tracked.contains(&domain::templates::html_escape(
            &tracker.click_url("https://shop.example/o?id=7&x=1")
        )),
        "{tracked}"
    );
    assert!(
        tracked.contains(&domain::templates::html_escape(&tracker.open_url())),
        "{tracked}"
    );
    assert!(
        !tracked.contains("href=\"https://shop.example"),
        "every link goes through the redirect: {tracked}"
    );

    let click = tracker.click_url("https://shop.example/o?id=7&x=1");
    for _ in 0..2 {
        let r = get_path(&app, &click).await;
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers()["location"], "https://shop.example/o?id=7&x=1");
    }
    let elsewhere = click.replace("shop.example", "evil.example");
    assert_eq!(
        get_path(&app, &elsewhere).await.status(),
        StatusCode::NOT_FOUND,
        "no open redirect"
    );
    let other_message = click.replace(&id.to_string(), &Uuid::now_v7().to_string());
    assert_eq!(
        get_path(&app, &other_message).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = get_path(&app, &tracker.open_url()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/gif");
    let forged_open = format!(
        "https://crm.example/t/o/{}/{id}?s=AAAAAAAAAAAAAAAAAAAAAA",
        t.id
    );
    assert_eq!(
        get_path(&app, &forged_open).await.status(),
        StatusCode::NOT_FOUND
    );

    let m = app
        .get(&format!("/api/v1/communications/{id}"), &t.owner_token)
        .await;
    assert_eq!(
        (
            m.body["click_count"].as_i64(),
            m.body["open_count"].as_i64()
        ),
        (Some(2), Some(1)),
        "{}",
        m.text
    );
    let timeline = app
        .get(
            &format!("/api/v1/clients/{client}/timeline"),
            &t.owner_token,
        )
        .await;
    let clicked = timeline.text.matches("communication.clicked").count();
    assert_eq!(
        clicked, 1,
        "the first click only is on the timeline: {}",
        timeline.text
    );
    assert!(timeline.text.contains("communication.opened"));
}

const SIGNING_KEY: &str = "mailgun-signing-key";

async fn post_mailgun(
    app: &TestApp,
    tenant: Uuid,
    fields: &[(&str, &str)],
    key: &str,
    at: i64,
) -> Reply {
    let timestamp = at.to_string();
    let token = format!("tok{}", Uuid::now_v7().simple());
    let signature = integrations::webhook_signatures::sign_mailgun(key, &timestamp, &token);
    let mut form: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    form.extend([
        ("timestamp".into(), timestamp),
        ("token".into(), token),
        ("signature".into(), signature),
    ]);
    let res = app
        .http
        .post(app.url(&format!("/api/v1/webhooks/mailgun/{tenant}")))
        .form(&form)
        .send()
        .await
        .expect("request");
    read(res).await
}

#[tokio::test]
async fn an_inbound_email_threads_onto_the_message_it_answers() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("mg")).await;
    let smtp = tests::smtp_server::SmtpServer::start().await;
    let email = json!({
        "enabled": true, "host": "127.0.0.1", "port": smtp.port, "security": "none",
        "from_address": "ventas@acme.example", "inbound_signing_key": SIGNING_KEY
    });
    let r = app
        .call(
            Method::PUT,
            "/api/v1/channels/email",
            Some(&t.owner_token),
            Some(email),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["secrets_set"],
        json!(["inbound_signing_key"]),
        "{}",
        r.text
    );
    // A client known under another address: only the threading header can find it.
    let client = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Vinos Ruiz", "emails": ["compras@vinosruiz.example"] }),
        )
        .await;
    let client = client.body["id"].as_str().expect("id").to_owned();
    let sent = app
        .post(&format!("/api/v1/clients/{client}/communications"), &t.owner_token, json!({ "channel": "email", "subject": "Propuesta", "body": "Adjuntamos la propuesta." }))
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let ours = sent.body["id"].as_str().expect("id").to_owned();
    let now = chrono::Utc::now().timestamp();
    let reply = [
        ("from", "Ana Ruiz <ana.ruiz@gmail.example>"),
        ("subject", "Re: Propuesta"),
        ("stripped-text", "Perfecto, muchas gracias. Nos encanta."),
        ("Message-Id", "<reply-1@gmail.example>"),
        ("In-Reply-To", &format!("<{ours}@acme.example>")),
    ];
    let stale = post_mailgun(&app, t.id, &reply, SIGNING_KEY, now - 3600).await;
    assert_eq!(
        stale.status,
        StatusCode::UNAUTHORIZED,
        "an old signature is replayed, not fresh"
    );
    let forged = post_mailgun(&app, t.id, &reply, "guess", now).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        let r = post_mailgun(&app, t.id, &reply, SIGNING_KEY, now).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let messages = messages_of(&app, &t, &client).await;
    assert_eq!(
        messages.len(),
        2,
        "one reply stored, on the client it answers: {messages:?}"
    );
    let inbound = messages
        .iter()
        .find(|m| m["direction"] == "inbound")
        .expect("the reply");
    assert_eq!(inbound["subject"], "Re: Propuesta");
    assert_eq!(inbound["counterpart"], "ana.ruiz@gmail.example");
    let answered = app
        .get(&format!("/api/v1/communications/{ours}"), &t.owner_token)
        .await;
    assert!(answered.body["replied_at"].is_string(), "{}", answered.text);

    // Our answer threads onto the client's reply.
    let again = app
        .post(
            &format!("/api/v1/clients/{client}/communications"),
            &t.owner_token,
            json!({ "channel": "email", "subject": "Re: Propuesta", "body": "Gracias a ustedes." }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    app.drain_jobs().await;
    let mails = smtp.received();
    let last = mails.last().expect("sent");
    let headers = tests::mail_message::Entity::parse(&last.data);
    assert_eq!(headers.header("in-reply-to"), "<reply-1@gmail.example>");
    assert_eq!(headers.header("references"), "<reply-1@gmail.example>");
}

#[tokio::test]
async fn the_kpis_count_what_was_sent_answered_and_preferred() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kp")).await;
    set_channels(&app, &t).await;
    let client = client_with_phone(&app, &t, "+34622110099").await;
    let mut sent = Vec::new();
    for text in ["Primera oferta", "Segunda oferta"] {
        let r = app
            .post(
                &format!("/api/v1/clients/{client}/communications"),
                &t.owner_token,
                json!({ "channel": "sms", "body": text }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        sent.push(Uuid::parse_str(r.body["id"].as_str().expect("id")).expect("uuid"));
    }
    // Accepted by Twilio an hour ago, as the worker records it.
    sqlx::query("UPDATE communications SET status = 'sent', sent_at = now() - interval '1 hour', occurred_at = now() - interval '1 hour' WHERE id = ANY($1)")
        .bind(&sent)
        .execute(&app.owner)
        .await
        .expect("sent");
    let inbound = format!("/api/v1/webhooks/twilio/{}/messages", t.id);
    let form = [
        ("MessageSid", "SM-k1"),
        ("From", "+34622110099"),
        ("To", "+34910000000"),
        ("Body", "Me interesa mucho, gracias"),
    ];
    assert_eq!(
        post_twilio(&app, &inbound, &form, AUTH_TOKEN).await.status,
        StatusCode::OK
    );

    let k = app.get("/api/v1/kpis/communications", &t.owner_token).await;
    assert_eq!(k.status, StatusCode::OK, "{}", k.text);
    assert_eq!(
        (k.body["sent"].as_i64(), k.body["replied"].as_i64()),
        (Some(2), Some(1)),
        "{}",
        k.text
    );
    assert_eq!(k.body["engagement_rate"].as_f64(), Some(0.5));
    assert_eq!(
        k.body["by_channel"],
        json!([{ "channel": "sms", "outbound": 2, "inbound": 1 }])
    );
    assert_eq!(
        k.body["preferred_channels"],
        json!([{ "channel": "sms", "clients": 1 }])
    );
    let reply_hours = k.body["average_client_reply_hours"]
        .as_f64()
        .expect("hours");
    assert!((0.9..1.1).contains(&reply_hours), "{reply_hours}");
    assert_eq!(k.body["period_unit"], "day");
    let bad = app
        .get("/api/v1/kpis/communications?from=yesterday", &t.owner_token)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let summary = app
        .get(
            &format!("/api/v1/clients/{client}/communications/summary"),
            &t.owner_token,
        )
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    assert_eq!(summary.body["preferred_channel"], "sms");
    let months = summary.body["months"].as_array().expect("months");
    assert_eq!(months.len(), 1);
    assert_eq!(months[0]["messages"], 3);
    assert!(
        months[0]["sentiment"].as_f64().expect("sentiment") > 0.25,
        "{}",
        summary.text
    );
    let other = app.tenant(&slug("kp")).await;
    let theirs = app
        .get(
            &format!("/api/v1/clients/{client}/communications/summary"),
            &other.owner_token,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let theirs = app
        .get("/api/v1/kpis/communications", &other.owner_token)
        .await;
    assert_eq!(theirs.body["sent"], 0);
}

#[tokio::test]
async fn a_clients_whatsapp_message_lands_on_its_open_ticket() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("wt")).await;
    set_channels(&app, &t).await;
    let client = client_with_phone(&app, &t, "+34633221100").await;
    let ticket = app
        .post("/api/v1/tickets", &t.owner_token, json!({ "client_id": client, "title": "No arranca", "priority": "normal", "priority_reason": "as reported" }))
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.text);
    let ticket = ticket.body["id"].as_str().expect("id").to_owned();
    let body = whatsapp_text(
        "34633221100",
        "wamid.T1",
        "Sigue sin funcionar después del reinicio",
    );
    let r = post_whatsapp(
        &app,
        t.id,
        &body,
        &sign_meta(APP_SECRET.as_bytes(), body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let thread = app
        .get(
            &format!("/api/v1/tickets/{ticket}/comments"),
            &t.owner_token,
        )
        .await;
    let comments = thread.body["data"].as_array().expect("data");
    assert_eq!(comments.len(), 1, "{}", thread.text);
    assert_eq!(comments[0]["author_kind"], "customer");
    assert_eq!(
        comments[0]["body"],
        "Sigue sin funcionar después del reinicio"
    );
    let now = app
        .get(&format!("/api/v1/tickets/{ticket}"), &t.owner_token)
        .await;
    assert!(now.body["last_customer_at"].is_string(), "{}", now.text);
}
