//! Nobody grants what they do not hold (issue 12): for each built-in role below owner and a
//! custom role that manages users, roles and keys, every escalation path is refused with 403
//! and changes nothing; the same requests from a holder of the permissions go through.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

/// A signed-in caller and what it must not be able to hand out.
struct Caller {
    role: &'static str,
    id: Uuid,
    token: String,
    /// A role granting a permission the caller lacks.
    stronger: &'static str,
    /// A permission the caller lacks.
    lacking: &'static str,
}

/// The tenant's grants as one text: roles and their permissions, who holds which role, users'
/// statuses, API keys and their roles.
async fn grants_snapshot(app: &TestApp, tenant: Uuid) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws(E'\\n',
           (SELECT string_agg(name || ':' || array_to_string(permissions, ','), ';' ORDER BY name)
              FROM roles WHERE tenant_id = $1),
           (SELECT string_agg(user_id || ':' || role_name, ';' ORDER BY user_id, role_name)
              FROM user_roles WHERE tenant_id = $1),
           (SELECT string_agg(id || ':' || status || ':' || (deleted_at IS NULL), ';' ORDER BY id)
              FROM users WHERE tenant_id = $1),
           (SELECT string_agg(name || ':' || role_name || ':' || (revoked_at IS NULL), ';' ORDER BY id)
              FROM api_keys WHERE tenant_id = $1))",
    )
    .bind(tenant)
    .fetch_one(&app.owner)
    .await
    .expect("snapshot")
}

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.owner)
        .await
        .expect("user")
}

/// Every way of handing out `stronger` or `lacking`, as (what, method, path, body).
fn escalations(c: &Caller, victim: Uuid, owner: Uuid) -> Vec<(String, Method, String, Value)> {
    let users = |id: Uuid| format!("/api/v1/users/{id}");
    let mut paths = vec![
        (
            "create a role with a permission it lacks".into(),
            Method::POST,
            "/api/v1/roles".into(),
            json!({ "name": "escalated", "permissions": ["clients.view", c.lacking] }),
        ),
        (
            "edit a role to add a permission it lacks".into(),
            Method::PATCH,
            "/api/v1/roles/low".into(),
            json!({ "permissions": ["clients.view", c.lacking] }),
        ),
        (
            format!("assign {} to itself", c.stronger),
            Method::PATCH,
            users(c.id),
            json!({ "roles": [c.role, c.stronger] }),
        ),
        (
            "assign the all-permissions custom role to itself".into(),
            Method::PATCH,
            users(c.id),
            json!({ "roles": ["full"] }),
        ),
        (
            format!("assign {} to another user", c.stronger),
            Method::PATCH,
            users(victim),
            json!({ "roles": [c.stronger] }),
        ),
        (
            format!("invite a user as {}", c.stronger),
            Method::POST,
            "/api/v1/users".into(),
            json!({ "email": "new@esc.example", "display_name": "New", "roles": [c.stronger] }),
        ),
        (
            format!("mint an API key with {}", c.stronger),
            Method::POST,
            "/api/v1/api-keys".into(),
            json!({ "name": "escalated", "role": c.stronger }),
        ),
        (
            "demote the owner".into(),
            Method::PATCH,
            users(owner),
            json!({ "roles": ["viewer"] }),
        ),
        (
            "disable the owner".into(),
            Method::PATCH,
            users(owner),
            json!({ "status": "disabled" }),
        ),
        (
            "delete the owner".into(),
            Method::DELETE,
            users(owner),
            Value::Null,
        ),
    ];
    if c.role == "team-lead" {
        // Holds roles.manage and users.manage: widening its own role is a path too.
        paths.push((
            "widen its own role".into(),
            Method::PATCH,
            "/api/v1/roles/team-lead".into(),
            json!({ "permissions": [
                "users.view", "users.manage", "roles.manage", "api_keys.manage",
                "clients.view", c.lacking
            ] }),
        ));
    }
    paths
}

#[tokio::test]
async fn every_escalation_path_is_refused_for_every_role_below_owner_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("escalate")).await;
    let owner = user_id(&app, &t.owner_email).await;
    app.custom_role(&t, "low", &["clients.view"]).await;
    app.custom_role(&t, "full", domain::permissions::ALL).await;
    app.custom_role(
        &t,
        "team-lead",
        &[
            "users.view",
            "users.manage",
            "roles.manage",
            "api_keys.manage",
            "clients.view",
        ],
    )
    .await;
    let (victim, _) = app.user_with_roles(&t, "victim", &["viewer"]).await;
    let mut callers = Vec::new();
    for (role, stronger, lacking) in [
        ("admin", "owner", "tenant.settings"),
        ("sales", "admin", "roles.manage"),
        ("support", "admin", "users.manage"),
        ("marketing", "admin", "api_keys.manage"),
        ("viewer", "sales", "clients.create"),
        ("team-lead", "admin", "clients.delete"),
    ] {
        let (id, token) = app.user_with_roles(&t, &format!("u-{role}"), &[role]).await;
        callers.push(Caller {
            role,
            id,
            token,
            stronger,
            lacking,
        });
    }

    let before = grants_snapshot(&app, t.id).await;
    let mut failures = Vec::new();
    for c in &callers {
        for (what, method, path, body) in escalations(c, victim, owner) {
            let body = (!body.is_null()).then_some(body);
            let r = app
                .call(method.clone(), &path, Some(&c.token), body, &[])
                .await;
            if (r.status, r.problem()) != (StatusCode::FORBIDDEN, "forbidden") {
                failures.push(format!(
                    "{} could {what} ({method} {path}): {} {}",
                    c.role, r.status, r.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        grants_snapshot(&app, t.id).await,
        before,
        "a refusal changed grants"
    );

    // The same requests are well formed: whoever holds the permissions gets them through.
    let lead = callers
        .iter()
        .find(|c| c.role == "team-lead")
        .expect("lead");
    let (plain, _) = app.user_with_roles(&t, "plain", &["low"]).await;
    let allowed = [
        (
            Method::POST,
            "/api/v1/roles".to_owned(),
            json!({ "name": "readers", "permissions": ["clients.view"] }),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{plain}"),
            json!({ "roles": ["low", "readers"] }),
        ),
        (
            Method::POST,
            "/api/v1/api-keys".to_owned(),
            json!({ "name": "reader", "role": "low" }),
        ),
    ];
    for (method, path, body) in allowed {
        let r = app
            .call(method.clone(), &path, Some(&lead.token), Some(body), &[])
            .await;
        assert!(
            r.status.is_success(),
            "team-lead {method} {path}: {}",
            r.text
        );
    }
    let admin = callers.iter().find(|c| c.role == "admin").expect("admin");
    let r = app
        .patch(
            &format!("/api/v1/users/{victim}"),
            &admin.token,
            json!({ "roles": ["admin"] }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "admin may hand out admin: {}",
        r.text
    );
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/users/{}", admin.id),
            json!({ "roles": ["owner"] }),
        ),
        (
            Method::POST,
            "/api/v1/api-keys".to_owned(),
            json!({ "name": "top", "role": "full" }),
        ),
    ] {
        let r = app
            .call(method.clone(), &path, Some(&t.owner_token), Some(body), &[])
            .await;
        assert!(r.status.is_success(), "owner {method} {path}: {}", r.text);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_refused_grant_names_the_permissions_the_caller_lacks() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("grantmsg")).await;
    let (_, admin) = app.user_with_roles(&t, "adm", &["admin"]).await;
    let r = app
        .post(
            "/api/v1/roles",
            &admin,
            json!({ "name": "settings", "permissions": ["clients.view", "tenant.settings"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let detail = r.body["detail"].as_str().expect("detail");
    assert!(detail.contains("tenant.settings"), "{detail}");
    assert!(!detail.contains("clients.view"), "{detail}");
    app.stop().await;
}
