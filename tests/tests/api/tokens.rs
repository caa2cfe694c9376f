//! Access tokens: every way a token can be wrong is a 401; refresh rotation and reuse.

use api::auth::tokens::AccessClaims;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::*;
use uuid::Uuid;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

fn ed_key(pem: &str) -> EncodingKey {
    let key = SigningKey::from_pkcs8_pem(pem).expect("pem");
    EncodingKey::from_ed_der(key.to_pkcs8_der().expect("der").as_bytes())
}

fn sign(claims: &impl serde::Serialize, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("encode")
}

#[tokio::test]
async fn every_bad_token_is_refused() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("tok")).await;
    let me = app.get("/api/v1/me", &t.owner_token).await;
    assert_eq!(me.status, StatusCode::OK);
    let user: Uuid = me.body["id"].as_str().expect("id").parse().expect("uuid");
    let valid = jsonwebtoken::dangerous::insecure_decode::<AccessClaims>(&t.owner_token)
        .expect("decode")
        .claims;
    let kid = app.state.tokens.kid().to_owned();
    let real = ed_key(&test_key_pem());
    let other = ed_key(&api::auth::tokens::generate_private_key_pem());
    let fresh = AccessClaims {
        iat: now(),
        exp: now() + 600,
        ..valid.clone()
    };
    // The forging works: a well-formed token with the real key is accepted.
    assert_eq!(
        app.get("/api/v1/me", &sign(&fresh, &kid, &real))
            .await
            .status,
        StatusCode::OK
    );

    let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = b64(serde_json::to_value(&fresh).expect("json"));
    let alg_none = format!(
        "{}.{payload}.",
        b64(json!({ "alg": "none", "typ": "JWT", "kid": kid }))
    );
    let hs256 = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid.clone());
        let public = SigningKey::from_pkcs8_pem(&test_key_pem())
            .expect("pem")
            .verifying_key();
        jsonwebtoken::encode(&h, &fresh, &EncodingKey::from_secret(public.as_bytes()))
            .expect("hs256")
    };
    let tampered = {
        let good = sign(&fresh, &kid, &real);
        let parts: Vec<&str> = good.split('.').collect();
        let changed = b64(serde_json::to_value(AccessClaims {
            sub: Uuid::now_v7(),
            ..fresh.clone()
        })
        .expect("json"));
        format!("{}.{changed}.{}", parts[0], parts[2])
    };
    let cases = vec![
        ("alg none", alg_none),
        ("wrong key", sign(&fresh, &kid, &other)),
        ("another algorithm", hs256),
        (
            "expired",
            sign(
                &AccessClaims {
                    iat: now() - 7200,
                    exp: now() - 3600,
                    ..fresh.clone()
                },
                &kid,
                &real,
            ),
        ),
        (
            "wrong iss",
            sign(
                &AccessClaims {
                    iss: "someone-else".into(),
                    ..fresh.clone()
                },
                &kid,
                &real,
            ),
        ),
        (
            "wrong aud",
            sign(
                &AccessClaims {
                    aud: "other-api".into(),
                    ..fresh.clone()
                },
                &kid,
                &real,
            ),
        ),
        ("unknown kid", sign(&fresh, "0000000000000000", &real)),
        ("tampered payload", tampered),
        ("garbage", "not.a.token".into()),
    ];
    for (name, token) in cases {
        let r = app.get("/api/v1/me", &token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{name}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let r = app.call(Method::GET, "/api/v1/me", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Disabled user: their valid token stops working at once.
    let (victim, victim_token) = app.user_with_roles(&t, "vic", &["sales"]).await;
    assert_eq!(
        app.get("/api/v1/me", &victim_token).await.status,
        StatusCode::OK
    );
    let r = app
        .patch(
            &format!("/api/v1/users/{victim}"),
            &t.owner_token,
            json!({ "status": "disabled" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/me", &victim_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let _ = user;

    // Suspended tenant: every token stops working at once, sign-in too.
    assert!(
        db::tenants::set_status(&app.app_pool, &t.slug, "suspended")
            .await
            .expect("suspend")
    );
    assert_eq!(
        app.get("/api/v1/me", &t.owner_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "tenant": t.slug, "email": t.owner_email, "password": PASSWORD })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        db::tenants::set_status(&app.app_pool, &t.slug, "active")
            .await
            .expect("activate")
    );
    assert_eq!(
        app.get("/api/v1/me", &t.owner_token).await.status,
        StatusCode::OK
    );
    app.stop().await;
}

/// `nbf` and `iat` in the future: within the clock leeway accepted, ten minutes ahead refused;
/// a token without `iat` (we always issue one) is refused.
#[tokio::test]
async fn tokens_from_the_future_are_refused_beyond_the_leeway() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("nbf")).await;
    let valid = jsonwebtoken::dangerous::insecure_decode::<AccessClaims>(&t.owner_token)
        .expect("decode")
        .claims;
    let kid = app.state.tokens.kid().to_owned();
    let real = ed_key(&test_key_pem());
    let with = |field: &str, at: u64| {
        let mut claims = serde_json::to_value(&valid).expect("json");
        claims[field] = at.into();
        claims["exp"] = (now() + 1200).into();
        sign(&claims, &kid, &real)
    };
    let cases = [
        (
            "iat 10 minutes ahead",
            with("iat", now() + 600),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "nbf 10 minutes ahead",
            with("nbf", now() + 600),
            StatusCode::UNAUTHORIZED,
        ),
        ("iat 20 s ahead", with("iat", now() + 20), StatusCode::OK),
        ("nbf 20 s ahead", with("nbf", now() + 20), StatusCode::OK),
        ("nbf passed", with("nbf", now() - 60), StatusCode::OK),
        ("iat now", with("iat", now()), StatusCode::OK),
        (
            "no iat",
            {
                let mut claims = serde_json::to_value(&valid).expect("json");
                claims.as_object_mut().expect("object").remove("iat");
                sign(&claims, &kid, &real)
            },
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (name, token, status) in cases {
        let r = app.get("/api/v1/me", &token).await;
        assert_eq!(r.status, status, "{name}: {}", r.text);
    }
    app.stop().await;
}

#[tokio::test]
async fn jwks_publishes_the_verifying_key() {
    let app = spawn_app().await;
    let r = app
        .call(Method::GET, "/.well-known/jwks.json", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let key = &r.body["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["kid"], app.state.tokens.kid());
    let public = SigningKey::from_pkcs8_pem(&test_key_pem())
        .expect("pem")
        .verifying_key();
    assert_eq!(key["x"], URL_SAFE_NO_PAD.encode(public.as_bytes()));
    app.stop().await;
}

async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
        &[],
    )
    .await
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("rt")).await;
    let first = app.login(&t.slug, &t.owner_email, PASSWORD).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    let rt1 = first["refresh_token"].as_str().expect("rt").to_owned();

    let second = refresh(&app, &rt1).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let rt2 = second.body["refresh_token"]
        .as_str()
        .expect("rt")
        .to_owned();
    let at2 = second.body["access_token"].as_str().expect("at").to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(app.get("/api/v1/me", &at2).await.status, StatusCode::OK);

    // Presenting the used token again: refused, and the whole family dies with it.
    let reuse = refresh(&app, &rt1).await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&app, &rt2).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/me", &at2).await.status,
        StatusCode::UNAUTHORIZED
    );
    let audit = app
        .get(
            "/api/v1/audit-events?action=auth.refresh_reuse_detected",
            &t.owner_token,
        )
        .await;
    assert_eq!(
        audit.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        audit.text
    );

    // Another session of the same user is unaffected.
    assert_eq!(
        app.get("/api/v1/me", &t.owner_token).await.status,
        StatusCode::OK
    );
    // Unknown and malformed refresh tokens.
    assert_eq!(
        refresh(&app, "rt_garbage").await.status,
        StatusCode::UNAUTHORIZED
    );
    let forged = format!("rt_{}_{}", t.id.simple(), "A".repeat(43));
    assert_eq!(
        refresh(&app, &forged).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("out")).await;
    let s = app.login(&t.slug, &t.owner_email, PASSWORD).await;
    let at = s["access_token"].as_str().expect("at");
    let rt = s["refresh_token"].as_str().expect("rt");
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({ "refresh_token": rt })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", at).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(refresh(&app, rt).await.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn login_failures_look_alike_and_are_rate_limited() {
    let app = spawn_app_with(|c| {
        c.login_per_account_per_minute = 3;
        c.trust_forwarded_for = true;
        c.login_per_ip_per_minute = 5;
    })
    .await;
    // Set up without signing in: the per-IP counter must see only this test's attempts.
    let t_slug = slug("rl");
    let owner_email = format!("owner@{t_slug}.example");
    provision_tenant(&app.app_pool, &t_slug, "RL", &owner_email).await;
    let ip = format!(
        "10.{}.{}.{}",
        rand::random::<u8>(),
        rand::random::<u8>(),
        rand::random::<u8>()
    );
    let app = &app;
    let attempt = |email: &str, password: &str| {
        let body = json!({ "tenant": t_slug, "email": email, "password": password });
        let ip = ip.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(body),
                &[("x-forwarded-for", &ip)],
            )
            .await
        }
    };
    let unknown = attempt("nobody@rl.example", "whatever-password").await;
    let wrong = attempt(&owner_email, "wrong-password-here").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["detail"], wrong.body["detail"]);
    assert_eq!(unknown.problem(), wrong.problem());
    // Per account: the 4th attempt on the same e-mail within the minute is refused.
    attempt(&owner_email, "wrong-password-here").await;
    attempt(&owner_email, "wrong-password-here").await;
    let limited = attempt(&owner_email, PASSWORD).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert!(limited.header("retry-after").is_some());
    assert_eq!(limited.problem(), "rate-limited");
    // Per IP: other e-mails from the same address run into the IP limit.
    let r = attempt("someone-else@rl.example", "whatever-password").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}
