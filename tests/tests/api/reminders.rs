//! Activity reminders (issue 18), end to end through the worker's pass: each goes out once
//! (mail and live event) with two workers passing at the same moment and after a restart; a
//! moved activity is reminded at its new time only, a cancelled one not at all, one found
//! after its start is counted as missed; the users' default reminders and their changes; bad
//! input; the settings are each user's own, by tenant and role.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use services::jobs::Job;
use tests::*;
use uuid::Uuid;

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn client(app: &TestApp, token: &str) -> String {
    let body = json!({ "company_name": "Reminded SL", "status": "client" });
    id_of(&created(app, "/api/v1/clients", token, body).await)
}

/// A meeting of the caller's, `minutes` from now, with `extra` members.
async fn meeting(app: &TestApp, token: &str, client: &str, minutes: i64, extra: Value) -> Value {
    let start = (Utc::now() + Duration::minutes(minutes)).to_rfc3339();
    let mut body = json!({
        "client_id": client, "kind": "meeting", "title": format!("Demo in {minutes} min"),
        "starts_at": start, "time_zone": "Europe/Madrid",
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    created(app, "/api/v1/activities", token, body).await
}

/// The reminders recorded for an activity: (minutes before, outcome, occurrence start).
async fn recorded(app: &TestApp, activity: &str) -> Vec<(i32, String, DateTime<Utc>)> {
    sqlx::query_as(
        "SELECT minutes_before, outcome, occurrence_at FROM activity_reminders
          WHERE activity_id = $1::uuid ORDER BY occurrence_at, minutes_before",
    )
    .bind(activity)
    .fetch_all(&app.owner)
    .await
    .expect("reminders")
}

/// The reminder mails of a tenant, by subject.
async fn mails(app: &TestApp, tenant: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT subject FROM platform_mails WHERE tenant_id = $1 AND kind = 'activity_reminder'
          ORDER BY created_at",
    )
    .bind(tenant)
    .fetch_all(&app.owner)
    .await
    .expect("mails")
}

async fn pass(ctx: &worker::WorkerCtx) {
    worker::run_job(ctx, &Job::RemindActivities)
        .await
        .expect("reminder pass");
}

async fn activity(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/activities/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn at(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| s.parse().expect("time"))
}

#[tokio::test]
async fn a_reminder_goes_out_once_with_two_workers_and_after_a_restart_and_moves_with_it() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("rem-once")).await;
    let tok = &t.owner_token;
    let c = client(&app, tok).await;
    let a = meeting(&app, tok, &c, 10, json!({ "reminder_minutes": [5, 15] })).await;
    let id = id_of(&a);
    assert_eq!(a["reminder_minutes"], json!([5, 15]));
    // The 15-minute reminder is due already: the activity is looked at now.
    let next = at(&a["next_reminder_at"]).expect("a reminder to come");
    assert!(next <= Utc::now(), "due at once: {next}");

    let (w1, w2) = (app.worker_ctx(), app.worker_ctx());
    tokio::join!(pass(&w1), pass(&w2));
    let starts = at(&a["starts_at"]).expect("start");
    assert_eq!(recorded(&app, &id).await, vec![(15, "sent".into(), starts)]);
    assert_eq!(mails(&app, t.id).await.len(), 1);
    // The next one (5 minutes before) is what the activity waits for now.
    let after = activity(&app, tok, &id).await;
    assert_eq!(
        at(&after["next_reminder_at"]),
        Some(starts - Duration::minutes(5))
    );

    // A restarted worker passes again: nothing new.
    pass(&app.worker_ctx()).await;
    assert_eq!(recorded(&app, &id).await.len(), 1);

    // Moved to 3 minutes from now: both reminders of the new time are due, and the one due
    // last goes (not two mails at once); the old time's 5-minute reminder never goes out.
    let new_start = (Utc::now() + Duration::minutes(3)).to_rfc3339();
    let r = app
        .patch(
            &format!("/api/v1/activities/{id}"),
            tok,
            json!({ "starts_at": new_start }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let moved = at(&r.body["starts_at"]).expect("start");
    tokio::join!(pass(&w1), pass(&w2));
    let got = recorded(&app, &id).await;
    assert_eq!(
        got,
        vec![
            (5, "sent".into(), moved),
            (15, "skipped".into(), moved),
            (15, "sent".into(), starts),
        ]
    );
    let subjects = mails(&app, t.id).await;
    assert_eq!(
        subjects.len(),
        2,
        "one mail per occurrence and pass, the last due"
    );
    assert!(
        subjects.iter().all(|s| s.contains("Demo in 10 min")),
        "{subjects:?}"
    );
    assert!(at(&activity(&app, tok, &id).await["next_reminder_at"]).is_none());

    // Each pass that sent some wrote one tenant event naming the user (not on the client's
    // timeline: not client history).
    let me = app.get("/api/v1/me", tok).await.body["id"].clone();
    let r = app
        .get("/api/v1/timeline?type=activity.reminder_sent&limit=10", tok)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let events = r.body["data"].as_array().expect("events").clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e["client_id"].is_null()));
    assert!(
        events
            .iter()
            .all(|e| e["payload"]["user_ids"] == json!([me]))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cancelled_activity_is_not_reminded_and_a_late_one_is_counted_missed() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("rem-cancel")).await;
    let tok = &t.owner_token;
    let c = client(&app, tok).await;
    let a = meeting(&app, tok, &c, 10, json!({ "reminder_minutes": [15] })).await;
    let id = id_of(&a);
    let r = app
        .patch(
            &format!("/api/v1/activities/{id}"),
            tok,
            json!({ "status": "cancelled" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["next_reminder_at"].is_null());
    pass(&app.worker_ctx()).await;
    assert!(recorded(&app, &id).await.is_empty());

    // The workers were down: the pass finds a reminder whose meeting began a minute ago.
    let late = meeting(&app, tok, &c, 30, json!({ "reminder_minutes": [15] })).await;
    let late_id = id_of(&late);
    sqlx::query(
        "UPDATE activities SET starts_at = now() - interval '1 minute', ends_at = now(),
                occurs_until = now(), next_reminder_at = now() - interval '16 minutes'
          WHERE id = $1::uuid",
    )
    .bind(&late_id)
    .execute(&app.owner)
    .await
    .expect("back in time");
    pass(&app.worker_ctx()).await;
    let got = recorded(&app, &late_id).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, "missed");
    assert!(
        mails(&app, t.id).await.is_empty(),
        "no mail for a missed one"
    );
    app.stop().await;
}

#[tokio::test]
async fn activities_without_their_own_reminders_follow_the_users_default() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("rem-default")).await;
    let tok = &t.owner_token;
    let c = client(&app, tok).await;
    let r = app.get("/api/v1/me/calendar-settings", tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["reminder_minutes"], json!([15]));
    assert_eq!(r.body["defaults"], json!(true));
    assert_eq!(r.header("etag"), Some("\"0\""));

    let a = meeting(&app, tok, &c, 20, json!({})).await;
    let starts = at(&a["starts_at"]).expect("start");
    assert!(a["reminder_minutes"].is_null());
    assert_eq!(
        at(&a["next_reminder_at"]),
        Some(starts - Duration::minutes(15))
    );

    // Half an hour before is due already; the change plans the activity again at once.
    let put = |body: Value, etag: &'static str| {
        let app = &app;
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/me/calendar-settings",
                Some(tok),
                Some(body),
                &[("if-match", etag)],
            )
            .await
        }
    };
    let r = put(json!({ "reminder_minutes": [30.0, 1440] }), "\"0\"").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["reminder_minutes"], json!([30, 1440]));
    assert_eq!(r.header("etag"), Some("\"1\""));
    let now_due = at(&activity(&app, tok, &id_of(&a)).await["next_reminder_at"]).expect("due");
    assert!(now_due <= Utc::now());
    pass(&app.worker_ctx()).await;
    assert_eq!(
        recorded(&app, &id_of(&a)).await,
        vec![
            (30, "sent".into(), starts),
            (1440, "skipped".into(), starts)
        ],
        "a day before is past: only the half-hour reminder goes"
    );

    // Bad input changes nothing; an old version is refused.
    for (body, pointer) in [
        (json!({ "reminder_minutes": [-1] }), "/reminder_minutes"),
        (
            json!({ "reminder_minutes": [1, 2, 3, 4, 5, 6] }),
            "/reminder_minutes",
        ),
        (json!({ "reminder_minutes": [10081] }), "/reminder_minutes"),
    ] {
        let r = put(body, "\"1\"").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["pointer"], pointer, "{}", r.text);
    }
    let r = put(json!({ "reminder_minutes": [] }), "\"0\"").await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text);
    let r = app.get("/api/v1/me/calendar-settings", tok).await;
    assert_eq!(r.body["reminder_minutes"], json!([30, 1440]));
    let r = app
        .post(
            "/api/v1/activities",
            tok,
            json!({ "client_id": c, "kind": "call", "title": "x",
                    "starts_at": Utc::now().to_rfc3339(), "reminder_minutes": [20000] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["pointer"], "/reminder_minutes");
    app.stop().await;
}

#[tokio::test]
async fn calendar_settings_are_each_users_own_by_tenant_and_role() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("rem-ta")).await;
    let b = app.tenant(&slug("rem-tb")).await;
    let set = |token: String, minutes: Value| {
        let app = &app;
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/me/calendar-settings",
                Some(&token),
                Some(json!({ "reminder_minutes": minutes })),
                &[],
            )
            .await
        }
    };
    assert_eq!(
        set(a.owner_token.clone(), json!([60])).await.status,
        StatusCode::OK
    );
    // Another tenant's owner, and another user of the same tenant, keep their own.
    for token in [
        &b.owner_token,
        &app.user_with_roles(&a, "rem-other", &["sales"]).await.1,
    ] {
        let r = app.get("/api/v1/me/calendar-settings", token).await;
        assert_eq!(r.body["reminder_minutes"], json!([15]), "{}", r.text);
    }
    for role in domain::BuiltinRole::ALL {
        let (_, token) = app
            .user_with_roles(&a, &format!("rem-{}", role.name()), &[role.name()])
            .await;
        let may = role.permissions().contains(&"calendar.view");
        let ok_or_forbidden = |ok| if may { ok } else { StatusCode::FORBIDDEN };
        let r = app.get("/api/v1/me/calendar-settings", &token).await;
        assert_eq!(r.status, ok_or_forbidden(StatusCode::OK), "{}", role.name());
        let r = set(token, json!([5])).await;
        assert_eq!(r.status, ok_or_forbidden(StatusCode::OK), "{}", role.name());
    }
    app.stop().await;
}
