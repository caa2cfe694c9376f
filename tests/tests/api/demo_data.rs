//! The demo tenant's data set (`crm seed-demo`): a few hundred clients and leads with people,
//! custom fields and months of history that the API's lists, KPIs and charts show, a help desk
//! with tickets in every state, conversations with clients on every channel, a sales pipeline
//! with deals in every stage, and proposals in every status; seeded once, whoever asks again or
//! at the same time, and seen by no other tenant.

use std::collections::BTreeSet;

use api::auth::password;
use reqwest::StatusCode;
use serde_json::Value;
use services::tenants::{self, DemoSeed, SetupUser, TenantSpec};
use tests::*;
use uuid::Uuid;

/// Seeds the demo tenant as `crm seed-demo` does: its users' passwords judged, then the service.
async fn seed(app: &TestApp) -> DemoSeed {
    let spec = TenantSpec::new(tenants::DEMO_SLUG, tenants::DEMO_NAME);
    let mut users = Vec::new();
    for u in tenants::demo_users() {
        let whose = password::Owner::in_new_tenant(&spec, &u.email, &u.display_name);
        users.push(SetupUser {
            password: password::judge(&u.password, &whose).await.expect("hash"),
            email: u.email,
            display_name: u.display_name,
            roles: vec![u.role.to_owned()],
        });
    }
    let master = db::crypto::MasterKeys::parse(&test_master_keys()).expect("keys");
    let seeded = tenants::seed_demo(&app.app_pool, &master, users)
        .await
        .expect("seed");
    app.state.authz.reload(&app.state.db).await.expect("reload");
    seeded
}

async fn demo_id(app: &TestApp) -> Uuid {
    db::tenants::find_by_slug(&app.app_pool, tenants::DEMO_SLUG)
        .await
        .expect("query")
        .expect("the demo tenant")
        .id
}

/// A demo user's access token.
async fn token_of(app: &TestApp, role: &str) -> String {
    let user = tenants::demo_users()
        .into_iter()
        .find(|u| u.role == role)
        .expect("a demo user with that role");
    let tokens = app
        .login(tenants::DEMO_SLUG, &user.email, &user.password)
        .await;
    tokens["access_token"].as_str().expect("token").to_owned()
}

/// One number the schema owner reads about the tenant `$1`.
async fn scalar(app: &TestApp, sql: &str, tenant: Uuid) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(tenant)
        .fetch_one(&app.owner)
        .await
        .expect(sql)
}

/// Rows of every table the demo data writes to, in one tenant.
async fn rows(app: &TestApp, tenant: Uuid) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "clients",
        "contacts",
        "custom_field_definitions",
        "timeline_events",
        "audit_events",
        "users",
        "business_calendars",
        "ticket_categories",
        "tickets",
        "ticket_comments",
        "ticket_pauses",
        "message_templates",
        "channel_settings",
        "communications",
        "opportunities",
        "opportunity_stage_stays",
        "activities",
        "proposal_templates",
        "proposal_template_versions",
        "proposals",
        "communication_attachments",
    ] {
        counts.push(app.count(table, tenant).await);
    }
    counts
}

fn data(r: &Reply) -> &Vec<Value> {
    r.body["data"].as_array().expect("a list")
}

#[tokio::test]
async fn the_demo_tenant_gets_a_living_crm_once_and_alone() {
    let app = spawn_app().await;
    let other = app.tenant(&slug("other")).await;
    let other_before = rows(&app, other.id).await;

    let first = seed(&app).await;
    assert!(first.created);
    let added = first.added;
    assert_eq!(added.clients, services::demo_data::COMPANIES);
    assert!(added.converted > 0 && added.deleted > 0, "{added:?}");
    assert!(added.contacts >= added.clients, "{added:?}");
    assert_eq!(added.custom_fields, 4);
    assert!(added.history_events >= 5 * added.clients, "{added:?}");
    let demo = demo_id(&app).await;
    // A working week (five days, one to three a day, and the Monday series) for each of the
    // four demo users who plan activities, and last week's.
    assert!(added.activities >= 4 * (1 + 2 * 5), "{added:?}");
    assert_eq!(app.count("activities", demo).await, added.activities as i64);

    // Both statuses, people, custom values, owners mostly the sales user.
    let live = "FROM clients WHERE tenant_id = $1 AND deleted_at IS NULL";
    let total = scalar(&app, &format!("SELECT count(*) {live}"), demo).await;
    assert!(total >= 250, "{total}");
    for status in ["lead", "client", "inactive", "lost"] {
        let n = scalar(
            &app,
            &format!("SELECT count(*) {live} AND status = '{status}'"),
            demo,
        )
        .await;
        assert!(n >= 10, "{status}: {n}");
    }
    let without_people = scalar(
        &app,
        &format!("SELECT count(*) {live} AND NOT EXISTS (SELECT 1 FROM contacts p WHERE p.client_id = clients.id)"),
        demo,
    )
    .await;
    assert_eq!(without_people, 0);
    let with_values = scalar(
        &app,
        &format!("SELECT count(*) {live} AND custom_fields <> '{{}}'::jsonb"),
        demo,
    )
    .await;
    assert!(with_values * 10 >= total * 8, "{with_values} of {total}");
    let by_sales = scalar(
        &app,
        &format!(
            "SELECT count(*) {live} AND owner_id = (SELECT id FROM users u
               WHERE u.tenant_id = $1 AND u.email = 'sales@demo.example')"
        ),
        demo,
    )
    .await;
    assert!(by_sales * 2 > total, "{by_sales} of {total}");

    // History over at least six months, none of it in the future; each client's last contact
    // is its latest event that counts as contact (a message, a ticket's, a proposal's answer).
    let span_days = scalar(
        &app,
        "SELECT extract(day FROM now() - min(event_date))::bigint FROM timeline_events WHERE tenant_id = $1",
        demo,
    )
    .await;
    assert!(span_days >= 180, "{span_days}");
    let future = scalar(
        &app,
        "SELECT count(*) FROM timeline_events WHERE tenant_id = $1 AND event_date > now()",
        demo,
    )
    .await;
    assert_eq!(future, 0);
    let contact: Vec<&str> = domain::EventType::ALL
        .iter()
        .filter(|e| e.counts_as_contact())
        .map(|e| e.name())
        .collect();
    let implausible: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM clients c WHERE c.tenant_id = $1 AND c.last_contact_at IS DISTINCT FROM
           (SELECT max(e.event_date) FROM timeline_events e
             WHERE e.tenant_id = c.tenant_id AND e.client_id = c.id AND e.event_type = ANY($2))",
    )
    .bind(demo)
    .bind(&contact)
    .fetch_one(&app.owner)
    .await
    .expect("last contacts");
    assert_eq!(implausible, 0);

    // What a newcomer signing in sees.
    let owner = token_of(&app, "owner").await;
    let kpis = app.get("/api/v1/kpis/clients", &owner).await;
    assert_eq!(kpis.status, StatusCode::OK, "{}", kpis.text);
    let k = &kpis.body;
    assert_eq!(k["total"].as_i64(), Some(total));
    for figure in ["leads", "clients", "active", "new_this_month"] {
        assert!(k[figure].as_i64().is_some_and(|n| n > 0), "{figure}: {k}");
    }
    assert!(
        k["period"]["converted"].as_i64().is_some_and(|n| n > 0),
        "{k}"
    );
    assert!(
        k["conversion_rate"].as_f64().is_some_and(|r| r > 0.0),
        "{k}"
    );

    let leads = app.get("/api/v1/clients?status=lead&limit=5", &owner).await;
    assert_eq!(leads.status, StatusCode::OK, "{}", leads.text);
    assert_eq!(data(&leads).len(), 5);
    let clients = app
        .get("/api/v1/clients?status=client&limit=50", &owner)
        .await;
    assert_eq!(data(&clients).len(), 50);
    let names: BTreeSet<&str> = data(&clients)
        .iter()
        .filter_map(|c| c["company_name"].as_str())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.ends_with(" S.L.") || n.ends_with(" S.A.")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with(" Ltd")), "{names:?}");
    let one = &data(&clients)[0];
    let id = one["id"].as_str().expect("id");
    let people = app
        .get(&format!("/api/v1/clients/{id}/contacts"), &owner)
        .await;
    assert!((1..=3).contains(&data(&people).len()), "{}", people.text);

    let fields = app.get("/api/v1/custom-fields", &owner).await;
    assert_eq!(fields.status, StatusCode::OK, "{}", fields.text);
    let keys: BTreeSet<&str> = fields
        .body
        .as_array()
        .or_else(|| fields.body["data"].as_array())
        .expect("definitions")
        .iter()
        .filter_map(|f| f["key"].as_str())
        .collect();
    assert!(
        keys.contains("tier") && keys.contains("employees"),
        "{keys:?}"
    );

    tickets_are_seen_at_every_stage(&app, &owner, demo, &added).await;
    conversations_are_there_on_every_channel(&app, &owner, demo, &added).await;
    opportunities_stand_in_every_stage(&app, &owner, demo, &added).await;
    proposals_are_there_in_every_status(&app, &owner, demo, &added).await;

    let stats = app.get("/api/v1/timeline/stats?bucket=month", &owner).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    let months: BTreeSet<&str> = stats
        .body
        .as_array()
        .expect("buckets")
        .iter()
        .filter(|b| b["event_type"] == "communication.sent")
        .filter_map(|b| b["period"].as_str())
        .collect();
    assert!(months.len() >= 6, "{months:?}");

    // Seeding again adds nothing.
    let before = rows(&app, demo).await;
    let again = seed(&app).await;
    assert!(!again.created);
    assert!(again.added.is_empty(), "{:?}", again.added);
    assert_eq!(rows(&app, demo).await, before);

    // Another tenant sees none of it.
    assert_eq!(rows(&app, other.id).await, other_before);
    let theirs = app.get("/api/v1/clients", &other.owner_token).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.text);
    assert!(data(&theirs).is_empty(), "{}", theirs.text);
    let their_kpis = app.get("/api/v1/kpis/clients", &other.owner_token).await;
    assert_eq!(
        their_kpis.body["total"].as_i64(),
        Some(0),
        "{}",
        their_kpis.text
    );
    let foreign = app
        .get(&format!("/api/v1/clients/{id}"), &other.owner_token)
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_demo_tenant_from_before_the_data_is_filled_once_even_by_two_at_a_time() {
    let app = spawn_app().await;
    // The demo tenant as `crm seed-demo` made it before it had data: its owner only.
    let owner = tenants::demo_users().remove(0);
    let id = provision_tenant(
        &app.app_pool,
        tenants::DEMO_SLUG,
        tenants::DEMO_NAME,
        &owner.email,
    )
    .await;
    assert_eq!(app.count("clients", id).await, 0);

    let (a, b) = tokio::join!(seed(&app), seed(&app));
    assert!(!a.created && !b.created);
    let filled: Vec<_> = [a.added, b.added]
        .into_iter()
        .filter(|added| !added.is_empty())
        .collect();
    assert_eq!(filled.len(), 1, "{a:?} {b:?}");
    assert_eq!(filled[0].clients, services::demo_data::COMPANIES);
    assert!(filled[0].tickets > 0, "{:?}", filled[0]);
    assert!(filled[0].communications > 0, "{:?}", filled[0]);
    assert!(filled[0].opportunities > 0, "{:?}", filled[0]);
    assert_eq!(
        app.count("opportunities", id).await,
        filled[0].opportunities as i64
    );
    assert_eq!(
        app.count("communications", id).await,
        filled[0].communications as i64
    );
    assert_eq!(app.count("tickets", id).await, filled[0].tickets as i64);
    assert_eq!(
        app.count("clients", id).await,
        services::demo_data::COMPANIES as i64
    );
    assert_eq!(app.count("custom_field_definitions", id).await, 4);

    // Without users of the other roles, the owner owns what the sales user would.
    let unowned = scalar(
        &app,
        "SELECT count(*) FROM clients WHERE tenant_id = $1 AND owner_id IS NULL",
        id,
    )
    .await;
    assert!(
        unowned * 10 < services::demo_data::COMPANIES as i64,
        "{unowned}"
    );

    let before = rows(&app, id).await;
    assert!(seed(&app).await.added.is_empty());
    assert_eq!(rows(&app, id).await, before);
    app.stop().await;
}

/// The help desk a newcomer finds: its categories on the office calendar, tickets in every
/// status with their threads, weeks old, some breached and some at risk, as the queue shows them.
async fn tickets_are_seen_at_every_stage(
    app: &TestApp,
    owner: &str,
    demo: Uuid,
    added: &services::demo_data::DemoCounts,
) {
    assert!(added.tickets >= 50, "{added:?}");
    assert!(added.ticket_comments >= 2 * added.tickets, "{added:?}");
    assert_eq!(app.count("tickets", demo).await, added.tickets as i64);
    assert_eq!(
        app.count("ticket_comments", demo).await,
        added.ticket_comments as i64
    );

    let categories = app.get("/api/v1/ticket-categories", owner).await;
    assert_eq!(categories.status, StatusCode::OK, "{}", categories.text);
    let categories = categories.body.as_array().expect("categories");
    assert_eq!(categories.len(), 3, "{categories:?}");
    assert!(
        categories
            .iter()
            .all(|c| c["team_lead_id"].is_string() && c["sla"]["urgent"].is_object()),
        "{categories:?}"
    );
    let around_the_clock = categories.iter().filter(|c| c["calendar_id"].is_null());
    assert_eq!(around_the_clock.count(), 1);
    let calendars = app.get("/api/v1/business-calendars", owner).await;
    assert_eq!(calendars.status, StatusCode::OK, "{}", calendars.text);
    let office = &calendars.body[0];
    assert_eq!(office["name"], "Madrid office", "{}", calendars.text);
    assert_eq!(office["time_zone"], "Europe/Madrid");
    let holidays = office["holidays"].as_array().expect("holidays");
    for day in ["2026-01-06", "2026-12-08", "2027-03-26"] {
        assert!(holidays.iter().any(|h| h == day), "{day}: {holidays:?}");
    }

    for status in [
        "new",
        "open",
        "pending_customer",
        "on_hold",
        "resolved",
        "closed",
    ] {
        let r = app
            .get(&format!("/api/v1/tickets?status={status}&limit=100"), owner)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(data(&r).len() >= 2, "{status}: {}", r.text);
        assert!(data(&r).iter().all(|t| t["status"] == status), "{status}");
    }
    let breached = app
        .get("/api/v1/tickets?breached=true&limit=100", owner)
        .await;
    assert_eq!(breached.status, StatusCode::OK, "{}", breached.text);
    assert!(data(&breached).len() >= 3, "{}", breached.text);
    assert!(
        data(&breached).iter().all(|t| t["sla"]["breached"] == true),
        "{}",
        breached.text
    );
    let at_risk = app
        .get("/api/v1/tickets?at_risk=true&limit=100", owner)
        .await;
    assert_eq!(at_risk.status, StatusCode::OK, "{}", at_risk.text);
    assert!(data(&at_risk).len() >= 3, "{}", at_risk.text);
    assert!(
        data(&at_risk)
            .iter()
            .all(|t| t["sla"]["at_risk"] == true && t["sla"]["breached"] == false),
        "{}",
        at_risk.text
    );
    let open = app.get("/api/v1/tickets?open=true&limit=100", owner).await;
    let healthy = data(&open)
        .iter()
        .filter(|t| t["sla"]["breached"] == false && t["sla"]["at_risk"] == false)
        .count();
    assert!(
        healthy > data(&breached).len() + data(&at_risk).len(),
        "{healthy} healthy: {}",
        open.text
    );
    let scored = data(
        &app.get("/api/v1/tickets?status=resolved&limit=100", owner)
            .await,
    )
    .iter()
    .filter(|t| t["satisfaction"].is_number() && t["resolution_time_hours"].is_number())
    .count();
    assert!(scored >= 3, "{scored}");

    // Spread over the last weeks, nothing in the future, the threads in order after opening.
    let oldest_days = scalar(
        app,
        "SELECT extract(day FROM now() - min(created_at))::bigint FROM tickets WHERE tenant_id = $1",
        demo,
    )
    .await;
    assert!(oldest_days >= 14, "{oldest_days}");
    let future = scalar(
        app,
        "SELECT count(*) FROM tickets t WHERE t.tenant_id = $1 AND (t.created_at > now() - interval '1 minute'
           OR t.updated_at > now() OR t.resolved_at > now() OR t.first_response_at < t.created_at
           OR EXISTS (SELECT 1 FROM ticket_comments c WHERE c.tenant_id = t.tenant_id
                        AND c.ticket_id = t.id AND (c.created_at <= t.created_at OR c.created_at > now())))",
        demo,
    )
    .await;
    assert_eq!(future, 0);
    for (kind, public) in [("agent", true), ("agent", false), ("customer", true)] {
        let n = scalar(
            app,
            &format!(
                "SELECT count(*) FROM ticket_comments WHERE tenant_id = $1
                   AND author_kind = '{kind}' AND public = {public}"
            ),
            demo,
        )
        .await;
        assert!(n >= 10, "{kind} {public}: {n}");
    }
    let spanish = scalar(
        app,
        "SELECT count(*) FROM tickets WHERE tenant_id = $1 AND title ~ '[áéíóúñ¿]'",
        demo,
    )
    .await;
    assert!(spanish >= 10, "{spanish}");
    let paused = scalar(
        app,
        "SELECT count(*) FROM ticket_pauses WHERE tenant_id = $1 AND ended_at IS NULL AND note IS NOT NULL",
        demo,
    )
    .await;
    assert!(paused >= 5, "{paused}");
}

#[tokio::test]
async fn a_demo_tenant_from_before_communications_gets_them_once() {
    let app = spawn_app().await;
    seed(&app).await;
    let demo = demo_id(&app).await;
    // The demo tenant as it was before the communications module: no messages, templates or
    // channels.
    for table in ["communications", "message_templates", "channel_settings"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE tenant_id = $1"
        )))
        .bind(demo)
        .execute(&app.owner)
        .await
        .expect(table);
    }
    let clients = app.count("clients", demo).await;
    let tickets = app.count("tickets", demo).await;
    let comments = app.count("ticket_comments", demo).await;

    let added = seed(&app).await.added;
    assert_eq!(added.clients, 0, "{added:?}");
    assert_eq!(added.tickets, 0, "{added:?}");
    assert_eq!(added.message_templates, 4, "{added:?}");
    assert!(added.communications > 0, "{added:?}");
    assert_eq!(
        app.count("communications", demo).await,
        added.communications as i64
    );
    assert_eq!(app.count("clients", demo).await, clients);
    assert_eq!(app.count("tickets", demo).await, tickets);
    // The clients' messages go to clients without an open ticket: the tickets' threads stay.
    assert_eq!(app.count("ticket_comments", demo).await, comments);

    let before = rows(&app, demo).await;
    assert!(seed(&app).await.added.is_empty());
    assert_eq!(rows(&app, demo).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_demo_tenant_from_before_the_pipeline_gets_its_opportunities_once() {
    let app = spawn_app().await;
    seed(&app).await;
    let demo = demo_id(&app).await;
    // The demo tenant as it was before the pipeline module: its default pipeline, no deals.
    sqlx::query("DELETE FROM opportunities WHERE tenant_id = $1")
        .bind(demo)
        .execute(&app.owner)
        .await
        .expect("delete the opportunities");
    let clients = app.count("clients", demo).await;
    let tickets = app.count("tickets", demo).await;
    let communications = app.count("communications", demo).await;

    let added = seed(&app).await.added;
    assert_eq!(
        (added.clients, added.tickets, added.communications),
        (0, 0, 0),
        "{added:?}"
    );
    assert!(added.opportunities >= 60, "{added:?}");
    assert_eq!(
        app.count("opportunities", demo).await,
        added.opportunities as i64
    );
    assert_eq!(app.count("clients", demo).await, clients);
    assert_eq!(app.count("tickets", demo).await, tickets);
    assert_eq!(app.count("communications", demo).await, communications);

    let before = rows(&app, demo).await;
    assert!(seed(&app).await.added.is_empty());
    assert_eq!(rows(&app, demo).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_demo_tenant_from_before_proposals_gets_them_once() {
    let app = spawn_app().await;
    seed(&app).await;
    let demo = demo_id(&app).await;
    // The demo tenant as it was before the proposals module: no templates, no proposals, none
    // of the e-mails they were sent with.
    for sql in [
        "DELETE FROM communications c WHERE c.tenant_id = $1 AND EXISTS
           (SELECT 1 FROM communication_attachments a
             WHERE a.tenant_id = c.tenant_id AND a.communication_id = c.id)",
        "DELETE FROM proposals WHERE tenant_id = $1",
        "DELETE FROM proposal_templates WHERE tenant_id = $1",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(demo)
            .execute(&app.owner)
            .await
            .expect(sql);
    }
    let opportunities = app.count("opportunities", demo).await;
    let communications = app.count("communications", demo).await;

    let added = seed(&app).await.added;
    assert_eq!(
        (added.clients, added.tickets, added.opportunities),
        (0, 0, 0),
        "{added:?}"
    );
    assert_eq!(added.proposal_templates, 2, "{added:?}");
    assert!(added.proposals >= 20, "{added:?}");
    assert_eq!(app.count("proposals", demo).await, added.proposals as i64);
    // One e-mail, with its PDF, for every proposal sent.
    let sent = added.proposals_pending
        + added.proposals_accepted
        + added.proposals_rejected
        + added.proposals_expired;
    assert_eq!(added.communications, sent, "{added:?}");
    assert_eq!(
        app.count("communications", demo).await,
        communications + sent as i64
    );
    assert_eq!(
        app.count("communication_attachments", demo).await,
        sent as i64
    );
    assert_eq!(app.count("opportunities", demo).await, opportunities);

    let before = rows(&app, demo).await;
    assert!(seed(&app).await.added.is_empty());
    assert_eq!(rows(&app, demo).await, before);
    app.stop().await;
}

/// The proposals a newcomer finds: the two templates (the services proposal at its second
/// version), proposals in every status on the deals of Spanish clients, priced with IVA 21 and
/// 10 and a discount here and there; the sent ones e-mailed with their PDF weeks ago, the
/// expired ones past their validity, the accepted ones on won deals, a few won on a second
/// revision.
async fn proposals_are_there_in_every_status(
    app: &TestApp,
    owner: &str,
    demo: Uuid,
    added: &services::demo_data::DemoCounts,
) {
    assert_eq!(added.proposal_templates, 2, "{added:?}");
    assert_eq!(app.count("proposals", demo).await, added.proposals as i64);
    let templates = app.get("/api/v1/proposal-templates", owner).await;
    assert_eq!(templates.status, StatusCode::OK, "{}", templates.text);
    let templates = data(&templates);
    let names: BTreeSet<&str> = templates
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["Contrato de mantenimiento", "Propuesta de servicios"])
    );
    let services = templates
        .iter()
        .find(|t| t["name"] == "Propuesta de servicios")
        .expect("the services proposal");
    assert_eq!(services["version"], 2, "{services}");
    assert!(
        services["variables"]
            .as_array()
            .is_some_and(|v| v.iter().any(|d| d["type"] == "percentage")),
        "{services}"
    );

    for (status, expected) in [
        ("draft", None),
        ("sent", Some(added.proposals_pending)),
        ("accepted", Some(added.proposals_accepted)),
        ("rejected", Some(added.proposals_rejected)),
        ("expired", Some(added.proposals_expired)),
    ] {
        let r = app
            .get(
                &format!("/api/v1/proposals?status={status}&limit=100"),
                owner,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let listed = data(&r);
        assert!(listed.len() >= 2, "{status}: {}", r.text);
        assert!(listed.iter().all(|p| p["status"] == status), "{status}");
        if let Some(n) = expected {
            assert_eq!(listed.len(), n, "{status}");
        }
        assert!(
            listed.iter().all(|p| p["currency"] == "EUR"
                && p["opportunity_id"].is_string()
                && p["items"].as_array().is_some_and(|i| i.len() >= 3)),
            "{status}: {}",
            r.text
        );
    }

    // Each in its place in time: drafted before sent, sent before answered, none in the future;
    // expired ones past their validity, pending ones within it; accepted ones on won deals,
    // expired ones on lost deals, rejected ones on deals lost, or won on a second revision.
    let odd = scalar(
        app,
        "SELECT count(*) FROM proposals p JOIN opportunities o ON o.id = p.opportunity_id
           JOIN pipeline_stages s ON s.id = o.stage_id
          WHERE p.tenant_id = $1 AND (p.created_at > now() OR p.sent_at < p.created_at
             OR p.sent_at > now() OR p.decided_at < p.sent_at OR p.decided_at > now()
             OR p.viewed_at < p.sent_at OR p.viewed_at > coalesce(p.decided_at, now())
             OR (p.status = 'expired' AND p.valid_until >= current_date)
             OR (p.status IN ('sent', 'draft') AND p.valid_until < current_date)
             OR (p.status = 'accepted' AND s.kind <> 'won')
             OR (p.status = 'expired' AND s.kind <> 'lost')
             OR (p.status = 'rejected' AND s.kind = 'open')
             OR (p.status = 'sent' AND s.kind <> 'open'))",
        demo,
    )
    .await;
    assert_eq!(odd, 0);
    let weeks_old = scalar(
        app,
        "SELECT count(*) FROM proposals WHERE tenant_id = $1 AND status <> 'draft'
            AND sent_at < now() - interval '14 days'",
        demo,
    )
    .await;
    assert!(weeks_old >= 10, "{weeks_old}");
    // What each client received was written on the day it was sent.
    let days_written = scalar(
        app,
        "SELECT count(DISTINCT variables_used->>'proposalDate') FROM proposals
          WHERE tenant_id = $1 AND status <> 'draft'",
        demo,
    )
    .await;
    assert!(days_written >= 10, "{days_written}");
    let viewed = scalar(
        app,
        "SELECT count(*) FROM proposals WHERE tenant_id = $1 AND status = 'sent' AND viewed_at IS NOT NULL",
        demo,
    )
    .await;
    assert!(
        viewed >= 1 && viewed < added.proposals_pending as i64,
        "{viewed}"
    );
    let second_revisions = scalar(
        app,
        "SELECT count(*) FROM proposals p WHERE p.tenant_id = $1 AND p.revision = 2
            AND p.status = 'accepted' AND EXISTS (SELECT 1 FROM proposals f
              WHERE f.tenant_id = p.tenant_id AND f.id = p.first_id AND f.status = 'rejected')",
        demo,
    )
    .await;
    assert!(second_revisions >= 1, "{second_revisions}");
    let first_version = scalar(
        app,
        "SELECT count(*) FROM proposals WHERE tenant_id = $1 AND template_version = 1
            AND template_id = (SELECT id FROM proposal_templates
                                WHERE tenant_id = $1 AND name = 'Propuesta de servicios')",
        demo,
    )
    .await;
    assert!(first_version >= 1, "{first_version}");
    for (what, sql) in [
        (
            "IVA 10",
            "SELECT count(*) FROM proposals WHERE tenant_id = $1 AND items @> '[{\"tax_rate\": \"10\"}]'",
        ),
        (
            "a discount",
            "SELECT count(*) FROM proposals WHERE tenant_id = $1
                AND EXISTS (SELECT 1 FROM jsonb_array_elements(items) i
                             WHERE i->>'discount_percentage' <> '0')",
        ),
        (
            "a rejection's reason",
            "SELECT count(*) FROM proposals WHERE tenant_id = $1 AND status = 'rejected'
                AND decision_note ~ '[a-záéíóúñ]{4}'",
        ),
    ] {
        assert!(scalar(app, sql, demo).await >= 3, "{what}");
    }

    // Every proposal sent went by e-mail with its PDF, handed to the mail server at its moment;
    // each step is on its client's timeline.
    let sent = (added.proposals
        - scalar(
            app,
            "SELECT count(*) FROM proposals WHERE tenant_id = $1 AND status = 'draft'",
            demo,
        )
        .await as usize) as i64;
    let mails = scalar(
        app,
        "SELECT count(*) FROM communications c JOIN communication_attachments a
             ON a.tenant_id = c.tenant_id AND a.communication_id = c.id
          WHERE c.tenant_id = $1 AND c.status = 'sent' AND a.content_type = 'application/pdf'
            AND c.occurred_at < now() - interval '12 hours'",
        demo,
    )
    .await;
    assert_eq!(mails, sent);
    for (event, n) in [
        ("proposal.created", added.proposals as i64),
        ("proposal.sent", sent),
        ("proposal.accepted", added.proposals_accepted as i64),
        ("proposal.rejected", added.proposals_rejected as i64),
        ("proposal.expired", added.proposals_expired as i64),
    ] {
        let recorded = scalar(
            app,
            &format!(
                "SELECT count(*) FROM timeline_events WHERE tenant_id = $1 AND event_type = '{event}'
                   AND client_id IS NOT NULL AND event_date < now()"
            ),
            demo,
        )
        .await;
        assert_eq!(recorded, n, "{event}");
    }

    // What a newcomer opens: an accepted proposal's PDF.
    let accepted = app
        .get("/api/v1/proposals?status=accepted&limit=1", owner)
        .await;
    let id = data(&accepted)[0]["id"].as_str().expect("id");
    let pdf = app
        .get(&format!("/api/v1/proposals/{id}/render.pdf"), owner)
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.text.starts_with("%PDF"), "not a PDF");
}

/// The pipeline a newcomer finds: the default pipeline's board with deals in every stage,
/// open ones expected to close over the coming months, won ones (with clients, not leads),
/// lost ones with the client's reason, a few rotting, most owned by the sales user; each deal
/// on its client's timeline.
async fn opportunities_stand_in_every_stage(
    app: &TestApp,
    owner: &str,
    demo: Uuid,
    added: &services::demo_data::DemoCounts,
) {
    assert!(added.opportunities >= 60, "{added:?}");
    assert_eq!(
        app.count("opportunities", demo).await,
        added.opportunities as i64
    );
    assert!(
        added.opportunities_won >= 5
            && added.opportunities_lost >= 5
            && added.opportunities_rotting >= 3,
        "{added:?}"
    );

    let pipelines = app.get("/api/v1/pipelines", owner).await;
    assert_eq!(pipelines.status, StatusCode::OK, "{}", pipelines.text);
    let default = pipelines
        .body
        .as_array()
        .and_then(|p| p.iter().find(|p| p["is_default"] == true))
        .expect("the default pipeline");
    let id = default["id"].as_str().expect("id");
    let board = app
        .get(
            &format!("/api/v1/pipelines/{id}/board?per_stage=500"),
            owner,
        )
        .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text);
    let stages = board.body["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), 6, "{}", board.text);
    let mut cards = Vec::new();
    for stage in stages {
        let listed = stage["cards"].as_array().expect("cards");
        assert!(
            listed.len() >= 3,
            "{}: {} cards",
            stage["name"],
            listed.len()
        );
        // Everything is on the board: the open deals, and the won and lost ones closed today.
        assert_eq!(stage["count"].as_u64(), Some(listed.len() as u64));
        cards.extend(listed.iter().map(|c| (stage["kind"].as_str(), c)));
    }
    assert_eq!(cards.len(), added.opportunities);
    let rotting: Vec<_> = cards.iter().filter(|(_, c)| c["rotting"] == true).collect();
    assert_eq!(rotting.len(), added.opportunities_rotting);
    assert!(
        rotting.iter().all(|(kind, c)| *kind == Some("open")
            && c["days_in_stage"].as_i64().is_some_and(|d| d >= 14))
    );
    assert!(
        cards
            .iter()
            .all(|(_, c)| c["owner_name"].is_string() && c["client_name"].is_string())
    );
    let by_sales = cards
        .iter()
        .filter(|(_, c)| c["owner_name"] == "Demo sales")
        .count();
    assert!(by_sales * 2 > cards.len(), "{by_sales} of {}", cards.len());
    let in_pounds = cards.iter().filter(|(_, c)| c["currency"] == "GBP").count();
    assert!(in_pounds > 0 && in_pounds * 2 < cards.len(), "{in_pounds}");
    assert!(
        board.body["open_totals"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["currency"] == "EUR")),
        "{}",
        board.body["open_totals"]
    );

    let metrics = app
        .get(&format!("/api/v1/pipelines/{id}/metrics"), owner)
        .await;
    assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.text);
    assert_eq!(
        metrics.body["rotting"]["count"].as_u64(),
        Some(added.opportunities_rotting as u64),
        "{}",
        metrics.text
    );
    assert_eq!(
        metrics.body["won"]["count"].as_u64(),
        Some(added.opportunities_won as u64)
    );

    let lost = app
        .get("/api/v1/opportunities?state=lost&limit=100", owner)
        .await;
    assert_eq!(lost.status, StatusCode::OK, "{}", lost.text);
    assert_eq!(data(&lost).len(), added.opportunities_lost, "{}", lost.text);
    assert!(
        data(&lost)
            .iter()
            .all(|o| o["lost_reason"].as_str().is_some_and(|r| r.len() > 5)),
        "{}",
        lost.text
    );

    // Open deals not rotting close in the coming months; no lead is won (that would convert
    // it); titles in Spanish; each deal opened, and each won or lost, on its client's timeline.
    let odd = scalar(
        app,
        "SELECT count(*) FROM opportunities o JOIN pipeline_stages s ON s.id = o.stage_id
          WHERE o.tenant_id = $1 AND s.kind = 'open' AND o.stage_entered_at > now() - interval '1 day'
            AND (o.expected_close_date IS NULL OR o.expected_close_date <= current_date
                 OR o.expected_close_date > current_date + 200)",
        demo,
    )
    .await;
    assert_eq!(odd, 0);
    let conversions = scalar(
        app,
        "SELECT count(*) FROM timeline_events WHERE tenant_id = $1 AND event_type = 'client.converted'",
        demo,
    )
    .await;
    assert_eq!(conversions, added.converted as i64);
    let spanish = scalar(
        app,
        "SELECT count(*) FROM opportunities WHERE tenant_id = $1 AND title ~ '[áéíóúñ]'",
        demo,
    )
    .await;
    assert!(spanish >= 10, "{spanish}");
    for (event, n) in [
        ("opportunity.created", added.opportunities),
        ("opportunity.won", added.opportunities_won),
        ("opportunity.lost", added.opportunities_lost),
    ] {
        let recorded = scalar(
            app,
            &format!(
                "SELECT count(*) FROM timeline_events WHERE tenant_id = $1 AND event_type = '{event}'
                   AND client_id IS NOT NULL"
            ),
            demo,
        )
        .await;
        assert_eq!(recorded, n as i64, "{event}");
    }
}

/// The conversations a newcomer finds: the demo's templates, the e-mail channel on the local
/// mail catcher, months of messages and calls with a share of the clients on every channel,
/// ours sent (and reported on), the clients' answers with their sentiment.
async fn conversations_are_there_on_every_channel(
    app: &TestApp,
    owner: &str,
    demo: Uuid,
    added: &services::demo_data::DemoCounts,
) {
    assert_eq!(added.message_templates, 4, "{added:?}");
    assert_eq!(app.count("message_templates", demo).await, 4);
    assert_eq!(
        app.count("communications", demo).await,
        added.communications as i64
    );
    assert!(added.communications >= 300, "{added:?}");

    let templates = app.get("/api/v1/templates", owner).await;
    assert_eq!(templates.status, StatusCode::OK, "{}", templates.text);
    let templates = templates.body.as_array().expect("templates");
    let welcome = templates
        .iter()
        .find(|t| t["name"] == "Bienvenida")
        .expect("the welcome e-mail");
    assert_eq!(welcome["channel"], "email");
    for variable in ["clientName", "contactName", "ownerName", "today"] {
        assert!(
            welcome["variables"]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x == variable)),
            "{variable}: {welcome}"
        );
    }
    let whatsapp = templates
        .iter()
        .find(|t| t["channel"] == "whatsapp")
        .expect("a WhatsApp template");
    assert!(whatsapp["provider_name"].is_string(), "{whatsapp}");
    assert!(whatsapp["provider_language"].is_string(), "{whatsapp}");
    assert!(templates.iter().any(|t| t["channel"] == "sms"));

    let email = app.get("/api/v1/channels/email", owner).await;
    assert_eq!(email.status, StatusCode::OK, "{}", email.text);
    assert_eq!(email.body["enabled"], true, "{}", email.text);
    let settings = &email.body["settings"];
    assert_eq!(settings["host"], "127.0.0.1", "{}", email.text);
    assert_eq!(settings["port"], 1025, "{}", email.text);
    assert_eq!(settings["security"], "none", "{}", email.text);
    assert_eq!(
        settings["from_address"], "demo@crm.localhost",
        "{}",
        email.text
    );
    for channel in ["whatsapp", "sms"] {
        let r = app.get(&format!("/api/v1/channels/{channel}"), owner).await;
        assert_eq!(r.body["enabled"], false, "{}", r.text);
    }

    // Every channel, both ways; ours all handed to their provider, none waiting for a worker.
    for channel in ["email", "whatsapp", "sms", "phone"] {
        let n = scalar(
            app,
            &format!(
                "SELECT count(*) FROM communications WHERE tenant_id = $1 AND channel = '{channel}'"
            ),
            demo,
        )
        .await;
        assert!(n >= 10, "{channel}: {n}");
    }
    for status in ["sent", "delivered", "read", "failed", "received", "logged"] {
        let n = scalar(
            app,
            &format!(
                "SELECT count(*) FROM communications WHERE tenant_id = $1 AND status = '{status}'"
            ),
            demo,
        )
        .await;
        assert!(n >= 3, "{status}: {n}");
    }
    let odd = scalar(
        app,
        "SELECT count(*) FROM communications WHERE tenant_id = $1 AND (status = 'queued'
           OR (direction = 'outbound' AND channel <> 'phone'
               AND (provider_message_id IS NULL OR sent_at < occurred_at))
           OR occurred_at > now() OR created_by IS NULL AND direction = 'outbound')",
        demo,
    )
    .await;
    assert_eq!(odd, 0);
    let replied = scalar(
        app,
        "SELECT count(*) FROM communications WHERE tenant_id = $1 AND replied_at IS NOT NULL",
        demo,
    )
    .await;
    assert!(replied >= 20, "{replied}");

    // Over months, with a share of the clients.
    let oldest_days = scalar(
        app,
        "SELECT extract(day FROM now() - min(occurred_at))::bigint FROM communications WHERE tenant_id = $1",
        demo,
    )
    .await;
    assert!(oldest_days >= 150, "{oldest_days}");
    let talked_to = scalar(
        app,
        "SELECT count(DISTINCT client_id) FROM communications WHERE tenant_id = $1",
        demo,
    )
    .await;
    let live = scalar(
        app,
        "SELECT count(*) FROM clients WHERE tenant_id = $1 AND deleted_at IS NULL",
        demo,
    )
    .await;
    assert!(
        talked_to * 5 >= live && talked_to * 3 <= live * 2,
        "{talked_to} of {live}"
    );

    // The clients' answers, glad and upset, as the inbox filters them.
    let upset = app
        .get(
            "/api/v1/communications?direction=inbound&sentiment_max=-0.25&limit=100",
            owner,
        )
        .await;
    assert_eq!(upset.status, StatusCode::OK, "{}", upset.text);
    assert!(data(&upset).len() >= 10, "{}", upset.text);
    let glad = app
        .get(
            "/api/v1/communications?direction=inbound&sentiment_min=0.25&limit=100",
            owner,
        )
        .await;
    assert!(data(&glad).len() >= 10, "{}", glad.text);
    let unseen = app
        .get("/api/v1/communications?unseen=true&limit=100", owner)
        .await;
    assert_eq!(unseen.status, StatusCode::OK, "{}", unseen.text);
    let all_inbound = scalar(
        app,
        "SELECT count(*) FROM communications WHERE tenant_id = $1 AND direction = 'inbound'",
        demo,
    )
    .await;
    assert!(
        !data(&unseen).is_empty() && (data(&unseen).len() as i64) < all_inbound,
        "{}",
        unseen.text
    );
    let client = data(&upset)[0]["client_id"].as_str().expect("client");
    let thread = app
        .get(&format!("/api/v1/clients/{client}/communications"), owner)
        .await;
    assert_eq!(thread.status, StatusCode::OK, "{}", thread.text);
    assert!(
        data(&thread).iter().any(|m| m["direction"] == "outbound"),
        "{}",
        thread.text
    );
}
