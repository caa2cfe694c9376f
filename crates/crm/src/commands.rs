//! The subcommands: migrate, serve, worker, tenant, seed-demo, dev.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use api::auth::password;
use services::tenants::{self, SetupUser, TenantSpec};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;

use crate::settings::Settings;

async fn connect(url: &domain::Secret, what: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url.expose())
        .await
        .with_context(|| format!("cannot connect to Postgres ({what})"))
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let pool = connect(
        &settings.migrate_database_url,
        "CRM_MIGRATE_DATABASE_URL or DATABASE_URL",
    )
    .await?;
    db::migrate::run(&pool, &worker::queue::migrations()).await?;
    tracing::info!("schema is up to date");
    Ok(())
}

async fn bind(addr: std::net::SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({what})"))
}

pub async fn serve(
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = api::build_state(settings.api.clone()).await?;
    let listener = bind(settings.http_addr, "CRM_HTTP_ADDR").await?;
    let metrics = bind(settings.metrics_addr, "CRM_METRICS_ADDR").await?;
    tracing::info!(
        http = %settings.http_addr,
        metrics = %settings.metrics_addr,
        version = domain::build_info::VERSION,
        revision = domain::build_info::REVISION,
        "serving"
    );
    let router = api::app_with(state.clone(), Some(web::console(&state)));
    api::run_with(state, router, listener, metrics, shutdown).await
}

pub async fn worker(
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(worker::connections_for(settings.worker.concurrency))
        .connect(settings.database_url.expose())
        .await
        .context("cannot connect to Postgres (DATABASE_URL)")?;
    let metrics = bind(settings.worker_metrics_addr, "CRM_WORKER_METRICS_ADDR").await?;
    worker::run(pool, settings.worker.clone(), metrics, shutdown).await
}

/// Tells every running API process to reload authorization policies now.
async fn announce_policy_change(settings: &Settings) {
    let redis = api::redis::Redis::new(settings.api.redis_url.expose());
    if !redis
        .publish(api::auth::authz::RELOAD_CHANNEL, "changed")
        .await
    {
        tracing::warn!(
            "Redis unreachable: running servers pick up the change at their next periodic reload"
        );
    }
}

/// A service's refusal as the CLI says it: each refused option with why, or the conflict.
fn explain(e: services::Error) -> anyhow::Error {
    match e {
        services::Error::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.pointer.trim_start_matches('/'), f.detail))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        services::Error::Conflict { detail, .. } => anyhow::anyhow!(detail),
        other => other.into(),
    }
}

/// A new tenant user's password, judged by the API's password rule with whose it is.
async fn judged(
    spec: &TenantSpec,
    email: &str,
    display_name: &str,
    password: &str,
) -> anyhow::Result<tenants::JudgedPassword> {
    let owner = password::Owner::in_new_tenant(spec, email, display_name);
    password::judge(password, &owner).await
}

pub async fn tenant_create(
    settings: &Settings,
    spec: &TenantSpec,
    admin_email: &str,
    admin_password: &str,
) -> anyhow::Result<uuid::Uuid> {
    let pool = connect(&settings.database_url, "DATABASE_URL").await?;
    let password = judged(spec, admin_email, tenants::OWNER_NAME, admin_password).await?;
    let id = tenants::create(&pool, spec, admin_email, password)
        .await
        .map_err(explain)?;
    announce_policy_change(settings).await;
    Ok(id)
}

/// Suspends (`active` false) or reactivates a tenant.
pub async fn tenant_set_active(
    settings: &Settings,
    slug: &str,
    active: bool,
) -> anyhow::Result<()> {
    let pool = connect(&settings.database_url, "DATABASE_URL").await?;
    let set = if active {
        tenants::activate(&pool, slug).await
    } else {
        tenants::suspend(&pool, slug).await
    };
    match set {
        Err(services::Error::NotFound) => anyhow::bail!("no tenant with slug '{slug}'"),
        other => other.map_err(explain),
    }
}

/// Creates the demo tenant when absent, gives it its demo data when it has none, and prints
/// what was added and how to sign in.
pub async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let pool = connect(&settings.database_url, "DATABASE_URL").await?;
    let master = db::crypto::MasterKeys::parse(settings.api.master_keys.expose())?;
    let spec = TenantSpec::new(tenants::DEMO_SLUG, tenants::DEMO_NAME);
    let mut users = Vec::new();
    for u in tenants::demo_users() {
        users.push(SetupUser {
            password: judged(&spec, &u.email, &u.display_name, &u.password).await?,
            email: u.email,
            display_name: u.display_name,
            roles: vec![u.role.to_owned()],
        });
    }
    let seed = tenants::seed_demo(&pool, &master, users)
        .await
        .map_err(explain)?;
    if seed.created {
        announce_policy_change(settings).await;
    }
    println!(
        "{} demo tenant `demo`.",
        if seed.created {
            "Created the"
        } else {
            "Found the"
        }
    );
    if seed.added.is_empty() {
        println!("Its demo data is there already: nothing added.");
    } else {
        println!("Added {}.", seed.added);
    }
    println!("Sign in with tenant `demo` and one of:");
    for u in tenants::demo_users() {
        println!("  {:<10} {:<24} {}", u.role, u.email, u.password);
    }
    Ok(())
}

/// migrate + seed-demo + serve + worker in one process, for local use.
pub async fn dev(settings: &Settings) -> anyhow::Result<()> {
    migrate(settings).await?;
    seed_demo(settings).await?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let api = serve(settings, wait(rx.clone()));
    let jobs = worker(settings, wait(rx));
    println!(
        "Console on http://{0}/ (sign in as above), API on http://{0}/api/v1 (docs at /docs), \
         metrics on http://{1}/metrics",
        settings.http_addr, settings.metrics_addr
    );
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    });
    let (a, w) = tokio::join!(api, jobs);
    a.and(w)
}
