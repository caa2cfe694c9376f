//! The benchmark's pipeline: the scratch tenant's default pipeline (made with the tenant) with
//! its clients and open opportunities spread evenly over the open stages, written through the
//! product's flows as the tenant's owner (`services::clients::create`,
//! `services::pipeline::create`: each deal at the end of its stage, with its stay, audit row and
//! timeline event), one writer per stage, in transactions of a few hundred; then `ANALYZE`, as
//! autovacuum would have done by the time anyone looks at a board this size.

use std::time::Instant;

use anyhow::Context;
use db::TenantTx;
use db::audit::Actor;
use db::crypto::MasterKeys;
use services::Scope;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

/// Opportunities per transaction while writing them.
const BATCH: usize = 250;

/// What the load works on.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub id: Uuid,
    /// In board order.
    pub open_stages: Vec<Uuid>,
    /// Seconds the clients and opportunities took to write.
    pub write_seconds: f64,
}

/// The tenant's owner acting.
fn as_user(id: Uuid) -> Actor {
    Actor {
        kind: "user",
        id: Some(id),
        ..Actor::default()
    }
}

/// Writes `clients` clients and `opportunities` open opportunities on the tenant's default
/// pipeline as its owner `user`.
pub async fn write(
    app: &PgPool,
    admin: &PgPool,
    master_keys: &str,
    tenant: Uuid,
    user: Uuid,
    clients: usize,
    opportunities: usize,
) -> anyhow::Result<Pipeline> {
    let started = Instant::now();
    let master = MasterKeys::parse(master_keys)?;
    let mut scope = Scope::new(TenantTx::begin(app, tenant).await?, as_user(user));
    let pipeline = services::pipeline::pipelines::default_pipeline(&mut scope)
        .await?
        .value;
    let open_stages = pipeline.open_stage_ids();
    anyhow::ensure!(
        !open_stages.is_empty(),
        "the default pipeline has no open stage"
    );
    let cipher = db::crypto::tenant_cipher(&mut scope.tx, &master).await?;
    let mut client_ids = Vec::with_capacity(clients);
    for n in 0..clients {
        let input = services::clients::ClientInput {
            company_name: Some(format!("Suministros del Tablero {n:04} S.L.")),
            ..Default::default()
        };
        let client = services::clients::create(&mut scope, &cipher, input).await?;
        client_ids.push(client.value.id);
    }
    scope.commit().await?;
    eprintln!(
        "{clients} clients written; writing {opportunities} opportunities over {} stages",
        open_stages.len()
    );

    // One writer per stage: new cards queue on their stage's lock, so more would only wait.
    let stages = open_stages.len();
    let mut writers = JoinSet::new();
    for (i, stage) in open_stages.iter().copied().enumerate() {
        let numbers: Vec<usize> = (i..opportunities).step_by(stages).collect();
        let (app, clients) = (app.clone(), client_ids.clone());
        writers
            .spawn(async move { write_stage(&app, tenant, user, stage, &numbers, &clients).await });
    }
    while let Some(done) = writers.join_next().await {
        done.context("a writer failed")??;
    }
    sqlx::query("ANALYZE")
        .execute(admin)
        .await
        .context("cannot analyze the scratch database")?;
    Ok(Pipeline {
        id: pipeline.id,
        open_stages,
        write_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Opens opportunities `numbers` at the end of `stage`, a batch per transaction.
async fn write_stage(
    app: &PgPool,
    tenant: Uuid,
    user: Uuid,
    stage: Uuid,
    numbers: &[usize],
    clients: &[Uuid],
) -> anyhow::Result<()> {
    for batch in numbers.chunks(BATCH) {
        let mut scope = Scope::new(TenantTx::begin(app, tenant).await?, as_user(user));
        for &n in batch {
            let input = services::pipeline::NewOpportunity {
                client_id: clients[n % clients.len()],
                title: format!("Renovación de equipos, lote {n}"),
                estimated_value: Some(format!("{}.{:02}", 1_000 + (n * 37) % 90_000, n % 100)),
                currency: None,
                stage_id: Some(stage),
                expected_close_date: None,
                owner_id: None,
                completion_percentage: Some(((n * 7) % 100) as i16),
            };
            services::pipeline::create(&mut scope, input).await?;
        }
        scope.commit().await?;
    }
    Ok(())
}

/// How many opportunities stand in each stage of the pipeline, by the schema owner (no RLS).
pub async fn per_stage(
    admin: &PgPool,
    pipeline: Uuid,
) -> anyhow::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query_as(
        "SELECT s.name, s.kind, count(o.id)
           FROM pipeline_stages s LEFT JOIN opportunities o ON o.stage_id = s.id
          WHERE s.pipeline_id = $1
          GROUP BY s.id, s.name, s.kind, s.position ORDER BY s.position",
    )
    .bind(pipeline)
    .fetch_all(admin)
    .await?;
    Ok(rows)
}
