//! The benchmark's sales desk: the scratch tenant's clients, each with an e-mail address, its
//! e-mail channel, and the working day's proposal template (four sections with the standard
//! variables, the proposal's and one declared), written through the product's flows as the
//! tenant's owner; then `ANALYZE`. The channel points at 127.0.0.1:1025 and is never reached:
//! no worker runs, so what the sending queues stays queued.

use std::time::Instant;

use anyhow::Context;
use db::TenantTx;
use db::audit::Actor;
use db::crypto::MasterKeys;
use services::Scope;
use services::communications::channels::{self, ChannelInput};
use services::proposals::templates;
use sqlx::PgPool;
use uuid::Uuid;

use crate::day::proposal_work;

/// What the people work with.
#[derive(Debug, Clone)]
pub struct Desk {
    pub template: Uuid,
    pub clients: Vec<Uuid>,
    /// Seconds the clients, channel and template took to write.
    pub write_seconds: f64,
}

/// Writes `clients` clients, the e-mail channel and the template as the tenant's owner `user`.
pub async fn write(
    app: &PgPool,
    admin: &PgPool,
    master_keys: &str,
    tenant: Uuid,
    user: Uuid,
    clients: usize,
) -> anyhow::Result<Desk> {
    let started = Instant::now();
    let master = MasterKeys::parse(master_keys)?;
    let owner = Actor {
        kind: "user",
        id: Some(user),
        ..Actor::default()
    };
    let mut scope = Scope::new(TenantTx::begin(app, tenant).await?, owner);
    let cipher = db::crypto::tenant_cipher(&mut scope.tx, &master).await?;
    let channel = ChannelInput {
        enabled: true,
        host: Some("127.0.0.1".into()),
        port: Some(1025),
        security: Some("none".into()),
        from_address: Some("ventas@bench.example".into()),
        from_name: Some("Bench S.L.".into()),
        ..ChannelInput::default()
    };
    channels::put(&mut scope, &cipher, "email", channel).await?;
    let template = templates::create(&mut scope, proposal_work::template())
        .await?
        .value
        .id;
    let mut ids = Vec::with_capacity(clients);
    for n in 0..clients {
        let input = services::clients::ClientInput {
            company_name: Some(format!("Distribuciones del Presupuesto {n:04} S.L.")),
            emails: Some(vec![format!("compras{n:04}@presupuesto.example")]),
            ..Default::default()
        };
        let client = services::clients::create(&mut scope, &cipher, input).await?;
        ids.push(client.value.id);
    }
    scope.commit().await?;
    sqlx::query("ANALYZE")
        .execute(admin)
        .await
        .context("cannot analyze the scratch database")?;
    Ok(Desk {
        template,
        clients: ids,
        write_seconds: started.elapsed().as_secs_f64(),
    })
}

/// How many proposals stand in each status, and the e-mails with a PDF queued, with the PDFs'
/// mean size, by the schema owner (no RLS).
pub async fn written(admin: &PgPool) -> anyhow::Result<(Vec<(String, i64)>, i64, f64)> {
    let statuses =
        sqlx::query_as("SELECT status, count(*) FROM proposals GROUP BY status ORDER BY status")
            .fetch_all(admin)
            .await?;
    let (mails, mean): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), avg(length(a.content))::float8 FROM communications c
           JOIN communication_attachments a
             ON a.tenant_id = c.tenant_id AND a.communication_id = c.id
          WHERE c.status = 'queued' AND a.content_type = 'application/pdf'",
    )
    .fetch_one(admin)
    .await?;
    Ok((statuses, mails, mean.unwrap_or(0.0)))
}
