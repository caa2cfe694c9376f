//! Live updates over Server-Sent Events: across processes through Redis, one tenant per
//! stream, Redis outages, authorization and shutdown. Every wait is bounded.

use std::time::Duration;

use api::live::Relay;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use tokio::time::Instant;

const EVENTS: &str = "/api/v1/events";
/// A bound for waits, not a speed claim: generous so a loaded CI machine does not fail them.
const WAIT: Duration = Duration::from_secs(30);
const PAUSED: &str = "live updates from other servers are paused (redis unavailable)";
const RESUMED: &str = "live updates from other servers resumed";

/// One SSE frame: an event, or comment lines.
#[derive(Debug, Default, Clone)]
struct Frame {
    event: Option<String>,
    id: Option<String>,
    data: String,
    comments: Vec<String>,
}

impl Frame {
    fn parse(text: &str) -> Self {
        let mut f = Frame::default();
        for line in text.lines() {
            if let Some(comment) = line.strip_prefix(':') {
                f.comments.push(comment.trim_start().to_owned());
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
            match field {
                "event" => f.event = Some(value),
                "id" => f.id = Some(value),
                "data" if f.data.is_empty() => f.data = value,
                "data" => f.data = format!("{}\n{value}", f.data),
                _ => {}
            }
        }
        f
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }

    fn is(&self, event: &str) -> bool {
        self.event.as_deref() == Some(event)
    }

    /// A timeline event about this client.
    fn about(&self, client_id: &str) -> bool {
        self.is("timeline") && self.json()["client_id"] == client_id
    }

    fn says(&self, text: &str) -> bool {
        self.comments.iter().any(|c| c.contains(text))
    }
}

/// A subscriber reading the stream chunk by chunk.
struct Sse {
    res: reqwest::Response,
    buf: Vec<u8>,
}

impl Sse {
    async fn connect(app: &TestApp, token: &str) -> reqwest::Response {
        Self::connect_after(app, token, None).await
    }

    /// Connects as a reconnecting `EventSource` does, with `Last-Event-ID` when given.
    async fn connect_after(app: &TestApp, token: &str, last: Option<&str>) -> reqwest::Response {
        // Not the harness client: its whole-request timeout would cut a long stream.
        let mut request = reqwest::Client::new()
            .get(app.url(EVENTS))
            .bearer_auth(token);
        if let Some(id) = last {
            request = request.header("last-event-id", id);
        }
        tokio::time::timeout(WAIT, request.send())
            .await
            .expect("connected in time")
            .expect("connect")
    }

    /// Subscribes and waits for the greeting, so the subscription is live on return.
    async fn open(app: &TestApp, token: &str) -> Self {
        Self::open_after(app, token, None).await
    }

    async fn open_after(app: &TestApp, token: &str, last: Option<&str>) -> Self {
        let res = Self::connect_after(app, token, last).await;
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(content_type, "text/event-stream");
        let mut sse = Self {
            res,
            buf: Vec::new(),
        };
        sse.until("the greeting", |f| f.says("connected")).await;
        sse
    }

    fn frame(&mut self) -> Option<Frame> {
        let end = self.buf.windows(2).position(|w| w == b"\n\n")?;
        let raw: Vec<u8> = self.buf.drain(..end + 2).collect();
        Some(Frame::parse(&String::from_utf8_lossy(&raw)))
    }

    /// Reads until a frame matches, within `WAIT`; returns every frame read, the match last.
    async fn until(&mut self, what: &str, matches: impl Fn(&Frame) -> bool) -> Vec<Frame> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            while let Some(f) = self.frame() {
                let hit = matches(&f);
                seen.push(f);
                if hit {
                    return seen;
                }
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.extend_from_slice(&bytes),
                Ok(Ok(None)) => panic!("the stream ended before {what}: {seen:?}"),
                Ok(Err(e)) => panic!("the stream failed before {what}: {e}"),
                Err(_) => panic!("no {what} within {WAIT:?}; got {seen:?}"),
            }
        }
    }

    /// Reads frames until an event about each of `clients` came, in whatever order: events
    /// committed one after the other may be rendered the other way round.
    async fn until_about_all(&mut self, what: &str, clients: &[&str]) -> Vec<Frame> {
        let mut frames = Vec::new();
        let mut waiting = clients.to_vec();
        while !waiting.is_empty() {
            let got = self
                .until(what, |f| waiting.iter().any(|c| f.about(c)))
                .await;
            waiting.retain(|c| !got.iter().any(|f| f.about(c)));
            frames.extend(got);
        }
        frames
    }

    /// Reads to the end of the stream; the frames, or None when it is still open after `wait`.
    async fn end_within(&mut self, wait: Duration) -> Option<Vec<Frame>> {
        let deadline = Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.extend_from_slice(&bytes),
                Ok(Ok(None)) | Ok(Err(_)) => break,
                Err(_) => return None,
            }
        }
        let mut frames = Vec::new();
        while let Some(f) = self.frame() {
            frames.push(f);
        }
        Some(frames)
    }
}

async fn wait_for_relay(app: &TestApp, status: Relay) {
    let deadline = Instant::now() + WAIT;
    while app.state.live.relay_status() != status {
        assert!(
            Instant::now() < deadline,
            "the relay never became {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn create(app: &TestApp, token: &str, name: &str) -> String {
    let r = app
        .post("/api/v1/clients", token, json!({ "company_name": name }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_event_written_through_one_process_reaches_subscribers_of_another_once() {
    let b = spawn_app().await;
    let a = spawn_on(&b.db_name, |_| {}).await;
    let t1 = b.tenant(&slug("live-one")).await;
    let t2 = b.tenant(&slug("live-two")).await;
    a.state.authz.reload(&a.state.db).await.expect("reload");
    wait_for_relay(&a, Relay::Up).await;
    wait_for_relay(&b, Relay::Up).await;
    let mut on_b = Sse::open(&b, &t1.owner_token).await;
    let mut other_tenant = Sse::open(&b, &t2.owner_token).await;
    let mut on_a = Sse::open(&a, &t1.owner_token).await;

    let first = create(&a, &t1.owner_token, "Remote S.L.").await;
    let mut frames = on_b
        .until("the client.created event", |f| f.about(&first))
        .await;
    let event = frames.last().cloned().expect("event");
    let data = event.json();
    assert_eq!(data["event_type"], "client.created");
    assert_eq!(event.id.as_deref(), data["id"].as_str());
    // The same document the timeline API serves.
    let timeline = b.get("/api/v1/timeline", &t1.owner_token).await;
    assert_eq!(timeline.body["data"][0], data);
    frames.extend(on_b.until("the KPIs", |f| f.is("kpis")).await);
    let kpis = frames.last().map(Frame::json).expect("kpis");
    assert_eq!(
        (kpis["total"].as_i64(), kpis["leads"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(kpis["active_days"], 90);
    assert_eq!(kpis["period"]["still_leads"], 1);

    // The other tenant's subscriber gets its own marker and nothing before it: the hub
    // delivered tenant one's message to it first, so a leak would show up here.
    let marker = create(&a, &t2.owner_token, "Marker S.L.").await;
    let seen = other_tenant
        .until("its own tenant's marker", |f| f.about(&marker))
        .await;
    let leaked: Vec<&Frame> = seen[..seen.len() - 1]
        .iter()
        .filter(|f| f.event.is_some() || f.data.contains(&first))
        .collect();
    assert!(leaked.is_empty(), "another tenant's updates: {leaked:?}");

    // Each process delivers exactly once: its own commits locally, others' through Redis.
    let second = create(&a, &t1.owner_token, "Second S.L.").await;
    frames.extend(on_b.until("the second event", |f| f.about(&second)).await);
    let mut local = on_a
        .until("the first event, locally", |f| f.about(&first))
        .await;
    local.extend(
        on_a.until("the second event, locally", |f| f.about(&second))
            .await,
    );
    for (name, frames) in [("remote", &frames), ("local", &local)] {
        let copies = frames.iter().filter(|f| f.about(&first)).count();
        assert_eq!(copies, 1, "{name} subscriber: {frames:?}");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn without_redis_a_process_still_streams_its_own_events_and_says_so() {
    let app = spawn_app_with(|c| c.redis_url = domain::Secret::new("redis://127.0.0.1:1")).await;
    let t = app.tenant(&slug("live-noredis")).await;
    let mut sse = Sse::open(&app, &t.owner_token).await;
    sse.until("the paused notice", |f| f.says(PAUSED)).await;
    let id = create(&app, &t.owner_token, "Local S.L.").await;
    sse.until("the local event", |f| f.about(&id)).await;
    let kpis = sse.until("the KPIs", |f| f.is("kpis")).await;
    assert_eq!(
        kpis.last().map(|f| f.json()["total"].clone()),
        Some(json!(1))
    );
    app.stop().await;
}

#[tokio::test]
async fn the_stream_says_when_redis_goes_away_and_catches_up_when_it_returns() {
    let port = free_port();
    let mut redis = start_redis(port);
    let url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|c| c.redis_url = domain::Secret::new(url.clone())).await;
    let other = spawn_on(&app.db_name, |c| {
        c.redis_url = domain::Secret::new(url.clone())
    })
    .await;
    let t = app.tenant(&slug("live-outage")).await;
    other
        .state
        .authz
        .reload(&other.state.db)
        .await
        .expect("reload");
    wait_for_relay(&app, Relay::Up).await;
    let mut sse = Sse::open(&app, &t.owner_token).await;
    redis.kill().expect("kill redis");
    redis.wait().expect("reap");
    let mut frames = sse.until("the paused notice", |f| f.says(PAUSED)).await;
    let local = create(&app, &t.owner_token, "Meanwhile S.L.").await;
    frames.extend(
        sse.until("the local event while paused", |f| f.about(&local))
            .await,
    );
    // Written through the other server while its messages cannot travel.
    let remote = create(&other, &t.owner_token, "Elsewhere S.L.").await;
    let mut redis = start_redis(port);
    frames.extend(sse.until("the resumed notice", |f| f.says(RESUMED)).await);
    frames.extend(
        sse.until("the other server's event", |f| f.about(&remote))
            .await,
    );
    let caught_up = sse.until("the KPIs after it", |f| f.is("kpis")).await;
    let kpis = caught_up.last().map(Frame::json).expect("kpis");
    assert_eq!(kpis["total"], 2, "the KPIs count the other server's client");
    frames.extend(caught_up);
    let after = create(&app, &t.owner_token, "After S.L.").await;
    frames.extend(sse.until("the next live event", |f| f.about(&after)).await);
    assert_eq!(
        events_about(&frames, &[&local, &remote, &after]),
        vec![local, remote, after],
        "each event once: the local one is not resent in the catch-up"
    );
    let _ = redis.kill();
    let _ = redis.wait();
    other.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn the_stream_needs_a_token_and_timeline_view_and_kpis_need_clients_view() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("live-roles")).await;
    let anonymous = app.call(Method::GET, EVENTS, None, None, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.problem(), "unauthorized");
    for role in ["owner", "admin", "sales", "support", "marketing", "viewer"] {
        let (_, token) = app.user_with_roles(&t, &format!("u{role}"), &[role]).await;
        Sse::open(&app, &token).await;
    }
    app.custom_role(&t, "clients_only", &["clients.view"]).await;
    app.custom_role(&t, "timeline_only", &["timeline.view"])
        .await;
    let (_, no_timeline) = app.user_with_roles(&t, "cleo", &["clients_only"]).await;
    let refused = Sse::connect(&app, &no_timeline).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // timeline.view without clients.view: the events, never the KPIs.
    let (_, timeline_only) = app.user_with_roles(&t, "tim", &["timeline_only"]).await;
    let mut sse = Sse::open(&app, &timeline_only).await;
    let first = create(&app, &t.owner_token, "One S.L.").await;
    let second = create(&app, &t.owner_token, "Two S.L.").await;
    let frames = sse.until_about_all("both events", &[&first, &second]).await;
    assert!(!frames.iter().any(|f| f.is("kpis")), "{frames:?}");
    app.stop().await;
}

#[tokio::test]
async fn streams_live_on_through_the_shutdown_delay_and_end_with_the_listener() {
    // A long grace: were the stream to hold the server up, stopping would take that long.
    let app = spawn_app_with(|c| {
        c.shutdown_grace = Duration::from_secs(30);
        c.shutdown_delay = Duration::from_secs(2);
    })
    .await;
    let t = app.tenant(&slug("live-stop")).await;
    let mut sse = Sse::open(&app, &t.owner_token).await;
    let clients = app.url("/api/v1/clients");
    let started = Instant::now();
    let stopping = tokio::spawn(app.stop());
    // During the delay the load balancer may still send requests here: they are served, and
    // the streams still carry what they write.
    let res = reqwest::Client::new()
        .post(&clients)
        .bearer_auth(&t.owner_token)
        .json(&json!({ "company_name": "Last Orders S.L." }))
        .send()
        .await
        .expect("served during the delay");
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = read(res).await.body["id"].as_str().expect("id").to_owned();
    sse.until("the event written during the delay", |f| f.about(&id))
        .await;
    let frames = sse
        .end_within(Duration::from_secs(5))
        .await
        .expect("the stream ended with the listener");
    assert!(frames.iter().any(|f| f.says("shutting down")), "{frames:?}");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("the server stopped")
        .expect("join");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the stream held the server up: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn clients_an_import_job_creates_are_streamed_too() {
    let app = spawn_app().await;
    wait_for_relay(&app, Relay::Up).await;
    let t = app.tenant(&slug("live-imp")).await;
    let mut sse = Sse::open(&app, &t.owner_token).await;
    let res = app
        .http
        .post(app.url("/api/v1/clients/import"))
        .bearer_auth(&t.owner_token)
        .header("content-type", "text/csv")
        .body("company_name;status\nImported Uno;lead\nImported Dos;client\n")
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    // The job runs outside any API request, as in a worker process.
    assert_eq!(app.drain_jobs().await, 1);
    let frames = sse
        .until("the second imported client", |f| {
            f.is("timeline") && f.data.contains("Imported Dos")
        })
        .await;
    assert!(
        frames
            .iter()
            .any(|f| f.is("timeline") && f.data.contains("Imported Uno")),
        "{frames:?}"
    );
    let kpis = sse.until("the kpis", |f| f.is("kpis")).await;
    assert_eq!(kpis.last().expect("kpis").json()["total"], 2);
    app.stop().await;
}

/// The ids of the timeline events among `frames` about these clients, in the order sent.
fn events_about(frames: &[Frame], clients: &[&str]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| clients.iter().any(|c| f.about(c)))
        .map(|f| f.json()["client_id"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn a_reconnect_with_the_last_event_id_gets_what_it_missed_and_only_its_tenants() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("live-resume")).await;
    let other = app.tenant(&slug("live-resume-b")).await;
    let mut sse = Sse::open(&app, &t.owner_token).await;
    let seen = create(&app, &t.owner_token, "Seen S.L.").await;
    let frames = sse.until("the first event", |f| f.about(&seen)).await;
    let last = frames.last().and_then(|f| f.id.clone()).expect("an id");
    drop(sse);

    // Missed while disconnected: two of this tenant's clients, one of another tenant's.
    let missed = create(&app, &t.owner_token, "Missed One S.L.").await;
    let foreign = create(&app, &other.owner_token, "Foreign S.L.").await;
    let missed_too = create(&app, &t.owner_token, "Missed Two S.L.").await;

    let mut sse = Sse::open_after(&app, &t.owner_token, Some(&last)).await;
    let mut frames = sse
        .until("the KPIs after the replay", |f| f.is("kpis"))
        .await;
    assert!(frames.iter().any(|f| f.says("resending")), "{frames:?}");
    assert_eq!(
        events_about(&frames, &[&seen, &missed, &missed_too, &foreign]),
        vec![missed.clone(), missed_too.clone()],
        "each missed event once, in order; not the last one seen, not another tenant's"
    );
    let kpis = frames.last().map(Frame::json).expect("kpis");
    assert_eq!(kpis["total"], 3);
    // Then live again, and what was resent is not sent a second time.
    let after = create(&app, &t.owner_token, "After S.L.").await;
    frames.extend(sse.until("the live event", |f| f.about(&after)).await);
    assert_eq!(
        events_about(&frames, &[&missed, &missed_too, &after]),
        vec![missed.clone(), missed_too.clone(), after.clone()]
    );

    // Another tenant's event id resumes nothing of that tenant.
    let mut theirs = Sse::open_after(&app, &other.owner_token, Some(&last)).await;
    let frames = theirs
        .until("the other tenant's replay", |f| f.about(&foreign))
        .await;
    assert!(
        events_about(&frames, &[&seen, &missed, &missed_too, &after]).is_empty(),
        "{frames:?}"
    );

    // timeline.view without clients.view: the missed events, never the KPIs.
    app.custom_role(&t, "timeline_only", &["timeline.view"])
        .await;
    let (_, timeline_only) = app.user_with_roles(&t, "tim", &["timeline_only"]).await;
    let mut sse = Sse::open_after(&app, &timeline_only, Some(&last)).await;
    let marker = create(&app, &t.owner_token, "Marker S.L.").await;
    let frames = sse.until("the live marker", |f| f.about(&marker)).await;
    assert_eq!(
        events_about(&frames, &[&missed, &missed_too, &after, &marker]),
        vec![missed, missed_too, after, marker]
    );
    assert!(!frames.iter().any(|f| f.is("kpis")), "{frames:?}");
    app.stop().await;
}

#[tokio::test]
async fn too_many_missed_events_ask_for_a_reload_and_a_bad_last_event_id_is_refused() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("live-resync")).await;
    let mut sse = Sse::open(&app, &t.owner_token).await;
    let seen = create(&app, &t.owner_token, "Seen S.L.").await;
    let frames = sse.until("the event", |f| f.about(&seen)).await;
    let last = frames.last().and_then(|f| f.id.clone()).expect("an id");
    drop(sse);
    let bulk = |ids: Vec<uuid::Uuid>| {
        sqlx::query(
            "INSERT INTO timeline_events (tenant_id, id, event_type, description, actor_type)
             SELECT $1, ids.id, 'note.added', 'bulk', 'system' FROM unnest($2::uuid[]) AS ids(id)",
        )
        .bind(t.id)
        .bind(ids)
        .execute(&app.owner)
    };
    // A busy tenant: 2,100 events in the seconds before the last one seen (resent, as some may
    // have committed after it) do not count against what was missed after it.
    let last_id = uuid::Uuid::parse_str(&last).expect("uuid");
    let last_ms = last_id.get_timestamp().expect("v7").to_unix();
    let last_ms = last_ms.0 * 1000 + u64::from(last_ms.1) / 1_000_000;
    let before: Vec<uuid::Uuid> = (0..2100u64)
        .map(|i| {
            let random = *uuid::Uuid::new_v4().as_bytes();
            let mut bytes = [0u8; 10];
            bytes.copy_from_slice(&random[..10]);
            uuid::Builder::from_unix_timestamp_millis(last_ms - 4000 + i, &bytes).into_uuid()
        })
        .collect();
    bulk(before).await.expect("events before the last one");
    let after = create(&app, &t.owner_token, "After S.L.").await;
    let mut sse = Sse::open_after(&app, &t.owner_token, Some(&last)).await;
    let frames = sse.until("the event after", |f| f.about(&after)).await;
    assert!(!frames.iter().any(|f| f.is("resync")), "a resync");
    assert_eq!(frames.iter().filter(|f| f.is("timeline")).count(), 2101);
    let last = frames
        .iter()
        .rfind(|f| f.about(&after))
        .and_then(|f| f.id.clone())
        .expect("an id");
    drop(sse);

    // More than a stream resends: 2,100 events recorded after the last one seen.
    bulk((0..2100).map(|_| uuid::Uuid::now_v7()).collect())
        .await
        .expect("bulk events");
    let mut sse = Sse::open_after(&app, &t.owner_token, Some(&last)).await;
    let frames = sse.until("the resync", |f| f.is("resync")).await;
    let resync = frames.last().map(Frame::json).expect("resync");
    assert!(
        resync["reason"].as_str().unwrap_or("").contains("too many"),
        "{resync}"
    );
    assert!(!frames.iter().any(|f| f.is("timeline")), "{frames:?}");

    // An id this stream never sends is a field error; an empty one resumes nothing.
    for bad in ["not-an-id", "6f1c2a4e-9b1d-4c3e-8f00-123456789abc"] {
        let r = Sse::connect_after(&app, &t.owner_token, Some(bad)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = r.json().await.expect("problem");
        assert_eq!(body["errors"][0]["parameter"], "Last-Event-ID", "{body}");
    }
    let mut sse = Sse::open_after(&app, &t.owner_token, Some("")).await;
    let next = create(&app, &t.owner_token, "Next S.L.").await;
    let frames = sse.until("the live event", |f| f.about(&next)).await;
    assert!(
        !frames.iter().any(|f| f.is("resync") || f.says("resending")),
        "{frames:?}"
    );
    app.stop().await;
}
