//! The OpenAPI document as a contract: one pass over every operation adds the answers and
//! headers common to its kind, so a route's annotation lists only what is its own (2xx with
//! their bodies, 404, 409, 412, …), each with a description and no error body.
//!
//! | an operation that | gains |
//! |---|---|
//! | exists (all of them read or write the database) | 500 `internal`; 503 `timeout`, `busy`, `unavailable`, `contention` |
//! | has `bearer` security | 401 |
//! | declares `x-permission` (the permission its handler requires) | 403, and the permission in its description |
//! | has parameters or a body | 400 (text that is not storable, a malformed query or body) |
//! | has a request body | 413, 415 |
//! | has a JSON body, or query or header parameters | 422 |
//! | is a POST behind `bearer` (the idempotency layer) | the `Idempotency-Key` header; 409, 422 |
//!
//! Every 4xx and 5xx response, the route's own too, then answers `application/problem+json`
//! with the `Problem` schema; 429 and 503 carry `Retry-After`, 401 `WWW-Authenticate`.

use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required};
use utoipa::{Modify, PartialSchema, ToSchema};

use super::problem::Problem;

/// The operation extension naming the permission a route requires.
pub const PERMISSION: &str = "x-permission";
/// The security scheme of access tokens and API keys.
pub const BEARER: &str = "bearer";
/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

const INTERNAL: &str = "An unexpected failure, logged on our side; quote the `request_id` when \
    reporting it (`internal`).";
const UNAVAILABLE: &str = "The database could not serve the request: a statement ran past its \
    time limit (`timeout`), no connection was free (`busy`), the connection was lost \
    (`unavailable`) or another request changing the same rows made it roll back (`contention`). Nothing was changed; repeat the request after `Retry-After` seconds (with \
    the same `Idempotency-Key`, if it had one).";
const UNAUTHORIZED: &str = "No valid credential: send `Authorization: Bearer <access token or API \
    key>` (`unauthorized`); the token may have expired or the session ended.";
const BAD_REQUEST: &str = "The request could not be read: a parameter or path segment that is not \
    storable text (`invalid-parameter`), a malformed query string (`invalid-query`) or body \
    (`malformed-json`, `unreadable-body`).";
const TOO_LARGE: &str = "The body is larger than this endpoint takes (`payload-too-large`).";
const MEDIA_TYPE: &str =
    "The body's `Content-Type` is not one this endpoint reads (`unsupported-media-type`).";
const INVALID: &str = "Invalid input; `errors` names each field (JSON pointer) or parameter \
    (`validation-failed`, `unknown-field`).";
const IDEMPOTENCY_REUSED: &str =
    "The `Idempotency-Key` was used with another request (`idempotency-key-reused`).";
const IDEMPOTENCY_BUSY: &str =
    "A request with this `Idempotency-Key` is still being processed (`idempotency-in-progress`).";

/// Completes the document; see the module's table.
pub struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut schemas = vec![(Problem::name().into_owned(), Problem::schema())];
        Problem::schemas(&mut schemas);
        components.schemas.extend(schemas);
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.put, false),
                (&mut item.post, true),
                (&mut item.delete, false),
                (&mut item.patch, false),
            ];
            for (operation, is_post) in operations {
                if let Some(op) = operation.as_mut() {
                    complete(op, is_post);
                }
            }
        }
    }
}

fn complete(op: &mut Operation, is_post: bool) {
    let bearer = has_bearer(op);
    if let Some(permission) = permission(op) {
        let needs = format!("Needs the `{permission}` permission.");
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{needs}"),
            _ => needs,
        });
        add(
            op,
            "403",
            "The caller lacks the permission this needs (`forbidden`).",
        );
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_params = !params.is_empty();
    let reads_text_params = params.iter().any(|p| {
        matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header))
    });
    let (has_body, json_body) = match &op.request_body {
        Some(RefOr::T(body)) => (true, takes_json(body)),
        Some(RefOr::Ref(_)) => (true, false),
        None => (false, false),
    };
    if bearer {
        add(op, "401", UNAUTHORIZED);
    }
    if has_params || has_body {
        add(op, "400", BAD_REQUEST);
    }
    if has_body {
        add(op, "413", TOO_LARGE);
        add(op, "415", MEDIA_TYPE);
    }
    if json_body || reads_text_params {
        add(op, "422", INVALID);
    }
    if bearer && is_post {
        parameters(op).push(RefOr::T(idempotency_key()));
        add(op, "409", IDEMPOTENCY_BUSY);
        add(op, "422", IDEMPOTENCY_REUSED);
    }
    add(op, "500", INTERNAL);
    add(op, "503", UNAVAILABLE);
    for (status, response) in &mut op.responses.responses {
        if let RefOr::T(response) = response {
            as_problem(status, response);
        }
    }
}

fn has_bearer(op: &Operation) -> bool {
    op.security.iter().flatten().any(|requirement| {
        serde_json::to_value(requirement)
            .ok()
            .is_some_and(|v| v.get(BEARER).is_some())
    })
}

fn permission(op: &Operation) -> Option<String> {
    op.extensions
        .as_ref()?
        .get(PERMISSION)?
        .as_str()
        .map(str::to_owned)
}

fn takes_json(body: &RequestBody) -> bool {
    body.content.contains_key("application/json")
}

fn parameters(op: &mut Operation) -> &mut Vec<RefOr<Parameter>> {
    op.parameters.get_or_insert_with(Vec::new)
}

/// Adds a response, or when the route lists the status already, adds the common reason to its
/// description.
fn add(op: &mut Operation, status: &str, description: &str) {
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(own)) => {
            if !own.description.contains(description) {
                own.description = format!("{} {description}", own.description)
                    .trim()
                    .to_owned();
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let response = ResponseBuilder::new().description(description).build();
            op.responses
                .responses
                .insert(status.to_owned(), RefOr::T(response));
        }
    }
}

/// An error response: a `Problem`, with the headers its status carries.
fn as_problem(status: &str, response: &mut Response) {
    if !status.starts_with('4') && !status.starts_with('5') {
        return;
    }
    response.content.clear();
    response.content.insert(
        PROBLEM_JSON.to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name(Problem::name())))),
    );
    let header = match status {
        "429" | "503" => Some((
            "Retry-After",
            Object::with_type(Type::Integer),
            "Seconds to wait before repeating the request.",
        )),
        "401" => Some((
            "WWW-Authenticate",
            Object::with_type(Type::String),
            "`Bearer`.",
        )),
        _ => None,
    };
    if let Some((name, schema, description)) = header {
        let mut header = Header::new(schema);
        header.description = Some(description.to_owned());
        response.headers.insert(name.to_owned(), RefOr::T(header));
    }
}

fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: a repeat with the same key and body returns the first \
             response (`Idempotent-Replayed: true`); keys are kept 24 hours. 1-255 visible \
             ASCII characters.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::to_value(crate::openapi()).expect("json")
    }

    /// Every operation of the served document, as `METHOD path` and its object.
    fn operations(doc: &Value) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                out.push((format!("{} {path}", method.to_uppercase()), op.clone()));
            }
        }
        out
    }

    #[test]
    fn every_response_is_described_and_every_error_is_a_problem() {
        let doc = document();
        for (name, op) in operations(&doc) {
            let responses = op["responses"].as_object().expect("responses");
            for status in ["500", "503"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
            for (status, response) in responses {
                let what = format!("{name} {status}");
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.trim().is_empty(), "{what}: no description");
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"].as_object().expect("content");
                    assert_eq!(content.len(), 1, "{what}: {content:?}");
                    assert_eq!(
                        content[PROBLEM_JSON]["schema"]["$ref"], "#/components/schemas/Problem",
                        "{what}"
                    );
                }
            }
        }
    }

    /// A route behind authentication names the permission it requires, so its 403 and the
    /// permission are documented; only `/me` (reading and choosing one's own language) needs
    /// none.
    #[test]
    fn every_authenticated_operation_declares_its_permission() {
        let doc = document();
        for (name, op) in operations(&doc) {
            if op["security"].as_array().is_none_or(Vec::is_empty) {
                continue;
            }
            assert!(op["responses"]["401"].is_object(), "{name}: no 401");
            if name == "GET /api/v1/me" || name == "PATCH /api/v1/me" {
                continue;
            }
            let permission = op[PERMISSION]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no {PERMISSION}"));
            assert!(
                domain::permissions::ALL.contains(&permission),
                "{name}: {permission} is not a permission"
            );
            assert!(op["responses"]["403"].is_object(), "{name}: no 403");
        }
    }

    /// Query parameters are scalars with their real types: no object parameter (the export's
    /// flattened filters once were one), pages sized by an integer.
    #[test]
    fn query_parameters_are_typed() {
        let doc = document();
        for (name, op) in operations(&doc) {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let what = format!("{name} {}", p["name"]);
                let schema = &p["schema"];
                assert_ne!(schema["type"], "object", "{what}");
                if p["in"] == "query" {
                    assert_eq!(p["required"], false, "{what}: required");
                }
                if p["name"] == "limit" {
                    assert_eq!(schema["type"], "integer", "{what}");
                    assert_eq!(schema["minimum"], 1, "{what}");
                    assert_eq!(schema["maximum"], 100, "{what}");
                }
            }
        }
    }

    #[test]
    fn bodies_state_their_required_fields_and_refuse_unknown_ones() {
        let doc = document();
        for (name, op) in operations(&doc) {
            let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"]
                .get("$ref")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let schema = doc
                .pointer(schema.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{name}: dangling {schema}"));
            assert_eq!(schema["additionalProperties"], false, "{name}");
            if name.starts_with("POST") {
                assert!(
                    schema["required"].as_array().is_some_and(|r| !r.is_empty()),
                    "{name}: a create without required fields"
                );
            }
        }
    }
}
