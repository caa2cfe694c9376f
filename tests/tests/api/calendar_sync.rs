//! Two-way sync with Google Calendar (issue 18) through the worker's pass, against a wiremock
//! fake of Calendar API v3: an activity goes out once (under an id derived from it, linked),
//! a private event stays out of the CRM, a malformed one is set aside with its error without
//! stopping the rest, our own write read back changes nothing, a move made in the calendar
//! comes back, a change on both sides is resolved by the later change and shown, a teammate's
//! copy of the meeting is the same activity, an expired sync token reads everything again, an
//! expired access token is refreshed, a revoked grant asks to connect again, and a rate limit
//! waits as long as the provider says.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use services::jobs::Job;
use tests::console::Browser;
use tests::*;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::calendar_connections::{connect, google_on, token_endpoint};

const EVENTS: &str = "/calendar/v3/calendars/primary/events";

struct Desk {
    app: TestApp,
    t: TenantFixture,
    ctx: worker::WorkerCtx,
    client: String,
}

async fn desk(server: &MockServer, prefix: &str) -> Desk {
    desk_noticed_at(server, prefix, None).await
}

/// [`desk`] whose connections open push channels for notices to `notices_base`.
async fn desk_noticed_at(server: &MockServer, prefix: &str, notices_base: Option<&str>) -> Desk {
    let mut providers = google_on(server);
    providers.notices_base = notices_base.map(str::to_owned);
    let app = spawn_app_with(|c| c.calendar_providers = providers.clone()).await;
    let t = app.tenant(&slug(prefix)).await;
    let r = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Sincronía SL", "status": "client" }),
        )
        .await;
    let client = r.body["id"].as_str().expect("client").to_owned();
    let ctx = worker::WorkerCtx {
        calendars: worker::calendar_sync::calendar_sync(providers).expect("sync"),
        ..app.worker_ctx()
    };
    Desk {
        app,
        t,
        ctx,
        client,
    }
}

impl Desk {
    /// A meeting of the owner's `hours` from now.
    async fn meeting(&self, hours: i64) -> Value {
        let start = Utc::now() + Duration::hours(hours);
        let r = self
            .app
            .post(
                "/api/v1/activities",
                &self.t.owner_token,
                json!({ "client_id": self.client, "kind": "meeting", "title": "Kick-off",
                        "starts_at": start, "ends_at": start + Duration::hours(1),
                        "time_zone": "Europe/Madrid" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    async fn activity(&self, id: &str) -> Value {
        let r = self
            .app
            .get(&format!("/api/v1/activities/{id}"), &self.t.owner_token)
            .await;
        r.body
    }

    /// Runs the worker's sync pass with every connection due.
    async fn sync(&self) {
        sqlx::query("UPDATE calendar_connections SET next_sync_at = now() WHERE tenant_id = $1")
            .bind(self.t.id)
            .execute(&self.app.owner)
            .await
            .expect("due");
        worker::run_job(&self.ctx, &Job::SyncCalendars)
            .await
            .expect("sync pass");
    }

    /// (cursor, changes in, changes out, last error, status) of the tenant's only connection
    /// of `user` (the owner when None).
    async fn health(&self) -> (Option<String>, i64, i64, Option<String>, String) {
        sqlx::query_as(
            "SELECT c.sync_cursor, c.changes_in, c.changes_out, c.last_error, c.status
               FROM calendar_connections c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id
              WHERE c.tenant_id = $1 AND u.email LIKE 'owner@%'",
        )
        .bind(self.t.id)
        .fetch_one(&self.app.owner)
        .await
        .expect("health")
    }

    /// (external id, etag, activity version, conflict) of the links of an activity.
    async fn links(&self, activity: &str) -> Vec<(String, Option<String>, i32, Option<String>)> {
        sqlx::query_as(
            "SELECT external_id, etag, activity_version, conflict FROM calendar_event_links
              WHERE activity_id = $1::uuid ORDER BY synced_at",
        )
        .bind(activity)
        .fetch_all(&self.app.owner)
        .await
        .expect("links")
    }
}

fn hex(id: &str) -> String {
    id.replace('-', "")
}

/// Our event as Google gives it back.
fn our_event(activity: &Value, etag: &str, start: DateTime<Utc>, updated: DateTime<Utc>) -> Value {
    let id = activity["id"].as_str().expect("id");
    json!({
        "id": hex(id), "status": "confirmed", "etag": etag, "iCalUID": format!("{id}@crm"),
        "summary": "Kick-off", "updated": updated.to_rfc3339(),
        "start": { "dateTime": start.to_rfc3339() },
        "end": { "dateTime": (start + Duration::hours(1)).to_rfc3339() },
        "extendedProperties": { "private": { "crm_activity": id } }
    })
}

async fn read_answers(server: &MockServer, token: &str, items: Value, next: &str) {
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(query_param("syncToken", token))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "items": items, "nextSyncToken": next })),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn activities_go_out_once_changes_come_back_and_conflicts_are_resolved_by_the_later() {
    let server = MockServer::start().await;
    token_endpoint(&server, "c1", "ana").await;
    let d = desk(&server, "sync").await;
    let a = d.meeting(24).await;
    let id = a["id"].as_str().expect("id").to_owned();
    connect(&Browser::new(&d.app, Some(&d.t.owner_token)), "c1").await;

    let start: DateTime<Utc> = a["starts_at"].as_str().expect("s").parse().expect("t");
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(query_param("showDeleted", "true"))
        .and(header("authorization", "Bearer ya29.ana"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [
                { "id": "dentist", "status": "confirmed", "summary": "Dentist",
                  "start": { "dateTime": "2027-01-10T09:00:00Z" }, "end": { "dateTime": "2027-01-10T10:00:00Z" } },
                { "id": "broken", "status": "confirmed", "summary": "No times" }
            ],
            "nextSyncToken": "s1"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS))
        .and(body_string_contains(format!("\"id\":\"{}\"", hex(&id))))
        .and(body_string_contains(format!("\"iCalUID\":\"{id}@crm\"")))
        .respond_with(ResponseTemplate::new(200).set_body_json(our_event(
            &a,
            "\"1\"",
            start,
            Utc::now(),
        )))
        .expect(1)
        .mount(&server)
        .await;
    d.sync().await;
    assert_eq!(
        d.links(&id).await,
        vec![(hex(&id), Some("\"1\"".into()), 1, None)]
    );
    assert_eq!(
        d.app.count("activities", d.t.id).await,
        1,
        "the private event stays out"
    );
    let (cursor, _, out, _, status) = d.health().await;
    assert_eq!(
        (cursor.as_deref(), out, status.as_str()),
        (Some("s1"), 1, "active")
    );
    let list = d
        .app
        .get("/api/v1/me/calendar-connections", &d.t.owner_token)
        .await;
    assert_eq!(list.body[0]["set_aside"][0]["external_id"], "broken");
    assert!(
        list.body[0]["set_aside"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no start or no end"))
    );

    // Our own write read back changes nothing, and nothing goes out again.
    read_answers(
        &server,
        "s1",
        json!([our_event(&a, "\"1\"", start, Utc::now())]),
        "s2",
    )
    .await;
    d.sync().await;
    assert_eq!(d.activity(&id).await["version"], a["version"]);
    assert_eq!(d.health().await.0.as_deref(), Some("s2"));

    // Moved in Google: the activity follows.
    let moved = start + Duration::hours(2);
    read_answers(
        &server,
        "s2",
        json!([our_event(&a, "\"2\"", moved, Utc::now())]),
        "s3",
    )
    .await;
    d.sync().await;
    let now_a = d.activity(&id).await;
    let got: DateTime<Utc> = now_a["starts_at"].as_str().expect("s").parse().expect("t");
    assert_eq!(got, moved);
    let v = now_a["version"].as_i64().expect("v") as i32;
    assert_eq!(
        d.links(&id).await,
        vec![(hex(&id), Some("\"2\"".into()), v, None)]
    );
    assert_eq!(d.health().await.1, 1, "one change came in");

    // Changed on both sides, the CRM's change the later: it is kept and sent with the ETag.
    let r = d
        .app
        .patch(
            &format!("/api/v1/activities/{id}"),
            &d.t.owner_token,
            json!({ "title": "Kick-off (agenda nueva)" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let earlier = Utc::now() - Duration::hours(1);
    read_answers(
        &server,
        "s3",
        json!([our_event(&a, "\"3\"", start, earlier)]),
        "s4",
    )
    .await;
    Mock::given(method("PUT"))
        .and(path(format!("{EVENTS}/{}", hex(&id))))
        .and(header("if-match", "\"3\""))
        .and(body_string_contains("agenda nueva"))
        .respond_with(ResponseTemplate::new(200).set_body_json(our_event(
            &a,
            "\"4\"",
            moved,
            Utc::now(),
        )))
        .expect(1)
        .mount(&server)
        .await;
    d.sync().await;
    let kept = d.activity(&id).await;
    assert_eq!(kept["title"], "Kick-off (agenda nueva)");
    let kept_start: DateTime<Utc> = kept["starts_at"].as_str().expect("s").parse().expect("t");
    assert_eq!(kept_start, moved, "the calendar's older change lost");
    let links = d.links(&id).await;
    assert_eq!(links[0].1.as_deref(), Some("\"4\""));
    assert!(
        links[0]
            .3
            .as_deref()
            .is_some_and(|c| c.contains("this later change was kept"))
    );
    let timeline = d
        .app
        .get(
            &format!(
                "/api/v1/clients/{}/timeline?type=activity.sync_conflict",
                d.client
            ),
            &d.t.owner_token,
        )
        .await;
    assert_eq!(
        timeline.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        timeline.text
    );
    let (_, page, _) = Browser::new(&d.app, Some(&d.t.owner_token))
        .get(&format!("/calendar/activities/{id}"))
        .await;
    assert!(page.contains("data-sync-conflict") && page.contains("this later change was kept"));
}

#[tokio::test]
async fn a_teammate_copy_is_the_same_activity_and_an_expired_sync_token_reads_all_again() {
    let server = MockServer::start().await;
    token_endpoint(&server, "c-ana", "ana").await;
    token_endpoint(&server, "c-bea", "bea").await;
    let d = desk(&server, "syncmates").await;
    let a = d.meeting(48).await;
    let id = a["id"].as_str().expect("id").to_owned();
    let start: DateTime<Utc> = a["starts_at"].as_str().expect("s").parse().expect("t");
    let (bea, bea_token) = d.app.user_with_roles(&d.t, "bea", &["sales"]).await;
    connect(&Browser::new(&d.app, Some(&d.t.owner_token)), "c-ana").await;
    connect(&Browser::new(&d.app, Some(&bea_token)), "c-bea").await;

    let copy = json!({
        "id": "bea-copy", "status": "confirmed", "etag": "\"b1\"", "iCalUID": format!("{id}@crm"),
        "summary": "Kick-off", "updated": Utc::now().to_rfc3339(),
        "start": { "dateTime": start.to_rfc3339() },
        "end": { "dateTime": (start + Duration::hours(1)).to_rfc3339() }
    });
    for (who, items, next) in [("ana", json!([]), "a1"), ("bea", json!([copy]), "b1")] {
        Mock::given(method("GET"))
            .and(path(EVENTS))
            .and(query_param("showDeleted", "true"))
            .and(header(
                "authorization",
                format!("Bearer ya29.{who}").as_str(),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "items": items, "nextSyncToken": next })),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(EVENTS))
        .and(header("authorization", "Bearer ya29.ana"))
        .respond_with(ResponseTemplate::new(200).set_body_json(our_event(
            &a,
            "\"1\"",
            start,
            Utc::now(),
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Bea joining changes the activity: the owner's copy is brought up to date.
    Mock::given(method("PUT"))
        .and(path(format!("{EVENTS}/{}", hex(&id))))
        .and(header("authorization", "Bearer ya29.ana"))
        .respond_with(ResponseTemplate::new(200).set_body_json(our_event(
            &a,
            "\"2\"",
            start,
            Utc::now(),
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(EVENTS))
        .and(header("authorization", "Bearer ya29.bea"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    d.sync().await;
    assert_eq!(
        d.app.count("activities", d.t.id).await,
        1,
        "one meeting, one activity"
    );
    let assignees = d.activity(&id).await["assignee_ids"].clone();
    assert!(
        assignees
            .as_array()
            .is_some_and(|a| a.iter().any(|u| u == &json!(bea.to_string()))),
        "{assignees}"
    );
    let externals: Vec<String> = d.links(&id).await.into_iter().map(|l| l.0).collect();
    assert_eq!(externals.len(), 2);
    assert!(externals.contains(&"bea-copy".to_owned()) && externals.contains(&hex(&id)));

    // The owner's sync token expired: everything is read again.
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(query_param("syncToken", "a1"))
        .respond_with(ResponseTemplate::new(410).set_body_json(json!({ "error": { "code": 410 } })))
        .mount(&server)
        .await;
    read_answers(&server, "b1", json!([]), "b2").await;
    d.sync().await;
    let (cursor, _, _, error, _) = d.health().await;
    assert_eq!(
        (cursor.as_deref(), error),
        (Some("a1"), None),
        "the full read's new token"
    );
    let full_reads = server
        .received_requests()
        .await
        .expect("requests")
        .iter()
        .filter(|r| r.url.query().is_some_and(|q| q.contains("showDeleted")))
        .count();
    assert_eq!(full_reads, 3, "two first reads and one after the 410");
}

#[tokio::test]
async fn tokens_are_refreshed_a_revoked_grant_asks_to_connect_again_and_a_rate_limit_waits() {
    let server = MockServer::start().await;
    token_endpoint(&server, "c1", "ana").await;
    let d = desk(&server, "synctok").await;
    connect(&Browser::new(&d.app, Some(&d.t.owner_token)), "c1").await;
    let expire = "UPDATE calendar_connections SET access_expires_at = now() - interval '1 minute'
                   WHERE tenant_id = $1";

    // Throttled: nothing read, the next run as late as Retry-After says.
    let limited = Mock::given(method("GET"))
        .and(path(EVENTS))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount_as_scoped(&server)
        .await;
    d.sync().await;
    drop(limited);
    let (cursor, _, _, error, _) = d.health().await;
    assert_eq!((cursor, error.is_some()), (None, true));
    let wait: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM next_sync_at - now())::float8 FROM calendar_connections WHERE tenant_id = $1",
    )
    .bind(d.t.id)
    .fetch_one(&d.app.owner)
    .await
    .expect("next");
    assert!((100.0..=125.0).contains(&wait), "{wait}");

    // An expired access token is refreshed before reading.
    sqlx::query(expire)
        .bind(d.t.id)
        .execute(&d.app.owner)
        .await
        .expect("expire");
    let refresh = Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=1%2F%2Frefresh-ana"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "ya29.fresh", "expires_in": 3599 })),
        )
        .expect(1)
        .mount_as_scoped(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(header("authorization", "Bearer ya29.fresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "items": [], "nextSyncToken": "s1" })),
        )
        .mount(&server)
        .await;
    d.sync().await;
    drop(refresh);
    assert_eq!(d.health().await.0.as_deref(), Some("s1"));

    // The grant revoked at the provider: the user must connect again.
    sqlx::query(expire)
        .bind(d.t.id)
        .execute(&d.app.owner)
        .await
        .expect("expire");
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": "invalid_grant" })))
        .mount(&server)
        .await;
    d.sync().await;
    let (_, _, _, error, status) = d.health().await;
    assert_eq!(status, "reauthorize");
    assert!(error.is_some_and(|e| e.contains("invalid_grant")));
    let (_, page, _) = Browser::new(&d.app, Some(&d.t.owner_token))
        .get("/calendar/connections")
        .await;
    assert!(
        page.contains("data-connection-status=\"reauthorize\"")
            && page.contains("data-action=\"reconnect\"")
    );
}

#[tokio::test]
async fn a_push_channel_is_opened_once_and_its_notices_make_the_calendar_due() {
    let server = MockServer::start().await;
    token_endpoint(&server, "c1", "ana").await;
    let d = desk_noticed_at(&server, "syncpush", Some("https://crm.example.com")).await;
    connect(&Browser::new(&d.app, Some(&d.t.owner_token)), "c1").await;
    Mock::given(method("GET"))
        .and(path(EVENTS))
        .and(query_param("showDeleted", "true"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "items": [], "nextSyncToken": "s1" })),
        )
        .mount(&server)
        .await;
    read_answers(&server, "s1", json!([]), "s2").await;
    let expires = (Utc::now() + Duration::days(7))
        .timestamp_millis()
        .to_string();
    Mock::given(method("POST"))
        .and(path(format!("{EVENTS}/watch")))
        .and(body_string_contains(format!(
            "\"address\":\"https://crm.example.com/api/v1/webhooks/google-calendar/{}\"",
            d.t.id
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "kind": "api#channel", "id": "ch-1", "resourceId": "r-1", "expiration": expires }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    d.sync().await;
    d.sync().await;
    let list = d
        .app
        .get("/api/v1/me/calendar-connections", &d.t.owner_token)
        .await;
    assert!(
        list.body[0]["channel_expires_at"].is_string(),
        "{}",
        list.text
    );

    sqlx::query("UPDATE calendar_connections SET next_sync_at = now() + interval '10 minutes' WHERE tenant_id = $1")
        .bind(d.t.id)
        .execute(&d.app.owner)
        .await
        .expect("later");
    let notice = |tenant: String, channel: &'static str| {
        let url = d
            .app
            .url(&format!("/api/v1/webhooks/google-calendar/{tenant}"));
        async move {
            reqwest::Client::new()
                .post(url)
                .header("X-Goog-Channel-ID", channel)
                .header("X-Goog-Resource-State", "exists")
                .send()
                .await
                .expect("notice")
                .status()
        }
    };
    let other = d.app.tenant(&slug("syncpush2")).await;
    assert_eq!(
        notice(d.t.id.to_string(), "forged").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        notice(other.id.to_string(), "ch-1").await,
        StatusCode::NOT_FOUND
    );
    let due = || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT next_sync_at <= now() FROM calendar_connections WHERE tenant_id = $1",
        )
        .bind(d.t.id)
        .fetch_one(&d.app.owner)
        .await
        .expect("due")
    };
    assert!(!due().await, "a forged notice changes nothing");
    assert_eq!(notice(d.t.id.to_string(), "ch-1").await, StatusCode::OK);
    assert!(
        due().await,
        "the notice makes the calendar due for the next pass"
    );
}
