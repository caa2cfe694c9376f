//! The console's communications pages on the server side: each page is allowed exactly to the
//! roles holding its permission and shows only the controls the role may use; a forged form
//! of a role without the permission changes nothing; another tenant's client, message,
//! template and channel settings are not found and stay untouched; and the forms work without
//! JavaScript (post/redirect/get, each field's problem next to it, a stale change refused,
//! secrets never shown back).

use chrono::Utc;
use domain::BuiltinRole;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::console::Browser;
use tests::{TenantFixture, TestApp, slug, spawn_app};
use uuid::Uuid;

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

/// What a tenant's communications pages are shown with: a client with an address and a
/// number, an e-mail template, a logged call and an unread inbound e-mail.
struct Desk {
    client: String,
    template: String,
    call: String,
    inbound: String,
}

/// An e-mail from the client, as the provider's webhook stores it.
async fn inbound_email(app: &TestApp, t: &TenantFixture, client: &str) -> String {
    let id = Uuid::now_v7();
    let mut tx = db::TenantTx::begin(&app.app_pool, t.id).await.expect("tx");
    let message = db::communications::NewCommunication {
        id,
        client_id: Uuid::try_parse(client).expect("client id"),
        contact_id: None,
        channel: "email",
        direction: "inbound",
        counterpart: "ana@cliente.example".into(),
        subject: "Duda con la factura".into(),
        body: "No encuentro la factura de octubre, ¿me la reenviáis?".into(),
        body_html: None,
        template_id: None,
        status: "received",
        message_key: format!("inbound-{id}"),
        provider_message_id: Some(format!("<{id}@cliente.example>")),
        reply_to_id: None,
        duration_seconds: None,
        outcome: None,
        sentiment_score: Some(-0.3),
        created_by: None,
        occurred_at: Utc::now(),
    };
    db::communications::insert(&mut tx, &message)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    id.to_string()
}

async fn desk(app: &TestApp, t: &TenantFixture, name: &str) -> Desk {
    let token = &t.owner_token;
    let client = created(
        app,
        "/api/v1/clients",
        token,
        json!({ "company_name": name, "emails": ["ana@cliente.example"],
                "phones": ["+34600111222"] }),
    )
    .await;
    let template = created(
        app,
        "/api/v1/templates",
        token,
        json!({ "name": "Bienvenida", "channel": "email", "subject": "Hola {{clientName}}",
                "body": "Estimados {{clientName}}: gracias por confiar en nosotros." }),
    )
    .await;
    let call = created(
        app,
        &format!("/api/v1/clients/{client}/communications"),
        token,
        json!({ "channel": "phone", "duration_seconds": 125, "outcome": "answered",
                "body": "Hablamos de la renovación" }),
    )
    .await;
    let inbound = inbound_email(app, t, &client).await;
    Desk {
        client,
        template,
        call,
        inbound,
    }
}

/// The console's communications pages and the permission each needs.
fn pages(d: &Desk) -> Vec<(String, &'static str)> {
    [
        ("/communications", "communications.view"),
        (
            "/communications?channel=email&direction=inbound&status=received",
            "communications.view",
        ),
        ("/clients/{client}/communications", "communications.view"),
        (
            "/clients/{client}/communications/thread",
            "communications.view",
        ),
        (
            "/clients/{client}/communications/preview?template_id={template}",
            "communications.view",
        ),
        ("/templates", "communications.view"),
        ("/templates/new", "communications.templates"),
        ("/templates/{template}", "communications.view"),
        ("/admin/channels", "tenant.settings"),
    ]
    .into_iter()
    .map(|(p, perm)| {
        let path = p
            .replace("{client}", &d.client)
            .replace("{template}", &d.template);
        (path, perm)
    })
    .collect()
}

#[tokio::test]
async fn every_communications_page_is_allowed_exactly_to_the_roles_holding_its_permission() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccom")).await;
    let d = desk(&app, &t, "Conversaciones Roles S.L.").await;
    for role in BuiltinRole::ALL {
        let (_, token) = app
            .user_with_roles(&t, &format!("as-{}", role.name()), &[role.name()])
            .await;
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
        let can = |p: &str| held.contains(&p);
        let (_, inbox, _) = browser.get("/communications").await;
        assert_eq!(
            inbox.contains(r#"href="/communications""#),
            can("communications.view"),
            "{}: the navigation",
            role.name()
        );
        assert_eq!(
            inbox.contains(r#"href="/admin/channels""#),
            can("tenant.settings"),
            "{}: the administration menu",
            role.name()
        );
        if !can("communications.view") {
            continue;
        }
        // Only the controls the role may use are rendered.
        let (_, tab, _) = browser
            .get(&format!("/clients/{}/communications", d.client))
            .await;
        for id in [&d.call, &d.inbound] {
            assert!(
                tab.contains(id.as_str()),
                "{}: the thread lacks {id}",
                role.name()
            );
        }
        for action in ["send-message", "log-call"] {
            assert_eq!(
                tab.contains(&format!(r#"data-action="{action}""#)),
                can("communications.send"),
                "{} {action}",
                role.name()
            );
        }
        let (_, templates, _) = browser.get("/templates").await;
        assert!(templates.contains(&d.template), "{}", role.name());
        let (_, template, _) = browser.get(&format!("/templates/{}", d.template)).await;
        for (page, action) in [(&templates, "new-template"), (&template, "save-template")] {
            assert_eq!(
                page.contains(&format!(r#"data-action="{action}""#)),
                can("communications.templates"),
                "{} {action}",
                role.name()
            );
        }
        let (_, profile, _) = browser.get(&format!("/clients/{}", d.client)).await;
        assert!(
            profile.contains(&format!(r#"href="/clients/{}/communications""#, d.client)),
            "{}: the client's tab",
            role.name()
        );
    }
    app.stop().await;
}

/// What a refused form must leave as it was.
async fn state(app: &TestApp, t: &TenantFixture, d: &Desk) -> Vec<Value> {
    let token = &t.owner_token;
    let template = app
        .get(&format!("/api/v1/templates/{}", d.template), token)
        .await;
    let inbound = app
        .get(&format!("/api/v1/communications/{}", d.inbound), token)
        .await;
    let channels = app.get("/api/v1/channels", token).await;
    let mut out = vec![
        template.body.clone(),
        inbound.body["seen_at"].clone(),
        channels.body.clone(),
    ];
    for table in ["communications", "message_templates", "channel_settings"] {
        out.push(json!(app.count(table, t.id).await));
    }
    out
}

#[tokio::test]
async fn a_forged_form_is_refused_for_a_role_without_the_permission_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccom")).await;
    let d = desk(&app, &t, "Conversaciones Forjadas S.L.").await;
    let before = state(&app, &t, &d).await;
    let send = format!("/clients/{}/communications", d.client);
    let template = format!("/templates/{}", d.template);
    let delete = format!("{template}/delete");
    let send_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            &send,
            vec![
                ("channel", "phone"),
                ("minutes", "2"),
                ("outcome", "answered"),
            ],
        ),
        (
            &send,
            vec![
                ("channel", "email"),
                ("subject", "Intruso"),
                ("body", "Hola"),
            ],
        ),
    ];
    let template_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/templates",
            vec![("name", "Intrusa"), ("channel", "sms"), ("body", "Hola")],
        ),
        (
            &template,
            vec![
                ("name", "Cambiada"),
                ("channel", "email"),
                ("subject", "Hola"),
                ("body", "Hola"),
                ("version", "1"),
            ],
        ),
        (&delete, vec![("version", "1")]),
    ];
    let channel_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![(
        "/admin/channels/email",
        vec![
            ("enabled", "true"),
            ("host", "smtp.intruso.example"),
            ("port", "587"),
            ("from_address", "ventas@intruso.example"),
        ],
    )];
    // A viewer may send nothing; sales and support may not write templates; only the owner
    // sets channels (an admin neither).
    for (role, forms) in [
        (
            "viewer",
            [&send_forms[..], &template_forms[..], &channel_forms[..]].concat(),
        ),
        ("sales", [&template_forms[..], &channel_forms[..]].concat()),
        (
            "support",
            [&template_forms[..], &channel_forms[..]].concat(),
        ),
        ("marketing", channel_forms.clone()),
        ("admin", channel_forms.clone()),
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
async fn another_tenants_client_message_template_and_channels_are_not_found_and_stay_untouched() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("ccoma")).await;
    let b = app.tenant(&slug("ccomb")).await;
    let d = desk(&app, &a, "Conversaciones Privadas S.L.").await;
    let stored = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/channels/email",
            Some(&a.owner_token),
            Some(
                json!({ "enabled": true, "host": "smtp.privada.example", "port": 587,
                         "from_address": "ventas@privada.example", "password": "s3creto-a" }),
            ),
            &[],
        )
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text);
    let theirs = desk(&app, &b, "Conversaciones Ajenas S.L.").await;
    let before = state(&app, &a, &d).await;
    let intruder = Browser::new(&app, Some(&b.owner_token));
    for path in [
        format!("/clients/{}/communications", d.client),
        format!("/clients/{}/communications/thread", d.client),
        format!(
            "/clients/{}/communications/preview?template_id={}",
            d.client, d.template
        ),
        format!(
            "/clients/{}/communications/preview?template_id={}",
            d.client, theirs.template
        ),
        format!(
            "/clients/{}/communications/preview?template_id={}",
            theirs.client, d.template
        ),
        format!("/templates/{}", d.template),
    ] {
        let (status, body, _) = intruder.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body:.300}");
    }
    let forms: [(String, Vec<(&str, &str)>); 4] = [
        (
            format!("/clients/{}/communications", d.client),
            vec![("channel", "phone"), ("minutes", "1"), ("outcome", "busy")],
        ),
        (
            format!("/communications/{}/seen", d.inbound),
            vec![("back", "client")],
        ),
        (
            format!("/templates/{}", d.template),
            vec![
                ("name", "Cambiada"),
                ("channel", "email"),
                ("subject", "Hola"),
                ("body", "Hola"),
                ("version", "1"),
            ],
        ),
        (
            format!("/templates/{}/delete", d.template),
            vec![("version", "1")],
        ),
    ];
    for (path, fields) in &forms {
        let (status, body, _) = intruder.post(path, fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {body:.300}");
    }
    let (_, inbox, _) = intruder.get("/communications").await;
    assert!(inbox.contains(&theirs.inbound), "B's own message");
    for id in [&d.call, &d.inbound, &d.client] {
        assert!(!inbox.contains(id.as_str()), "B's inbox shows A's {id}");
    }
    let (_, templates, _) = intruder.get("/templates").await;
    assert!(!templates.contains(&d.template), "B sees A's template");
    let (_, channels, _) = intruder.get("/admin/channels").await;
    assert!(
        !channels.contains("smtp.privada.example"),
        "B sees A's server"
    );
    assert!(!channels.contains(r#"data-stored="password""#));
    assert_eq!(before, state(&app, &a, &d).await);
    app.stop().await;
}

/// The path of a redirect, without its query.
fn redirected(location: &Option<String>) -> &str {
    let location = location.as_deref().expect("a redirect");
    location.split('?').next().unwrap_or_default()
}

#[tokio::test]
async fn the_template_editor_refuses_an_unknown_variable_next_to_its_field() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccomt")).await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let mut form = vec![
        ("name", "Seguimiento"),
        ("channel", "email"),
        ("subject", "Hola {{clientName}}"),
        (
            "body",
            "Estimado {{nombreCliente}}, le escribimos de nuevo.",
        ),
    ];
    let (status, body, _) = owner.post("/templates", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="template-body-error""#), "{body}");
    assert!(body.contains("nombreCliente"), "the variable is named");
    assert!(
        !body.contains(r#"id="template-subject-error""#),
        "the subject is fine"
    );
    assert_eq!(app.count("message_templates", t.id).await, 0);

    form[3] = ("body", "Estimado {{clientName}}, le escribimos de nuevo.");
    let (status, body, location) = owner.post("/templates", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let path = redirected(&location).to_owned();
    assert_eq!(location, Some(format!("{path}?notice=saved")));
    let (status, page, _) = owner.get(&format!("{path}?notice=saved")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-notice"), "{page:.300}");
    for variable in [
        "clientName",
        "companyName",
        "contactName",
        "ownerName",
        "today",
    ] {
        assert!(
            page.contains(&format!(r#"data-variable="{variable}""#)),
            "{variable} is offered"
        );
    }

    // A change at an old version is refused; at the version shown it is saved.
    let change = |version: &'static str| {
        vec![
            ("name", "Seguimiento"),
            ("channel", "sms"),
            ("subject", ""),
            ("body", "Hola {{clientName}}"),
            ("version", version),
        ]
    };
    let (status, body, _) = owner.post(&path, &change("7")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body:.500}");
    assert!(body.contains(r#"data-refusal="412""#), "{body:.500}");
    let (status, _, _) = owner.post(&path, &change("1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = path.trim_start_matches("/templates/");
    let stored = app
        .get(&format!("/api/v1/templates/{id}"), &t.owner_token)
        .await;
    assert_eq!(stored.body["channel"], "sms");
    assert_eq!(stored.body["subject"], "");
    let (status, _, location) = owner
        .post(&format!("{path}/delete"), &[("version", "2")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/templates?notice=deleted"));
    assert_eq!(app.count("message_templates", t.id).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn the_channel_forms_keep_secrets_hidden_and_show_their_problems() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccomc")).await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let mut email = vec![
        ("enabled", "true"),
        ("host", ""),
        ("port", "587"),
        ("security", "starttls"),
        ("username", "ventas"),
        ("password", "s3creto-smtp"),
        ("from_address", "ventas@empresa.example"),
        ("from_name", "Ventas"),
        ("per_minute_limit", "120"),
    ];
    let (status, body, _) = owner.post("/admin/channels/email", &email).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="channel-email-host-error""#), "{body}");
    assert!(
        !body.contains("s3creto-smtp"),
        "a typed secret is not shown back"
    );
    assert!(
        body.contains(r#"value="ventas@empresa.example""#),
        "typed values stay"
    );
    email[1] = ("host", "smtp.empresa.example");
    let (status, _, location) = owner.post("/admin/channels/email", &email).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/admin/channels?saved=email"));
    let (_, page, _) = owner.get("/admin/channels").await;
    assert!(page.contains(r#"data-stored="password""#), "{page:.300}");
    assert!(
        !page.contains("s3creto-smtp"),
        "the secret is never read back"
    );
    assert!(page.contains(r#"value="smtp.empresa.example""#));
    assert!(
        page.contains(&format!("/api/v1/webhooks/twilio/{}/messages", t.id)),
        "the SMS webhook names the tenant"
    );

    // A blank password keeps the stored one; the limit changes.
    email[5] = ("password", "");
    email[8] = ("per_minute_limit", "60");
    let (status, _, _) = owner.post("/admin/channels/email", &email).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = app.get("/api/v1/channels/email", &t.owner_token).await;
    assert_eq!(stored.body["secrets_set"], json!(["password"]));
    assert_eq!(stored.body["per_minute_limit"], 60);
    assert_eq!(stored.body["enabled"], true);
    app.stop().await;
}

#[tokio::test]
async fn the_compose_and_call_forms_work_without_javascript() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccomf")).await;
    let d = desk(&app, &t, "Conversaciones Formularios S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let tab = format!("/clients/{}/communications", d.client);

    // The preview is the template rendered for this client.
    let (status, preview, _) = owner
        .get(&format!("{tab}/preview?template_id={}", d.template))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        preview.contains("Hola Conversaciones Formularios S.L."),
        "{preview}"
    );

    // Without the channel set up, and without a subject, the form says so next to the fields.
    let written = [
        ("channel", "email"),
        ("to", "ana@cliente.example"),
        ("subject", ""),
        ("body", "Le adjunto la factura de octubre."),
    ];
    let (status, body, _) = owner.post(&tab, &written).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="compose-subject-error""#), "{body}");
    assert!(
        body.contains("Le adjunto la factura"),
        "the typed body stays"
    );
    let (status, body, _) = owner
        .post(
            &tab,
            &[("channel", "email"), ("template_id", d.template.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="compose-channel-error""#), "{body}");
    let channel = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/channels/email",
            Some(&t.owner_token),
            Some(
                json!({ "enabled": true, "host": "smtp.empresa.example", "port": 587,
                         "from_address": "ventas@empresa.example" }),
            ),
            &[],
        )
        .await;
    assert_eq!(channel.status, StatusCode::OK, "{}", channel.text);

    // From the template: queued, and shown in the thread.
    let (status, body, location) = owner
        .post(
            &tab,
            &[("channel", "email"), ("template_id", d.template.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    assert_eq!(location, Some(format!("{tab}?notice=sent")));
    let (_, page, _) = owner.get(&tab).await;
    assert!(
        page.contains(r#"data-channel="email" data-direction="outbound" data-status="queued""#),
        "{page}"
    );
    assert!(page.contains("Hola Conversaciones Formularios S.L."));

    // A call: a length that is no number is refused next to it; then logged.
    let mut call = vec![
        ("channel", "phone"),
        ("direction", "inbound"),
        ("minutes", "tres"),
        ("seconds", "5"),
        ("outcome", "voicemail"),
        ("body", "Dejó un mensaje sobre el pedido"),
    ];
    let (status, body, _) = owner.post(&tab, &call).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="call-duration-error""#), "{body}");
    assert!(!body.contains(r#"id="compose-subject-error""#));
    call[2] = ("minutes", "3");
    let (status, _, location) = owner.post(&tab, &call).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("{tab}?notice=logged")));
    let (_, thread, _) = owner.get(&format!("{tab}/thread")).await;
    assert!(thread.contains("3 min 05 s"), "{thread}");
    assert_eq!(thread.matches(r#"data-channel="phone""#).count(), 2);

    // The inbox puts the unread message first; marking it read takes it out.
    let (_, inbox, _) = owner.get("/communications").await;
    let unread = inbox
        .split(r#"id="inbox-all-heading""#)
        .next()
        .unwrap_or("");
    assert!(unread.contains(&d.inbound), "{inbox}");
    assert!(!unread.contains(&d.call), "a call we logged is not unread");
    let (status, _, location) = owner
        .post(
            &format!("/communications/{}/seen", d.inbound),
            &[("back", "/communications?channel=email")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/communications?channel=email"));
    let (_, inbox, _) = owner.get("/communications").await;
    let unread = inbox
        .split(r#"id="inbox-all-heading""#)
        .next()
        .unwrap_or("");
    assert!(!unread.contains(&d.inbound), "still unread");
    assert!(inbox.contains(&d.inbound), "still in the list");
    let (_, failed, _) = owner.get("/communications?status=failed").await;
    assert!(!failed.contains(&d.inbound) && !failed.contains("inbox-unread"));
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_shows_the_communications_of_the_last_30_days() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ccd")).await;
    desk(&app, &t, "Acme Dashboard").await;
    let browser = Browser::new(&app, Some(&t.owner_token));
    let (status, page, _) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-communication-kpis"), "the row is there");
    assert!(
        page.contains("data-communication-kpi=\"engagement_rate\""),
        "{page}"
    );
    // The desk's call (out) and e-mail (in) are in the chart, one per channel.
    let chart = page
        .split("data-chart-data=\"")
        .find(|p| p.contains("E-mail"))
        .expect("the per-channel chart");
    assert!(
        chart.contains("[1,0]") || chart.contains("[0,1]"),
        "{chart}"
    );
}

#[tokio::test]
async fn the_clients_tab_shows_its_sentiment_trend_and_preferred_channel() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cct")).await;
    let d = desk(&app, &t, "Acme Tendencia").await;
    let browser = Browser::new(&app, Some(&t.owner_token));
    let (status, page, _) = browser
        .get(&format!("/clients/{}/communications", d.client))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-sentiment-trend"), "{page}");
    assert!(page.contains("data-preferred-channel>E-mail<"), "{page}");
    // The desk's inbound e-mail scored -0.3: this month's mean.
    assert!(page.contains("-0.3"), "{page}");
}
