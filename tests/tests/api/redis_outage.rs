//! Redis is a helper, not a dependency: stopped mid-test, requests keep succeeding; when it
//! returns, the product uses it again.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

async fn readiness(app: &TestApp) -> serde_json::Value {
    app.call(Method::GET, "/readyz", None, None, &[]).await.body
}

#[tokio::test]
async fn requests_succeed_while_redis_is_down_and_it_comes_back() {
    let port = free_port();
    let mut redis = start_redis(port);
    wait_for_port(port).await;
    let app =
        spawn_app_with(|c| c.redis_url = domain::Secret::new(format!("redis://127.0.0.1:{port}")))
            .await;
    let t = app.tenant(&slug("redis")).await;
    assert_eq!(readiness(&app).await["redis"], "ok");

    redis.kill().expect("kill redis");
    redis.wait().expect("reap");

    // Sign-in (rate limits fall back to local counters), reads and writes all still work.
    let s = app.login(&t.slug, &t.owner_email, PASSWORD).await;
    let token = s["access_token"].as_str().expect("at").to_owned();
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let r = app
        .post(
            "/api/v1/roles",
            &token,
            json!({ "name": "while_down", "permissions": ["users.view"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (_, user) = app.user_with_roles(&t, "dora", &["while_down"]).await;
    assert_eq!(app.get("/api/v1/users", &user).await.status, StatusCode::OK);
    let ready = app.call(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!(
        ready.status,
        StatusCode::OK,
        "Redis down must not fail readiness"
    );
    assert_eq!(ready.body["redis"], "degraded");
    assert!(
        scrape_metrics(app.metrics_addr)
            .await
            .contains("redis_up 0")
    );

    let mut redis = start_redis(port);
    wait_for_port(port).await;
    eventually(
        "redis to come back into use",
        Duration::from_secs(15),
        || async { readiness(&app).await["redis"] == "ok" },
    )
    .await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let _ = redis.kill();
    let _ = redis.wait();
    app.stop().await;
}
