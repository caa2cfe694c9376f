//! Test harness: a fresh database per test (copied from a migrated template), the real API on
//! port 0, real Redis, and helpers to sign in and call endpoints.

pub mod console;
pub mod mail_message;
pub mod smtp_server;

use std::net::SocketAddr;
use std::time::Duration;

use api::ApiConfig;
use api::auth::password;
use api::state::AppState;
use domain::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use services::Scope;
use services::tenants::{self, SetupUser, TenantSpec};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use uuid::Uuid;

pub const PG: &str = "postgres://postgres@127.0.0.1:5432";
pub const REDIS: &str = "redis://127.0.0.1:6379";

fn pg_admin_base() -> String {
    std::env::var("CRM_TEST_PG").unwrap_or_else(|_| PG.to_owned())
}

/// The hash of every migration this build applies: the template database's name.
fn template_name() -> String {
    let mut h = Sha256::new();
    for m in db::migrate::MIGRATOR.iter() {
        h.update(m.version.to_le_bytes());
        h.update(&m.checksum);
    }
    for m in worker::queue::migrations().iter() {
        h.update(m.version.to_le_bytes());
        h.update(&m.checksum);
    }
    format!("crm_tpl_{}", &hex::encode(h.finalize())[..16])
}

/// Creates a database migrated to this build's schema, returning its name.
pub async fn fresh_database() -> String {
    integrations::tls::install_default_provider();
    let admin_url = format!("{}/postgres", pg_admin_base());
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("connect as postgres");
    let template = template_name();
    // One test process builds the template; the others wait on the lock and copy it.
    sqlx::query("SELECT pg_advisory_lock(727274)")
        .execute(&mut admin)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .expect("query");
    if !exists {
        let building = format!("{template}_building");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {building}"
        )))
        .execute(&mut admin)
        .await
        .expect("drop");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
            .execute(&mut admin)
            .await
            .expect("create template");
        let pool = PgPool::connect(&format!("{}/{building}", pg_admin_base()))
            .await
            .expect("connect template");
        db::migrate::run(&pool, &worker::queue::migrations())
            .await
            .expect("migrate template");
        pool.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {building} RENAME TO {template}"
        )))
        .execute(&mut admin)
        .await
        .expect("rename template");
    }
    sqlx::query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut admin)
        .await
        .expect("unlock");
    let name = format!("crm_t_{}", Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {template}"
    )))
    .execute(&mut admin)
    .await
    .expect("create test database");
    name
}

pub fn owner_url(db: &str) -> String {
    format!("{}/{db}", pg_admin_base())
}

pub fn app_url(db: &str) -> String {
    let base = pg_admin_base();
    let host = base
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or("127.0.0.1:5432");
    format!("postgres://crm_app@{host}/{db}")
}

/// A signing key shared by the whole test process (tests forge tokens with it).
pub fn test_key_pem() -> String {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(api::auth::tokens::generate_private_key_pem)
        .clone()
}

/// A running API with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub db_name: String,
    /// Connected as the schema owner (superuser): for setup and inspection only.
    pub owner: PgPool,
    /// Connected as the application role.
    pub app_pool: PgPool,
    pub state: AppState,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A tenant with its owner signed in.
#[derive(Debug, Clone)]
pub struct TenantFixture {
    pub id: Uuid,
    pub slug: String,
    pub owner_email: String,
    pub owner_token: String,
}

pub const PASSWORD: &str = "correct-horse-battery";

/// Creates a tenant and its owner, whose password is [`PASSWORD`], as `crm tenant create`
/// does (without signing in); returns the tenant's id.
pub async fn provision_tenant(pool: &PgPool, slug: &str, name: &str, owner_email: &str) -> Uuid {
    let spec = TenantSpec::new(slug, name);
    let whose = password::Owner::in_new_tenant(&spec, owner_email, tenants::OWNER_NAME);
    let judged = password::judge(PASSWORD, &whose).await.expect("hash");
    tenants::create(pool, &spec, owner_email, judged)
        .await
        .expect("tenant")
}

/// Column-encryption master keys shared by the whole test process.
pub fn test_master_keys() -> String {
    static KEYS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| db::crypto::MasterKeys::generate_spec("test"))
        .clone()
}

pub fn config_for(db: &str) -> ApiConfig {
    let mut c = ApiConfig::new(
        Secret::new(app_url(db)),
        Secret::new(std::env::var("CRM_TEST_REDIS").unwrap_or_else(|_| REDIS.to_owned())),
        Secret::new(test_key_pem()),
    );
    c.master_keys = Secret::new(test_master_keys());
    c.login_per_ip_per_minute = 1_000_000;
    c.login_per_account_per_minute = 1_000;
    c.authz_reload_every = Duration::from_secs(60);
    c.shutdown_grace = Duration::from_secs(2);
    c.shutdown_delay = Duration::ZERO;
    c.assets_dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/dist"));
    c
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut ApiConfig)) -> TestApp {
    let db_name = fresh_database().await;
    spawn_on(&db_name, tweak).await
}

/// Logs of the app under test, when `CRM_TEST_LOG` holds a filter (e.g. `info`).
fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("CRM_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// Starts another API process-equivalent on an existing database.
pub async fn spawn_on(db_name: &str, tweak: impl FnOnce(&mut ApiConfig)) -> TestApp {
    integrations::tls::install_default_provider();
    init_logs();
    let mut config = config_for(db_name);
    tweak(&mut config);
    let state = api::build_state(config).await.expect("state");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let metrics = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind metrics");
    let addr = listener.local_addr().expect("addr");
    let metrics_addr = metrics.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let router = api::app_with(state.clone(), Some(web::console(&state)));
    let server = tokio::spawn(api::run_with(
        state.clone(),
        router,
        listener,
        metrics,
        async move {
            let _ = rx.await;
        },
    ));
    let owner = PgPoolOptions::new()
        .max_connections(4)
        .connect(&owner_url(db_name))
        .await
        .expect("owner pool");
    let app_pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&app_url(db_name))
        .await
        .expect("app pool");
    TestApp {
        addr,
        metrics_addr,
        db_name: db_name.to_owned(),
        owner,
        app_pool,
        state,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// A response read whole: status, headers, JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem `type` code, e.g. `validation-failed`.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("/problems/"))
            .unwrap_or("")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request; `body` is JSON when Some.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request");
        read(res).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None, &[])
            .await
    }

    /// Signs in; panics unless it works.
    pub async fn login(&self, tenant: &str, email: &str, password: &str) -> Value {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "tenant": tenant, "email": email, "password": password })),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login failed: {}", r.text);
        r.body
    }

    /// Creates a tenant with an owner and signs the owner in.
    pub async fn tenant(&self, slug: &str) -> TenantFixture {
        let email = format!("owner@{slug}.example");
        let id = provision_tenant(&self.app_pool, slug, &format!("{slug} S.L."), &email).await;
        self.state
            .authz
            .reload(&self.state.db)
            .await
            .expect("reload");
        let tokens = self.login(slug, &email, PASSWORD).await;
        TenantFixture {
            id,
            slug: slug.to_owned(),
            owner_email: email,
            owner_token: tokens["access_token"].as_str().expect("token").to_owned(),
        }
    }

    /// Adds an active user with the given roles to a tenant; returns (user id, access token).
    /// Creates a custom role in the tenant, as its owner.
    pub async fn custom_role(&self, t: &TenantFixture, name: &str, permissions: &[&str]) {
        let body = json!({ "name": name, "permissions": permissions });
        let r = self.post("/api/v1/roles", &t.owner_token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    pub async fn user_with_roles(
        &self,
        t: &TenantFixture,
        name: &str,
        roles: &[&str],
    ) -> (Uuid, String) {
        let email = format!("{name}@{}.example", t.slug);
        let tx = db::TenantTx::begin(&self.app_pool, t.id).await.expect("tx");
        let mut scope = Scope::new(tx, db::audit::Actor::system());
        let whose = password::Owner::in_tenant(&mut scope.tx, &email, name)
            .await
            .expect("owner");
        let user = SetupUser {
            password: password::judge(PASSWORD, &whose).await.expect("hash"),
            email: email.clone(),
            display_name: name.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        };
        let id = tenants::add_user(&mut scope, user).await.expect("user");
        scope.commit().await.expect("commit");
        self.state
            .authz
            .reload(&self.state.db)
            .await
            .expect("reload");
        let tokens = self.login(&t.slug, &email, PASSWORD).await;
        (
            id,
            tokens["access_token"].as_str().expect("token").to_owned(),
        )
    }

    /// How many statements of the test's database wait for a lock.
    pub async fn lock_waits(&self) -> i64 {
        lock_waits(&self.owner).await
    }

    /// Holds every client counter slot of the tenant: see [`hold_client_counters`].
    pub async fn hold_client_counters(
        &self,
        tenant: Uuid,
    ) -> sqlx::Transaction<'static, sqlx::Postgres> {
        hold_client_counters(&self.owner, tenant).await
    }

    /// Counts rows of a table in one tenant, as the owner (bypassing nothing: RLS is forced,
    /// but the superuser is exempt, so this sees the truth).
    pub async fn count(&self, table: &str, tenant: Uuid) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE tenant_id = $1"
        )))
        .bind(tenant)
        .fetch_one(&self.owner)
        .await
        .expect("count")
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }
}

pub async fn read(res: reqwest::Response) -> Reply {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// A unique tenant slug for a test.
pub fn slug(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..8])
}

/// An empty database (no schema), for testing migrations themselves.
pub async fn empty_database() -> String {
    let mut admin = PgConnection::connect(&format!("{}/postgres", pg_admin_base()))
        .await
        .expect("connect as postgres");
    let name = format!("crm_t_{}", Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");
    name
}

/// Polls `probe` every 100 ms until it is true; fails the test after `within`.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !probe().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of a `/metrics` endpoint (of `crm serve` or `crm worker`) at `addr`.
pub async fn scrape_metrics(addr: SocketAddr) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

/// A TCP port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl TestApp {
    /// A pool of `size` connections as the app's role, for a worker of this app.
    pub async fn app_pool_of(&self, size: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(size)
            .connect(&app_url(&self.db_name))
            .await
            .expect("worker pool")
    }

    /// What a `crm worker` process of this app runs jobs with.
    pub fn worker_ctx(&self) -> worker::WorkerCtx {
        self.worker_ctx_with(services::communications::channels::Platform {
            allow_internal_smtp: true,
            ..Default::default()
        })
    }

    /// [`Self::worker_ctx`] sending through providers at `platform`'s addresses (fakes).
    /// The fakes listen on loopback, so tenants' SMTP servers may be internal here (unless
    /// `platform` is a test of that refusal: see `communications_delivery`).
    pub fn worker_ctx_with(
        &self,
        platform: services::communications::channels::Platform,
    ) -> worker::WorkerCtx {
        let redis = worker::notice_pool(
            &std::env::var("CRM_TEST_REDIS").unwrap_or_else(|_| REDIS.to_owned()),
        );
        worker::WorkerCtx {
            db: self.app_pool.clone(),
            master_keys: db::crypto::MasterKeys::parse(&test_master_keys()).expect("keys"),
            redis: redis.clone(),
            ciphers: worker::cipher_cache(),
            metrics: std::sync::Arc::new(worker::WorkerMetrics::new().expect("metrics")),
            providers: worker::real_providers(platform, redis).expect("providers"),
            calendars: worker::calendar_sync::calendar_sync(Default::default()).expect("calendars"),
            stopping: worker::never_stopping(),
        }
    }

    /// Runs every job waiting in the queue, as a worker would, until none is left; returns how
    /// many ran. Deterministic: tests call it instead of waiting for a worker process.
    pub async fn drain_jobs(&self) -> usize {
        self.drain_jobs_on(&self.worker_ctx()).await
    }

    /// [`Self::drain_jobs`] with the worker context `ctx`. Panics when a job fails.
    pub async fn drain_jobs_on(&self, ctx: &worker::WorkerCtx) -> usize {
        let mut ran = 0;
        loop {
            let pending: Vec<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT id, job FROM apalis.jobs WHERE status = 'Pending' AND job_type = $1 ORDER BY run_at, id",
            )
            .bind(worker::queue::QUEUE)
            .fetch_all(&self.owner)
            .await
            .expect("pending jobs");
            if pending.is_empty() {
                return ran;
            }
            for (id, bytes) in pending {
                let job: worker::Job =
                    serde_json::from_slice(&bytes).expect("a job this build knows");
                worker::run_job(ctx, &job).await.expect("job");
                sqlx::query(
                    "UPDATE apalis.jobs SET status = 'Done', done_at = now() WHERE id = $1",
                )
                .bind(&id)
                .execute(&self.owner)
                .await
                .expect("mark done");
                ran += 1;
            }
        }
    }
}

/// How many statements of the pool's database wait for a lock.
pub async fn lock_waits(owner: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(owner)
    .await
    .expect("activity")
}

/// Holds every client counter slot of the tenant until the returned transaction ends: a
/// transaction that creates or removes a client then waits as it commits.
pub async fn hold_client_counters(
    owner: &PgPool,
    tenant: Uuid,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    sqlx::query(
        "INSERT INTO client_stats (tenant_id, slot) SELECT $1, s FROM generate_series(0, 15) s
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .execute(owner)
    .await
    .expect("slots");
    let mut hold = owner.begin().await.expect("tx");
    sqlx::query("SELECT 1 FROM client_stats WHERE tenant_id = $1 FOR UPDATE")
        .bind(tenant)
        .execute(&mut *hold)
        .await
        .expect("lock the counters");
    hold
}

/// A private `redis-server` on `port` (for tests that stop and restart Redis).
pub fn start_redis(port: u16) -> std::process::Child {
    std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server must be installed (scripts/services.sh installs it)")
}

/// Waits (at most 10 s) until something listens on the port.
pub async fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
