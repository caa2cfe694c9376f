//! Typo search through the tenant's vocabulary, and the vocabulary's upkeep: words come with
//! client writes, and the prune job removes the ones no client has without ever losing one a
//! concurrent writer still needs.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;
use worker::Job;

async fn create(app: &TestApp, token: &str, name: &str, emails: &[&str]) -> String {
    let r = app
        .post(
            "/api/v1/clients",
            token,
            json!({ "company_name": name, "emails": emails }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let url = reqwest::Url::parse_with_params("http://x/api/v1/clients", &[("q", q)]).expect("url");
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let r = app.get(&path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    let mut ids: Vec<String> = r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c: &Value| c["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn vocabulary(app: &TestApp, tenant: Uuid) -> Vec<String> {
    sqlx::query_scalar("SELECT word FROM search_vocabulary WHERE tenant_id = $1 ORDER BY word")
        .bind(tenant)
        .fetch_all(&app.owner)
        .await
        .expect("vocabulary")
}

#[tokio::test]
async fn every_query_word_must_be_close_to_a_word_of_the_client() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("words")).await;
    let tok = &t.owner_token;
    let formacion = create(&app, tok, "Formación Sur", &[]).await;
    let corporacion = create(&app, tok, "Corporación Norte", &["info@corpnorte.es"]).await;
    let logistica = create(&app, tok, "Acme Logística Integral", &[]).await;
    let integral = create(&app, tok, "Integral Servicios", &[]).await;

    for (q, expected) in [
        // One typo of a common word finds that word, not every word sharing its ending.
        ("foracion", vec![formacion.clone()]),
        ("corporasion", vec![corporacion.clone()]),
        // Every word counts, each with its own typo, in any order.
        ("logistika acme", vec![logistica.clone()]),
        (
            "integral",
            sorted(vec![logistica.clone(), integral.clone()]),
        ),
        ("integal servicios", vec![integral.clone()]),
        ("acme servicios", vec![]),
        // The start of a longer word, next to other words (as typed so far).
        ("acme logis", vec![logistica.clone()]),
        ("servicios integ", vec![integral.clone()]),
        // Parts of an e-mail are words; the whole address is a substring.
        ("corpnorte", vec![corporacion.clone()]),
        ("info@corpnorte.es", vec![corporacion.clone()]),
        // A piece from inside a word is found as a substring of the text.
        ("gistica", vec![logistica.clone()]),
        ("zzzz", vec![]),
    ] {
        assert_eq!(found(&app, tok, q).await, sorted(expected), "{q}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_word_the_tenant_does_not_have_is_corrected_within_its_edit_budget() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("edits")).await;
    let tok = &t.owner_token;
    let garcia = create(&app, tok, "García Servicios", &[]).await;
    let lopez = create(&app, tok, "López Textil", &[]).await;
    let sierra = create(&app, tok, "Sierra Norte", &[]).await;
    let sirena = create(&app, tok, "Sirena Azul", &[]).await;
    // Another tenant's words are never candidates.
    let other = app.tenant(&slug("edits2")).await;
    create(&app, &other.owner_token, "Garcés Hermanos", &[]).await;

    for (q, expected) in [
        // Neighbouring letters swapped: one edit, though most trigrams differ.
        ("garica", vec![garcia.clone()]),
        ("lopze", vec![lopez.clone()]),
        ("garica servicos", vec![garcia.clone()]),
        // One edit for words of three to five letters, two from six on.
        ("lpez", vec![lopez.clone()]),
        ("sirea", vec![sirena.clone()]),
        ("txetil", vec![lopez.clone()]),
        ("sierrq", vec![sierra.clone()]),
        ("lpzo", vec![]),
        ("garzes", vec![]),
        // A word the tenant has asks for itself: "sirena" is two edits from "sierra".
        ("sierra", vec![sierra.clone()]),
        ("sirena", vec![sirena.clone()]),
        // The first letter is never corrected (short words; long ones still match by trigrams).
        ("xarcia", vec![]),
        ("mopez", vec![]),
    ] {
        assert_eq!(found(&app, tok, q).await, sorted(expected), "{q}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_vocabulary_follows_the_clients_and_the_prune_job_drops_unused_words() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("vocab")).await;
    let other = app.tenant(&slug("vocab2")).await;
    let tok = &t.owner_token;
    let bar = create(&app, tok, "Bar Manolo", &[]).await;
    let cafe = create(&app, tok, "Bar Cafetería Lola", &[]).await;
    // The same word in another tenant is that tenant's own.
    create(&app, &other.owner_token, "Manolo Hermanos", &[]).await;
    assert_eq!(
        vocabulary(&app, t.id).await,
        vec!["bar", "cafeteria", "lola", "manolo"]
    );

    // Renamed: the new word is there at once; the old one waits for the prune job, and in the
    // meantime finds nothing.
    let path = format!("/api/v1/clients/{bar}");
    let etag = app
        .get(&path, tok)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let r = app
        .call(
            Method::PATCH,
            &path,
            Some(tok),
            Some(json!({ "company_name": "Bar Pepe" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(found(&app, tok, "pepe").await, vec![bar.clone()]);
    assert_eq!(found(&app, tok, "manolo").await, Vec::<String>::new());
    assert!(vocabulary(&app, t.id).await.contains(&"manolo".to_owned()));

    // Deleted: its words are dropped too, except those another client still has.
    let r = app.delete(&format!("/api/v1/clients/{cafe}"), tok).await;
    assert!(r.status.is_success(), "{}", r.text);
    let ctx = app.worker_ctx();
    for _ in 0..2 {
        worker::run_job(&ctx, &Job::PruneSearchWords)
            .await
            .expect("prune");
        assert_eq!(vocabulary(&app, t.id).await, vec!["bar", "pepe"]);
    }
    assert_eq!(vocabulary(&app, other.id).await, vec!["hermanos", "manolo"]);

    // Restored: its words come back with it.
    let r = app
        .post(&format!("/api/v1/clients/{cafe}/restore"), tok, json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(
        vocabulary(&app, t.id).await,
        vec!["bar", "cafeteria", "lola", "pepe"]
    );
    assert_eq!(found(&app, tok, "kafeteria").await, vec![cafe]);
    app.stop().await;
}

/// A writer that finds a word present adds nothing and takes no lock. If the prune removes that
/// word before the writer commits, the writer's client is invisible to the prune; the removed
/// word is checked again once every overlapping transaction has ended, and put back.
#[tokio::test]
async fn a_word_pruned_under_a_running_writer_comes_back() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("race")).await;
    let tok = &t.owner_token;
    let old = create(&app, tok, "Zumos Valencia", &[]).await;
    let renamed = create(&app, tok, "Horchatas del Turia", &[]).await;

    // The writer: a client renamed to hold the same word, not yet committed. (A rename moves no
    // client count, so it holds no lock the delete below would wait for.)
    let mut writer = app.app_pool.begin().await.expect("tx");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(t.id.to_string())
        .execute(&mut *writer)
        .await
        .expect("tenant");
    sqlx::query(
        "UPDATE clients SET company_name = 'Zumos del Turia', search_text = 'zumos del turia'
          WHERE id = $1",
    )
    .bind(Uuid::parse_str(&renamed).expect("uuid"))
    .execute(&mut *writer)
    .await
    .expect("rename");

    // The only committed client with the word goes; the prune removes the word.
    let r = app.delete(&format!("/api/v1/clients/{old}"), tok).await;
    assert!(r.status.is_success(), "{}", r.text);
    db::search_words::prune_batch(&app.app_pool)
        .await
        .expect("prune");
    assert!(!vocabulary(&app, t.id).await.contains(&"zumos".to_owned()));
    // The writer still runs, so the removal waits.
    assert_eq!(
        db::search_words::repair(&app.app_pool)
            .await
            .expect("repair"),
        2,
        "zumos and valencia wait"
    );

    writer.commit().await.expect("commit");
    // Until the check, the renamed client cannot be found by a typo of the word.
    assert_eq!(found(&app, tok, "zumoz turia").await, Vec::<String>::new());
    // The check runs once every transaction that overlapped the prune has ended, in the whole
    // cluster (transaction ids are), so other tests' open transactions may delay it.
    eventually(
        "the removed words to be checked",
        Duration::from_secs(60),
        || async {
            db::search_words::repair(&app.app_pool)
                .await
                .expect("repair")
                == 0
        },
    )
    .await;
    let words = vocabulary(&app, t.id).await;
    assert!(words.contains(&"zumos".to_owned()), "{words:?}");
    assert!(!words.contains(&"valencia".to_owned()), "{words:?}");
    assert_eq!(found(&app, tok, "zumoz turia").await, vec![renamed]);
    app.stop().await;
}
