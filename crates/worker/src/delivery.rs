//! `Job::DeliverCommunication`: hands one queued message to its provider in the three steps of
//! `services::communications::delivery` (record the attempt and commit, call the provider
//! outside any transaction, record the outcome), and counts what happened per channel.

use std::sync::Arc;

use db::TenantTx;
use db::audit::Actor;
use services::Scope;
use services::communications::channels::Platform;
use services::communications::delivery::{self, Outcome, Providers, Step};
use uuid::Uuid;

use crate::WorkerCtx;
use crate::send_window::RedisSendWindow;

/// The tenant's per-minute limit on the channel is reached: the job runs again after a pause,
/// without using one of its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled;

impl std::fmt::Display for Throttled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the tenant's send limit for the channel is reached; it runs again shortly")
    }
}

impl std::error::Error for Throttled {}

/// The provider was asked and did not decide (or could not be reached): the job runs again
/// after the queue's backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotDeliveredYet(pub String);

impl std::fmt::Display for NotDeliveredYet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not delivered yet: {}", self.0)
    }
}

impl std::error::Error for NotDeliveredYet {}

/// The real provider clients, with the platform's base URLs; the per-minute limits counted in
/// `redis` (or in the database without it).
pub fn real_providers(
    platform: Platform,
    redis: Option<deadpool_redis::Pool>,
) -> anyhow::Result<Arc<Providers>> {
    Ok(Arc::new(Providers {
        mail: Box::new(integrations::mail::SmtpMailer::new()),
        whatsapp: Box::new(integrations::whatsapp::WhatsAppCloud::new()?),
        sms: Box::new(integrations::sms::Twilio::new()?),
        platform,
        sends: Box::new(RedisSendWindow { pool: redis }),
    }))
}

fn job_actor() -> Actor {
    Actor::system()
}

/// Delivers message `id` of `tenant`.
pub async fn run(ctx: &WorkerCtx, tenant: Uuid, id: Uuid) -> anyhow::Result<()> {
    let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
    let cipher = ctx.ciphers.get(&mut tx, &ctx.master_keys).await?;
    let mut scope = Scope::new(tx, job_actor());
    let step = delivery::prepare(&mut scope, &cipher, id, &ctx.providers).await?;
    let after = scope.commit().await?;
    if !after.recorded.is_empty() {
        crate::notice::notify(ctx, &after.recorded.notice(tenant)).await;
    }
    let attempt = match step {
        Step::Done => return Ok(()),
        Step::Failed(channel) => {
            ctx.metrics.observe_message(&channel, "failed", None);
            return Ok(());
        }
        Step::Throttled(channel) => {
            ctx.metrics.observe_message(&channel, "throttled", None);
            return Err(Throttled.into());
        }
        Step::Send(a) => a,
    };
    let channel = attempt.message.channel.clone();
    let result = attempt.call(&ctx.providers).await;
    let mut scope = Scope::new(TenantTx::begin(&ctx.db, tenant).await?, job_actor());
    let outcome = delivery::settle(&mut scope, &attempt, result).await?;
    let after = scope.commit().await?;
    if !after.recorded.is_empty() {
        crate::notice::notify(ctx, &after.recorded.notice(tenant)).await;
    }
    match outcome {
        Outcome::Sent => {
            let waited = chrono::Utc::now() - attempt.message.created_at;
            let waited = waited.to_std().unwrap_or_default();
            ctx.metrics.observe_message(&channel, "sent", Some(waited));
            Ok(())
        }
        Outcome::Failed(_) => {
            ctx.metrics.observe_message(&channel, "failed", None);
            Ok(())
        }
        Outcome::RetryLater(reason) => {
            ctx.metrics.observe_message(&channel, "retried", None);
            Err(NotDeliveredYet(reason).into())
        }
    }
}
