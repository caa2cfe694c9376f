//! A stand-in for Google Calendar API v3 on 127.0.0.1, for the worker's calendar sync. Each
//! user's calendar is made up on the fly from the [`Agenda`] (nothing is stored), the user told
//! by the bearer token (`tok-<user id>`, see [`agenda::access_token`]; any other is refused
//! with 401):
//!
//! - `GET .../events` without a sync token is the full read: `events` events in pages of 250,
//!   the user's CRM activities first (as the CRM wrote them, ETag `"1"`), then private events;
//! - with a sync token it is the incremental read: one page of `changed` events, the user's
//!   first [`Agenda::moved`] activities an hour later (ETag `"2"`, updated now), then new
//!   private events;
//! - `POST .../events` and `PUT .../events/{id}` answer the event's id with a new ETag.
//!
//! Every event served and every write answered is counted ([`Served`]).

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::agenda::{self, Agenda};

/// Events per page of a read, as Google's default (`integrations::google_calendar::PAGE_SIZE`).
pub const PAGE_SIZE: u32 = 250;
/// The ETag of an event as the CRM wrote it, and of one changed in the calendar since.
pub const WRITTEN_ETAG: &str = "\"1\"";
const MOVED_ETAG: &str = "\"2\"";

/// What the fake has answered so far.
#[derive(Debug, Default)]
struct Counts {
    full_events: AtomicU64,
    changed_events: AtomicU64,
    pages: AtomicU64,
    writes: AtomicU64,
    refused: AtomicU64,
}

/// A reading of the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Served {
    /// Events of full reads.
    pub full_events: u64,
    /// Events of incremental reads.
    pub changed_events: u64,
    pub pages: u64,
    /// Events created or replaced.
    pub writes: u64,
    /// Calls refused for want of a known access token.
    pub refused: u64,
}

impl Served {
    /// What was answered between `before` and this reading.
    pub fn since(self, before: Self) -> Self {
        Self {
            full_events: self.full_events - before.full_events,
            changed_events: self.changed_events - before.changed_events,
            pages: self.pages - before.pages,
            writes: self.writes - before.writes,
            refused: self.refused - before.refused,
        }
    }

    /// Events read, full and incremental.
    pub fn events(&self) -> u64 {
        self.full_events + self.changed_events
    }
}

struct Fake {
    agenda: Agenda,
    counts: Counts,
}

/// The fake Google Calendar API, running until [`FakeGoogle::stop`].
pub struct FakeGoogle {
    /// Its base URL, as the registration's `api_base_url`.
    pub base_url: String,
    fake: Arc<Fake>,
    server: crate::setup::Local,
}

impl FakeGoogle {
    /// Starts the fake on a port-0 listener on 127.0.0.1.
    pub async fn start(agenda: Agenda) -> anyhow::Result<Self> {
        let fake = Arc::new(Fake {
            agenda,
            counts: Counts::default(),
        });
        let events = "/calendar/v3/calendars/{calendar}/events";
        let app = Router::new()
            .route(events, get(list).post(insert))
            .route(&format!("{events}/{{event}}"), put(update))
            .with_state(fake.clone());
        let server = crate::setup::Local::serve(app).await?;
        Ok(Self {
            base_url: format!("http://{}", server.addr),
            fake,
            server,
        })
    }

    /// What it has answered so far.
    pub fn served(&self) -> Served {
        let c = &self.fake.counts;
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        Served {
            full_events: read(&c.full_events),
            changed_events: read(&c.changed_events),
            pages: read(&c.pages),
            writes: read(&c.writes),
            refused: read(&c.refused),
        }
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The events of page `page` of a read of `total`, and the next page's number if any.
fn page_span(total: u32, page: u32) -> (Range<u32>, Option<u32>) {
    let start = page.saturating_mul(PAGE_SIZE).min(total);
    let end = start.saturating_add(PAGE_SIZE).min(total);
    (start..end, (end < total).then_some(page + 1))
}

/// One event as the fake shows it.
struct Shown<'a> {
    id: &'a str,
    etag: &'a str,
    ical_uid: &'a str,
    summary: &'a str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    updated: DateTime<Utc>,
    activity: Option<Uuid>,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Appends the event as Google's JSON (its texts need no escaping: the fake makes them).
fn push_event(out: &mut String, e: &Shown<'_>) {
    let _ = write!(
        out,
        r#"{{"kind":"calendar#event","id":"{}","status":"confirmed","etag":{:?},"iCalUID":"{}","summary":"{}","updated":"{}","start":{{"dateTime":"{}"}},"end":{{"dateTime":"{}"}}"#,
        e.id,
        e.etag,
        e.ical_uid,
        e.summary,
        time(e.updated),
        time(e.starts_at),
        time(e.ends_at)
    );
    if let Some(a) = e.activity {
        let _ = write!(
            out,
            r#","extendedProperties":{{"private":{{"crm_activity":"{a}"}}}}"#
        );
    }
    out.push('}');
}

impl Fake {
    /// Event `k` of user `n`'s calendar as a full read shows it.
    fn push_full(&self, out: &mut String, n: u32, k: u32) {
        if k < self.agenda.linked {
            self.push_activity(out, n, k, Duration::zero(), WRITTEN_ETAG);
        } else {
            let starts_at = self.agenda.private_start(k);
            push_private(
                out,
                &format!("p{n}e{k}"),
                starts_at,
                self.agenda.first_start,
            );
        }
    }

    /// Event `j` of an incremental read of user `n`'s calendar.
    fn push_changed(&self, out: &mut String, n: u32, j: u32, now: DateTime<Utc>) {
        if j < self.agenda.moved() {
            self.push_activity(out, n, j, Duration::hours(1), MOVED_ETAG);
        } else {
            let starts_at = self.agenda.first_start + Duration::hours(i64::from(j));
            push_private(out, &format!("p{n}n{j}"), starts_at, now);
        }
    }

    /// Activity `k` of user `n`, `later` than planned, with `etag`.
    fn push_activity(&self, out: &mut String, n: u32, k: u32, later: Duration, etag: &str) {
        let a = self.agenda.activity(n, k);
        let id = a.id.simple().to_string();
        let updated = if later.is_zero() {
            self.agenda.first_start - Duration::days(1)
        } else {
            Utc::now()
        };
        push_event(
            out,
            &Shown {
                id: &id,
                etag,
                ical_uid: &format!("{}@crm", a.id),
                summary: &a.title,
                starts_at: a.starts_at + later,
                ends_at: a.ends_at + later,
                updated,
                activity: Some(a.id),
            },
        );
    }

    /// A page of a read of user `n`'s calendar: `items`, then the next page's token or the
    /// sync token.
    fn page(&self, n: u32, items: Range<u32>, next: Option<u32>, full: bool) -> String {
        let mut out = String::with_capacity(items.len() * 420 + 64);
        out.push_str(r#"{"kind":"calendar#events","items":["#);
        let now = Utc::now();
        for (i, k) in items.clone().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if full {
                self.push_full(&mut out, n, k);
            } else {
                self.push_changed(&mut out, n, k, now);
            }
        }
        let counter = if full {
            &self.counts.full_events
        } else {
            &self.counts.changed_events
        };
        counter.fetch_add(items.len() as u64, Ordering::Relaxed);
        self.counts.pages.fetch_add(1, Ordering::Relaxed);
        match next {
            Some(p) => {
                let _ = write!(out, r#"],"nextPageToken":"{p}"}}"#);
            }
            None => {
                let _ = write!(out, r#"],"nextSyncToken":"s{n}"}}"#);
            }
        }
        out
    }
}

fn push_private(out: &mut String, id: &str, starts_at: DateTime<Utc>, updated: DateTime<Utc>) {
    push_event(
        out,
        &Shown {
            id,
            etag: WRITTEN_ETAG,
            ical_uid: &format!("{id}@google.com"),
            summary: "Privado",
            starts_at,
            ends_at: starts_at + Duration::minutes(30),
            updated,
            activity: None,
        },
    );
}

/// The query of a read (Google's names).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadQuery {
    sync_token: Option<String>,
    page_token: Option<String>,
}

/// The user of the call's bearer token; a call without a known one is counted as refused.
fn user_of(fake: &Fake, headers: &HeaderMap) -> Option<u32> {
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(agenda::user_of_token);
    if user.is_none() {
        fake.counts.refused.fetch_add(1, Ordering::Relaxed);
    }
    user
}

/// Google's answer to an access token it does not know.
fn unauthorized() -> Response {
    let error = json!({ "error": { "code": 401, "message": "Invalid Credentials" } });
    (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response()
}

async fn list(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(q): Query<ReadQuery>,
) -> Response {
    let Some(n) = user_of(&fake, &headers) else {
        return unauthorized();
    };
    let Ok(page) = q.page_token.as_deref().map_or(Ok(0), str::parse::<u32>) else {
        return (StatusCode::BAD_REQUEST, "bad pageToken").into_response();
    };
    let full = q.sync_token.is_none();
    let total = if full {
        fake.agenda.events
    } else {
        fake.agenda.changed
    };
    let (items, next) = page_span(total, page);
    let body = fake.page(n, items, next, full);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A written event as Google answers it: its id and a new ETag.
fn written(fake: &Fake, id: &str) -> Response {
    let w = fake.counts.writes.fetch_add(1, Ordering::Relaxed) + 1;
    let event = json!({ "id": id, "etag": format!("\"w{w}\""), "status": "confirmed" });
    axum::Json(event).into_response()
}

async fn insert(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if user_of(&fake, &headers).is_none() {
        return unauthorized();
    }
    let w = fake.counts.writes.load(Ordering::Relaxed);
    let id = body["id"]
        .as_str()
        .map_or_else(|| format!("new{w}"), str::to_owned);
    written(&fake, &id)
}

async fn update(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path((_calendar, event)): Path<(String, String)>,
) -> Response {
    if user_of(&fake, &headers).is_none() {
        return unauthorized();
    }
    written(&fake, &event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(events: u32, linked: u32, changed: u32) -> Fake {
        Fake {
            agenda: Agenda::new(events, linked, changed, Utc::now()),
            counts: Counts::default(),
        }
    }

    #[test]
    fn a_read_is_cut_into_pages_of_250_and_the_last_gives_the_sync_token() {
        assert_eq!(page_span(10_000, 0), (0..250, Some(1)));
        assert_eq!(page_span(10_000, 39), (9_750..10_000, None));
        assert_eq!(page_span(600, 2), (500..600, None));
        assert_eq!(page_span(20, 0), (0..20, None));
        assert_eq!(page_span(0, 0), (0..0, None));
        assert_eq!(page_span(250, 7), (250..250, None));
    }

    #[test]
    fn a_full_read_shows_the_activities_as_written_then_private_events() {
        let f = fake(600, 50, 20);
        let mut pages = Vec::new();
        let mut next = Some(0);
        while let Some(p) = next {
            let (items, n) = page_span(f.agenda.events, p);
            let page: Value = serde_json::from_str(&f.page(7, items, n, true)).expect("JSON");
            next = n;
            pages.push(page);
        }
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0]["nextPageToken"], "1");
        assert_eq!(pages[2]["nextSyncToken"], "s7");
        let items: Vec<&Value> = pages
            .iter()
            .flat_map(|p| p["items"].as_array().expect("items"))
            .collect();
        assert_eq!(items.len(), 600);
        let first = f.agenda.activity(7, 0);
        assert_eq!(items[0]["id"], first.id.simple().to_string());
        assert_eq!(items[0]["etag"], WRITTEN_ETAG);
        assert_eq!(items[0]["summary"], first.title);
        assert_eq!(
            items[0]["extendedProperties"]["private"]["crm_activity"],
            first.id.to_string()
        );
        let start: DateTime<Utc> = items[0]["start"]["dateTime"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("start");
        assert_eq!(start, first.starts_at);
        assert!(items[50].get("extendedProperties").is_none());
        assert_eq!(f.counts.full_events.load(Ordering::Relaxed), 600);
    }

    #[test]
    fn an_incremental_read_moves_half_the_changes_an_hour_with_a_new_etag() {
        let f = fake(1_000, 50, 20);
        let (items, next) = page_span(f.agenda.changed, 0);
        let page: Value = serde_json::from_str(&f.page(3, items, next, false)).expect("JSON");
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 20);
        assert_eq!(page["nextSyncToken"], "s3");
        let moved = items
            .iter()
            .filter(|e| e.get("extendedProperties").is_some())
            .count();
        assert_eq!(moved, 10);
        let a = f.agenda.activity(3, 9);
        assert_eq!(items[9]["etag"], MOVED_ETAG);
        assert_eq!(
            items[9]["start"]["dateTime"],
            time(a.starts_at + Duration::hours(1))
        );
        assert_eq!(f.counts.changed_events.load(Ordering::Relaxed), 20);
    }

    #[test]
    fn every_event_served_reads_as_the_sync_reads_it() {
        use services::calendar::sync::google_event;
        let f = fake(300, 5, 4);
        for (items, full) in [(0..250, true), (250..300, true), (0..4, false)] {
            let page: Value = serde_json::from_str(&f.page(2, items, None, full)).expect("JSON");
            for item in page["items"].as_array().expect("items") {
                let e = google_event::read(item.clone()).expect("readable");
                assert!(!e.cancelled && e.slot.is_some() && e.etag.is_some());
                if let Some(a) = e.activity {
                    assert_eq!(e.external_id, a.simple().to_string());
                    assert_eq!(e.ical_uid, Some(format!("{a}@crm")));
                }
            }
        }
    }
}
