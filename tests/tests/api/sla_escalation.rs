//! The SLA escalation pass (`Job::EscalateTickets`): a target past its warning share is warned
//! about once, a breached one escalates the ticket once (priority raised, handed to the team
//! lead, `ticket.sla_breached`), with two workers passing at the same moment and after a
//! worker restart; a customer's new message starts a new round of next response; another
//! tenant's tickets are its own pass's business.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;
use worker::Job;

/// A 24/7 category (first response 60 min, next response 30, resolution 600 at normal
/// priority) whose team lead is `lead`, and one of its tickets, unassigned; the ticket's id.
async fn ticket_with_sla(app: &TestApp, t: &TenantFixture, lead: Uuid) -> (Uuid, Uuid) {
    let targets = json!({ "first_response_minutes": 60, "next_response_minutes": 30, "resolution_minutes": 600 });
    let category = app
        .post(
            "/api/v1/ticket-categories",
            &t.owner_token,
            json!({ "name": "Averías", "sla": { "normal": targets, "high": targets }, "team_lead_id": lead }),
        )
        .await;
    assert_eq!(category.status, StatusCode::CREATED, "{}", category.text);
    let client = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Talleres SLA S.L." }),
        )
        .await;
    assert_eq!(client.status, StatusCode::CREATED, "{}", client.text);
    let client_id = client.body["id"].as_str().expect("client id").to_owned();
    let ticket = app
        .post(
            "/api/v1/tickets",
            &t.owner_token,
            json!({
                "client_id": client_id,
                "category_id": category.body["id"],
                "title": "La máquina no arranca",
                "priority": "normal",
                "priority_reason": "as reported",
            }),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.text);
    let id = |v: &Value| Uuid::parse_str(v.as_str().expect("id")).expect("uuid");
    (id(&ticket.body["id"]), id(&client.body["id"]))
}

/// Moves a ticket's whole history `minutes` into the past (its category runs 24/7, so its
/// stored due and warning times move by as much).
async fn age(app: &TestApp, ticket: Uuid, minutes: i32) {
    sqlx::query(
        "UPDATE tickets SET created_at = created_at - make_interval(mins => $2),
                next_due_at = next_due_at - make_interval(mins => $2),
                next_warn_at = next_warn_at - make_interval(mins => $2),
                last_customer_at = last_customer_at - make_interval(mins => $2),
                first_response_at = first_response_at - make_interval(mins => $2),
                last_agent_reply_at = last_agent_reply_at - make_interval(mins => $2)
          WHERE id = $1",
    )
    .bind(ticket)
    .bind(minutes)
    .execute(&app.owner)
    .await
    .expect("age the ticket");
}

/// The events of `kind` on the client's timeline.
async fn events(app: &TestApp, t: &TenantFixture, client: Uuid, kind: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/api/v1/clients/{client}/timeline?type={kind}"),
            &t.owner_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["data"].as_array().expect("data").clone()
}

async fn two_workers_pass(app: &TestApp) {
    let (a, b) = (app.worker_ctx(), app.worker_ctx());
    let (ra, rb) = tokio::join!(
        worker::run_job(&a, &Job::EscalateTickets),
        worker::run_job(&b, &Job::EscalateTickets)
    );
    ra.expect("first worker's pass");
    rb.expect("second worker's pass");
}

#[tokio::test]
async fn warnings_and_breaches_act_once_with_two_workers_and_after_a_restart() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("sla")).await;
    let (lead, _) = app.user_with_roles(&t, "lead", &["support"]).await;
    let (ticket, client) = ticket_with_sla(&app, &t, lead).await;

    two_workers_pass(&app).await;
    assert!(
        events(&app, &t, client, "ticket.sla_warning")
            .await
            .is_empty(),
        "nothing is due yet"
    );

    age(&app, ticket, 50).await; // 50 of 60 minutes: past the 80 % warning share
    two_workers_pass(&app).await;
    two_workers_pass(&app).await;
    let warnings = events(&app, &t, client, "ticket.sla_warning").await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["payload"]["target"], "first_response");

    age(&app, ticket, 20).await; // 70 minutes: first response breached
    two_workers_pass(&app).await;
    // A restarted worker: a new process with nothing in memory.
    worker::run_job(&app.worker_ctx(), &Job::EscalateTickets)
        .await
        .expect("pass after a restart");
    let breaches = events(&app, &t, client, "ticket.sla_breached").await;
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    let now = app
        .get(&format!("/api/v1/tickets/{ticket}"), &t.owner_token)
        .await;
    assert_eq!(now.body["priority"], "high", "{}", now.text);
    assert_eq!(now.body["assignee_id"], json!(lead));
    assert!(
        now.body["priority_reason"]
            .as_str()
            .is_some_and(|r| r.contains("first response")),
        "{}",
        now.text
    );
    assert_eq!(now.body["sla"]["breached"], true, "{}", now.text);
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket_escalations WHERE ticket_id = $1 AND target = 'first_response'",
    )
    .bind(ticket)
    .fetch_one(&app.owner)
    .await
    .expect("count");
    assert_eq!(rows, 2, "one warning and one breach");
    // The breach is mailed, once, to the team lead who has the ticket now.
    let lead_email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(lead)
        .fetch_one(&app.owner)
        .await
        .expect("lead");
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, subject FROM platform_mails WHERE kind = 'sla_breach'")
            .fetch_all(&app.owner)
            .await
            .expect("outbox");
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, lead_email);
    assert!(mails[0].1.contains("La máquina no arranca"), "{mails:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_customer_message_starts_a_new_round_of_next_response() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("sla-round")).await;
    let (lead, _) = app.user_with_roles(&t, "lead", &["support"]).await;
    let (ticket, client) = ticket_with_sla(&app, &t, lead).await;
    let comment = |body: Value| {
        let app = &app;
        let token = t.owner_token.clone();
        async move {
            let r = app
                .post(&format!("/api/v1/tickets/{ticket}/comments"), &token, body)
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
    };
    comment(json!({ "body": "Estamos en ello.", "public": true })).await;
    for round in 1..=2 {
        comment(json!({ "body": format!("¿Alguna novedad? ({round})"), "public": true, "author_kind": "customer" }))
            .await;
        age(&app, ticket, 40).await; // next response (30 min) breached in this round
        two_workers_pass(&app).await;
        let breaches = events(&app, &t, client, "ticket.sla_breached").await;
        let next: Vec<&Value> = breaches
            .iter()
            .filter(|e| e["payload"]["target"] == "next_response")
            .collect();
        assert_eq!(next.len(), round, "one breach per round: {breaches:?}");
        comment(json!({ "body": "Respondemos.", "public": true })).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_without_tickets_or_without_an_sla_is_left_alone() {
    let app = spawn_app().await;
    let quiet = app.tenant(&slug("sla-quiet")).await;
    let t = app.tenant(&slug("sla-none")).await;
    let client = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Sin SLA S.A." }),
        )
        .await;
    let ticket = app
        .post(
            "/api/v1/tickets",
            &t.owner_token,
            json!({ "client_id": client.body["id"], "title": "Sin categoría", "priority": "low", "priority_reason": "test" }),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.text);
    two_workers_pass(&app).await;
    for tenant in [quiet.id, t.id] {
        assert_eq!(app.count("ticket_escalations", tenant).await, 0);
    }
    app.stop().await;
}
