//! `Job::SyncCalendars`: every minute, each tenant's connected calendars whose sync is due
//! (a push notice made it due now; otherwise the reconciliation every 15 minutes), each run in
//! a transaction of its own as the system (`services::calendar::sync::sync_connection`). A
//! failed run is logged and its connection retried by the next pass; the others go on. What
//! the runs did is counted per provider in `calendar_sync_runs_total` (by outcome),
//! `calendar_sync_changes_total` (by direction), `calendar_sync_set_aside_total` and
//! `calendar_sync_lag_seconds`.

use std::sync::Arc;

use db::audit::Actor;
use services::Scope;
use services::calendar::providers::CalendarProviders;
use services::calendar::sync::{RunReport, SyncClients, sync_connection};
use uuid::Uuid;

use crate::WorkerCtx;
use crate::tenant_pass::each_tenant;

/// Connections of one tenant a pass runs (the rest in the next pass).
const CONNECTIONS_PER_PASS: i64 = 500;

/// The registered providers and their clients.
pub struct CalendarSync {
    pub providers: CalendarProviders,
    pub clients: SyncClients,
}

/// The sync of the providers in `providers`.
pub fn calendar_sync(providers: CalendarProviders) -> anyhow::Result<Arc<CalendarSync>> {
    let clients = SyncClients::new(&providers)?;
    Ok(Arc::new(CalendarSync { providers, clients }))
}

/// One pass over every tenant.
pub async fn run(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let (runs, failed) =
        each_tenant(ctx, "calendar sync", |tenant| one_tenant(ctx, tenant)).await?;
    if failed > 0 {
        tracing::info!(runs, failed, "calendar sync pass");
    }
    Ok(())
}

/// Runs the tenant's due connections one after the other; gives how many ran.
async fn one_tenant(ctx: &WorkerCtx, tenant: Uuid) -> anyhow::Result<u32> {
    let now = chrono::Utc::now();
    let mut tx = db::TenantTx::begin(&ctx.db, tenant).await?;
    let due = db::calendar_connections::due(&mut tx, now, CONNECTIONS_PER_PASS).await?;
    tx.commit().await?;
    let mut runs = 0;
    for connection in due {
        ctx.check_stopping()?;
        runs += 1;
        match one_connection(ctx, tenant, connection).await {
            Ok(report) => ctx.metrics.calendar_sync.observe(&report),
            Err(e) => {
                ctx.metrics.calendar_sync.observe_error();
                tracing::warn!(%tenant, %connection, error = %e, "calendar sync run failed");
            }
        }
    }
    Ok(runs)
}

/// Runs one connection's sync and commits it.
pub async fn one_connection(
    ctx: &WorkerCtx,
    tenant: Uuid,
    connection: Uuid,
) -> anyhow::Result<RunReport> {
    let mut tx = db::TenantTx::begin(&ctx.db, tenant).await?;
    let cipher = ctx.ciphers.get(&mut tx, &ctx.master_keys).await?;
    let mut scope = Scope::new(tx, Actor::system());
    let sync = &ctx.calendars;
    let now = chrono::Utc::now();
    let report = sync_connection(
        &mut scope,
        &cipher,
        &sync.providers,
        &sync.clients,
        connection,
        now,
    )
    .await?;
    let after = scope.commit().await?;
    if !after.recorded.is_empty() {
        crate::notice::notify(ctx, &after.recorded.notice(tenant)).await;
    }
    Ok(report)
}
