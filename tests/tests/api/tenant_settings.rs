//! The tenant's settings (`GET`/`PATCH /api/v1/tenant`) and each user's own language
//! (`PATCH /api/v1/me`): changes, refusals that change nothing, permissions, isolation, audit.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;

/// The audit rows of `action` in the tenant, newest first.
async fn audited(app: &TestApp, token: &str, action: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/audit-events?action={action}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["data"].as_array().expect("data").clone()
}

#[tokio::test]
async fn the_owner_reads_and_changes_the_settings() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("set")).await;

    let r = app.get("/api/v1/tenant", &t.owner_token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], t.id.to_string());
    assert_eq!(r.body["slug"], t.slug.as_str());
    assert_eq!(r.body["name"], format!("{} S.L.", t.slug));
    assert_eq!(r.body["time_zone"], "Europe/Madrid");
    assert_eq!(r.body["locale"], "es");
    assert_eq!(r.body["currency"], "EUR");
    assert_eq!(r.body["status"], "active");

    let change = json!({
        "name": "  Acme Iberia S.A.  ",
        "time_zone": "America/Mexico_City",
        "locale": "en",
        "currency": "MXN",
    });
    let r = app.patch("/api/v1/tenant", &t.owner_token, change).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"], "Acme Iberia S.A.");
    assert_eq!(r.body["time_zone"], "America/Mexico_City");
    assert_eq!(r.body["locale"], "en");
    assert_eq!(r.body["currency"], "MXN");
    assert_eq!(r.body["slug"], t.slug.as_str());

    // Absent members keep their value.
    let r = app
        .patch("/api/v1/tenant", &t.owner_token, json!({ "locale": "es" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["locale"], "es");
    assert_eq!(r.body["currency"], "MXN");

    let stored: (String, String, String, String) =
        sqlx::query_as("SELECT name, time_zone, currency::text, locale FROM tenants WHERE id = $1")
            .bind(t.id)
            .fetch_one(&app.owner)
            .await
            .expect("tenant row");
    assert_eq!(
        stored,
        (
            "Acme Iberia S.A.".to_owned(),
            "America/Mexico_City".to_owned(),
            "MXN".to_owned(),
            "es".to_owned()
        )
    );
    let me = app.get("/api/v1/me", &t.owner_token).await;
    assert_eq!(me.body["tenant"]["name"], "Acme Iberia S.A.");
    assert_eq!(me.body["tenant"]["time_zone"], "America/Mexico_City");
    assert_eq!(me.body["tenant"]["currency"], "MXN");
    app.stop().await;
}

#[tokio::test]
async fn each_bad_member_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("setbad")).await;
    let before = app.get("/api/v1/tenant", &t.owner_token).await.body;

    for (body, pointer) in [
        (json!({ "name": "   ", "locale": "en" }), "/name"),
        (json!({ "name": "x".repeat(201), "locale": "en" }), "/name"),
        (
            json!({ "time_zone": "Madrid time", "locale": "en" }),
            "/time_zone",
        ),
        (json!({ "locale": "fr", "currency": "USD" }), "/locale"),
        (json!({ "currency": "eur", "locale": "en" }), "/currency"),
        (json!({ "currency": "EURO", "locale": "en" }), "/currency"),
    ] {
        let r = app.patch("/api/v1/tenant", &t.owner_token, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{pointer}");
        assert_eq!(r.problem(), "validation-failed", "{pointer}");
        let errors = r.body["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{pointer}: {errors:?}");
        assert_eq!(errors[0]["pointer"], pointer);
        assert!(errors[0]["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }

    // Every refused member at once is named.
    let all_bad = json!({ "name": "", "time_zone": "nowhere", "locale": "de", "currency": "$" });
    let r = app.patch("/api/v1/tenant", &t.owner_token, all_bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut pointers: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    pointers.sort_unstable();
    assert_eq!(pointers, ["/currency", "/locale", "/name", "/time_zone"]);

    // The slug is not a setting.
    let r = app
        .patch("/api/v1/tenant", &t.owner_token, json!({ "slug": "other" }))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem(), "unknown-field");

    assert_eq!(app.get("/api/v1/tenant", &t.owner_token).await.body, before);
    assert!(
        audited(&app, &t.owner_token, "tenant.updated")
            .await
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn only_roles_with_tenant_settings_may() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("setrole")).await;
    for role in ["admin", "sales", "support", "marketing", "viewer"] {
        let (_, token) = app.user_with_roles(&t, &format!("u-{role}"), &[role]).await;
        let r = app.get("/api/v1/tenant", &token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(r.problem(), "forbidden");
        let r = app
            .patch("/api/v1/tenant", &token, json!({ "name": "Taken over" }))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
    }
    // A custom role granting the permission is enough.
    app.custom_role(&t, "settings", &["tenant.settings"]).await;
    let (_, token) = app.user_with_roles(&t, "u-settings", &["settings"]).await;
    let r = app
        .patch("/api/v1/tenant", &token, json!({ "name": "Renamed" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v1/tenant", &t.owner_token).await;
    assert_eq!(r.body["name"], "Renamed");
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_changes_only_itself() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("seta")).await;
    let b = app.tenant(&slug("setb")).await;
    let b_before = app.get("/api/v1/tenant", &b.owner_token).await.body;

    let r = app
        .patch(
            "/api/v1/tenant",
            &a.owner_token,
            json!({ "name": "A only", "locale": "en", "currency": "USD", "time_zone": "UTC" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], a.id.to_string());
    assert_eq!(
        app.get("/api/v1/tenant", &b.owner_token).await.body,
        b_before
    );
    assert_eq!(
        app.get("/api/v1/tenant", &a.owner_token).await.body["name"],
        "A only"
    );
    // Each tenant's audit trail holds only its own change.
    assert_eq!(
        audited(&app, &a.owner_token, "tenant.updated").await.len(),
        1
    );
    assert!(
        audited(&app, &b.owner_token, "tenant.updated")
            .await
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_change_is_audited_with_before_and_after() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("setaud")).await;
    let owner = app.get("/api/v1/me", &t.owner_token).await.body["id"].clone();

    let r = app
        .patch(
            "/api/v1/tenant",
            &t.owner_token,
            json!({ "locale": "en", "currency": "GBP" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The current values again: nothing to record.
    let r = app
        .patch("/api/v1/tenant", &t.owner_token, json!({ "locale": "en" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let rows = audited(&app, &t.owner_token, "tenant.updated").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let e = &rows[0];
    assert_eq!(e["actor_type"], "user");
    assert_eq!(e["actor_id"], owner);
    assert_eq!(e["target_type"], "tenant");
    assert_eq!(e["target_id"], t.id.to_string());
    assert_eq!(e["before"]["locale"], "es");
    assert_eq!(e["before"]["currency"], "EUR");
    assert_eq!(e["after"]["locale"], "en");
    assert_eq!(e["after"]["currency"], "GBP");
    assert_eq!(e["after"]["name"], e["before"]["name"]);
    app.stop().await;
}

#[tokio::test]
async fn every_user_chooses_their_own_language() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("lang")).await;
    let (viewer_id, viewer) = app.user_with_roles(&t, "vera", &["viewer"]).await;

    let me = app.get("/api/v1/me", &viewer).await;
    assert_eq!(me.body["locale"], Value::Null);
    assert_eq!(me.body["tenant"]["locale"], "es");

    let r = app
        .patch("/api/v1/me", &viewer, json!({ "locale": "en" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["locale"], "en");
    assert_eq!(r.body["id"], viewer_id.to_string());
    let me = app.get("/api/v1/me", &viewer).await;
    assert_eq!(me.body["locale"], "en");
    assert_eq!(me.body["tenant"]["locale"], "es", "the tenant's stays");
    // Someone else's choice is their own.
    let owner = app.get("/api/v1/me", &t.owner_token).await;
    assert_eq!(owner.body["locale"], Value::Null);

    // The tenant's default changing leaves a user's choice alone.
    app.patch("/api/v1/tenant", &t.owner_token, json!({ "locale": "en" }))
        .await;
    let r = app
        .patch("/api/v1/me", &viewer, json!({ "locale": "es" }))
        .await;
    assert_eq!(r.body["locale"], "es");
    assert_eq!(r.body["tenant"]["locale"], "en");

    let changes = audited(&app, &t.owner_token, "user.updated").await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[1]["target_id"], viewer_id.to_string());
    assert_eq!(changes[1]["actor_id"], viewer_id.to_string());
    assert_eq!(changes[1]["before"], json!({ "locale": null }));
    assert_eq!(changes[1]["after"], json!({ "locale": "en" }));
    assert_eq!(changes[0]["after"], json!({ "locale": "es" }));

    // null follows the tenant again.
    let r = app
        .patch("/api/v1/me", &viewer, json!({ "locale": null }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["locale"], Value::Null);
    let stored: Option<String> = sqlx::query_scalar("SELECT locale FROM users WHERE id = $1")
        .bind(viewer_id)
        .fetch_one(&app.owner)
        .await
        .expect("user row");
    assert_eq!(stored, None);
    app.stop().await;
}

#[tokio::test]
async fn a_language_choice_is_checked() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("langbad")).await;
    for (body, problem, pointer) in [
        (json!({ "locale": "fr" }), "validation-failed", "/locale"),
        (json!({ "locale": "" }), "validation-failed", "/locale"),
        (json!({}), "validation-failed", "/locale"),
        (
            json!({ "locale": "en", "display_name": "x" }),
            "unknown-field",
            "/display_name",
        ),
    ] {
        let r = app.patch("/api/v1/me", &t.owner_token, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.problem(), problem, "{body}");
        assert_eq!(r.body["errors"][0]["pointer"], pointer, "{body}");
    }
    let me = app.get("/api/v1/me", &t.owner_token).await;
    assert_eq!(me.body["locale"], Value::Null);
    assert!(
        audited(&app, &t.owner_token, "user.updated")
            .await
            .is_empty()
    );

    // An API key has no language of its own.
    let key = app
        .post(
            "/api/v1/api-keys",
            &t.owner_token,
            json!({ "name": "robot", "role": "viewer" }),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.text);
    let secret = key.body["secret"].as_str().expect("secret");
    let me = app.get("/api/v1/me", secret).await;
    assert_eq!(me.body["kind"], "api_key");
    assert_eq!(me.body["locale"], Value::Null);
    let r = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(secret),
            Some(json!({ "locale": "en" })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.problem(), "forbidden");
    app.stop().await;
}
