//! The figures of the communications KPIs (`services::communications::kpis`): counts by
//! channel and period, engagement of what was sent, response times, preferred channels, and a
//! client's sentiment by month. Each reads one period of one tenant's messages.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// Messages of one channel and direction.
#[derive(Debug, Clone)]
pub struct ChannelCount {
    pub channel: String,
    pub direction: String,
    pub messages: i64,
}

/// Messages per channel and direction that took place in `[from, to)`.
#[tracing::instrument(skip(tx))]
pub async fn by_channel(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ChannelCount>, sqlx::Error> {
    sqlx::query_as!(
        ChannelCount,
        r#"SELECT channel AS "channel!", direction AS "direction!", count(*) AS "messages!"
             FROM communications WHERE occurred_at >= $1 AND occurred_at < $2
            GROUP BY channel, direction ORDER BY channel, direction"#,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}

/// Messages of one channel in one period (a day or a week, in the tenant's time zone).
#[derive(Debug, Clone)]
pub struct PeriodCount {
    /// The period's first day.
    pub period: chrono::NaiveDate,
    pub channel: String,
    pub messages: i64,
}

/// Messages per `unit` (`day` or `week`) and channel in `[from, to)`, periods in `zone`.
#[tracing::instrument(skip(tx))]
pub async fn by_period(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    unit: &str,
    zone: &str,
) -> Result<Vec<PeriodCount>, sqlx::Error> {
    sqlx::query_as!(
        PeriodCount,
        r#"SELECT date_trunc($3, occurred_at AT TIME ZONE $4)::date AS "period!",
                  channel AS "channel!", count(*) AS "messages!"
             FROM communications WHERE occurred_at >= $1 AND occurred_at < $2
            GROUP BY 1, 2 ORDER BY 1, 2"#,
        from,
        to,
        unit,
        zone
    )
    .fetch_all(tx.conn())
    .await
}

/// What became of the messages sent in a period.
#[derive(Debug, Clone, Default)]
pub struct Engagement {
    /// Outbound messages the provider accepted (sent, delivered or read).
    pub sent: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    /// Opened, clicked or replied to.
    pub engaged: i64,
    /// Mean seconds from sending to the client's reply, over the replied ones.
    pub reply_seconds: Option<f64>,
}

/// Engagement of the outbound messages sent in `[from, to)`.
#[tracing::instrument(skip(tx))]
pub async fn engagement(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Engagement, sqlx::Error> {
    sqlx::query_as!(
        Engagement,
        r#"SELECT count(*) AS "sent!",
                  count(*) FILTER (WHERE opened_at IS NOT NULL) AS "opened!",
                  count(*) FILTER (WHERE clicked_at IS NOT NULL) AS "clicked!",
                  count(*) FILTER (WHERE replied_at IS NOT NULL) AS "replied!",
                  count(*) FILTER (WHERE opened_at IS NOT NULL OR clicked_at IS NOT NULL
                                      OR replied_at IS NOT NULL) AS "engaged!",
                  avg(extract(epoch FROM replied_at - sent_at))::float8 AS reply_seconds
             FROM communications
            WHERE direction = 'outbound' AND sent_at >= $1 AND sent_at < $2
              AND status IN ('sent', 'delivered', 'read')"#,
        from,
        to
    )
    .fetch_one(tx.conn())
    .await
}

/// Mean seconds from a client's message received in `[from, to)` to the tenant's next
/// outbound message or call to that client; with how many were answered.
#[tracing::instrument(skip(tx))]
pub async fn team_response(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, Option<f64>), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(answer.at) AS "answered!",
                  avg(extract(epoch FROM answer.at - i.occurred_at))::float8 AS seconds
             FROM communications i
             LEFT JOIN LATERAL (
                  SELECT o.occurred_at AS at FROM communications o
                   WHERE o.client_id = i.client_id AND o.direction = 'outbound'
                     AND o.occurred_at > i.occurred_at
                   ORDER BY o.occurred_at LIMIT 1) answer ON true
            WHERE i.direction = 'inbound' AND i.occurred_at >= $1 AND i.occurred_at < $2"#,
        from,
        to
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((row.answered, row.seconds))
}

/// Clients by the channel they wrote on most in `[from, to)` (ties: the channel's name).
#[tracing::instrument(skip(tx))]
pub async fn preferred_channels(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT channel AS "channel!", count(*) AS "clients!" FROM (
               SELECT DISTINCT ON (client_id) client_id, channel FROM (
                   SELECT client_id, channel, count(*) AS n FROM communications
                    WHERE direction = 'inbound' AND occurred_at >= $1 AND occurred_at < $2
                    GROUP BY client_id, channel) per_channel
                ORDER BY client_id, n DESC, channel) preferred
            GROUP BY channel ORDER BY 2 DESC, 1"#,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.channel, r.clients)).collect())
}

/// One month of a client's messages.
#[derive(Debug, Clone)]
pub struct SentimentMonth {
    pub month: chrono::NaiveDate,
    pub messages: i64,
    /// Mean score of the client's own (inbound) messages; none without any.
    pub inbound_sentiment: Option<f64>,
}

/// A client's messages by month (in `zone`) since `since`, oldest first.
#[tracing::instrument(skip(tx))]
pub async fn sentiment_by_month(
    tx: &mut TenantTx,
    client_id: Uuid,
    since: DateTime<Utc>,
    zone: &str,
) -> Result<Vec<SentimentMonth>, sqlx::Error> {
    sqlx::query_as!(
        SentimentMonth,
        r#"SELECT date_trunc('month', occurred_at AT TIME ZONE $3)::date AS "month!",
                  count(*) AS "messages!",
                  avg(sentiment_score) FILTER (WHERE direction = 'inbound')::float8
                      AS inbound_sentiment
             FROM communications WHERE client_id = $1 AND occurred_at >= $2
            GROUP BY 1 ORDER BY 1"#,
        client_id,
        since,
        zone
    )
    .fetch_all(tx.conn())
    .await
}

/// The channel a client wrote on most, ever (ties: the channel's name).
#[tracing::instrument(skip(tx))]
pub async fn preferred_channel_of(
    tx: &mut TenantTx,
    client_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT channel AS "channel!" FROM communications
            WHERE client_id = $1 AND direction = 'inbound'
            GROUP BY channel ORDER BY count(*) DESC, channel LIMIT 1"#,
        client_id
    )
    .fetch_optional(tx.conn())
    .await
}
