//! `Job::SendPlatformMail`: one invitation or password-reset mail through the platform's SMTP
//! server (`services::platform_mail`): the attempt is counted and committed, the mail handed
//! over outside any transaction, the outcome recorded. A retry sends the same `Message-ID`.

use db::TenantTx;
use db::audit::Actor;
use services::Scope;
use services::platform_mail;
use uuid::Uuid;

use crate::{NotDeliveredYet, WorkerCtx};

/// Sends mail `id` of `tenant`.
pub async fn run(ctx: &WorkerCtx, tenant: Uuid, id: Uuid) -> anyhow::Result<()> {
    let platform = &ctx.providers.platform;
    let domain = platform
        .smtp
        .as_ref()
        .and_then(|s| s.from_address.rsplit_once('@').map(|(_, d)| d.to_owned()))
        .unwrap_or_else(|| "crm.invalid".to_owned());
    let mut tx = TenantTx::begin(&ctx.db, tenant).await?;
    let cipher = db::crypto::tenant_cipher(&mut tx, &ctx.master_keys).await?;
    let mut scope = Scope::new(tx, Actor::system());
    let ready = platform_mail::prepare(&mut scope, &cipher, id, &domain).await?;
    scope.commit().await?;
    let Some(ready) = ready else {
        return Ok(());
    };
    let result =
        platform_mail::send(ctx.providers.mail.as_ref(), platform.smtp.as_ref(), &ready).await;
    let outcome = result.clone().err().map(|e| e.reason().to_owned());
    let mut scope = Scope::new(TenantTx::begin(&ctx.db, tenant).await?, Actor::system());
    let retry = platform_mail::settle(&mut scope, &ready, result, chrono::Utc::now()).await?;
    scope.commit().await?;
    match (retry, outcome) {
        (true, Some(reason)) => Err(NotDeliveredYet(reason).into()),
        (false, Some(reason)) => {
            tracing::warn!(mail = %id, %reason, "a platform mail was given up");
            Ok(())
        }
        _ => Ok(()),
    }
}
