//! The platform's own mail (issue 15): invitations and password resets go out through the
//! platform's SMTP server (a real one on loopback here), from an outbox whose text (with its
//! one-time link) is sealed and dropped once sent; a reset link works once, within the hour,
//! and ends the user's sessions; asking never tells whether an account exists.

use integrations::mail::{SmtpSecurity, SmtpSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use services::communications::channels::Platform;
use tests::mail_message::Entity;
use tests::smtp_server::SmtpServer;
use tests::*;

/// A worker whose platform mail goes to `smtp` (or nowhere when `None`).
fn worker(app: &TestApp, smtp: Option<&SmtpServer>) -> worker::WorkerCtx {
    app.worker_ctx_with(Platform {
        smtp: smtp.map(|s| SmtpSettings {
            host: "127.0.0.1".into(),
            port: s.port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from_address: "no-reply@crm.example".into(),
            from_name: Some("CRM".into()),
            timeout: std::time::Duration::from_secs(5),
        }),
        ..Platform::default()
    })
}

/// The one-time link in the only mail `smtp` received for `to`, and that mail's text.
fn link_in_mail(smtp: &SmtpServer, to: &str, path: &str) -> (String, String) {
    let received = smtp.received();
    let mails: Vec<_> = received
        .iter()
        .filter(|m| m.to == [to.to_owned()])
        .collect();
    assert_eq!(mails.len(), 1, "one mail to {to}: {received:?}");
    let text = Entity::parse(&mails[0].data).text();
    let start = text
        .find(path)
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = link.split("token=").nth(1).expect("a token").to_owned();
    (token, text)
}

async fn post(app: &TestApp, path: &str, body: Value) -> Reply {
    app.call(Method::POST, path, None, Some(body), &[]).await
}

#[tokio::test]
async fn an_invitation_is_mailed_with_its_link_and_the_outbox_forgets_it() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pm")).await;
    let smtp = SmtpServer::start().await;
    let r = app
        .post(
            "/api/v1/users",
            &t.owner_token,
            json!({ "email": "lucia@pm.example", "display_name": "Lucía", "roles": ["sales"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sealed: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT body_cipher FROM platform_mails WHERE recipient = 'lucia@pm.example'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("outbox");
    let sealed = sealed.expect("queued with its text");
    assert!(
        !String::from_utf8_lossy(&sealed).contains("invitation?token"),
        "the link is sealed"
    );
    assert_eq!(app.drain_jobs_on(&worker(&app, Some(&smtp))).await, 1);
    let (token, text) = link_in_mail(&smtp, "lucia@pm.example", "/invitation?token=");
    assert!(text.contains("Lucía"), "{text}");
    let status: (String, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT status, body_cipher FROM platform_mails WHERE recipient = 'lucia@pm.example'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("outbox");
    assert_eq!(
        status,
        ("sent".to_owned(), None),
        "sent, and its text dropped"
    );
    let accepted = post(
        &app,
        "/api/v1/auth/accept-invite",
        json!({ "token": token, "password": "a-long-and-unusual-phrase-42" }),
    )
    .await;
    assert_eq!(
        accepted.status,
        StatusCode::OK,
        "the mailed link works: {}",
        accepted.text
    );
}

#[tokio::test]
async fn without_a_platform_smtp_server_the_mail_fails_with_the_reason() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pm")).await;
    let r = app
        .post(
            "/api/v1/users",
            &t.owner_token,
            json!({ "email": "nadie@pm.example", "display_name": "Nadie", "roles": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(app.drain_jobs_on(&worker(&app, None)).await, 1);
    let (status, reason): (String, Option<String>) = sqlx::query_as(
        "SELECT status, failure_reason FROM platform_mails WHERE recipient = 'nadie@pm.example'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("outbox");
    assert_eq!(status, "failed");
    assert!(reason.is_some_and(|r| r.contains("CRM_SMTP_HOST")));
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_the_sessions() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pr")).await;
    let smtp = SmtpServer::start().await;
    let session = app.login(&t.slug, &t.owner_email, PASSWORD).await;

    // Asking for an unknown address answers the same and mails nothing.
    for email in [t.owner_email.as_str(), "nobody@pr.example"] {
        let r = post(
            &app,
            "/api/v1/auth/password-reset",
            json!({ "tenant": t.slug, "email": email }),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    }
    let unknown_tenant = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({ "tenant": "no-such-tenant", "email": "a@b.example" }),
    )
    .await;
    assert_eq!(unknown_tenant.status, StatusCode::ACCEPTED);
    let malformed = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({ "tenant": t.slug, "email": "not-an-address" }),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.drain_jobs_on(&worker(&app, Some(&smtp))).await,
        1,
        "one mail, to the real account"
    );
    let (token, _) = link_in_mail(&smtp, &t.owner_email, "/reset-password?token=");

    let confirm = "/api/v1/auth/password-reset/confirm";
    let weak = post(
        &app,
        confirm,
        json!({ "token": token, "password": "password123" }),
    )
    .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.text
    );
    let new_password = "another-long-and-unusual-phrase-7";
    let done = post(
        &app,
        confirm,
        json!({ "token": token, "password": new_password }),
    )
    .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    let again = post(
        &app,
        confirm,
        json!({ "token": token, "password": "yet-another-unusual-phrase-9" }),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a link works once");

    let refresh = post(
        &app,
        "/api/v1/auth/refresh",
        json!({ "refresh_token": session["refresh_token"] }),
    )
    .await;
    assert_eq!(
        refresh.status,
        StatusCode::UNAUTHORIZED,
        "the old session ended: {}",
        refresh.text
    );
    let old = post(
        &app,
        "/api/v1/auth/login",
        json!({ "tenant": t.slug, "email": t.owner_email, "password": PASSWORD }),
    )
    .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.login(&t.slug, &t.owner_email, new_password).await;
}

#[tokio::test]
async fn an_expired_or_foreign_reset_token_does_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("px")).await;
    let smtp = SmtpServer::start().await;
    let r = post(
        &app,
        "/api/v1/auth/password-reset",
        json!({ "tenant": t.slug, "email": t.owner_email }),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(app.drain_jobs_on(&worker(&app, Some(&smtp))).await, 1);
    let (token, _) = link_in_mail(&smtp, &t.owner_email, "/reset-password?token=");
    sqlx::query("UPDATE users SET reset_expires_at = now() - interval '1 minute' WHERE reset_hash IS NOT NULL")
        .execute(&app.owner)
        .await
        .expect("expire");
    let confirm = "/api/v1/auth/password-reset/confirm";
    let expired = post(
        &app,
        confirm,
        json!({ "token": token, "password": "a-long-and-unusual-phrase-42" }),
    )
    .await;
    assert_eq!(expired.status, StatusCode::NOT_FOUND);
    let forged = post(
        &app,
        confirm,
        json!({ "token": "rst_garbage", "password": "a-long-and-unusual-phrase-42" }),
    )
    .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    app.login(&t.slug, &t.owner_email, PASSWORD).await;
}

#[tokio::test]
async fn the_console_asks_for_a_reset_and_sets_the_new_password() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("pc")).await;
    let smtp = SmtpServer::start().await;
    let browser = tests::console::Browser::new(&app, None);
    let (status, login, _) = browser.get("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        login.contains("href=\"/forgot-password\""),
        "the login page offers it"
    );
    let (status, _, _) = browser.get("/forgot-password").await;
    assert_eq!(status, StatusCode::OK);
    let (status, page, _) = browser
        .post(
            "/forgot-password",
            &[("tenant", &t.slug), ("email", &t.owner_email)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"forgot-sent\""), "{page}");
    assert_eq!(app.drain_jobs_on(&worker(&app, Some(&smtp))).await, 1);
    let (token, _) = link_in_mail(&smtp, &t.owner_email, "/reset-password?token=");
    let token = token
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    let (status, form, _) = browser.get(&format!("/reset-password?token={token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"token\""), "{form}");
    let (status, page, _) = browser
        .post(
            "/reset-password",
            &[
                ("token", "rst_nothing"),
                ("password", "a-long-and-unusual-phrase-42"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let new_password = "a-long-and-unusual-phrase-42";
    let (status, page, _) = browser
        .post(
            "/reset-password",
            &[("token", &token), ("password", new_password)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"reset-done\""), "{page}");
    app.login(&t.slug, &t.owner_email, new_password).await;
}
