//! Commercial proposals (issue 16), end to end: exact totals on awkward items, typed template
//! variables, every status transition allowed and refused, sending (the e-mail with its PDF
//! through a real SMTP server, the opportunity moved), the PDF's text layer, the public link
//! (view, accept, reject; forged and expired links), accepting atomically when the process dies
//! halfway, the worker's expiry and reminder, tenant isolation and roles.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::smtp_server::SmtpServer;
use tests::*;

use super::communications::{client, created, email_channel, id_of, pointers, timeline_kinds};

/// A template declaring a percentage `deposit` and a text `paymentTerms`.
async fn template(app: &TestApp, token: &str) -> Value {
    created(
        app,
        "/api/v1/proposal-templates",
        token,
        json!({
            "name": "Servicios",
            "sections": [
                { "title": "Propuesta para {{clientName}}",
                  "body": "Fecha: {{proposalDate}}. Válida hasta {{validUntil}}.\n\nTotal {{total}} con un {{discountPercentage}} % de descuento." },
                { "title": "Condiciones", "body": "Pago: {{paymentTerms}}. Anticipo del {{deposit}} %." }
            ],
            "variables": [
                { "name": "deposit", "type": "percentage", "label": "Anticipo" },
                { "name": "paymentTerms", "type": "text" }
            ]
        }),
    )
    .await
}

fn item(description: &str, q: &str, p: &str, d: Option<&str>, tax: Option<&str>) -> Value {
    json!({ "description": description, "quantity": q, "unit_price": p,
            "discount_percentage": d, "tax_rate": tax })
}

/// A lead with an opportunity in the default pipeline's first stage, and a draft for it.
struct Deal {
    client: String,
    opportunity: Value,
    proposal: Value,
}

async fn deal(app: &TestApp, token: &str, tpl: &Value) -> Deal {
    let client = client(
        app,
        token,
        "Peña Hermanos",
        json!({ "status": "lead", "emails": ["compras@pena.example"] }),
    )
    .await;
    let opportunity = created(
        app,
        "/api/v1/opportunities",
        token,
        json!({ "client_id": client, "title": "Renovación", "estimated_value": "1200.00" }),
    )
    .await;
    let proposal = created(
        app,
        "/api/v1/proposals",
        token,
        json!({
            "client_id": client, "opportunity_id": id_of(&opportunity), "template_id": id_of(tpl),
            "title": "Mantenimiento anual",
            "items": [item("Mantenimiento", "1", "1000", None, Some("21"))],
            "variables": { "deposit": 30, "paymentTerms": "30 días" }
        }),
    )
    .await;
    Deal {
        client,
        opportunity,
        proposal,
    }
}

/// Sends proposal `id` at the version it stands at.
async fn send(app: &TestApp, token: &str, id: &str) -> Reply {
    let version = get_json(app, token, &format!("/api/v1/proposals/{id}")).await["version"].clone();
    app.post(
        &format!("/api/v1/proposals/{id}/send"),
        token,
        json!({ "version": version }),
    )
    .await
}

/// The public link of a sent proposal, split into its path and its `e` and `s` values.
async fn public_link(app: &TestApp, token: &str, id: &str) -> (String, String, String) {
    let r = app
        .get(&format!("/api/v1/proposals/{id}/link"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let url = r.body["url"].as_str().expect("url");
    let path_and_query = &url[url.find("/p/").expect("a /p/ link")..];
    let (path, query) = path_and_query.split_once('?').expect("a query");
    let mut e = String::new();
    let mut s = String::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("e", v)) => e = v.to_owned(),
            Some(("s", v)) => s = v.to_owned(),
            _ => {}
        }
    }
    (path.to_owned(), e, s)
}

/// Posts the public page's answer form.
async fn answer(app: &TestApp, path: &str, what: &str, e: &str, s: &str) -> Reply {
    let res = app
        .http
        .post(app.url(&format!("{path}/{what}")))
        .form(&[("e", e), ("s", s), ("note", "Demasiado caro")])
        .send()
        .await
        .expect("answer");
    read(res).await
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

#[tokio::test]
async fn items_are_priced_exactly_per_line_on_awkward_figures() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-sum")).await;
    let tok = &t.owner_token;
    let tpl = template(&app, tok).await;
    let client = client(&app, tok, "Acme", json!({})).await;
    let p = created(
        &app,
        "/api/v1/proposals",
        tok,
        json!({
            "client_id": client, "template_id": id_of(&tpl), "title": "Suministros",
            "items": [
                item("Tornillos", "3", "9.995", None, Some("21")),
                item("Regalo", "2", "50", Some("100"), Some("21")),
                item("Libros", "1.5", "10.333", Some("12.5"), Some("4")),
                item("Formación", "1", "200", None, Some("10"))
            ]
        }),
    )
    .await;
    // 29.985 → 29.99 (tax 6.2979 → 6.30); the free line is 0; 13.5621… → 13.56 (tax 0.54);
    // 200 at 10 % → 20.
    let nets: Vec<&str> = p["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["net"].as_str().expect("net"))
        .collect();
    assert_eq!(nets, ["29.99", "0.00", "13.56", "200.00"]);
    assert_eq!(p["subtotal"], "243.55");
    assert_eq!(p["tax_total"], "26.84");
    assert_eq!(p["total"], "270.39");
    let taxes: Vec<(String, String)> = p["taxes"]
        .as_array()
        .expect("taxes")
        .iter()
        .map(|t| {
            (
                t["rate"].as_str().expect("rate").to_owned(),
                t["tax"].as_str().expect("tax").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        taxes,
        [
            ("4".to_owned(), "0.54".to_owned()),
            ("10".to_owned(), "20.00".to_owned()),
            ("21".to_owned(), "6.30".to_owned())
        ]
    );
    assert_eq!(p["status"], "draft");
    assert_eq!(p["revision"], 1);
    assert_eq!(p["template_version"], 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_items_and_variables_are_refused_at_their_fields_and_change_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-bad")).await;
    let tok = &t.owner_token;
    let tpl = template(&app, tok).await;
    let client = client(&app, tok, "Acme", json!({})).await;
    let before = app.count("proposals", t.id).await;
    let r = app
        .post(
            "/api/v1/proposals",
            tok,
            json!({
                "client_id": client, "template_id": id_of(&tpl), "title": "Mal",
                "items": [
                    item("Uno", "0", "10", None, None),
                    item("Dos", "1", "10.0001", Some("101"), None)
                ],
                "variables": { "deposit": 150, "colour": "red" },
                "valid_until": "2020-01-01"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mut found = pointers(&r);
    found.sort();
    assert_eq!(
        found,
        [
            "/items/0/quantity",
            "/items/1/discount_percentage",
            "/items/1/unit_price",
            "/valid_until",
            "/variables/colour",
            "/variables/deposit"
        ]
    );
    assert!(r.text.contains("0 to 100"), "{}", r.text);
    // A template with an unknown variable is refused when saved.
    let bad = app
        .post(
            "/api/v1/proposal-templates",
            tok,
            json!({ "name": "Roto", "sections": [{ "title": "T", "body": "Hola {{clientname}}" }] }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(pointers(&bad), ["/sections/0/body"]);
    assert!(
        bad.text.contains("clientName"),
        "a suggestion: {}",
        bad.text
    );
    assert_eq!(app.count("proposals", t.id).await, before);
    app.stop().await;
}

#[tokio::test]
async fn sending_mails_the_pdf_moves_the_opportunity_and_freezes_the_proposal() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-send")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    let sent = send(&app, tok, &id).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.body["status"], "sent");
    assert_eq!(sent.body["variables_used"]["deposit"], "30");
    assert_eq!(sent.body["variables_used"]["total"], "1.210,00 €");
    // The opportunity moved to "Propuesta", the stage mapped for a sent proposal.
    let opp = get_json(
        &app,
        tok,
        &format!("/api/v1/opportunities/{}", id_of(&d.opportunity)),
    )
    .await;
    let pipeline = get_json(
        &app,
        tok,
        &format!(
            "/api/v1/pipelines/{}",
            opp["pipeline_id"].as_str().expect("p")
        ),
    )
    .await;
    assert_eq!(opp["stage_id"], pipeline["stages"][2]["id"]);
    assert_eq!(pipeline["stages"][2]["on_proposal_sent"], true);
    let kinds = timeline_kinds(&app, tok, &d.client).await;
    assert!(kinds.contains(&"proposal.sent".to_owned()), "{kinds:?}");
    // The worker delivers the e-mail with the PDF attached.
    let ctx = app.worker_ctx_with(services::communications::channels::Platform {
        allow_internal_smtp: true,
        ..services::communications::channels::Platform::default()
    });
    app.drain_jobs_on(&ctx).await;
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    let data = &mail[0].data;
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(data.contains("application/pdf"), "{data}");
    assert!(data.contains(".pdf"), "{data}");
    assert!(data.contains("/p/"), "the public link: {data}");
    // A sent proposal does not change, nor go again, nor go away.
    let again = send(&app, tok, &id).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.problem(), "proposal-not-draft");
    let changed = app
        .patch(
            &format!("/api/v1/proposals/{id}"),
            tok,
            json!({ "title": "Otro" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CONFLICT, "{}", changed.text);
    let deleted = app.delete(&format!("/api/v1/proposals/{id}"), tok).await;
    assert_eq!(deleted.status, StatusCode::CONFLICT, "{}", deleted.text);
    // Revising makes the next revision, a draft.
    let revised = app
        .post(&format!("/api/v1/proposals/{id}/revise"), tok, json!({}))
        .await;
    assert_eq!(revised.status, StatusCode::CREATED, "{}", revised.text);
    assert_eq!(revised.body["revision"], 2);
    assert_eq!(revised.body["status"], "draft");
    assert_eq!(revised.body["first_id"], json!(id));
    let draft_revise = app
        .post(
            &format!("/api/v1/proposals/{}/revise", id_of(&revised.body)),
            tok,
            json!({}),
        )
        .await;
    assert_eq!(
        draft_revise.status,
        StatusCode::CONFLICT,
        "{}",
        draft_revise.text
    );
    assert_eq!(draft_revise.problem(), "proposal-is-draft");
    app.stop().await;
}

#[tokio::test]
async fn sending_needs_every_variable_the_template_uses_and_an_item() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-need")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let client = client(&app, tok, "Acme", json!({ "emails": ["a@acme.example"] })).await;
    let p = created(
        &app,
        "/api/v1/proposals",
        tok,
        json!({ "client_id": client, "template_id": id_of(&tpl), "title": "Vacía",
                "variables": { "deposit": 10 } }),
    )
    .await;
    let r = send(&app, tok, &id_of(&p)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/items"]);
    let id = id_of(&p);
    let with_items = app
        .patch(
            &format!("/api/v1/proposals/{id}"),
            tok,
            json!({ "items": [item("Uno", "1", "10", None, None)] }),
        )
        .await;
    assert_eq!(with_items.status, StatusCode::OK, "{}", with_items.text);
    let r = send(&app, tok, &id).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(pointers(&r), ["/variables/paymentTerms"]);
    let still = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(still["status"], "draft");
    assert_eq!(smtp.received().len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn the_pdf_has_a_text_layer_holding_the_total() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-pdf")).await;
    let tok = &t.owner_token;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    let res = app
        .http
        .get(app.url(&format!("/api/v1/proposals/{id}/render.pdf")))
        .bearer_auth(tok)
        .send()
        .await
        .expect("pdf");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let bytes = res.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-"));
    let file = std::env::temp_dir().join(format!("proposal-{id}.pdf"));
    std::fs::write(&file, &bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/browser-deps.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1.210,00 €"), "{text}");
    assert!(text.contains("Peña Hermanos"), "{text}");
    assert!(text.contains("Anticipo del 30 %"), "{text}");
    let _ = std::fs::remove_file(file);
    let html = app
        .get(&format!("/api/v1/proposals/{id}/render"), tok)
        .await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.text.contains("<h2>Condiciones</h2>"), "{}", html.text);
    assert!(html.text.contains("1.210,00 €"), "{}", html.text);
    app.stop().await;
}

#[tokio::test]
async fn accepting_through_the_public_link_wins_the_deal_and_converts_the_lead() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-acc")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    assert_eq!(send(&app, tok, &id).await.status, StatusCode::OK);
    let (path, e, s) = public_link(&app, tok, &id).await;
    let page = read(
        app.http
            .get(app.url(&format!("{path}?e={e}&s={s}")))
            .send()
            .await
            .expect("page"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Mantenimiento anual"), "{}", page.text);
    let accepted = answer(&app, &path, "accept", &e, &s).await;
    assert!(
        accepted.status.is_success() || accepted.status.is_redirection(),
        "{}",
        accepted.text
    );
    let p = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["status"], "accepted");
    let opp = get_json(
        &app,
        tok,
        &format!("/api/v1/opportunities/{}", id_of(&d.opportunity)),
    )
    .await;
    assert_eq!(opp["state"], "won");
    let c = get_json(&app, tok, &format!("/api/v1/clients/{}", d.client)).await;
    assert_eq!(c["status"], "client", "{c}");
    let kinds = timeline_kinds(&app, tok, &d.client).await;
    for kind in [
        "proposal.viewed",
        "proposal.accepted",
        "opportunity.won",
        "client.converted",
    ] {
        assert!(kinds.contains(&kind.to_owned()), "{kind}: {kinds:?}");
    }
    // Answered once: a second answer changes nothing.
    let twice = answer(&app, &path, "reject", &e, &s).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    let p = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["status"], "accepted");
    app.stop().await;
}

#[tokio::test]
async fn a_rejection_keeps_the_note_and_leaves_the_deal_open() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-rej")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    assert_eq!(send(&app, tok, &id).await.status, StatusCode::OK);
    let (path, e, s) = public_link(&app, tok, &id).await;
    let rejected = answer(&app, &path, "reject", &e, &s).await;
    assert!(
        rejected.status.is_success() || rejected.status.is_redirection(),
        "{}",
        rejected.text
    );
    let p = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["status"], "rejected");
    assert_eq!(p["decision_note"], "Demasiado caro");
    let opp = get_json(
        &app,
        tok,
        &format!("/api/v1/opportunities/{}", id_of(&d.opportunity)),
    )
    .await;
    assert_eq!(opp["state"], "open");
    let c = get_json(&app, tok, &format!("/api/v1/clients/{}", d.client)).await;
    assert_eq!(c["status"], "lead");
    app.stop().await;
}

#[tokio::test]
async fn a_forged_or_altered_link_opens_nothing_and_an_expired_one_says_so() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-link")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    assert_eq!(send(&app, tok, &id).await.status, StatusCode::OK);
    let (path, e, s) = public_link(&app, tok, &id).await;
    let last = if s.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{}{last}", &s[..s.len() - 1]);
    let later: i64 = e.parse::<i64>().expect("e") + 86_400;
    for (e, s) in [(e.clone(), forged.clone()), (later.to_string(), s.clone())] {
        let page = read(
            app.http
                .get(app.url(&format!("{path}?e={e}&s={s}")))
                .send()
                .await
                .expect("page"),
        )
        .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.text);
        let r = answer(&app, &path, "accept", &e, &s).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    // Another tenant's id in the path: its key signs nothing of ours.
    let other = app.tenant(&slug("pr-link2")).await;
    let elsewhere = path.replace(&t.id.to_string(), &other.id.to_string());
    let r = answer(&app, &elsewhere, "accept", &e, &s).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    // A proposal whose validity ended yesterday: its link expired at the end of that day.
    sqlx::query("UPDATE proposals SET valid_until = current_date - 1 WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.owner)
        .await
        .expect("age");
    let (path, e, s) = public_link(&app, tok, &id).await;
    let r = answer(&app, &path, "accept", &e, &s).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.text);
    let p = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["status"], "sent");
    app.stop().await;
}

#[tokio::test]
async fn acceptance_killed_halfway_changes_nothing_and_a_retry_does_it_all() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-kill")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    assert_eq!(send(&app, tok, &id).await.status, StatusCode::OK);
    let (path, e, s) = public_link(&app, tok, &id).await;
    // Hold the client's row so that the acceptance stops at its last step, converting the
    // lead: the proposal is already marked accepted and the deal won in its transaction.
    let mut hold = app.owner.begin().await.expect("hold");
    sqlx::query("SELECT 1 FROM clients WHERE id = $1::uuid FOR NO KEY UPDATE")
        .bind(&d.client)
        .execute(&mut *hold)
        .await
        .expect("lock");
    let accept = answer(&app, &path, "accept", &e, &s);
    let kill = async {
        eventually(
            "the acceptance to wait on the client",
            Duration::from_secs(30),
            || async { app.lock_waits().await > 0 },
        )
        .await;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_all(&app.owner)
        .await
        .expect("terminate");
        assert_eq!(killed, vec![true]);
    };
    let (cut, ()) = tokio::join!(accept, kill);
    assert!(cut.status.is_server_error(), "{}: {}", cut.status, cut.text);
    hold.rollback().await.expect("release");
    let p = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["status"], "sent", "all or nothing");
    let opp = get_json(
        &app,
        tok,
        &format!("/api/v1/opportunities/{}", id_of(&d.opportunity)),
    )
    .await;
    assert_eq!(opp["state"], "open");
    let c = get_json(&app, tok, &format!("/api/v1/clients/{}", d.client)).await;
    assert_eq!(c["status"], "lead");
    assert!(
        !timeline_kinds(&app, tok, &d.client)
            .await
            .contains(&"proposal.accepted".to_owned())
    );
    // The client tries again: everything at once.
    let again = answer(&app, &path, "accept", &e, &s).await;
    assert!(
        again.status.is_success() || again.status.is_redirection(),
        "{}",
        again.text
    );
    let p = get_json(&app, tok, &format!("/api/v1/proposals/{id}")).await;
    assert_eq!(p["status"], "accepted");
    let c = get_json(&app, tok, &format!("/api/v1/clients/{}", d.client)).await;
    assert_eq!(c["status"], "client");
    app.stop().await;
}

#[tokio::test]
async fn the_worker_expires_proposals_past_validity_and_reminds_owners_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-exp")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let tpl = template(&app, tok).await;
    let old = deal(&app, tok, &tpl).await;
    let soon = deal(&app, tok, &tpl).await;
    for d in [&old, &soon] {
        assert_eq!(
            send(&app, tok, &id_of(&d.proposal)).await.status,
            StatusCode::OK
        );
    }
    for (d, days) in [(&old, -1), (&soon, 2)] {
        sqlx::query("UPDATE proposals SET valid_until = current_date + $2 WHERE id = $1::uuid")
            .bind(id_of(&d.proposal))
            .bind(days)
            .execute(&app.owner)
            .await
            .expect("date");
    }
    let ctx = app.worker_ctx();
    for _ in 0..2 {
        worker::run_job(&ctx, &services::jobs::Job::SweepProposals)
            .await
            .expect("sweep");
    }
    let expired = get_json(
        &app,
        tok,
        &format!("/api/v1/proposals/{}", id_of(&old.proposal)),
    )
    .await;
    assert_eq!(expired["status"], "expired");
    assert!(
        timeline_kinds(&app, tok, &old.client)
            .await
            .contains(&"proposal.expired".to_owned())
    );
    let pending = get_json(
        &app,
        tok,
        &format!("/api/v1/proposals/{}", id_of(&soon.proposal)),
    )
    .await;
    assert_eq!(pending["status"], "sent");
    let reminders: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM platform_mails WHERE tenant_id = $1 AND kind = 'proposal_expiring'",
    )
    .bind(t.id)
    .fetch_one(&app.owner)
    .await
    .expect("count");
    assert_eq!(
        reminders, 1,
        "one reminder, for the proposal about to expire, in two passes"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_proposal_keeps_the_template_version_it_was_made_from() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-ver")).await;
    let tok = &t.owner_token;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let changed = app
        .patch(
            &format!("/api/v1/proposal-templates/{}", id_of(&tpl)),
            tok,
            json!({ "sections": [{ "title": "Nueva versión", "body": "Total {{total}}" }], "variables": [] }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["version"], 2);
    let id = id_of(&d.proposal);
    let html = app
        .get(&format!("/api/v1/proposals/{id}/render"), tok)
        .await;
    assert!(
        html.text.contains("Condiciones"),
        "version 1 still: {}",
        html.text
    );
    assert!(!html.text.contains("Nueva versión"));
    app.stop().await;
}

#[tokio::test]
async fn every_endpoint_keeps_to_its_tenant_and_its_roles() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr-iso")).await;
    let tok = &t.owner_token;
    let tpl = template(&app, tok).await;
    let d = deal(&app, tok, &tpl).await;
    let id = id_of(&d.proposal);
    let other = app.tenant(&slug("pr-iso2")).await;
    for path in [
        format!("/api/v1/proposals/{id}"),
        format!("/api/v1/proposals/{id}/render"),
        format!("/api/v1/proposals/{id}/render.pdf"),
        format!("/api/v1/proposals/{id}/link"),
    ] {
        let r = app.get(&path, &other.owner_token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = app
        .patch(
            &format!("/api/v1/proposals/{id}"),
            &other.owner_token,
            json!({ "title": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("/api/v1/proposals/{id}/send"),
            &other.owner_token,
            json!({ "version": 1 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = get_json(&app, &other.owner_token, "/api/v1/proposals").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "{list}");
    // Roles: a viewer reads, cannot draft or send; support has no proposals at all.
    let (_, viewer) = app.user_with_roles(&t, "vera", &["viewer"]).await;
    let (_, support) = app.user_with_roles(&t, "sol", &["support"]).await;
    let (_, sales) = app.user_with_roles(&t, "sara", &["sales"]).await;
    assert_eq!(
        app.get(&format!("/api/v1/proposals/{id}"), &viewer)
            .await
            .status,
        StatusCode::OK
    );
    let draft = json!({ "client_id": d.client, "template_id": id_of(&tpl), "title": "x" });
    assert_eq!(
        app.post("/api/v1/proposals", &viewer, draft.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/proposals/{id}/send"),
            &viewer,
            json!({ "version": 1 })
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/proposals/{id}"), &support)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/proposals", &support).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/proposals", &sales, draft).await.status,
        StatusCode::CREATED
    );
    app.stop().await;
}
