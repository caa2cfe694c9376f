//! Connecting a user's own calendar (issue 18) through the OAuth 2.0 authorization-code flow
//! with PKCE, against a wiremock fake of the provider's token and revocation endpoints: the
//! console sends the user to the provider with a state and an S256 challenge, the callback
//! exchanges the code with the matching verifier and keeps the tokens sealed, a state serves
//! once and only its own user, a refusal connects nothing, and a disconnect deletes the tokens
//! and revokes the grant. A connection is private to its user: other users, other tenants and
//! roles without `calendar.view` neither see nor remove it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::json;
use services::calendar::providers::{CalendarProviders, Registration};
use sha2::{Digest, Sha256};
use tests::console::Browser;
use tests::*;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Google, registered with its endpoints on the fake.
pub fn google_on(server: &MockServer) -> CalendarProviders {
    let mut reg = Registration::google("crm-client".into(), "crm-secret".into());
    reg.oauth.authorize_url = format!("{}/o/oauth2/v2/auth", server.uri());
    reg.oauth.token_url = format!("{}/token", server.uri());
    reg.oauth.revoke_url = Some(format!("{}/revoke", server.uri()));
    reg.api_base_url = server.uri();
    CalendarProviders {
        google: Some(reg),
        microsoft: None,
        notices_base: None,
    }
}

/// The token endpoint answering `code` with tokens named after `who`.
pub async fn token_endpoint(server: &MockServer, code: &str, who: &str) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains(format!("code={code}&")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("ya29.{who}"), "refresh_token": format!("1//refresh-{who}"),
            "expires_in": 3599, "token_type": "Bearer"
        })))
        .mount(server)
        .await;
}

/// A query parameter of a URL.
fn param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Where the console's page sends the user on to (its link to the provider).
fn provider_link(page: &str) -> String {
    let start = page
        .find("data-action=\"continue-to-provider\"")
        .expect("link");
    let href = page[..start].rfind("href=\"").expect("href") + 6;
    let end = page[href..].find('"').expect("end") + href;
    unescape(&page[href..end])
}

/// An attribute's text with the numeric character references askama writes (`&#38;`) read.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail.find(';').expect("reference ends");
        let code: u32 = tail[..end].parse().expect("decimal reference");
        out.push(char::from_u32(code).expect("char"));
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Starts connecting Google in the console; gives the address of the provider's page.
pub async fn start_at(browser: &Browser) -> String {
    let (status, page, _) = browser
        .post("/calendar/connections", &[("provider", "google")])
        .await;
    assert_eq!(status, StatusCode::OK);
    provider_link(&page)
}

/// Starts connecting Google in the console; gives the state the provider would send back.
pub async fn start(browser: &Browser) -> String {
    param(&start_at(browser).await, "state").expect("state")
}

/// Connects the browser's user to Google with `code`.
pub async fn connect(browser: &Browser, code: &str) {
    let state = start(browser).await;
    let (_, _, location) = browser
        .get(&format!(
            "/calendar/connections/google/callback?code={code}&state={state}"
        ))
        .await;
    assert_eq!(
        location.as_deref(),
        Some("/calendar/connections?outcome=connected")
    );
}

#[tokio::test]
async fn a_user_connects_google_with_pkce_and_disconnects_with_revocation() {
    let server = MockServer::start().await;
    token_endpoint(&server, "good-code", "ana").await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .and(body_string_contains("token=1%2F%2Frefresh-ana"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let providers = google_on(&server);
    let app = spawn_app_with(|c| c.calendar_providers = providers).await;
    let t = app.tenant(&slug("conn")).await;
    let browser = Browser::new(&app, Some(&t.owner_token));

    let url = start_at(&browser).await;
    assert!(url.starts_with(&format!("{}/o/oauth2/v2/auth?", server.uri())));
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(param(&url, "access_type").as_deref(), Some("offline"));
    assert_eq!(
        param(&url, "redirect_uri"),
        Some(app.url("/calendar/connections/google/callback"))
    );
    let (state, challenge) = (
        param(&url, "state").expect("s"),
        param(&url, "code_challenge"),
    );
    let (_, _, back) = browser
        .get(&format!(
            "/calendar/connections/google/callback?code=good-code&state={state}"
        ))
        .await;
    assert_eq!(
        back.as_deref(),
        Some("/calendar/connections?outcome=connected")
    );

    // The verifier sent with the code is the one the challenge was made from.
    let exchange = server.received_requests().await.expect("requests");
    let body = String::from_utf8_lossy(&exchange.last().expect("exchange").body).into_owned();
    let verifier = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("code_verifier="))
        .expect("verifier");
    assert_eq!(
        Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))),
        challenge
    );

    let list = app
        .get("/api/v1/me/calendar-connections", &t.owner_token)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let conns = list.body.as_array().expect("list");
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["provider"], "google");
    assert_eq!(conns[0]["status"], "active");
    assert!(conns[0]["access_expires_at"].is_string());
    let id = conns[0]["id"].as_str().expect("id").to_owned();
    let sealed: Vec<u8> = sqlx::query_scalar(
        "SELECT access_token_cipher || refresh_token_cipher FROM calendar_connections WHERE id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&app.owner)
    .await
    .expect("sealed");
    let raw = String::from_utf8_lossy(&sealed);
    assert!(
        !raw.contains("ya29.ana") && !raw.contains("refresh-ana"),
        "tokens are sealed"
    );

    // The state served once.
    let (_, _, again) = browser
        .get(&format!(
            "/calendar/connections/google/callback?code=good-code&state={state}"
        ))
        .await;
    assert_eq!(
        again.as_deref(),
        Some("/calendar/connections?outcome=expired")
    );
    let (status, page, _) = browser.get("/calendar/connections").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-connection-status=\"active\"")
            && page.contains("data-action=\"disconnect\"")
    );

    let gone = app
        .delete(
            &format!("/api/v1/me/calendar-connections/{id}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text);
    assert_eq!(gone.body, json!({ "provider": "google", "revoked": true }));
    assert_eq!(app.count("calendar_connections", t.id).await, 0);
    let audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action LIKE 'calendar_connection.%'",
    )
    .bind(t.id)
    .fetch_one(&app.owner)
    .await
    .expect("audit");
    assert_eq!(audit, 2, "connecting and disconnecting are audited");
}

#[tokio::test]
async fn a_refused_forged_or_foreign_callback_connects_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({ "error": "invalid_grant", "error_description": "Bad code" }),
            ),
        )
        .mount(&server)
        .await;
    let providers = google_on(&server);
    let app = spawn_app_with(|c| c.calendar_providers = providers).await;
    let t = app.tenant(&slug("connno")).await;
    let (_, sales) = app.user_with_roles(&t, "sales", &["sales"]).await;
    let owner = Browser::new(&app, Some(&t.owner_token));
    let other = Browser::new(&app, Some(&sales));
    let cb = "/calendar/connections/google/callback";

    let (_, _, said_no) = owner
        .get(&format!("{cb}?error=access_denied&state=x"))
        .await;
    assert_eq!(
        said_no.as_deref(),
        Some("/calendar/connections?outcome=refused")
    );
    let (_, _, forged) = owner.get(&format!("{cb}?code=c&state=forged")).await;
    assert_eq!(
        forged.as_deref(),
        Some("/calendar/connections?outcome=expired")
    );
    // The owner's state, brought back by another user, is not theirs.
    let state = start(&owner).await;
    let (_, _, foreign) = other.get(&format!("{cb}?code=c&state={state}")).await;
    assert_eq!(
        foreign.as_deref(),
        Some("/calendar/connections?outcome=expired")
    );
    // The provider refusing the code.
    let (_, _, refused) = owner.get(&format!("{cb}?code=bad&state={state}")).await;
    assert_eq!(
        refused.as_deref(),
        Some("/calendar/connections?outcome=refused")
    );
    assert_eq!(app.count("calendar_connections", t.id).await, 0);

    let unknown = app
        .post(
            "/api/v1/me/calendar-connections",
            &t.owner_token,
            json!({ "provider": "calendly" }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text.contains("/provider"), "{}", unknown.text);
    let unregistered = app
        .post(
            "/api/v1/me/calendar-connections",
            &t.owner_token,
            json!({ "provider": "microsoft" }),
        )
        .await;
    assert_eq!(unregistered.status, StatusCode::CONFLICT);
    assert!(
        unregistered
            .problem()
            .ends_with("calendar-provider-not-configured")
    );
    let (_, page, _) = owner.get("/calendar/connections").await;
    assert!(
        page.contains("data-provider=\"google\"") && !page.contains("data-provider=\"microsoft\"")
    );
}

#[tokio::test]
async fn a_connection_is_private_to_its_user_by_tenant_and_role() {
    let server = MockServer::start().await;
    token_endpoint(&server, "ana-code", "ana").await;
    let providers = google_on(&server);
    let app = spawn_app_with(|c| c.calendar_providers = providers).await;
    let t = app.tenant(&slug("connpriv")).await;
    let other_tenant = app.tenant(&slug("connpriv2")).await;
    let (_, sales) = app.user_with_roles(&t, "sales", &["sales"]).await;
    let (_, marketing) = app.user_with_roles(&t, "marketing", &["marketing"]).await;
    connect(&Browser::new(&app, Some(&t.owner_token)), "ana-code").await;
    let list = app
        .get("/api/v1/me/calendar-connections", &t.owner_token)
        .await;
    let id = list.body[0]["id"].as_str().expect("id").to_owned();
    let one = format!("/api/v1/me/calendar-connections/{id}");

    for token in [&sales, &other_tenant.owner_token] {
        let theirs = app.get("/api/v1/me/calendar-connections", token).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert_eq!(theirs.body, json!([]), "another user sees none of it");
        assert_eq!(app.delete(&one, token).await.status, StatusCode::NOT_FOUND);
        let (status, _, _) = Browser::new(&app, Some(token))
            .post(&format!("/calendar/connections/{id}/disconnect"), &[])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let forbidden = [
        app.get("/api/v1/me/calendar-connections", &marketing)
            .await
            .status,
        app.post(
            "/api/v1/me/calendar-connections",
            &marketing,
            json!({ "provider": "google" }),
        )
        .await
        .status,
        app.delete(&one, &marketing).await.status,
    ];
    assert_eq!(forbidden, [StatusCode::FORBIDDEN; 3]);
    let browser = Browser::new(&app, Some(&marketing));
    assert_eq!(
        browser.get("/calendar/connections").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser
            .post("/calendar/connections", &[("provider", "google")])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.count("calendar_connections", t.id).await,
        1,
        "still there"
    );
    // A provider that does not confirm the revocation: the tokens are deleted all the same.
    let gone = app.delete(&one, &t.owner_token).await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body["revoked"], false);
    assert_eq!(app.count("calendar_connections", t.id).await, 0);
}
