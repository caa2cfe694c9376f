//! Proposal KPIs: the proposals sent in a period (`sent_at` in `[from, to)`), counted and summed
//! per currency and per template version. Every sent row counts, revisions included: a
//! revision is a proposal sent again.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::TenantTx;

/// The figures of one currency's proposals sent in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyFigures {
    pub currency: String,
    pub sent: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub expired: i64,
    /// Still `sent`: neither answered nor expired.
    pub pending: i64,
    /// The mean total, to the cent.
    pub average_value: Decimal,
    /// Σ total of those still `sent`.
    pub pending_value: Decimal,
    /// Σ total of the accepted ones.
    pub won_value: Decimal,
    /// Σ seconds from sending to acceptance of the accepted ones.
    pub seconds_to_accept: Decimal,
}

/// The proposals sent in `[from, to)` per currency, by currency code.
#[tracing::instrument(skip(tx))]
pub async fn per_currency(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CurrencyFigures>, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        CurrencyFigures,
        r#"SELECT currency,
                  count(*) AS "sent!",
                  count(*) FILTER (WHERE status = 'accepted') AS "accepted!",
                  count(*) FILTER (WHERE status = 'rejected') AS "rejected!",
                  count(*) FILTER (WHERE status = 'expired') AS "expired!",
                  count(*) FILTER (WHERE status = 'sent') AS "pending!",
                  round(avg(total), 2) AS "average_value!",
                  coalesce(sum(total) FILTER (WHERE status = 'sent'), 0) AS "pending_value!",
                  coalesce(sum(total) FILTER (WHERE status = 'accepted'), 0) AS "won_value!",
                  coalesce(sum(extract(epoch FROM decided_at - sent_at))
                           FILTER (WHERE status = 'accepted'), 0) AS "seconds_to_accept!"
             FROM proposals
            WHERE tenant_id = $1 AND sent_at >= $2 AND sent_at < $3
            GROUP BY currency
            ORDER BY currency"#,
        tenant,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}

/// The figures of the proposals sent in the period from one template version in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateVersionFigures {
    pub template_id: Uuid,
    pub template_name: String,
    pub template_version: i32,
    pub currency: String,
    pub sent: i64,
    pub accepted: i64,
    /// Σ total of the accepted ones.
    pub won_value: Decimal,
}

/// The proposals sent in `[from, to)` per template version and currency, by template name,
/// version and currency.
#[tracing::instrument(skip(tx))]
pub async fn per_template_version(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TemplateVersionFigures>, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        TemplateVersionFigures,
        r#"SELECT p.template_id, t.name AS template_name, p.template_version, p.currency,
                  count(*) AS "sent!",
                  count(*) FILTER (WHERE p.status = 'accepted') AS "accepted!",
                  coalesce(sum(p.total) FILTER (WHERE p.status = 'accepted'), 0) AS "won_value!"
             FROM proposals p
             JOIN proposal_templates t ON t.tenant_id = p.tenant_id AND t.id = p.template_id
            WHERE p.tenant_id = $1 AND p.sent_at >= $2 AND p.sent_at < $3
            GROUP BY p.template_id, t.name, p.template_version, p.currency
            ORDER BY lower(t.name), p.template_id, p.template_version, p.currency"#,
        tenant,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}
