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
    /// Clients whose last interaction (`last_contact_at`) is in the activity window.
    pub active: i64,
    /// Created since the start of the current month in the tenant's time zone.
    pub new_this_month: i64,
    /// `converted_at` within the period.
    pub converted: i64,
    /// Created within the period and still a lead.
    pub still_leads: i64,
}

/// Counts the tenant's clients; the period is `[from, to)`, the activity window the last
/// `active_days` days up to now. Total, leads and clients are the sum of the tenant's slots of
/// `client_stats`, which triggers on `clients` keep (`client_stats_apply` and, at commit,
/// `client_stats_flush`: `20261130000009_client_counts_at_commit.sql`).
#[tracing::instrument(skip(tx))]
pub async fn client_counts(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    active_days: i32,
) -> Result<ClientCounts, sqlx::Error> {
    let tenant = tx.tenant_id();
    // Totals are the sums of the counter slots the client triggers keep; the rest are range counts on
    // partial indexes (index-only, and only over the rows in the range). The month's start is
    // an uncorrelated subquery so it is known before the scan and bounds the index range
    // (correlated to `t`, it was a filter over every client of the tenant).
    sqlx::query_as!(
        ClientCounts,
        r#"SELECT coalesce(s.total, 0)::bigint AS "total!",
                  coalesce(s.leads, 0)::bigint AS "leads!",
                  coalesce(s.clients, 0)::bigint AS "clients!",
                  (SELECT count(*) FROM clients c
                    WHERE c.tenant_id = $1 AND c.deleted_at IS NULL AND c.last_contact_at IS NOT NULL
                      AND c.last_contact_at >= now() - make_interval(days => $4)
                      AND c.last_contact_at <= now()) AS "active!",
                  (SELECT count(*) FROM clients c
                    WHERE c.tenant_id = $1 AND c.deleted_at IS NULL
                      AND c.created_at >= (SELECT date_trunc('month', now() AT TIME ZONE z.time_zone)
                                                  AT TIME ZONE z.time_zone
                                             FROM tenants z WHERE z.id = $1)) AS "new_this_month!",
                  (SELECT count(*) FROM clients c
                    WHERE c.tenant_id = $1 AND c.deleted_at IS NULL AND c.converted_at IS NOT NULL
                      AND c.converted_at >= $2 AND c.converted_at < $3) AS "converted!",
                  (SELECT count(*) FROM clients c
                    WHERE c.tenant_id = $1 AND c.deleted_at IS NULL
                      AND c.created_at >= $2 AND c.created_at < $3
                      AND c.status = 'lead') AS "still_leads!"
             FROM tenants t
             CROSS JOIN (SELECT sum(total) AS total, sum(leads) AS leads, sum(clients) AS clients
                           FROM client_stats WHERE tenant_id = $1) s
            WHERE t.id = $1"#,
        tenant,
        from,
        to,
        active_days
    )
    .fetch_one(tx.conn())
    .await
}
