//! The subcommands: migrate, serve, worker, tenant, seed-demo, dev.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use api::provisioning::{self, TenantSpec};
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
    api::run(state, listener, metrics, shutdown).await
}

pub async fn worker(
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(settings.worker.concurrency as u32 + 4)
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

pub async fn tenant_create(
    settings: &Settings,
    spec: &TenantSpec,
    admin_email: &str,
    admin_password: &str,
) -> anyhow::Result<uuid::Uuid> {
    let pool = connect(&settings.database_url, "DATABASE_URL").await?;
    let id = provisioning::create_tenant(&pool, spec, admin_email, admin_password).await?;
    announce_policy_change(settings).await;
    Ok(id)
}

pub async fn tenant_set_status(
    settings: &Settings,
    slug: &str,
    status: &str,
) -> anyhow::Result<()> {
    let pool = connect(&settings.database_url, "DATABASE_URL").await?;
    if !db::tenants::set_status(&pool, slug, status).await? {
        anyhow::bail!("no tenant with slug '{slug}'");
    }
    Ok(())
}

/// Creates the demo tenant when absent and prints how to sign in.
pub async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let pool = connect(&settings.database_url, "DATABASE_URL").await?;
    let created = provisioning::seed_demo(&pool).await?;
    if created {
        announce_policy_change(settings).await;
    }
    println!(
        "{} demo tenant `demo`. Sign in with tenant `demo` and one of:",
        if created { "Created the" } else { "Found the" }
    );
    for (email, password, role) in provisioning::demo_users() {
        println!("  {role:<10} {email:<24} {password}");
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
        "API on http://{} (docs at /docs), metrics on http://{}/metrics",
        settings.http_addr, settings.metrics_addr
    );
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    });
    let (a, w) = tokio::join!(api, jobs);
    a.and(w)
}
