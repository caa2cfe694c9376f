//! The `crm` binary end to end: migrate, tenant create, seed-demo, settings errors, serve's
//! graceful shutdown and the worker's heartbeat.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tests::*;

const CRM: &str = env!("CARGO_BIN_EXE_crm");

fn crm(db: &str, args: &[&str], extra: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(CRM);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app_url(db))
        .env("CRM_MIGRATE_DATABASE_URL", owner_url(db))
        .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
        .env("CRM_MASTER_KEYS", test_master_keys())
        .env("CRM_LOG_FORMAT", "json");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("run crm")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn version_names_the_build_and_its_revision() {
    let out = Command::new(CRM)
        .arg("--version")
        .output()
        .expect("run crm");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "crm {} (git {})",
            domain::build_info::VERSION,
            domain::build_info::REVISION
        )
    );
}

#[tokio::test]
async fn migrate_is_idempotent_and_refuses_a_newer_schema() {
    let db = empty_database().await;
    for _ in 0..2 {
        let out = crm(&db, &["migrate"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let owner = sqlx::PgPool::connect(&owner_url(&db)).await.expect("pool");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'apalis')",
    )
    .fetch_one(&owner)
    .await
    .expect("count");
    assert!(tables >= 10, "{tables}");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99991231000000, 'from the future', true, '\\x00', 0)",
    )
    .execute(&owner)
    .await
    .expect("insert");
    let out = crm(&db, &["migrate"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("newer release"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn tenant_create_prints_the_id() {
    let db = fresh_database().await;
    let out = crm(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme S.A.",
            "--admin-email",
            "Boss@Acme.Example",
            "--admin-password",
            "a-long-password",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id: uuid::Uuid = text(&out.stdout).trim().parse().expect("a tenant id");
    let owner = sqlx::PgPool::connect(&owner_url(&db)).await.expect("pool");
    let (email, hash, role): (String, String, String) = sqlx::query_as(
        "SELECT u.email, u.password_hash, r.role_name FROM users u
           JOIN user_roles r ON r.tenant_id = u.tenant_id AND r.user_id = u.id WHERE u.tenant_id = $1",
    )
    .bind(id)
    .fetch_one(&owner)
    .await
    .expect("owner");
    assert_eq!(email, "boss@acme.example");
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(role, "owner");

    let again = crm(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "acme",
            "--name",
            "X",
            "--admin-email",
            "a@b.example",
            "--admin-password",
            "a-long-password",
        ],
        &[],
    );
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"));
    let bad = crm(
        &db,
        &[
            "tenant",
            "create",
            "--slug",
            "Bad Slug!",
            "--name",
            "X",
            "--admin-email",
            "a@b.example",
            "--admin-password",
            "a-long-password",
        ],
        &[],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("slug"), "{}", text(&bad.stderr));
}

/// The CLI applies the API's password rule, naming why, and creates nothing.
#[tokio::test]
async fn tenant_create_refuses_a_weak_password() {
    let db = fresh_database().await;
    for (password, reason) in [
        ("1234567890", "common"),
        ("          ", "spaces"),
        ("Wombat-Quasar!", "tenant's name"),
    ] {
        let out = crm(
            &db,
            &[
                "tenant",
                "create",
                "--slug",
                "wombat-quasar",
                "--name",
                "Wombat Quasar S.L.",
                "--admin-email",
                "boss@orbit.example",
                "--admin-password",
                password,
            ],
            &[],
        );
        assert!(!out.status.success(), "{password:?} was accepted");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("admin_password"), "{stderr}");
        assert!(stderr.contains(reason), "{password:?}: {stderr}");
    }
    let owner = sqlx::PgPool::connect(&owner_url(&db)).await.expect("pool");
    let tenants: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(tenants, 0);
}

#[tokio::test]
async fn seed_demo_creates_a_user_per_role_once() {
    let db = fresh_database().await;
    let out = crm(&db, &["seed-demo"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    for role in ["owner", "admin", "sales", "support", "marketing", "viewer"] {
        assert!(shown.contains(&format!("{role}@demo.example")), "{shown}");
    }
    let again = crm(&db, &["seed-demo"], &[]);
    assert!(text(&again.stdout).starts_with("Found"));
    let owner = sqlx::PgPool::connect(&owner_url(&db)).await.expect("pool");
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT role_name FROM user_roles ORDER BY role_name")
            .fetch_all(&owner)
            .await
            .expect("roles");
    assert_eq!(
        roles,
        ["admin", "marketing", "owner", "sales", "support", "viewer"]
    );
}

#[test]
fn settings_errors_name_the_setting_and_serve_needs_a_key() {
    let mut cmd = Command::new(CRM);
    let out = cmd
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://crm_app@127.0.0.1/none")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("CRM_JWT_PRIVATE_KEY"),
        "{}",
        text(&out.stderr)
    );

    let out = Command::new(CRM)
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://crm_app@127.0.0.1/none")
        .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
        .env("CRM_MASTER_KEYS", test_master_keys())
        .env("CRM_HTTP_ADDR", "nowhere")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("CRM_HTTP_ADDR"), "{err}");
    assert!(
        !err.contains("PRIVATE KEY-----"),
        "the key leaked into the error"
    );
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/readyz"))
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "crm serve never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sigterm_turns_readiness_off_finishes_in_flight_and_exits() {
    let db = fresh_database().await;
    let pool = sqlx::PgPool::connect(&app_url(&db)).await.expect("pool");
    provision_tenant(&pool, "drain", "Drain", "o@drain.example").await;
    let (port, metrics) = (free_port(), free_port());
    let mut child = tokio::process::Command::new(CRM)
        .arg("serve")
        .env("DATABASE_URL", app_url(&db))
        .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
        .env("CRM_MASTER_KEYS", test_master_keys())
        .env("CRM_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CRM_METRICS_ADDR", format!("127.0.0.1:{metrics}"))
        .env("CRM_SHUTDOWN_DELAY", "1")
        .env("CRM_SHUTDOWN_GRACE", "6")
        .env("CRM_LOGIN_LIMIT_PER_IP", "1000")
        .env("CRM_LOGIN_LIMIT_PER_ACCOUNT", "1000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let client = reqwest::Client::new();
    let logins = (0..8).map(|_| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "tenant": "drain", "email": "o@drain.example", "password": PASSWORD }))
            .send()
    });
    let in_flight = tokio::spawn(futures::future::join_all(logins));
    tokio::time::sleep(Duration::from_millis(30)).await;
    let pid = child.id().expect("pid").to_string();
    let signalled = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("still accepting during the delay");
    assert_eq!(ready.status(), 503);
    for r in in_flight.await.expect("join") {
        assert_eq!(r.expect("in-flight request completed").status(), 200);
    }
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exited within the grace period")
        .expect("status");
    assert!(status.success());
    assert!(
        signalled.elapsed() < Duration::from_secs(7),
        "{:?}",
        signalled.elapsed()
    );
}

#[tokio::test]
async fn the_worker_runs_heartbeat_jobs_and_exports_metrics() {
    let db = fresh_database().await;
    let metrics = free_port();
    let mut child = tokio::process::Command::new(CRM)
        .arg("worker")
        .env("DATABASE_URL", app_url(&db))
        .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
        .env("CRM_MASTER_KEYS", test_master_keys())
        .env("CRM_WORKER_METRICS_ADDR", format!("127.0.0.1:{metrics}"))
        .env("CRM_WORKER_HEARTBEAT_SECS", "1")
        .env("CRM_WORKER_ID", "worker-under-test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let owner = sqlx::PgPool::connect(&owner_url(&db)).await.expect("pool");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let beats: Option<i64> = sqlx::query_scalar(
            "SELECT beats FROM worker_heartbeats WHERE worker_id = 'worker-under-test'",
        )
        .fetch_optional(&owner)
        .await
        .expect("query");
        if beats.unwrap_or(0) >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no heartbeat processed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let text = reqwest::get(format!("http://127.0.0.1:{metrics}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains(r#"worker_jobs_total{kind="heartbeat",outcome="ok"}"#),
        "{text}"
    );
    assert!(text.contains("worker_queue_pending_jobs"));
    let pid = child.id().expect("pid").to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let status = tokio::time::timeout(Duration::from_secs(25), child.wait())
        .await
        .expect("worker exited")
        .expect("status");
    assert!(status.success());
}
