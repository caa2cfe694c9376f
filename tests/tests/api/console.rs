//! The web console on the server side: signed-out visitors are sent to sign in; the sign-in
//! form sets the session cookies and sign-out ends the session; every state-changing request
//! needs the CSRF token from this origin; every page and form is allowed exactly to the roles
//! holding its permission (and a forged form changes nothing); another tenant's client is
//! not found.

use domain::BuiltinRole;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;
use tests::console::{Browser, CSRF};
use tests::{PASSWORD, TestApp, slug, spawn_app};

/// A client of the tenant, created through the API; its id.
async fn client_of(app: &TestApp, token: &str, name: &str) -> String {
    let r = app
        .post("/api/v1/clients", token, json!({ "company_name": name }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

/// The console's GET pages and the permission each needs.
fn pages(client: &str) -> Vec<(String, &'static str)> {
    [
        ("/", "clients.view"),
        ("/clients", "clients.view"),
        ("/clients/new", "clients.create"),
        ("/clients/{id}", "clients.view"),
        ("/clients/{id}/edit", "clients.edit"),
        ("/clients/{id}/timeline", "timeline.view"),
        ("/timeline", "timeline.view"),
    ]
    .into_iter()
    .map(|(p, perm)| (p.replace("{id}", client), perm))
    .collect()
}

#[tokio::test]
async fn every_page_is_allowed_exactly_to_the_roles_holding_its_permission() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("con")).await;
    let client = client_of(&app, &t.owner_token, "Talleres Roles S.L.").await;
    for role in BuiltinRole::ALL {
        let name = format!("as-{}", role.name());
        let (_, token) = app.user_with_roles(&t, &name, &[role.name()]).await;
        let browser = Browser::new(&app, Some(&token));
        let held = role.permissions();
        for (path, permission) in pages(&client) {
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
    }
    app.stop().await;
}

#[tokio::test]
async fn a_forged_form_is_refused_for_a_role_without_the_permission_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("con")).await;
    let client = client_of(&app, &t.owner_token, "Forjas Intactas S.L.").await;
    let (_, viewer) = app.user_with_roles(&t, "viewer", &["viewer"]).await;
    let browser = Browser::new(&app, Some(&viewer));
    let before = app
        .get(&format!("/api/v1/clients/{client}"), &t.owner_token)
        .await;
    let forms: [(String, Vec<(&str, &str)>); 4] = [
        (
            "/clients/new".into(),
            vec![("company_name", "Intrusa S.L.")],
        ),
        (
            format!("/clients/{client}/edit"),
            vec![("company_name", "Cambiada S.L.")],
        ),
        (format!("/clients/{client}/convert"), vec![]),
        (format!("/clients/{client}/delete"), vec![]),
    ];
    for (path, fields) in &forms {
        let (status, body, _) = browser.post(path, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {path}: {body:.300}");
    }
    let after = app
        .get(&format!("/api/v1/clients/{client}"), &t.owner_token)
        .await;
    assert_eq!(before.body, after.body);
    assert_eq!(app.count("clients", t.id).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_client_is_not_found_and_stays_untouched() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("cona")).await;
    let b = app.tenant(&slug("conb")).await;
    let client = client_of(&app, &a.owner_token, "Privada de A S.L.").await;
    let browser = Browser::new(&app, Some(&b.owner_token));
    for path in [
        format!("/clients/{client}"),
        format!("/clients/{client}/edit"),
        format!("/clients/{client}/timeline"),
        format!("/timeline?client_id={client}"),
    ] {
        let (status, body, _) = browser.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body:.300}");
    }
    let (status, _, _) = browser
        .post(&format!("/clients/{client}/delete"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list, _) = browser.get("/clients?q=Privada").await;
    assert!(!list.contains(&client), "B's list shows A's client");
    let still = app
        .get(&format!("/api/v1/clients/{client}"), &a.owner_token)
        .await;
    assert_eq!(still.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn signed_out_pages_send_to_sign_in_with_the_way_back() {
    let app = spawn_app().await;
    let browser = Browser::new(&app, None);
    for path in [
        "/",
        "/clients?q=ab&status=lead",
        "/timeline",
        "/admin/users",
    ] {
        let (status, _, location) = browser.get(path).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        let location = location.expect("location");
        let to = reqwest::Url::parse(&app.url(&location)).expect("url");
        assert_eq!(to.path(), "/login", "{path} → {location}");
        let next = to
            .query_pairs()
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v.into_owned());
        let expected = (path != "/").then(|| path.to_owned());
        assert_eq!(next, expected, "{path} → {location}");
    }
    // A forged access cookie is no session either.
    let (status, _, _) = Browser::new(&app, Some("not-a-token"))
        .get("/clients")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn the_sign_in_form_sets_http_only_cookies_and_sign_out_ends_the_session() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("con")).await;
    let browser = Browser::new(&app, None);
    let wrong = [
        ("tenant", t.slug.as_str()),
        ("email", t.owner_email.as_str()),
        ("password", "not-the-password"),
    ];
    let (status, body, _) = browser.post("/login", &wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains(r#"role="alert""#), "{body:.500}");
    let right = [
        ("tenant", t.slug.as_str()),
        ("email", t.owner_email.as_str()),
        ("password", PASSWORD),
        ("next", "/timeline"),
    ];
    let r = browser
        .http
        .post(format!("{}/login", browser.base))
        .header(COOKIE, &browser.cookies)
        .form(&[&right[..], &[("_csrf", CSRF)]].concat())
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/timeline");
    let set: Vec<String> = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    for name in ["crm_access=", "crm_refresh="] {
        let cookie = set.iter().find(|c| c.starts_with(name)).expect(name);
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
    }
    let value = |name: &str| {
        set.iter()
            .find(|c| c.starts_with(name))
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_owned()
    };
    let session = format!(
        "crm_csrf={CSRF}; {}; {}",
        value("crm_access="),
        value("crm_refresh=")
    );
    let signed_in = Browser {
        cookies: session.clone(),
        ..Browser::new(&app, None)
    };
    assert_eq!(signed_in.get("/clients").await.0, StatusCode::OK);
    // Only the refresh cookie (the access token expired): refreshed on the way.
    let refresh_only = Browser {
        cookies: format!("crm_csrf={CSRF}; {}", value("crm_refresh=")),
        ..Browser::new(&app, None)
    };
    assert_eq!(refresh_only.get("/clients").await.0, StatusCode::OK);
    // An open redirect is no way back.
    let offsite = [&right[..3], &[("next", "//evil.example/x")]].concat();
    let (_, _, location) = browser.post("/login", &offsite).await;
    assert_eq!(location.as_deref(), Some("/"));
    let (status, _, location) = signed_in.post("/logout", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/login"));
    // The old access cookie died with its session.
    let (status, _, _) = signed_in.get("/clients").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn a_state_change_needs_the_csrf_token_from_this_origin() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("con")).await;
    let client = client_of(&app, &t.owner_token, "Protegida S.L.").await;
    let browser = Browser::new(&app, Some(&t.owner_token));
    let path = format!("{}/clients/{client}/delete", browser.base);
    let missing = browser
        .http
        .post(&path)
        .header(COOKIE, &browser.cookies)
        .form(&[("x", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(
        missing
            .text()
            .await
            .expect("body")
            .contains(r#"data-problem="csrf""#)
    );
    let wrong = browser
        .http
        .post(&path)
        .header(COOKIE, &browser.cookies)
        .form(&[("_csrf", "another-token")])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let foreign = browser
        .http
        .post(&path)
        .header(COOKIE, &browser.cookies)
        .header(ORIGIN, "https://evil.example")
        .form(&[("_csrf", CSRF)])
        .send()
        .await
        .expect("post");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let still = app
        .get(&format!("/api/v1/clients/{client}"), &t.owner_token)
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "a refused request deleted the client"
    );
    app.stop().await;
}

#[tokio::test]
async fn contact_forms_need_the_permission_and_another_tenants_contact_is_not_found() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("cona")).await;
    let b = app.tenant(&slug("conb")).await;
    let client = client_of(&app, &a.owner_token, "Contactos Vigilados S.L.").await;
    let other = client_of(&app, &a.owner_token, "Otro Cliente S.L.").await;
    let r = app
        .post(
            &format!("/api/v1/clients/{client}/contacts"),
            &a.owner_token,
            json!({ "name": "Ana Ruiz", "role": "Compras", "emails": ["ana@vigilados.example"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let contact = r.body["id"].as_str().expect("id").to_owned();
    let contacts = format!("/api/v1/clients/{client}/contacts");
    let before = app.get(&contacts, &a.owner_token).await;
    let base = format!("/clients/{client}/contacts/{contact}");
    let (edit, erase) = (format!("{base}/edit"), format!("{base}/erase"));

    // A viewer sees the contact but no control, and each forged request is refused.
    let (_, viewer) = app.user_with_roles(&a, "viewer", &["viewer"]).await;
    let viewer = Browser::new(&app, Some(&viewer));
    let (status, page, _) = viewer.get(&format!("/clients/{client}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Ana Ruiz"), "{page:.300}");
    for action in ["add-contact", "edit-contact", "erase-contact"] {
        assert!(
            !page.contains(&format!(r#"data-action="{action}""#)),
            "{action}"
        );
    }
    for path in [&edit, &erase] {
        let (status, body, _) = viewer.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "GET {path}: {body:.300}");
    }
    let forged: [(&str, Vec<(&str, &str)>); 3] = [
        (
            &format!("/clients/{client}/contacts"),
            vec![("name", "Intruso")],
        ),
        (&edit, vec![("name", "Cambiado"), ("version", "1")]),
        (&erase, vec![("confirm", "yes")]),
    ];
    for (path, fields) in &forged {
        let (status, body, _) = viewer.post(path, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {path}: {body:.300}");
        assert!(body.contains(r#"data-problem="forbidden""#), "{body:.300}");
    }
    // Sales may edit contacts but not erase them (clients.delete, as in the API).
    let (_, sales) = app.user_with_roles(&a, "sales", &["sales"]).await;
    let (status, _, _) = Browser::new(&app, Some(&sales))
        .post(&erase, &[("confirm", "yes")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The owner's erasure needs the box ticked; and the contact must be this client's.
    let owner = Browser::new(&app, Some(&a.owner_token));
    let (status, body, _) = owner.post(&erase, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:.300}");
    assert!(body.contains("contact-erase-confirm-error"), "{body:.300}");
    let elsewhere = format!("/clients/{other}/contacts/{contact}/erase");
    let (status, _, _) = owner.post(&elsewhere, &[("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another tenant's owner: not found, whatever the form.
    let intruder = Browser::new(&app, Some(&b.owner_token));
    for path in [&edit, &erase] {
        let (status, body, _) = intruder.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}: {body:.300}");
    }
    for (path, fields) in &forged {
        let (status, body, _) = intruder.post(path, fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}: {body:.300}");
    }

    let after = app.get(&contacts, &a.owner_token).await;
    assert_eq!(
        before.body, after.body,
        "a refused request changed a contact"
    );
    assert_eq!(app.count("contacts", a.id).await, 1);
    assert_eq!(app.count("contacts", b.id).await, 0);

    // Confirmed, without htmx: erased, and back to the client page.
    let (status, _, location) = owner.post(&erase, &[("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("/clients/{client}")));
    let erased = app
        .get(
            &format!("/api/v1/clients/{client}/contacts/{contact}"),
            &a.owner_token,
        )
        .await;
    assert!(erased.body["erased_at"].is_string(), "{}", erased.text);
    assert_ne!(erased.body["name"], "Ana Ruiz");
    app.stop().await;
}

#[tokio::test]
async fn the_clients_list_filters_by_owner_and_custom_field_and_exports_what_is_picked() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("con-pick")).await;
    let def = json!({ "key": "tier", "label": "Tier", "field_type": "select", "options": ["gold", "silver"] });
    let r = app.post("/api/v1/custom-fields", &t.owner_token, def).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let (seller, _) = app.user_with_roles(&t, "seller", &["sales"]).await;
    let gold = json!({ "company_name": "Oro Consola S.L.", "owner_id": seller, "custom_fields": { "tier": "gold" } });
    let r = app.post("/api/v1/clients", &t.owner_token, gold).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let silver = client_of(&app, &t.owner_token, "Plata Consola S.L.").await;
    let owner = Browser::new(&app, Some(&t.owner_token));

    let (status, page, _) = owner.get("/clients").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"name="field""#) && page.contains(r#"value="tier""#),
        "no custom field filter"
    );
    assert!(
        page.contains(&format!(r#"value="{seller}""#)),
        "the seller is not an owner to filter by"
    );
    assert_eq!(page.matches("data-pick ").count(), 2, "a pick box per row");
    for query in [
        "/clients?field=tier&field_value=gold".to_owned(),
        format!("/clients?owner_id={seller}"),
        "/clients?custom_field=tier%3Agold".to_owned(),
    ] {
        let (status, page, _) = owner.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page:.300}");
        assert!(page.contains("Oro Consola S.L."), "{query}");
        assert!(!page.contains("Plata Consola S.L."), "{query}");
    }

    let (status, csv, _) = owner
        .get(&format!("/clients/export.csv?ids={silver}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(
        csv.contains("Plata Consola S.L.") && !csv.contains("Oro Consola"),
        "{csv}"
    );

    let (_, viewer) = app.user_with_roles(&t, "looker", &["viewer"]).await;
    let (status, page, _) = Browser::new(&app, Some(&viewer)).get("/clients").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("data-pick"),
        "a viewer cannot export, so picks nothing"
    );
    app.stop().await;
}
