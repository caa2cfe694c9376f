//! The scratch database, its tenant, and the two servers under test: the real API and a bare
//! axum + sqlx endpoint on the same database with the same pool size. Also the life of a
//! benchmark on a scratch database ([`Bench`]), with `crm serve` under test when it measures
//! the API as its own process ([`ScratchApi`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::day::server::{self, Server};

const SLUG: &str = "bench";
const EMAIL: &str = "owner@bench.example";
const PASSWORD: &str = "quokka-lantern-ferry";

async fn connect(url: &str, max: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        // The same pool settings as the API's, so the baseline is like for like.
        .test_before_acquire(false)
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

/// A fresh database with the product's schema, dropped by `drop_database`.
pub struct Scratch {
    pub name: String,
    pg_addr: String,
    admin: PgPool,
    owner: PgPool,
}

/// The tenant's owner, who signs in.
pub struct Owner {
    pub tenant: Uuid,
}

impl Scratch {
    pub async fn create(pg_addr: &str) -> anyhow::Result<Self> {
        let admin = connect(&format!("postgres://postgres@{pg_addr}/postgres"), 1).await?;
        let name = format!("crm_bench_{}", &Uuid::new_v4().simple().to_string()[..12]);
        // `name` is a fixed prefix and hex digits: safe to splice into DDL.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        let scratch = Self {
            owner: connect(&format!("postgres://postgres@{pg_addr}/{name}"), 2).await?,
            name,
            pg_addr: pg_addr.to_owned(),
            admin,
        };
        db::migrate::run(&scratch.owner, &worker::queue::migrations())
            .await
            .context("migrations failed")?;
        Ok(scratch)
    }

    /// The URL of the application role, which the servers use (row-level security applies).
    pub fn app_url(&self) -> String {
        format!("postgres://crm_app@{}/{}", self.pg_addr, self.name)
    }

    /// The URL of the superuser, who reads results across tenants (no row-level security).
    pub fn owner_url(&self) -> String {
        format!("postgres://postgres@{}/{}", self.pg_addr, self.name)
    }

    /// Creates the tenant and its owner, as `crm tenant create` does.
    pub async fn provision_tenant(&self) -> anyhow::Result<Owner> {
        let spec = services::tenants::TenantSpec::new(SLUG, "Bench S.L.");
        let whose =
            api::auth::password::Owner::in_new_tenant(&spec, EMAIL, services::tenants::OWNER_NAME);
        let password = api::auth::password::judge(PASSWORD, &whose).await?;
        let tenant = services::tenants::create(&self.owner, &spec, EMAIL, password).await?;
        Ok(Owner { tenant })
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        self.owner.close().await;
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&self.admin)
        .await
        .with_context(|| format!("cannot drop database {}", self.name))?;
        self.admin.close().await;
        Ok(())
    }
}

/// A benchmark on a scratch database: its name (the stem of its report's files), the Postgres
/// it creates the database in, and the directory its report goes to.
pub struct Bench<'a> {
    name: &'static str,
    pg_addr: &'a str,
    out: &'a std::path::Path,
}

impl<'a> Bench<'a> {
    /// The benchmark `name`, once Postgres and Redis are known to be on this machine.
    pub fn new(
        name: &'static str,
        pg_addr: &'a str,
        redis_addr: &str,
        out: &'a std::path::Path,
    ) -> anyhow::Result<Self> {
        crate::ensure_local(pg_addr, "--pg-addr")?;
        crate::ensure_local(redis_addr, "--redis-addr")?;
        Ok(Self { name, pg_addr, out })
    }

    /// Runs `measure` on a fresh scratch database (ctrl-c interrupts it) and drops the database
    /// whatever happened; then prints the report's Markdown and writes `<name>.json` and
    /// `<name>.md` into the output directory.
    pub async fn run<R: Serialize>(
        &self,
        measure: impl AsyncFnOnce(&Scratch) -> anyhow::Result<R>,
        markdown: impl FnOnce(&R) -> String,
    ) -> anyhow::Result<()> {
        let scratch = Scratch::create(self.pg_addr).await?;
        eprintln!("scratch database {}", scratch.name);
        let outcome = tokio::select! {
            r = measure(&scratch) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        };
        let dropped = scratch.drop_database().await;
        let report = outcome?;
        dropped?;
        let md = markdown(&report);
        print!("{md}");
        let (json, md_path) = crate::report::write_pair(self.out, self.name, &report, &md)?;
        eprintln!("wrote {} and {}", json.display(), md_path.display());
        Ok(())
    }
}

/// The API under test as `crm serve`, its own process, on a scratch database: the arguments
/// every benchmark of it shares.
#[derive(clap::Args)]
pub struct ScratchApi {
    /// Postgres connections of the API.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=80))]
    pub pool_size: u32,
    /// The `crm` binary to start (default: beside this one, target/release/crm).
    #[arg(long)]
    pub crm_bin: Option<PathBuf>,
    /// `CRM_LOG` of the started API (its log goes to a file in the temp directory).
    #[arg(long, default_value = "warn")]
    pub crm_log: String,
    #[command(flatten)]
    pub place: ScratchPlace,
}

/// Where a benchmark's scratch database is made, the Redis beside it, and the master keys its
/// tenants' data keys are wrapped with: the arguments every benchmark on a scratch database
/// shares.
#[derive(clap::Args)]
pub struct ScratchPlace {
    /// The master keys the scratch tenants' data keys are wrapped with.
    #[arg(long, default_value = crate::seed::MASTER_KEYS)]
    pub master_keys: String,
    /// Postgres on this machine (superuser `postgres` and `crm_app`, trust auth).
    #[arg(long, default_value = "127.0.0.1:5432")]
    pub pg_addr: String,
    /// Redis on this machine.
    #[arg(long, default_value = "127.0.0.1:6379")]
    pub redis_addr: String,
}

impl ScratchPlace {
    /// The benchmark `name` here, its report into `out` (see [`Bench::new`]).
    pub fn bench<'a>(
        &'a self,
        name: &'static str,
        out: &'a std::path::Path,
    ) -> anyhow::Result<Bench<'a>> {
        Bench::new(name, &self.pg_addr, &self.redis_addr, out)
    }

    /// The URL of the Redis.
    pub fn redis_url(&self) -> String {
        format!("redis://{}", self.redis_addr)
    }
}

impl ScratchApi {
    /// The benchmark `name` of the API (see [`Bench::new`]) and the `crm serve` it starts:
    /// `--crm-bin`, or the `crm` beside this executable, logging to `crm-<name>.log` in the
    /// temp directory.
    pub fn bench<'a>(
        &'a self,
        name: &'static str,
        out: &'a std::path::Path,
    ) -> anyhow::Result<(Bench<'a>, Serve<'a>)> {
        let bench = self.place.bench(name, out)?;
        let bin = match &self.crm_bin {
            Some(b) => b.clone(),
            None => server::default_bin()?,
        };
        let log_file = std::env::temp_dir().join(format!("crm-{name}.log"));
        let serve = Serve {
            api: self,
            bin,
            log_file,
        };
        Ok((bench, serve))
    }
}

/// A benchmark's `crm serve`, to start on its scratch database (see [`ScratchApi::bench`]).
pub struct Serve<'a> {
    api: &'a ScratchApi,
    bin: PathBuf,
    log_file: PathBuf,
}

impl Serve<'_> {
    /// Says which `crm` starts and where its log goes.
    pub fn announce(&self) {
        eprintln!(
            "starting {} serve (log: {})",
            self.bin.display(),
            self.log_file.display()
        );
    }

    /// Starts `crm serve` on `scratch` as `crm_app` and waits until it is ready.
    pub async fn start(&self, scratch: &Scratch, http: &reqwest::Client) -> anyhow::Result<Server> {
        let launch = server::Launch {
            bin: &self.bin,
            database_url: scratch.app_url(),
            redis_url: self.api.place.redis_url(),
            master_keys: &self.api.place.master_keys,
            pool_size: self.api.pool_size,
            log_filter: &self.api.crm_log,
            log_file: self.log_file.clone(),
        };
        Server::start(&launch, http).await
    }
}

/// The two servers, on port-0 listeners on 127.0.0.1.
pub struct Servers {
    pub api: SocketAddr,
    pub bare: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

async fn listener() -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind("127.0.0.1:0").await?)
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// The API's configuration for a load test: the given database (as `crm_app`) and Redis, a
/// fresh signing key, login rate limits out of the way, hour-long access tokens.
fn api_config(
    app_url: String,
    redis_url: &str,
    pool_size: u32,
    master_keys: Option<&str>,
) -> api::ApiConfig {
    let mut config = api::ApiConfig::new(
        domain::Secret::new(app_url),
        domain::Secret::new(redis_url),
        domain::Secret::new(api::auth::tokens::generate_private_key_pem()),
    );
    if let Some(keys) = master_keys {
        config.master_keys = domain::Secret::new(keys);
    }
    config.database_max_connections = pool_size;
    config.login_per_account_per_minute = 1_000_000;
    config.login_per_ip_per_minute = 1_000_000;
    config.access_token_ttl = Duration::from_secs(3600);
    config.assets_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/dist").into();
    config.shutdown_grace = Duration::from_secs(2);
    config
}

/// Signs a user in through `POST /api/v1/auth/login` and returns the access token.
pub async fn login_as(
    http: &reqwest::Client,
    api: SocketAddr,
    tenant: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let response = http
        .post(format!("http://{api}/api/v1/auth/login"))
        .json(&serde_json::json!({ "tenant": tenant, "email": email, "password": password }))
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "login answered {status}: {body}");
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("login answered no access_token")
}

/// Signs the scratch tenant's owner in (see [`Scratch::provision_tenant`]) at `api`.
pub async fn login_owner(http: &reqwest::Client, api: &Server) -> anyhow::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], api.port));
    login_as(http, addr, SLUG, EMAIL, PASSWORD).await
}

/// The real API alone, in-process, on a port-0 listener on 127.0.0.1.
pub struct Api {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Api {
    pub async fn start(
        app_url: String,
        redis_url: &str,
        pool_size: u32,
        master_keys: Option<&str>,
    ) -> anyhow::Result<Self> {
        let (stop, rx) = watch::channel(false);
        let state =
            api::build_state(api_config(app_url, redis_url, pool_size, master_keys)).await?;
        let (api_listener, metrics_listener) = (listener().await?, listener().await?);
        let addr = api_listener.local_addr()?;
        // The console too: its pages are measured beside the JSON endpoints.
        let router = api::app_with(state.clone(), Some(web::console(&state)));
        let task = tokio::spawn(api::run_with(
            state,
            router,
            api_listener,
            metrics_listener,
            stopped(rx),
        ));
        Ok(Self { addr, stop, task })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("server ended with an error: {e:#}"),
            Ok(Err(e)) => eprintln!("server task failed: {e}"),
            Err(_) => eprintln!("server did not stop within 5 s"),
        }
    }
}

impl Servers {
    pub async fn start(scratch: &Scratch, redis_url: &str, pool_size: u32) -> anyhow::Result<Self> {
        let (stop, rx) = watch::channel(false);

        let config = api_config(scratch.app_url(), redis_url, pool_size, None);
        let state = api::build_state(config).await?;
        let (api_listener, metrics_listener) = (listener().await?, listener().await?);
        let api = api_listener.local_addr()?;
        let api_task = tokio::spawn(api::run(
            state,
            api_listener,
            metrics_listener,
            stopped(rx.clone()),
        ));

        let (bare, bare_task) = serve_bare(&scratch.app_url(), pool_size, rx).await?;

        Ok(Self {
            api,
            bare,
            stop,
            tasks: vec![api_task, bare_task],
        })
    }

    /// Signs the owner in and returns the access token.
    pub async fn login(&self, http: &reqwest::Client) -> anyhow::Result<String> {
        login_as(http, self.api, SLUG, EMAIL, PASSWORD).await
    }

    /// Stops both servers and waits (briefly) for them to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            match tokio::time::timeout(Duration::from_secs(5), task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => eprintln!("server ended with an error: {e:#}"),
                Ok(Err(e)) => eprintln!("server task failed: {e}"),
                Err(_) => eprintln!("server did not stop within 5 s"),
            }
        }
    }
}

/// Serves `app` on a port-0 listener on 127.0.0.1 until `stop` turns true.
async fn serve_until(
    app: Router,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(SocketAddr, JoinHandle<anyhow::Result<()>>)> {
    let app_listener = listener().await?;
    let addr = app_listener.local_addr()?;
    let task = tokio::spawn(async move {
        axum::serve(app_listener, app)
            .with_graceful_shutdown(stopped(stop))
            .await
            .context("local server failed")
    });
    Ok((addr, task))
}

/// Starts the bare endpoint on a port-0 listener; it stops when `stop` turns true.
async fn serve_bare(
    url: &str,
    pool_size: u32,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(SocketAddr, JoinHandle<anyhow::Result<()>>)> {
    let pool = connect(url, pool_size).await?;
    let app = Router::new()
        .route("/tenants/{id}", get(tenant))
        .with_state(pool);
    serve_until(app, stop).await
}

/// An axum app on a port-0 listener on 127.0.0.1 until [`Local::stop`]: the bare endpoint
/// alone, or a provider's fake.
pub struct Local {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Local {
    /// Serves `app`.
    pub async fn serve(app: Router) -> anyhow::Result<Self> {
        let (stop, rx) = watch::channel(false);
        let (addr, task) = serve_until(app, rx).await?;
        Ok(Self { addr, stop, task })
    }

    /// Stops it and waits (briefly) for it to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(5), self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("local server ended with an error: {e:#}"),
            Ok(Err(e)) => eprintln!("local server task failed: {e}"),
            Err(_) => eprintln!("local server did not stop within 5 s"),
        }
    }
}

/// The bare endpoint alone, on any database with a `tenants` table (as `working-day` uses it).
pub struct Bare {
    pub addr: SocketAddr,
    local: Local,
}

impl Bare {
    pub async fn start(url: &str, pool_size: u32) -> anyhow::Result<Self> {
        let (stop, rx) = watch::channel(false);
        let (addr, task) = serve_bare(url, pool_size, rx).await?;
        let local = Local { addr, stop, task };
        Ok(Self { addr, local })
    }

    pub async fn stop(self) {
        self.local.stop().await;
    }
}

#[derive(Serialize)]
struct Tenant {
    id: Uuid,
    slug: String,
    name: String,
}

/// The baseline: one primary-key read, as JSON.
async fn tenant(
    State(pool): State<PgPool>,
    Path(id): Path<Uuid>,
) -> Result<Json<Tenant>, StatusCode> {
    sqlx::query_as::<_, (Uuid, String, String)>("SELECT id, slug, name FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_optional(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .map(|(id, slug, name)| Json(Tenant { id, slug, name }))
        .ok_or(StatusCode::NOT_FOUND)
}
