//! Opportunities: a deal with a client, standing in a stage of a pipeline at a rank (its order
//! within the stage), and its stays in each stage. Moves lock in one order (the pipeline
//! shared, then the destination stage, then the card) so that concurrent moves queue instead
//! of deadlocking; see `services::pipeline::moves`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::TenantTx;

/// An opportunity as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpportunityRow {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub client_id: Uuid,
    pub title: String,
    pub estimated_value: Decimal,
    pub currency: String,
    pub rank: i64,
    pub expected_close_date: Option<NaiveDate>,
    pub owner_id: Option<Uuid>,
    pub completion_percentage: i16,
    pub lost_reason: Option<String>,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns a change of an opportunity's details writes, validated by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityData {
    pub title: String,
    pub estimated_value: Decimal,
    pub currency: String,
    pub expected_close_date: Option<NaiveDate>,
    pub owner_id: Option<Uuid>,
    pub completion_percentage: i16,
    pub lost_reason: Option<String>,
}

/// Where an opportunity stands: its stage, rank, and when it entered the stage and closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub stage_id: Uuid,
    pub rank: i64,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lost_reason: Option<String>,
}

/// Stores a new opportunity at `place` and opens its first stay.
#[tracing::instrument(skip(tx, d))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    pipeline_id: Uuid,
    client_id: Uuid,
    place: &Place,
    d: &OpportunityData,
) -> Result<OpportunityRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    let row = sqlx::query_as!(
        OpportunityRow,
        "INSERT INTO opportunities (tenant_id, id, pipeline_id, stage_id, client_id, title,
                                    estimated_value, currency, rank, expected_close_date,
                                    owner_id, completion_percentage, lost_reason,
                                    stage_entered_at, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         RETURNING id, pipeline_id, stage_id, client_id, title, estimated_value, currency,
                   rank, expected_close_date, owner_id, completion_percentage, lost_reason,
                   stage_entered_at, closed_at, version, created_at, updated_at",
        tenant,
        id,
        pipeline_id,
        place.stage_id,
        client_id,
        d.title,
        d.estimated_value,
        d.currency,
        place.rank,
        d.expected_close_date,
        d.owner_id,
        d.completion_percentage,
        d.lost_reason,
        place.stage_entered_at,
        place.closed_at
    )
    .fetch_one(tx.conn())
    .await?;
    enter_stage(tx, id, place.stage_id, place.stage_entered_at).await?;
    Ok(row)
}

/// An opportunity by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<OpportunityRow>, sqlx::Error> {
    sqlx::query_as!(
        OpportunityRow,
        "SELECT id, pipeline_id, stage_id, client_id, title, estimated_value, currency, rank,
                expected_close_date, owner_id, completion_percentage, lost_reason,
                stage_entered_at, closed_at, version, created_at, updated_at
           FROM opportunities WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// An opportunity by id, locked until the transaction ends.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<OpportunityRow>, sqlx::Error> {
    sqlx::query_as!(
        OpportunityRow,
        "SELECT id, pipeline_id, stage_id, client_id, title, estimated_value, currency, rank,
                expected_close_date, owner_id, completion_percentage, lost_reason,
                stage_entered_at, closed_at, version, created_at, updated_at
           FROM opportunities WHERE id = $1 FOR NO KEY UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Its 0-based position within its stage.
#[tracing::instrument(skip(tx))]
pub async fn position_of(tx: &mut TenantTx, stage_id: Uuid, rank: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM opportunities WHERE stage_id = $1 AND rank < $2"#,
        stage_id,
        rank
    )
    .fetch_one(tx.conn())
    .await
}

/// Changes an opportunity's details and bumps its version.
#[tracing::instrument(skip(tx, d))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    d: &OpportunityData,
) -> Result<OpportunityRow, sqlx::Error> {
    sqlx::query_as!(
        OpportunityRow,
        "UPDATE opportunities
            SET title = $2, estimated_value = $3, currency = $4, expected_close_date = $5,
                owner_id = $6, completion_percentage = $7, lost_reason = $8,
                version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, pipeline_id, stage_id, client_id, title, estimated_value, currency,
                   rank, expected_close_date, owner_id, completion_percentage, lost_reason,
                   stage_entered_at, closed_at, version, created_at, updated_at",
        id,
        d.title,
        d.estimated_value,
        d.currency,
        d.expected_close_date,
        d.owner_id,
        d.completion_percentage,
        d.lost_reason
    )
    .fetch_one(tx.conn())
    .await
}

/// Puts an opportunity at `place` and bumps its version. A change of stage closes the current
/// stay and opens one in the new stage.
#[tracing::instrument(skip(tx))]
pub async fn set_place(
    tx: &mut TenantTx,
    id: Uuid,
    from_stage: Uuid,
    place: &Place,
) -> Result<OpportunityRow, sqlx::Error> {
    let row = sqlx::query_as!(
        OpportunityRow,
        "UPDATE opportunities
            SET stage_id = $2, rank = $3, stage_entered_at = $4, closed_at = $5,
                lost_reason = $6, version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, pipeline_id, stage_id, client_id, title, estimated_value, currency,
                   rank, expected_close_date, owner_id, completion_percentage, lost_reason,
                   stage_entered_at, closed_at, version, created_at, updated_at",
        id,
        place.stage_id,
        place.rank,
        place.stage_entered_at,
        place.closed_at,
        place.lost_reason
    )
    .fetch_one(tx.conn())
    .await?;
    if from_stage != place.stage_id {
        sqlx::query!(
            "UPDATE opportunity_stage_stays SET left_at = $2
              WHERE opportunity_id = $1 AND left_at IS NULL",
            id,
            place.stage_entered_at
        )
        .execute(tx.conn())
        .await?;
        enter_stage(tx, id, place.stage_id, place.stage_entered_at).await?;
    }
    Ok(row)
}

async fn enter_stage(
    tx: &mut TenantTx,
    id: Uuid,
    stage_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO opportunity_stage_stays (tenant_id, opportunity_id, stage_id, entered_at)
         VALUES ($1, $2, $3, $4)",
        tenant,
        id,
        stage_id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Deletes an opportunity with its stays.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM opportunities WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Locks a stage against other moves into it until the transaction ends (not against the
/// foreign-key checks of cards entering it: `NO KEY UPDATE`). Returns whether it exists.
#[tracing::instrument(skip(tx))]
pub async fn lock_stage(tx: &mut TenantTx, stage_id: Uuid) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        "SELECT id FROM pipeline_stages WHERE id = $1 FOR NO KEY UPDATE",
        stage_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.is_some())
}

/// The ranks of the cards on either side of the `index`-th place of a stage, counting the
/// stage's cards other than `moving`: (the one before, the one after).
#[tracing::instrument(skip(tx))]
pub async fn neighbours(
    tx: &mut TenantTx,
    stage_id: Uuid,
    moving: Uuid,
    index: i64,
) -> Result<(Option<i64>, Option<i64>), sqlx::Error> {
    let ranks = sqlx::query_scalar!(
        "SELECT rank FROM opportunities WHERE stage_id = $1 AND id <> $2
          ORDER BY rank OFFSET $3 LIMIT 2",
        stage_id,
        moving,
        (index - 1).max(0)
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(match (index, ranks.as_slice()) {
        (0, _) => (None, ranks.first().copied()),
        // Past the end: after the last card.
        (_, []) => (last_rank(tx, stage_id, Some(moving)).await?, None),
        _ => (ranks.first().copied(), ranks.get(1).copied()),
    })
}

/// The highest rank in a stage, not counting the card `except` (None when there is none).
#[tracing::instrument(skip(tx))]
pub async fn last_rank(
    tx: &mut TenantTx,
    stage_id: Uuid,
    except: Option<Uuid>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT rank FROM opportunities
          WHERE stage_id = $1 AND ($2::uuid IS NULL OR id <> $2)
          ORDER BY rank DESC LIMIT 1",
        stage_id,
        except
    )
    .fetch_optional(tx.conn())
    .await
}

/// Spreads a stage's cards `step` apart in their order (the caller holds the stage's lock).
/// A card another transaction moves out of the stage meanwhile is left alone: the stage is
/// checked again on the row as that transaction left it.
#[tracing::instrument(skip(tx))]
pub async fn renumber(tx: &mut TenantTx, stage_id: Uuid, step: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE opportunities o SET rank = r.n * $2
           FROM (SELECT id, row_number() OVER (ORDER BY rank) - 1 AS n
                   FROM opportunities WHERE stage_id = $1) r
          WHERE o.id = r.id AND o.stage_id = $1 AND o.rank <> r.n * $2",
        stage_id,
        step
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What the board shows of a card: the opportunity with its client's and owner's names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardRow {
    pub id: Uuid,
    pub stage_id: Uuid,
    pub client_id: Uuid,
    pub client_name: String,
    pub title: String,
    pub estimated_value: Decimal,
    pub currency: String,
    pub expected_close_date: Option<NaiveDate>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub completion_percentage: i16,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// The count and value of a stage's cards in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StageTotalRow {
    pub stage_id: Uuid,
    pub currency: String,
    pub count: i64,
    pub value: Decimal,
}

/// Which cards a board shows: all of the pipeline's open ones and those closed since
/// `closed_since`, optionally only an owner's or a client's.
#[derive(Debug, Clone)]
pub struct BoardFilter {
    pub pipeline_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub closed_since: DateTime<Utc>,
}

fn push_board_filter(q: &mut QueryBuilder<Postgres>, f: &BoardFilter) {
    q.push(" AND (o.closed_at IS NULL OR o.closed_at >= ")
        .push_bind(f.closed_since)
        .push(")");
    if let Some(v) = f.owner_id {
        q.push(" AND o.owner_id = ").push_bind(v);
    }
    if let Some(v) = f.client_id {
        q.push(" AND o.client_id = ").push_bind(v);
    }
}

/// The first `per_stage` cards of each stage of the board, in order (one statement: a lateral
/// read per stage along `opportunities_stage_rank`). Built with `QueryBuilder` for the filters.
#[tracing::instrument(skip(tx))]
pub async fn board_cards(
    tx: &mut TenantTx,
    f: &BoardFilter,
    per_stage: i64,
) -> Result<Vec<CardRow>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT o.id, o.stage_id, o.client_id, c.company_name AS client_name, o.title,
                o.estimated_value, o.currency, o.expected_close_date, o.owner_id,
                u.display_name AS owner_name, o.completion_percentage, o.stage_entered_at,
                o.closed_at, o.version
           FROM pipeline_stages s
           CROSS JOIN LATERAL (
                SELECT * FROM opportunities o WHERE o.stage_id = s.id",
    );
    push_board_filter(&mut q, f);
    q.push(" ORDER BY o.rank LIMIT ").push_bind(per_stage);
    q.push(
        ") o
           JOIN clients c ON c.id = o.client_id
           LEFT JOIN users u ON u.id = o.owner_id
          WHERE s.pipeline_id = ",
    )
    .push_bind(f.pipeline_id)
    .push(" ORDER BY s.position, o.rank");
    q.build_query_as().fetch_all(tx.conn()).await
}

/// Each stage's count and value per currency, over the cards the board's filter takes.
#[tracing::instrument(skip(tx))]
pub async fn board_totals(
    tx: &mut TenantTx,
    f: &BoardFilter,
) -> Result<Vec<StageTotalRow>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT o.stage_id, o.currency, count(*) AS count, sum(o.estimated_value) AS value
           FROM opportunities o WHERE o.pipeline_id = ",
    );
    q.push_bind(f.pipeline_id);
    push_board_filter(&mut q, f);
    q.push(" GROUP BY o.stage_id, o.currency ORDER BY o.stage_id, o.currency");
    q.build_query_as().fetch_all(tx.conn()).await
}

/// Which opportunities a list takes, and after which id (newest first).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// `open`, `won` or `lost`: the kind of the stage it stands in.
    pub state: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// An opportunity of a list, with its 0-based place in its stage and its stage's kind.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedRow {
    #[sqlx(flatten)]
    pub row: OpportunityRow,
    pub position: i64,
    pub kind: String,
}

/// A page of opportunities, newest first, each with its place and its stage's kind (one
/// statement). Built with `QueryBuilder` for the filters.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &ListFilter) -> Result<Vec<ListedRow>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT o.id, o.pipeline_id, o.stage_id, o.client_id, o.title, o.estimated_value,
                o.currency, o.rank, o.expected_close_date, o.owner_id, o.completion_percentage,
                o.lost_reason, o.stage_entered_at, o.closed_at, o.version, o.created_at,
                o.updated_at, s.kind,
                (SELECT count(*) FROM opportunities p
                  WHERE p.stage_id = o.stage_id AND p.rank < o.rank) AS position
           FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id WHERE true",
    );
    if let Some(v) = f.pipeline_id {
        q.push(" AND o.pipeline_id = ").push_bind(v);
    }
    if let Some(v) = f.stage_id {
        q.push(" AND o.stage_id = ").push_bind(v);
    }
    if let Some(v) = f.client_id {
        q.push(" AND o.client_id = ").push_bind(v);
    }
    if let Some(v) = f.owner_id {
        q.push(" AND o.owner_id = ").push_bind(v);
    }
    if let Some(v) = &f.state {
        q.push(" AND s.kind = ").push_bind(v);
    }
    if let Some(v) = f.after {
        q.push(" AND o.id < ").push_bind(v);
    }
    q.push(" ORDER BY o.id DESC LIMIT ").push_bind(f.limit);
    q.build_query_as().fetch_all(tx.conn()).await
}

/// The value of a client's open opportunities in the currency it has most of (values in
/// different currencies are not added together); None when it has none.
#[tracing::instrument(skip(tx))]
pub async fn open_value_of_client(
    tx: &mut TenantTx,
    client_id: Uuid,
) -> Result<Option<Decimal>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT max(v) FROM (SELECT sum(o.estimated_value) AS v
                               FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id
                              WHERE o.client_id = $1 AND s.kind = 'open'
                              GROUP BY o.currency) per_currency",
        client_id
    )
    .fetch_one(tx.conn())
    .await
}
