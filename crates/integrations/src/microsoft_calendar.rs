//! Microsoft Graph calendars: the calls a two-way sync makes on one user's Outlook calendar.
//! Changes are read with a delta query (`calendarView/delta`, following `@odata.nextLink`
//! until an `@odata.deltaLink`, which the next run starts from; a 410 means the delta state
//! expired and a full read must start again), throttling answers 429 with `Retry-After`,
//! change-notification subscriptions carry a `clientState` secret checked on every
//! notification, and lifecycle notices say when a subscription needs reauthorizing, was
//! removed, or missed changes. The base URL is configurable for tests.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::http;
use crate::tls::TlsSetupError;

/// Microsoft Graph.
pub const DEFAULT_BASE_URL: &str = "https://graph.microsoft.com";
/// The longest a subscription to Outlook events may live (Graph's limit, under 7 days).
pub const SUBSCRIPTION_MAX_MINUTES: i64 = 10_070;

/// Why a call failed, as a sync must treat it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// 410 (`syncStateNotFound` / `resyncRequired`): start a full read again.
    #[error("the delta state expired: a full sync is needed")]
    FullSyncNeeded,
    /// 401: refresh the access token and try again.
    #[error("the access token was refused")]
    Unauthorized,
    /// 412: the event changed since the ETag given.
    #[error("the event changed meanwhile")]
    Changed,
    #[error("not found")]
    NotFound,
    /// 429 or 503 with `Retry-After`: wait that long.
    #[error("throttled")]
    Throttled { retry_after: Option<Duration> },
    #[error("refused: {0}")]
    Refused(String),
    #[error("not answered: {0}")]
    Unavailable(String),
}

/// Where a read starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaFrom {
    /// A full read of the events between two RFC 3339 instants.
    Window { start: String, end: String },
    /// The `@odata.nextLink` or `@odata.deltaLink` a previous page gave.
    Link(String),
}

/// One page of a delta read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DeltaPage {
    #[serde(default)]
    pub value: Vec<serde_json::Value>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// On the last page: where the next run starts.
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// A subscription Graph made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    pub expiration_date_time: String,
}

/// What a subscription asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSubscription {
    pub change_type: String,
    pub notification_url: String,
    pub lifecycle_notification_url: String,
    pub resource: String,
    pub expiration_date_time: String,
    pub client_state: String,
}

/// The calls on one user's calendar.
pub struct MicrosoftCalendar {
    http: reqwest::Client,
    base_url: String,
}

impl MicrosoftCalendar {
    pub fn new(base_url: &str) -> Result<Self, TlsSetupError> {
        Ok(Self {
            http: http::api_client()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// One page of a delta read of the signed-in user's default calendar. A link must be one
    /// Graph gave for this base (anything else is refused, never called).
    pub async fn delta_page(
        &self,
        access_token: &str,
        from: &DeltaFrom,
    ) -> Result<DeltaPage, GraphError> {
        let url = match from {
            DeltaFrom::Window { start, end } => {
                let mut u =
                    reqwest::Url::parse(&format!("{}/v1.0/me/calendarView/delta", self.base_url))
                        .map_err(|e| GraphError::Refused(format!("base URL: {e}")))?;
                u.query_pairs_mut()
                    .append_pair("startDateTime", start)
                    .append_pair("endDateTime", end);
                u
            }
            DeltaFrom::Link(link) if link.starts_with(&self.base_url) => reqwest::Url::parse(link)
                .map_err(|e| GraphError::Refused(format!("delta link: {e}")))?,
            DeltaFrom::Link(link) => {
                return Err(GraphError::Refused(format!("not a Graph link: {link}")));
            }
        };
        let req = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header("Prefer", "odata.maxpagesize=100, outlook.timezone=\"UTC\"");
        let body = send(req).await?;
        serde_json::from_slice(&body)
            .map_err(|e| GraphError::Unavailable(format!("unreadable page: {e}")))
    }

    /// Creates an event; returns Graph's copy (its `id` and `@odata.etag`).
    pub async fn create_event(
        &self,
        access_token: &str,
        event: &serde_json::Value,
    ) -> Result<serde_json::Value, GraphError> {
        let url = format!("{}/v1.0/me/events", self.base_url);
        let req = self.http.post(url).bearer_auth(access_token).json(event);
        read_json(send(req).await?)
    }

    /// Changes an event if it still has `etag`.
    pub async fn update_event(
        &self,
        access_token: &str,
        event_id: &str,
        etag: &str,
        change: &serde_json::Value,
    ) -> Result<serde_json::Value, GraphError> {
        let url = format!("{}/v1.0/me/events/{event_id}", self.base_url);
        let req = self
            .http
            .patch(url)
            .bearer_auth(access_token)
            .header(reqwest::header::IF_MATCH, etag)
            .json(change);
        read_json(send(req).await?)
    }

    /// Subscribes to changes of the user's events.
    pub async fn subscribe(
        &self,
        access_token: &str,
        s: &NewSubscription,
    ) -> Result<Subscription, GraphError> {
        let url = format!("{}/v1.0/subscriptions", self.base_url);
        let req = self.http.post(url).bearer_auth(access_token).json(s);
        serde_json::from_slice(&send(req).await?)
            .map_err(|e| GraphError::Unavailable(format!("unreadable subscription: {e}")))
    }

    /// Renews a subscription until `expiration` (RFC 3339).
    pub async fn renew(
        &self,
        access_token: &str,
        subscription_id: &str,
        expiration: &str,
    ) -> Result<Subscription, GraphError> {
        let url = format!("{}/v1.0/subscriptions/{subscription_id}", self.base_url);
        let body = serde_json::json!({ "expirationDateTime": expiration });
        let req = self.http.patch(url).bearer_auth(access_token).json(&body);
        serde_json::from_slice(&send(req).await?)
            .map_err(|e| GraphError::Unavailable(format!("unreadable subscription: {e}")))
    }
}

/// One change notification of a batch Graph posts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub subscription_id: String,
    pub client_state: Option<String>,
    /// `created`, `updated`, `deleted` (a change notification).
    pub change_type: Option<String>,
    /// `reauthorizationRequired`, `subscriptionRemoved` or `missed` (a lifecycle notice).
    pub lifecycle_event: Option<String>,
    pub resource: Option<String>,
}

#[derive(Deserialize)]
struct Batch {
    value: Vec<Notification>,
}

/// The notifications of a posted batch whose `clientState` is `expected` (compared in constant
/// time); the others are dropped, as forged. `None` when the body is not a batch.
pub fn notifications(body: &[u8], expected: &str) -> Option<Vec<Notification>> {
    let batch: Batch = serde_json::from_slice(body).ok()?;
    Some(
        batch
            .value
            .into_iter()
            .filter(|n| {
                n.client_state.as_deref().is_some_and(|s| {
                    !expected.is_empty() && bool::from(s.as_bytes().ct_eq(expected.as_bytes()))
                })
            })
            .collect(),
    )
}

fn read_json(body: Vec<u8>) -> Result<serde_json::Value, GraphError> {
    serde_json::from_slice(&body)
        .map_err(|e| GraphError::Unavailable(format!("unreadable answer: {e}")))
}

async fn send(req: reqwest::RequestBuilder) -> Result<Vec<u8>, GraphError> {
    let res = req
        .send()
        .await
        .map_err(|e| GraphError::Unavailable(e.to_string()))?;
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
        .map_err(|e| GraphError::Unavailable(e.to_string()))?
        .to_vec();
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let detail = String::from_utf8_lossy(&body)
        .chars()
        .take(300)
        .collect::<String>();
    Err(match status {
        401 => GraphError::Unauthorized,
        404 => GraphError::NotFound,
        410 => GraphError::FullSyncNeeded,
        412 => GraphError::Changed,
        429 => GraphError::Throttled { retry_after },
        503 if retry_after.is_some() => GraphError::Throttled { retry_after },
        500..=599 => GraphError::Unavailable(format!("HTTP {status}: {detail}")),
        _ => GraphError::Refused(format!("HTTP {status}: {detail}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_notifications_with_our_client_state_are_kept() {
        let body = serde_json::json!({ "value": [
            { "subscriptionId": "s1", "clientState": "secret", "changeType": "updated",
              "resource": "Users/u1/Events/e1" },
            { "subscriptionId": "s1", "clientState": "forged", "changeType": "deleted" },
            { "subscriptionId": "s1", "changeType": "created" },
            { "subscriptionId": "s1", "clientState": "secret",
              "lifecycleEvent": "reauthorizationRequired" }
        ]});
        let raw = serde_json::to_vec(&body).expect("json");
        let kept = notifications(&raw, "secret").expect("a batch");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].change_type.as_deref(), Some("updated"));
        assert_eq!(
            kept[1].lifecycle_event.as_deref(),
            Some("reauthorizationRequired")
        );
        assert_eq!(notifications(&raw, "").expect("batch").len(), 0);
        assert!(notifications(b"not json", "secret").is_none());
    }
}
