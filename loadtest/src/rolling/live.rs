//! A live-updates subscriber through the load balancer, as a browser tab would be: it reads
//! `GET /events`, reconnects with `Last-Event-ID` after the `retry` the stream asked for when a
//! restart ends the stream, and keeps every timeline event id it got. Afterwards Postgres says
//! whether any event the tenant recorded meanwhile never reached it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::AUTHORIZATION;
use serde::Serialize;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use super::load::Shared;

/// What EventSource waits before reconnecting when the stream does not say.
const DEFAULT_RETRY: Duration = Duration::from_secs(3);
/// Longer than the stream's 15 s keep-alive: a silent connection is a dead one.
const READ_TIMEOUT: Duration = Duration::from_secs(40);

/// What the subscriber got.
#[derive(Debug, Default, Serialize)]
pub(super) struct Watched {
    /// When the first stream was answered, as the smallest UUIDv7 of that millisecond.
    #[serde(skip)]
    pub(super) from: Option<Uuid>,
    #[serde(skip)]
    pub(super) ids: HashSet<Uuid>,
    /// Timeline events received, counting repeats.
    pub(super) received: u64,
    /// Events received again (delivery is at least once; a client drops them by id).
    pub(super) repeated: u64,
    /// Streams opened after the first.
    pub(super) reconnects: u64,
    /// Connection attempts that failed (refused, or not answered 200).
    pub(super) failed_connects: u64,
    /// `event: resync`: the stream could not resend what was missed.
    pub(super) resyncs: u64,
    /// Their reasons, as the stream gave them (the first few).
    pub(super) resync_reasons: Vec<String>,
    /// Of the timeline events the tenant recorded while it listened, how many it never got.
    pub(super) missing: u64,
    pub(super) recorded: u64,
    /// The first of those it never got.
    pub(super) missing_events: Vec<MissingEvent>,
    /// Each stream it read, in order.
    pub(super) streams: Vec<Stream>,
    /// The longest any one transaction went on recording the tenant's events, first id to last
    /// id, in ms: past the stream's replay overlap (5 s), a stream resuming around its commit
    /// could miss the first ones.
    pub(super) longest_recording_ms: i64,
}

/// One stream the subscriber read, from answer to end.
#[derive(Debug, Default, Serialize)]
pub(super) struct Stream {
    pub(super) opened_ms: i64,
    pub(super) ended_ms: i64,
    /// The `Last-Event-ID` it was opened with.
    pub(super) resumed_after: Option<String>,
    pub(super) timeline_events: u64,
    /// What the server said in comment lines (the first few; keep-alives left out).
    pub(super) comments: Vec<String>,
}

/// Comment lines kept per stream.
const COMMENTS_KEPT: usize = 8;

/// A timeline event the subscriber never got.
#[derive(Debug, Serialize)]
pub(super) struct MissingEvent {
    pub(super) id: Uuid,
    pub(super) event_type: String,
    /// When its id was made (UUIDv7), unix ms.
    pub(super) made_ms: i64,
}

/// How many missing events the report lists.
const MISSING_LISTED: usize = 20;

/// One frame of the stream, as far as the subscriber cares.
#[derive(Debug, Default, PartialEq)]
struct Frame {
    event: Option<String>,
    id: Option<String>,
    retry_ms: Option<u64>,
    data: String,
    comments: Vec<String>,
}

fn parse(text: &str) -> Frame {
    let mut f = Frame::default();
    for comment in text.lines().filter_map(|l| l.strip_prefix(':')) {
        let comment = comment.trim();
        if !comment.is_empty() {
            f.comments.push(comment.to_owned());
        }
    }
    for line in text.lines().filter(|l| !l.starts_with(':')) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => f.event = Some(value.to_owned()),
            "id" => f.id = Some(value.to_owned()),
            "retry" => f.retry_ms = value.parse().ok(),
            "data" => f.data.push_str(value),
            _ => {}
        }
    }
    f
}

/// Listens until `stop`, reconnecting as `EventSource` does.
pub(super) async fn subscribe(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> Watched {
    let http = match reqwest::Client::builder()
        .no_proxy()
        .read_timeout(READ_TIMEOUT)
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("live: no HTTP client: {e}");
            return Watched::default();
        }
    };
    let mut w = Watched::default();
    let mut last: Option<String> = None;
    let mut retry = DEFAULT_RETRY;
    let mut opened = 0u64;
    while !*stop.borrow() {
        let mut request = http
            .get(format!("{}/api/v1/events", shared.base))
            .header(AUTHORIZATION, shared.authorization.clone());
        if let Some(id) = &last {
            request = request.header("last-event-id", id);
        }
        let resumed_after = last.clone();
        match request.send().await {
            Ok(res) if res.status().is_success() => {
                // Subscribed before answering: every event made from now on reaches it.
                let now = super::timeline::unix_ms();
                w.from.get_or_insert_with(|| {
                    uuid::Builder::from_unix_timestamp_millis(now.max(0) as u64, &[0; 10])
                        .into_uuid()
                });
                opened += 1;
                let mut stream = Stream {
                    opened_ms: now,
                    resumed_after,
                    ..Stream::default()
                };
                read(res, &mut w, &mut stream, &mut last, &mut retry, &mut stop).await;
                stream.ended_ms = super::timeline::unix_ms();
                w.streams.push(stream);
            }
            _ => w.failed_connects += 1,
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = stop.changed() => {}
        }
    }
    w.reconnects = opened.saturating_sub(1);
    w
}

/// Reads one stream to its end (or `stop`).
async fn read(
    mut res: reqwest::Response,
    w: &mut Watched,
    stream: &mut Stream,
    last: &mut Option<String>,
    retry: &mut Duration,
    stop: &mut watch::Receiver<bool>,
) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::select! {
            c = res.chunk() => c,
            _ = stop.changed() => return,
        };
        match chunk {
            Ok(Some(bytes)) => buf.extend_from_slice(&bytes),
            Ok(None) | Err(_) => return,
        }
        while let Some(end) = buf.windows(2).position(|p| p == b"\n\n") {
            let raw: Vec<u8> = buf.drain(..end + 2).collect();
            let frame = parse(&String::from_utf8_lossy(&raw));
            if let Some(ms) = frame.retry_ms {
                *retry = Duration::from_millis(ms);
            }
            for comment in &frame.comments {
                if stream.comments.len() < COMMENTS_KEPT {
                    stream.comments.push(comment.clone());
                }
            }
            match frame.event.as_deref() {
                Some("timeline") => {
                    let id = frame.id.as_deref().and_then(|i| Uuid::try_parse(i).ok());
                    if let Some(id) = id {
                        stream.timeline_events += 1;
                        w.received += 1;
                        if !w.ids.insert(id) {
                            w.repeated += 1;
                        }
                        *last = Some(id.to_string());
                    }
                }
                Some("resync") => {
                    w.resyncs += 1;
                    if w.resync_reasons.len() < MISSING_LISTED {
                        let reason = serde_json::from_str::<serde_json::Value>(&frame.data)
                            .ok()
                            .and_then(|v| v["reason"].as_str().map(str::to_owned))
                            .unwrap_or(frame.data);
                        w.resync_reasons.push(reason);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Compares with what the tenant recorded since the subscriber first listened.
pub(super) async fn verify(pool: &PgPool, tenant: Uuid, w: &mut Watched) -> anyhow::Result<()> {
    let Some(from) = w.from else {
        return Ok(());
    };
    let recorded: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, event_type, xmin::text FROM timeline_events
          WHERE tenant_id = $1 AND id >= $2 ORDER BY id",
    )
    .bind(tenant)
    .bind(from)
    .fetch_all(pool)
    .await
    .context("cannot read the timeline")?;
    w.recorded = recorded.len() as u64;
    let mut by_transaction: HashMap<&str, (i64, i64)> = HashMap::new();
    for (id, _, xmin) in &recorded {
        let made = made_ms(*id);
        let span = by_transaction.entry(xmin).or_insert((made, made));
        *span = (span.0.min(made), span.1.max(made));
    }
    w.longest_recording_ms = by_transaction
        .values()
        .map(|(first, last)| last - first)
        .max()
        .unwrap_or(0);
    let missing: Vec<_> = recorded
        .into_iter()
        .filter(|(id, _, _)| !w.ids.contains(id))
        .map(|(id, event_type, _)| (id, event_type))
        .collect();
    w.missing = missing.len() as u64;
    w.missing_events = missing
        .into_iter()
        .take(MISSING_LISTED)
        .map(|(id, event_type)| MissingEvent {
            made_ms: made_ms(id),
            id,
            event_type,
        })
        .collect();
    Ok(())
}

/// The unix ms a UUIDv7 was made at.
fn made_ms(id: Uuid) -> i64 {
    id.get_timestamp()
        .map(|t| {
            let (secs, nanos) = t.to_unix();
            (secs * 1000 + u64::from(nanos) / 1_000_000) as i64
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_give_their_event_id_and_retry_and_skip_comments() {
        let f = parse(": connected\nretry: 3000\n\n");
        assert_eq!(f.retry_ms, Some(3000));
        assert_eq!(f.event, None);
        let f = parse("event: timeline\nid: 0190\ndata: {\"a\":1}\n\n");
        assert_eq!(
            (f.event.as_deref(), f.id.as_deref()),
            (Some("timeline"), Some("0190"))
        );
    }
}
