//! What the reminder pass reads and writes (`migrations/…_activity_reminders.sql`): the
//! activities whose next reminder has come due, the reminders sent (each once, by its key),
//! and the users' default reminders.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;
use crate::activities::ActivityRow;

/// Activities whose next reminder is due at or before `now`, earliest first, at most `limit`,
/// locked until the transaction ends; rows another transaction holds (a change in progress,
/// another worker's pass) are skipped, for the next pass.
#[tracing::instrument(skip(tx))]
pub async fn due(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ActivityRow>, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "SELECT id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids,
                status, outcome, completed_at, recurrence, exceptions, occurs_until,
                reminder_minutes, next_reminder_at, created_by, version, created_at, updated_at
           FROM activities
          WHERE next_reminder_at IS NOT NULL AND next_reminder_at <= $1
          ORDER BY next_reminder_at
          LIMIT $2
            FOR NO KEY UPDATE SKIP LOCKED",
        now,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Sets when the pass must look at an activity next (derived data: its version stays).
#[tracing::instrument(skip(tx))]
pub async fn set_next(
    tx: &mut TenantTx,
    id: Uuid,
    next: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE activities SET next_reminder_at = $2 WHERE id = $1",
        id,
        next
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One reminder as the pass records it.
#[derive(Debug, Clone, Copy)]
pub struct ReminderKey {
    pub activity_id: Uuid,
    pub occurrence_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub minutes_before: i32,
    pub due_at: DateTime<Utc>,
}

/// Records a reminder with its `outcome` (`sent`, `missed` or `skipped`): false when it was recorded
/// already (an earlier pass, or another worker's, which this one waits for and then skips).
#[tracing::instrument(skip(tx))]
pub async fn record(
    tx: &mut TenantTx,
    r: &ReminderKey,
    outcome: &str,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant_id();
    let done = sqlx::query!(
        "INSERT INTO activity_reminders
                (tenant_id, activity_id, occurrence_at, user_id, minutes_before, due_at, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        tenant,
        r.activity_id,
        r.occurrence_at,
        r.user_id,
        r.minutes_before,
        r.due_at,
        outcome
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A user's calendar settings as stored.
#[derive(Debug, Clone)]
pub struct PreferenceRow {
    pub reminder_minutes: Vec<i32>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// A user an activity's reminders may go to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// Their default reminders; `None` when they set none.
    pub default_minutes: Option<Vec<i32>>,
}

/// The active users among `users`, with their default reminders.
#[tracing::instrument(skip(tx, users))]
pub async fn recipients(tx: &mut TenantTx, users: &[Uuid]) -> Result<Vec<Recipient>, sqlx::Error> {
    sqlx::query_as!(
        Recipient,
        r#"SELECT u.id AS user_id, u.email, u.display_name,
                  p.reminder_minutes AS "default_minutes?"
             FROM users u
             LEFT JOIN calendar_preferences p ON p.tenant_id = u.tenant_id AND p.user_id = u.id
            WHERE u.id = ANY($1) AND u.status = 'active' AND u.deleted_at IS NULL"#,
        users
    )
    .fetch_all(tx.conn())
    .await
}

/// A user's calendar settings, if they set any.
#[tracing::instrument(skip(tx))]
pub async fn preference(
    tx: &mut TenantTx,
    user: Uuid,
) -> Result<Option<PreferenceRow>, sqlx::Error> {
    sqlx::query_as!(
        PreferenceRow,
        "SELECT reminder_minutes, version, updated_at FROM calendar_preferences
          WHERE user_id = $1 FOR NO KEY UPDATE",
        user
    )
    .fetch_optional(tx.conn())
    .await
}

/// Stores a user's default reminders (a new version of their settings).
#[tracing::instrument(skip(tx))]
pub async fn set_preference(
    tx: &mut TenantTx,
    user: Uuid,
    minutes: &[i32],
) -> Result<PreferenceRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        PreferenceRow,
        "INSERT INTO calendar_preferences (tenant_id, user_id, reminder_minutes)
         VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, user_id) DO UPDATE
            SET reminder_minutes = EXCLUDED.reminder_minutes,
                version = calendar_preferences.version + 1, updated_at = now()
         RETURNING reminder_minutes, version, updated_at",
        tenant,
        user,
        minutes
    )
    .fetch_one(tx.conn())
    .await
}

/// The planned activities assigned to `user` that follow their assignees' default reminders
/// and still occur after `now`, locked until the transaction ends: a change of the user's
/// default plans their reminders again.
#[tracing::instrument(skip(tx))]
pub async fn following_defaults_of(
    tx: &mut TenantTx,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<ActivityRow>, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "SELECT id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids,
                status, outcome, completed_at, recurrence, exceptions, occurs_until,
                reminder_minutes, next_reminder_at, created_by, version, created_at, updated_at
           FROM activities
          WHERE reminder_minutes IS NULL AND status = 'planned'
            AND $1 = ANY(assignee_ids)
            AND (occurs_until IS NULL OR occurs_until > $2)
            FOR NO KEY UPDATE",
        user,
        now
    )
    .fetch_all(tx.conn())
    .await
}
