//! Users: invite and accept, change, disable, delete, and the last-owner guard.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;

#[tokio::test]
async fn invite_accept_and_sign_in() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("inv")).await;
    let r = app
        .post(
            "/api/v1/users",
            &t.owner_token,
            json!({ "email": "Ana.Garcia@Inv.Example", "display_name": "Ana García", "roles": ["sales"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["email"], "ana.garcia@inv.example");
    assert_eq!(r.body["status"], "invited");
    assert_eq!(r.body["roles"], json!(["sales"]));
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        r.header("location").map(str::to_owned),
        Some(format!("/api/v1/users/{id}"))
    );
    let token = r.body["invite_token"].as_str().expect("invite").to_owned();

    // Invited users cannot sign in yet.
    let login = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "tenant": t.slug, "email": "ana.garcia@inv.example", "password": "anything-at-all" })),
            &[],
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);

    let weak = app
        .call(
            Method::POST,
            "/api/v1/auth/accept-invite",
            None,
            Some(json!({ "token": token, "password": "short" })),
            &[],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.body["errors"][0]["pointer"], "/password");
    let ok = app
        .call(
            Method::POST,
            "/api/v1/auth/accept-invite",
            None,
            Some(json!({ "token": token, "password": "a-good-long-password" })),
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let again = app
        .call(
            Method::POST,
            "/api/v1/auth/accept-invite",
            None,
            Some(json!({ "token": token, "password": "a-good-long-password" })),
            &[],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::NOT_FOUND,
        "an invitation works once"
    );
    let s = app
        .login(&t.slug, "ana.garcia@inv.example", "a-good-long-password")
        .await;
    let me = app
        .get("/api/v1/me", s["access_token"].as_str().expect("at"))
        .await;
    assert_eq!(me.body["roles"], json!(["sales"]));
    assert!(
        me.body["permissions"]
            .as_array()
            .expect("perms")
            .contains(&json!("clients.create"))
    );

    let dup = app
        .post(
            "/api/v1/users",
            &t.owner_token,
            json!({ "email": "ana.garcia@inv.example", "display_name": "Dup" }),
        )
        .await;
    assert_eq!(
        (dup.status, dup.problem()),
        (StatusCode::CONFLICT, "email-taken")
    );
    app.stop().await;
}

#[tokio::test]
async fn update_roles_disable_delete_and_keep_an_owner() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("upd")).await;
    let me = app.get("/api/v1/me", &t.owner_token).await;
    let owner_id = me.body["id"].as_str().expect("id").to_owned();
    let (uid, utoken) = app.user_with_roles(&t, "sam", &["viewer"]).await;

    let r = app
        .patch(
            &format!("/api/v1/users/{uid}"),
            &t.owner_token,
            json!({ "roles": ["sales", "support"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["roles"], json!(["sales", "support"]));
    let me = app.get("/api/v1/me", &utoken).await;
    assert!(
        me.body["permissions"]
            .as_array()
            .expect("p")
            .contains(&json!("tickets.edit"))
    );

    let r = app
        .patch(
            &format!("/api/v1/users/{uid}"),
            &t.owner_token,
            json!({ "status": "frozen" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["pointer"], "/status");

    // The last owner can neither leave the role nor be disabled or deleted.
    let r = app
        .patch(
            &format!("/api/v1/users/{owner_id}"),
            &t.owner_token,
            json!({ "roles": ["admin"] }),
        )
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "last-owner")
    );
    let r = app
        .patch(
            &format!("/api/v1/users/{owner_id}"),
            &t.owner_token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .delete(&format!("/api/v1/users/{owner_id}"), &t.owner_token)
        .await;
    assert_eq!(
        (r.status, r.problem()),
        (StatusCode::CONFLICT, "cannot-delete-self")
    );

    let r = app
        .delete(&format!("/api/v1/users/{uid}"), &t.owner_token)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/users/{uid}"), &t.owner_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/me", &utoken).await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = app.get("/api/v1/users", &t.owner_token).await;
    assert!(!list.text.contains(&uid.to_string()));
    app.stop().await;
}

#[tokio::test]
async fn pagination_walks_every_user_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("page")).await;
    let mut tx = db::TenantTx::begin(&app.app_pool, t.id).await.expect("tx");
    for i in 0..7 {
        db::users::insert(
            &mut tx,
            &db::users::NewUser {
                id: uuid::Uuid::now_v7(),
                email: &format!("p{i}@page.example"),
                display_name: "P",
                password_hash: None,
                status: "invited",
                invite_hash: None,
            },
        )
        .await
        .expect("insert");
    }
    tx.commit().await.expect("commit");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=3&cursor={c}"),
            None => "/api/v1/users?limit=3".to_owned(),
        };
        let r = app.get(&path, &t.owner_token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let page = r.body["data"].as_array().expect("data").clone();
        assert!(page.len() <= 3);
        seen.extend(
            page.iter()
                .map(|u| u["id"].as_str().expect("id").to_owned()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen);
    for (bad, param) in [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?cursor=bogus!", "cursor"),
    ] {
        let r = app
            .get(&format!("/api/v1/users{bad}"), &t.owner_token)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.body["errors"][0]["parameter"], param);
    }
    app.stop().await;
}
