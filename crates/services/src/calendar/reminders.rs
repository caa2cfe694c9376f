//! Reminders of planned activities: each assignee is reminded some minutes before each
//! occurrence (the activity's own `reminder_minutes`, else the user's default), by e-mail and
//! on the console's live stream. Each activity keeps when its next reminder comes due
//! (`next_reminder_at`, planned again whenever it changes); the worker's pass
//! (`Job::RemindActivities`, every minute) takes the activities whose time has come, locked,
//! and records each reminder under its key (activity, occurrence, user, minutes) before sending
//! it in the same transaction: so each goes out once, with any number of workers and across
//! restarts, and never for a cancelled activity or for the old time of a moved one (the pass
//! reads the activity as it is now).

use chrono::{DateTime, Utc};
use db::activities::{ActivityData, ActivityRow};
use db::activity_reminders::{Recipient, ReminderKey};
use db::crypto::TenantCipher;
use domain::EventType;
use domain::calendar::ActivityStatus;
use domain::calendar::reminders::{DEFAULT_MINUTES, LOOK_AGAIN, Plan, Reminder, horizon, plan};
use domain::templates::Locale;
use serde_json::json;

use super::activity::data_of;
use super::window::Span;
use crate::platform_mail::{MailKind, ReminderFacts, activity_reminder, queue, tenant_voice};
use crate::{Change, Result, Scope};

/// Most activities one pass reminds about in a tenant (the rest next pass).
const MOST_PER_PASS: i64 = 500;

/// When a reminder of `d` (activity `id`) comes due next, planned at `now`: `now` itself when
/// one is due already (an activity planned or moved to a few minutes from now), `None` when
/// none is to come (not planned, no reminders, no occurrence ahead).
pub(super) async fn next_due(
    scope: &mut Scope,
    id: uuid::Uuid,
    d: &ActivityData,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    if d.status != ActivityStatus::Planned.as_str() {
        return Ok(None);
    }
    let recipients = db::activity_reminders::recipients(&mut scope.tx, &d.assignee_ids).await?;
    let p = planned(id, d, &recipients, now, now)?;
    Ok(if p.send.is_empty() { p.next } else { Some(now) })
}

/// The plan of `d`'s reminders at `now`, for a pass that last looked at `since`.
fn planned(
    id: uuid::Uuid,
    d: &ActivityData,
    recipients: &[Recipient],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let span = Span {
        id,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        recurrence: d.recurrence.as_deref(),
        time_zone: &d.time_zone,
        exceptions: &d.exceptions,
    };
    let until = horizon(now);
    let (occurrences, cut) = span.between(since.min(now), until)?;
    let starts: Vec<_> = occurrences
        .iter()
        .map(|o| o.starts_at)
        .filter(|s| *s >= since.min(now))
        .collect();
    let goes_on = cut || d.occurs_until.is_none_or(|end| end > until);
    let who: Vec<_> = recipients
        .iter()
        .map(|r| (r.user_id, minutes_for(d, r)))
        .collect();
    Ok(plan(&starts, goes_on, &who, since, now))
}

/// The minutes before each start `r` is reminded of `d`.
fn minutes_for(d: &ActivityData, r: &Recipient) -> Vec<i32> {
    d.reminder_minutes
        .clone()
        .or_else(|| r.default_minutes.clone())
        .unwrap_or_else(|| DEFAULT_MINUTES.to_vec())
}

/// What one pass did in one tenant.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PassCounts {
    pub sent: u64,
    pub missed: u64,
    /// Seconds each sent reminder waited past its due time.
    pub lags: Vec<f64>,
}

impl std::ops::AddAssign for PassCounts {
    fn add_assign(&mut self, o: Self) {
        self.sent += o.sent;
        self.missed += o.missed;
        self.lags.extend(o.lags);
    }
}

/// Sends the reminders due at `now` in the scope's tenant; `console_base` makes the mail's
/// link to the activity.
pub async fn remind(
    scope: &mut Scope,
    cipher: &TenantCipher,
    console_base: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PassCounts> {
    let mut counts = PassCounts::default();
    let due = db::activity_reminders::due(&mut scope.tx, now, MOST_PER_PASS).await?;
    if due.is_empty() {
        return Ok(counts);
    }
    let mut users: Vec<_> = due.iter().flat_map(|a| a.assignee_ids.clone()).collect();
    users.sort_unstable();
    users.dedup();
    let recipients = db::activity_reminders::recipients(&mut scope.tx, &users).await?;
    let voice = tenant_voice(scope).await?.1;
    for row in due {
        let d = data_of(&row);
        let theirs: Vec<_> = recipients
            .iter()
            .filter(|r| d.assignee_ids.contains(&r.user_id))
            .cloned()
            .collect();
        // Reminders missed while no pass ran are counted a day back at most.
        let since = row.next_reminder_at.unwrap_or(now).max(now - LOOK_AGAIN);
        let p = if d.status == ActivityStatus::Planned.as_str() {
            planned(row.id, &d, &theirs, since, now)?
        } else {
            Plan::default()
        };
        let letter = Letters {
            row: &row,
            voice,
            console_base,
        };
        for r in &p.missed {
            if db::activity_reminders::record(&mut scope.tx, &key(row.id, r), "missed").await? {
                counts.missed += 1;
            }
        }
        for r in &p.skip {
            db::activity_reminders::record(&mut scope.tx, &key(row.id, r), "skipped").await?;
        }
        let mut sent = Vec::new();
        for r in &p.send {
            if db::activity_reminders::record(&mut scope.tx, &key(row.id, r), "sent").await? {
                let to = theirs.iter().find(|u| u.user_id == r.user_id);
                if let Some(to) = to {
                    letter.send(scope, cipher, to, r).await?;
                }
                counts.lags.push((now - r.due_at).as_seconds_f64().max(0.0));
                sent.push(*r);
            }
        }
        counts.sent += sent.len() as u64;
        record_sent(scope, &row, &sent).await?;
        db::activity_reminders::set_next(&mut scope.tx, row.id, p.next).await?;
    }
    Ok(counts)
}

fn key(activity_id: uuid::Uuid, r: &Reminder) -> ReminderKey {
    ReminderKey {
        activity_id,
        occurrence_at: r.occurrence_at,
        user_id: r.user_id,
        minutes_before: r.minutes_before,
        due_at: r.due_at,
    }
}

/// The reminders' mail of one activity.
struct Letters<'a> {
    row: &'a ActivityRow,
    voice: Locale,
    console_base: Option<&'a str>,
}

impl Letters<'_> {
    async fn send(
        &self,
        scope: &mut Scope,
        cipher: &TenantCipher,
        to: &Recipient,
        r: &Reminder,
    ) -> Result<()> {
        let client = db::clients::get(&mut scope.tx, self.row.client_id, true).await?;
        let company = client.map(|c| c.company_name).unwrap_or_default();
        let starts = local_start(self.voice, self.row, r.occurrence_at);
        let link = self.console_base.map(|b| {
            format!(
                "{}/calendar/activities/{}",
                b.trim_end_matches('/'),
                self.row.id
            )
        });
        let place = self
            .row
            .video_url
            .as_deref()
            .or(self.row.location.as_deref());
        let facts = ReminderFacts {
            title: &self.row.title,
            client: &company,
            starts: &starts,
            place,
            link: link.as_deref(),
        };
        let letter = activity_reminder(self.voice, &to.display_name, &facts);
        queue(
            scope,
            cipher,
            MailKind::ActivityReminder,
            &to.email,
            &letter,
        )
        .await?;
        Ok(())
    }
}

/// An occurrence's start in the activity's own zone: its day, and its time unless all day.
fn local_start(voice: Locale, row: &ActivityRow, at: DateTime<Utc>) -> String {
    let Ok(zone) = row.time_zone.parse::<chrono_tz::Tz>() else {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    };
    let local = at.with_timezone(&zone);
    let day = voice.long_date(local.date_naive());
    if row.all_day {
        day
    } else {
        format!("{day}, {} ({zone})", local.format("%H:%M"))
    }
}

/// One tenant-wide event for the reminders just sent of one activity (not on the client's
/// timeline: a reminder is the team's, not the client's history). The console shows it to
/// the users it names as it arrives on the live stream.
async fn record_sent(scope: &mut Scope, row: &ActivityRow, sent: &[Reminder]) -> Result<()> {
    let Some(first) = sent.first() else {
        return Ok(());
    };
    let mut users: Vec<_> = sent.iter().map(|r| r.user_id).collect();
    users.sort_unstable();
    users.dedup();
    let payload = json!({
        "activity_id": row.id,
        "client_id": row.client_id,
        "title": row.title,
        "kind": row.kind,
        "occurrence_at": first.occurrence_at,
        "all_day": row.all_day,
        "user_ids": users,
        "minutes_before": sent.iter().map(|r| r.minutes_before).collect::<Vec<_>>(),
    });
    scope
        .record(
            Change::of(EventType::ActivityReminded, "activity", row.id)
                .after(payload.clone())
                .on_timeline(format!("Reminder sent: {}", row.title), payload),
        )
        .await
}
