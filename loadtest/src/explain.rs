//! `EXPLAIN (ANALYZE, BUFFERS)` of the statements the benchmarked endpoints run, as `crm_app`
//! inside a transaction with `app.tenant_id` set (so row-level security applies as in the API).
//!
//! The API sends its statements as named prepared statements (sqlx caches them per connection),
//! so each statement is `PREPARE`d with the parameter types sqlx sends and explained three ways:
//! with a custom plan (the values known), with the generic plan (values unknown), and with the
//! plan Postgres picks by itself after five executions (what a pooled connection runs in the
//! steady state).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection, Row};
use uuid::Uuid;

/// The columns `db::clients` reads (crates/db/src/clients.rs, `COLUMNS`).
pub const CLIENT_COLUMNS: &str = "id, company_name, tax_id_cipher, tax_id_country::text AS tax_id_country, emails, phones, sector, \
     address, website, status, owner_id, source, tags, custom_fields, converted_at, converted_by, \
     last_contact_at, version, created_at, updated_at, deleted_at, merged_into";

/// One statement to explain, with its parameter types and values as SQL literals.
pub struct Statement {
    /// File name (without `.txt`) and label.
    pub name: &'static str,
    /// Which endpoints run it.
    pub used_by: &'static str,
    /// Parameter types as sqlx binds them, e.g. `text, int8` (empty: none).
    pub types: &'static str,
    pub sql: String,
    pub args: Vec<String>,
    /// Not what the API runs: the same search as the superuser (no row-level security) with an
    /// explicit `tenant_id` predicate, to show which index RLS keeps the planner from using.
    pub reference: bool,
}

pub fn lit_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn lit_uuid(id: Uuid) -> String {
    format!("'{id}'::uuid")
}

/// What one plan showed.
#[derive(Debug, Serialize)]
pub struct PlanSummary {
    pub statement: String,
    pub used_by: String,
    /// `custom`, `generic` or `auto` (chosen by Postgres after five executions), or
    /// `reference` (as the superuser, no RLS: not counted in the verdict).
    pub mode: &'static str,
    pub file: String,
    pub top_node: String,
    pub execution_ms: Option<f64>,
    pub shared_hit: u64,
    pub shared_read: u64,
    /// Indexes the plan uses, with whether `tenant_id` is their first column.
    pub indexes: Vec<(String, bool)>,
    /// `Seq Scan` nodes on clients or timeline_events.
    pub seq_scans: Vec<String>,
}

/// `Seq Scan on <table>` nodes of the plan whose table is clients or timeline_events.
pub fn seq_scans(plan: &str) -> Vec<String> {
    plan.lines()
        .filter_map(|line| {
            let at = line.find("Seq Scan on ")?;
            let table = line[at + "Seq Scan on ".len()..]
                .split_whitespace()
                .next()?;
            matches!(table, "clients" | "timeline_events").then(|| line.trim().to_owned())
        })
        .collect()
}

/// Index names used by the plan's scan nodes.
fn indexes_used(plan: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in plan.lines() {
        // "Index Scan using x", "Index Scan Backward using x", "Index Only Scan using x",
        // "Bitmap Index Scan on x".
        let marker = if line.contains("Bitmap Index Scan on ") {
            "Bitmap Index Scan on "
        } else if line.contains("Index") && line.contains(" Scan") {
            " using "
        } else {
            continue;
        };
        if let Some(at) = line.find(marker)
            && let Some(name) = line[at + marker.len()..].split_whitespace().next()
            && !out.iter().any(|n| n == name)
        {
            out.push(name.to_owned());
        }
    }
    out
}

fn number_after(plan: &str, key: &str) -> Option<f64> {
    let at = plan.find(key)?;
    plan[at + key.len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn buffers(plan: &str, key: &str) -> u64 {
    // The top node's first "Buffers:" line carries the totals.
    plan.lines()
        .find(|l| l.trim_start().starts_with("Buffers:"))
        .and_then(|l| {
            let at = l.find(key)?;
            l[at + key.len()..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Whether the index leads with the tenant: `tenant_id`, or `id` of `tenants` itself.
async fn leading_tenant(conn: &mut PgConnection, index: &str) -> anyhow::Result<bool> {
    let first: Option<(String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
          WHERE c.relname = $1",
    )
    .bind(index)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(matches!(
        first.as_ref().map(|(t, a)| (t.as_str(), a.as_str())),
        Some((_, "tenant_id") | ("tenants", "id"))
    ))
}

async fn explain_once(conn: &mut PgConnection, args: &str) -> anyhow::Result<String> {
    let rows = sqlx::raw_sql(AssertSqlSafe(format!(
        "EXPLAIN (ANALYZE, BUFFERS) EXECUTE lt_stmt{args}"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = String::new();
    for row in rows {
        out.push_str(&row.try_get::<String, _>(0)?);
        out.push('\n');
    }
    Ok(out)
}

async fn connect(url: &str) -> anyhow::Result<PgConnection> {
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    options
        .connect()
        .await
        .with_context(|| format!("cannot connect to {url}"))
}

/// Explains every statement as `crm_app` in `tenant` (references as the superuser from
/// `owner_url`), writing `<dir>/<name>.txt`.
pub async fn run(
    app_url: &str,
    owner_url: &str,
    tenant: Uuid,
    statements: &[Statement],
    dir: &Path,
) -> anyhow::Result<Vec<PlanSummary>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut app = connect(app_url).await?;
    let mut owner = connect(owner_url).await?;
    let mut out = Vec::new();
    for st in statements {
        let (conn, role, modes): (&mut PgConnection, &str, &[&'static str]) = if st.reference {
            (
                &mut owner,
                "postgres (superuser: row-level security does not apply)",
                &["reference"],
            )
        } else {
            (&mut app, "crm_app", &["custom", "generic", "auto"])
        };
        let args = if st.args.is_empty() {
            String::new()
        } else {
            format!("({})", st.args.join(", "))
        };
        let types = if st.types.is_empty() {
            String::new()
        } else {
            format!("({})", st.types)
        };
        let mut file = String::new();
        let _ = writeln!(
            file,
            "-- {} (run by {}), as {role} with app.tenant_id = {tenant}\n-- PREPARE lt_stmt{types} AS\n{}\n-- EXECUTE lt_stmt{args}\n",
            st.name, st.used_by, st.sql
        );
        let mut plans = Vec::new();
        for &mode in modes {
            let mut tx = conn.begin().await?;
            sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                .bind(tenant.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::raw_sql(AssertSqlSafe(format!(
                "PREPARE lt_stmt{types} AS {}",
                st.sql
            )))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("cannot prepare {}", st.name))?;
            let plan = match mode {
                "custom" | "generic" | "reference" => {
                    let force = if mode == "generic" {
                        "generic"
                    } else {
                        "custom"
                    };
                    sqlx::raw_sql(AssertSqlSafe(format!(
                        "SET LOCAL plan_cache_mode = force_{force}_plan"
                    )))
                    .execute(&mut *tx)
                    .await?;
                    explain_once(&mut tx, &args).await?
                }
                _ => {
                    // Five custom plans, then Postgres decides whether the generic one is
                    // good enough; the sixth execution shows its choice.
                    for _ in 0..5 {
                        sqlx::raw_sql(AssertSqlSafe(format!("EXECUTE lt_stmt{args}")))
                            .execute(&mut *tx)
                            .await?;
                    }
                    explain_once(&mut tx, &args).await?
                }
            };
            sqlx::raw_sql("DEALLOCATE lt_stmt")
                .execute(&mut *tx)
                .await?;
            tx.rollback().await?;
            let title = match mode {
                "custom" => "custom plan (parameter values known to the planner)",
                "generic" => "generic plan (parameter values unknown)",
                "reference" => "reference: custom plan without row-level security",
                _ => "plan Postgres chose after five executions (what a pooled connection runs)",
            };
            let _ = writeln!(file, "-- {title}\n{plan}");
            plans.push((mode, plan));
        }
        let path = dir.join(format!("{}.txt", st.name));
        std::fs::write(&path, &file).with_context(|| format!("cannot write {}", path.display()))?;
        for (mode, plan) in plans {
            let mut indexes = Vec::new();
            for name in indexes_used(&plan) {
                let tenant_first = leading_tenant(&mut owner, &name).await?;
                indexes.push((name, tenant_first));
            }
            out.push(PlanSummary {
                statement: st.name.to_owned(),
                used_by: st.used_by.to_owned(),
                mode,
                file: path.display().to_string(),
                top_node: plan
                    .lines()
                    .next()
                    .map(|l| l.split("  (").next().unwrap_or(l).trim().to_owned())
                    .unwrap_or_default(),
                execution_ms: number_after(&plan, "Execution Time:"),
                shared_hit: buffers(&plan, "shared hit="),
                shared_read: buffers(&plan, "read="),
                indexes,
                seq_scans: seq_scans(&plan),
            });
        }
    }
    app.close().await?;
    owner.close().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str =
        "Limit  (cost=0.42..10.0 rows=26 width=500) (actual time=0.05..0.3 rows=26 loops=1)
  Buffers: shared hit=120 read=3
  ->  Index Scan Backward using clients_status on clients  (cost=0.42..99.0 rows=300 width=500)
        Index Cond: ((tenant_id = current_tenant_id()) AND (status = 'client'::text))
  ->  Bitmap Index Scan on clients_search  (cost=0.00..10.0 rows=1 width=0)
  ->  Seq Scan on timeline_events e  (cost=0.00..1.0 rows=1 width=0)
  ->  Seq Scan on tenants t  (cost=0.00..1.0 rows=1 width=0)
Planning Time: 0.2 ms
Execution Time: 0.456 ms
";

    #[test]
    fn reads_plans() {
        assert_eq!(
            seq_scans(PLAN),
            vec!["->  Seq Scan on timeline_events e  (cost=0.00..1.0 rows=1 width=0)"]
        );
        assert_eq!(indexes_used(PLAN), vec!["clients_status", "clients_search"]);
        assert_eq!(number_after(PLAN, "Execution Time:"), Some(0.456));
        assert_eq!(buffers(PLAN, "shared hit="), 120);
        assert_eq!(buffers(PLAN, "read="), 3);
        assert!(seq_scans("Seq Scan on client_merges").is_empty());
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(lit_text("o'brien"), "'o''brien'");
    }
}
