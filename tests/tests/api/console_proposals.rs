//! The console's proposal pages on the server side: each page is allowed exactly to the roles
//! holding its permission and shows only the controls the role may use; a forged form of a
//! role without the permission changes nothing; another tenant's proposal and client are not
//! found; the editor works without JavaScript (post/redirect/get, each problem at its field,
//! a stale change refused) and sends; the preview keeps its own policy. And the client's
//! public page, without a session or a CSRF cookie: a valid link shows the proposal and notes
//! the first view, accepting converts the lead and wins the opportunity, rejecting keeps the
//! reason, and a forged, altered or expired link opens nothing.

use domain::BuiltinRole;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::console::Browser;
use tests::{TenantFixture, TestApp, free_port, slug, spawn_app};

use crate::communications::email_channel;

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// What a tenant's proposal pages are shown with: a lead with an address, its opportunity, a
/// template declaring a percentage, a draft and a sent proposal.
struct Desk {
    client: String,
    opportunity: String,
    template: String,
    draft: String,
    sent: String,
}

/// A draft for `d`'s client and opportunity, from its template.
async fn draft(app: &TestApp, token: &str, d: &Desk, title: &str) -> String {
    id_of(
        &created(
            app,
            "/api/v1/proposals",
            token,
            json!({ "client_id": d.client, "opportunity_id": d.opportunity,
                    "template_id": d.template, "title": title,
                    "items": [{ "description": "Licencias", "quantity": "3",
                                "unit_price": "9.995", "tax_rate": "21" }],
                    "variables": { "deposit": 30 } }),
        )
        .await,
    )
}

/// Sends a draft through the API.
async fn send(app: &TestApp, token: &str, id: &str) {
    let version = app
        .get(&format!("/api/v1/proposals/{id}"), token)
        .await
        .body["version"]
        .clone();
    let r = app
        .post(
            &format!("/api/v1/proposals/{id}/send"),
            token,
            json!({ "version": version }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "send: {}", r.text);
}

/// A template with one section using a declared percentage and the proposal's total.
async fn template(app: &TestApp, token: &str) -> String {
    id_of(
        &created(
            app,
            "/api/v1/proposal-templates",
            token,
            json!({ "name": "Oferta estándar",
                    "sections": [{ "title": "Propuesta para {{clientName}}",
                                   "body": "Total: {{total}}.\n\nAnticipo: {{deposit}} %." }],
                    "variables": [{ "name": "deposit", "type": "percentage", "label": "Anticipo" }] }),
        )
        .await,
    )
}

async fn desk(app: &TestApp, t: &TenantFixture, name: &str) -> Desk {
    let token = &t.owner_token;
    email_channel(app, token, free_port()).await;
    let client = id_of(
        &created(
            app,
            "/api/v1/clients",
            token,
            json!({ "company_name": name, "status": "lead", "emails": ["compras@cliente.example"] }),
        )
        .await,
    );
    let opportunity = id_of(
        &created(
            app,
            "/api/v1/opportunities",
            token,
            json!({ "client_id": client, "title": "Licencias 2027", "estimated_value": "36.29" }),
        )
        .await,
    );
    let template = template(app, token).await;
    let mut d = Desk {
        client,
        opportunity,
        template,
        draft: String::new(),
        sent: String::new(),
    };
    d.draft = draft(app, token, &d, "Borrador de licencias").await;
    d.sent = draft(app, token, &d, "Propuesta enviada").await;
    send(app, token, &d.sent).await;
    d
}

/// The console's proposal pages and the permission each needs.
fn pages(d: &Desk) -> Vec<(String, &'static str)> {
    [
        ("/proposals", "proposals.view"),
        ("/proposals?status=sent", "proposals.view"),
        ("/proposals?client_id={client}", "proposals.view"),
        ("/proposals/{draft}", "proposals.view"),
        ("/proposals/{sent}", "proposals.view"),
        ("/proposals/{draft}/preview", "proposals.view"),
        ("/proposals/{sent}/pdf", "proposals.view"),
        ("/proposals/new", "proposals.create"),
        ("/proposals/new?client_id={client}", "proposals.create"),
    ]
    .into_iter()
    .map(|(p, perm)| {
        let path = p
            .replace("{client}", &d.client)
            .replace("{draft}", &d.draft)
            .replace("{sent}", &d.sent);
        (path, perm)
    })
    .collect()
}

#[tokio::test]
async fn every_proposal_page_is_allowed_exactly_to_the_roles_holding_its_permission() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cpr")).await;
    let d = desk(&app, &t, "Papeles Propuesta S.L.").await;
    for role in BuiltinRole::ALL {
        let (_, token) = app
            .user_with_roles(&t, &format!("as-{}", role.name()), &[role.name()])
            .await;
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
            profile.contains(r#"id="tab-proposals""#),
            can("proposals.view"),
            "{}: the proposals tab",
            role.name()
        );
        let (_, dashboard, _) = browser.get("/").await;
        assert_eq!(
            dashboard.contains("data-proposal-kpis"),
            can("proposals.view")
        );
        assert_eq!(
            dashboard.contains(r#"href="/proposals""#),
            can("proposals.view")
        );
        if !can("proposals.view") {
            continue;
        }
        let (_, page, _) = browser.get(&format!("/proposals/{}", d.draft)).await;
        for action in ["save-proposal", "delete-proposal", "send-proposal"] {
            let shown = page.contains(&format!(r#"data-action="{action}""#));
            assert_eq!(shown, can("proposals.edit"), "{} {action}", role.name());
        }
        let (_, page, _) = browser.get(&format!("/proposals/{}", d.sent)).await;
        assert_eq!(
            page.contains(r#"data-action="revise-proposal""#),
            can("proposals.create")
        );
        assert_eq!(page.contains("data-public-link"), can("proposals.edit"));
        assert!(
            !page.contains(r#"data-action="send-proposal""#),
            "a sent one is not sent again"
        );
    }
    app.stop().await;
}

/// What a refused form must leave as it was.
async fn state(app: &TestApp, t: &TenantFixture, d: &Desk) -> Vec<Value> {
    let token = &t.owner_token;
    let mut out = Vec::new();
    for id in [&d.draft, &d.sent] {
        let p = app.get(&format!("/api/v1/proposals/{id}"), token).await;
        out.push(json!([p.header("etag"), p.body["status"], p.body["title"]]));
    }
    out.push(json!(app.count("proposals", t.id).await));
    out
}

#[tokio::test]
async fn a_forged_form_is_refused_for_a_role_without_the_permission_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cpr")).await;
    let d = desk(&app, &t, "Forjas Propuesta S.L.").await;
    let before = state(&app, &t, &d).await;
    let new_form = vec![
        ("client_id", d.client.as_str()),
        ("template_id", d.template.as_str()),
        ("title", "Intrusa"),
    ];
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/proposals/new".into(), new_form),
        (
            format!("/proposals/{}", d.draft),
            vec![("title", "Cambiada"), ("version", "1"), ("rows", "0")],
        ),
        (
            format!("/proposals/{}/send", d.draft),
            vec![("version", "1")],
        ),
        (format!("/proposals/{}/delete", d.draft), vec![]),
        (format!("/proposals/{}/revise", d.sent), vec![]),
    ];
    for role in ["viewer", "support", "marketing"] {
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
async fn another_tenants_proposal_and_client_are_not_found_and_stay_untouched() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("cpra")).await;
    let b = app.tenant(&slug("cprb")).await;
    let d = desk(&app, &a, "Privada Propuesta S.L.").await;
    let before = state(&app, &a, &d).await;
    let intruder = Browser::new(&app, Some(&b.owner_token));
    for path in [
        format!("/proposals/{}", d.draft),
        format!("/proposals/{}", d.sent),
        format!("/proposals/{}/preview", d.sent),
        format!("/proposals/{}/pdf", d.sent),
        format!("/proposals/new?client_id={}", d.client),
    ] {
        let (status, body, _) = intruder.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body:.300}");
    }
    for (path, fields) in [
        (
            format!("/proposals/{}", d.draft),
            vec![("title", "Cambiada"), ("version", "1"), ("rows", "0")],
        ),
        (
            format!("/proposals/{}/send", d.draft),
            vec![("version", "1")],
        ),
        (format!("/proposals/{}/delete", d.draft), vec![]),
        (format!("/proposals/{}/revise", d.sent), vec![]),
    ] {
        let (status, body, _) = intruder.post(&path, &fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {body:.300}");
    }
    let (_, list, _) = intruder.get("/proposals").await;
    assert!(
        !list.contains(&d.draft) && !list.contains(&d.sent),
        "B lists A's proposals"
    );
    // A's client and template may not be used for B's proposal either.
    let own = template(&app, &b.owner_token).await;
    for (client, template, error) in [
        (d.client.as_str(), own.as_str(), "proposal-client_id-error"),
        ("", d.template.as_str(), "proposal-template_id-error"),
    ] {
        let (status, body, _) = intruder
            .post(
                "/proposals/new",
                &[
                    ("client_id", client),
                    ("template_id", template),
                    ("title", "Ajena"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.300}");
        assert!(
            body.contains(&format!(r#"id="{error}""#)),
            "{error}: {body}"
        );
    }
    assert_eq!(app.count("proposals", b.id).await, 0);
    assert_eq!(before, state(&app, &a, &d).await);
    app.stop().await;
}

/// The id at the end of a redirect to `/proposals/{id}?…`.
fn redirected_id(location: &Option<String>) -> String {
    let location = location.as_deref().expect("a redirect");
    let rest = location.strip_prefix("/proposals/").expect(location);
    rest.split('?').next().unwrap_or_default().to_owned()
}

/// The editor's fields: one item row (and a blank one), the deposit, at `version`.
fn editor_form<'a>(d: &'a Desk, quantity: &'a str, version: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", d.client.as_str()),
        ("template_id", d.template.as_str()),
        ("opportunity_id", d.opportunity.as_str()),
        ("title", "Renovación anual"),
        ("currency", "EUR"),
        ("valid_until", ""),
        ("var-deposit", "12,5"),
        ("rows", "3"),
        ("item-0-description", "Licencias"),
        ("item-0-quantity", "3"),
        ("item-0-unit_price", "9,995"),
        ("item-0-tax_rate", "21"),
        ("item-2-description", "Soporte"),
        ("item-2-quantity", quantity),
        ("item-2-unit_price", "100"),
        ("version", version),
    ]
}

#[tokio::test]
async fn the_editor_works_without_javascript_and_sends() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cprf")).await;
    let d = desk(&app, &t, "Formularios Propuesta S.L.").await;
    let token = &t.owner_token;
    let owner = Browser::new(&app, Some(token));

    // A bad quantity is shown on its row (the blank row between is left out), typed values stay.
    let (status, body, _) = owner
        .post("/proposals/new", &editor_form(&d, "0", ""))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="item-1-quantity-error""#), "{body}");
    assert!(body.contains(r#"value="9,995""#), "the typed values stay");
    let (status, _, location) = owner
        .post("/proposals/new", &editor_form(&d, "1", ""))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = redirected_id(&location);
    let stored = app.get(&format!("/api/v1/proposals/{id}"), token).await;
    assert_eq!(
        stored.body["total"], "136.29",
        "29.99 + 6.30 tax + 100: {}",
        stored.text
    );
    assert_eq!(stored.body["variables"]["deposit"], 12.5);
    assert_eq!(stored.body["opportunity_id"], d.opportunity.as_str());
    let (_, page, _) = owner.get(&format!("/proposals/{id}")).await;
    assert!(page.contains("136,29 EUR"), "the total in Spanish");

    // A change at the version shown is saved; the same form again is stale.
    let version = stored.body["version"].to_string();
    let path = format!("/proposals/{id}");
    let (status, body, location) = owner.post(&path, &editor_form(&d, "2", &version)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=saved").as_str())
    );
    let (status, body, _) = owner.post(&path, &editor_form(&d, "3", &version)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body:.500}");
    assert!(body.contains(r#"data-refusal="412""#), "{body:.500}");

    // Sent from its page at the version shown: the opportunity moves on, the draft's forms go.
    let current = app.get(&format!("/api/v1/proposals/{id}"), token).await;
    let version = current.body["version"].to_string();
    let (status, body, location) = owner
        .post(
            &format!("{path}/send"),
            &[("version", &version), ("note", "Adjunto la propuesta.")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=sent").as_str())
    );
    let sent = app.get(&format!("/api/v1/proposals/{id}"), token).await;
    assert_eq!(sent.body["status"], "sent");
    let (_, page, _) = owner.get(&path).await;
    assert!(!page.contains(r#"data-action="save-proposal""#));
    assert!(page.contains("data-public-link"));

    // Sending it again is refused as no longer a draft, in the page's language.
    let version = sent.body["version"].to_string();
    let (status, body, _) = owner
        .post(&format!("{path}/send"), &[("version", &version)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body:.300}");
    assert!(
        body.contains("La propuesta ya no es un borrador"),
        "{body:.300}"
    );

    // Revised into the next revision, a draft that lists the one it came from.
    let (status, _, location) = owner.post(&format!("{path}/revise"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let revision = redirected_id(&location);
    assert!(
        location
            .as_deref()
            .is_some_and(|l| l.ends_with("?notice=revised"))
    );
    let stored = app
        .get(&format!("/api/v1/proposals/{revision}"), token)
        .await;
    assert_eq!(stored.body["revision"], 2);
    assert_eq!(stored.body["status"], "draft");
    let (_, page, _) = owner.get(&format!("/proposals/{revision}")).await;
    assert!(
        page.contains(&format!(r#"href="/proposals/{id}""#)),
        "the first revision listed"
    );
    assert!(page.contains(r#"data-action="save-proposal""#));
    app.stop().await;
}

#[tokio::test]
async fn the_preview_keeps_its_own_policy_and_the_pdf_downloads() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cprp")).await;
    let d = desk(&app, &t, "Vistas Propuesta S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let r = owner
        .http
        .get(format!("{}/proposals/{}/preview", owner.base, d.sent))
        .header(reqwest::header::COOKIE, &owner.cookies)
        .send()
        .await
        .expect("preview");
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let policy = header("content-security-policy").expect("a policy");
    assert!(
        policy.starts_with("default-src 'none'") && policy.contains("frame-ancestors 'self'"),
        "{policy}"
    );
    assert_eq!(header("x-frame-options").as_deref(), Some("SAMEORIGIN"));
    assert!(r.text().await.expect("body").contains("Propuesta enviada"));
    // Every other console page keeps the strict policy.
    let r = owner
        .http
        .get(format!("{}/proposals/{}", owner.base, d.sent))
        .header(reqwest::header::COOKIE, &owner.cookies)
        .send()
        .await
        .expect("page");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let r = owner
        .http
        .get(format!("{}/proposals/{}/pdf", owner.base, d.sent))
        .header(reqwest::header::COOKIE, &owner.cookies)
        .send()
        .await
        .expect("pdf");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF"));
    app.stop().await;
}

/// A browser without any cookie, following no redirect.
fn stranger() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The path and query of a sent proposal's public link.
async fn public_path(app: &TestApp, token: &str, id: &str) -> String {
    let r = app
        .get(&format!("/api/v1/proposals/{id}/link"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let url = r.body["url"].as_str().expect("url");
    format!("/p/{}", url.split_once("/p/").expect("a /p/ link").1)
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, Option<String>) {
    tests::console::answer(stranger().get(app.url(path)).send().await.expect("get")).await
}

async fn post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let r = stranger()
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("post");
    tests::console::answer(r).await
}

/// The link's path, its query's `e` and `s`, split.
fn signed(path: &str) -> (String, String, String) {
    let (path, query) = path.split_once('?').expect("a query");
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .expect(k)
    };
    (path.to_owned(), get("e"), get("s"))
}

async fn timeline_has(app: &TestApp, token: &str, client: &str, kind: &str) -> bool {
    let r = app
        .get(&format!("/api/v1/clients/{client}/timeline"), token)
        .await;
    r.body["data"]
        .as_array()
        .expect("events")
        .iter()
        .any(|e| e["event_type"] == kind)
}

#[tokio::test]
async fn the_public_page_shows_the_proposal_and_accepting_converts_the_lead_and_wins() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cprpub")).await;
    let d = desk(&app, &t, "Aceptaciones Propuesta S.L.").await;
    let token = &t.owner_token;
    let link = public_path(&app, token, &d.sent).await;
    assert!(!timeline_has(&app, token, &d.client, "proposal.viewed").await);
    let (status, page, _) = fetch(&app, &link).await;
    assert_eq!(status, StatusCode::OK, "{page:.500}");
    assert!(
        page.contains("Propuesta enviada") && page.contains(r#"data-action="accept-proposal""#)
    );
    assert!(
        timeline_has(&app, token, &d.client, "proposal.viewed").await,
        "the first view is noted"
    );
    let (path, e, s) = signed(&link);
    let (status, document, _) = fetch(&app, &format!("{path}/document?e={e}&s={s}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        document.contains("Anticipo: 30"),
        "the sent page: {document:.500}"
    );

    // Accepted without a session or a CSRF cookie: the signature is the capability.
    let (status, body, location) =
        post(&app, &format!("{path}/accept"), &[("e", &e), ("s", &s)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let location = location.expect("a redirect");
    assert!(location.ends_with("&done=accepted"), "{location}");
    let proposal = app
        .get(&format!("/api/v1/proposals/{}", d.sent), token)
        .await;
    assert_eq!(proposal.body["status"], "accepted");
    let client = app
        .get(&format!("/api/v1/clients/{}", d.client), token)
        .await;
    assert_eq!(client.body["status"], "client", "the lead was converted");
    let opportunity = app
        .get(&format!("/api/v1/opportunities/{}", d.opportunity), token)
        .await;
    assert_eq!(opportunity.body["state"], "won", "the opportunity was won");
    let (status, page, _) = fetch(&app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-thanks") && page.contains(r#"data-status="accepted""#));
    assert!(
        !page.contains(r#"data-action="accept-proposal""#),
        "no buttons once answered"
    );

    // Answering again is refused, and shown on the page as it stands.
    let (status, body, _) = post(&app, &format!("{path}/reject"), &[("e", &e), ("s", &s)]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body:.500}");
    assert!(body.contains(r#"data-status="accepted""#));
    app.stop().await;
}

#[tokio::test]
async fn rejecting_keeps_the_reason_and_a_forged_or_expired_link_opens_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cprrej")).await;
    let d = desk(&app, &t, "Rechazos Propuesta S.L.").await;
    let token = &t.owner_token;
    let link = public_path(&app, token, &d.sent).await;
    let (path, e, s) = signed(&link);

    // A forged signature, an altered expiry, another tenant: not found, nothing recorded.
    let other = app.tenant(&slug("cprrej2")).await;
    let flipped = if s.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{flipped}{}", &s[1..]);
    let elsewhere = path.replace(&t.id.to_string(), &other.id.to_string());
    for bad in [
        format!("{path}?e={e}&s={forged}"),
        format!("{path}?e={}&s={s}", e.parse::<i64>().expect("e") + 86_400),
        format!("{elsewhere}?e={e}&s={s}"),
        format!("{path}?e=&s="),
    ] {
        let (status, body, _) = fetch(&app, &bad).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body:.300}");
        let target = format!("{}/accept", bad.split('?').next().unwrap_or_default());
        let (status, _, _) = post(&app, &target, &[("e", &e), ("s", &forged)]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {target}");
    }
    assert!(!timeline_has(&app, token, &d.client, "proposal.viewed").await);

    // A link signed for an expiry that has passed says so.
    let (scope, cipher) = api::routes::webhooks::system_scope(&app.state, &t.id.to_string())
        .await
        .expect("a scope");
    drop(scope);
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    let id = uuid::Uuid::parse_str(&d.sent).expect("id");
    let old = services::proposals::link::link(&cipher, "", t.id, id, yesterday);
    let (status, body, _) = fetch(&app, &old.url).await;
    assert_eq!(status, StatusCode::GONE, "{body:.300}");
    assert!(body.contains(r#"data-problem="link-expired""#));
    let (_, old_e, old_s) = signed(&old.url);
    let (status, _, _) = post(
        &app,
        &format!("{path}/accept"),
        &[("e", &old_e), ("s", &old_s)],
    )
    .await;
    assert_eq!(status, StatusCode::GONE);

    // Rejected with a reason: kept, and the lead stays a lead.
    let (status, body, location) = post(
        &app,
        &format!("{path}/reject"),
        &[("e", &e), ("s", &s), ("note", "El precio es alto.")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    assert!(location.expect("redirect").ends_with("&done=rejected"));
    let proposal = app
        .get(&format!("/api/v1/proposals/{}", d.sent), token)
        .await;
    assert_eq!(proposal.body["status"], "rejected");
    assert_eq!(proposal.body["decision_note"], "El precio es alto.");
    let client = app
        .get(&format!("/api/v1/clients/{}", d.client), token)
        .await;
    assert_eq!(client.body["status"], "lead");
    app.stop().await;
}
