//! Tenant isolation: another tenant's ids are 404 and change nothing; no tenant, no rows.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

const TENANT_TABLES: &[&str] = &[
    "users",
    "roles",
    "user_roles",
    "auth_sessions",
    "refresh_tokens",
    "api_keys",
    "audit_events",
    "idempotency_keys",
];

#[tokio::test]
async fn foreign_ids_are_not_found_and_untouched() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("a")).await;
    let b = app.tenant(&slug("b")).await;
    let (b_user, _) = app.user_with_roles(&b, "bob", &["sales"]).await;
    let role = app
        .post(
            "/api/v1/roles",
            &b.owner_token,
            json!({ "name": "b_only", "permissions": ["clients.view"] }),
        )
        .await;
    assert_eq!(role.status, StatusCode::CREATED, "{}", role.text);
    let key = app
        .post(
            "/api/v1/api-keys",
            &b.owner_token,
            json!({ "name": "b key", "role": "viewer" }),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.text);
    let b_key = key.body["id"].as_str().expect("id").to_owned();

    let before: Vec<i64> =
        futures::future::join_all(TENANT_TABLES.iter().map(|t| app.count(t, b.id))).await;

    let cases: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/users/{b_user}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{b_user}"),
            Some(json!({ "display_name": "pwned" })),
        ),
        (Method::DELETE, format!("/api/v1/users/{b_user}"), None),
        (Method::GET, "/api/v1/roles/b_only".into(), None),
        (
            Method::PATCH,
            "/api/v1/roles/b_only".into(),
            Some(json!({ "permissions": [] })),
        ),
        (Method::DELETE, "/api/v1/roles/b_only".into(), None),
        (Method::GET, format!("/api/v1/api-keys/{b_key}"), None),
        (Method::DELETE, format!("/api/v1/api-keys/{b_key}"), None),
    ];
    for (method, path, body) in cases {
        let r = app
            .call(method.clone(), &path, Some(&a.owner_token), body, &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.text
        );
        assert_eq!(r.problem(), "not-found");
    }
    // Lists never show the other tenant's rows.
    for path in [
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/audit-events?limit=100",
    ] {
        let r = app.get(path, &a.owner_token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            !r.text.contains(&b_user.to_string()),
            "{path} leaks b's user"
        );
        assert!(!r.text.contains(&b_key), "{path} leaks b's key");
        assert!(!r.text.contains(&b.slug), "{path} leaks b's slug");
    }
    let roles = app.get("/api/v1/roles", &a.owner_token).await;
    assert!(!roles.text.contains("b_only"));
    // Assigning another tenant's custom role is refused as unknown.
    let r = app
        .post(
            "/api/v1/users",
            &a.owner_token,
            json!({ "email": "x@a.example", "display_name": "X", "roles": ["b_only"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let after: Vec<i64> =
        futures::future::join_all(TENANT_TABLES.iter().map(|t| app.count(t, b.id))).await;
    assert_eq!(before, after, "tenant b's rows changed");
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(b_user)
        .fetch_one(&app.owner)
        .await
        .expect("row");
    assert_eq!(name, "bob");
    app.stop().await;
}

#[tokio::test]
async fn the_app_role_sees_nothing_without_a_tenant() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("a")).await;
    let _b = app.tenant(&slug("b")).await;
    for table in TENANT_TABLES {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&app.app_pool)
                .await
                .expect("count");
        assert_eq!(n, 0, "{table} visible without a tenant");
    }
    // With a tenant set, only that tenant's rows.
    let mut tx = app.app_pool.begin().await.expect("tx");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(a.id.to_string())
        .execute(&mut *tx)
        .await
        .expect("set");
    let tenants: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT DISTINCT tenant_id FROM users")
        .fetch_all(&mut *tx)
        .await
        .expect("users");
    assert_eq!(tenants, vec![a.id]);
    // Writing a row for another tenant is refused by the policy's WITH CHECK.
    let err = sqlx::query("INSERT INTO roles (tenant_id, name) VALUES ($1, 'sneaky')")
        .bind(_b.id)
        .execute(&mut *tx)
        .await
        .expect_err("insert must fail");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);
    // The app role does not own the tables and cannot bypass RLS.
    let (bypass, owns): (bool, i64) = sqlx::query_as(
        "SELECT rolbypassrls, (SELECT count(*) FROM pg_tables WHERE tableowner = 'crm_app')
           FROM pg_roles WHERE rolname = 'crm_app'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("role");
    assert!(!bypass);
    assert_eq!(owns, 0);
    app.stop().await;
}

#[tokio::test]
async fn the_search_function_answers_only_the_callers_tenant() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("sa")).await;
    let b = app.tenant(&slug("sb")).await;
    for (t, name) in [(&a, "Talleres Alfa"), (&b, "Talleres Beta")] {
        let r = app
            .post(
                "/api/v1/clients",
                &t.owner_token,
                json!({ "company_name": name }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let search = |tenant: Option<uuid::Uuid>| {
        let pool = app.app_pool.clone();
        async move {
            let mut tx = pool.begin().await.expect("tx");
            if let Some(t) = tenant {
                sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                    .bind(t.to_string())
                    .execute(&mut *tx)
                    .await
                    .expect("set");
            }
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT company_name FROM clients
                  WHERE id = ANY(ARRAY(SELECT client_search_ids('talleres', NULL)))
                  ORDER BY 1",
            )
            .fetch_all(&mut *tx)
            .await
            .expect("search");
            // A typo of both words: only the vocabulary path finds it.
            let typo: i64 =
                sqlx::query_scalar("SELECT count(*) FROM client_search_ids('taleres alfa', NULL)")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("typo");
            // One edit from "alfa", and no trigram close enough: only the edit-distance path.
            let edit: i64 =
                sqlx::query_scalar("SELECT count(*) FROM client_search_ids('alfq', NULL)")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("edit");
            let similar: i64 =
                sqlx::query_scalar("SELECT count(*) FROM client_similar_ids('talleres')")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("similar");
            let words: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT word FROM search_vocabulary WHERE word IN ('alfa', 'beta') ORDER BY 1",
            )
            .fetch_all(&mut *tx)
            .await
            .expect("words");
            let ids: i64 =
                sqlx::query_scalar("SELECT count(*) FROM client_search_ids('talleres', NULL)")
                    .fetch_one(&mut *tx)
                    .await
                    .expect("ids");
            assert_eq!(similar, ids, "{tenant:?}");
            (names, ids, typo, edit, words)
        }
    };
    assert_eq!(
        search(Some(a.id)).await,
        (
            vec!["Talleres Alfa".to_owned()],
            1,
            1,
            1,
            vec!["alfa".to_owned()]
        )
    );
    assert_eq!(
        search(Some(b.id)).await,
        (
            vec!["Talleres Beta".to_owned()],
            1,
            0,
            0,
            vec!["beta".to_owned()]
        )
    );
    assert_eq!(search(None).await, (vec![], 0, 0, 0, vec![]));
    // The function's owner reads only the searchable columns, and the app cannot become it.
    let (can_read_name, app_is_member): (bool, bool) = sqlx::query_as(
        "SELECT has_column_privilege('crm_search', 'clients', 'company_name', 'SELECT'),
                pg_has_role('crm_app', 'crm_search', 'MEMBER')",
    )
    .fetch_one(&app.owner)
    .await
    .expect("privileges");
    assert!(!can_read_name);
    assert!(!app_is_member);
    app.stop().await;
}

#[tokio::test]
async fn every_table_with_a_tenant_id_has_forced_row_level_security() {
    let app = spawn_app().await;
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
          WHERE c.relkind = 'r'
            AND EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
            AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                     AND EXISTS (SELECT 1 FROM pg_policy p
                                  WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'))
          ORDER BY 1",
    )
    .fetch_all(&app.owner)
    .await
    .expect("catalog");
    assert!(unprotected.is_empty(), "{unprotected:?}");
    app.stop().await;
}
