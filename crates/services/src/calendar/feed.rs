//! Each user's iCal feed: a secret URL (its token names the tenant; only its hash is kept) that
//! any calendar application subscribes to, holding the user's activities from 60 days ago to
//! 300 days ahead, each occurrence of a series as its own event (times in UTC, so no
//! application has to know the activity's zone). Issuing a new token replaces the old one;
//! revoking deletes it; both are kept in the audit trail. An API key has no calendar of its own.

use chrono::{DateTime, TimeDelta, Utc};
use db::activities::WindowFilter;
use domain::EventType;
use domain::calendar::ical::{FeedEvent, When, feed};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::window::{OccurrenceOut, window};
use crate::clock::now;
use crate::{Change, Error, Result, Scope};

/// How far back and ahead a feed reaches.
pub const FEED_PAST_DAYS: i64 = 60;
pub const FEED_AHEAD_DAYS: i64 = 300;

/// Whether the user has a feed, since when, and when a calendar application last read it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedOut {
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub last_read_at: Option<DateTime<Utc>>,
}

fn out(f: Option<db::calendar_feeds::Feed>) -> FeedOut {
    FeedOut {
        active: f.is_some(),
        created_at: f.as_ref().map(|f| f.created_at),
        last_read_at: f.and_then(|f| f.last_read_at),
    }
}

fn me(scope: &Scope) -> Result<Uuid> {
    scope.user_id().ok_or_else(|| {
        Error::Forbidden("an API key has no calendar feed; sign in as a user".into())
    })
}

/// The signed-in user's feed.
pub async fn status(scope: &mut Scope) -> Result<FeedOut> {
    let user = me(scope)?;
    Ok(out(db::calendar_feeds::get(&mut scope.tx, user).await?))
}

/// Gives the signed-in user a feed whose token hashes to `token_hash` (the old one, if any,
/// stops working).
pub async fn issue(scope: &mut Scope, token_hash: &[u8]) -> Result<FeedOut> {
    let user = me(scope)?;
    let feed = db::calendar_feeds::issue(&mut scope.tx, user, token_hash).await?;
    scope
        .record(
            Change::of(EventType::CalendarFeedIssued, "calendar_feed", user)
                .after(json!({ "user_id": user, "created_at": feed.created_at })),
        )
        .await?;
    Ok(out(Some(feed)))
}

/// Revokes the signed-in user's feed.
pub async fn revoke(scope: &mut Scope) -> Result<()> {
    let user = me(scope)?;
    if !db::calendar_feeds::delete(&mut scope.tx, user).await? {
        return Err(Error::NotFound);
    }
    scope
        .record(
            Change::of(EventType::CalendarFeedRevoked, "calendar_feed", user)
                .before(json!({ "user_id": user })),
        )
        .await
}

/// The iCalendar file of the feed whose token hashes to `token_hash` (noted as read); not
/// found for a revoked or unknown token.
pub async fn read(scope: &mut Scope, token_hash: &[u8]) -> Result<String> {
    let found = db::calendar_feeds::read(&mut scope.tx, token_hash)
        .await?
        .ok_or(Error::NotFound)?;
    let user = db::users::get(&mut scope.tx, found.user_id)
        .await?
        .ok_or(Error::NotFound)?;
    let t = now();
    let filter = WindowFilter {
        from: Some(t - TimeDelta::days(FEED_PAST_DAYS)),
        to: Some(t + TimeDelta::days(FEED_AHEAD_DAYS)),
        assignee_id: Some(found.user_id),
        ..WindowFilter::default()
    };
    let occurrences = window(scope, &filter).await?.occurrences;
    let events: Vec<FeedEvent> = occurrences.iter().map(event_of).collect();
    Ok(feed(&user.display_name, &events))
}

/// One occurrence as a feed's event.
fn event_of(o: &OccurrenceOut) -> FeedEvent {
    let a = &o.activity;
    let when = if a.all_day {
        let zone = a
            .time_zone
            .parse::<chrono_tz::Tz>()
            .unwrap_or(chrono_tz::UTC);
        let first = o.starts_at.with_timezone(&zone).date_naive();
        let after = o.ends_at.with_timezone(&zone).date_naive();
        When::Days(first, after.max(first.succ_opt().unwrap_or(first)))
    } else {
        When::At(o.starts_at, o.ends_at)
    };
    FeedEvent {
        uid: format!("{}-{}@crm", a.id, o.starts_at.timestamp()),
        stamp: a.updated_at,
        when,
        summary: a.title.clone(),
        description: a.notes.clone(),
        location: a.location.clone(),
        url: a.video_url.clone(),
        cancelled: a.status == "cancelled",
        sequence: a.version,
        category: a.kind.clone(),
    }
}
