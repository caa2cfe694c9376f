//! The console's pipeline pages on the server side: each page is allowed exactly to the roles
//! holding its permission and shows only the controls the role may use; a forged form of a
//! role without the permission changes nothing; another tenant's opportunity, pipeline and
//! client are not found and stay untouched; the board's drop endpoint moves a card and answers
//! a stale version with the `opportunity-moved` conflict; and the forms work without JavaScript
//! (post/redirect/get, each field's problem next to it, a stale change refused).

use domain::BuiltinRole;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::console::Browser;
use tests::{TenantFixture, TestApp, slug, spawn_app};

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// What a tenant's pipeline pages are shown with: a client, the default pipeline's stages, an
/// opportunity in its first stage and a second pipeline.
struct Desk {
    client: String,
    pipeline: String,
    stages: Vec<String>,
    opportunity: String,
    second: String,
    second_stage: String,
}

async fn desk(app: &TestApp, t: &TenantFixture, name: &str) -> Desk {
    let token = &t.owner_token;
    let client = id_of(
        &created(
            app,
            "/api/v1/clients",
            token,
            json!({ "company_name": name, "status": "lead" }),
        )
        .await,
    );
    let pipelines = app.get("/api/v1/pipelines", token).await;
    assert_eq!(pipelines.status, StatusCode::OK, "{}", pipelines.text);
    let default = pipelines.body.as_array().expect("pipelines")[0].clone();
    let stages = default["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(id_of)
        .collect();
    let opportunity = id_of(
        &created(
            app,
            "/api/v1/opportunities",
            token,
            json!({ "client_id": client, "title": "Renovación de licencias",
                    "estimated_value": "12500.00", "expected_close_date": "2027-02-15" }),
        )
        .await,
    );
    let second = created(
        app,
        "/api/v1/pipelines",
        token,
        json!({ "name": "Renovaciones", "stages": [
            { "name": "Aviso", "probability": 40, "kind": "open", "rot_days": 10 },
            { "name": "Renovado", "probability": 100, "kind": "won" },
            { "name": "Baja", "probability": 0, "kind": "lost" },
        ] }),
    )
    .await;
    Desk {
        client,
        pipeline: id_of(&default),
        stages,
        opportunity,
        second_stage: id_of(&second["stages"][0]),
        second: id_of(&second),
    }
}

/// The console's pipeline pages and the permission each needs.
fn pages(d: &Desk) -> Vec<(String, &'static str)> {
    [
        ("/pipeline", "pipeline.view"),
        ("/pipeline?owner_id=mine", "pipeline.view"),
        ("/pipeline?client_id={client}", "pipeline.view"),
        ("/pipeline?pipeline_id={second}", "pipeline.view"),
        ("/pipeline/opportunities/{opportunity}", "pipeline.view"),
        ("/pipeline/opportunities/new", "pipeline.edit"),
        (
            "/pipeline/opportunities/new?client_id={client}",
            "pipeline.edit",
        ),
        ("/admin/pipelines", "pipeline.config"),
        ("/admin/pipelines/new", "pipeline.config"),
        ("/admin/pipelines/{pipeline}", "pipeline.config"),
    ]
    .into_iter()
    .map(|(p, perm)| {
        let path = p
            .replace("{client}", &d.client)
            .replace("{opportunity}", &d.opportunity)
            .replace("{pipeline}", &d.pipeline)
            .replace("{second}", &d.second);
        (path, perm)
    })
    .collect()
}

/// The stage whose column on the board shows `opportunity` (None when it is not shown).
fn column_of(board: &str, opportunity: &str) -> Option<String> {
    let at = board.find(&format!(r#"data-opportunity-id="{opportunity}""#))?;
    let marker = r#"data-stage-id=""#;
    let start = board[..at].rfind(marker)? + marker.len();
    board[start..].split('"').next().map(str::to_owned)
}

#[tokio::test]
async fn every_pipeline_page_is_allowed_exactly_to_the_roles_holding_its_permission() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cpl")).await;
    let d = desk(&app, &t, "Talleres Embudo S.L.").await;
    for role in BuiltinRole::ALL {
        let name = format!("as-{}", role.name());
        let (_, token) = app.user_with_roles(&t, &name, &[role.name()]).await;
        let browser = Browser::new(&app, Some(&token));
        let held = role.permissions();
        for (path, permission) in pages(&d) {
            let (status, body, _) = browser.get(&path).await;
            let expected = if held.contains(&permission) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{} GET {path}: {body:.300}", role.name());
            if status == StatusCode::FORBIDDEN {
                assert!(body.contains(r#"data-problem="forbidden""#), "{body:.300}");
            }
        }
        let can = |p: &str| held.contains(&p);
        // The client page and the dashboard show the pipeline to those who may see it.
        let (status, profile, _) = browser.get(&format!("/clients/{}", d.client)).await;
        assert_eq!(status, StatusCode::OK, "{}", role.name());
        assert_eq!(
            profile.contains(r#"id="tab-opportunities""#),
            can("pipeline.view"),
            "{}: the opportunities tab",
            role.name()
        );
        let (status, dashboard, _) = browser.get("/").await;
        assert_eq!(status, StatusCode::OK, "{}", role.name());
        assert_eq!(
            dashboard.contains("data-pipeline-kpis"),
            can("pipeline.view"),
            "{}: the dashboard's pipeline row",
            role.name()
        );
        assert_eq!(
            dashboard.contains(r#"href="/pipeline""#),
            can("pipeline.view"),
            "{}: the navigation",
            role.name()
        );
        assert_eq!(
            dashboard.contains(r#"href="/admin/pipelines""#),
            can("pipeline.config"),
            "{}: the administration menu",
            role.name()
        );
        if !can("pipeline.view") {
            continue;
        }
        // Only the controls the role may use are rendered.
        let (_, board, _) = browser.get("/pipeline").await;
        assert_eq!(
            column_of(&board, &d.opportunity).as_deref(),
            Some(d.stages[0].as_str()),
            "{}: the card in its column",
            role.name()
        );
        for marker in ["data-sortable", r#"data-action="new-opportunity""#] {
            assert_eq!(
                board.contains(marker),
                can("pipeline.edit"),
                "{} {marker}",
                role.name()
            );
        }
        let (_, page, _) = browser
            .get(&format!("/pipeline/opportunities/{}", d.opportunity))
            .await;
        for action in ["save-opportunity", "delete-opportunity", "move-opportunity"] {
            assert_eq!(
                page.contains(&format!(r#"data-action="{action}""#)),
                can("pipeline.edit"),
                "{} {action}",
                role.name()
            );
        }
    }
    app.stop().await;
}

/// What a refused form must leave as it was.
async fn state(app: &TestApp, t: &TenantFixture, d: &Desk) -> Vec<Value> {
    let token = &t.owner_token;
    let opportunity = app
        .get(&format!("/api/v1/opportunities/{}", d.opportunity), token)
        .await;
    let pipelines = app.get("/api/v1/pipelines", token).await;
    let mut out = vec![
        json!(opportunity.header("etag")),
        opportunity.body["stage_id"].clone(),
        opportunity.body["title"].clone(),
        pipelines.body.clone(),
    ];
    for table in ["opportunities", "pipelines", "pipeline_stages"] {
        out.push(json!(app.count(table, t.id).await));
    }
    out
}

#[tokio::test]
async fn a_forged_form_is_refused_for_a_role_without_the_permission_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cpl")).await;
    let d = desk(&app, &t, "Forjas Embudo S.L.").await;
    let before = state(&app, &t, &d).await;
    let opp = format!("/pipeline/opportunities/{}", d.opportunity);
    let stage = format!("{opp}/stage");
    let moves = format!("{opp}/move");
    let delete = format!("{opp}/delete");
    let pipeline = format!("/admin/pipelines/{}", d.pipeline);
    let default = format!("/admin/pipelines/{}/default", d.second);
    let drop_pipeline = format!("/admin/pipelines/{}/delete", d.second);
    let edit_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/pipeline/opportunities/new",
            vec![("client_id", d.client.as_str()), ("title", "Intrusa")],
        ),
        (
            &opp,
            vec![
                ("title", "Cambiada"),
                ("estimated_value", "1"),
                ("currency", "EUR"),
                ("version", "1"),
            ],
        ),
        (
            &stage,
            vec![("stage_id", d.stages[1].as_str()), ("version", "1")],
        ),
        (
            &moves,
            vec![
                ("stage_id", d.stages[1].as_str()),
                ("position", "0"),
                ("version", "1"),
            ],
        ),
        (&delete, vec![]),
    ];
    let config_forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/admin/pipelines",
            vec![
                ("name", "Intruso"),
                ("rows", "3"),
                ("stage-0-name", "A"),
                ("stage-0-probability", "10"),
                ("stage-0-kind", "open"),
                ("stage-1-name", "B"),
                ("stage-1-probability", "100"),
                ("stage-1-kind", "won"),
                ("stage-2-name", "C"),
                ("stage-2-probability", "0"),
                ("stage-2-kind", "lost"),
            ],
        ),
        (
            &pipeline,
            vec![("name", "Cambiado"), ("version", "1"), ("rows", "0")],
        ),
        (&default, vec![]),
        (&drop_pipeline, vec![]),
    ];
    // A viewer and those without the pipeline may do none of it; sales may not configure.
    for (role, forms) in [
        ("viewer", [&edit_forms[..], &config_forms[..]].concat()),
        ("support", [&edit_forms[..], &config_forms[..]].concat()),
        ("marketing", [&edit_forms[..], &config_forms[..]].concat()),
        ("sales", config_forms.clone()),
    ] {
        let (_, token) = app.user_with_roles(&t, role, &[role]).await;
        let browser = Browser::new(&app, Some(&token));
        for (path, fields) in &forms {
            let (status, body, _) = browser.post(path, fields).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} POST {path}: {body:.300}"
            );
            assert!(body.contains(r#"data-problem="forbidden""#), "{body:.300}");
        }
    }
    assert_eq!(
        before,
        state(&app, &t, &d).await,
        "a refused form changed something"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_opportunity_pipeline_and_client_are_not_found_and_stay_untouched() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("cpla")).await;
    let b = app.tenant(&slug("cplb")).await;
    let d = desk(&app, &a, "Privada Embudo S.L.").await;
    let before = state(&app, &a, &d).await;
    let intruder = Browser::new(&app, Some(&b.owner_token));
    for path in [
        format!("/pipeline/opportunities/{}", d.opportunity),
        format!("/pipeline?pipeline_id={}", d.pipeline),
        format!("/pipeline?client_id={}", d.client),
        format!("/pipeline/opportunities/new?client_id={}", d.client),
        format!("/admin/pipelines/{}", d.pipeline),
        format!("/admin/pipelines/{}", d.second),
    ] {
        let (status, body, _) = intruder.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body:.300}");
    }
    let opp = format!("/pipeline/opportunities/{}", d.opportunity);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            opp.clone(),
            vec![
                ("title", "Cambiada"),
                ("estimated_value", "1"),
                ("currency", "EUR"),
                ("version", "1"),
            ],
        ),
        (
            format!("{opp}/stage"),
            vec![("stage_id", d.stages[1].as_str()), ("version", "1")],
        ),
        (
            format!("{opp}/move"),
            vec![
                ("stage_id", d.stages[1].as_str()),
                ("position", "0"),
                ("version", "1"),
            ],
        ),
        (format!("{opp}/delete"), vec![]),
        (
            format!("/admin/pipelines/{}", d.second),
            vec![("name", "Cambiado"), ("version", "1"), ("rows", "0")],
        ),
        (format!("/admin/pipelines/{}/default", d.second), vec![]),
        (format!("/admin/pipelines/{}/delete", d.second), vec![]),
    ];
    for (path, fields) in &forms {
        let (status, body, _) = intruder.post(path, fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {body:.300}");
    }
    // B's own opportunity may not be opened for A's client either.
    let (status, body, _) = intruder
        .post(
            "/pipeline/opportunities/new",
            &[("client_id", d.client.as_str()), ("title", "Ajena")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.300}");
    assert!(
        body.contains(r#"id="opportunity-client_id-error""#),
        "{body}"
    );
    let (status, board, _) = intruder.get("/pipeline").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!board.contains(&d.opportunity), "B's board shows A's card");
    let (_, pipelines, _) = intruder.get("/admin/pipelines").await;
    assert!(!pipelines.contains(&d.second), "B sees A's pipeline");
    assert_eq!(before, state(&app, &a, &d).await);
    app.stop().await;
}

/// The JSON answer of a drop.
async fn drop_card(
    browser: &Browser,
    opportunity: &str,
    stage: &str,
    position: &str,
    version: &str,
) -> (StatusCode, Value) {
    let (status, body, _) = browser
        .post(
            &format!("/pipeline/opportunities/{opportunity}/move"),
            &[
                ("stage_id", stage),
                ("position", position),
                ("version", version),
            ],
        )
        .await;
    let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body:.300}"));
    (status, json)
}

#[tokio::test]
async fn a_dropped_card_moves_and_a_stale_version_is_the_moved_conflict() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cplm")).await;
    let d = desk(&app, &t, "Movimientos Embudo S.L.").await;
    let token = &t.owner_token;
    let owner = Browser::new(&app, Some(token));
    let other = id_of(
        &created(
            &app,
            "/api/v1/opportunities",
            token,
            json!({ "client_id": d.client, "title": "Ampliación", "estimated_value": "800" }),
        )
        .await,
    );
    let stored = app
        .get(&format!("/api/v1/opportunities/{}", d.opportunity), token)
        .await;
    let version = stored.body["version"].as_i64().expect("version");

    // To the third stage: the new place and version come back.
    let (status, moved) = drop_card(
        &owner,
        &d.opportunity,
        &d.stages[2],
        "0",
        &version.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["stage_id"], d.stages[2].as_str());
    assert_eq!(moved["position"], 0);
    assert_eq!(moved["state"], "open");
    assert_eq!(moved["version"], version + 1);
    let stored = app
        .get(&format!("/api/v1/opportunities/{}", d.opportunity), token)
        .await;
    assert_eq!(stored.body["stage_id"], d.stages[2].as_str());

    // The other card above it in the same stage, then shown in that order.
    let other_version = app
        .get(&format!("/api/v1/opportunities/{other}"), token)
        .await
        .body["version"]
        .to_string();
    let (status, answer) = drop_card(&owner, &other, &d.stages[2], "0", &other_version).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, board, _) = owner.get("/pipeline").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        column_of(&board, &d.opportunity).as_deref(),
        Some(d.stages[2].as_str())
    );
    assert_eq!(
        column_of(&board, &other).as_deref(),
        Some(d.stages[2].as_str())
    );
    let first = board.find(&other).expect("other card");
    let second = board.find(&d.opportunity).expect("card");
    assert!(first < second, "the card dropped on top is shown first");
    assert!(
        board.contains(&format!(r#"data-version="{}""#, version + 1)),
        "the board carries the new version"
    );

    // A drop from a board that still shows the old version: refused, and nothing moves.
    let (status, conflict) = drop_card(
        &owner,
        &d.opportunity,
        &d.stages[1],
        "0",
        &version.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["code"], "opportunity-moved");
    assert_eq!(
        conflict["message"],
        "Otra persona movió esta tarjeta antes; se ha actualizado el tablero."
    );
    assert_eq!(conflict["current"]["stage_id"], d.stages[2].as_str());
    let stored = app
        .get(&format!("/api/v1/opportunities/{}", d.opportunity), token)
        .await;
    assert_eq!(stored.body["stage_id"], d.stages[2].as_str());
    assert_eq!(stored.body["version"], version + 1);

    // Malformed drops and a stage of another pipeline are refused field by field.
    let (status, invalid) = drop_card(&owner, &d.opportunity, "x", "first", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    let pointers: Vec<&str> = invalid["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(pointers, ["/stage_id", "/position", "/version"]);
    let current = (version + 1).to_string();
    let (status, invalid) = drop_card(&owner, &d.opportunity, &d.second_stage, "0", &current).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{invalid}");
    assert_eq!(invalid["errors"][0]["pointer"], "/stage_id");

    // Won: closed, and the lead becomes a client.
    let (status, won) = drop_card(&owner, &d.opportunity, &d.stages[4], "0", &current).await;
    assert_eq!(status, StatusCode::OK, "{won}");
    assert_eq!(won["state"], "won");
    let client = app
        .get(&format!("/api/v1/clients/{}", d.client), token)
        .await;
    assert_eq!(client.body["status"], "client");
    app.stop().await;
}

/// The id at the end of a redirect to `prefix/{id}` (query left out).
fn redirected_id(location: &Option<String>, prefix: &str) -> String {
    let location = location.as_deref().expect("a redirect");
    let rest = location.strip_prefix(prefix).expect(location);
    rest.split('?').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_opportunity_forms_work_without_javascript_and_show_their_problems() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cplf")).await;
    let d = desk(&app, &t, "Formularios Embudo S.L.").await;
    let token = &t.owner_token;
    let owner = Browser::new(&app, Some(token));

    // A new opportunity: no title and a bad date are shown next to them, typed values stay.
    let mut form = vec![
        ("client_id", d.client.as_str()),
        ("stage_id", d.stages[1].as_str()),
        ("title", ""),
        ("estimated_value", "2500,50"),
        ("currency", "USD"),
        ("expected_close_date", "2027-02-15"),
        ("completion_percentage", "20"),
    ];
    let (status, body, _) = owner.post("/pipeline/opportunities/new", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="opportunity-title-error""#), "{body}");
    assert!(body.contains(r#"value="2500,50""#), "the typed values stay");
    form[2] = ("title", "Consultoría anual");
    form[5] = ("expected_close_date", "15/02/2027");
    let (status, body, _) = owner.post("/pipeline/opportunities/new", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(
        body.contains(r#"id="opportunity-expected_close_date-error""#),
        "{body}"
    );
    form[5] = ("expected_close_date", "2027-02-15");
    let (status, body, location) = owner.post("/pipeline/opportunities/new", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let id = redirected_id(&location, "/pipeline/opportunities/");
    let path = format!("/pipeline/opportunities/{id}");
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=created").as_str())
    );
    let stored = app.get(&format!("/api/v1/opportunities/{id}"), token).await;
    assert_eq!(stored.body["estimated_value"], "2500.50");
    assert_eq!(stored.body["currency"], "USD");
    assert_eq!(stored.body["stage_id"], d.stages[1].as_str());
    assert_eq!(stored.body["completion_percentage"], 20);
    let version = stored.body["version"].to_string();
    let (status, page, _) = owner.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2500,50 USD"), "the value in Spanish: {page}");

    // A change: a bad amount is shown next to it; then saved; then a stale one refused.
    let change = |value: &'static str, title: &'static str, version: String| {
        vec![
            ("title", title.to_owned()),
            ("estimated_value", value.to_owned()),
            ("currency", "EUR".to_owned()),
            ("expected_close_date", String::new()),
            ("owner_id", String::new()),
            ("completion_percentage", "60".to_owned()),
            ("lost_reason", String::new()),
            ("version", version),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let path = path.clone();
        let owner = &owner;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            owner.post(&path, &fields).await
        }
    };
    let (status, body, _) = send(change("12,34,5", "Consultoría", version.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(
        body.contains(r#"id="opportunity-estimated_value-error""#),
        "{body}"
    );
    let (status, _, location) = send(change("3000", "Consultoría", version.clone())).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=saved").as_str())
    );
    let stored = app.get(&format!("/api/v1/opportunities/{id}"), token).await;
    assert_eq!(stored.body["estimated_value"], "3000.00");
    assert_eq!(
        stored.body["owner_id"],
        Value::Null,
        "blank clears the owner"
    );
    assert_eq!(stored.body["expected_close_date"], Value::Null);
    let (status, body, _) = send(change("10", "Otra", version)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body:.500}");
    assert!(body.contains(r#"data-refusal="412""#), "{body:.500}");
    let stored = app.get(&format!("/api/v1/opportunities/{id}"), token).await;
    assert_eq!(stored.body["title"], "Consultoría");

    // The stage form: lost with its reason; a stale one is shown as a conflict.
    let version = stored.body["version"].to_string();
    let lost = d.stages[5].as_str();
    let (status, _, location) = owner
        .post(
            &format!("{path}/stage"),
            &[
                ("stage_id", lost),
                ("lost_reason", "Precio"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}?notice=moved").as_str())
    );
    let stored = app.get(&format!("/api/v1/opportunities/{id}"), token).await;
    assert_eq!(stored.body["state"], "lost");
    assert_eq!(stored.body["lost_reason"], "Precio");
    let (status, body, _) = owner
        .post(
            &format!("{path}/stage"),
            &[("stage_id", d.stages[0].as_str()), ("version", &version)],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body:.500}");
    assert!(body.contains(r#"data-refusal="409""#), "{body:.500}");

    // The client's tab lists it and leads to the board filtered by the client.
    let (_, profile, _) = owner.get(&format!("/clients/{}", d.client)).await;
    assert!(
        profile.contains(&format!(r#"data-opportunity-id="{id}""#)),
        "{profile}"
    );
    assert!(profile.contains(&format!(r#"href="/pipeline?client_id={}""#, d.client)));
    let (status, board, _) = owner
        .get(&format!("/pipeline?client_id={}", d.client))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(board.contains(r#"data-notice="client-filter""#));
    assert!(board.contains(&d.opportunity));

    // Deleted: back to its board, and gone.
    let (status, _, location) = owner.post(&format!("{path}/delete"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/pipeline?pipeline_id={}&notice=deleted", d.pipeline).as_str())
    );
    let gone = app.get(&format!("/api/v1/opportunities/{id}"), token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // The dashboard shows the open pipeline in the tenant's currency.
    let (_, dashboard, _) = owner.get("/").await;
    assert!(
        dashboard.contains(r#"data-pipeline-kpi="open_value">12.500 EUR<"#),
        "{dashboard}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_pipeline_forms_show_each_stage_problem_in_its_row() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cpla")).await;
    let d = desk(&app, &t, "Etapas Embudo S.L.").await;
    let token = &t.owner_token;
    let owner = Browser::new(&app, Some(token));
    let mut form = vec![
        ("name", "Distribuidores"),
        ("rows", "4"),
        ("stage-0-name", "Contacto"),
        ("stage-0-probability", "20"),
        ("stage-0-kind", "open"),
        ("stage-0-rot_days", "7"),
        ("stage-0-order", "1"),
        ("stage-1-name", "Firmado"),
        ("stage-1-probability", "150"),
        ("stage-1-kind", "won"),
        ("stage-1-order", "2"),
        ("stage-2-name", ""),
        ("stage-2-kind", "open"),
        ("stage-3-name", ""),
        ("stage-3-kind", "open"),
    ];
    let (status, body, _) = owner.post("/admin/pipelines", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.500}");
    assert!(body.contains(r#"id="stage-1-probability-error""#), "{body}");
    assert!(
        body.contains(r#"id="pipeline-stages-error""#),
        "no lost stage: {body}"
    );
    form[8] = ("stage-1-probability", "100");
    form[11] = ("stage-2-name", "Descartado");
    form[12] = ("stage-2-kind", "lost");
    form.push(("stage-2-probability", "0"));
    form.push(("stage-2-order", "3"));
    let (status, body, location) = owner.post("/admin/pipelines", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let id = redirected_id(&location, "/admin/pipelines/");
    let stored = app.get(&format!("/api/v1/pipelines/{id}"), token).await;
    let names: Vec<&str> = stored.body["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["Contacto", "Firmado", "Descartado"]);
    assert_eq!(stored.body["stages"][0]["rot_days"], 7);
    assert_eq!(stored.body["is_default"], false);

    // Made the default, it is the board's default; the old default may then be deleted
    // only without opportunities (it holds one: refused on its form).
    let (status, _, _) = owner
        .post(&format!("/admin/pipelines/{id}/default"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, board, _) = owner.get("/pipeline").await;
    assert!(
        board.contains(&format!(r#"data-pipeline-id="{id}""#)),
        "{board:.300}"
    );
    let (status, body, _) = owner
        .post(&format!("/admin/pipelines/{}/delete", d.pipeline), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body:.500}");
    assert!(body.contains(r#"data-refusal="409""#), "{body:.500}");

    // A stage holding an opportunity stays when removed; a stale form is refused.
    let (_, page, _) = owner.get(&format!("/admin/pipelines/{}", d.pipeline)).await;
    assert!(
        page.contains(r#"id="stage-5-name""#),
        "six stages and blank rows"
    );
    let stored = app
        .get(&format!("/api/v1/pipelines/{}", d.pipeline), token)
        .await;
    let version = stored
        .header("etag")
        .expect("etag")
        .trim_matches('"')
        .to_owned();
    let mut rows: Vec<(String, String)> = vec![
        ("name".into(), "Ventas".into()),
        ("version".into(), version.clone()),
        ("rows".into(), "6".into()),
    ];
    for (i, s) in stored.body["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .enumerate()
    {
        for member in ["id", "name", "probability", "kind"] {
            let value = match &s[member] {
                Value::String(v) => v.clone(),
                other => other.to_string(),
            };
            rows.push((format!("stage-{i}-{member}"), value));
        }
    }
    rows.push(("stage-0-remove".into(), "on".into()));
    let fields: Vec<(&str, &str)> = rows.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let path = format!("/admin/pipelines/{}", d.pipeline);
    let (status, body, _) = owner.post(&path, &fields).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body:.500}");
    let kept: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(k, _)| *k != "stage-0-remove")
        .map(|(k, v)| {
            if k == "stage-1-name" {
                (k, "Calificado")
            } else {
                (k, v)
            }
        })
        .collect();
    let (status, body, _) = owner.post(&path, &kept).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body:.500}");
    let (status, body, _) = owner.post(&path, &kept).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body:.500}");
    let stored = app
        .get(&format!("/api/v1/pipelines/{}", d.pipeline), token)
        .await;
    assert_eq!(stored.body["stages"][1]["name"], "Calificado");
    app.stop().await;
}
