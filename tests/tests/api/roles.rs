//! Every endpoint against every built-in role, allowed and denied; custom roles; API keys.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

/// One endpoint: how to call it, the permission it needs, the answer when it is granted.
struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    permission: Option<&'static str>,
    when_allowed: StatusCode,
}

fn case(
    method: Method,
    path: String,
    body: Option<Value>,
    permission: Option<&'static str>,
    when_allowed: StatusCode,
) -> Case {
    Case {
        method,
        path,
        body,
        permission,
        when_allowed,
    }
}

fn endpoints() -> Vec<Case> {
    let id = Uuid::now_v7();
    vec![
        case(Method::GET, "/api/v1/me".into(), None, None, StatusCode::OK),
        case(
            Method::GET,
            "/api/v1/users".into(),
            None,
            Some("users.view"),
            StatusCode::OK,
        ),
        case(
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({ "email": "not-an-email", "display_name": "x" })),
            Some("users.manage"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        case(
            Method::GET,
            format!("/api/v1/users/{id}"),
            None,
            Some("users.view"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::PATCH,
            format!("/api/v1/users/{id}"),
            Some(json!({ "display_name": "x" })),
            Some("users.manage"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::DELETE,
            format!("/api/v1/users/{id}"),
            None,
            Some("users.manage"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::GET,
            "/api/v1/roles".into(),
            None,
            Some("users.view"),
            StatusCode::OK,
        ),
        case(
            Method::POST,
            "/api/v1/roles".into(),
            Some(json!({ "name": "Bad Name", "permissions": [] })),
            Some("roles.manage"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        case(
            Method::GET,
            "/api/v1/roles/nope".into(),
            None,
            Some("users.view"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::PATCH,
            "/api/v1/roles/nope".into(),
            Some(json!({ "description": "x" })),
            Some("roles.manage"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::DELETE,
            "/api/v1/roles/nope".into(),
            None,
            Some("roles.manage"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::GET,
            "/api/v1/permissions".into(),
            None,
            Some("users.view"),
            StatusCode::OK,
        ),
        case(
            Method::GET,
            "/api/v1/api-keys".into(),
            None,
            Some("api_keys.manage"),
            StatusCode::OK,
        ),
        case(
            Method::POST,
            "/api/v1/api-keys".into(),
            Some(json!({ "name": "", "role": "viewer" })),
            Some("api_keys.manage"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        case(
            Method::GET,
            format!("/api/v1/api-keys/{id}"),
            None,
            Some("api_keys.manage"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::DELETE,
            format!("/api/v1/api-keys/{id}"),
            None,
            Some("api_keys.manage"),
            StatusCode::NOT_FOUND,
        ),
        case(
            Method::GET,
            "/api/v1/audit-events".into(),
            None,
            Some("audit.view"),
            StatusCode::OK,
        ),
    ]
}

/// Which built-in roles hold each permission these endpoints check (written out here, not
/// derived from the code under test).
fn granted(role: &str, permission: &str) -> bool {
    match permission {
        "users.view" => true,
        "users.manage" | "roles.manage" | "api_keys.manage" | "audit.view" => {
            matches!(role, "owner" | "admin")
        }
        other => panic!("no expectation for {other}"),
    }
}

#[tokio::test]
async fn every_endpoint_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("roles")).await;
    let mut failures = Vec::new();
    for role in ["owner", "admin", "sales", "support", "marketing", "viewer"] {
        let (_, token) = app.user_with_roles(&t, &format!("u-{role}"), &[role]).await;
        for Case {
            method,
            path,
            body,
            permission,
            when_allowed,
        } in endpoints()
        {
            let r = app
                .call(method.clone(), &path, Some(&token), body, &[])
                .await;
            let expected = match permission {
                Some(p) if !granted(role, p) => StatusCode::FORBIDDEN,
                _ => when_allowed,
            };
            if r.status != expected {
                failures.push(format!(
                    "{role}: {method} {path} -> {} (expected {expected})",
                    r.status
                ));
            }
            if r.status == StatusCode::FORBIDDEN {
                assert_eq!(r.problem(), "forbidden");
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.stop().await;
}

#[tokio::test]
async fn custom_roles_grant_exactly_their_permissions_and_changes_apply_at_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("custom")).await;
    let r = app
        .post(
            "/api/v1/roles",
            &t.owner_token,
            json!({ "name": "auditor", "description": "Reads the audit log", "permissions": ["audit.view"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (_, token) = app.user_with_roles(&t, "aud", &["auditor"]).await;
    assert_eq!(
        app.get("/api/v1/audit-events", &token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/users", &token).await.status,
        StatusCode::FORBIDDEN
    );
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.body["permissions"], json!(["audit.view"]));

    let r = app
        .patch(
            "/api/v1/roles/auditor",
            &t.owner_token,
            json!({ "permissions": ["users.view"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/audit-events", &token).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/users", &token).await.status,
        StatusCode::OK
    );

    // Built-in roles are fixed; names of built-in roles cannot be taken.
    let r = app
        .patch(
            "/api/v1/roles/admin",
            &t.owner_token,
            json!({ "permissions": [] }),
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "built-in-role")
    );
    let r = app
        .post(
            "/api/v1/roles",
            &t.owner_token,
            json!({ "name": "admin", "permissions": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            "/api/v1/roles",
            &t.owner_token,
            json!({ "name": "auditor", "permissions": [] }),
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "role-exists")
    );
    let r = app
        .post(
            "/api/v1/roles",
            &t.owner_token,
            json!({ "name": "bad_perm", "permissions": ["clients.fly"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["pointer"], "/permissions/0");

    // Deleting the role removes it from its holders.
    assert_eq!(
        app.delete("/api/v1/roles/auditor", &t.owner_token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/users", &token).await.status,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

#[tokio::test]
async fn admins_cannot_hand_out_owner() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("esc")).await;
    let (_, admin) = app.user_with_roles(&t, "adm", &["admin"]).await;
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({ "email": "new@esc.example", "display_name": "New", "roles": ["owner"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .post(
            "/api/v1/api-keys",
            &admin,
            json!({ "name": "k", "role": "owner" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/users",
            &t.owner_token,
            json!({ "email": "new@esc.example", "display_name": "New", "roles": ["owner"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn api_keys_act_with_their_role_until_revoked() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("keys")).await;
    let r = app
        .post(
            "/api/v1/api-keys",
            &t.owner_token,
            json!({ "name": "reporting", "role": "viewer" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.body["secret"].as_str().expect("secret").to_owned();
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert!(secret.starts_with("crm_"));
    // Stored hashed: the secret's random part is nowhere in the table.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_hash FROM api_keys WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.owner)
            .await
            .expect("row");
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&secret[secret.len() - 20..]));

    assert_eq!(
        app.get("/api/v1/users", &secret).await.status,
        StatusCode::OK
    );
    let me = app.get("/api/v1/me", &secret).await;
    assert_eq!(me.body["kind"], "api_key");
    let r = app
        .post(
            "/api/v1/users",
            &secret,
            json!({ "email": "a@b.example", "display_name": "A" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A wrong secret for a real key id is refused.
    let forged = format!("{}x", &secret[..secret.len() - 1]);
    assert_eq!(
        app.get("/api/v1/users", &forged).await.status,
        StatusCode::UNAUTHORIZED
    );

    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{id}"), &t.owner_token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/users", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
    let listed = app.get("/api/v1/api-keys", &t.owner_token).await;
    assert!(listed.body["data"][0]["revoked_at"].is_string());
    assert!(!listed.text.contains(&secret));
    app.stop().await;
}
