//! `Job::SweepProposals`: the proposal pass, tenant by tenant, each in a transaction of its own
//! as the system (`services::proposals::expiry::sweep`). A tenant whose pass fails is logged
//! and left for the next minute's pass; the others go on. What the passes did is counted in
//! `proposals_swept_total` by outcome (`expired`, `reminded`).

use db::audit::Actor;
use services::Scope;
use services::proposals::expiry::{SweepCounts, sweep};
use uuid::Uuid;

use crate::WorkerCtx;
use crate::tenant_pass::each_tenant;

/// One pass over every tenant.
pub async fn run(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let (total, failed) =
        each_tenant(ctx, "proposal sweep", |tenant| one_tenant(ctx, tenant, now)).await?;
    ctx.metrics.observe_proposal_sweep(&total);
    if total != SweepCounts::default() || failed > 0 {
        tracing::info!(
            expired = total.expired,
            reminded = total.reminded,
            failed,
            "proposal sweep"
        );
    }
    Ok(())
}

async fn one_tenant(
    ctx: &WorkerCtx,
    tenant: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<SweepCounts> {
    let mut tx = db::TenantTx::begin(&ctx.db, tenant).await?;
    let cipher = db::crypto::tenant_cipher(&mut tx, &ctx.master_keys).await?;
    let mut scope = Scope::new(tx, Actor::system());
    let console = ctx.providers.platform.public_url.as_deref();
    let counts = sweep(&mut scope, &cipher, console, now).await?;
    let after = scope.commit().await?;
    if !after.recorded.is_empty() {
        crate::notice::notify(ctx, &after.recorded.notice(tenant)).await;
    }
    Ok(counts)
}
