//! Idempotency comes after authentication (issue 12): a stored response is replayed only to the
//! principal that made it, while its credentials still stand; a forged or dead credential gets
//! 401, nothing is stored for it, and its body is never read.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

async fn stored_keys(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(&app.owner)
        .await
        .expect("count")
}

/// POSTs `body` to `path` with an Idempotency-Key.
async fn post_keyed(app: &TestApp, token: &str, path: &str, body: &Value, key: &str) -> Reply {
    app.call(
        Method::POST,
        path,
        Some(token),
        Some(body.clone()),
        &[("idempotency-key", key)],
    )
    .await
}

fn assert_refused(r: &Reply, who: &str) {
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::UNAUTHORIZED, "unauthorized"),
        "{who}: {}",
        r.text
    );
    assert!(
        r.header("idempotent-replayed").is_none(),
        "{who} got a replay"
    );
}

/// A signed-in sales user who has created `client` under key `c-1`: (id, token, refresh).
async fn session(
    app: &TestApp,
    t: &TenantFixture,
    client: &Value,
    name: &str,
) -> (Uuid, String, Value) {
    let (id, _) = app.user_with_roles(t, name, &["sales"]).await;
    let tokens = app
        .login(&t.slug, &format!("{name}@{}.example", t.slug), PASSWORD)
        .await;
    let token = tokens["access_token"].as_str().expect("token").to_owned();
    let created = post_keyed(app, &token, "/api/v1/clients", client, "c-1").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    (id, token, tokens["refresh_token"].clone())
}

#[tokio::test]
async fn a_stored_response_is_replayed_only_while_its_principal_still_stands() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("idemauth")).await;
    let key = app
        .post(
            "/api/v1/api-keys",
            &t.owner_token,
            json!({ "name": "ops", "role": "admin" }),
        )
        .await;
    let secret = key.body["secret"].as_str().expect("secret").to_owned();
    let key_id = key.body["id"].as_str().expect("id").to_owned();

    // The key mints another key: the stored response holds the new key's secret.
    let mint = json!({ "name": "minted", "role": "viewer" });
    let minted = post_keyed(&app, &secret, "/api/v1/api-keys", &mint, "mint").await;
    assert_eq!(minted.status, StatusCode::CREATED, "{}", minted.text);
    let minted_secret = minted.body["secret"].as_str().expect("secret").to_owned();
    let replay = post_keyed(&app, &secret, "/api/v1/api-keys", &mint, "mint").await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, minted.body);

    // The right key id with a wrong secret.
    let wrong = format!("{}A", &secret[..secret.len() - 1]);
    let wrong = if wrong == secret {
        format!("{}B", &secret[..secret.len() - 1])
    } else {
        wrong
    };
    let r = post_keyed(&app, &wrong, "/api/v1/api-keys", &mint, "mint").await;
    assert_refused(&r, "a wrong secret");
    assert!(!r.text.contains(&minted_secret));

    // Another principal of the tenant, same key and body: its own request, not a replay.
    let mine = post_keyed(&app, &t.owner_token, "/api/v1/api-keys", &mint, "mint").await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.text);
    assert!(mine.header("idempotent-replayed").is_none());
    assert_ne!(mine.body["id"], minted.body["id"]);

    // A revoked key.
    let revoked = app
        .delete(&format!("/api/v1/api-keys/{key_id}"), &t.owner_token)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let r = post_keyed(&app, &secret, "/api/v1/api-keys", &mint, "mint").await;
    assert_refused(&r, "a revoked key");

    // A user's token after sign-out, after being disabled, after the tenant is suspended.
    let client = json!({ "company_name": "Repetida S.L." });
    let (_, signed_out, refresh) = session(&app, &t, &client, "leaver").await;
    let out = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({ "refresh_token": refresh })),
            &[],
        )
        .await;
    assert!(out.status.is_success(), "{}", out.text);
    let (disabled_id, disabled, _) = session(&app, &t, &client, "disabled").await;
    let off = app
        .patch(
            &format!("/api/v1/users/{disabled_id}"),
            &t.owner_token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let (_, suspended, _) = session(&app, &t, &client, "suspended").await;
    let clients_before = app.count("clients", t.id).await;
    let keys_before = stored_keys(&app).await;

    for (who, token) in [("signed out", &signed_out), ("disabled", &disabled)] {
        let r = post_keyed(&app, token, "/api/v1/clients", &client, "c-1").await;
        assert_refused(&r, who);
    }
    sqlx::query("UPDATE tenants SET status = 'suspended' WHERE id = $1")
        .bind(t.id)
        .execute(&app.owner)
        .await
        .expect("suspend");
    let r = post_keyed(&app, &suspended, "/api/v1/clients", &client, "c-1").await;
    assert_refused(&r, "suspended tenant");
    assert_eq!(app.count("clients", t.id).await, clients_before);
    assert_eq!(stored_keys(&app).await, keys_before);
    app.stop().await;
}

#[tokio::test]
async fn forged_credentials_get_401_store_nothing_and_never_a_5xx() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("forged")).await;
    let body = json!({ "company_name": "Falsa S.L." });
    let real_tenant = t.id.simple().to_string();
    let unknown_tenant = Uuid::now_v7().simple().to_string();
    let random = "Zm9yZ2VkLXNlY3JldC1mb3JnZWQtc2VjcmV0LWZvcmdlZA";
    let forged = [
        format!("crm_{real_tenant}_{}_{random}", Uuid::now_v7().simple()),
        format!("crm_{unknown_tenant}_{}_{random}", Uuid::now_v7().simple()),
        format!("crm_{real_tenant}_not-a-key-id_{random}"),
        format!("crm_{unknown_tenant}"),
        "crm_".to_owned(),
        "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl".to_owned(),
        format!("{}x", t.owner_token),
    ];
    let keys_before = stored_keys(&app).await;
    for (i, token) in forged.iter().enumerate() {
        for attempt in 0..2 {
            let r = post_keyed(&app, token, "/api/v1/clients", &body, &format!("f-{i}")).await;
            assert_refused(&r, &format!("forged #{i}, attempt {attempt}"));
        }
    }
    assert_eq!(stored_keys(&app).await, keys_before);
    assert_eq!(app.count("clients", t.id).await, 0);
    app.stop().await;
}

/// POSTs a raw body to the clients route with an Idempotency-Key. None when the server
/// answered and closed the connection before the client finished sending (it read no more).
async fn post_huge(app: &TestApp, token: &str, body: String) -> Option<Reply> {
    let sent = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("idempotency-key", "big")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) => Some(read(res).await),
        Err(e) if e.is_request() || e.is_body() => None,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_by_authentication_or_the_route_limit_before_being_kept() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("bigbody")).await;
    let huge = format!(r#"{{"company_name":"{}"}}"#, "x".repeat(8 * 1024 * 1024));
    let forged = format!("crm_{}_{}_forged", t.id.simple(), Uuid::now_v7().simple());
    if let Some(r) = post_huge(&app, &forged, huge.clone()).await {
        assert_refused(&r, "forged key with a huge body");
    }
    // Just past the 1 MiB limit, so the client has sent it all when the answer comes.
    let over = format!(r#"{{"company_name":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    let r = post_huge(&app, &t.owner_token, over)
        .await
        .expect("an authenticated caller gets an answer");
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
        "{}",
        r.text
    );
    assert_eq!(stored_keys(&app).await, 0);
    assert_eq!(app.count("clients", t.id).await, 0);
    // The server is still well.
    assert_eq!(
        app.get("/api/v1/clients", &t.owner_token).await.status,
        StatusCode::OK
    );
    app.stop().await;
}
