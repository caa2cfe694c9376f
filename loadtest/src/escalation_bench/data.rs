//! The benchmark's data in the `seed-large` database, written as `postgres` (no row-level
//! security): a 24/7 category in each chosen tenant and its open tickets (`plan`), through
//! `COPY`. The data is anchored at the time it is written; a run keeps data written within the
//! last minutes that no pass has touched yet, and otherwise writes the tickets again (a pass
//! changes them, and an hour later their warning times would have moved under the horizon).
//! `loadtest_escalation_bench` remembers what was written.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use uuid::Uuid;

use super::plan::{self, CATEGORY, TITLE_PREFIX};
use crate::copyfmt::Row;

/// Data written longer ago than this is written again: its warning times have moved.
const FRESH_FOR_MIN: i64 = 10;
/// Clients per tenant the tickets are spread over.
const CLIENTS_PER_TENANT: i64 = 100;
/// Bytes of COPY data per message.
const CHUNK: usize = 4 << 20;

/// What the data set should be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wanted {
    pub tenants: u32,
    pub per_tenant: u32,
    pub due_share: f64,
    pub seed: u64,
}

/// What the run did to the data before the passes.
#[derive(Debug, Serialize)]
pub struct Prepared {
    /// `written` (first time or `--reset`), `rewritten` (stale or touched by a pass) or `kept`.
    pub action: &'static str,
    pub tenants: u64,
    pub tickets: u64,
    pub write_seconds: f64,
    pub vacuum_seconds: f64,
}

const META: &str = "CREATE TABLE IF NOT EXISTS loadtest_escalation_bench (
    id          integer PRIMARY KEY CHECK (id = 1),
    anchored_at timestamptz NOT NULL,
    tenants     integer NOT NULL,
    per_tenant  integer NOT NULL,
    due_share   float8 NOT NULL,
    seed        bigint NOT NULL,
    passes_run  boolean NOT NULL DEFAULT false
)";

/// Writes the data when it is missing, stale, touched or `reset`; keeps it otherwise.
pub async fn prepare(
    pool: &PgPool,
    admin_url: &str,
    wanted: Wanted,
    reset: bool,
) -> anyhow::Result<Prepared> {
    sqlx::query(META).execute(pool).await?;
    let meta: Option<(i32, i32, f64, i64, bool, bool)> = sqlx::query_as(
        "SELECT tenants, per_tenant, due_share, seed, passes_run,
                anchored_at > now() - make_interval(mins => $1)
           FROM loadtest_escalation_bench WHERE id = 1",
    )
    .bind(FRESH_FOR_MIN as i32)
    .fetch_optional(pool)
    .await?;
    let same = meta.is_some_and(|(t, p, d, s, _, _)| {
        i64::from(t) == i64::from(wanted.tenants)
            && i64::from(p) == i64::from(wanted.per_tenant)
            && d == wanted.due_share
            && s as u64 == wanted.seed
    });
    let action = match meta {
        _ if reset || !same => "written",
        Some((_, _, _, _, false, true)) => "kept",
        _ => "rewritten",
    };
    let (tenants, tickets) = counts(pool).await?;
    if action == "kept" {
        eprintln!("  kept the data written before: {tickets} tickets in {tenants} tenants");
        return Ok(Prepared {
            action,
            tenants,
            tickets,
            write_seconds: 0.0,
            vacuum_seconds: 0.0,
        });
    }
    let started = Instant::now();
    let mut conn = loader(admin_url).await?;
    let written = write(&mut conn, wanted).await?;
    conn.close().await?;
    let write_seconds = started.elapsed().as_secs_f64();
    eprintln!("  {action}: {written} tickets in {write_seconds:.1} s");
    let started = Instant::now();
    // One statement each: VACUUM cannot run in the implicit transaction of several.
    for statement in [
        "VACUUM (ANALYZE) tickets",
        "ANALYZE ticket_escalations, ticket_categories",
    ] {
        sqlx::raw_sql(statement)
            .execute(pool)
            .await
            .with_context(|| format!("{statement} failed"))?;
    }
    let vacuum_seconds = started.elapsed().as_secs_f64();
    eprintln!("  VACUUM (ANALYZE) in {vacuum_seconds:.1} s");
    let (tenants, tickets) = counts(pool).await?;
    Ok(Prepared {
        action,
        tenants,
        tickets,
        write_seconds,
        vacuum_seconds,
    })
}

/// Notes that a pass is about to change the data (the next run writes it again).
pub async fn mark_touched(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("UPDATE loadtest_escalation_bench SET passes_run = true WHERE id = 1")
        .execute(pool)
        .await?;
    Ok(())
}

/// Tenants with benchmark tickets, and those tickets.
async fn counts(pool: &PgPool) -> anyhow::Result<(u64, u64)> {
    let (tenants, tickets): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT tenant_id), count(*) FROM tickets WHERE title LIKE $1",
    )
    .bind(format!("{TITLE_PREFIX}%"))
    .fetch_one(pool)
    .await?;
    Ok((tenants as u64, tickets as u64))
}

/// A session for bulk writes: no waiting for WAL flushes, and foreign-key triggers off (the
/// rows written are consistent; the benchmark's own deletes take children first).
async fn loader(url: &str) -> anyhow::Result<PgConnection> {
    let options: PgConnectOptions = url.parse()?;
    let mut conn = options.connect().await?;
    sqlx::raw_sql(
        "SET synchronous_commit = off; SET session_replication_role = replica; \
         SET statement_timeout = 0",
    )
    .execute(&mut conn)
    .await?;
    Ok(conn)
}

/// Removes the benchmark's tickets (and what hangs from them), makes sure each chosen tenant
/// has the category, and copies the tickets in: one transaction, so a failed run leaves the
/// data as it was.
async fn write(conn: &mut PgConnection, wanted: Wanted) -> anyhow::Result<u64> {
    let mut tx = conn.begin().await?;
    let title = format!("{TITLE_PREFIX}%");
    for child in ["ticket_escalations", "ticket_comments", "ticket_pauses"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {child} x USING tickets t
              WHERE x.tenant_id = t.tenant_id AND x.ticket_id = t.id AND t.title LIKE $1"
        )))
        .bind(&title)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM tickets WHERE title LIKE $1")
        .bind(&title)
        .execute(&mut *tx)
        .await?;
    let categories = categories(&mut tx, wanted.tenants).await?;
    let clients = clients(&mut tx, &categories).await?;
    let anchor: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY tickets (tenant_id, id, client_id, category_id, title, status, priority, \
             priority_reason, first_response_at, last_agent_reply_at, next_due_at, \
             next_warn_at, created_at, updated_at) FROM STDIN",
        )
        .await?;
    let mut rng = StdRng::seed_from_u64(wanted.seed);
    let now_ms = anchor.timestamp_millis();
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    let mut rows = 0u64;
    for (tenant, category) in &categories {
        let Some(own) = clients.get(tenant) else {
            continue;
        };
        for n in 0..wanted.per_tenant {
            let p = plan::ticket(&mut rng, now_ms, wanted.due_share);
            ticket_row(&mut buf, &mut rng, (*tenant, *category), own, n, &p);
            rows += 1;
            if buf.len() >= CHUNK {
                copy.send(std::mem::take(&mut buf)).await?;
            }
        }
    }
    copy.send(buf).await?;
    copy.finish().await?;
    sqlx::query(
        "INSERT INTO loadtest_escalation_bench
             (id, anchored_at, tenants, per_tenant, due_share, seed, passes_run)
         VALUES (1, $1, $2, $3, $4, $5, false)
         ON CONFLICT (id) DO UPDATE SET anchored_at = $1, tenants = $2, per_tenant = $3,
             due_share = $4, seed = $5, passes_run = false",
    )
    .bind(anchor)
    .bind(wanted.tenants as i32)
    .bind(wanted.per_tenant as i32)
    .bind(wanted.due_share)
    .bind(wanted.seed as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

fn ticket_row(
    buf: &mut Vec<u8>,
    rng: &mut StdRng,
    (tenant, category): (Uuid, Uuid),
    clients: &[Uuid],
    n: u32,
    p: &plan::Planned,
) {
    let mut random = [0u8; 10];
    rand::RngCore::fill_bytes(rng, &mut random);
    let id = uuid::Builder::from_unix_timestamp_millis(p.created_ms as u64, &random).into_uuid();
    Row::new(buf)
        .uuid(tenant)
        .uuid(id)
        .uuid(clients[n as usize % clients.len()])
        .uuid(category)
        .text(&format!("{TITLE_PREFIX}{n}"))
        .text(p.status)
        .text(p.priority)
        .text("set by the escalation benchmark")
        .opt_time_ms(p.replied_ms)
        .opt_time_ms(p.replied_ms)
        .time_ms(p.due_ms)
        .time_ms(p.warn_ms)
        .time_ms(p.created_ms)
        .time_ms(p.replied_ms.unwrap_or(p.created_ms))
        .end();
}

/// The benchmark's category of the first `tenants` tenants (by slug) that have clients,
/// created or set to the benchmark's policy: tenant id → category id.
async fn categories(conn: &mut PgConnection, tenants: u32) -> anyhow::Result<Vec<(Uuid, Uuid)>> {
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "WITH chosen AS (
            SELECT t.id FROM tenants t
             WHERE EXISTS (SELECT 1 FROM clients c WHERE c.tenant_id = t.id AND c.deleted_at IS NULL)
             ORDER BY t.slug LIMIT $1)
         INSERT INTO ticket_categories
                (tenant_id, id, name, calendar_id, sla, default_priority, warn_at_percent)
         SELECT id, gen_random_uuid(), $2, NULL, $3, 'normal', $4 FROM chosen
         ON CONFLICT (tenant_id, lower(name)) DO UPDATE
            SET calendar_id = NULL, sla = EXCLUDED.sla, warn_at_percent = EXCLUDED.warn_at_percent,
                team_lead_id = NULL
         RETURNING tenant_id, id",
    )
    .bind(i64::from(tenants))
    .bind(CATEGORY)
    .bind(plan::sla_policy())
    .bind(plan::WARN_AT_PERCENT as i32)
    .fetch_all(&mut *conn)
    .await
    .context("cannot write the benchmark's ticket categories")?;
    anyhow::ensure!(
        !rows.is_empty(),
        "no tenant has clients: run seed-large first"
    );
    let mut rows = rows;
    rows.sort_unstable();
    Ok(rows)
}

/// Up to `CLIENTS_PER_TENANT` live clients of each tenant, the tickets' clients.
async fn clients(
    conn: &mut PgConnection,
    categories: &[(Uuid, Uuid)],
) -> anyhow::Result<HashMap<Uuid, Vec<Uuid>>> {
    let tenants: Vec<Uuid> = categories.iter().map(|(t, _)| *t).collect();
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT tenant_id, id FROM (
            SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS n
              FROM clients WHERE tenant_id = ANY($1) AND deleted_at IS NULL) s
          WHERE n <= $2",
    )
    .bind(&tenants)
    .bind(CLIENTS_PER_TENANT)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_tenant: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (tenant, id) in rows {
        by_tenant.entry(tenant).or_default().push(id);
    }
    Ok(by_tenant)
}
