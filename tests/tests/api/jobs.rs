//! Jobs: enqueued in the caller's transaction, kept in Postgres while no worker runs, and
//! processed idempotently.

use std::sync::Arc;
use std::time::Duration;

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

/// A `crm worker` runtime in this process, on the app's database.
struct RunningWorker {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    metrics: std::net::SocketAddr,
}

/// A worker's settings for tests: no periodic heartbeat job, the given name.
fn worker_config(worker_id: &str) -> WorkerConfig {
    WorkerConfig {
        worker_id: worker_id.into(),
        master_keys: domain::Secret::new(test_master_keys()),
        heartbeat_every: Duration::from_secs(3600),
        ..WorkerConfig::default()
    }
}

impl RunningWorker {
    async fn start(app: &TestApp, config: WorkerConfig) -> Self {
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let metrics = listener.local_addr().expect("addr");
        // The worker's own pool, sized as `crm worker` sizes it.
        let pool = app
            .app_pool_of(worker::connections_for(config.concurrency))
            .await;
        let task = tokio::spawn(worker::run(pool, config, listener, async move {
            let _ = stop_rx.await;
        }));
        Self {
            stop,
            task,
            metrics,
        }
    }

    /// Ends the worker as a crash would: no shutdown, no heartbeat from then on.
    async fn crash(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Signals shutdown and waits until `worker::run` has returned.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the worker stopped within its grace")
            .expect("the worker task")
            .expect("the worker ran without error");
    }
}

/// How long a worker may take to get to a job.
const JOB_WAIT: Duration = Duration::from_secs(20);

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
    let runner = RunningWorker::start(&app, worker_config("test-worker")).await;
    eventually("the queued job to run", JOB_WAIT, || async {
        let beats: Option<i64> = sqlx::query_scalar(
            "SELECT beats FROM worker_heartbeats WHERE worker_id = 'from-a-transaction'",
        )
        .fetch_optional(&app.owner)
        .await
        .expect("query");
        beats == Some(1)
    })
    .await;
    runner.stop().await;
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
        redis: None,
        ciphers: worker::cipher_cache(),
        metrics: Arc::new(WorkerMetrics::new().expect("metrics")),
        providers: worker::real_providers(Default::default(), None).expect("providers"),
        calendars: worker::calendar_sync::calendar_sync(Default::default()).expect("calendars"),
        stopping: worker::never_stopping(),
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

/// The import job of `import_id`: its status, who holds it, and how often it was handed out.
async fn import_job(app: &TestApp, import_id: &str) -> (String, Option<String>, i32) {
    sqlx::query_as(
        "SELECT status, lock_by, attempts FROM apalis.jobs
          WHERE job_type = $1 AND convert_from(job, 'UTF8')::jsonb ->> 'import_id' = $2",
    )
    .bind(worker::queue::QUEUE)
    .bind(import_id)
    .fetch_one(&app.owner)
    .await
    .expect("the import's job")
}

/// How many attempts the import's job has left before it gives up.
async fn attempts_left(app: &TestApp, import_id: &str) -> i32 {
    sqlx::query_scalar(
        "SELECT max_attempts - attempts FROM apalis.jobs
          WHERE job_type = $1 AND convert_from(job, 'UTF8')::jsonb ->> 'import_id' = $2",
    )
    .bind(worker::queue::QUEUE)
    .bind(import_id)
    .fetch_one(&app.owner)
    .await
    .expect("the import's job")
}

/// An import of three rows whose job, once a worker takes it, waits at its first statement
/// until the returned transaction (holding the import's row) ends.
async fn held_import(
    app: &TestApp,
    t: &TenantFixture,
) -> (String, sqlx::Transaction<'static, sqlx::Postgres>) {
    let r =
        crate::imports::upload(app, &t.owner_token, "company_name\nUno\nDos\nTres\n", false).await;
    assert_eq!(r.status, reqwest::StatusCode::ACCEPTED, "{}", r.text);
    let import_id = r.body["id"].as_str().expect("id").to_owned();
    let mut hold = app.owner.begin().await.expect("tx");
    sqlx::query("SELECT 1 FROM client_imports WHERE id = $1::uuid FOR UPDATE")
        .bind(&import_id)
        .execute(&mut *hold)
        .await
        .expect("lock the import");
    (import_id, hold)
}

/// Waits until `worker` runs the import's job and the job waits on the held row.
async fn running_in(app: &TestApp, import_id: &str, worker: &str) {
    let what = format!("the job to be waiting inside {worker}");
    eventually(&what, JOB_WAIT, || async {
        // Apalis marks a fetched job Running only when it gets round to it: either will do.
        let (status, lock_by, _) = import_job(app, import_id).await;
        matches!(status.as_str(), "Queued" | "Running")
            && lock_by.is_some_and(|by| by == worker || by.starts_with(&format!("{worker}-")))
            && app.lock_waits().await > 0
    })
    .await;
}

/// Waits for the imports' jobs to be done, then checks each row was imported once.
async fn imported_once(app: &TestApp, t: &TenantFixture, import_ids: &[&str]) {
    for id in import_ids {
        eventually("a worker to finish the import", JOB_WAIT, || async {
            import_job(app, id).await.0 == "Done"
        })
        .await;
        let imported: (String, i32) =
            sqlx::query_as("SELECT status, imported_rows FROM client_imports WHERE id = $1::uuid")
                .bind(id)
                .fetch_one(&app.owner)
                .await
                .expect("import");
        assert_eq!(imported, ("done".to_owned(), 3));
    }
    assert_eq!(
        app.count("clients", t.id).await,
        3 * import_ids.len() as i64,
        "each row imported once"
    );
}

#[tokio::test]
async fn a_job_cut_short_by_shutdown_is_queued_again_at_once_and_finished_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cut")).await;
    let (import_id, hold) = held_import(&app, &t).await;
    let first = RunningWorker::start(
        &app,
        WorkerConfig {
            shutdown_grace: Duration::from_secs(1),
            ..worker_config("worker-cut")
        },
    )
    .await;
    running_in(&app, &import_id, "worker-cut").await;
    first.stop().await;
    let (status, lock_by, attempts) = import_job(&app, &import_id).await;
    assert_eq!(
        (status.as_str(), lock_by),
        ("Pending", None),
        "a job cut short must not wait for its worker to be declared dead"
    );
    assert_eq!(attempts, 1, "the cut run is recorded");
    assert_eq!(
        attempts_left(&app, &import_id).await,
        25,
        "a shutdown does not use up the job's attempts"
    );
    hold.rollback().await.expect("release the import");

    let second = RunningWorker::start(&app, worker_config("worker-next")).await;
    imported_once(&app, &t, &[&import_id]).await;
    second.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_busy_worker_keeps_its_job_hoards_none_and_a_crashed_ones_go_to_another() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("dead")).await;
    let window = Duration::from_secs(3);
    let (one, hold_one) = held_import(&app, &t).await;
    let (two, hold_two) = held_import(&app, &t).await;
    let busy = RunningWorker::start(
        &app,
        WorkerConfig {
            concurrency: 1,
            dead_after: window,
            ..worker_config("worker-busy")
        },
    )
    .await;
    // It takes the oldest job into its only slot, and leaves the other one on the queue: held
    // back in its buffer (as a batch fetch would), the job would wait for the slot while idle
    // workers could run it, and the queue library's own heartbeat would pause meanwhile.
    running_in(&app, &one, "worker-busy").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        import_job(&app, &two).await,
        ("Pending".to_owned(), None, 0),
        "the busy worker hoarded a job"
    );
    let other = RunningWorker::start(
        &app,
        WorkerConfig {
            dead_after: window,
            ..worker_config("worker-other")
        },
    )
    .await;
    running_in(&app, &two, "worker-other").await;
    tokio::time::sleep(window * 2).await;
    let (_, lock_by, attempts) = import_job(&app, &one).await;
    assert_eq!(
        (lock_by.as_deref(), attempts),
        (Some("worker-busy"), 0),
        "a worker alive but busy was declared dead and its job taken"
    );

    busy.crash().await;
    running_in(&app, &one, "worker-other").await;
    hold_one.rollback().await.expect("release the import");
    hold_two.rollback().await.expect("release the import");
    imported_once(&app, &t, &[&one, &two]).await;
    other.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_long_job_stops_between_batches_at_shutdown_and_another_worker_finishes_it() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("stop")).await;
    let mut csv = String::from("company_name\n");
    for i in 0..1200 {
        csv.push_str(&format!("Lote {i:04}\n"));
    }
    let r = crate::imports::upload(&app, &t.owner_token, &csv, false).await;
    assert_eq!(r.status, reqwest::StatusCode::ACCEPTED, "{}", r.text);
    let import_id = r.body["id"].as_str().expect("id").to_owned();
    // Every counter slot of the tenant held: the first 500-row batch waits as it commits.
    let hold = app.hold_client_counters(t.id).await;
    let first = RunningWorker::start(
        &app,
        WorkerConfig {
            shutdown_grace: Duration::from_secs(30),
            ..worker_config("worker-stopping")
        },
    )
    .await;
    running_in(&app, &import_id, "worker-stopping").await;
    let stopped = tokio::spawn(first.stop());
    tokio::time::sleep(Duration::from_millis(500)).await;
    hold.rollback().await.expect("release the counters");
    stopped.await.expect("the worker stopped");

    // It committed the batch it was in (500 rows at most, fewer if they took over a second),
    // then stopped instead of running the rest within its 30 s grace, and the job waits for
    // another worker.
    let (status, processed): (String, i32) =
        sqlx::query_as("SELECT status, processed_rows FROM client_imports WHERE id = $1::uuid")
            .bind(&import_id)
            .fetch_one(&app.owner)
            .await
            .expect("import");
    assert_eq!(status, "running");
    assert!((1..=500).contains(&processed), "{processed} rows processed");
    // Apalis records the stop as a failed attempt, which any worker takes again; the worker
    // gives the attempt back.
    let (job_status, _, attempts) = import_job(&app, &import_id).await;
    assert_eq!((job_status.as_str(), attempts), ("Failed", 1));
    assert_eq!(
        attempts_left(&app, &import_id).await,
        25,
        "a stop for the shutdown does not use up the job's attempts"
    );
    let second = RunningWorker::start(&app, worker_config("worker-after")).await;
    finished_by_another_worker(&app, &import_id).await;
    second.stop().await;
    let imported: (String, i32, i32) = sqlx::query_as(
        "SELECT status, processed_rows, imported_rows FROM client_imports WHERE id = $1::uuid",
    )
    .bind(&import_id)
    .fetch_one(&app.owner)
    .await
    .expect("import");
    assert_eq!(imported, ("done".to_owned(), 1200, 1200));
    assert_eq!(
        app.count("clients", t.id).await,
        1200,
        "each row imported once"
    );
    app.stop().await;
}

/// Waits for the import's job to be done. The rest of a 1,200-row import on a loaded 2-core
/// machine may take a while, so the wait is long, and a timeout says where the job stood.
async fn finished_by_another_worker(app: &TestApp, import_id: &str) {
    let deadline = tokio::time::Instant::now() + 3 * JOB_WAIT;
    loop {
        let job = import_job(app, import_id).await;
        if job.0 == "Done" {
            return;
        }
        let processed: i32 =
            sqlx::query_scalar("SELECT processed_rows FROM client_imports WHERE id = $1::uuid")
                .bind(import_id)
                .fetch_one(&app.owner)
                .await
                .expect("import");
        assert!(
            tokio::time::Instant::now() < deadline,
            "another worker did not finish the import: job {job:?}, {processed} rows processed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_import_batch_commits_once_it_has_run_a_second_however_few_rows_it_has() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("slow-batch")).await;
    // The first row's name is a search word another transaction is adding: writing it waits
    // until that transaction ends, well past the batch's second.
    let mut hold = app.owner.begin().await.expect("tx");
    sqlx::query("INSERT INTO search_vocabulary (tenant_id, word) VALUES ($1, 'zzyzx')")
        .bind(t.id)
        .execute(&mut *hold)
        .await
        .expect("hold the word");
    let r = crate::imports::upload(
        &app,
        &t.owner_token,
        "company_name\nZzyzx\nDos\nTres\n",
        false,
    )
    .await;
    assert_eq!(r.status, reqwest::StatusCode::ACCEPTED, "{}", r.text);
    let import_id = r.body["id"].as_str().expect("id").to_owned();
    let w = RunningWorker::start(&app, worker_config("worker-slow-batch")).await;
    running_in(&app, &import_id, "worker-slow-batch").await;
    tokio::time::sleep(services::live::BATCH_TIME_LIMIT + Duration::from_millis(500)).await;
    hold.rollback().await.expect("release the word");
    imported_once(&app, &t, &[&import_id]).await;
    w.stop().await;
    // The slow row's event committed on its own, not held back with the rows after it.
    let with_first: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM timeline_events e
          WHERE e.tenant_id = $1 AND e.xmin::text = (
                SELECT f.xmin::text FROM timeline_events f
                 WHERE f.tenant_id = $1 AND f.description LIKE 'Zzyzx %')",
    )
    .bind(t.id)
    .fetch_one(&app.owner)
    .await
    .expect("events");
    assert_eq!(with_first, 1, "the batch went on past its time");
    app.stop().await;
}

#[tokio::test]
async fn a_job_already_queued_under_its_key_is_told_apart_from_a_failure() {
    let app = spawn_app().await;
    let key = || Some("purge-idempotency-42".to_owned());
    worker::queue::enqueue_on_pool(&app.app_pool, &Job::PurgeIdempotencyKeys, key())
        .await
        .expect("first");
    let again = worker::queue::enqueue_on_pool(&app.app_pool, &Job::PurgeIdempotencyKeys, key())
        .await
        .expect_err("the key is taken");
    assert!(worker::queue::is_already_queued(&again), "{again:#}");
    assert_eq!(pending(&app).await, 1);
    let closed = app.app_pool.clone();
    closed.close().await;
    let failed = worker::queue::enqueue_on_pool(&closed, &Job::PurgeIdempotencyKeys, None)
        .await
        .expect_err("closed pool");
    assert!(!worker::queue::is_already_queued(&failed), "{failed:#}");
    app.stop().await;
}

#[tokio::test]
async fn a_failed_job_runs_again_later_and_one_out_of_attempts_is_counted() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("retry")).await;
    // A tax id makes the tenant's data key, wrapped by the test's master keys.
    let r = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            serde_json::json!({ "company_name": "Clave S.L.", "tax_id": "B12345674" }),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{}", r.text);
    let r = crate::imports::upload(&app, &t.owner_token, "company_name\nUno\n", false).await;
    assert_eq!(r.status, reqwest::StatusCode::ACCEPTED, "{}", r.text);
    let import_id = r.body["id"].as_str().expect("id").to_owned();
    // A worker with other master keys cannot open that key: the job fails.
    let wrong = RunningWorker::start(
        &app,
        WorkerConfig {
            master_keys: domain::Secret::new(db::crypto::MasterKeys::generate_spec("other")),
            ..worker_config("worker-wrong-keys")
        },
    )
    .await;
    // The failed job as one read sees it (status, attempts and next run together): the retry
    // a few seconds later may have failed again by the time a second read looks.
    let failed = || async {
        sqlx::query_as::<_, (String, i32, i32, f64)>(
            "SELECT status, attempts, max_attempts - attempts,
                    extract(epoch FROM run_at - now())::float8 FROM apalis.jobs
              WHERE convert_from(job, 'UTF8')::jsonb ->> 'import_id' = $1",
        )
        .bind(&import_id)
        .fetch_one(&app.owner)
        .await
        .expect("job")
    };
    eventually("the job to fail", JOB_WAIT, || async {
        failed().await.0 == "Failed"
    })
    .await;
    wrong.stop().await;
    let (_, attempts, left, wait) = failed().await;
    assert!(attempts >= 1, "a failure uses an attempt");
    assert_eq!(left, 25 - attempts, "each failure uses one attempt");
    assert!(
        wait > 0.5 || attempts > 1,
        "the next run is {wait} s away, not later"
    );

    // Out of attempts: the worker's metrics count it, for the alert.
    sqlx::query(
        "UPDATE apalis.jobs SET attempts = max_attempts
          WHERE convert_from(job, 'UTF8')::jsonb ->> 'import_id' = $1",
    )
    .bind(&import_id)
    .execute(&app.owner)
    .await
    .expect("exhaust");
    let probe = RunningWorker::start(&app, worker_config("worker-metrics")).await;
    let metrics = scrape_metrics(probe.metrics).await;
    assert!(
        metrics.lines().any(|l| l == "worker_queue_dead_jobs 1"),
        "{metrics}"
    );
    probe.stop().await;
    app.stop().await;
}
