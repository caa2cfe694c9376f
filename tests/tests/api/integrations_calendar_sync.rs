//! The calendar-sync clients against wiremock fakes of the real protocols: the OAuth 2.0 token
//! endpoint (code exchange with PKCE, refresh, a revoked grant, revocation), Google Calendar
//! API v3 (a full read over two pages ending in a sync token, an incremental read whose token
//! expired, rate limits with `Retry-After`, a refused access token, writes with the event's
//! ETag, a watch channel) and Microsoft Graph (a delta read over `nextLink` to `deltaLink`, an
//! expired delta, throttling, a subscription and its renewal).

use std::time::Duration;

use integrations::google_calendar::{
    CalendarError, EventBody, EventTime, ExtendedProperties, GoogleCalendar, ReadFrom,
};
use integrations::microsoft_calendar::{DeltaFrom, GraphError, MicrosoftCalendar, NewSubscription};
use integrations::oauth::{ClientCredentials, OAuthClient, OAuthError, Provider};
use serde_json::json;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn provider(server: &MockServer) -> Provider {
    Provider {
        authorize_url: format!("{}/o/oauth2/v2/auth", server.uri()),
        token_url: format!("{}/token", server.uri()),
        revoke_url: Some(format!("{}/revoke", server.uri())),
        scopes: vec!["https://www.googleapis.com/auth/calendar.events".into()],
        extra: vec![("access_type".into(), "offline".into())],
    }
}

fn credentials() -> ClientCredentials {
    ClientCredentials {
        client_id: "crm-client".into(),
        client_secret: "crm-secret".into(),
        redirect_uri: "https://crm.example.com/oauth/calendar/google".into(),
    }
}

#[tokio::test]
async fn the_token_endpoint_exchanges_a_code_refreshes_and_revokes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=4%2F0Ab"))
        .and(body_string_contains("code_verifier=verifier-1"))
        .and(body_string_contains("client_secret=crm-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "ya29.first", "refresh_token": "1//refresh",
            "expires_in": 3599, "scope": "calendar.events", "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=1%2F%2Frefresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "ya29.second", "expires_in": 3599, "token_type": "Bearer"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=revoked"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant", "error_description": "Token has been expired or revoked."
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("refresh_token=busy"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .and(body_string_contains("token=1%2F%2Frefresh"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let (p, c) = (provider(&server), credentials());
    let client = OAuthClient::new().expect("client");
    let t = client
        .exchange(&p, &c, "4/0Ab", "verifier-1")
        .await
        .expect("tokens");
    assert_eq!(t.access_token, "ya29.first");
    assert_eq!(t.refresh_token.as_deref(), Some("1//refresh"));
    assert_eq!(t.expires_in, Some(3599));
    let again = client.refresh(&p, &c, "1//refresh").await.expect("refresh");
    assert_eq!(again.access_token, "ya29.second");
    assert_eq!(again.refresh_token, None, "Google keeps the refresh token");
    assert!(matches!(
        client.refresh(&p, &c, "revoked").await,
        Err(OAuthError::Reauthorize(_))
    ));
    assert!(matches!(
        client.refresh(&p, &c, "busy").await,
        Err(OAuthError::Unavailable(_))
    ));
    client.revoke(&p, &c, "1//refresh").await.expect("revoked");
}

#[tokio::test]
async fn a_full_read_follows_its_pages_and_an_expired_sync_token_asks_for_another() {
    let server = MockServer::start().await;
    let events = "/calendar/v3/calendars/ana%40example.com/events";
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param("showDeleted", "true"))
        .and(query_param("pageToken", "p2"))
        .and(header("authorization", "Bearer ya29.ok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{ "id": "e3", "status": "cancelled" }],
            "nextSyncToken": "sync-1"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param("showDeleted", "true"))
        .and(query_param("timeMin", "2026-01-01T00:00:00Z"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{ "id": "e1" }, { "id": "e2" }], "nextPageToken": "p2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param("syncToken", "old"))
        .respond_with(ResponseTemplate::new(410).set_body_json(json!({
            "error": { "code": 410, "message": "Sync token is no longer valid" }
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(events))
        .and(query_param("syncToken", "busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(events))
        .and(header("authorization", "Bearer expired"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(1)
        .mount(&server)
        .await;

    let google = GoogleCalendar::new(&server.uri()).expect("client");
    let cal = "ana@example.com";
    let full = ReadFrom::Full {
        time_min: Some("2026-01-01T00:00:00Z".into()),
    };
    let first = google
        .read_page("ya29.ok", cal, &full, None)
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.next_sync_token, None, "only the last page has it");
    let second = google
        .read_page("ya29.ok", cal, &full, first.next_page_token.as_deref())
        .await
        .expect("page 2");
    assert_eq!(second.next_sync_token.as_deref(), Some("sync-1"));
    let changes = |t: &str| ReadFrom::Changes {
        sync_token: t.into(),
    };
    assert_eq!(
        google
            .read_page("ya29.ok", cal, &changes("old"), None)
            .await,
        Err(CalendarError::FullSyncNeeded)
    );
    assert_eq!(
        google
            .read_page("ya29.ok", cal, &changes("busy"), None)
            .await,
        Err(CalendarError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        })
    );
    assert_eq!(
        google.read_page("expired", cal, &full, None).await,
        Err(CalendarError::Unauthorized)
    );
}

#[tokio::test]
async fn writes_carry_the_etag_and_a_watch_channel_is_opened_and_stopped() {
    let server = MockServer::start().await;
    let events = "/calendar/v3/calendars/primary/events";
    let body = EventBody {
        summary: "Demo".into(),
        start: EventTime {
            date_time: Some("2027-03-01T10:00:00+01:00".into()),
            time_zone: Some("Europe/Madrid".into()),
            ..EventTime::default()
        },
        end: EventTime {
            date_time: Some("2027-03-01T11:00:00+01:00".into()),
            time_zone: Some("Europe/Madrid".into()),
            ..EventTime::default()
        },
        ical_uid: Some("a1@crm.example.com".into()),
        extended_properties: ExtendedProperties {
            private: [("crm_activity".to_owned(), "a1".to_owned())].into(),
        },
        ..EventBody::default()
    };
    Mock::given(method("POST"))
        .and(path(events))
        .and(body_json(json!({
            "summary": "Demo",
            "start": { "dateTime": "2027-03-01T10:00:00+01:00", "timeZone": "Europe/Madrid" },
            "end": { "dateTime": "2027-03-01T11:00:00+01:00", "timeZone": "Europe/Madrid" },
            "iCalUID": "a1@crm.example.com",
            "extendedProperties": { "private": { "crm_activity": "a1" } }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "g1", "etag": "\"100\"", "status": "confirmed", "iCalUID": "a1@crm.example.com"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{events}/g1")))
        .and(header("if-match", "\"100\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "g1", "etag": "\"101\"", "status": "confirmed"
        })))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{events}/g1")))
        .and(header("if-match", "\"99\""))
        .respond_with(ResponseTemplate::new(412))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{events}/watch")))
        .and(body_json(json!({
            "id": "chan-1", "type": "web_hook",
            "address": "https://crm.example.com/webhooks/google-calendar",
            "token": "secret-1", "params": { "ttl": "604800" }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "api#channel", "id": "chan-1", "resourceId": "res-1",
            "expiration": "1800000000000"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/calendar/v3/channels/stop"))
        .and(body_json(json!({ "id": "chan-1", "resourceId": "res-1" })))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;

    let google = GoogleCalendar::new(&server.uri()).expect("client");
    let made = google
        .insert("tok", "primary", &body)
        .await
        .expect("insert");
    assert_eq!((made.id.as_str(), made.etag.as_str()), ("g1", "\"100\""));
    let changed = google
        .update("tok", "primary", "g1", Some("\"100\""), &body)
        .await
        .expect("update");
    assert_eq!(changed.etag, "\"101\"");
    assert_eq!(
        google
            .update("tok", "primary", "g1", Some("\"99\""), &body)
            .await,
        Err(CalendarError::Changed)
    );
    let week = Duration::from_secs(7 * 24 * 3600);
    let chan = google
        .watch(
            "tok",
            "primary",
            "chan-1",
            "https://crm.example.com/webhooks/google-calendar",
            "secret-1",
            week,
        )
        .await
        .expect("watch");
    assert_eq!(chan.resource_id, "res-1");
    assert_eq!(chan.expiration.as_deref(), Some("1800000000000"));
    google
        .stop("tok", "chan-1", "res-1")
        .await
        .expect("a channel Google forgot counts as stopped");
}

#[tokio::test]
async fn a_graph_delta_read_follows_next_links_to_its_delta_link() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendarView/delta"))
        .and(query_param("startDateTime", "2026-01-01T00:00:00Z"))
        .and(query_param("endDateTime", "2027-12-31T00:00:00Z"))
        .and(header("authorization", "Bearer graph-tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{ "id": "m1", "subject": "Demo" }],
            "@odata.nextLink": format!("{base}/v1.0/me/calendarView/delta?$skiptoken=page2")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendarView/delta"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{ "id": "m2", "@removed": { "reason": "deleted" } }],
            "@odata.deltaLink": format!("{base}/v1.0/me/calendarView/delta?$deltatoken=d1")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendarView/delta"))
        .and(query_param("$deltatoken", "stale"))
        .respond_with(ResponseTemplate::new(410).set_body_json(json!({
            "error": { "code": "SyncStateNotFound", "message": "The sync state is not found." }
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/me/calendarView/delta"))
        .and(query_param("$deltatoken", "busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/subscriptions"))
        .and(body_string_contains("\"clientState\":\"state-1\""))
        .and(body_string_contains("\"lifecycleNotificationUrl\""))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "sub-1", "expirationDateTime": "2027-03-07T10:00:00Z"
        })))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/subscriptions/sub-1"))
        .and(body_json(
            json!({ "expirationDateTime": "2027-03-10T10:00:00Z" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "sub-1", "expirationDateTime": "2027-03-10T10:00:00Z"
        })))
        .mount(&server)
        .await;

    let graph = MicrosoftCalendar::new(&base).expect("client");
    let first = graph
        .delta_page(
            "graph-tok",
            &DeltaFrom::Window {
                start: "2026-01-01T00:00:00Z".into(),
                end: "2027-12-31T00:00:00Z".into(),
            },
        )
        .await
        .expect("page 1");
    assert_eq!(first.value.len(), 1);
    let next = first.next_link.expect("a next link");
    let last = graph
        .delta_page("graph-tok", &DeltaFrom::Link(next))
        .await
        .expect("page 2");
    assert_eq!(last.value[0]["@removed"]["reason"], "deleted");
    assert!(
        last.delta_link
            .expect("delta link")
            .ends_with("$deltatoken=d1")
    );
    let link =
        |t: &str| DeltaFrom::Link(format!("{base}/v1.0/me/calendarView/delta?$deltatoken={t}"));
    assert_eq!(
        graph.delta_page("graph-tok", &link("stale")).await,
        Err(GraphError::FullSyncNeeded)
    );
    assert_eq!(
        graph.delta_page("graph-tok", &link("busy")).await,
        Err(GraphError::Throttled {
            retry_after: Some(Duration::from_secs(3))
        })
    );
    assert!(matches!(
        graph
            .delta_page(
                "graph-tok",
                &DeltaFrom::Link("https://evil.example.com/x".into())
            )
            .await,
        Err(GraphError::Refused(_))
    ));
    let sub = graph
        .subscribe(
            "graph-tok",
            &NewSubscription {
                change_type: "created,updated,deleted".into(),
                notification_url: "https://crm.example.com/webhooks/outlook".into(),
                lifecycle_notification_url: "https://crm.example.com/webhooks/outlook/lifecycle"
                    .into(),
                resource: "me/events".into(),
                expiration_date_time: "2027-03-07T10:00:00Z".into(),
                client_state: "state-1".into(),
            },
        )
        .await
        .expect("subscription");
    assert_eq!(sub.id, "sub-1");
    let renewed = graph
        .renew("graph-tok", "sub-1", "2027-03-10T10:00:00Z")
        .await
        .expect("renewed");
    assert_eq!(renewed.expiration_date_time, "2027-03-10T10:00:00Z");
}
