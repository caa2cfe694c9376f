//! CSV import: per-row errors with line and column, dry runs, duplicates, round trips with the
//! export, limits, tenancy and roles.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::*;

pub(crate) async fn upload(app: &TestApp, token: &str, csv: &str, dry_run: bool) -> Reply {
    let path = format!("/api/v1/clients/import?dry_run={dry_run}");
    let res = app
        .http
        .post(app.url(&path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("upload");
    read(res).await
}

async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    assert!(app.drain_jobs().await >= 1, "the upload queued no job");
    let r = app.get(&format!("/api/v1/imports/{id}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn errors(import: &Value) -> Vec<(u64, String)> {
    import["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("line"),
                e["column"].as_str().expect("column").to_owned(),
            )
        })
        .collect()
}

const FILE: &str = "\u{feff}company_name;tax_id;emails;phones;status\r\n\
Alfa S.L.;B12345674;alfa@x.example;600 111 222;lead\r\n\
Beta S.A.;B1234567X;beta@x.example;;client\r\n\
Gamma;;not-an-email;;lead\r\n\
Delta;;existing@x.example;;lead\r\n\
Epsilon;;eps@x.example;;retired\r\n\
Alfa Bis;B12345674;;;lead\r\n";

#[tokio::test]
async fn a_dry_run_reports_every_bad_row_and_imports_nothing() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp")).await;
    let existing = app
        .post(
            "/api/v1/clients",
            &t.owner_token,
            json!({ "company_name": "Old Delta", "emails": ["existing@x.example"] }),
        )
        .await;
    assert_eq!(existing.status, StatusCode::CREATED);
    let before = (
        app.count("clients", t.id).await,
        app.count("timeline_events", t.id).await,
    );

    let r = upload(&app, &t.owner_token, FILE, true).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["total_rows"], 6);
    assert_eq!(r.body["status"], "queued");
    let id = r.body["id"].as_str().expect("id").to_owned();
    let done = finished(&app, &t.owner_token, &id).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["processed_rows"], 6);
    assert_eq!(done["imported_rows"], 0);
    assert_eq!(
        errors(&done),
        vec![
            (3, "tax_id".to_owned()),
            (4, "emails".to_owned()),
            (5, "emails".to_owned()),
            (6, "status".to_owned()),
            (7, "".to_owned())
        ],
        "{done}"
    );
    assert_eq!(
        (
            app.count("clients", t.id).await,
            app.count("timeline_events", t.id).await
        ),
        before
    );

    // The same file for real: the good row goes in, the bad ones are reported the same way.
    let r = upload(&app, &t.owner_token, FILE, false).await;
    let done = finished(&app, &t.owner_token, r.body["id"].as_str().expect("id")).await;
    assert_eq!(done["imported_rows"], 1);
    assert_eq!(done["error_rows"], 5);
    let alfa = app.get("/api/v1/clients?q=alfa", &t.owner_token).await;
    assert_eq!(alfa.body["data"][0]["tax_id"], "B12345674");
    assert_eq!(alfa.body["data"][0]["phones"], json!(["+34600111222"]));
    let tl = app
        .get("/api/v1/timeline?type=client.created", &t.owner_token)
        .await;
    assert_eq!(tl.body["data"][0]["payload"]["import_id"], done["id"]);
    // Running the job again (a redelivery) changes nothing.
    sqlx::query("UPDATE apalis.jobs SET status = 'Pending'")
        .execute(&app.owner)
        .await
        .expect("redeliver");
    app.drain_jobs().await;
    assert_eq!(app.count("clients", t.id).await, before.0 + 1);
    app.stop().await;
}

#[tokio::test]
async fn an_export_imports_back_into_another_tenant_unchanged() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("rta")).await;
    let b = app.tenant(&slug("rtb")).await;
    for t in [&a, &b] {
        let r = app
            .post(
                "/api/v1/custom-fields",
                &t.owner_token,
                json!({ "key": "employees", "label": "Employees", "field_type": "number" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    for body in [
        json!({ "company_name": "Telefónica, S.A.", "tax_id": "A28015865", "emails": ["a@t.example", "b@t.example"], "phones": ["+34 912 345 678"], "sector": "telecom", "status": "client", "tags": ["vip", "madrid"], "website": "https://t.example", "address": { "city": "Madrid", "postal_code": "28013", "country": "ES" }, "custom_fields": { "employees": 1200 } }),
        json!({ "company_name": "=Tricky \"quoted\" name", "emails": ["q@x.example"], "status": "lead", "source": "referral" }),
        json!({ "company_name": "Plain", "status": "inactive" }),
    ] {
        assert_eq!(
            app.post("/api/v1/clients", &a.owner_token, body)
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let export = |t: &TenantFixture| {
        let token = t.owner_token.clone();
        let app = &app;
        async move {
            app.call(
                Method::GET,
                "/api/v1/clients/export.csv?sort=name&separator=semicolon",
                Some(&token),
                None,
                &[],
            )
            .await
            .text
        }
    };
    let from_a = export(&a).await;
    let r = upload(&app, &b.owner_token, &from_a, false).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let done = finished(&app, &b.owner_token, r.body["id"].as_str().expect("id")).await;
    assert_eq!(done["imported_rows"], 3, "{done}");
    let from_b = export(&b).await;
    // Same content but for the ids and creation times (first and last columns).
    let strip = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| {
                let cells: Vec<&str> = l.split(';').collect();
                let owner = 8; // owner_id is per tenant too
                cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 0 && *i != 17 && *i != owner)
                    .map(|(_, c)| *c)
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .collect()
    };
    assert_eq!(strip(&from_b), strip(&from_a));
    app.stop().await;
}

#[tokio::test]
async fn bad_files_are_refused_at_upload() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("badf")).await;
    let r = upload(&app, &t.owner_token, "name,colour\nAcme,red\n", false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let pointers: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("e")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(
        pointers,
        ["/columns/name", "/columns/colour", "/columns/company_name"]
    );
    assert_eq!(
        upload(&app, &t.owner_token, "company_name\n", false)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut big = String::from("company_name\n");
    for i in 0..100_001 {
        big.push_str(&format!("C{i}\n"));
    }
    let r = upload(&app, &t.owner_token, &big, true).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than 100,000 rows"
    );
    let json_body = app
        .post(
            "/api/v1/clients/import",
            &t.owner_token,
            json!({ "company_name": "x" }),
        )
        .await;
    assert_eq!(json_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.count("client_imports", t.id).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn imports_belong_to_their_tenant_and_need_the_permission() {
    let app = spawn_app().await;
    let a = app.tenant(&slug("ia")).await;
    let b = app.tenant(&slug("ib")).await;
    let r = upload(&app, &b.owner_token, "company_name\nB Corp\n", true).await;
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.get(&format!("/api/v1/imports/{id}"), &a.owner_token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for (role, allowed) in [
        ("owner", true),
        ("admin", true),
        ("sales", true),
        ("support", false),
        ("marketing", false),
        ("viewer", false),
    ] {
        let (_, token) = app.user_with_roles(&a, &format!("i-{role}"), &[role]).await;
        let r = upload(&app, &token, "company_name\nX\n", true).await;
        let expected = if allowed {
            StatusCode::ACCEPTED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status, expected, "{role}");
        let g = app.get(&format!("/api/v1/imports/{id}"), &token).await;
        assert_eq!(
            g.status,
            if allowed {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            },
            "{role}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn two_deliveries_of_one_import_job_at_once_create_each_row_once() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp-twice")).await;
    // No tax ids or e-mails: nothing but the job's own bookkeeping can stop a second copy.
    let csv = "company_name;status\nUno;lead\nDos;lead\nTres;client\n";
    let r = upload(&app, &t.owner_token, csv, false).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let (job,): (Vec<u8>,) =
        sqlx::query_as("SELECT job FROM apalis.jobs WHERE status = 'Pending' AND job_type = $1")
            .bind(worker::queue::QUEUE)
            .fetch_one(&app.owner)
            .await
            .expect("queued job");
    let job: worker::Job = serde_json::from_slice(&job).expect("job");
    // At-least-once delivery: the queue may hand the same job to two workers.
    let (a, b) = (app.worker_ctx(), app.worker_ctx());
    let (ra, rb) = tokio::join!(worker::run_job(&a, &job), worker::run_job(&b, &job));
    ra.expect("first run");
    rb.expect("second run");
    let r = app
        .get(&format!("/api/v1/imports/{id}"), &t.owner_token)
        .await;
    assert_eq!(r.body["status"], "done", "{}", r.text);
    assert_eq!(r.body["processed_rows"], 3, "{}", r.text);
    assert_eq!(r.body["imported_rows"], 3, "{}", r.text);
    let names: Vec<String> =
        sqlx::query_scalar("SELECT company_name FROM clients WHERE tenant_id = $1 ORDER BY 1")
            .bind(t.id)
            .fetch_all(&app.owner)
            .await
            .expect("clients");
    assert_eq!(names, ["Dos", "Tres", "Uno"]);
    app.stop().await;
}

/// The e-mail index the duplicate check reads, and what it should hold: each live client's
/// e-mails, read from the clients themselves.
async fn email_index(
    app: &TestApp,
    tenant: uuid::Uuid,
) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let kept = sqlx::query_as(
        "SELECT email, client_id::text FROM client_emails WHERE tenant_id = $1 ORDER BY 1, 2",
    )
    .bind(tenant)
    .fetch_all(&app.owner)
    .await
    .expect("index");
    let live = sqlx::query_as(
        "SELECT e, id::text FROM clients, unnest(emails) e
          WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY 1, 2",
    )
    .bind(tenant)
    .fetch_all(&app.owner)
    .await
    .expect("clients");
    (kept, live)
}

async fn index_matches(app: &TestApp, tenant: uuid::Uuid, step: &str) {
    let (kept, live) = email_index(app, tenant).await;
    assert_eq!(kept, live, "after {step}");
}

async fn client_with_emails(app: &TestApp, token: &str, name: &str, emails: Value) -> String {
    let body = json!({ "company_name": name, "emails": emails });
    let r = app.post("/api/v1/clients", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

/// Whether an import of one row with this e-mail reports it as a duplicate.
async fn import_finds_duplicate(app: &TestApp, token: &str, email: &str) -> bool {
    let csv = format!("company_name,emails\nProbe,{email}\n");
    let r = upload(app, token, &csv, true).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let done = finished(app, token, r.body["id"].as_str().expect("id")).await;
    !errors(&done).is_empty()
}

#[tokio::test]
async fn the_duplicate_check_follows_every_change_of_a_clients_emails() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp-emails")).await;
    let other = app.tenant(&slug("imp-emails-b")).await;
    let tok = &t.owner_token;
    let a = client_with_emails(&app, tok, "Alfa", json!(["a1@x.example", "a2@x.example"])).await;
    let b = client_with_emails(&app, tok, "Beta", json!(["b@x.example"])).await;
    index_matches(&app, t.id, "creating").await;
    assert!(import_finds_duplicate(&app, tok, "a2@x.example").await);
    assert!(
        !import_finds_duplicate(&app, &other.owner_token, "a2@x.example").await,
        "another tenant's e-mail"
    );

    let r = app
        .patch(
            &format!("/api/v1/clients/{a}"),
            tok,
            json!({ "emails": ["a1@x.example", "a3@x.example"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    index_matches(&app, t.id, "changing the e-mails").await;
    assert!(!import_finds_duplicate(&app, tok, "a2@x.example").await);
    assert!(import_finds_duplicate(&app, tok, "a3@x.example").await);

    let r = app.delete(&format!("/api/v1/clients/{b}"), tok).await;
    assert!(r.status.is_success(), "{}", r.text);
    index_matches(&app, t.id, "deleting").await;
    assert!(!import_finds_duplicate(&app, tok, "b@x.example").await);
    let restore = format!("/api/v1/clients/{b}/restore");
    let r = app.call(Method::POST, &restore, Some(tok), None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    index_matches(&app, t.id, "restoring").await;
    assert!(import_finds_duplicate(&app, tok, "b@x.example").await);

    let r = app
        .post(
            &format!("/api/v1/clients/{a}/merge"),
            tok,
            json!({ "other_id": b }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    index_matches(&app, t.id, "merging").await;
    let undo = format!(
        "/api/v1/merges/{}/undo",
        r.body["merge_id"].as_str().unwrap_or("")
    );
    let r = app.call(Method::POST, &undo, Some(tok), None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    index_matches(&app, t.id, "undoing the merge").await;

    sqlx::query("DELETE FROM clients WHERE id = $1::uuid")
        .bind(&b)
        .execute(&app.owner)
        .await
        .expect("hard delete");
    index_matches(&app, t.id, "a hard delete").await;
    assert!(!import_finds_duplicate(&app, tok, "b@x.example").await);
    app.stop().await;
}

/// An import run to its end by `drain_jobs`.
async fn imported(app: &TestApp, token: &str, csv: &str) -> Value {
    let r = upload(app, token, csv, false).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    finished(app, token, r.body["id"].as_str().expect("id")).await
}

#[tokio::test]
async fn a_nul_in_a_cell_near_the_end_of_a_large_file_is_that_rows_error_alone() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp-nul")).await;
    let mut csv = String::from("company_name;sector;status\n");
    for i in 1..=600 {
        // Row 590 is line 591; its NUL is in the sector, past the batch of 500.
        let sector = if i == 590 { "re\0tail" } else { "retail" };
        csv.push_str(&format!("Client {i};{sector};lead\n"));
    }
    let done = imported(&app, &t.owner_token, &csv).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["processed_rows"], 600, "{done}");
    assert_eq!(done["imported_rows"], 599, "{done}");
    assert_eq!(done["error_rows"], 1, "{done}");
    assert_eq!(errors(&done), [(591, "sector".to_owned())], "{done}");
    assert_eq!(done["failure_reason"], Value::Null);
    assert_eq!(app.count("clients", t.id).await, 599);
    app.stop().await;
}

#[tokio::test]
async fn a_row_with_more_cells_than_the_header_is_that_rows_error() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp-wide-row")).await;
    let csv = "company_name,sector\nUno,retail\nDos,retail,surplus\nTres\n";
    let done = imported(&app, &t.owner_token, csv).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["imported_rows"], 2, "{done}");
    assert_eq!(errors(&done), [(3, String::new())], "{done}");
    let detail = done["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("3 cells"), "{detail}");
    assert_eq!(app.count("clients", t.id).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn a_file_with_more_than_100_columns_is_refused_at_upload() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp-wide")).await;
    let file = |columns: usize| {
        let mut header = vec!["company_name".to_owned()];
        header.extend((1..columns).map(|i| format!("cf_c{i}")));
        format!("{}\nAcme\n", header.join(","))
    };
    let r = upload(&app, &t.owner_token, &file(101), true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["pointer"], "/columns", "{}", r.text);
    let detail = r.body["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("header line has 101 columns"), "{detail}");
    assert_eq!(app.count("client_imports", t.id).await, 0);
    let r = upload(&app, &t.owner_token, &file(100), true).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "100 columns: {}", r.text);
    app.stop().await;
}

/// The import's job: how often it ran, how often it may, and its status.
async fn job_runs(app: &TestApp, import_id: &str) -> (i32, i32, String) {
    sqlx::query_as(
        "SELECT attempts, max_attempts, status FROM apalis.jobs
          WHERE job_type = $1 AND convert_from(job, 'UTF8')::jsonb ->> 'import_id' = $2",
    )
    .bind(worker::queue::QUEUE)
    .bind(import_id)
    .fetch_one(&app.owner)
    .await
    .expect("the import's job")
}

#[tokio::test]
async fn a_job_that_fails_on_its_data_ends_failed_with_a_reason_after_one_run() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("imp-permanent")).await;
    // A rule the database enforces and validation does not know: every run meets it again.
    sqlx::query("ALTER TABLE clients ADD CONSTRAINT no_refused CHECK (company_name <> 'Refused')")
        .execute(&app.owner)
        .await
        .expect("constraint");
    let r = upload(&app, &t.owner_token, "company_name\nFine\nRefused\n", false).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let import_id = r.body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/imports/{import_id}");

    // The worker runtime itself, which decides whether a failed job runs again.
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = worker::WorkerConfig {
        worker_id: "worker-permanent".into(),
        master_keys: domain::Secret::new(test_master_keys()),
        heartbeat_every: std::time::Duration::from_secs(3600),
        ..worker::WorkerConfig::default()
    };
    let pool = app
        .app_pool_of(worker::connections_for(config.concurrency))
        .await;
    let runtime = tokio::spawn(worker::run(pool, config, listener, async {
        let _ = stop_rx.await;
    }));
    let within = std::time::Duration::from_secs(20);
    eventually("the import to fail", within, || async {
        app.get(&path, &t.owner_token).await.body["status"] == "failed"
    })
    .await;
    // The queue records the job's end after the import's own transaction: on a busy machine
    // a moment later.
    eventually("the job to end failed", within, || async {
        job_runs(&app, &import_id).await.2 == "Failed"
    })
    .await;
    // Long enough for a retry to come round (the first is 2 s after a failure).
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (attempts, max_attempts, status) = job_runs(&app, &import_id).await;
    assert_eq!((attempts, status.as_str()), (1, "Failed"), "one run");
    assert!(attempts >= max_attempts, "{max_attempts} attempts allowed");
    let _ = stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), runtime).await;

    let import = app.get(&path, &t.owner_token).await.body;
    assert_eq!(
        import["failure_reason"],
        "line 3: the database refused the data: \
         new row for relation \"clients\" violates check constraint \"no_refused\"",
        "{import}"
    );
    assert!(import["finished_at"].is_string(), "{import}");
    assert_eq!(app.count("clients", t.id).await, 0, "the batch rolled back");
    app.stop().await;
}

#[tokio::test]
async fn the_export_neutralises_every_text_cell_that_starts_like_a_formula() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("exp-formula")).await;
    let field = json!({ "key": "score", "label": "Score", "field_type": "number" });
    let r = app
        .post("/api/v1/custom-fields", &t.owner_token, field)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let names = [
        "-1+cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "+1-1",
        "=1+1",
        "@SUM(A1)",
    ];
    for name in names {
        let body = json!({ "company_name": name, "phones": ["+34 600 111 222"], "custom_fields": { "score": -5 } });
        let r = app.post("/api/v1/clients", &t.owner_token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text);
    }
    for (separator, sep) in [("comma", ','), ("semicolon", ';')] {
        let path = format!("/api/v1/clients/export.csv?separator={separator}");
        let csv = app.get(&path, &t.owner_token).await.text;
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(sep).collect())
            .collect();
        let mut exported: Vec<&str> = rows.iter().map(|r| r[1]).collect();
        exported.sort_unstable();
        let mut expected: Vec<String> = names.iter().map(|n| format!("'{n}")).collect();
        expected.sort_unstable();
        assert_eq!(exported, expected, "{separator}: {csv}");
        for row in &rows {
            assert_eq!(row[5], "'+34600111222", "a phone is text: {separator}");
            assert_eq!(
                row.last().copied(),
                Some("-5"),
                "a number is bare: {separator}"
            );
        }
    }
    app.stop().await;
}
