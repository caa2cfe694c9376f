//! Support tickets, their comments (public replies and internal notes) and the pauses of their
//! SLA clock. The SLA's derived columns (`next_due_at`, `next_warn_at`) are computed by the
//! caller (`services::tickets`) and written with every change.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::TenantTx;

/// A ticket as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub priority_reason: String,
    pub assignee_id: Option<Uuid>,
    pub team: Option<String>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub last_customer_at: Option<DateTime<Utc>>,
    pub last_agent_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i16>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub next_warn_at: Option<DateTime<Utc>>,
    pub breach_risk: Option<f32>,
    pub breach_risk_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every column a change of a ticket writes, validated (and the SLA columns computed) by the
/// caller. The client is set once, on insert.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketData {
    pub contact_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub priority_reason: String,
    pub assignee_id: Option<Uuid>,
    pub team: Option<String>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub last_customer_at: Option<DateTime<Utc>>,
    pub last_agent_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i16>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub next_warn_at: Option<DateTime<Utc>>,
}

impl From<&TicketRow> for TicketData {
    fn from(r: &TicketRow) -> Self {
        Self {
            contact_id: r.contact_id,
            category_id: r.category_id,
            title: r.title.clone(),
            description: r.description.clone(),
            status: r.status.clone(),
            priority: r.priority.clone(),
            priority_reason: r.priority_reason.clone(),
            assignee_id: r.assignee_id,
            team: r.team.clone(),
            first_response_at: r.first_response_at,
            last_customer_at: r.last_customer_at,
            last_agent_reply_at: r.last_agent_reply_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            satisfaction: r.satisfaction,
            next_due_at: r.next_due_at,
            next_warn_at: r.next_warn_at,
        }
    }
}

/// Stores a new ticket of `client_id`, created at `created_at`.
#[tracing::instrument(skip(tx, d))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    client_id: Uuid,
    created_at: DateTime<Utc>,
    d: &TicketData,
) -> Result<TicketRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        TicketRow,
        "INSERT INTO tickets (tenant_id, id, client_id, contact_id, category_id, title, description,
                              status, priority, priority_reason, assignee_id, team, first_response_at,
                              last_customer_at, last_agent_reply_at, resolved_at, closed_at,
                              satisfaction, next_due_at, next_warn_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $21)
         RETURNING id, client_id, contact_id, category_id, title, description, status, priority,
                   priority_reason, assignee_id, team, first_response_at, last_customer_at,
                   last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at,
                   next_warn_at, breach_risk, breach_risk_reason, version, created_at, updated_at",
        tenant,
        id,
        client_id,
        d.contact_id,
        d.category_id,
        d.title,
        d.description,
        d.status,
        d.priority,
        d.priority_reason,
        d.assignee_id,
        d.team,
        d.first_response_at,
        d.last_customer_at,
        d.last_agent_reply_at,
        d.resolved_at,
        d.closed_at,
        d.satisfaction,
        d.next_due_at,
        d.next_warn_at,
        created_at
    )
    .fetch_one(tx.conn())
    .await
}

/// A ticket by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        "SELECT id, client_id, contact_id, category_id, title, description, status, priority,
                priority_reason, assignee_id, team, first_response_at, last_customer_at,
                last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at,
                next_warn_at, breach_risk, breach_risk_reason, version, created_at, updated_at
           FROM tickets WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A ticket by id, locked until the transaction ends: changes and comments of one ticket
/// happen one after the other (a first response is set once).
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(tx: &mut TenantTx, id: Uuid) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        "SELECT id, client_id, contact_id, category_id, title, description, status, priority,
                priority_reason, assignee_id, team, first_response_at, last_customer_at,
                last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at,
                next_warn_at, breach_risk, breach_risk_reason, version, created_at, updated_at
           FROM tickets WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Writes every column of [`TicketData`] and moves the version on.
#[tracing::instrument(skip(tx, d))]
pub async fn update(tx: &mut TenantTx, id: Uuid, d: &TicketData) -> Result<TicketRow, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        "UPDATE tickets
            SET contact_id = $2, category_id = $3, title = $4, description = $5, status = $6,
                priority = $7, priority_reason = $8, assignee_id = $9, team = $10,
                first_response_at = $11, last_customer_at = $12, last_agent_reply_at = $13,
                resolved_at = $14, closed_at = $15, satisfaction = $16, next_due_at = $17,
                next_warn_at = $18, version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, client_id, contact_id, category_id, title, description, status, priority,
                   priority_reason, assignee_id, team, first_response_at, last_customer_at,
                   last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at,
                   next_warn_at, breach_risk, breach_risk_reason, version, created_at, updated_at",
        id,
        d.contact_id,
        d.category_id,
        d.title,
        d.description,
        d.status,
        d.priority,
        d.priority_reason,
        d.assignee_id,
        d.team,
        d.first_response_at,
        d.last_customer_at,
        d.last_agent_reply_at,
        d.resolved_at,
        d.closed_at,
        d.satisfaction,
        d.next_due_at,
        d.next_warn_at
    )
    .fetch_one(tx.conn())
    .await
}

/// The open tickets (new, open, pending customer, on hold) of these categories, locked until
/// the transaction ends: their due times follow a change of the category's SLA or calendar.
#[tracing::instrument(skip(tx))]
pub async fn open_in_categories(
    tx: &mut TenantTx,
    category_ids: &[Uuid],
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        "SELECT id, client_id, contact_id, category_id, title, description, status, priority,
                priority_reason, assignee_id, team, first_response_at, last_customer_at,
                last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at,
                next_warn_at, breach_risk, breach_risk_reason, version, created_at, updated_at
           FROM tickets
          WHERE category_id = ANY($1) AND status IN ('new', 'open', 'pending_customer', 'on_hold')
          ORDER BY id FOR UPDATE",
        category_ids
    )
    .fetch_all(tx.conn())
    .await
}

/// Sets the SLA's derived columns of many tickets at once (the i-th id gets the i-th times);
/// derived data, so the version stays.
#[tracing::instrument(skip_all, fields(tickets = ids.len()))]
pub async fn set_due_times(
    tx: &mut TenantTx,
    ids: &[Uuid],
    due: &[Option<DateTime<Utc>>],
    warn: &[Option<DateTime<Utc>>],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE tickets t SET next_due_at = d.due, next_warn_at = d.warn
             FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS d(id, due, warn)
            WHERE t.id = d.id"#,
        ids,
        due as &[Option<DateTime<Utc>>],
        warn as &[Option<DateTime<Utc>>]
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Orders of the ticket list, each with its keyset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first (by id, a UUIDv7).
    #[default]
    Newest,
    /// The nearest due time first; tickets without one last.
    Due,
}

/// Filters of the ticket list (all optional).
#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<String>,
    /// Only new, open, pending customer and on hold tickets.
    pub open_only: bool,
    pub priority: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub team: Option<String>,
    /// Only tickets whose nearest due time has passed at this instant.
    pub breached_at: Option<DateTime<Utc>>,
    /// Only tickets at risk at this instant: past their warning time but not their due time,
    /// or with a predicted breach risk of at least `risk_from`.
    pub at_risk_at: Option<DateTime<Utc>>,
    pub risk_from: f32,
    pub matches_nothing: bool,
    pub sort: Sort,
    /// Keyset position: the last row's id and, in due order, its due time (None: infinity).
    pub after: Option<(Uuid, Option<DateTime<Utc>>)>,
    pub limit: i64,
}

const COLUMNS: &str = "id, client_id, contact_id, category_id, title, description, status, \
     priority, priority_reason, assignee_id, team, first_response_at, last_customer_at, \
     last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at, next_warn_at, \
     breach_risk, breach_risk_reason, version, created_at, updated_at";

/// A page of tickets, filtered and sorted. Built with `QueryBuilder` because only the filters
/// given become SQL (each combination gets its own plan and index), as `clients::list` does.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<TicketRow>, sqlx::Error> {
    if f.matches_nothing {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Postgres>::new("SELECT ");
    q.push(COLUMNS).push(" FROM tickets WHERE true");
    if let Some(v) = &f.status {
        q.push(" AND status = ").push_bind(v);
    }
    if f.open_only {
        q.push(" AND status IN ('new', 'open', 'pending_customer', 'on_hold')");
    }
    if let Some(v) = &f.priority {
        q.push(" AND priority = ").push_bind(v);
    }
    if let Some(v) = f.assignee_id {
        q.push(" AND assignee_id = ").push_bind(v);
    }
    if let Some(v) = f.client_id {
        q.push(" AND client_id = ").push_bind(v);
    }
    if let Some(v) = f.category_id {
        q.push(" AND category_id = ").push_bind(v);
    }
    if let Some(v) = &f.team {
        q.push(" AND team = ").push_bind(v);
    }
    if let Some(now) = f.breached_at {
        q.push(" AND next_due_at <= ").push_bind(now);
    }
    if let Some(now) = f.at_risk_at {
        q.push(" AND next_due_at > ")
            .push_bind(now)
            .push(" AND (next_warn_at <= ")
            .push_bind(now)
            .push(" OR breach_risk >= ")
            .push_bind(f.risk_from)
            .push(")");
    }
    let due = "coalesce(next_due_at, 'infinity'::timestamptz)";
    match (f.sort, &f.after) {
        (Sort::Newest, Some((id, _))) => {
            q.push(" AND id < ").push_bind(*id);
        }
        (Sort::Due, Some((id, at))) => {
            q.push(format!(" AND ({due}, id) > (coalesce("))
                .push_bind(*at)
                .push(", 'infinity'::timestamptz), ")
                .push_bind(*id)
                .push(")");
        }
        _ => {}
    }
    q.push(match f.sort {
        Sort::Newest => " ORDER BY id DESC".to_owned(),
        Sort::Due => format!(" ORDER BY {due}, id"),
    });
    q.push(" LIMIT ").push_bind(f.limit);
    q.build_query_as::<TicketRow>().fetch_all(tx.conn()).await
}

/// A comment on a ticket as stored.
#[derive(Debug, Clone)]
pub struct CommentRow {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub author_kind: String,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub public: bool,
    pub created_at: DateTime<Utc>,
}

/// What a new comment holds, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewComment<'a> {
    pub ticket_id: Uuid,
    /// `agent` or `customer`.
    pub author_kind: &'a str,
    pub author_id: Option<Uuid>,
    pub body: &'a str,
    pub public: bool,
    pub created_at: DateTime<Utc>,
}

/// Stores a comment (comments are history: never changed).
#[tracing::instrument(skip(tx, c), fields(ticket_id = %c.ticket_id))]
pub async fn insert_comment(
    tx: &mut TenantTx,
    id: Uuid,
    c: &NewComment<'_>,
) -> Result<CommentRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        CommentRow,
        "INSERT INTO ticket_comments (tenant_id, id, ticket_id, author_kind, author_id, body, public,
                                      created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, ticket_id, author_kind, author_id, body, public, created_at",
        tenant,
        id,
        c.ticket_id,
        c.author_kind,
        c.author_id,
        c.body,
        c.public,
        c.created_at
    )
    .fetch_one(tx.conn())
    .await
}

/// Up to `limit` comments of a ticket, oldest first, after the comment `after`.
#[tracing::instrument(skip(tx))]
pub async fn list_comments(
    tx: &mut TenantTx,
    ticket_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    sqlx::query_as!(
        CommentRow,
        "SELECT id, ticket_id, author_kind, author_id, body, public, created_at
           FROM ticket_comments WHERE ticket_id = $1 AND ($2::uuid IS NULL OR id > $2)
          ORDER BY id LIMIT $3",
        ticket_id,
        after,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// A stretch during which a ticket's SLA clock stood still.
#[derive(Debug, Clone)]
pub struct PauseRow {
    pub ticket_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// None while the pause lasts.
    pub ended_at: Option<DateTime<Utc>>,
    /// `pending_customer`, `on_hold` or `resolved`.
    pub reason: String,
    pub note: Option<String>,
}

/// Records a pause (ended already when `ended_at` is given).
#[tracing::instrument(skip(tx, p), fields(ticket_id = %p.ticket_id))]
pub async fn insert_pause(tx: &mut TenantTx, p: &PauseRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO ticket_pauses (tenant_id, ticket_id, started_at, ended_at, reason, note)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        p.ticket_id,
        p.started_at,
        p.ended_at,
        p.reason,
        p.note
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Ends the pause of a ticket that is still running, at `at`.
#[tracing::instrument(skip(tx))]
pub async fn end_pause(
    tx: &mut TenantTx,
    ticket_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE ticket_pauses SET ended_at = greatest($2, started_at)
          WHERE ticket_id = $1 AND ended_at IS NULL",
        ticket_id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Every pause of these tickets, oldest first.
#[tracing::instrument(skip(tx))]
pub async fn pauses_of(
    tx: &mut TenantTx,
    ticket_ids: &[Uuid],
) -> Result<Vec<PauseRow>, sqlx::Error> {
    sqlx::query_as!(
        PauseRow,
        "SELECT ticket_id, started_at, ended_at, reason, note
           FROM ticket_pauses WHERE ticket_id = ANY($1) ORDER BY ticket_id, started_at",
        ticket_ids
    )
    .fetch_all(tx.conn())
    .await
}

/// The client's open ticket changed last, if any: where the client's own messages land.
#[tracing::instrument(skip(tx))]
pub async fn latest_open_of_client(
    tx: &mut TenantTx,
    client_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM tickets
          WHERE client_id = $1 AND status IN ('new', 'open', 'pending_customer', 'on_hold')
          ORDER BY updated_at DESC, id DESC LIMIT 1",
        client_id
    )
    .fetch_optional(tx.conn())
    .await
}
