//! Each user's iCal feed (issue 18): issued once with its secret URL, read without signing in
//! by any calendar application (parsed here by the `ical` crate, a standard RFC 5545 parser):
//! the user's own activities only, each occurrence of a series as its own event, all-day ones
//! as dates, cancelled ones marked; a new URL stops the old one, revoking stops it, another
//! tenant's or a forged token finds nothing, and a role without the calendar may not issue one.

use std::io::BufReader;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::*;

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

/// GET of a feed's URL without signing in: status, content type and body.
async fn fetch(url: &str) -> (StatusCode, String, String) {
    let r = reqwest::get(url).await.expect("the feed");
    let status = r.status();
    let kind = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, r.text().await.expect("body"))
}

/// The feed's events as (SUMMARY, DTSTART with its VALUE parameter, STATUS), parsed.
fn events(ics: &str) -> Vec<(String, String, String)> {
    let mut parser = ical::IcalParser::new(BufReader::new(ics.as_bytes()));
    let calendar = parser
        .next()
        .expect("one calendar")
        .expect("a valid iCalendar file");
    assert!(parser.next().is_none(), "one calendar only");
    let mut out: Vec<(String, String, String)> = calendar
        .events
        .iter()
        .map(|e| {
            let prop = |name: &str| e.properties.iter().find(|p| p.name == name);
            let value = |name: &str| prop(name).and_then(|p| p.value.clone()).unwrap_or_default();
            let start = prop("DTSTART").expect("DTSTART");
            let is_date = start
                .params
                .iter()
                .flatten()
                .any(|(k, v)| k == "VALUE" && v.iter().any(|v| v == "DATE"));
            let when = format!(
                "{}{}",
                if is_date { "DATE:" } else { "" },
                start.value.clone().unwrap_or_default()
            );
            assert!(prop("UID").is_some() && prop("DTSTAMP").is_some());
            (value("SUMMARY"), when, value("STATUS"))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_users_feed_holds_their_activities_as_standard_icalendar_until_revoked() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("ics")).await;
    let token = &t.owner_token;
    let (sales, sales_token) = app.user_with_roles(&t, "sales", &["sales"]).await;
    let client = created(
        &app,
        "/api/v1/clients",
        token,
        json!({ "company_name": "Feed, Calendarios; S.L.", "status": "client" }),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let soon = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .expect("time")
        .and_utc();
    let at = |days: i64| (soon + chrono::Duration::days(days)).to_rfc3339();
    for body in [
        json!({ "client_id": client, "kind": "meeting", "title": "Revisión, precios; plazos",
                "starts_at": at(0), "ends_at": at(0).replace("09:00", "10:00"),
                "notes": "Primera línea\nsegunda" }),
        json!({ "client_id": client, "kind": "call", "title": "Llamada semanal",
                "starts_at": at(1), "recurrence": "FREQ=WEEKLY;COUNT=3" }),
        json!({ "client_id": client, "kind": "demo", "title": "Demo cancelada",
                "starts_at": at(2), "status": "cancelled" }),
        json!({ "client_id": client, "kind": "deadline", "title": "Vence la oferta",
                "starts_at": "2030-01-15T00:00:00+01:00", "ends_at": "2030-01-16T00:00:00+01:00",
                "all_day": true, "time_zone": "Europe/Madrid" }),
        json!({ "client_id": client, "kind": "task", "title": "De otra persona",
                "starts_at": at(0), "assignee_ids": [sales] }),
    ] {
        created(&app, "/api/v1/activities", token, body).await;
    }

    let none = app.get("/api/v1/me/calendar-feed", token).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.text);
    assert_eq!(none.body["active"], json!(false));
    let issued = created(&app, "/api/v1/me/calendar-feed", token, json!({})).await;
    let url = issued["url"].as_str().expect("url").to_owned();
    assert!(url.ends_with(".ics"), "{url}");
    let (status, kind, ics) = fetch(&url).await;
    assert_eq!(status, StatusCode::OK, "{ics}");
    assert!(kind.starts_with("text/calendar"), "{kind}");
    assert!(ics.lines().all(|l| l.len() <= 76), "folded lines");
    let found = events(&ics);
    let titles: Vec<&str> = found.iter().map(|(s, _, _)| s.as_str()).collect();
    // The parser keeps TEXT as written (escapes included).
    assert_eq!(
        titles,
        [
            "Demo cancelada",
            "Llamada semanal",
            "Llamada semanal",
            "Llamada semanal",
            "Revisión\\, precios\\; plazos",
        ],
        "the owner's occurrences only, the 2030 deadline beyond the feed's 300 days"
    );
    assert!(
        found
            .iter()
            .any(|e| e.0 == "Demo cancelada" && e.2 == "CANCELLED")
    );
    assert!(
        found
            .iter()
            .all(|e| e.1.ends_with('Z') && !e.1.starts_with("DATE:")),
        "{found:?}"
    );
    let read = app.get("/api/v1/me/calendar-feed", token).await;
    assert_eq!(read.body["active"], json!(true));
    assert!(read.body["last_read_at"].is_string(), "{}", read.text);

    // An all-day activity within reach is a date.
    created(
        &app,
        "/api/v1/activities",
        token,
        json!({ "client_id": client, "kind": "deadline", "title": "Cierre del trimestre",
                "starts_at": format!("{}T00:00:00Z", soon.date_naive()),
                "ends_at": format!("{}T00:00:00Z", soon.date_naive() + chrono::Duration::days(1)),
                "all_day": true, "time_zone": "UTC" }),
    )
    .await;
    let (_, _, ics) = fetch(&url).await;
    let day = soon.date_naive().format("%Y%m%d").to_string();
    assert!(
        events(&ics)
            .iter()
            .any(|e| e.0 == "Cierre del trimestre" && e.1 == format!("DATE:{day}")),
        "{ics}"
    );

    // A new URL stops the old one; revoking stops the new one.
    let renewed = created(&app, "/api/v1/me/calendar-feed", token, json!({})).await;
    let new_url = renewed["url"].as_str().expect("url").to_owned();
    assert_ne!(new_url, url);
    assert_eq!(fetch(&url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&new_url).await.0, StatusCode::OK);
    let revoked = app.delete("/api/v1/me/calendar-feed", token).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    assert_eq!(fetch(&new_url).await.0, StatusCode::NOT_FOUND);
    let again = app.delete("/api/v1/me/calendar-feed", token).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // The sales user's feed is theirs: their task only.
    let theirs = created(&app, "/api/v1/me/calendar-feed", &sales_token, json!({})).await;
    let (_, _, ics) = fetch(theirs["url"].as_str().expect("url")).await;
    let titles: Vec<String> = events(&ics).into_iter().map(|e| e.0).collect();
    assert_eq!(titles, ["De otra persona"]);
    app.stop().await;
}

#[tokio::test]
async fn forged_and_foreign_feeds_find_nothing_and_roles_without_the_calendar_get_none() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("icsa")).await;
    let b = app.tenant(&slug("icsb")).await;
    let issued = created(&app, "/api/v1/me/calendar-feed", &a.owner_token, json!({})).await;
    let url = issued["url"].as_str().expect("url").to_owned();
    // The same secret under the other tenant's id, a changed secret, and nonsense.
    let (prefix, secret) = url.rsplit_once('_').expect("token");
    let other_tenant = url.replace(&a.id.simple().to_string(), &b.id.simple().to_string());
    let swap = if secret.starts_with('A') { "B" } else { "A" };
    let altered = format!("{prefix}_{swap}{}", &secret[1..]);
    for forged in [
        other_tenant,
        altered,
        app.url("/ical/nonsense.ics"),
        app.url("/ical/ics_zzz_abc.ics"),
    ] {
        assert_eq!(fetch(&forged).await.0, StatusCode::NOT_FOUND, "{forged}");
    }
    assert_eq!(fetch(&url).await.0, StatusCode::OK);
    // Another tenant's owner has no feed of theirs.
    let theirs = app.get("/api/v1/me/calendar-feed", &b.owner_token).await;
    assert_eq!(theirs.body["active"], json!(false));

    // Every built-in role: the calendar's viewers may have a feed, the others may not.
    for role in domain::BuiltinRole::ALL {
        let (_, token) = app
            .user_with_roles(&a, &format!("feed-{}", role.name()), &[role.name()])
            .await;
        let may = role.permissions().contains(&"calendar.view");
        let r = app
            .post("/api/v1/me/calendar-feed", &token, json!({}))
            .await;
        let expected = if may {
            StatusCode::CREATED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, expected, "{}: {}", role.name(), r.text);
        let r = app.get("/api/v1/me/calendar-feed", &token).await;
        let expected = if may {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, expected, "{}: {}", role.name(), r.text);
    }
    app.stop().await;
}
