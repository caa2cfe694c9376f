//! Input refused at the edge for every operation the OpenAPI document lists, so a new endpoint
//! is covered without anyone remembering to: a NUL (which Postgres cannot store) in any string
//! parameter or body field, a path segment that is not UTF-8, text after a JSON body, and a list
//! with more items than its documented `maxItems`. Each refusal is a problem naming the field or
//! parameter, and changes nothing.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use tests::*;
use uuid::Uuid;

/// One operation of the document: its method, path template and operation object.
struct Operation {
    method: Method,
    template: String,
    spec: Value,
}

impl Operation {
    fn key(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    fn parameters(&self, location: &str) -> Vec<&Value> {
        self.spec["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == location).collect())
            .unwrap_or_default()
    }

    /// The schema of a JSON request body, if the operation takes one.
    fn json_body<'a>(&'a self, doc: &'a Value) -> Option<&'a Value> {
        let schema = self.spec["requestBody"]["content"]
            .as_object()?
            .iter()
            .find(|(media, _)| media.as_str() == "application/json")?
            .1
            .get("schema")?;
        Some(resolve(doc, schema))
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for (method, spec) in item.as_object().expect("path item") {
            let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                continue;
            };
            out.push(Operation {
                method,
                template: template.clone(),
                spec: spec.clone(),
            });
        }
    }
    out
}

/// A schema with `$ref`s followed, and of `oneOf`/`anyOf` the alternative that is not null.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}"));
        return resolve(doc, target);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(alternatives) = schema[combinator].as_array() {
            let real: Vec<&Value> = alternatives
                .iter()
                .filter(|a| a["type"] != "null")
                .collect();
            assert_eq!(real.len(), 1, "cannot pick one schema of {schema}");
            return resolve(doc, real[0]);
        }
    }
    schema
}

/// `string`, `array`, `object`... (a nullable type's non-null one).
fn kind(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(t) => t,
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "any",
    }
}

/// A plausible value of a schema: its required members only.
fn minimal(doc: &Value, schema: &Value) -> Value {
    let s = resolve(doc, schema);
    if let Some(first) = s["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match kind(s) {
        "string" => json!(match s["format"].as_str() {
            Some("email") => "probe@example.com".to_owned(),
            Some("uuid") => Uuid::now_v7().to_string(),
            Some("date-time") => "2026-01-01T00:00:00Z".to_owned(),
            Some("date") => "2026-01-01".to_owned(),
            _ => "probe".to_owned(),
        }),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        "array" => json!([]),
        "object" => {
            let mut out = Map::new();
            for name in s["required"].as_array().into_iter().flatten() {
                let name = name.as_str().expect("name");
                out.insert(name.to_owned(), minimal(doc, &s["properties"][name]));
            }
            Value::Object(out)
        }
        _ => Value::Null,
    }
}

const NUL: &str = "x\u{0}y";

/// Values of `schema` that each hold one NUL in one string, with that string's pointer.
fn with_nul(doc: &Value, schema: &Value) -> Vec<(Value, String)> {
    let s = resolve(doc, schema);
    match kind(s) {
        "string" => vec![(json!(NUL), String::new())],
        "array" => with_nul(doc, &s["items"])
            .into_iter()
            .map(|(v, p)| (json!([v]), format!("/0{p}")))
            .collect(),
        "object" => {
            let Some(members) = s["properties"].as_object() else {
                // A map (custom field values): any key, string values.
                return match s.get("additionalProperties") {
                    Some(Value::Bool(false)) | None => Vec::new(),
                    Some(_) => vec![(json!({ "probe": NUL }), "/probe".to_owned())],
                };
            };
            let mut out = Vec::new();
            for (name, member) in members {
                for (v, p) in with_nul(doc, member) {
                    let mut base = minimal(doc, s);
                    base[name.as_str()] = v;
                    out.push((base, format!("/{name}{p}")));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Resources the operations' paths and bodies refer to, and a counter for unique names.
struct Fixture {
    tenant: TenantFixture,
    client: String,
    contact: String,
    user: String,
    api_key: String,
    role: String,
    field: String,
    calendar: String,
    pipeline: String,
    proposal_template: String,
    proposal: String,
    activity: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let t = app.tenant(&slug("edge")).await;
    let tok = &t.owner_token;
    let id = |r: Reply| {
        assert!(r.status.is_success(), "{}", r.text);
        r.body["id"].as_str().expect("id").to_owned()
    };
    let client = id(app
        .post("/api/v1/clients", tok, json!({ "company_name": "Edge" }))
        .await);
    let contact = id(app
        .post(
            &format!("/api/v1/clients/{client}/contacts"),
            tok,
            json!({ "name": "Ana" }),
        )
        .await);
    let (user, _) = app.user_with_roles(&t, "someone", &["viewer"]).await;
    let api_key = id(app
        .post(
            "/api/v1/api-keys",
            tok,
            json!({ "name": "k", "role": "viewer" }),
        )
        .await);
    app.custom_role(&t, "edge-role", &["clients.view"]).await;
    let r = app
        .post(
            "/api/v1/custom-fields",
            tok,
            json!({ "key": "tier", "label": "Tier", "field_type": "select", "options": ["a"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let calendar = id(app
        .post("/api/v1/business-calendars", tok, office_hours("Edge"))
        .await);
    let pipeline = app.get("/api/v1/pipelines", tok).await.body[0]["id"]
        .as_str()
        .expect("the default pipeline")
        .to_owned();
    let proposal_template = id(app
        .post(
            "/api/v1/proposal-templates",
            tok,
            json!({ "name": "Edge", "sections": [{ "title": "T", "body": "{{total}}" }] }),
        )
        .await);
    let proposal = id(app
        .post(
            "/api/v1/proposals",
            tok,
            json!({ "client_id": client, "template_id": proposal_template, "title": "Edge" }),
        )
        .await);
    let activity = id(app
        .post("/api/v1/activities", tok, activity_body(&client))
        .await);
    Fixture {
        activity,
        pipeline,
        proposal_template,
        proposal,
        tenant: t,
        client,
        contact,
        user: user.to_string(),
        api_key,
        role: "edge-role".to_owned(),
        field: "tier".to_owned(),
        calendar,
    }
}

/// An activity the calendar accepts.
fn activity_body(client: &str) -> Value {
    json!({ "client_id": client, "kind": "task", "title": "Edge", "starts_at": "2026-06-01T08:00:00Z" })
}

/// A business calendar the domain accepts.
fn office_hours(name: &str) -> Value {
    json!({ "name": name, "time_zone": "UTC", "weekly_hours": { "mon": [["09:00", "18:00"]] } })
}

impl Fixture {
    /// The value of a path parameter: the fixture's resource where one fits.
    fn path_value(&self, template: &str, param: &Value) -> String {
        let name = param["name"].as_str().expect("name");
        let before = template
            .split('/')
            .take_while(|s| *s != format!("{{{name}}}"))
            .last()
            .unwrap_or("");
        match (name, before) {
            ("contact_id", _) | ("id", "contacts") => self.contact.clone(),
            ("id", "clients") => self.client.clone(),
            ("id", "users") => self.user.clone(),
            ("id", "api-keys") => self.api_key.clone(),
            ("name", "roles") => self.role.clone(),
            ("key", "custom-fields") => self.field.clone(),
            ("id", "business-calendars") => self.calendar.clone(),
            ("id", "pipelines") => self.pipeline.clone(),
            ("id", "proposal-templates") => self.proposal_template.clone(),
            ("id", "proposals") => self.proposal.clone(),
            ("id", "activities") => self.activity.clone(),
            _ => match param["schema"]["format"].as_str() {
                Some("uuid") => Uuid::now_v7().to_string(),
                _ => "probe".to_owned(),
            },
        }
    }

    /// The path with every parameter filled, `raw` (already percent-encoded) for `only`.
    fn path(&self, op: &Operation, only: Option<(&str, &str)>) -> String {
        let mut path = op.template.clone();
        for p in op.parameters("path") {
            let name = p["name"].as_str().expect("name");
            let value = match only {
                Some((n, raw)) if n == name => raw.to_owned(),
                _ => self.path_value(&op.template, p),
            };
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        path
    }

    /// A body the operation accepts: the schema's required members, and what the schema
    /// cannot say (unique names, a select field's type).
    fn body(&self, doc: &Value, op: &Operation, n: usize) -> Option<Value> {
        let mut body = minimal(doc, op.json_body(doc)?);
        let extra = match op.key().as_str() {
            "POST /api/v1/clients" | "PATCH /api/v1/clients/{id}" => {
                json!({ "company_name": "Probe" })
            }
            "POST /api/v1/clients/{id}/contacts"
            | "PATCH /api/v1/clients/{id}/contacts/{contact_id}" => json!({ "name": "Probe" }),
            "POST /api/v1/clients/{id}/merge" => json!({ "other_id": Uuid::now_v7() }),
            "POST /api/v1/custom-fields" => {
                json!({ "key": format!("probe_{n}"), "label": "Probe", "field_type": "select", "options": ["a"] })
            }
            "PATCH /api/v1/custom-fields/{key}" => {
                json!({ "key": self.field, "label": "Probe", "field_type": "select", "options": ["a"] })
            }
            "POST /api/v1/roles" => json!({ "name": format!("probe-{n}") }),
            "POST /api/v1/pipelines" | "PATCH /api/v1/pipelines/{id}" => {
                json!({ "name": format!("probe-{n}") })
            }
            "POST /api/v1/users" => {
                json!({ "email": format!("probe{n}@example.com"), "display_name": "Probe" })
            }
            "POST /api/v1/api-keys" => json!({ "name": "Probe", "role": "viewer" }),
            "POST /api/v1/proposal-templates" => json!({
                "name": format!("probe-{}", Uuid::now_v7()), "sections": [{ "title": "T", "body": "b" }]
            }),
            "POST /api/v1/proposals" => json!({
                "client_id": self.client, "template_id": self.proposal_template, "title": "Probe"
            }),
            "POST /api/v1/business-calendars" => office_hours("Probe"),
            "POST /api/v1/activities" => activity_body(&self.client),
            "POST /api/v1/auth/login" => json!({
                "tenant": self.tenant.slug, "email": self.tenant.owner_email, "password": PASSWORD
            }),
            _ => json!({}),
        };
        for (k, v) in extra.as_object().expect("object") {
            body[k.as_str()] = v.clone();
        }
        Some(body)
    }
}

/// A fingerprint of every table of the database, by table: equal means nothing changed.
async fn fingerprint(app: &TestApp) -> BTreeMap<String, String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
           FROM information_schema.tables
          WHERE table_schema IN ('public', 'apalis') AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&app.owner)
    .await
    .expect("tables");
    let sql = tables
        .iter()
        .map(|t| {
            format!(
                "SELECT '{t}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql))
        .fetch_all(&app.owner)
        .await
        .expect("fingerprint")
        .into_iter()
        .collect()
}

/// Sends a request with a raw body (JSON when given), as the tenant's owner.
async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Reply {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    read(req.send().await.expect("request")).await
}

async fn served_document(app: &TestApp) -> Value {
    let r = app
        .call(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

/// A refusal of `what`: 400 or 422, a problem, naming the field (pointer) or parameter, and
/// nothing changed.
fn assert_refused(what: &str, r: &Reply, names: impl Fn(&Value) -> bool) {
    assert!(
        matches!(
            r.status,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{what}: {} {}",
        r.status,
        r.text
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{what}: {}",
        r.text
    );
    let errors = r.body["errors"].as_array().cloned().unwrap_or_default();
    assert!(errors.iter().any(names), "{what}: not named in {}", r.text);
}

#[tokio::test]
async fn every_string_parameter_and_body_field_refuses_nul() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let token = fx.tenant.owner_token.clone();
    let doc = served_document(&app).await;
    let before = fingerprint(&app).await;
    let mut probed = Vec::new();
    for (n, op) in operations(&doc).iter().enumerate() {
        for location in ["path", "query"] {
            for p in op.parameters(location) {
                let name = p["name"].as_str().expect("name");
                if kind(resolve(&doc, &p["schema"])) != "string" {
                    continue;
                }
                let mut probes = vec![("x%00y", "NUL")];
                if location == "path" {
                    probes.push(("%FF", "not UTF-8"));
                }
                for (raw, why) in probes {
                    let (path, body) = if location == "path" {
                        (fx.path(op, Some((name, raw))), fx.body(&doc, op, n))
                    } else {
                        let path = format!("{}?{name}={raw}", fx.path(op, None));
                        (path, fx.body(&doc, op, n))
                    };
                    let body = body.map(|b| b.to_string());
                    let r = send(&app, &token, op.method.clone(), &path, body).await;
                    let what = format!("{} {location} parameter {name} ({why})", op.key());
                    assert_refused(&what, &r, |e| e["parameter"] == name);
                    probed.push(format!("{} {name}", op.key()));
                }
            }
        }
        let Some(schema) = op.json_body(&doc) else {
            continue;
        };
        let base = fx.body(&doc, op, n).expect("body");
        let members = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!members.is_empty(), "{}: undocumented body", op.key());
        for (name, member) in &members {
            for (value, pointer) in with_nul(&doc, member) {
                let mut body = base.clone();
                body[name.as_str()] = value;
                let pointer = format!("/{name}{pointer}");
                let path = fx.path(op, None);
                let r = send(
                    &app,
                    &token,
                    op.method.clone(),
                    &path,
                    Some(body.to_string()),
                )
                .await;
                let what = format!("{} body {pointer}", op.key());
                assert_refused(&what, &r, |e| e["pointer"] == pointer.as_str());
                probed.push(format!("{} {pointer}", op.key()));
            }
        }
        // A valid body with text after it is malformed, not a body.
        let path = fx.path(op, None);
        let r = send(
            &app,
            &token,
            op.method.clone(),
            &path,
            Some(format!("{base} xx")),
        )
        .await;
        assert_eq!(
            (r.status, r.problem()),
            (StatusCode::BAD_REQUEST, "malformed-json"),
            "{}: {}",
            op.key(),
            r.text
        );
    }
    assert_eq!(
        fingerprint(&app).await,
        before,
        "a refused request changed something"
    );
    // The places the issue found answering 500, so a walk that lost them cannot pass.
    for place in [
        "POST /api/v1/clients /company_name",
        "POST /api/v1/clients /sector",
        "POST /api/v1/clients /website",
        "POST /api/v1/clients /tags/0",
        "POST /api/v1/clients /address/street",
        "POST /api/v1/clients /custom_fields/probe",
        "POST /api/v1/clients/{id}/contacts /name",
        "POST /api/v1/clients/{id}/contacts /role",
        "PATCH /api/v1/roles/{name} /description",
        "PATCH /api/v1/users/{id} /display_name",
        "POST /api/v1/api-keys /name",
        "POST /api/v1/custom-fields /label",
        "POST /api/v1/custom-fields /options/0",
        "GET /api/v1/clients sector",
        "GET /api/v1/clients tag",
        "GET /api/v1/audit-events action",
        "GET /api/v1/audit-events target_type",
        "GET /api/v1/timeline type",
        "GET /api/v1/roles/{name} name",
        "GET /api/v1/custom-fields/{key} key",
    ] {
        assert!(probed.iter().any(|p| p == place), "{place} was not probed");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_a_problem() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("utf")).await;
    for path in ["/api/v1/roles/%FF", "/api/v1/custom-fields/a%00b"] {
        let r = app.get(path, &t.owner_token).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.problem(), "invalid-parameter");
    }
    let r = app
        .get("/api/v1/clients?sector=a%00&tag=b", &t.owner_token)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.body["errors"][0]["parameter"], "sector");
    app.stop().await;
}

#[tokio::test]
async fn a_json_body_with_trailing_text_is_malformed() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("trail")).await;
    let r = send(
        &app,
        &t.owner_token,
        Method::POST,
        "/api/v1/clients",
        Some(r#"{"company_name":"x"} xx"#.to_owned()),
    )
    .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::BAD_REQUEST, "malformed-json"),
        "{}",
        r.text
    );
    assert_eq!(app.count("clients", t.id).await, 0);
    // Trailing white space is still JSON.
    let r = send(
        &app,
        &t.owner_token,
        Method::POST,
        "/api/v1/clients",
        Some("{\"company_name\":\"x\"}\n".to_owned()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.stop().await;
}

/// `count` distinct valid items for the list `name` (unique where the API requires it).
fn items(name: &str, count: usize, permissions: &[Value], fx: &Fixture) -> Vec<Value> {
    (0..count)
        .map(|i| match name {
            // The same user named again counts towards the bound (and is kept once).
            "assignee_ids" => json!(fx.user),
            "exceptions" => json!(
                (chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::days(20_000 + i as i64))
                    .to_rfc3339()
            ),
            "emails" => json!(format!("p{i}@bound.example")),
            "phones" => json!(format!("+3460{i:07}")),
            "tags" => json!(format!("t{i}")),
            "options" => json!(format!("o{i}")),
            "permissions" => permissions[i % permissions.len()].clone(),
            "roles" => json!("viewer"),
            "reminder_minutes" => json!(i),
            // A pipeline needs a won and a lost stage: the last two.
            "stages" => {
                let kind = match count - i {
                    2 => "won",
                    1 => "lost",
                    _ => "open",
                };
                json!({ "name": format!("S{i}"), "probability": 10, "kind": kind })
            }
            "sections" => json!({ "title": format!("S{i}"), "body": "{{total}}" }),
            "variables" => json!({ "name": format!("v{i}"), "type": "text" }),
            "items" => {
                json!({ "description": format!("L{i}"), "quantity": "1", "unit_price": "1.5" })
            }
            "holidays" => json!(
                (chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
                    + chrono::TimeDelta::days(i as i64))
                .format("%Y-%m-%d")
                .to_string()
            ),
            other => panic!("no items for the list `{other}`: add them here"),
        })
        .collect()
}

#[tokio::test]
async fn every_list_in_a_body_has_a_documented_bound() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let token = fx.tenant.owner_token.clone();
    let doc = served_document(&app).await;
    let permissions = app.get("/api/v1/permissions", &token).await.body;
    let permissions = permissions.as_array().expect("catalogue").clone();
    let mut lists = Vec::new();
    for (n, op) in operations(&doc).iter().enumerate() {
        let Some(schema) = op.json_body(&doc) else {
            continue;
        };
        for (name, member) in schema["properties"].as_object().into_iter().flatten() {
            let member = resolve(&doc, member);
            if kind(member) != "array" {
                continue;
            }
            let what = format!("{} /{name}", op.key());
            let max = member["maxItems"]
                .as_u64()
                .unwrap_or_else(|| panic!("{what}: a list without maxItems"))
                as usize;
            if name == "permissions" {
                assert_eq!(max, permissions.len(), "{what}: the catalogue's size");
            }
            let path = fx.path(op, None);
            let mut body = fx.body(&doc, op, n).expect("body");
            body[name.as_str()] = json!(items(name, max + 1, &permissions, &fx));
            let before = fingerprint(&app).await;
            let r = send(
                &app,
                &token,
                op.method.clone(),
                &path,
                Some(body.to_string()),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{what}: {}",
                r.text
            );
            assert_refused(&what, &r, |e| e["pointer"] == format!("/{name}"));
            assert_eq!(fingerprint(&app).await, before, "{what}: stored");
            body[name.as_str()] = json!(items(name, max, &permissions, &fx));
            let r = send(
                &app,
                &token,
                op.method.clone(),
                &path,
                Some(body.to_string()),
            )
            .await;
            assert!(
                r.status.is_success(),
                "{what} at its bound: {} {}",
                r.status,
                r.text
            );
            lists.push(what);
        }
    }
    for list in [
        "POST /api/v1/clients /emails",
        "PATCH /api/v1/clients/{id} /phones",
        "POST /api/v1/clients /tags",
        "POST /api/v1/clients/{id}/contacts /emails",
        "POST /api/v1/custom-fields /options",
        "POST /api/v1/roles /permissions",
        "PATCH /api/v1/users/{id} /roles",
        "POST /api/v1/proposal-templates /sections",
        "PATCH /api/v1/proposal-templates/{id} /variables",
        "POST /api/v1/proposals /items",
        "POST /api/v1/activities /assignee_ids",
        "PATCH /api/v1/activities/{id} /exceptions",
        "PATCH /api/v1/proposals/{id} /items",
    ] {
        assert!(lists.iter().any(|l| l == list), "{list} was not tried");
    }
    app.stop().await;
}
