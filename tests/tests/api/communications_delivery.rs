//! Communications delivered by the worker (issue 15): a queued message's job hands it to a real
//! SMTP server on the loopback, or to wiremock fakes of WhatsApp's Cloud API and Twilio; what
//! the provider said becomes the message's status and a timeline event. Refusals fail the
//! message, outages retry it, a worker killed before, during or after the provider call
//! neither loses it nor (where the provider can be asked) sends it twice, and the tenant's
//! per-minute limit holds messages back.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use db::TenantTx;
use db::audit::Actor;
use reqwest::StatusCode;
use serde_json::{Value, json};
use services::Scope;
use services::communications::channels::Platform;
use services::communications::delivery::{self, Step};
use tests::mail_message::{Entity, decode_words};
use tests::smtp_server::{Received, Reply, SmtpServer, Step as SmtpStep};
use tests::*;
use uuid::Uuid;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::communications::{
    TWILIO_SID, TWILIO_TOKEN, WA_TOKEN, client, created, email_channel, id_of, inbound, pointers,
    send, sent, sms_channel, timeline_kinds, whatsapp_channel,
};

const WA_MESSAGES: &str = "/v21.0/106540352242922/messages";
const TWILIO_MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json";

/// A worker whose provider clients talk to `fake` (WhatsApp and Twilio).
fn worker_for(app: &TestApp, fake: &MockServer) -> worker::WorkerCtx {
    app.worker_ctx_with(fake_platform(fake))
}

/// The providers' addresses at `fake`.
fn fake_platform(fake: &MockServer) -> Platform {
    Platform {
        whatsapp_base_url: fake.uri(),
        sms_base_url: fake.uri(),
        smtp_timeout: Duration::from_secs(5),
        allow_internal_smtp: true,
        ..Platform::default()
    }
}

/// [`worker_for`] whose Redis cannot be reached: the send limits are counted in Postgres.
fn worker_without_redis(app: &TestApp, fake: &MockServer) -> worker::WorkerCtx {
    let mut ctx = worker_for(app, fake);
    let nowhere = worker::notice_pool(&format!("redis://127.0.0.1:{}", free_port()));
    ctx.providers = worker::real_providers(fake_platform(fake), nowhere).expect("providers");
    ctx
}

/// A worker for e-mail only (the HTTP providers are unreachable).
fn mail_worker(app: &TestApp) -> worker::WorkerCtx {
    app.worker_ctx_with(Platform {
        whatsapp_base_url: format!("http://127.0.0.1:{}", free_port()),
        sms_base_url: format!("http://127.0.0.1:{}", free_port()),
        smtp_timeout: Duration::from_secs(5),
        allow_internal_smtp: true,
        ..Platform::default()
    })
}

/// Runs message `id`'s delivery job, read from the queue, once.
async fn run_delivery(app: &TestApp, ctx: &worker::WorkerCtx, id: &str) -> anyhow::Result<()> {
    let bytes: Vec<u8> = sqlx::query_scalar(
        "SELECT job FROM apalis.jobs
          WHERE job_type = $1 AND idempotency_key = 'deliver-' || $2",
    )
    .bind(worker::queue::QUEUE)
    .bind(id)
    .fetch_one(&app.owner)
    .await
    .expect("the message's delivery job");
    let job: worker::Job = serde_json::from_slice(&bytes).expect("a job this build knows");
    worker::run_job(ctx, &job).await
}

/// The message as the API shows it.
async fn message(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/communications/{id}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// How many events of `kind` there are.
fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

/// The cipher and a scope of `tenant`, as the worker opens them.
async fn worker_scope(
    app: &TestApp,
    ctx: &worker::WorkerCtx,
    tenant: Uuid,
) -> (db::crypto::TenantCipher, Scope) {
    let mut tx = TenantTx::begin(&app.app_pool, tenant).await.expect("tx");
    let cipher = db::crypto::tenant_cipher(&mut tx, &ctx.master_keys)
        .await
        .expect("cipher");
    tx.commit().await.expect("commit");
    let tx = TenantTx::begin(&app.app_pool, tenant).await.expect("tx");
    (cipher, Scope::new(tx, Actor::system()))
}

/// What a worker killed mid-delivery leaves: the attempt recorded and committed, the provider
/// called when `call` (its answer lost with the worker), nothing settled.
async fn attempt_then_die(
    app: &TestApp,
    ctx: &worker::WorkerCtx,
    tenant: Uuid,
    id: &str,
    call: bool,
) {
    let (cipher, mut scope) = worker_scope(app, ctx, tenant).await;
    let id = Uuid::parse_str(id).expect("uuid");
    let step = delivery::prepare(&mut scope, &cipher, id, &ctx.providers)
        .await
        .expect("prepare");
    scope.commit().await.expect("the attempt commits");
    let Step::Send(attempt) = step else {
        panic!("the message should be ready to send");
    };
    if call {
        attempt
            .call(&ctx.providers)
            .await
            .expect("the provider took it");
    }
}

// ----- reading what the SMTP server received -------------------------------------------------

/// The mail the server received with this Message-ID.
fn mail_with_id<'a>(received: &'a [Received], message_id: &str) -> &'a Received {
    received
        .iter()
        .find(|m| Entity::parse(&m.data).header("message-id") == message_id)
        .unwrap_or_else(|| panic!("no mail with Message-ID {message_id}"))
}

/// Checks a received mail against the message stored: envelope, headers, and a text part and
/// an HTML part; returns the HTML.
fn check_mail(got: &Received, stored: &Value) -> String {
    assert_eq!(got.from, "ventas@acme.example");
    assert_eq!(got.to, ["compras@tienda.example"]);
    let mail = Entity::parse(&got.data);
    assert!(
        mail.header("to").contains("<compras@tienda.example>")
            || mail.header("to") == "compras@tienda.example"
    );
    assert!(mail.header("from").contains("ventas@acme.example"));
    assert_eq!(decode_words(mail.header("subject")), stored["subject"]);
    assert!(
        mail.header("content-type")
            .starts_with("multipart/alternative"),
        "{}",
        mail.header("content-type")
    );
    let parts = mail.parts();
    assert_eq!(parts.len(), 2, "{}", mail.body);
    assert!(parts[0].header("content-type").starts_with("text/plain"));
    assert_eq!(
        parts[0].text(),
        stored["body"].as_str().expect("body").trim_end()
    );
    assert!(parts[1].header("content-type").starts_with("text/html"));
    parts[1].text()
}

// ----- e-mail --------------------------------------------------------------------------------

#[tokio::test]
async fn an_email_goes_out_through_the_tenants_smtp_server() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cde")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let (owner, _) = app.user_with_roles(&t, "marta", &["sales"]).await;
    let client = client(&app, tok, "Tienda <b>& Hijos", json!({ "owner_id": owner })).await;
    let template = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Bienvenida", "channel": "email",
                "subject": "Bienvenidos, {{clientName}}",
                "body": "Hola {{clientName}}:\n\nSoy {{ownerName}}, su gestora." }),
    )
    .await;

    let written = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "email", "subject": "Propuesta nº 42 — revisión",
                "body": "Adjunto la propuesta.\n\nUn saludo" }),
    )
    .await;
    let from_template = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "email", "template_id": id_of(&template) }),
    )
    .await;
    assert_eq!(from_template["subject"], "Bienvenidos, Tienda <b>& Hijos");
    assert_eq!(
        from_template["body"],
        "Hola Tienda <b>& Hijos:\n\nSoy marta, su gestora."
    );
    assert_eq!(from_template["template_id"], id_of(&template).as_str());
    for m in [&written, &from_template] {
        assert_eq!(m["status"], "queued");
    }
    assert!(smtp.received().is_empty(), "nothing is sent in the request");

    let ran = app.drain_jobs_on(&mail_worker(&app)).await;
    assert_eq!(ran, 2);
    let received = smtp.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 2);
    assert_eq!(
        smtp.logins(),
        vec![("crm".to_owned(), "smtp-secret".to_owned()); 2]
    );
    let mut html_parts = Vec::new();
    for queued in [&written, &from_template] {
        let id = id_of(queued);
        let m = message(&app, tok, &id).await;
        assert_eq!(m["status"], "sent", "{m}");
        assert_eq!(m["attempts"], 1);
        assert!(m["sent_at"].is_string() && m["failure_reason"].is_null());
        let message_id = m["provider_message_id"].as_str().expect("Message-ID");
        assert_eq!(message_id, format!("<{id}@acme.example>"));
        html_parts.push(check_mail(mail_with_id(&received, message_id), &m));
    }
    assert!(
        html_parts[0].contains("<p>Adjunto la propuesta.</p>"),
        "{}",
        html_parts[0]
    );
    // The client's name is text in the HTML part, never markup.
    assert!(
        html_parts[1].contains("<p>Hola Tienda &lt;b&gt;&amp; Hijos:</p>"),
        "{}",
        html_parts[1]
    );
    assert!(!html_parts[1].contains("<b>"), "{}", html_parts[1]);

    let kinds = timeline_kinds(&app, tok, &client).await;
    assert_eq!(count(&kinds, "communication.queued"), 2, "{kinds:?}");
    assert_eq!(count(&kinds, "communication.sent"), 2, "{kinds:?}");
    // Its job is done; run again (a worker that died before acknowledging it), it sends
    // nothing more.
    assert_eq!(app.drain_jobs_on(&mail_worker(&app)).await, 0);
    run_delivery(&app, &mail_worker(&app), &id_of(&written))
        .await
        .expect("nothing to do");
    assert_eq!(smtp.received().len(), 2);
    assert_eq!(message(&app, tok, &id_of(&written)).await["attempts"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_subject_or_a_client_name_cannot_add_headers_or_recipients() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdh")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = client(&app, tok, "Acme\r\nBcc: spy@evil.example", json!({})).await;
    let template = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Hola", "channel": "email", "subject": "Hola {{clientName}}",
                "body": "Hola" }),
    )
    .await;
    let written = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "email", "subject": "Hola\r\nBcc: spy@evil.example\r\nX-Evil: 1",
                "body": "Hola" }),
    )
    .await;
    let rendered = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "email", "template_id": id_of(&template) }),
    )
    .await;
    assert_eq!(app.drain_jobs_on(&mail_worker(&app)).await, 2);
    let received = smtp.wait_for(2, Duration::from_secs(5)).await;
    for queued in [&written, &rendered] {
        let m = message(&app, tok, &id_of(queued)).await;
        assert_eq!(m["status"], "sent", "{m}");
        let got = mail_with_id(&received, m["provider_message_id"].as_str().expect("id"));
        assert_eq!(got.to, ["compras@tienda.example"]);
        let mail = Entity::parse(&got.data);
        let names: Vec<&str> = mail.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            !names.contains(&"bcc") && !names.contains(&"x-evil"),
            "{names:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_smtp_refusal_fails_the_message_and_a_deferral_retries_it() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdr")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let ctx = mail_worker(&app);
    let mail = json!({ "channel": "email", "subject": "Hola", "body": "Hola" });

    smtp.set_reply(
        SmtpStep::Rcpt,
        Some(Reply::Code(550, "5.1.1 no such user".into())),
    );
    let refused = id_of(&sent(&app, tok, &client, mail.clone()).await);
    run_delivery(&app, &ctx, &refused)
        .await
        .expect("a refusal settles the job");
    let m = message(&app, tok, &refused).await;
    assert_eq!(m["status"], "failed");
    assert!(
        m["failure_reason"]
            .as_str()
            .is_some_and(|r| r.contains("no such user")),
        "{m}"
    );
    assert!(m["failed_at"].is_string());

    smtp.set_reply(
        SmtpStep::Rcpt,
        Some(Reply::Code(450, "4.2.1 mailbox busy".into())),
    );
    let deferred = id_of(&sent(&app, tok, &client, mail).await);
    let e = run_delivery(&app, &ctx, &deferred)
        .await
        .expect_err("a deferral is retried");
    assert!(e.is::<worker::NotDeliveredYet>(), "{e:#}");
    let m = message(&app, tok, &deferred).await;
    assert_eq!(m["status"], "queued");
    assert_eq!(m["attempts"], 1);
    assert!(
        m["failure_reason"]
            .as_str()
            .is_some_and(|r| r.contains("busy")),
        "{m}"
    );
    smtp.set_reply(SmtpStep::Rcpt, None);
    run_delivery(&app, &ctx, &deferred).await.expect("sent");
    let m = message(&app, tok, &deferred).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["attempts"], 2);
    assert!(m["failure_reason"].is_null());
    assert_eq!(smtp.received().len(), 1);

    let kinds = timeline_kinds(&app, tok, &client).await;
    assert_eq!(count(&kinds, "communication.failed"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "communication.sent"), 1, "{kinds:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_message_whose_channel_was_switched_off_fails_with_the_reason() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdx")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "email", "subject": "Hola", "body": "Hola" }),
        )
        .await,
    );
    super::communications::put_channel(&app, tok, "email", json!({ "enabled": false })).await;
    assert_eq!(app.drain_jobs_on(&mail_worker(&app)).await, 1);
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "failed");
    assert_eq!(m["attempts"], 0, "no attempt was made");
    assert!(
        m["failure_reason"]
            .as_str()
            .is_some_and(|r| r.contains("switched off")),
        "{m}"
    );
    assert!(smtp.received().is_empty());
    assert!(
        timeline_kinds(&app, tok, &client)
            .await
            .contains(&"communication.failed".to_owned())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_tenants_smtp_server_on_an_internal_address_is_refused() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdi")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let body = json!({ "channel": "email", "subject": "Hola", "body": "Hola" });
    let id = id_of(&sent(&app, tok, &client, body).await);
    // The platform as deployed: tenants' servers must be on the internet.
    let ctx = app.worker_ctx_with(Platform::default());
    assert_eq!(app.drain_jobs_on(&ctx).await, 1);
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "failed", "{m}");
    let reason = m["failure_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("internal address"), "{reason}");
    assert!(
        smtp.received().is_empty(),
        "nothing reached the internal server"
    );
    app.stop().await;
}

// ----- WhatsApp and SMS ----------------------------------------------------------------------

/// The Cloud API's answer to an accepted message.
fn wa_accepted(wamid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": "34600111222", "wa_id": "34600111222" }],
        "messages": [{ "id": wamid }]
    }))
}

/// Twilio's answer to a created message.
fn twilio_created(sid: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "sid": sid, "status": "queued", "to": "+34600111222", "from": "+34910000000",
        "body": "x", "date_created": chrono::Utc::now().to_rfc2822(), "error_code": null
    }))
}

/// The Basic credentials of the tenant's Twilio account.
fn twilio_auth() -> String {
    format!(
        "Basic {}",
        BASE64.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}"))
    )
}

/// A form body as sorted pairs.
fn form_of(request: &Request) -> Vec<(String, String)> {
    let body = String::from_utf8(request.body.clone()).expect("utf-8 form");
    let mut pairs: Vec<(String, String)> =
        reqwest::Url::parse(&format!("http://f.invalid/?{body}"))
            .expect("form")
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn whatsapp_free_text_needs_the_window_and_an_approved_template_does_not() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdw")).await;
    let tok = &t.owner_token;
    whatsapp_channel(&app, tok).await;
    let (owner, _) = app.user_with_roles(&t, "marta", &["sales"]).await;
    let client = client(&app, tok, "Acme Ibérica", json!({ "owner_id": owner })).await;
    let fake = MockServer::start().await;
    let ctx = worker_for(&app, &fake);

    // The client never wrote: free text is refused, and nothing is stored.
    let r = send(
        &app,
        tok,
        &client,
        json!({ "channel": "whatsapp", "body": "¿Hablamos mañana?" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/body"]);
    assert!(r.text.contains("template"), "{}", r.text);
    // A template Meta has not approved is free text too.
    let plain = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Libre", "channel": "whatsapp", "body": "Hola {{clientName}}" }),
    )
    .await;
    let r = send(
        &app,
        tok,
        &client,
        json!({ "channel": "whatsapp", "template_id": id_of(&plain) }),
    )
    .await;
    assert_eq!(pointers(&r), ["/body"], "{}", r.text);
    assert_eq!(app.count("communications", t.id).await, 0);

    // An approved template goes out as that template, its variables as parameters.
    let approved = created(
        &app,
        "/api/v1/templates",
        tok,
        json!({ "name": "Seguimiento", "channel": "whatsapp",
                "body": "Hola {{clientName}}, soy {{ownerName}}. Gracias, {{clientName}}.",
                "provider_name": "follow_up", "provider_language": "es" }),
    )
    .await;
    let queued = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "whatsapp", "template_id": id_of(&approved) }),
    )
    .await;
    let id = id_of(&queued);
    Mock::given(method("POST"))
        .and(path(WA_MESSAGES))
        .and(header(
            "authorization",
            format!("Bearer {WA_TOKEN}").as_str(),
        ))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "34600111222",
            "biz_opaque_callback_data": id,
            "type": "template",
            "template": {
                "name": "follow_up",
                "language": { "code": "es" },
                "components": [{ "type": "body", "parameters": [
                    { "type": "text", "text": "Acme Ibérica" },
                    { "type": "text", "text": "marta" }
                ] }]
            }
        })))
        .respond_with(wa_accepted("wamid.TEMPLATE"))
        .expect(1)
        .mount(&fake)
        .await;
    run_delivery(&app, &ctx, &id).await.expect("delivered");
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["provider_message_id"], "wamid.TEMPLATE");

    // Within 24 hours of the client's last message, free text goes out as text.
    inbound(&app, t.id, &client, "whatsapp", "Hola, ¿me llamáis?", 60).await;
    let text = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "whatsapp", "body": "Claro, ¿a qué hora?" }),
    )
    .await;
    let id = id_of(&text);
    Mock::given(method("POST"))
        .and(path(WA_MESSAGES))
        .and(header(
            "authorization",
            format!("Bearer {WA_TOKEN}").as_str(),
        ))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "34600111222",
            "biz_opaque_callback_data": id,
            "type": "text",
            "text": { "preview_url": false, "body": "Claro, ¿a qué hora?" }
        })))
        .respond_with(wa_accepted("wamid.TEXT"))
        .expect(1)
        .mount(&fake)
        .await;
    run_delivery(&app, &ctx, &id).await.expect("delivered");
    assert_eq!(
        message(&app, tok, &id).await["provider_message_id"],
        "wamid.TEXT"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_sms_goes_out_as_a_twilio_form_and_keeps_its_sid() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cds")).await;
    let tok = &t.owner_token;
    sms_channel(&app, tok, 600).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let fake = MockServer::start().await;
    let expected = vec![
        (
            "Body".to_owned(),
            "Su pedido está listo & pagado".to_owned(),
        ),
        ("From".to_owned(), "+34910000000".to_owned()),
        (
            "StatusCallback".to_owned(),
            format!(
                "https://crm.example.com/api/v1/webhooks/twilio/{}/status",
                t.id
            ),
        ),
        ("To".to_owned(), "+34699000111".to_owned()),
    ];
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .and(header("authorization", twilio_auth().as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(move |r: &Request| form_of(r) == expected)
        .respond_with(twilio_created("SM0001"))
        .expect(1)
        .mount(&fake)
        .await;
    let queued = sent(
        &app,
        tok,
        &client,
        json!({ "channel": "sms", "body": "Su pedido está listo & pagado", "to": "+34 699 000 111" }),
    )
    .await;
    assert_eq!(queued["counterpart"], "+34699000111");
    let id = id_of(&queued);
    // Twilio is asked to report the message's status to the CRM's public address.
    let ctx = app.worker_ctx_with(Platform {
        sms_base_url: fake.uri(),
        public_url: Some("https://crm.example.com/".to_owned()),
        ..Platform::default()
    });
    assert_eq!(app.drain_jobs_on(&ctx).await, 1);
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["provider_message_id"], "SM0001");
    assert!(
        timeline_kinds(&app, tok, &client)
            .await
            .contains(&"communication.sent".to_owned())
    );
    app.stop().await;
}

// ----- failures ------------------------------------------------------------------------------

#[tokio::test]
async fn a_provider_refusal_fails_the_message_with_its_reason() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdf")).await;
    let tok = &t.owner_token;
    whatsapp_channel(&app, tok).await;
    sms_channel(&app, tok, 600).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    inbound(&app, t.id, &client, "whatsapp", "Hola", 5).await;
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(WA_MESSAGES))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": { "message": "(#100) Invalid parameter", "type": "OAuthException",
                       "code": 100, "fbtrace_id": "AbC" }
        })))
        .expect(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211, "message": "The 'To' number is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400
        })))
        .expect(1)
        .mount(&fake)
        .await;
    let wa = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "whatsapp", "body": "Hola" }),
        )
        .await,
    );
    let sms = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "sms", "body": "Hola" }),
        )
        .await,
    );
    let ctx = worker_for(&app, &fake);
    for (id, says) in [(&wa, "Invalid parameter"), (&sms, "21211")] {
        run_delivery(&app, &ctx, id)
            .await
            .expect("a refusal settles the job: no retry");
        let m = message(&app, tok, id).await;
        assert_eq!(m["status"], "failed", "{m}");
        assert_eq!(m["attempts"], 1);
        let reason = m["failure_reason"].as_str().expect("reason");
        assert!(reason.contains(says), "{reason}");
        // Running the job again changes nothing and calls no one (`expect(1)` above).
        run_delivery(&app, &ctx, id).await.expect("nothing to do");
    }
    let kinds = timeline_kinds(&app, tok, &client).await;
    assert_eq!(count(&kinds, "communication.failed"), 2, "{kinds:?}");
    assert_eq!(count(&kinds, "communication.sent"), 0, "{kinds:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_provider_outage_is_retried_until_the_attempts_run_out() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdo")).await;
    let tok = &t.owner_token;
    whatsapp_channel(&app, tok).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    inbound(&app, t.id, &client, "whatsapp", "Hola", 5).await;
    let fake = MockServer::start().await;
    let attempts = domain::communications::MAX_DELIVERY_ATTEMPTS;
    Mock::given(method("POST"))
        .and(path(WA_MESSAGES))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream trouble"))
        .expect(attempts as u64)
        .mount(&fake)
        .await;
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "whatsapp", "body": "Hola" }),
        )
        .await,
    );
    let ctx = worker_for(&app, &fake);

    let e = run_delivery(&app, &ctx, &id)
        .await
        .expect_err("an outage is retried");
    assert!(e.is::<worker::NotDeliveredYet>(), "{e:#}");
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "queued");
    assert_eq!(m["attempts"], 1);
    for n in 2..attempts {
        assert!(run_delivery(&app, &ctx, &id).await.is_err(), "attempt {n}");
    }
    assert_eq!(message(&app, tok, &id).await["status"], "queued");
    // The last attempt gives up: the message fails and the job ends.
    run_delivery(&app, &ctx, &id)
        .await
        .expect("the last attempt settles the job");
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "failed");
    assert_eq!(m["attempts"], attempts);
    let reason = m["failure_reason"].as_str().expect("reason");
    assert!(
        reason.contains(&format!("gave up after {attempts} attempts")) && reason.contains("500"),
        "{reason}"
    );
    let kinds = timeline_kinds(&app, tok, &client).await;
    assert_eq!(count(&kinds, "communication.failed"), 1, "{kinds:?}");
    app.stop().await;
}

// ----- crash safety --------------------------------------------------------------------------

/// Twilio's list of recent messages to the client holding `sids` with `body`, created now.
fn twilio_list(sids: &[&str], body: &str) -> ResponseTemplate {
    let messages: Vec<Value> = sids
        .iter()
        .map(|sid| {
            json!({ "sid": sid, "body": body, "status": "queued",
                    "date_created": chrono::Utc::now().to_rfc2822(), "date_sent": null })
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "messages": messages, "next_page_uri": null, "page": 0, "page_size": 50
    }))
}

/// How many POSTs the fake received.
async fn posts(fake: &MockServer) -> usize {
    fake.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count()
}

#[tokio::test]
async fn an_sms_whose_outcome_was_lost_is_looked_up_at_twilio_not_sent_twice() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdk")).await;
    let tok = &t.owner_token;
    sms_channel(&app, tok, 600).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let fake = MockServer::start().await;
    let ctx = worker_for(&app, &fake);
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_created("SM_FIRST"))
        .mount(&fake)
        .await;
    let body = "Su cita es el lunes";

    // Killed during or after the call: Twilio has the message, the CRM does not know.
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "sms", "body": body }),
        )
        .await,
    );
    attempt_then_die(&app, &ctx, t.id, &id, true).await;
    let m = message(&app, tok, &id).await;
    assert_eq!(
        (m["status"].as_str(), m["attempts"].as_i64()),
        (Some("queued"), Some(1))
    );
    Mock::given(method("GET"))
        .and(path(TWILIO_MESSAGES))
        .and(header("authorization", twilio_auth().as_str()))
        .and(query_param("To", "+34600111222"))
        .and(query_param("From", "+34910000000"))
        .respond_with(twilio_list(&["SM_FIRST"], body))
        .expect(1)
        .mount(&fake)
        .await;
    run_delivery(&app, &ctx, &id).await.expect("settled");
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["provider_message_id"], "SM_FIRST");
    assert_eq!(m["attempts"], 2);
    assert_eq!(posts(&fake).await, 1, "Twilio was asked, not sent to again");
    fake.verify().await;
    fake.reset().await;

    // Killed after recording the attempt, before the call: the lookup finds nothing, and the
    // message goes out once.
    Mock::given(method("GET"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_list(&[], body))
        .expect(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_created("SM_SECOND"))
        .expect(1)
        .mount(&fake)
        .await;
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "sms", "body": body }),
        )
        .await,
    );
    attempt_then_die(&app, &ctx, t.id, &id, false).await;
    run_delivery(&app, &ctx, &id).await.expect("sent");
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["provider_message_id"], "SM_SECOND");
    app.stop().await;
}

#[tokio::test]
async fn a_failed_lookup_keeps_the_outcome_unknown_until_twilio_answers() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdu")).await;
    let tok = &t.owner_token;
    sms_channel(&app, tok, 600).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let fake = MockServer::start().await;
    let ctx = worker_for(&app, &fake);
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_created("SM_FIRST"))
        .mount(&fake)
        .await;
    let body = "Su cita es el martes";
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "sms", "body": body }),
        )
        .await,
    );
    attempt_then_die(&app, &ctx, t.id, &id, true).await;

    // Twilio cannot be asked right now: the job waits, and sends nothing.
    Mock::given(method("GET"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&fake)
        .await;
    let e = run_delivery(&app, &ctx, &id)
        .await
        .expect_err("the lookup failed");
    assert!(e.is::<worker::NotDeliveredYet>(), "{e:#}");
    assert_eq!(posts(&fake).await, 1);
    assert_eq!(message(&app, tok, &id).await["status"], "queued");

    // The next run asks again (the first attempt's outcome is still unknown), and finds it.
    Mock::given(method("GET"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_list(&["SM_FIRST"], body))
        .expect(1)
        .mount(&fake)
        .await;
    run_delivery(&app, &ctx, &id).await.expect("settled");
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["provider_message_id"], "SM_FIRST");
    assert_eq!(posts(&fake).await, 1, "the client got one SMS");
    app.stop().await;
}

#[tokio::test]
async fn an_email_whose_outcome_was_lost_is_resent_with_the_same_message_id() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdm")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let ctx = mail_worker(&app);
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "email", "subject": "Factura", "body": "Adjunta." }),
        )
        .await,
    );
    attempt_then_die(&app, &ctx, t.id, &id, true).await;
    assert_eq!(smtp.received().len(), 1);
    run_delivery(&app, &ctx, &id).await.expect("sent");
    let received = smtp.wait_for(2, Duration::from_secs(5)).await;
    let ids: Vec<String> = received
        .iter()
        .map(|m| Entity::parse(&m.data).header("message-id").to_owned())
        .collect();
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    let stored = m["provider_message_id"].as_str().expect("Message-ID");
    // The recipient's side sees one message delivered twice, and drops the copy.
    assert_eq!(ids, [stored, stored]);
    assert_eq!(stored, format!("<{id}@acme.example>"));
    app.stop().await;
}

#[tokio::test]
async fn a_worker_killed_before_its_attempt_commits_still_delivers_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdb")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let ctx = mail_worker(&app);
    let id = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "email", "subject": "Hola", "body": "Hola" }),
        )
        .await,
    );
    {
        let (cipher, mut scope) = worker_scope(&app, &ctx, t.id).await;
        let uuid = Uuid::parse_str(&id).expect("uuid");
        let step = delivery::prepare(&mut scope, &cipher, uuid, &ctx.providers)
            .await
            .expect("prepare");
        assert!(matches!(step, Step::Send(_)));
        // Dropped without commit: the worker died, its transaction rolled back.
    }
    let m = message(&app, tok, &id).await;
    assert_eq!(m["attempts"], 0, "the attempt rolled back");
    assert_eq!(app.drain_jobs_on(&ctx).await, 1);
    let m = message(&app, tok, &id).await;
    assert_eq!(m["status"], "sent");
    assert_eq!(m["attempts"], 1);
    assert_eq!(smtp.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    assert_eq!(smtp.received().len(), 1);
    app.stop().await;
}

// ----- the per-minute limit ------------------------------------------------------------------

#[tokio::test]
async fn the_per_minute_limit_holds_messages_back_without_using_attempts() {
    limit_holds_with(worker_for).await;
}

#[tokio::test]
async fn without_redis_the_per_minute_limit_is_counted_in_the_database() {
    limit_holds_with(worker_without_redis).await;
}

/// With a limit of one SMS a minute, a second one is held back, queued with no attempt used.
async fn limit_holds_with(worker: impl Fn(&TestApp, &MockServer) -> worker::WorkerCtx) {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cdl")).await;
    let tok = &t.owner_token;
    sms_channel(&app, tok, 1).await;
    let client = client(&app, tok, "Acme Ibérica", json!({})).await;
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_created("SM_ONE"))
        .expect(1)
        .mount(&fake)
        .await;
    let ctx = worker(&app, &fake);
    let first = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "sms", "body": "Uno" }),
        )
        .await,
    );
    let second = id_of(
        &sent(
            &app,
            tok,
            &client,
            json!({ "channel": "sms", "body": "Dos" }),
        )
        .await,
    );
    run_delivery(&app, &ctx, &first).await.expect("sent");
    let e = run_delivery(&app, &ctx, &second)
        .await
        .expect_err("over the limit");
    assert!(e.is::<worker::Throttled>(), "{e:#}");
    let m = message(&app, tok, &second).await;
    assert_eq!(m["status"], "queued");
    assert_eq!(m["attempts"], 0);
    assert!(m["failure_reason"].is_null());
    assert_eq!(message(&app, tok, &first).await["status"], "sent");
    app.stop().await;
}

#[tokio::test]
async fn workers_share_one_count_of_a_tenants_sends_and_tenants_do_not_share_theirs() {
    let app = spawn_app().await;
    let busy = app.tenant(&slug("cdw")).await;
    let other = app.tenant(&slug("cdx")).await;
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TWILIO_MESSAGES))
        .respond_with(twilio_created("SM_MANY"))
        .expect(3)
        .mount(&fake)
        .await;
    let (one, two) = (worker_for(&app, &fake), worker_for(&app, &fake));
    let mut queued = Vec::new();
    for (t, messages) in [(&busy, 3), (&other, 1)] {
        let tok = &t.owner_token;
        sms_channel(&app, tok, 2).await;
        let client = client(&app, tok, "Acme Ibérica", json!({})).await;
        for n in 0..messages {
            let body = json!({ "channel": "sms", "body": format!("Mensaje {n}") });
            queued.push(id_of(&sent(&app, tok, &client, body).await));
        }
    }
    // Two workers, one count: the busy tenant's third SMS in the minute is held back.
    run_delivery(&app, &one, &queued[0]).await.expect("first");
    run_delivery(&app, &two, &queued[1]).await.expect("second");
    let e = run_delivery(&app, &one, &queued[2])
        .await
        .expect_err("third over the limit of two");
    assert!(e.is::<worker::Throttled>(), "{e:#}");
    // Another tenant's limit is its own.
    run_delivery(&app, &two, &queued[3])
        .await
        .expect("the other tenant's");
    assert_eq!(
        message(&app, &busy.owner_token, &queued[2]).await["status"],
        "queued"
    );
    assert_eq!(
        message(&app, &other.owner_token, &queued[3]).await["status"],
        "sent"
    );
    app.stop().await;
}
