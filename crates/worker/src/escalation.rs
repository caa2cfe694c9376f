//! `Job::EscalateTickets`: the SLA escalation pass, tenant by tenant, each in a transaction of
//! its own as the system (`services::sla_escalation::escalate`). A tenant whose pass fails is
//! logged and left for the next minute's pass; the others go on. What the pass did is counted
//! in `sla_escalation_tickets_total` by outcome, and its end time kept in
//! `sla_escalation_last_pass_timestamp_seconds` (an alert fires when passes stop coming).

use db::audit::Actor;
use services::Scope;
use services::sla_escalation::{BreachNotices, PassCounts, escalate};
use uuid::Uuid;

use crate::WorkerCtx;
use crate::tenant_pass::each_tenant;

/// One pass over every tenant.
pub async fn run(ctx: &WorkerCtx) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let (total, failed) =
        each_tenant(ctx, "SLA escalation", |tenant| one_tenant(ctx, tenant, now)).await?;
    ctx.metrics.observe_escalation(&total, failed);
    tracing::info!(
        checked = total.checked,
        warned = total.warned,
        breached = total.breached,
        predicted = total.predicted,
        failed,
        "SLA escalation pass"
    );
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
    let notices = BreachNotices {
        cipher: &cipher,
        console_base: ctx.providers.platform.public_url.as_deref(),
    };
    let counts = escalate(&mut scope, &notices, now).await?;
    let after = scope.commit().await?;
    // Warnings and breaches reach the assignees' open consoles live.
    if !after.recorded.is_empty() {
        crate::notice::notify(ctx, &after.recorded.notice(tenant)).await;
    }
    Ok(counts)
}
