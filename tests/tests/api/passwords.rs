//! The password rule on every path that sets a password: inviting with one and accepting an
//! invitation (the CLI's path is in crates/crm/tests/binary.rs).

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

/// A fixed slug (each test has its own database), so the slug-based password is deterministic.
const SLUG: &str = "wombat-quasar";
const EMAIL: &str = "pemberton.quill@orbit.example";
const NAME: &str = "Gerty McBrindle";
/// Strong for anyone, including this user.
const STRONG: &str = "Zebra-Quilt-Mango-7";

/// One password of each weak kind, with a word its refusal must name. The last three are
/// strong for anyone else: only this user's e-mail, name or tenant makes them weak.
const WEAK: &[(&str, &str)] = &[
    ("password12", "common"),
    ("aaaaaaaaaa", "Repeats"),
    ("1234567890", "common"),
    ("          ", "spaces"),
    ("Wombat-Quasar!", "tenant's name"),
    ("pemberton.quill@orbit.example", "e-mail"),
    ("GertyMcBrindle", "name"),
];

fn assert_refused(r: &Reply, password: &str, reason: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{password:?}: {}",
        r.text
    );
    let errors = r.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{password:?}: {}", r.text);
    assert_eq!(errors[0]["pointer"], "/password", "{password:?}");
    let detail = errors[0]["detail"].as_str().expect("detail");
    assert!(detail.contains(reason), "{password:?}: {detail}");
}

#[tokio::test]
async fn invite_with_a_password_refuses_weak_ones() {
    let app = spawn_app().await;
    let t = app.tenant(SLUG).await;
    for (password, reason) in WEAK {
        let body = json!({ "email": EMAIL, "display_name": NAME, "password": password });
        let r = app.post("/api/v1/users", &t.owner_token, body).await;
        assert_refused(&r, password, reason);
    }
    let body = json!({ "email": EMAIL, "display_name": NAME, "password": STRONG });
    let r = app.post("/api/v1/users", &t.owner_token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.login(SLUG, EMAIL, STRONG).await;
    app.stop().await;
}

#[tokio::test]
async fn accept_invite_refuses_weak_passwords() {
    let app = spawn_app().await;
    let t = app.tenant(SLUG).await;
    let body = json!({ "email": EMAIL, "display_name": NAME, "roles": ["sales"] });
    let r = app.post("/api/v1/users", &t.owner_token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["invite_token"].as_str().expect("invite").to_owned();
    let accept = |password: &str| {
        let body = json!({ "token": token, "password": password });
        app.call(
            Method::POST,
            "/api/v1/auth/accept-invite",
            None,
            Some(body),
            &[],
        )
    };
    for (password, reason) in WEAK {
        assert_refused(&accept(password).await, password, reason);
    }
    // A refusal leaves the invitation open.
    let ok = accept(STRONG).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    app.login(SLUG, EMAIL, STRONG).await;
    app.stop().await;
}
