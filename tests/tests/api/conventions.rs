//! API conventions: problems for bad input (and nothing written), idempotency keys, If-Match,
//! request ids, OpenAPI and docs.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

async fn snapshot(app: &TestApp, tenant: uuid::Uuid) -> (i64, i64, i64) {
    (
        app.count("users", tenant).await,
        app.count("roles", tenant).await,
        app.count("audit_events", tenant).await,
    )
}

#[tokio::test]
async fn bad_input_gets_its_own_problem_and_writes_nothing() {
    let app = spawn_app_with(|c| c.max_body_bytes = 2048).await;
    let t = app.tenant(&slug("bad")).await;
    let before = snapshot(&app, t.id).await;
    let url = app.url("/api/v1/users");
    let send = |body: String, content_type: &'static str| {
        let req = app
            .http
            .post(&url)
            .bearer_auth(&t.owner_token)
            .header("content-type", content_type)
            .header("x-request-id", "bad-input-1")
            .body(body);
        async move { read(req.send().await.expect("send")).await }
    };

    let r = send(
        r#"{"email": "a@b.example", "display_name": "A", "nickname": "x"}"#.into(),
        "application/json",
    )
    .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown-field")
    );
    assert_eq!(r.body["errors"][0]["pointer"], "/nickname");

    let r = send(r#"{"email": "a@b.example", "#.into(), "application/json").await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::BAD_REQUEST, "malformed-json")
    );

    let r = send(
        r#"{"email": "a@b.example", "display_name": "A"}"#.into(),
        "text/plain",
    )
    .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
    );

    let big = format!(
        r#"{{"email": "a@b.example", "display_name": "{}"}}"#,
        "x".repeat(5000)
    );
    let r = send(big, "application/json").await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large")
    );

    let r = send(
        r#"{"email": 42, "display_name": "A"}"#.into(),
        "application/json",
    )
    .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation-failed")
    );
    assert_eq!(r.body["errors"][0]["pointer"], "/email");

    let r = send(r#"{"display_name": "A"}"#.into(), "application/json").await;
    assert_eq!(r.body["errors"][0]["pointer"], "/email");

    let r = send(
        r#"{"email": "nope", "display_name": "", "roles": ["sales", "wizard"], "password": "short"}"#.into(),
        "application/json",
    )
    .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation-failed")
    );
    let pointers: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for p in ["/email", "/display_name", "/password"] {
        assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
    }
    assert!(
        pointers.iter().any(|p| p.starts_with("/roles/")),
        "{pointers:?}"
    );
    // Every problem carries the same fields.
    for field in ["type", "title", "status", "detail", "request_id"] {
        assert!(!r.body[field].is_null(), "{field}");
    }
    assert_eq!(r.body["request_id"], "bad-input-1");
    assert_eq!(r.header("content-type"), Some("application/problem+json"));

    assert_eq!(
        snapshot(&app, t.id).await,
        before,
        "bad input wrote something"
    );
    app.stop().await;
}

#[tokio::test]
async fn idempotency_replays_conflicts_and_mismatches() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("idem")).await;
    let body = json!({ "name": "closers", "permissions": ["clients.view"] });
    let post = |body: serde_json::Value, key: &'static str| {
        let t = t.clone();
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/roles",
                Some(&t.owner_token),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let first = post(body.clone(), "k-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.header("idempotent-replayed").is_none());
    let replay = post(body.clone(), "k-1").await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.header("etag"), first.header("etag"));
    assert_eq!(app.count("roles", t.id).await, 1);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'role.created'")
            .fetch_one(&app.owner)
            .await
            .expect("count");
    assert_eq!(audited, 1);

    let other = post(json!({ "name": "others", "permissions": [] }), "k-1").await;
    assert_eq!(
        (other.status, other.problem()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused")
    );
    assert_eq!(app.count("roles", t.id).await, 1);

    // A request still in flight with the same key: simulated by holding its key's lock.
    let in_flight = json!({ "name": "pending", "permissions": [] });
    let owner_id = app.get("/api/v1/me", &t.owner_token).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut holder = app.owner.begin().await.expect("tx");
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("idempotency:{}:user:{owner_id}:k-2", t.id))
        .execute(&mut *holder)
        .await
        .expect("lock");
    let busy = post(in_flight, "k-2").await;
    assert_eq!(
        (busy.status, busy.problem()),
        (StatusCode::CONFLICT, "idempotency-in-progress")
    );

    // Truly concurrent duplicates: exactly one user is created.
    let invite = json!({ "email": "race@idem.example", "display_name": "Race", "password": "long-enough-password" });
    let results = futures::future::join_all((0..6).map(|_| {
        let invite = invite.clone();
        app.call(
            Method::POST,
            "/api/v1/users",
            Some(&t.owner_token),
            Some(invite),
            &[("idempotency-key", "race")],
        )
    }))
    .await;
    for r in &results {
        assert!(
            matches!(r.status, StatusCode::CREATED | StatusCode::CONFLICT),
            "{}",
            r.text
        );
    }
    let created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'race@idem.example'")
            .fetch_one(&app.owner)
            .await
            .expect("count");
    assert_eq!(created, 1);
    let ids: std::collections::HashSet<String> = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .map(|r| r.body["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "every success is the same user");
    app.stop().await;
}

#[tokio::test]
async fn if_match_guards_updates() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("etag")).await;
    let (uid, _) = app.user_with_roles(&t, "eve", &["viewer"]).await;
    let path = format!("/api/v1/users/{uid}");
    let r = app.get(&path, &t.owner_token).await;
    let etag = r.header("etag").expect("etag").to_owned();

    let stale = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "display_name": "Eve 2" })),
            &[("if-match", "\"999\"")],
        )
        .await;
    assert_eq!(
        (stale.status, stale.problem()),
        (StatusCode::PRECONDITION_FAILED, "precondition-failed")
    );
    assert_eq!(
        app.get(&path, &t.owner_token).await.body["display_name"],
        "eve"
    );

    let ok = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "display_name": "Eve 2" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let new_etag = ok.header("etag").expect("etag").to_owned();
    assert_ne!(new_etag, etag);
    // The old tag is now stale.
    let again = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "display_name": "Eve 3" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(again.status, StatusCode::PRECONDITION_FAILED);
    let del = app
        .call(
            Method::DELETE,
            &path,
            Some(&t.owner_token),
            None,
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(del.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.get(&path, &t.owner_token).await.body["display_name"],
        "Eve 2"
    );
    app.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::GET,
            "/healthz",
            None,
            None,
            &[("x-request-id", "abc-123")],
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    let r = app.call(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!(r.header("x-request-id").map(str::len), Some(32));
    let r = app
        .call(
            Method::GET,
            "/healthz",
            None,
            None,
            &[("x-request-id", "bad id with spaces")],
        )
        .await;
    assert_ne!(r.header("x-request-id"), Some("bad id with spaces"));
    let r = app
        .call(Method::GET, "/api/v1/nothing-here", None, None, &[])
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::NOT_FOUND, "not-found")
    );
    let r = app
        .call(Method::PUT, "/api/v1/auth/login", None, None, &[])
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed")
    );
    let r = app
        .call(Method::GET, "/api/v1/users?limit=%zz", Some("x"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn openapi_describes_the_api_and_docs_are_served_locally() {
    let app = spawn_app().await;
    let r = app
        .call(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["openapi"]
            .as_str()
            .expect("version")
            .starts_with("3.1")
    );
    let paths = r.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/roles",
        "/api/v1/roles/{name}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/audit-events",
    ] {
        assert!(paths.contains_key(p), "{p} not documented");
    }
    assert!(r.body["components"]["securitySchemes"]["bearer"].is_object());

    let page = app.call(Method::GET, "/docs", None, None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("http://") && !page.text.contains("https://"),
        "docs load remote assets"
    );
    let mut assets = 0;
    for attr in ["src=\"", "href=\""] {
        for part in page.text.split(attr).skip(1) {
            let url = part.split('"').next().expect("url");
            let a = app.call(Method::GET, url, None, None, &[]).await;
            assert_eq!(
                a.status,
                StatusCode::OK,
                "{url} not served (run scripts/assets.sh)"
            );
            assert!(a.text.len() > 20, "{url} is empty");
            assets += 1;
        }
    }
    assert!(assets >= 3);
    app.stop().await;
}
