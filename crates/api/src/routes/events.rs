//! `GET /events`: the tenant's live updates as Server-Sent Events.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, Interval};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Ctx, Principal};
use crate::http::problem::{ApiResult, Problem};
use crate::live::{Message, Relay, Subscription};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live_events))
}

const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often a stream checks that its caller may still read it (session, user, tenant, role).
const RECHECK_EVERY: Duration = Duration::from_secs(30);
const RECONNECT_AFTER: Duration = Duration::from_secs(3);
pub const PAUSED: &str = "live updates from other servers are paused (redis unavailable)";
pub const RESUMED: &str =
    "live updates from other servers resumed (some may have been missed while paused)";

/// The tenant's new timeline events (`event: timeline`, `id:` the event id, data as in the
/// timeline API) and KPI changes (`event: kpis`, data as `GET /kpis/clients` with its
/// defaults), as Server-Sent Events. Comment lines report when updates from other servers
/// pause and resume; the stream ends when the server shuts down (reconnect then).
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", body = String, description = "An endless event stream"),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn live_events(State(state): State<AppState>, ctx: Ctx) -> ApiResult<impl IntoResponse> {
    ctx.require("timeline.view").await?;
    let kpis = ctx.require("clients.view").await.is_ok();
    let mut feed = Feed {
        subscription: state.live.subscribe(),
        tenant: ctx.tenant(),
        principal: ctx.principal.clone(),
        kpis,
        paused: false,
        pending: VecDeque::from([Event::default().retry(RECONNECT_AFTER).comment("connected")]),
        recheck: tokio::time::interval_at(Instant::now() + RECHECK_EVERY, RECHECK_EVERY),
        ended: false,
        state,
    };
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

/// One connection's stream: its tenant's messages, relay status and shutdown.
struct Feed {
    state: AppState,
    subscription: Subscription,
    tenant: Uuid,
    principal: Principal,
    /// Whether the caller may see KPIs (`clients.view`).
    kpis: bool,
    /// Whether this stream last said that updates from other servers are paused.
    paused: bool,
    pending: VecDeque<Event>,
    recheck: Interval,
    ended: bool,
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
                Wake::Relay(status) => self.note_relay(status),
                Wake::Message(Ok(m)) if m.tenant_id == self.tenant => self.queue(&m),
                Wake::Message(Ok(_)) => {}
                Wake::Message(Err(RecvError::Lagged(_))) => self.pending.push_back(
                    Event::default()
                        .comment("this connection fell behind: some updates were missed"),
                ),
                Wake::Message(Err(RecvError::Closed)) => self.ended = true,
                Wake::Recheck => match self.standing().await {
                    Some(kpis) => self.kpis = kpis,
                    None => self.end("access to live updates has ended"),
                },
            }
        }
    }

    fn end(&mut self, why: &str) {
        self.pending.push_back(Event::default().comment(why));
        self.ended = true;
    }

    fn note_relay(&mut self, status: Relay) {
        let paused = match status {
            Relay::Down => true,
            Relay::Up => false,
            Relay::Starting => return,
        };
        if paused != self.paused {
            self.paused = paused;
            let text = if paused { PAUSED } else { RESUMED };
            self.pending.push_back(Event::default().comment(text));
        }
    }

    fn queue(&mut self, message: &Message) {
        for e in &message.events {
            // Only known names and UUID ids reach the wire: a bad field would panic in `Event`.
            let name = match e.event.as_str() {
                "timeline" => "timeline",
                "kpis" if self.kpis => "kpis",
                _ => continue,
            };
            let mut event = Event::default().event(name).data(&e.data);
            if let Some(id) = e.id.as_deref().and_then(|id| Uuid::try_parse(id).ok()) {
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
