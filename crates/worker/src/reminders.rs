//! `Job::RemindActivities`: the reminder pass, tenant by tenant, each in a transaction of its
//! own as the system (`services::calendar::reminders::remind`). A tenant whose pass fails is
//! logged and left for the next minute's pass; the others go on. What the passes did is
//! counted in `calendar_reminders_total` by outcome, how late each reminder went out in
//! `calendar_reminder_lag_seconds`, failed tenants in `calendar_reminder_failed_tenants_total`,
//! and the end of the last pass in
//! `calendar_reminder_last_pass_timestamp_seconds`.

use db::audit::Actor;
use services::Scope;
use services::calendar::reminders::{PassCounts, remind};
use uuid::Uuid;

use crate::WorkerCtx;
use crate::tenant_pass::each_tenant;

/// One pass over every tenant.
pub async fn run(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let (total, failed) =
        each_tenant(ctx, "reminders", |tenant| one_tenant(ctx, tenant, now)).await?;
    ctx.metrics.reminders.observe(&total, failed);
    if total.sent > 0 || total.missed > 0 || failed > 0 {
        tracing::info!(
            sent = total.sent,
            missed = total.missed,
            failed,
            "reminder pass"
        );
    }
    Ok(())
}

async fn one_tenant(
    ctx: &WorkerCtx,
    tenant: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<PassCounts> {
    let mut tx = db::TenantTx::begin(&ctx.db, tenant).await?;
    let cipher = db::crypto::tenant_cipher(&mut tx, &ctx.master_keys).await?;
    let mut scope = Scope::new(tx, Actor::system());
    let console = ctx.providers.platform.public_url.as_deref();
    let counts = remind(&mut scope, &cipher, console, now).await?;
    let after = scope.commit().await?;
    // The reminders reach their users' open consoles live.
    if !after.recorded.is_empty() {
        crate::notice::notify(ctx, &after.recorded.notice(tenant)).await;
    }
    Ok(counts)
}
