//! The audit log: a row for every change with actor, target, before/after and request data;
//! filters; append-only for the application role.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

#[tokio::test]
async fn changes_are_audited_with_who_what_and_where() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("aud")).await;
    let owner = app.get("/api/v1/me", &t.owner_token).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let started = chrono::Utc::now();
    let headers = [
        ("x-request-id", "audit-req-1"),
        ("user-agent", "audit-test/1.0"),
    ];
    let created = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&t.owner_token),
            Some(
                json!({ "email": "dana@aud.example", "display_name": "Dana", "roles": ["viewer"] }),
            ),
            &headers,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let uid = created.body["id"].as_str().expect("id").to_owned();
    app.patch(
        &format!("/api/v1/users/{uid}"),
        &t.owner_token,
        json!({ "roles": ["sales"] }),
    )
    .await;
    app.post(
        "/api/v1/roles",
        &t.owner_token,
        json!({ "name": "temp", "permissions": [] }),
    )
    .await;
    app.delete("/api/v1/roles/temp", &t.owner_token).await;
    let key = app
        .post(
            "/api/v1/api-keys",
            &t.owner_token,
            json!({ "name": "k", "role": "viewer" }),
        )
        .await;
    app.delete(
        &format!("/api/v1/api-keys/{}", key.body["id"].as_str().expect("id")),
        &t.owner_token,
    )
    .await;

    let all = app
        .get("/api/v1/audit-events?limit=100", &t.owner_token)
        .await;
    assert_eq!(all.status, StatusCode::OK);
    let actions: Vec<&str> = all.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "user.invited",
        "user.updated",
        "role.created",
        "role.deleted",
        "api_key.created",
        "api_key.revoked",
        "auth.login",
        "tenant.created",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    // Newest first.
    assert_eq!(actions[0], "api_key.revoked");

    let invited = app
        .get("/api/v1/audit-events?action=user.invited", &t.owner_token)
        .await;
    let e = &invited.body["data"][0];
    assert_eq!(invited.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(e["actor_type"], "user");
    assert_eq!(e["actor_id"], owner.as_str());
    assert_eq!(e["target_type"], "user");
    assert_eq!(e["target_id"], uid.as_str());
    assert_eq!(e["request_id"], "audit-req-1");
    assert_eq!(e["user_agent"], "audit-test/1.0");
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["after"]["email"], "dana@aud.example");
    assert!(
        !invited.text.contains("password"),
        "secrets in the audit log"
    );

    let updated = app
        .get(
            &format!("/api/v1/audit-events?target_type=user&target_id={uid}&action=user.updated"),
            &t.owner_token,
        )
        .await;
    let e = &updated.body["data"][0];
    assert_eq!(e["before"]["roles"], json!(["viewer"]));
    assert_eq!(e["after"]["roles"], json!(["sales"]));

    let roles = app
        .get("/api/v1/audit-events?action=role.*", &t.owner_token)
        .await;
    assert_eq!(roles.body["data"].as_array().map(Vec::len), Some(2));
    let by_actor = app
        .get(
            &format!("/api/v1/audit-events?actor_id={owner}&limit=100"),
            &t.owner_token,
        )
        .await;
    assert!(
        by_actor.body["data"]
            .as_array()
            .expect("d")
            .iter()
            .all(|e| e["actor_id"] == owner.as_str())
    );
    let from = started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let recent = app
        .get(
            &format!("/api/v1/audit-events?from={from}&action=tenant.created"),
            &t.owner_token,
        )
        .await;
    assert_eq!(
        recent.body["data"].as_array().map(Vec::len),
        Some(0),
        "tenant.created predates the window"
    );
    let earlier = app
        .get(
            &format!("/api/v1/audit-events?to={from}&action=tenant.created"),
            &t.owner_token,
        )
        .await;
    assert_eq!(earlier.body["data"].as_array().map(Vec::len), Some(1));
    let bad = app
        .get(
            "/api/v1/audit-events?from=yesterday&actor_id=me",
            &t.owner_token,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn the_app_role_cannot_alter_or_delete_audit_rows() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("immut")).await;
    let before: i64 = app.count("audit_events", t.id).await;
    assert!(before > 0);
    for statement in [
        "UPDATE audit_events SET action = 'tampered.x'",
        "DELETE FROM audit_events",
    ] {
        let mut tx = app.app_pool.begin().await.expect("tx");
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(t.id.to_string())
            .execute(&mut *tx)
            .await
            .expect("set");
        let err = sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .expect_err("must be refused");
        assert!(
            err.to_string().contains("permission denied"),
            "{statement}: {err}"
        );
    }
    assert_eq!(app.count("audit_events", t.id).await, before);
    let tampered: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'tampered.x'")
            .fetch_one(&app.owner)
            .await
            .expect("count");
    assert_eq!(tampered, 0);
    app.stop().await;
}
