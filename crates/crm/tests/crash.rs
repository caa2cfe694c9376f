//! `kill -9` of `crm serve` in the middle of a write (issue 12): whatever point the crash hits,
//! a retry with the same Idempotency-Key yields the record exactly once. The write and the
//! key's outcome commit (or roll back) together, so there is no half-done key to take over.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tests::*;
use uuid::Uuid;

const CRM: &str = env!("CARGO_BIN_EXE_crm");
const KEY: &str = "create-once";

/// A `crm serve` process on the test's database.
struct Serve {
    child: tokio::process::Child,
    base: String,
}

impl Serve {
    async fn start(db: &str) -> Self {
        let port = free_port();
        let child = tokio::process::Command::new(CRM)
            .arg("serve")
            .env("DATABASE_URL", app_url(db))
            .env("CRM_JWT_PRIVATE_KEY", test_key_pem())
            .env("CRM_MASTER_KEYS", test_master_keys())
            .env("CRM_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("CRM_METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("CRM_LOGIN_LIMIT_PER_IP", "1000")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn crm serve");
        let base = format!("http://127.0.0.1:{port}");
        eventually("crm serve to be ready", Duration::from_secs(20), || async {
            reqwest::get(format!("{base}/readyz"))
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        Self { child, base }
    }

    /// SIGKILL: no drain, no cleanup, connections cut wherever they are.
    async fn kill9(mut self) {
        self.child.kill().await.expect("kill -9");
    }

    async fn create_client(&self, token: &str) -> reqwest::Result<(StatusCode, bool, Value)> {
        create_client(self.base.clone(), token.to_owned()).await
    }
}

/// Creates the same client under the same Idempotency-Key: (status, replayed, body).
async fn create_client(base: String, token: String) -> reqwest::Result<(StatusCode, bool, Value)> {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/clients"))
        .bearer_auth(token)
        .header("idempotency-key", KEY)
        .json(&json!({ "company_name": "Una Vez S.L." }))
        .send()
        .await?;
    let replayed = res.headers().contains_key("idempotent-replayed");
    Ok((
        res.status(),
        replayed,
        res.json().await.unwrap_or(Value::Null),
    ))
}

/// A tenant on a fresh database, its owner's token, and a superuser pool for inspection.
async fn setup(slug: &str) -> (String, Uuid, String, PgPool) {
    let db = fresh_database().await;
    let pool = PgPool::connect(&app_url(&db)).await.expect("pool");
    let email = format!("o@{slug}.example");
    let tenant = provision_tenant(&pool, slug, "Crash S.L.", &email).await;
    let owner = PgPool::connect(&owner_url(&db)).await.expect("owner pool");
    let server = Serve::start(&db).await;
    let login: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({ "tenant": slug, "email": email, "password": PASSWORD }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("tokens");
    server.kill9().await;
    let token = login["access_token"].as_str().expect("token").to_owned();
    (db, tenant, token, owner)
}

async fn clients(owner: &PgPool, tenant: Uuid) -> Vec<Uuid> {
    sqlx::query_scalar("SELECT id FROM clients WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_all(owner)
        .await
        .expect("clients")
}

/// Waits until no session of the database but `owner`'s is inside a statement or transaction:
/// the killed server's orphaned backend has finished (committed or rolled back) and exited.
async fn orphans_finished(owner: &PgPool) {
    eventually(
        "the orphaned backend to finish",
        Duration::from_secs(20),
        || async {
            let busy: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend'
                AND pid <> pg_backend_pid() AND state <> 'idle'",
            )
            .fetch_one(owner)
            .await
            .expect("activity");
            busy == 0
        },
    )
    .await;
}

/// Starts the create, waits until it blocks on `hold`, kills the server, and checks that a
/// retry on a new server is refused as in progress while the orphaned transaction lives.
async fn crash_while_held(db: &str, owner: &PgPool, token: &str) {
    let server = Serve::start(db).await;
    let request = tokio::spawn(create_client(server.base.clone(), token.to_owned()));
    eventually(
        "the create to wait on the held lock",
        Duration::from_secs(20),
        || async { lock_waits(owner).await > 0 },
    )
    .await;
    server.kill9().await;
    assert!(
        request.await.expect("join").is_err(),
        "the killed server answered"
    );
    let again = Serve::start(db).await;
    let (status, _, body) = again.create_client(token).await.expect("retry");
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/problems/idempotency-in-progress");
    again.kill9().await;
}

#[tokio::test]
async fn a_write_killed_before_its_commit_is_done_once_by_the_retry() {
    let (db, tenant, token, owner) = setup("crash-before").await;
    // The insert waits for the table; the request is mid-transaction when the server dies.
    let mut hold = owner.begin().await.expect("tx");
    sqlx::query("LOCK TABLE clients IN SHARE MODE")
        .execute(&mut *hold)
        .await
        .expect("lock");
    crash_while_held(&db, &owner, &token).await;
    hold.rollback().await.expect("release");
    orphans_finished(&owner).await;
    assert!(
        clients(&owner, tenant).await.is_empty(),
        "the orphan committed"
    );

    let server = Serve::start(&db).await;
    let (status, replayed, body) = server.create_client(&token).await.expect("retry");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        !replayed,
        "nothing was committed, so nothing can be replayed"
    );
    let (status, replayed, again) = server.create_client(&token).await.expect("repeat");
    assert_eq!((status, replayed), (StatusCode::CREATED, true));
    assert_eq!(again["id"], body["id"]);
    assert_eq!(clients(&owner, tenant).await.len(), 1);
    server.kill9().await;
}

#[tokio::test]
async fn a_write_killed_while_committing_is_replayed_by_the_retry() {
    let (db, tenant, token, owner) = setup("crash-commit").await;
    // The COMMIT waits on the tenant's client counters: Postgres has the commit request, the
    // client will never see its answer.
    let hold = hold_client_counters(&owner, tenant).await;
    crash_while_held(&db, &owner, &token).await;
    hold.rollback().await.expect("release");
    orphans_finished(&owner).await;
    let committed = clients(&owner, tenant).await;
    assert_eq!(committed.len(), 1, "the orphaned commit did not land");

    let server = Serve::start(&db).await;
    let (status, replayed, body) = server.create_client(&token).await.expect("retry");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(replayed, "the committed create was done again: {body}");
    assert_eq!(body["id"], json!(committed[0]));
    assert_eq!(clients(&owner, tenant).await.len(), 1);
    server.kill9().await;
}
