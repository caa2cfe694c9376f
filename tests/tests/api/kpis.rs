//! Client KPIs: exact numbers on a small fixture, parameters, tenancy, roles, consistency under
//! concurrent writes.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;
use uuid::Uuid;

const KPIS: &str = "/api/v1/kpis/clients";

async fn create(app: &TestApp, token: &str, body: Value) -> Uuid {
    let r = app.post("/api/v1/clients", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id")
}

async fn convert(app: &TestApp, token: &str, id: Uuid) {
    let path = format!("/api/v1/clients/{id}/convert");
    let r = app.call(Method::POST, &path, Some(token), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn delete(app: &TestApp, token: &str, id: Uuid) {
    let r = app.delete(&format!("/api/v1/clients/{id}"), token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

/// Moves a client's dates into the past, as the schema owner.
async fn backdate(app: &TestApp, id: Uuid, column: &str, days: i32) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE clients SET {column} = now() - make_interval(days => $2) WHERE id = $1"
    )))
    .bind(id)
    .bind(days)
    .execute(&app.owner)
    .await
    .expect("backdate");
}

/// Records an interaction with a client `days` ago (negative: in the future), as every module
/// records its own: through the shared timeline function, as the application role.
async fn interact(app: &TestApp, tenant: Uuid, client: Uuid, days: i64) {
    let mut tx = db::TenantTx::begin(&app.app_pool, tenant)
        .await
        .expect("begin");
    db::timeline::record(
        &mut tx,
        &db::audit::Actor::system(),
        db::timeline::NewEvent {
            client_id: Some(client),
            event_type: domain::EventType::CommunicationSent,
            description: "Follow-up call".into(),
            event_date: Some(Utc::now() - Duration::days(days)),
            entity_type: None,
            entity_id: None,
            payload: json!({}),
        },
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn kpis(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app.get(&format!("{KPIS}{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn counts(k: &Value) -> [i64; 6] {
    [
        "total",
        "leads",
        "clients",
        "active",
        "pending_proposals",
        "new_this_month",
    ]
    .map(|f| k[f].as_i64().unwrap_or(-1))
}

/// Tenant fixture, as of now (`d` = days ago; "talked" = an interaction on the timeline):
/// - lead L1 (created now, talked now); lead L2 (created 40 d, talked 50 d)
/// - C1 created and converted now, talked now; C2 created 60 d, converted now, talked 70 d and 5 d;
///   C3 created 120 d, converted 45 d, talked 100 d and has a meeting booked in 10 d
/// - I1 created now as inactive, never talked to (only record-keeping events)
/// - D1 (a lead created now) and D2 (converted now) talked now, then deleted: never counted
async fn fixture(app: &TestApp, tenant: Uuid, token: &str) -> [Uuid; 6] {
    let c = |name: &str| json!({ "company_name": name });
    let l1 = create(app, token, c("L1")).await;
    interact(app, tenant, l1, 0).await;
    let l2 = create(app, token, c("L2")).await;
    backdate(app, l2, "created_at", 40).await;
    interact(app, tenant, l2, 50).await;
    let c1 = create(app, token, c("C1")).await;
    convert(app, token, c1).await;
    interact(app, tenant, c1, 0).await;
    let c2 = create(app, token, c("C2")).await;
    convert(app, token, c2).await;
    backdate(app, c2, "created_at", 60).await;
    interact(app, tenant, c2, 5).await;
    interact(app, tenant, c2, 70).await;
    let c3 = create(app, token, c("C3")).await;
    convert(app, token, c3).await;
    backdate(app, c3, "created_at", 120).await;
    backdate(app, c3, "converted_at", 45).await;
    interact(app, tenant, c3, 100).await;
    interact(app, tenant, c3, -10).await;
    let i1 = create(
        app,
        token,
        json!({ "company_name": "I1", "status": "inactive" }),
    )
    .await;
    let d1 = create(app, token, c("D1")).await;
    interact(app, tenant, d1, 0).await;
    delete(app, token, d1).await;
    let d2 = create(app, token, c("D2")).await;
    convert(app, token, d2).await;
    interact(app, tenant, d2, 0).await;
    delete(app, token, d2).await;
    [l1, l2, c1, c2, c3, i1]
}

#[tokio::test]
async fn kpis_count_exactly_and_only_the_tenants_own_clients() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("kpi-a")).await;
    let b = app.tenant(&slug("kpi-b")).await;
    let [l1, l2, c1, c2, c3, i1] = fixture(&app, a.id, &a.owner_token).await;
    // Tenant B's clients, converted and not, must never reach A's numbers.
    for name in ["B1", "B2"] {
        create(&app, &b.owner_token, json!({ "company_name": name })).await;
    }
    let b3 = create(&app, &b.owner_token, json!({ "company_name": "B3" })).await;
    convert(&app, &b.owner_token, b3).await;

    let before = Utc::now();
    let k = kpis(&app, &a.owner_token, "").await;
    // total, leads, clients, active (90 d: all but C3 and I1), pending proposals, new this month
    assert_eq!(counts(&k), [6, 2, 3, 4, 0, 3], "{k}");
    assert_eq!(k["active_days"], 90);
    // Last 30 days: C1 and C2 converted; L1 is the one lead of the period still open.
    assert_eq!(k["period"]["converted"], 2);
    assert_eq!(k["period"]["still_leads"], 1);
    assert_eq!(k["conversion_rate"].as_f64(), Some(2.0 / 3.0));
    let from: DateTime<Utc> = k["period"]["from"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("from");
    let to: DateTime<Utc> = k["period"]["to"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("to");
    assert_eq!(to - from, Duration::days(30));
    assert!((to - before).num_seconds().abs() < 60, "{to} vs {before}");

    // Activity windows: 30 d leaves L2 out too; 3650 d brings C3 in; I1 never counts.
    assert_eq!(
        kpis(&app, &a.owner_token, "?active_days=30").await["active"],
        3
    );
    let long = kpis(&app, &a.owner_token, "?active_days=3650").await;
    assert_eq!(long["active"], 5);
    assert_eq!(long["active_days"], 3650);

    // Since 50 days ago: C3 converted and L2 still open come in: 3 / (3 + 2).
    let since = rfc3339(Utc::now() - Duration::days(50));
    let k = kpis(&app, &a.owner_token, &format!("?from={since}")).await;
    assert_eq!(k["period"]["converted"], 3);
    assert_eq!(k["period"]["still_leads"], 2);
    assert_eq!(k["conversion_rate"].as_f64(), Some(0.6));
    assert_eq!(k["period"]["from"], since.as_str());

    // A period with nothing in it has no rate rather than a made-up one.
    let (old_from, old_to) = (
        rfc3339(Utc::now() - Duration::days(400)),
        rfc3339(Utc::now() - Duration::days(300)),
    );
    let k = kpis(
        &app,
        &a.owner_token,
        &format!("?from={old_from}&to={old_to}"),
    )
    .await;
    assert_eq!(k["period"]["converted"], 0);
    assert_eq!(k["period"]["still_leads"], 0);
    assert_eq!(k["conversion_rate"], Value::Null);

    // The latest interaction up to now is each client's last contact, and the list filter on it
    // sees the same dates: a booked meeting is not contact yet, record keeping never is.
    for (id, days) in [
        (l1, Some(0)),
        (l2, Some(50)),
        (c1, Some(0)),
        (c2, Some(5)),
        (c3, Some(100)),
        (i1, None),
    ] {
        let r = app
            .get(&format!("/api/v1/clients/{id}"), &a.owner_token)
            .await;
        let last: Option<DateTime<Utc>> = r.body["last_contact_at"]
            .as_str()
            .and_then(|t| t.parse().ok());
        match days {
            None => assert_eq!(r.body["last_contact_at"], Value::Null, "{}", r.text),
            Some(d) => {
                let ago = Utc::now() - last.expect("last_contact_at");
                assert!(
                    (ago - Duration::days(d)).num_minutes().abs() < 5,
                    "{}",
                    r.text
                );
            }
        }
    }
    let cutoff = rfc3339(Utc::now() - Duration::days(20));
    let r = app
        .get(
            &format!("/api/v1/clients?last_contact_before={cutoff}&sort=name"),
            &a.owner_token,
        )
        .await;
    let names: Vec<&str> = r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["company_name"].as_str())
        .collect();
    assert_eq!(names, ["C3", "I1", "L2"], "{}", r.text);

    // B has clients but never talked to any.
    let k = kpis(&app, &b.owner_token, "").await;
    assert_eq!(counts(&k), [3, 2, 1, 0, 0, 3], "{k}");
    assert_eq!(k["conversion_rate"].as_f64(), Some(1.0 / 3.0));
    app.stop().await;
}

/// The kept counters against a count of the rows, as the schema owner.
async fn recount(app: &TestApp, tenant: Uuid) -> [i64; 3] {
    let (total, leads, clients): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'lead'),
                count(*) FILTER (WHERE status = 'client')
           FROM clients WHERE tenant_id = $1 AND deleted_at IS NULL",
    )
    .bind(tenant)
    .fetch_one(&app.owner)
    .await
    .expect("recount");
    [total, leads, clients]
}

#[tokio::test]
async fn kept_totals_match_a_recount_after_every_kind_of_change() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-recount")).await;
    let other = app.tenant(&slug("kpi-recount-b")).await;
    create(
        &app,
        &other.owner_token,
        json!({ "company_name": "Elsewhere" }),
    )
    .await;
    let check = |step: &'static str| {
        let app = &app;
        let token = t.owner_token.clone();
        async move {
            let k = kpis(app, &token, "").await;
            let kept = [&k["total"], &k["leads"], &k["clients"]].map(|v| v.as_i64().unwrap_or(-1));
            assert_eq!(kept, recount(app, t.id).await, "after {step}: {k}");
            kept
        }
    };
    assert_eq!(check("nothing").await, [0, 0, 0]);
    let mut ids = Vec::new();
    for (name, status) in [("A", "lead"), ("B", "lead"), ("C", "client"), ("D", "lost")] {
        let body = json!({ "company_name": name, "status": status });
        ids.push(create(&app, &t.owner_token, body).await);
    }
    assert_eq!(check("creating").await, [4, 2, 1]);
    convert(&app, &t.owner_token, ids[0]).await;
    assert_eq!(check("converting").await, [4, 1, 2]);
    let r = app
        .patch(
            &format!("/api/v1/clients/{}", ids[3]),
            &t.owner_token,
            json!({ "status": "inactive" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(check("updating").await, [4, 1, 2]);
    delete(&app, &t.owner_token, ids[1]).await;
    assert_eq!(check("deleting").await, [3, 0, 2]);
    let restore = format!("/api/v1/clients/{}/restore", ids[1]);
    let r = app
        .call(Method::POST, &restore, Some(&t.owner_token), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(check("restoring").await, [4, 1, 2]);
    // B was talked to; C never: the survivor of their merge takes B's last contact.
    interact(&app, t.id, ids[1], 3).await;
    let last_contact = |id: Uuid| {
        let (app, token) = (&app, t.owner_token.clone());
        async move {
            let r = app.get(&format!("/api/v1/clients/{id}"), &token).await;
            r.body["last_contact_at"].clone()
        }
    };
    let talked = last_contact(ids[1]).await;
    assert!(talked.is_string(), "{talked}");
    assert_eq!(last_contact(ids[2]).await, Value::Null);
    let r = app
        .post(
            &format!("/api/v1/clients/{}/merge", ids[2]),
            &t.owner_token,
            json!({ "other_id": ids[1] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(check("merging").await, [3, 0, 2]);
    assert_eq!(last_contact(ids[2]).await, talked);
    let undo = format!(
        "/api/v1/merges/{}/undo",
        r.body["merge_id"].as_str().unwrap_or("")
    );
    let r = app
        .call(Method::POST, &undo, Some(&t.owner_token), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(check("undoing the merge").await, [4, 1, 2]);
    assert_eq!(last_contact(ids[2]).await, Value::Null);
    assert_eq!(last_contact(ids[1]).await, talked);
    // A hard delete (as erasing a tenant's data would) is counted too.
    sqlx::query("DELETE FROM clients WHERE id = $1")
        .bind(ids[3])
        .execute(&app.owner)
        .await
        .expect("hard delete");
    assert_eq!(check("a hard delete").await, [3, 1, 2]);
    app.stop().await;
}

/// The counter slot a transaction's client changes go to (`client_stats_flush`).
async fn slot_of(tx: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar("SELECT mod(txid_current(), 16)")
        .fetch_one(tx)
        .await
        .expect("slot")
}

#[tokio::test]
async fn writers_of_one_tenant_do_not_wait_for_each_other_on_the_counts() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-slots")).await;
    let insert = "INSERT INTO clients (tenant_id, id, company_name, status)
                  VALUES ($1, gen_random_uuid(), $2, $3)";
    // A writer that created a client and has not committed yet, as an import batch.
    let mut first = app.owner.begin().await.expect("tx");
    let first_slot = slot_of(&mut first).await;
    sqlx::query(insert)
        .bind(t.id)
        .bind("First")
        .bind("lead")
        .execute(&mut *first)
        .await
        .expect("first insert");
    // Another writer of the tenant, even one whose changes go to the same counter slot, neither
    // waits to change the counts nor to commit them: the first takes its slot only as it commits.
    let mut second = loop {
        let mut tx = app.owner.begin().await.expect("tx");
        if slot_of(&mut tx).await == first_slot {
            break tx;
        }
        tx.rollback().await.expect("rollback");
    };
    sqlx::query("SET LOCAL lock_timeout = '5s'")
        .execute(&mut *second)
        .await
        .expect("lock timeout");
    sqlx::query(insert)
        .bind(t.id)
        .bind("Second")
        .bind("client")
        .execute(&mut *second)
        .await
        .expect("the second writer waited for the first one's counts");
    second
        .commit()
        .await
        .expect("the second writer's commit waited for the first one");
    let k = kpis(&app, &t.owner_token, "").await;
    assert_eq!(
        [&k["total"], &k["leads"], &k["clients"]].map(|v| v.as_i64().unwrap_or(-1)),
        [1, 0, 1],
        "only the committed writer counts: {k}"
    );
    first.commit().await.expect("commit");

    let k = kpis(&app, &t.owner_token, "").await;
    assert_eq!(
        [&k["total"], &k["leads"], &k["clients"]].map(|v| v.as_i64().unwrap_or(-1)),
        recount(&app, t.id).await,
        "{k}"
    );
    assert_eq!(k["total"], 2, "{k}");
    app.stop().await;
}

#[tokio::test]
async fn counts_follow_savepoints_and_ignore_touches() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-savepoint")).await;
    let id = create(&app, &t.owner_token, json!({ "company_name": "Kept" })).await;
    let mut tx = app.owner.begin().await.expect("tx");
    sqlx::query(
        "INSERT INTO clients (tenant_id, id, company_name, status)
         VALUES ($1, gen_random_uuid(), 'Kept too', 'client')",
    )
    .bind(t.id)
    .execute(&mut *tx)
    .await
    .expect("insert");
    // A change undone by rolling back to a savepoint is not counted.
    sqlx::query("SAVEPOINT undone")
        .execute(&mut *tx)
        .await
        .expect("savepoint");
    sqlx::query(
        "INSERT INTO clients (tenant_id, id, company_name, status)
         VALUES ($1, gen_random_uuid(), 'Undone', 'lead')",
    )
    .bind(t.id)
    .execute(&mut *tx)
    .await
    .expect("insert");
    sqlx::query("ROLLBACK TO SAVEPOINT undone")
        .execute(&mut *tx)
        .await
        .expect("rollback to savepoint");
    // A touch moves no count.
    sqlx::query("UPDATE clients SET last_contact_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .expect("touch");
    tx.commit().await.expect("commit");
    let k = kpis(&app, &t.owner_token, "").await;
    assert_eq!(
        [&k["total"], &k["leads"], &k["clients"]].map(|v| v.as_i64().unwrap_or(-1)),
        [2, 1, 1],
        "{k}"
    );
    assert_eq!(recount(&app, t.id).await, [2, 1, 1]);
    app.stop().await;
}

#[tokio::test]
async fn new_this_month_follows_the_tenants_time_zone() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-tz")).await;
    // UTC+14: its month starts 14 hours before UTC's.
    let zone = "Pacific/Kiritimati";
    sqlx::query("UPDATE tenants SET time_zone = $2 WHERE id = $1")
        .bind(t.id)
        .bind(zone)
        .execute(&app.owner)
        .await
        .expect("time zone");
    let just_after = create(&app, &t.owner_token, json!({ "company_name": "After" })).await;
    let just_before = create(&app, &t.owner_token, json!({ "company_name": "Before" })).await;
    create(&app, &t.owner_token, json!({ "company_name": "Now" })).await;
    for (id, offset) in [(just_after, "1 minute"), (just_before, "-1 minute")] {
        sqlx::query(
            "UPDATE clients
                SET created_at = (date_trunc('month', now() AT TIME ZONE $2) AT TIME ZONE $2)
                                 + $3::interval
              WHERE id = $1",
        )
        .bind(id)
        .bind(zone)
        .bind(offset)
        .execute(&app.owner)
        .await
        .expect("backdate");
    }
    let k = kpis(&app, &t.owner_token, "").await;
    assert_eq!(k["total"], 3);
    assert_eq!(k["new_this_month"], 2, "{k}");
    app.stop().await;
}

#[tokio::test]
async fn bad_parameters_are_problems_naming_the_parameter() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-bad")).await;
    let now = Utc::now();
    let later = rfc3339(now + Duration::days(1));
    let earlier = rfc3339(now - Duration::days(1));
    for (query, parameter) in [
        ("?active_days=0".to_owned(), "active_days"),
        ("?active_days=3651".to_owned(), "active_days"),
        ("?active_days=ninety".to_owned(), "active_days"),
        ("?from=last-tuesday".to_owned(), "from"),
        ("?to=2026-02-30T00:00:00Z".to_owned(), "to"),
        (format!("?from={later}&to={earlier}"), "to"),
        (format!("?from={later}"), "from"),
    ] {
        let r = app.get(&format!("{KPIS}{query}"), &t.owner_token).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.text
        );
        assert_eq!(r.problem(), "validation-failed");
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{query}"
        );
        assert_eq!(
            r.body["errors"][0]["parameter"], parameter,
            "{query}: {}",
            r.text
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn every_built_in_role_reads_kpis_and_a_role_without_clients_view_does_not() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-roles")).await;
    for role in ["owner", "admin", "sales", "support", "marketing", "viewer"] {
        let (_, token) = app.user_with_roles(&t, &format!("u{role}"), &[role]).await;
        let r = app.get(KPIS, &token).await;
        assert_eq!(r.status, StatusCode::OK, "{role}: {}", r.text);
    }
    app.custom_role(&t, "timeline_only", &["timeline.view"])
        .await;
    let (_, token) = app.user_with_roles(&t, "tina", &["timeline_only"]).await;
    let r = app.get(KPIS, &token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.problem(), "forbidden");
    let r = app.call(Method::GET, KPIS, None, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn kpis_read_one_snapshot_while_leads_convert_concurrently() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("kpi-race")).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            create(
                &app,
                &t.owner_token,
                json!({ "company_name": format!("R{i}") }),
            )
            .await,
        );
    }
    let converting = {
        let http = app.http.clone();
        let (base, token) = (app.url(""), t.owner_token.clone());
        tokio::spawn(async move {
            let calls = ids.into_iter().map(|id| {
                http.post(format!("{base}/api/v1/clients/{id}/convert"))
                    .bearer_auth(&token)
                    .send()
            });
            futures::future::join_all(calls).await
        })
    };
    // Every answer, whenever it lands, sees each client either before or after its conversion.
    for _ in 0..15 {
        let k = kpis(&app, &t.owner_token, "").await;
        assert_eq!(
            k["leads"].as_i64().unwrap_or(0) + k["clients"].as_i64().unwrap_or(0),
            12,
            "{k}"
        );
        let period = &k["period"];
        assert_eq!(
            period["converted"].as_i64().unwrap_or(0) + period["still_leads"].as_i64().unwrap_or(0),
            12,
            "{k}"
        );
    }
    for r in converting.await.expect("join") {
        assert_eq!(r.expect("convert").status(), StatusCode::OK);
    }
    let k = kpis(&app, &t.owner_token, "").await;
    assert_eq!(k["clients"], 12);
    assert_eq!(k["conversion_rate"].as_f64(), Some(1.0));
    app.stop().await;
}
