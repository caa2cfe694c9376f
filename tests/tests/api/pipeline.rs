//! The sales pipeline (issue 16), end to end: the default pipeline, opportunities on the board,
//! moves (order under concurrency, stale versions, renumbering), winning and losing, the
//! figures, configuration, bad input, tenant isolation and every built-in role's permission.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use services::tenants::{self, TenantSpec};
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

fn pointers(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The tenant's default pipeline.
async fn default_pipeline(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/pipelines", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().expect("pipelines")[0].clone()
}

/// The id of the default pipeline's `i`-th stage.
fn stage(pipeline: &Value, i: usize) -> String {
    id_of(&pipeline["stages"][i])
}

async fn client(app: &TestApp, token: &str, name: &str) -> String {
    id_of(
        &created(
            app,
            "/api/v1/clients",
            token,
            json!({ "company_name": name, "status": "lead" }),
        )
        .await,
    )
}

async fn opportunity(app: &TestApp, token: &str, body: Value) -> Value {
    created(app, "/api/v1/opportunities", token, body).await
}

async fn move_to(app: &TestApp, token: &str, opp: &Value, stage: &str, position: i64) -> Reply {
    app.post(
        &format!("/api/v1/opportunities/{}/move", id_of(opp)),
        token,
        json!({ "stage_id": stage, "position": position, "version": opp["version"] }),
    )
    .await
}

/// The titles of a board's column, in order.
fn column(board: &Value, stage: &str) -> Vec<String> {
    board["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["id"] == stage)
        .expect("stage on the board")["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn board(app: &TestApp, token: &str, pipeline: &Value) -> Value {
    let r = app
        .get(
            &format!("/api/v1/pipelines/{}/board", id_of(pipeline)),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn a_new_tenant_starts_with_the_default_pipeline_in_its_language() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-es")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    assert_eq!(p["name"], "Ventas");
    assert_eq!(p["is_default"], true);
    let stages: Vec<(&str, i64, &str)> = p["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().expect("name"),
                s["probability"].as_i64().expect("p"),
                s["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("Nuevo", 10, "open"),
            ("Cualificado", 25, "open"),
            ("Propuesta", 50, "open"),
            ("Negociación", 75, "open"),
            ("Ganado", 100, "won"),
            ("Perdido", 0, "lost"),
        ]
    );
    let mut spec = TenantSpec::new(&slug("pl-en"), "English Ltd");
    spec.locale = "en".into();
    let whose = api::auth::password::Owner::in_new_tenant(&spec, "o@en.example", "Owner");
    let judged = api::auth::password::judge(PASSWORD, &whose)
        .await
        .expect("hash");
    let en = tenants::create(&app.app_pool, &spec, "o@en.example", judged)
        .await
        .expect("tenant");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT s.name FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id
          WHERE p.tenant_id = $1 AND p.is_default ORDER BY s.position",
    )
    .bind(en)
    .fetch_all(&app.owner)
    .await
    .expect("stages");
    assert_eq!(
        names,
        ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    );
    app.stop().await;
}

#[tokio::test]
async fn an_opportunity_crosses_the_board_and_winning_converts_the_lead() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-life")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let lead = client(&app, &t.owner_token, "Talleres Norte").await;
    let mut opps = Vec::new();
    for (title, value) in [("A", "1000.00"), ("B", "250.50"), ("C", "0.01")] {
        let o = opportunity(
            &app,
            &t.owner_token,
            json!({ "client_id": lead, "title": title, "estimated_value": value,
                    "expected_close_date": "2027-02-15" }),
        )
        .await;
        assert_eq!(
            o["stage_id"],
            stage(&p, 0).as_str(),
            "the first stage by default"
        );
        assert_eq!(o["currency"], "EUR", "the tenant's currency by default");
        assert_eq!(o["state"], "open");
        opps.push(o);
    }
    assert_eq!(
        opps.iter()
            .map(|o| o["position"].as_i64())
            .collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)]
    );
    // C to the top of its own stage, then B to the next stage.
    let r = move_to(&app, &t.owner_token, &opps[2], &stage(&p, 0), 0).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["position"], 0);
    assert_eq!(r.header("etag"), Some("\"2\""));
    let r = move_to(&app, &t.owner_token, &opps[1], &stage(&p, 1), 0).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = board(&app, &t.owner_token, &p).await;
    assert_eq!(column(&b, &stage(&p, 0)), ["C", "A"]);
    assert_eq!(column(&b, &stage(&p, 1)), ["B"]);
    let first = &b["stages"][0];
    assert_eq!(first["count"], 2);
    assert_eq!(first["totals"][0]["value"], "1000.01");
    assert_eq!(first["totals"][0]["weighted_value"], "100.00");
    assert_eq!(b["open_totals"][0]["value"], "1250.51");
    assert_eq!(b["open_totals"][0]["weighted_value"], "162.63");

    // A is won: closed, and its lead becomes a client, in one transaction with the events.
    let a = app
        .get(
            &format!("/api/v1/opportunities/{}", id_of(&opps[0])),
            &t.owner_token,
        )
        .await;
    let r = move_to(&app, &t.owner_token, &a.body, &stage(&p, 4), 0).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "won");
    assert!(r.body["closed_at"].is_string());
    let c = app
        .get(&format!("/api/v1/clients/{lead}"), &t.owner_token)
        .await;
    assert_eq!(c.body["status"], "client");
    // B is lost, with its reason.
    let b_now = app
        .get(
            &format!("/api/v1/opportunities/{}", id_of(&opps[1])),
            &t.owner_token,
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/opportunities/{}/move", id_of(&opps[1])),
            &t.owner_token,
            json!({ "stage_id": stage(&p, 5), "position": 0,
                    "version": b_now.body["version"], "lost_reason": "Precio" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["state"].as_str(), r.body["lost_reason"].as_str()),
        (Some("lost"), Some("Precio"))
    );

    let tl = app
        .get(
            &format!("/api/v1/clients/{lead}/timeline?limit=100"),
            &t.owner_token,
        )
        .await;
    let types: Vec<&str> = tl.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    for expected in [
        "opportunity.created",
        "opportunity.moved",
        "opportunity.won",
        "opportunity.lost",
        "client.converted",
    ] {
        assert!(
            types.contains(&expected),
            "{expected} missing from {types:?}"
        );
    }
    assert_eq!(
        types.iter().filter(|t| **t == "opportunity.moved").count(),
        2,
        "one event per move"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_stale_move_is_refused_with_the_card_as_it_stands() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-stale")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let c = client(&app, &t.owner_token, "Conflictos SA").await;
    let o = opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": c, "title": "Deal" }),
    )
    .await;
    let r = move_to(&app, &t.owner_token, &o, &stage(&p, 2), 0).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Someone else's board still shows version 1.
    let r = move_to(&app, &t.owner_token, &o, &stage(&p, 1), 0).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.problem(), "opportunity-moved");
    assert_eq!(r.body["current"]["stage_id"], stage(&p, 2).as_str());
    assert_eq!(r.body["current"]["version"], 2);
    let now = app
        .get(
            &format!("/api/v1/opportunities/{}", id_of(&o)),
            &t.owner_token,
        )
        .await;
    assert_eq!(
        now.body["stage_id"],
        stage(&p, 2).as_str(),
        "nothing changed"
    );
    assert_eq!(now.body["version"], 2);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_moves_keep_every_stage_dense_and_ordered() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-race")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let c = client(&app, &t.owner_token, "Carreras SL").await;
    let mut opps = Vec::new();
    for i in 0..24 {
        opps.push(
            opportunity(
                &app,
                &t.owner_token,
                json!({ "client_id": c, "title": format!("Deal {i:02}") }),
            )
            .await,
        );
    }
    // Sixteen cards dropped at once: eight at the top of the next stage, eight reordered
    // to the top of their own stage.
    let moves = opps.iter().take(16).enumerate().map(|(i, o)| {
        let (app, token, p) = (&app, &t.owner_token, &p);
        async move {
            let target = if i % 2 == 0 { stage(p, 1) } else { stage(p, 0) };
            move_to(app, token, o, &target, 0).await.status
        }
    });
    let statuses = futures::future::join_all(moves).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    // The same card dragged by two people at once: one wins, the other is told.
    let last = &opps[23];
    let (two, three) = (stage(&p, 2), stage(&p, 3));
    let (x, y) = tokio::join!(
        move_to(&app, &t.owner_token, last, &two, 0),
        move_to(&app, &t.owner_token, last, &three, 0),
    );
    let mut both = [x.status, y.status];
    both.sort();
    assert_eq!(both, [StatusCode::OK, StatusCode::CONFLICT]);

    let b = board(&app, &t.owner_token, &p).await;
    let mut seen = std::collections::HashSet::new();
    for s in b["stages"].as_array().expect("stages") {
        let cards = s["cards"].as_array().expect("cards");
        assert_eq!(s["count"].as_u64(), Some(cards.len() as u64));
        for card in cards {
            assert!(
                seen.insert(card["id"].as_str().expect("id").to_owned()),
                "a card twice"
            );
        }
    }
    assert_eq!(seen.len(), 24, "every card once");
    assert_eq!(column(&b, &stage(&p, 1)).len(), 8);
    assert_eq!(column(&b, &stage(&p, 0)).len(), 15);
    // Positions are dense and follow the board's order.
    for (i, title) in column(&b, &stage(&p, 0)).iter().enumerate() {
        let id = opps
            .iter()
            .find(|o| o["title"] == title.as_str())
            .map(id_of)
            .expect("known");
        let o = app
            .get(&format!("/api/v1/opportunities/{id}"), &t.owner_token)
            .await;
        assert_eq!(o.body["position"].as_u64(), Some(i as u64), "{title}");
    }
    // The eight odd ones went to the top of their stage, ahead of the eight never moved.
    let column0 = column(&b, &stage(&p, 0));
    let never_moved: Vec<String> = (16..23).map(|i| format!("Deal {i:02}")).collect();
    assert_eq!(column0[8..], never_moved[..]);
    app.stop().await;
}

#[tokio::test]
async fn a_stage_is_renumbered_when_drops_leave_no_room() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-renum")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let c = client(&app, &t.owner_token, "Huecos SL").await;
    let mut opps = Vec::new();
    for i in 0..16 {
        opps.push(
            opportunity(
                &app,
                &t.owner_token,
                json!({ "client_id": c, "title": format!("{i:02}") }),
            )
            .await,
        );
    }
    // Each of cards 02..15 dropped in turn at place 1: between 00 and the last one dropped,
    // halving the same gap until it runs out.
    let mut expected: Vec<String> = vec!["00".into(), "01".into()];
    for o in &opps[2..] {
        let r = move_to(&app, &t.owner_token, o, &stage(&p, 0), 1).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["position"], 1);
        expected.insert(1, o["title"].as_str().expect("title").to_owned());
    }
    let b = board(&app, &t.owner_token, &p).await;
    assert_eq!(column(&b, &stage(&p, 0)), expected);
    let ranks: Vec<i64> =
        sqlx::query_scalar("SELECT rank FROM opportunities WHERE tenant_id = $1 ORDER BY rank")
            .bind(t.id)
            .fetch_all(&app.owner)
            .await
            .expect("ranks");
    assert!(
        ranks.windows(2).all(|w| w[1] - w[0] >= 1),
        "ranks distinct and ordered: {ranks:?}"
    );
    // A place past the end is the last one.
    let first = app
        .get(
            &format!("/api/v1/opportunities/{}", id_of(&opps[0])),
            &t.owner_token,
        )
        .await;
    let r = move_to(&app, &t.owner_token, &first.body, &stage(&p, 0), 1000).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["position"], 15);
    let b = board(&app, &t.owner_token, &p).await;
    assert_eq!(
        column(&b, &stage(&p, 0)).last().map(String::as_str),
        Some("00")
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-bad")).await;
    let other = app.tenant(&slug("pl-bad2")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let theirs = default_pipeline(&app, &other.owner_token).await;
    let c = client(&app, &t.owner_token, "Errores SA").await;
    let r = app
        .post(
            "/api/v1/opportunities",
            &t.owner_token,
            json!({ "client_id": c, "title": " ", "estimated_value": "1.234",
                    "currency": "eur", "completion_percentage": 101,
                    "stage_id": stage(&theirs, 0), "owner_id": Uuid::now_v7() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mut got = pointers(&r);
    got.sort();
    assert_eq!(
        got,
        [
            "/completion_percentage",
            "/currency",
            "/estimated_value",
            "/owner_id",
            "/stage_id",
            "/title"
        ]
    );
    for value in ["-5", "1e3", "12,50", "100000000000000"] {
        let r = app
            .post(
                "/api/v1/opportunities",
                &t.owner_token,
                json!({ "client_id": c, "title": "x", "estimated_value": value }),
            )
            .await;
        assert_eq!(pointers(&r), ["/estimated_value"], "{value}");
    }
    assert_eq!(app.count("opportunities", t.id).await, 0);

    let o = opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": c, "title": "Real" }),
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/opportunities/{}/move", id_of(&o)),
            &t.owner_token,
            json!({ "stage_id": stage(&theirs, 1), "position": -1, "version": 1 }),
        )
        .await;
    let mut got = pointers(&r);
    got.sort();
    assert_eq!(got, ["/position", "/stage_id"]);
    let r = app
        .patch(
            &format!("/api/v1/opportunities/{}", id_of(&o)),
            &t.owner_token,
            json!({ "estimated_value": "abc", "title": "" }),
        )
        .await;
    let mut got = pointers(&r);
    got.sort();
    assert_eq!(got, ["/estimated_value", "/title"]);
    let now = app
        .get(
            &format!("/api/v1/opportunities/{}", id_of(&o)),
            &t.owner_token,
        )
        .await;
    assert_eq!(
        (now.body["title"].as_str(), now.body["version"].as_i64()),
        (Some("Real"), Some(1))
    );

    // A pipeline needs a won and a lost stage, distinct names and sane numbers.
    let r = app
        .post(
            "/api/v1/pipelines",
            &t.owner_token,
            json!({ "name": "Partners", "stages": [
                { "name": "Intro", "probability": 120, "kind": "open" },
                { "name": "intro", "probability": 50, "kind": "open" },
                { "name": "Signed", "probability": 100, "kind": "won", "rot_days": 3 },
                { "name": "Maybe", "probability": 5, "kind": "pending" }
            ] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mut got = pointers(&r);
    got.sort();
    assert_eq!(
        got,
        [
            "/stages",
            "/stages/0/probability",
            "/stages/1/name",
            "/stages/2/rot_days",
            "/stages/3/kind"
        ]
    );
    let r = app
        .get(
            "/api/v1/pipelines/00000000-0000-0000-0000-000000000000/board?per_stage=0",
            &t.owner_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .get(
            &format!(
                "/api/v1/pipelines/{}/metrics?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                id_of(&p)
            ),
            &t.owner_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(app.count("pipelines", t.id).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn pipelines_are_configured_and_kept_consistent() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-conf")).await;
    let default = default_pipeline(&app, &t.owner_token).await;
    let partners = created(
        &app,
        "/api/v1/pipelines",
        &t.owner_token,
        json!({ "name": "Partners", "stages": [
            { "name": "Intro", "probability": 20, "kind": "open", "rot_days": 7 },
            { "name": "Signed", "probability": 100, "kind": "won" },
            { "name": "Dropped", "probability": 0, "kind": "lost" }
        ] }),
    )
    .await;
    let r = app
        .post(
            "/api/v1/pipelines",
            &t.owner_token,
            json!({ "name": "partners", "stages": partners["stages"].as_array().expect("s").iter()
                .map(|s| json!({ "name": s["name"], "probability": s["probability"], "kind": s["kind"] }))
                .collect::<Vec<_>>() }),
        )
        .await;
    assert_eq!(r.problem(), "pipeline-exists");
    let c = client(&app, &t.owner_token, "Socios SL").await;
    let o = opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": c, "title": "Alianza", "stage_id": stage(&partners, 0) }),
    )
    .await;
    assert_eq!(o["pipeline_id"], id_of(&partners).as_str());
    // A card cannot move to another pipeline's stage.
    let r = move_to(&app, &t.owner_token, &o, &stage(&default, 1), 0).await;
    assert_eq!(pointers(&r), ["/stage_id"]);

    // Stages renamed and reordered keep their cards; a new stage is added.
    let path = format!("/api/v1/pipelines/{}", id_of(&partners));
    let r = app
        .patch(
            &path,
            &t.owner_token,
            json!({ "stages": [
                { "id": stage(&partners, 0), "name": "Introduction", "probability": 30, "kind": "open" },
                { "name": "Pilot", "probability": 60, "kind": "open" },
                { "id": stage(&partners, 2), "name": "Dropped", "probability": 0, "kind": "lost" },
                { "id": stage(&partners, 1), "name": "Signed", "probability": 100, "kind": "won" }
            ] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r.body["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Introduction", "Pilot", "Dropped", "Signed"]);
    assert_eq!(r.body["stages"][0]["id"], stage(&partners, 0).as_str());
    // The stage with the card cannot be left out; nothing changes.
    let r = app
        .patch(
            &path,
            &t.owner_token,
            json!({ "stages": [
                { "name": "Other", "probability": 30, "kind": "open" },
                { "id": stage(&partners, 2), "name": "Dropped", "probability": 0, "kind": "lost" },
                { "id": stage(&partners, 1), "name": "Signed", "probability": 100, "kind": "won" }
            ] }),
        )
        .await;
    assert_eq!(r.problem(), "stage-in-use", "{}", r.text);
    assert_eq!(
        app.get(&path, &t.owner_token).await.body["stages"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    // A pipeline with cards, and the default, stay.
    let r = app.delete(&path, &t.owner_token).await;
    assert_eq!(r.problem(), "pipeline-in-use");
    let r = app
        .delete(
            &format!("/api/v1/pipelines/{}", id_of(&default)),
            &t.owner_token,
        )
        .await;
    assert_eq!(r.problem(), "default-pipeline");
    // Made the default, Partners takes new opportunities; emptied, the old default goes.
    let r = app
        .patch(&path, &t.owner_token, json!({ "is_default": true }))
        .await;
    assert_eq!(r.body["is_default"], true);
    let o2 = opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": c, "title": "Nueva" }),
    )
    .await;
    assert_eq!(o2["stage_id"], stage(&partners, 0).as_str());
    let r = app
        .delete(
            &format!("/api/v1/pipelines/{}", id_of(&default)),
            &t.owner_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app.get("/api/v1/pipelines", &t.owner_token).await;
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    app.stop().await;
}

/// Backdates an opportunity's arrival in its stage (and its current stay) by `days`.
async fn in_stage_for_days(app: &TestApp, id: &str, days: i32) {
    let id = Uuid::parse_str(id).expect("uuid");
    sqlx::query(
        "UPDATE opportunities SET stage_entered_at = now() - make_interval(days => $2) WHERE id = $1",
    )
    .bind(id)
    .bind(days)
    .execute(&app.owner)
    .await
    .expect("backdate");
}

#[tokio::test]
async fn the_figures_are_exact_for_known_deals() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-fig")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let c = client(&app, &t.owner_token, "Cifras SA").await;
    let mut opps = Vec::new();
    for (i, (value, close)) in [
        ("1000.00", "2027-03-10"),
        ("2000.00", "2027-03-20"),
        ("400.00", "2027-04-01"),
        ("100.00", "2027-04-02"),
    ]
    .into_iter()
    .enumerate()
    {
        opps.push(
            opportunity(
                &app,
                &t.owner_token,
                json!({ "client_id": c, "title": format!("D{i}"), "estimated_value": value,
                        "expected_close_date": close }),
            )
            .await,
        );
    }
    // D0 goes all the way to won; D1 reaches Propuesta and is lost; D2 stops in Cualificado.
    let walk = |o: Value, stages: &'static [usize]| {
        let (app, token, p) = (&app, t.owner_token.clone(), p.clone());
        async move {
            let mut o = o;
            for s in stages {
                let r = move_to(app, &token, &o, &stage(&p, *s), 0).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                o = r.body;
            }
            o
        }
    };
    walk(opps[0].clone(), &[1, 2, 3, 4]).await;
    walk(opps[1].clone(), &[1, 2, 5]).await;
    walk(opps[2].clone(), &[1]).await;
    in_stage_for_days(&app, &id_of(&opps[3]), 15).await;

    let r = app
        .get(
            &format!("/api/v1/pipelines/{}/metrics", id_of(&p)),
            &t.owner_token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let m = &r.body;
    let reached: Vec<Option<i64>> = m["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["reached"].as_i64())
        .collect();
    assert_eq!(reached, [Some(4), Some(3), Some(2), Some(1), Some(1), None]);
    assert_eq!(m["stages"][0]["conversion_to_next"], 0.75);
    assert_eq!(m["stages"][2]["conversion_to_next"], 0.5);
    assert_eq!(m["stages"][3]["conversion_to_next"], 1.0);
    assert!(m["stages"][4]["conversion_to_next"].is_null());
    assert_eq!(m["stages"][0]["stays_ended"], 3);
    assert_eq!(m["stages"][1]["stays_ended"], 2);
    assert_eq!(m["won"]["count"], 1);
    assert_eq!(m["won"]["totals"][0]["value"], "1000.00");
    assert_eq!(m["lost"]["count"], 1);
    assert_eq!(m["win_rate"], 0.5);
    // Open: D2 (400 at 25 %) closing in April, D3 (100 at 10 %) closing in April.
    let forecast = m["forecast"].as_array().expect("forecast");
    assert_eq!(forecast.len(), 1, "{forecast:?}");
    assert_eq!(forecast[0]["month"], "2027-04-01");
    assert_eq!(forecast[0]["value"], "500.00");
    assert_eq!(forecast[0]["weighted_value"], "110.00");
    assert_eq!(m["rotting"]["count"], 1);
    assert_eq!(m["rotting"]["opportunities"][0]["title"], "D3");
    assert_eq!(m["rotting"]["opportunities"][0]["days_in_stage"], 15);
    // The board marks it too.
    let b = board(&app, &t.owner_token, &p).await;
    let d3 = b["stages"][0]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["title"] == "D3")
        .cloned()
        .expect("D3");
    assert_eq!(d3["rotting"], true);
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_pipelines_and_opportunities_are_not_found() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("pl-a")).await;
    let b = app.tenant(&slug("pl-z")).await;
    let bp = default_pipeline(&app, &b.owner_token).await;
    let bc = client(&app, &b.owner_token, "Ajena SL").await;
    let bo = opportunity(
        &app,
        &b.owner_token,
        json!({ "client_id": bc, "title": "Theirs" }),
    )
    .await;
    let ac = client(&app, &a.owner_token, "Propia SL").await;
    let pl = format!("/api/v1/pipelines/{}", id_of(&bp));
    let op = format!("/api/v1/opportunities/{}", id_of(&bo));
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, pl.clone(), None),
        (Method::PATCH, pl.clone(), Some(json!({ "name": "Mine" }))),
        (Method::DELETE, pl.clone(), None),
        (Method::GET, format!("{pl}/board"), None),
        (Method::GET, format!("{pl}/metrics"), None),
        (Method::GET, op.clone(), None),
        (Method::PATCH, op.clone(), Some(json!({ "title": "Mine" }))),
        (Method::DELETE, op.clone(), None),
        (
            Method::POST,
            format!("{op}/move"),
            Some(json!({ "stage_id": stage(&bp, 1), "position": 0, "version": 1 })),
        ),
    ];
    for (method, path, body) in requests {
        let r = app
            .call(method.clone(), &path, Some(&a.owner_token), body, &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.text
        );
    }
    let r = app
        .post(
            "/api/v1/opportunities",
            &a.owner_token,
            json!({ "client_id": bc, "title": "x", "stage_id": stage(&bp, 0) }),
        )
        .await;
    let mut got = pointers(&r);
    got.sort();
    assert_eq!(got, ["/client_id", "/stage_id"]);
    let (b_user, _) = app.user_with_roles(&b, "b-sales", &["sales"]).await;
    let r = app
        .post(
            "/api/v1/opportunities",
            &a.owner_token,
            json!({ "client_id": ac, "title": "x", "owner_id": b_user }),
        )
        .await;
    assert_eq!(pointers(&r), ["/owner_id"]);
    for list in ["/api/v1/pipelines", "/api/v1/opportunities"] {
        let r = app.get(list, &a.owner_token).await;
        assert!(
            !r.text.contains(&id_of(&bp)) && !r.text.contains(&id_of(&bo)),
            "{list}"
        );
    }
    let theirs = app.get(&op, &b.owner_token).await;
    assert_eq!(
        (
            theirs.body["title"].as_str(),
            theirs.body["version"].as_i64()
        ),
        (Some("Theirs"), Some(1))
    );
    assert_eq!(app.get(&pl, &b.owner_token).await.body["name"], "Ventas");
    app.stop().await;
}

type RoleCase = (
    Method,
    String,
    Option<Value>,
    &'static [&'static str],
    StatusCode,
);

#[tokio::test]
async fn pipeline_endpoints_for_every_builtin_role() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-roles")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let c = client(&app, &t.owner_token, "Roles SA").await;
    let o = opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": c, "title": "Target" }),
    )
    .await;
    let (pid, oid, missing) = (id_of(&p), id_of(&o), Uuid::now_v7());
    const VIEW: &[&str] = &["owner", "admin", "sales", "viewer"];
    const EDIT: &[&str] = &["owner", "admin", "sales"];
    const CONFIG: &[&str] = &["owner", "admin"];
    let cases: Vec<RoleCase> = vec![
        (
            Method::GET,
            "/api/v1/pipelines".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/pipelines".into(),
            Some(json!({ "name": "" , "stages": [] })),
            CONFIG,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/pipelines/{pid}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/pipelines/{missing}"),
            Some(json!({})),
            CONFIG,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/pipelines/{missing}"),
            None,
            CONFIG,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::GET,
            format!("/api/v1/pipelines/{pid}/board"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/v1/pipelines/{pid}/metrics"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/opportunities".into(),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/opportunities".into(),
            Some(json!({ "client_id": c, "title": "" })),
            EDIT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Method::GET,
            format!("/api/v1/opportunities/{oid}"),
            None,
            VIEW,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("/api/v1/opportunities/{missing}"),
            Some(json!({})),
            EDIT,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            format!("/api/v1/opportunities/{missing}"),
            None,
            EDIT,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            format!("/api/v1/opportunities/{missing}/move"),
            Some(json!({ "stage_id": stage(&p, 1), "position": 0, "version": 1 })),
            EDIT,
            StatusCode::NOT_FOUND,
        ),
    ];
    let mut failures = Vec::new();
    for role in ["owner", "admin", "sales", "support", "marketing", "viewer"] {
        let (_, token) = app.user_with_roles(&t, &format!("r-{role}"), &[role]).await;
        for (method, path, body, allowed, when_allowed) in &cases {
            let expected = if allowed.contains(&role) {
                *when_allowed
            } else {
                StatusCode::FORBIDDEN
            };
            let r = app
                .call(method.clone(), path, Some(&token), body.clone(), &[])
                .await;
            if r.status != expected {
                failures.push(format!(
                    "{role}: {method} {path} -> {} (expected {expected})",
                    r.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    app.stop().await;
}

#[tokio::test]
async fn a_clients_open_pipeline_weighs_on_its_new_tickets_priority() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-tkt")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let big = client(&app, &t.owner_token, "Gran Cuenta SA").await;
    let small = client(&app, &t.owner_token, "Pequeña SL").await;
    opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": big, "title": "Renovación", "estimated_value": "15000.50" }),
    )
    .await;
    // A won deal is not pipeline any more.
    let won = opportunity(
        &app,
        &t.owner_token,
        json!({ "client_id": small, "title": "Cerrado", "estimated_value": "90000.00" }),
    )
    .await;
    let r = move_to(&app, &t.owner_token, &won, &stage(&p, 4), 0).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let reason = |client: &str| {
        let (app, token, client) = (&app, t.owner_token.clone(), client.to_owned());
        async move {
            let r = app
                .post(
                    "/api/v1/tickets",
                    &token,
                    json!({ "client_id": client, "title": "Pregunta sobre la factura" }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["priority_reason"]
                .as_str()
                .expect("reason")
                .to_owned()
        }
    };
    let big_reason = reason(&big).await;
    assert!(
        big_reason.contains("large pipeline (15000.50)"),
        "{big_reason}"
    );
    let small_reason = reason(&small).await;
    assert!(!small_reason.contains("pipeline"), "{small_reason}");
    app.stop().await;
}

#[tokio::test]
async fn a_renumbering_leaves_alone_a_card_moved_out_meanwhile() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pl-race2")).await;
    let p = default_pipeline(&app, &t.owner_token).await;
    let c = client(&app, &t.owner_token, "Carrera SL").await;
    let mut opps = Vec::new();
    for i in 0..4 {
        opps.push(
            opportunity(
                &app,
                &t.owner_token,
                json!({ "client_id": c, "title": format!("{i}") }),
            )
            .await,
        );
    }
    // Cards 0, 1 and 2 touch in the first stage: a drop between 0 and 1 renumbers it.
    for (i, o) in opps.iter().take(3).enumerate() {
        sqlx::query("UPDATE opportunities SET rank = $2 WHERE id = $1::uuid")
            .bind(id_of(o))
            .bind(i as i64)
            .execute(&app.owner)
            .await
            .expect("touching ranks");
    }
    // Another transaction moves card 2 out to the second stage and has not committed yet.
    let mut other = app.owner.begin().await.expect("tx");
    sqlx::query("UPDATE opportunities SET stage_id = $2::uuid, rank = 777 WHERE id = $1::uuid")
        .bind(id_of(&opps[2]))
        .bind(stage(&p, 1))
        .execute(&mut *other)
        .await
        .expect("move out");
    let token = t.owner_token.clone();
    let (app_ref, third, first_stage) = (&app, &opps[3], stage(&p, 0));
    let drop = move_to(app_ref, &token, third, &first_stage, 1);
    let commit_later = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        other.commit().await.expect("commit the move out");
    };
    let (r, ()) = tokio::join!(drop, commit_later);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rank: i64 = sqlx::query_scalar("SELECT rank FROM opportunities WHERE id = $1::uuid")
        .bind(id_of(&opps[2]))
        .fetch_one(&app.owner)
        .await
        .expect("rank");
    assert_eq!(rank, 777, "the card in its new stage keeps its place");
    let b = board(&app, &t.owner_token, &p).await;
    assert_eq!(column(&b, &stage(&p, 0)), ["0", "3", "1"]);
    app.stop().await;
}
