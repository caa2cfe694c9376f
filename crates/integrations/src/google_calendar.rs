//! Google Calendar API v3: the calls a two-way sync makes on one user's calendar. Changes are
//! read incrementally (`events.list` with the sync token of the last run, page after page; a
//! 410 means the token expired and a full read must start again), events are written with
//! their ETag (`If-Match`: a 412 means the user changed it meanwhile), and a watch channel asks
//! Google to call back when something changes. The base URL is configurable for tests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http;
use crate::tls::TlsSetupError;

/// Google's API.
pub const DEFAULT_BASE_URL: &str = "https://www.googleapis.com";
/// Events per page of a read (Google's default is 250, its most 2,500).
pub const PAGE_SIZE: u32 = 250;

/// Why a call failed, as a sync must treat it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// 410: the sync token expired; read everything again.
    #[error("the sync token expired: a full sync is needed")]
    FullSyncNeeded,
    /// 401: the access token expired or was revoked; refresh it and try again.
    #[error("the access token was refused")]
    Unauthorized,
    /// 412: the event changed since the ETag given.
    #[error("the event changed meanwhile")]
    Changed,
    /// 409 on an insert: an event with that id already exists.
    #[error("the event already exists")]
    Duplicate,
    /// 404 or 410 on one event: it is gone.
    #[error("no such event")]
    NotFound,
    /// 429, or 403 with a rate-limit reason: wait (as long as `Retry-After` says, if it does).
    #[error("rate limited")]
    RateLimited { retry_after: Option<Duration> },
    /// Refused for good (a bad request, no permission).
    #[error("refused: {0}")]
    Refused(String),
    /// No answer or a 5xx: try later.
    #[error("not answered: {0}")]
    Unavailable(String),
}

/// A date or a date and time, as the API writes an event's start and end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTime {
    /// An all-day event's date (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// An event as read (the fields a sync uses; the rest are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleEvent {
    pub id: String,
    /// `confirmed`, `tentative` or `cancelled` (deleted).
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub etag: String,
    #[serde(rename = "iCalUID")]
    pub ical_uid: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub start: Option<EventTime>,
    pub end: Option<EventTime>,
    /// RRULE, EXDATE ... lines of a recurring event.
    pub recurrence: Option<Vec<String>>,
    /// Set on one changed occurrence of a series.
    pub recurring_event_id: Option<String>,
    pub updated: Option<String>,
    pub hangout_link: Option<String>,
    pub extended_properties: Option<ExtendedProperties>,
}

/// Private properties our writes put on an event (they come back on reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendedProperties {
    #[serde(default)]
    pub private: std::collections::BTreeMap<String, String>,
}

/// An event as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    /// The id to create the event under (base32hex, 5 to 1024 characters): a second insert
    /// under the same id answers 409 instead of making a copy. Only on insert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub start: EventTime,
    pub end: EventTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Vec<String>>,
    /// The UID shared by every copy of the meeting (RFC 5545); only on insert.
    #[serde(rename = "iCalUID", skip_serializing_if = "Option::is_none")]
    pub ical_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub extended_properties: ExtendedProperties,
}

/// Where a read starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFrom {
    /// Everything (deleted events included) changed since `time_min` (RFC 3339), if given.
    Full { time_min: Option<String> },
    /// What changed since the read that gave this token.
    Changes { sync_token: String },
}

/// One page of a read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    #[serde(default)]
    pub items: Vec<serde_json::Value>,
    pub next_page_token: Option<String>,
    /// On the last page only: where the next read starts.
    pub next_sync_token: Option<String>,
}

/// A watch channel Google opened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: String,
    pub resource_id: String,
    /// Milliseconds since the epoch, as text.
    pub expiration: Option<String>,
}

/// The calls on one user's calendar.
pub struct GoogleCalendar {
    http: reqwest::Client,
    base_url: String,
}

impl GoogleCalendar {
    pub fn new(base_url: &str) -> Result<Self, TlsSetupError> {
        Ok(Self {
            http: http::api_client()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    fn events_url(&self, calendar: &str) -> String {
        format!(
            "{}/calendar/v3/calendars/{}/events",
            self.base_url,
            encode(calendar)
        )
    }

    /// One page of a read; each item stays JSON so that one malformed event can be set aside
    /// by the caller without losing the page.
    pub async fn read_page(
        &self,
        access_token: &str,
        calendar: &str,
        from: &ReadFrom,
        page_token: Option<&str>,
    ) -> Result<EventsPage, CalendarError> {
        let mut query: Vec<(&str, String)> = vec![("maxResults", PAGE_SIZE.to_string())];
        match from {
            ReadFrom::Full { time_min } => {
                query.push(("showDeleted", "true".into()));
                if let Some(t) = time_min {
                    query.push(("timeMin", t.clone()));
                }
            }
            // A sync token takes no other restriction (Google refuses timeMin with it).
            ReadFrom::Changes { sync_token } => query.push(("syncToken", sync_token.clone())),
        }
        if let Some(p) = page_token {
            query.push(("pageToken", p.to_owned()));
        }
        let mut url = reqwest::Url::parse(&self.events_url(calendar))
            .map_err(|e| CalendarError::Refused(format!("base URL: {e}")))?;
        url.query_pairs_mut().extend_pairs(query);
        let req = self.http.get(url).bearer_auth(access_token);
        let body = send(req, true).await?;
        serde_json::from_slice(&body)
            .map_err(|e| CalendarError::Unavailable(format!("unreadable page: {e}")))
    }

    /// Creates an event; returns it as Google stored it (its id and ETag).
    pub async fn insert(
        &self,
        access_token: &str,
        calendar: &str,
        event: &EventBody,
    ) -> Result<GoogleEvent, CalendarError> {
        let req = self
            .http
            .post(self.events_url(calendar))
            .bearer_auth(access_token)
            .json(event);
        read_event(send(req, false).await?)
    }

    /// Replaces an event if it still has `etag` (any version of it without one).
    pub async fn update(
        &self,
        access_token: &str,
        calendar: &str,
        event_id: &str,
        etag: Option<&str>,
        event: &EventBody,
    ) -> Result<GoogleEvent, CalendarError> {
        let url = format!("{}/{}", self.events_url(calendar), encode(event_id));
        let mut req = self.http.put(url).bearer_auth(access_token).json(event);
        if let Some(etag) = etag {
            req = req.header(reqwest::header::IF_MATCH, etag);
        }
        read_event(send(req, false).await?)
    }

    /// Asks Google to call `address` with `token` when the calendar changes, for `ttl`.
    pub async fn watch(
        &self,
        access_token: &str,
        calendar: &str,
        channel_id: &str,
        address: &str,
        token: &str,
        ttl: Duration,
    ) -> Result<Channel, CalendarError> {
        let body = serde_json::json!({
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": { "ttl": ttl.as_secs().to_string() },
        });
        let url = format!("{}/watch", self.events_url(calendar));
        let req = self.http.post(url).bearer_auth(access_token).json(&body);
        serde_json::from_slice(&send(req, false).await?)
            .map_err(|e| CalendarError::Unavailable(format!("unreadable channel: {e}")))
    }

    /// Stops a watch channel (a channel Google no longer knows counts as stopped).
    pub async fn stop(
        &self,
        access_token: &str,
        channel_id: &str,
        resource_id: &str,
    ) -> Result<(), CalendarError> {
        let url = format!("{}/calendar/v3/channels/stop", self.base_url);
        let body = serde_json::json!({ "id": channel_id, "resourceId": resource_id });
        let req = self.http.post(url).bearer_auth(access_token).json(&body);
        match send(req, false).await {
            Ok(_) | Err(CalendarError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A path segment with its reserved characters escaped (calendar ids hold `@` and `#`).
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn read_event(body: Vec<u8>) -> Result<GoogleEvent, CalendarError> {
    serde_json::from_slice(&body)
        .map_err(|e| CalendarError::Unavailable(format!("unreadable event: {e}")))
}

/// Sends and reads the answer, mapping failures; `listing`: a 410 is an expired sync token.
async fn send(req: reqwest::RequestBuilder, listing: bool) -> Result<Vec<u8>, CalendarError> {
    let res = req
        .send()
        .await
        .map_err(|e| CalendarError::Unavailable(e.to_string()))?;
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = res
        .bytes()
        .await
        .map_err(|e| CalendarError::Unavailable(e.to_string()))?
        .to_vec();
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let detail = String::from_utf8_lossy(&body)
        .chars()
        .take(300)
        .collect::<String>();
    Err(match status {
        401 => CalendarError::Unauthorized,
        410 if listing => CalendarError::FullSyncNeeded,
        404 | 410 => CalendarError::NotFound,
        409 => CalendarError::Duplicate,
        412 => CalendarError::Changed,
        429 => CalendarError::RateLimited { retry_after },
        403 if detail.contains("ateLimitExceeded") => CalendarError::RateLimited { retry_after },
        500..=599 => CalendarError::Unavailable(format!("HTTP {status}: {detail}")),
        _ => CalendarError::Refused(format!("HTTP {status}: {detail}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_ids_are_escaped_in_paths() {
        assert_eq!(encode("ana@example.com"), "ana%40example.com");
        assert_eq!(
            encode("en.spain#holiday@group.v.calendar.google.com"),
            "en.spain%23holiday%40group.v.calendar.google.com"
        );
        assert_eq!(encode("primary"), "primary");
    }

    #[test]
    fn an_event_reads_with_the_fields_a_sync_uses() {
        let e: GoogleEvent = serde_json::from_value(serde_json::json!({
            "kind": "calendar#event", "id": "ev1", "status": "confirmed", "etag": "\"3\"",
            "iCalUID": "uid-1@crm", "summary": "Demo",
            "start": { "dateTime": "2027-03-01T10:00:00+01:00", "timeZone": "Europe/Madrid" },
            "end": { "date": "2027-03-02" },
            "recurrence": ["RRULE:FREQ=WEEKLY"],
            "extendedProperties": { "private": { "crm_activity": "a1" } }
        }))
        .expect("event");
        assert_eq!(e.ical_uid.as_deref(), Some("uid-1@crm"));
        assert_eq!(e.end.and_then(|t| t.date).as_deref(), Some("2027-03-02"));
        assert_eq!(
            e.extended_properties
                .map(|p| p.private["crm_activity"].clone()),
            Some("a1".into())
        );
    }
}
