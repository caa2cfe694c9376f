//! Operations: health, readiness, metrics labels, and role changes reaching every process.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ops")).await;
    let r = app.call(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.call(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["postgres"], "ok");

    let uid = app.get("/api/v1/me", &t.owner_token).await.body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.get(&format!("/api/v1/users/{uid}"), &t.owner_token)
        .await;
    let text = scrape_metrics(app.metrics_addr).await;
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/users/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("db_pool_connections"));
    assert!(text.contains("redis_up 1"));
    assert!(!text.contains(&uid), "raw ids in metric labels");
    assert!(
        !text.contains(&t.id.to_string()),
        "tenant ids in metric labels"
    );

    // A schema newer than this build (a rolling upgrade migrated it) keeps the process ready.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99991231000000, 'from the future', true, '\\x00', 0)",
    )
    .execute(&app.owner)
    .await
    .expect("insert");
    let r = app.call(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["postgres"], "ok (schema newer than this build)");
    // A schema older than this build (migrations not applied) does not.
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version <> 99991231000000 AND version = (SELECT max(version) FROM _sqlx_migrations WHERE version <> 99991231000000)")
        .execute(&app.owner)
        .await
        .expect("delete");
    let r = app.call(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    app.stop().await;
}

async fn wait_until_allowed(app: &TestApp, token: &str, deadline: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if app.get("/api/v1/audit-events", token).await.status == StatusCode::OK {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn role_changes_reach_other_processes_through_redis_and_without_it() {
    let first = spawn_app().await;
    // Same database, its own enforcer; its timer is too slow to explain a quick change.
    let second = spawn_on(&first.db_name, |c| {
        c.authz_reload_every = Duration::from_secs(60)
    })
    .await;
    // Same database, Redis unreachable, reloading on its timer only.
    let third = spawn_on(&first.db_name, |c| {
        c.redis_url = domain::Secret::new("redis://127.0.0.1:1");
        c.authz_reload_every = Duration::from_secs(1);
    })
    .await;
    let t = first.tenant(&slug("prop")).await;
    let (uid, token) = first.user_with_roles(&t, "pat", &["viewer"]).await;
    // Let the other processes subscribe and learn the user exists.
    second
        .state
        .authz
        .reload(&second.state.db)
        .await
        .expect("reload");
    third
        .state
        .authz
        .reload(&third.state.db)
        .await
        .expect("reload");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        second.get("/api/v1/audit-events", &token).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        third.get("/api/v1/audit-events", &token).await.status,
        StatusCode::FORBIDDEN
    );

    let r = first
        .patch(
            &format!("/api/v1/users/{uid}"),
            &t.owner_token,
            json!({ "roles": ["admin"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        first.get("/api/v1/audit-events", &token).await.status,
        StatusCode::OK
    );
    let via_redis = wait_until_allowed(&second, &token, Duration::from_secs(5)).await;
    assert!(
        via_redis.is_some(),
        "the change never reached the second process"
    );
    let via_timer = wait_until_allowed(&third, &token, Duration::from_secs(10)).await;
    assert!(
        via_timer.is_some(),
        "the change never reached the process without Redis"
    );
    eprintln!("propagation: pubsub {via_redis:?}, timer {via_timer:?}");
    third.stop().await;
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn a_statement_past_its_time_limit_is_cancelled_and_the_request_answers_503_having_changed_nothing()
 {
    let app = spawn_app_with(|c| c.statement_timeout = Duration::from_secs(1)).await;
    let t = app.tenant(&slug("timeout")).await;
    // Another transaction holds the client's row: an update waits for it until Postgres
    // cancels the statement.
    let (path, hold) = held_client(&app, &t.owner_token, "Lento S.L.").await;
    let etag = app
        .get(&path, &t.owner_token)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let audit_before = app.count("audit_events", t.id).await;
    let events_before = app.count("timeline_events", t.id).await;

    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(&t.owner_token),
            Some(json!({ "sector": "retail" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.problem(), "timeout");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(
        app.lock_waits().await,
        0,
        "the cancelled update still waits"
    );
    hold.rollback().await.expect("release");
    let after = app.get(&path, &t.owner_token).await;
    assert_eq!(
        after.body["sector"],
        serde_json::Value::Null,
        "{}",
        after.text
    );
    assert_eq!(after.header("etag"), Some(etag.as_str()));

    // A create whose commit waits on the tenant's held client counters: the COMMIT is
    // cancelled, so nothing is saved, and its Idempotency-Key is released: repeated with the
    // same key once the counters are free, it runs, once.
    let hold = app.hold_client_counters(t.id).await;
    let create = || {
        app.call(
            Method::POST,
            "/api/v1/clients",
            Some(&t.owner_token),
            Some(json!({ "company_name": "Pausado S.L." })),
            &[("idempotency-key", "create-pausado")],
        )
    };
    let r = create().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.problem(), "timeout");
    hold.rollback().await.expect("release");
    assert_eq!(
        app.count("clients", t.id).await,
        1,
        "the cancelled create was saved"
    );
    assert_eq!(app.count("audit_events", t.id).await, audit_before);
    assert_eq!(app.count("timeline_events", t.id).await, events_before);
    let r = create().await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(app.count("clients", t.id).await, 2);

    let metrics = scrape_metrics(app.metrics_addr).await;
    for line in [
        r#"http_requests_total{method="PATCH",route="/api/v1/clients/{id}",status="503"} 1"#,
        r#"http_requests_total{method="POST",route="/api/v1/clients",status="503"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_request_that_finds_every_database_connection_busy_answers_503_busy() {
    let app = spawn_app_with(|c| {
        c.database_max_connections = 1;
        c.statement_timeout = Duration::from_secs(20);
    })
    .await;
    let t = app.tenant(&slug("busy")).await;
    // An update waits on a held row with the only connection of the pool.
    let (path, hold) = held_client(&app, &t.owner_token, "Ocupado S.L.").await;
    let stuck = app.patch(&path, &t.owner_token, json!({ "sector": "retail" }));
    let other = async {
        eventually(
            "the update to wait on the row",
            Duration::from_secs(30),
            || async { app.lock_waits().await > 0 },
        )
        .await;
        let other = app.get("/api/v1/clients", &t.owner_token).await;
        hold.rollback().await.expect("release");
        other
    };
    let (stuck, other) = tokio::join!(stuck, other);
    assert_eq!(
        other.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        other.text
    );
    assert_eq!(other.problem(), "busy");
    assert_eq!(other.header("retry-after"), Some("1"));
    // The waiting update went through once the row was free (well within its 20 s limit).
    assert_eq!(stuck.status, StatusCode::OK, "{}", stuck.text);
    app.stop().await;
}

#[tokio::test]
async fn a_request_whose_database_connection_is_lost_answers_503_unavailable_having_changed_nothing()
 {
    let app = spawn_app().await;
    let t = app.tenant(&slug("lost")).await;
    let (path, hold) = held_client(&app, &t.owner_token, "Cortado S.L.").await;
    let audit_before = app.count("audit_events", t.id).await;
    // The update waits on the held row; its connection is then cut, as a Postgres restart or
    // a network failure would.
    let cut = app.patch(&path, &t.owner_token, json!({ "sector": "retail" }));
    let terminate = async {
        eventually(
            "the update to wait on the row",
            Duration::from_secs(30),
            || async { app.lock_waits().await > 0 },
        )
        .await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_all(&app.owner)
        .await
        .expect("terminate");
        assert_eq!(killed, vec![true]);
    };
    let (cut, ()) = tokio::join!(cut, terminate);
    assert_eq!(cut.status, StatusCode::SERVICE_UNAVAILABLE, "{}", cut.text);
    assert_eq!(cut.problem(), "unavailable");
    assert_eq!(cut.header("retry-after"), Some("1"));
    hold.rollback().await.expect("release");
    assert_eq!(app.count("audit_events", t.id).await, audit_before);
    // The pool replaced the lost connection: the next request goes through.
    let after = app.get(&path, &t.owner_token).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_eq!(after.body["sector"], serde_json::Value::Null);
    app.stop().await;
}

/// Creates a client and holds its row in another transaction until that one ends: an update
/// of it then waits. Returns the client's path.
async fn held_client(
    app: &TestApp,
    token: &str,
    name: &str,
) -> (String, sqlx::Transaction<'static, sqlx::Postgres>) {
    let created = app
        .post("/api/v1/clients", token, json!({ "company_name": name }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let mut hold = app.owner.begin().await.expect("tx");
    sqlx::query("SELECT 1 FROM clients WHERE id = $1::uuid FOR UPDATE")
        .bind(&id)
        .execute(&mut *hold)
        .await
        .expect("lock the client");
    (format!("/api/v1/clients/{id}"), hold)
}
