//! The pipeline's figures: forecast by month, how far opportunities got (conversion), how long
//! they stayed in each stage (velocity), what closed won or lost, and what is rotting. The
//! counts and values per stage are the board's totals (`opportunities::board_totals`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::TenantTx;

/// The weighted value (value × the stage's probability) of open opportunities expected to
/// close in a month (`None`: no expected close date), in one currency.
#[derive(Debug, Clone)]
pub struct ForecastRow {
    pub month: Option<NaiveDate>,
    pub currency: String,
    pub count: i64,
    pub value: Decimal,
    pub weighted: Decimal,
}

/// The weighted forecast of a pipeline's open opportunities by expected close month.
#[tracing::instrument(skip(tx))]
pub async fn forecast(tx: &mut TenantTx, pipeline: Uuid) -> Result<Vec<ForecastRow>, sqlx::Error> {
    sqlx::query_as!(
        ForecastRow,
        r#"SELECT date_trunc('month', o.expected_close_date)::date AS month, o.currency,
                  count(*) AS "count!", sum(o.estimated_value) AS "value!",
                  round(sum(o.estimated_value * s.probability / 100), 2) AS "weighted!"
             FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id
            WHERE o.pipeline_id = $1 AND s.kind = 'open'
            GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2"#,
        pipeline
    )
    .fetch_all(tx.conn())
    .await
}

/// How many of the opportunities created in a period reached a stage (stood in it or in a
/// later stage that is not a lost one), per stage that is not a lost one.
#[derive(Debug, Clone)]
pub struct ReachRow {
    pub stage_id: Uuid,
    pub reached: i64,
}

/// Per open or won stage, in board order, how many opportunities created in `[from, to)`
/// reached it: an opportunity that skipped a stage counts as having passed it.
#[tracing::instrument(skip(tx))]
pub async fn reach(
    tx: &mut TenantTx,
    pipeline: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReachRow>, sqlx::Error> {
    sqlx::query_as!(
        ReachRow,
        r#"WITH furthest AS (
               SELECT st.opportunity_id, max(s.position) AS position
                 FROM opportunity_stage_stays st
                 JOIN pipeline_stages s ON s.id = st.stage_id
                 JOIN opportunities o ON o.id = st.opportunity_id
                WHERE o.pipeline_id = $1 AND s.kind <> 'lost'
                  AND o.created_at >= $2 AND o.created_at < $3
                GROUP BY st.opportunity_id)
           SELECT s.id AS stage_id,
                  (SELECT count(*) FROM furthest f WHERE f.position >= s.position) AS "reached!"
             FROM pipeline_stages s
            WHERE s.pipeline_id = $1 AND s.kind <> 'lost'
            ORDER BY s.position"#,
        pipeline,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}

/// The stays that ended in a period in one stage: how many, and their average length in days.
#[derive(Debug, Clone)]
pub struct VelocityRow {
    pub stage_id: Uuid,
    pub stays: i64,
    pub average_days: f64,
}

/// Per stage of the pipeline, the stays that ended in `[from, to)` and their average length.
#[tracing::instrument(skip(tx))]
pub async fn velocity(
    tx: &mut TenantTx,
    pipeline: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<VelocityRow>, sqlx::Error> {
    sqlx::query_as!(
        VelocityRow,
        r#"SELECT st.stage_id, count(*) AS "stays!",
                  avg(extract(epoch FROM st.left_at - st.entered_at))::float8 / 86400 AS "average_days!"
             FROM opportunity_stage_stays st
             JOIN pipeline_stages s ON s.id = st.stage_id
            WHERE s.pipeline_id = $1 AND st.left_at >= $2 AND st.left_at < $3
            GROUP BY st.stage_id"#,
        pipeline,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}

/// The opportunities that closed in a period with one outcome, in one currency.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub kind: String,
    pub currency: String,
    pub count: i64,
    pub value: Decimal,
}

/// What closed won and lost in `[from, to)`.
#[tracing::instrument(skip(tx))]
pub async fn outcomes(
    tx: &mut TenantTx,
    pipeline: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OutcomeRow>, sqlx::Error> {
    sqlx::query_as!(
        OutcomeRow,
        r#"SELECT s.kind, o.currency, count(*) AS "count!", sum(o.estimated_value) AS "value!"
             FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id
            WHERE o.pipeline_id = $1 AND s.kind <> 'open'
              AND o.closed_at >= $2 AND o.closed_at < $3
            GROUP BY 1, 2 ORDER BY 1, 2"#,
        pipeline,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}

/// An open opportunity longer in its stage than the stage's rot days.
#[derive(Debug, Clone)]
pub struct RottingRow {
    pub id: Uuid,
    pub title: String,
    pub client_id: Uuid,
    pub stage_id: Uuid,
    pub estimated_value: Decimal,
    pub currency: String,
    pub stage_entered_at: DateTime<Utc>,
}

/// The open opportunities of a pipeline rotting at `now`, the longest-standing first, at most
/// `limit`, with how many there are in all.
#[tracing::instrument(skip(tx))]
pub async fn rotting(
    tx: &mut TenantTx,
    pipeline: Uuid,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<(Vec<RottingRow>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        RottingRow,
        "SELECT o.id, o.title, o.client_id, o.stage_id, o.estimated_value, o.currency,
                o.stage_entered_at
           FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id
          WHERE o.pipeline_id = $1 AND s.kind = 'open' AND s.rot_days IS NOT NULL
            AND o.stage_entered_at < $2::timestamptz - make_interval(days => s.rot_days)
          ORDER BY o.stage_entered_at, o.id LIMIT $3",
        pipeline,
        now,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!"
             FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id
            WHERE o.pipeline_id = $1 AND s.kind = 'open' AND s.rot_days IS NOT NULL
              AND o.stage_entered_at < $2::timestamptz - make_interval(days => s.rot_days)"#,
        pipeline,
        now
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((rows, count))
}
