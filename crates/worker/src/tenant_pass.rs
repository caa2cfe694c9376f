//! One way to pass over every tenant: the minute passes (SLA escalation, proposal sweep,
//! reminders, calendar sync) each run their work tenant by tenant in transactions of their
//! own, a few tenants at a time. A tenant whose work fails is logged and counted, and left for
//! the next pass; the others go on.

use std::future::Future;
use std::ops::AddAssign;

use futures::StreamExt;
use uuid::Uuid;

use crate::WorkerCtx;

/// Tenants passed at the same time: their transactions wait on the database and the disk
/// more than on this process (the worker's pool has room for them beside its jobs).
pub const TENANTS_AT_ONCE: usize = 4;

/// Runs `one` for every tenant, adding up what each did; gives the total and how many
/// tenants failed. `pass` names the pass in the log.
pub async fn each_tenant<T, F, Fut>(ctx: &WorkerCtx, pass: &str, one: F) -> anyhow::Result<(T, u32)>
where
    T: Default + AddAssign,
    F: Fn(Uuid) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let tenants = db::tenants::list_ids(&ctx.db).await?;
    let mut passes = futures::stream::iter(tenants)
        .map(|tenant| {
            let work = one(tenant);
            async move { (tenant, work.await) }
        })
        .buffer_unordered(TENANTS_AT_ONCE);
    let mut total = T::default();
    let mut failed = 0_u32;
    while let Some((tenant, outcome)) = passes.next().await {
        match outcome {
            Ok(done) => total += done,
            Err(e) => {
                failed += 1;
                tracing::warn!(%tenant, error = %e, pass, "a pass failed for a tenant");
            }
        }
    }
    Ok((total, failed))
}
