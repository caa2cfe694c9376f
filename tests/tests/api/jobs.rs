//! Jobs: enqueued in the caller's transaction, kept in Postgres while no worker runs, and
//! processed idempotently.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tests::*;
use worker::{Job, WorkerConfig, WorkerCtx, WorkerMetrics};

async fn pending(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = $1 AND status = 'Pending'",
    )
    .bind(worker::queue::QUEUE)
    .fetch_one(&app.owner)
    .await
    .expect("count")
}

#[tokio::test]
async fn jobs_commit_with_their_transaction_and_survive_until_a_worker_runs() {
    let app = spawn_app().await;
    let job = Job::Heartbeat {
        worker_id: "from-a-transaction".into(),
    };

    let mut tx = app.app_pool.begin().await.expect("tx");
    worker::queue::enqueue(&mut tx, &job, None)
        .await
        .expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert_eq!(
        pending(&app).await,
        0,
        "a rolled-back change left its job behind"
    );

    let mut tx = app.app_pool.begin().await.expect("tx");
    worker::queue::enqueue(&mut tx, &job, None)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    assert_eq!(pending(&app).await, 1);

    // No worker is running: the job waits in Postgres. Start one now.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = WorkerConfig {
        worker_id: "test-worker".into(),
        master_keys: domain::Secret::new(test_master_keys()),
        heartbeat_every: Duration::from_secs(3600),
        ..WorkerConfig::default()
    };
    let runner = tokio::spawn(worker::run(
        app.app_pool.clone(),
        config,
        metrics,
        async move {
            let _ = stop_rx.await;
        },
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let beats: Option<i64> = sqlx::query_scalar(
            "SELECT beats FROM worker_heartbeats WHERE worker_id = 'from-a-transaction'",
        )
        .fetch_optional(&app.owner)
        .await
        .expect("query");
        if beats == Some(1) {
            break;
        }
        assert!(Instant::now() < deadline, "the queued job never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(25), runner).await;
    app.stop().await;
}

#[tokio::test]
async fn purging_idempotency_keys_is_idempotent_and_keeps_fresh_keys() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("purge")).await;
    for (key, age) in [("old", "25 hours"), ("new", "1 hour")] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO idempotency_keys (tenant_id, principal, key, request_hash, state, created_at)
             VALUES ($1, 'user:x', '{key}', '\\x00', 'done', now() - interval '{age}')"
        )))
        .bind(t.id)
        .execute(&app.owner)
        .await
        .expect("insert");
    }
    let ctx = WorkerCtx {
        db: app.app_pool.clone(),
        master_keys: db::crypto::MasterKeys::parse(&test_master_keys()).expect("keys"),
        redis_url: None,
        metrics: Arc::new(WorkerMetrics::new().expect("metrics")),
    };
    for _ in 0..2 {
        worker::run_job(&ctx, &Job::PurgeIdempotencyKeys)
            .await
            .expect("purge");
        let keys: Vec<String> =
            sqlx::query_scalar("SELECT key FROM idempotency_keys WHERE tenant_id = $1")
                .bind(t.id)
                .fetch_all(&app.owner)
                .await
                .expect("keys");
        assert_eq!(keys, vec!["new".to_owned()]);
    }
    app.stop().await;
}
