//! `GET /events`: the tenant's live updates as Server-Sent Events.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::EventType;
use services::Scope;
use services::timeline;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, Interval};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Ctx, Principal};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, InvalidField};
use crate::live::{self, LiveEvent, Message, Relay, Subscription};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live_events))
}

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often a stream checks that its caller may still read it (session, user, tenant, role).
const RECHECK_EVERY: Duration = Duration::from_secs(30);
const RECONNECT_AFTER: Duration = Duration::from_secs(3);
/// A resumed stream also resends events recorded this long before the last one it sent: one
/// may have reached the stream after it (renders race, other servers relay through Redis) or
/// committed after it (a transaction records its events before it commits).
const REPLAY_OVERLAP: Duration = services::live::REPLAY_OVERLAP;
/// More events recorded after the point resumed from than this, or more in the overlap before
/// it, and the stream asks the caller to reload instead.
const REPLAY_MAX: usize = 2000;
pub const PAUSED: &str = "live updates from other servers are paused (redis unavailable)";
pub const RESUMED: &str =
    "live updates from other servers resumed; resending what they recorded meanwhile";
/// The header a reconnecting `EventSource` sends.
const LAST_EVENT_ID: &str = "Last-Event-ID";

/// The tenant's new timeline events (`event: timeline`, `id:` the event id, data as in the
/// timeline API) and KPI changes (`event: kpis`, data as `GET /kpis/clients` with its
/// defaults), as Server-Sent Events. A reconnect with `Last-Event-ID` first resends what was
/// recorded since that event (and the KPIs, if a client changed): delivery is at least once,
/// so skip ids already seen. `event: resync` (data `{"reason"}`) means updates were lost to
/// this stream (too many missed, or the connection fell behind): reload what is shown.
/// Comment lines report when updates from other servers pause and resume; the stream ends
/// when the server shuts down (reconnect then).
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])),
    extensions(("x-permission" = json!("timeline.view"))),
    params(LastEventId),
    responses((status = 200, content_type = "text/event-stream", body = String, description = "An endless event stream")))]
pub async fn live_events(
    State(state): State<AppState>,
    mut ctx: Ctx,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    ctx.require("timeline.view").await?;
    let kpis = ctx.require("clients.view").await.is_ok();
    let resume_after = last_event_id(&headers)?;
    // Subscribed before reading what was missed, so nothing falls between the two.
    let subscription = state.live.subscribe();
    let mut feed = Feed {
        subscription,
        tenant: ctx.tenant(),
        principal: ctx.principal.clone(),
        kpis,
        relaying: Relaying::default(),
        pending: VecDeque::from([Event::default().retry(RECONNECT_AFTER).comment("connected")]),
        sent: HashSet::new(),
        recheck: tokio::time::interval_at(Instant::now() + RECHECK_EVERY, RECHECK_EVERY),
        ended: false,
        state,
    };
    if let Some(last) = resume_after {
        feed.resend(&mut ctx, last, Some(last))
            .await
            .map_err(ApiError::internal)?;
    }
    ctx.done();
    let status = *feed.subscription.relay.borrow_and_update();
    feed.note_relay(status);
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok::<_, Infallible>(event), feed))
    });
    Ok((
        // Proxies such as nginx must not buffer the stream.
        [("x-accel-buffering", "no")],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)),
    ))
}

/// The `Last-Event-ID` header, as documented.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
struct LastEventId {
    /// The id of the last event received, to resume after it: the `id:` of an event this stream
    /// sent (a UUIDv7, hyphenated or not); blank resumes nothing.
    #[param(rename = "Last-Event-ID", schema_with = last_event_id_schema)]
    last_event_id: Option<String>,
}

/// A UUIDv7 (hyphenated or not), or blank.
fn last_event_id_schema() -> utoipa::openapi::schema::Object {
    const UUID_V7: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{12}7[0-9a-fA-F]{19}";
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!(r"^\s*({UUID_V7})?\s*$")))
        .build()
}

/// The `Last-Event-ID` a reconnect sends: an event id this stream sent (a UUIDv7), or none.
fn last_event_id(headers: &HeaderMap) -> ApiResult<Option<Uuid>> {
    let Some(raw) = headers.get(LAST_EVENT_ID) else {
        return Ok(None);
    };
    let not_ours = || {
        ApiError::validation(vec![InvalidField::header(
            LAST_EVENT_ID,
            "is not the id of an event this stream sent",
        )])
    };
    // A value that is not text is no id either: ignoring it would resume nothing, silently.
    let id = raw.to_str().map_err(|_| not_ours())?.trim();
    if id.is_empty() {
        // EventSource sends an empty one after a stream that had no ids: nothing to resume.
        return Ok(None);
    }
    match Uuid::try_parse(id) {
        Ok(u) if u.get_version_num() == 7 => Ok(Some(u)),
        _ => Err(not_ours()),
    }
}

/// The smallest UUIDv7 of the moment `overlap` before `id` was made.
fn replay_start(id: Uuid, overlap: Duration) -> Uuid {
    let millis = id
        .get_timestamp()
        .map(|t| {
            let (secs, nanos) = t.to_unix();
            secs * 1000 + u64::from(nanos) / 1_000_000
        })
        .unwrap_or(0);
    let from = millis.saturating_sub(overlap.as_millis() as u64);
    uuid::Builder::from_unix_timestamp_millis(from, &[0; 10]).into_uuid()
}

/// One connection's stream: its tenant's messages, relay status and shutdown.
struct Feed {
    state: AppState,
    subscription: Subscription,
    tenant: Uuid,
    principal: Principal,
    /// Whether the caller may see KPIs (`clients.view`).
    kpis: bool,
    relaying: Relaying,
    pending: VecDeque<Event>,
    /// Timeline events sent that may come again (resent on reconnect, or sent while paused and
    /// so also in the catch-up): never sent twice. Forgotten at a recheck while not paused,
    /// long after a resent one could still arrive live.
    sent: HashSet<Uuid>,
    recheck: Interval,
    ended: bool,
}

/// How many sent ids a stream remembers at most; past that, duplicates are possible (each
/// event carries its id).
const SENT_REMEMBERED: usize = 4 * REPLAY_MAX;

/// Whether updates from other servers reach a stream, as its relay changes.
#[derive(Debug, Default)]
struct Relaying {
    /// Since when (a UUIDv7 of that moment) they have not: the relay was starting or down
    /// while this stream was open. The catch-up once it is up resends from there.
    paused_since: Option<Uuid>,
    /// Whether the stream was told of the pause (a relay still starting goes unsaid).
    said_paused: bool,
}

impl Relaying {
    fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// The comment to send for a new relay status, and, once updates flow again, since when
    /// to catch up.
    fn note(&mut self, status: Relay) -> (Option<&'static str>, Option<Uuid>) {
        match status {
            Relay::Starting | Relay::Down => {
                self.paused_since.get_or_insert_with(Uuid::now_v7);
                let say = status == Relay::Down && !self.said_paused;
                self.said_paused |= say;
                (say.then_some(PAUSED), None)
            }
            Relay::Up => {
                let since = self.paused_since.take();
                let said = std::mem::take(&mut self.said_paused);
                (said.then_some(RESUMED), since)
            }
        }
    }
}

enum Wake {
    Closing,
    Message(Result<std::sync::Arc<Message>, RecvError>),
    Relay(Relay),
    Recheck,
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.ended {
                return None;
            }
            let sub = &mut self.subscription;
            let wake = tokio::select! {
                biased;
                _ = sub.closing.wait_for(|closing| *closing) => Wake::Closing,
                Ok(()) = sub.relay.changed() => Wake::Relay(*sub.relay.borrow_and_update()),
                message = sub.messages.recv() => Wake::Message(message),
                _ = self.recheck.tick() => Wake::Recheck,
            };
            match wake {
                Wake::Closing => self.end("the server is shutting down; reconnect"),
                Wake::Relay(status) => {
                    if let Some(since) = self.note_relay(status) {
                        self.catch_up(since).await;
                    }
                }
                Wake::Message(Ok(m)) if m.tenant_id == self.tenant => {
                    let remember = self.relaying.is_paused();
                    self.queue(&m.events, remember);
                }
                Wake::Message(Ok(_)) => {}
                Wake::Message(Err(RecvError::Lagged(_))) => {
                    self.resync("this connection fell behind: some updates were missed");
                }
                Wake::Message(Err(RecvError::Closed)) => self.ended = true,
                Wake::Recheck => match self.standing().await {
                    Some(kpis) => {
                        self.kpis = kpis;
                        if !self.relaying.is_paused() {
                            self.sent = HashSet::new();
                        }
                    }
                    None => self.end("access to live updates has ended"),
                },
            }
        }
    }

    fn end(&mut self, why: &str) {
        self.pending.push_back(Event::default().comment(why));
        self.ended = true;
    }

    /// Says when updates from other servers pause and resume; once they flow, returns since
    /// when they did not.
    fn note_relay(&mut self, status: Relay) -> Option<Uuid> {
        let (say, since) = self.relaying.note(status);
        if let Some(text) = say {
            self.pending.push_back(Event::default().comment(text));
        }
        since
    }

    /// After a pause: resends what other servers recorded meanwhile (their messages were lost
    /// with Redis), or asks for a reload when it cannot.
    async fn catch_up(&mut self, since: Uuid) {
        let resent = async {
            let mut scope = live::reading(&self.state, self.tenant).await?;
            self.resend(&mut scope, since, None).await?;
            scope.done();
            anyhow::Ok(())
        };
        if let Err(e) = resent.await {
            tracing::warn!(error = %e, "live updates missed while paused not resent");
            self.resync("updates from other servers were missed while paused");
        }
    }

    /// Resends the tenant's events recorded since `since` (with the overlap) that this stream
    /// has not sent, except `last`, and then the KPIs if a client changed; or asks for a
    /// reload when that is too much.
    async fn resend(
        &mut self,
        scope: &mut Scope,
        since: Uuid,
        last: Option<Uuid>,
    ) -> anyhow::Result<()> {
        let from = replay_start(since, REPLAY_OVERLAP);
        let limit = 2 * REPLAY_MAX;
        let rows = timeline::recorded_since(scope, from, limit as i64 + 1).await?;
        // The overlap before `since` is mostly events sent already: it does not count against
        // what a busy tenant may have missed (at hundreds of events a second it alone nears
        // the bound).
        let newer = rows.iter().filter(|e| e.id > since).count();
        if rows.len() > limit || newer > REPLAY_MAX {
            self.resync("too many updates were missed to resend them");
            return Ok(());
        }
        let missed: Vec<_> = rows
            .into_iter()
            .filter(|e| Some(e.id) != last && !self.sent.contains(&e.id))
            .collect();
        let clients_changed = missed
            .iter()
            .any(|e| EventType::from_name(&e.event_type).is_some_and(EventType::changes_clients));
        let mut events = Vec::with_capacity(missed.len() + 1);
        for e in missed {
            events.push(live::timeline_event(e)?);
        }
        if clients_changed && self.kpis {
            events.push(live::kpis_event(scope).await?);
        }
        self.pending.push_back(Event::default().comment(format!(
            "resending {} updates missed since {since}",
            events.len()
        )));
        self.queue(&events, true);
        Ok(())
    }

    /// Tells the caller that updates were lost to this stream: reload what is shown.
    fn resync(&mut self, reason: &str) {
        let data = serde_json::json!({ "reason": reason }).to_string();
        self.pending
            .push_back(Event::default().event("resync").data(data));
    }

    /// Queues events for the caller; `remember` keeps their ids so they are not sent again.
    fn queue(&mut self, events: &[LiveEvent], remember: bool) {
        for e in events {
            // Only known names and UUID ids reach the wire: a bad field would panic in `Event`.
            let name = match e.event.as_str() {
                "timeline" => "timeline",
                "kpis" if self.kpis => "kpis",
                _ => continue,
            };
            let mut event = Event::default().event(name).data(&e.data);
            if let Some(id) = e.id.as_deref().and_then(|id| Uuid::try_parse(id).ok()) {
                if name == "timeline" && self.sent.contains(&id) {
                    continue;
                }
                if remember && self.sent.len() < SENT_REMEMBERED {
                    self.sent.insert(id);
                }
                event = event.id(id.to_string());
            }
            self.pending.push_back(event);
        }
    }

    /// Checks the caller's standing as a new request would (the one place that knows how):
    /// None when it may no longer read the stream, else whether it may see KPIs.
    async fn standing(&self) -> Option<bool> {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.extensions.insert(self.principal.clone());
        let ctx = Ctx::from_request_parts(&mut parts, &self.state)
            .await
            .ok()?;
        let allowed = ctx.require("timeline.view").await.is_ok();
        let kpis = ctx.require("clients.view").await.is_ok();
        ctx.done();
        allowed.then_some(kpis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_last_event_id_that_is_not_text_is_refused_not_ignored() {
        let mut headers = HeaderMap::new();
        let value = axum::http::HeaderValue::from_bytes(b"\xc2\x84").expect("opaque bytes");
        headers.insert(LAST_EVENT_ID, value);
        let refused = last_event_id(&headers).err().map(|e| e.status);
        assert_eq!(refused, Some(axum::http::StatusCode::UNPROCESSABLE_ENTITY));
        headers.insert(LAST_EVENT_ID, axum::http::HeaderValue::from_static(" "));
        assert!(matches!(last_event_id(&headers), Ok(None)));
    }

    #[test]
    fn a_stream_opened_before_the_relay_is_up_catches_up_without_a_pause_notice() {
        let mut r = Relaying::default();
        assert_eq!(r.note(Relay::Starting).0, None);
        let (say, since) = r.note(Relay::Up);
        assert_eq!(say, None);
        assert!(
            since.is_some(),
            "what other servers sent meanwhile is resent"
        );
        assert_eq!(r.note(Relay::Up), (None, None), "nothing more to resend");
    }

    #[test]
    fn a_pause_is_said_once_and_caught_up_from_its_start() {
        let mut r = Relaying::default();
        assert_eq!(r.note(Relay::Up), (None, None));
        assert_eq!(r.note(Relay::Down), (Some(PAUSED), None));
        let started = r.paused_since;
        assert_eq!(r.note(Relay::Starting), (None, None));
        assert_eq!(r.note(Relay::Down), (None, None), "said once");
        assert_eq!(r.note(Relay::Up), (Some(RESUMED), started));
        assert!(!r.is_paused());
    }

    #[test]
    fn a_relay_starting_then_down_says_paused_and_keeps_the_first_moment() {
        let mut r = Relaying::default();
        r.note(Relay::Starting);
        let started = r.paused_since;
        assert_eq!(r.note(Relay::Down), (Some(PAUSED), None));
        assert_eq!(r.paused_since, started);
    }
}
