//! Client KPIs: counts over one tenant's clients, read in one statement (one snapshot of
//! committed data, so concurrent writes never make the numbers disagree with each other).

use chrono::{DateTime, Utc};

use crate::TenantTx;

/// The raw counts behind `GET /api/v1/kpis/clients`; deleted (and merged-away) clients are
/// never counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCounts {
    pub total: i64,
    pub leads: i64,
    pub clients: i64,
    /// Clients with at least one timeline event in the activity window.
    pub active: i64,
    /// Created since the start of the current month in the tenant's time zone.
    pub new_this_month: i64,
    /// `converted_at` within the period.
    pub converted: i64,
    /// Created within the period and still a lead.
    pub still_leads: i64,
}

/// Counts the tenant's clients; the period is `[from, to)`, the activity window the last
/// `active_days` days up to now.
#[tracing::instrument(skip(tx))]
pub async fn client_counts(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    active_days: i32,
) -> Result<ClientCounts, sqlx::Error> {
    let tenant = tx.tenant_id();
    // The activity test is an uncorrelated IN, so Postgres builds one hash of the window's
    // client ids (from timeline_all) instead of probing the timeline once per client.
    sqlx::query_as!(
        ClientCounts,
        r#"SELECT count(*) AS "total!",
                  count(*) FILTER (WHERE c.status = 'lead') AS "leads!",
                  count(*) FILTER (WHERE c.status = 'client') AS "clients!",
                  count(*) FILTER (WHERE c.id IN (
                      SELECT e.client_id FROM timeline_events e
                       WHERE e.tenant_id = $1
                         AND e.event_date >= now() - make_interval(days => $4)
                         AND e.event_date <= now()
                         AND e.client_id IS NOT NULL)) AS "active!",
                  count(*) FILTER (WHERE c.created_at >= m.month_start) AS "new_this_month!",
                  count(*) FILTER (WHERE c.converted_at >= $2 AND c.converted_at < $3) AS "converted!",
                  count(*) FILTER (WHERE c.status = 'lead' AND c.created_at >= $2
                                     AND c.created_at < $3) AS "still_leads!"
             FROM clients c
            CROSS JOIN (SELECT date_trunc('month', now() AT TIME ZONE t.time_zone)
                               AT TIME ZONE t.time_zone AS month_start
                          FROM tenants t WHERE t.id = $1) m
            WHERE c.tenant_id = $1 AND c.deleted_at IS NULL"#,
        tenant,
        from,
        to,
        active_days
    )
    .fetch_one(tx.conn())
    .await
}
