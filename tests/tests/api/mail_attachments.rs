//! E-mails with files (a proposal's PDF): stored with the message in its transaction, sent by
//! the worker through a real SMTP server on the loopback as `multipart/mixed` with each file
//! in base64, the same bytes on every attempt; only an e-mail may carry files.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use db::TenantTx;
use db::audit::Actor;
use services::communications::channels::Platform;
use services::communications::{Attachment, NewMessage, send_with_attachments};
use services::proposals::pdf::{PdfDocument, PdfSection, render};
use services::{Error, Scope};
use tests::mail_message::Entity;
use tests::smtp_server::{Received, Reply, SmtpServer, Step as SmtpStep};
use tests::*;
use uuid::Uuid;

use super::communications::{client, email_channel};

/// A worker for e-mail that may use the loopback server.
fn mail_worker(app: &TestApp) -> worker::WorkerCtx {
    app.worker_ctx_with(Platform {
        whatsapp_base_url: format!("http://127.0.0.1:{}", free_port()),
        sms_base_url: format!("http://127.0.0.1:{}", free_port()),
        smtp_timeout: Duration::from_secs(5),
        allow_internal_smtp: true,
        ..Platform::default()
    })
}

/// A small real proposal PDF.
fn proposal_pdf() -> Vec<u8> {
    render(&PdfDocument {
        title: "Propuesta de suministro".into(),
        issuer: "Acme Ibérica".into(),
        client: "Tienda & Hijos".into(),
        meta: vec![("Referencia".into(), "PRO-3".into())],
        sections: vec![PdfSection {
            title: "Alcance".into(),
            body: "Suministro anual.".into(),
        }],
        columns: [
            "Descripción",
            "Cantidad",
            "Precio",
            "Dto. %",
            "IVA %",
            "Importe",
        ]
        .map(str::to_owned),
        lines: vec![["Cajas", "2", "500,00 €", "0", "21", "1.000,00 €"].map(str::to_owned)],
        totals: vec![("Total".into(), "1.210,00 €".into())],
        footer: "Propuesta 3 · versión 1".into(),
    })
}

/// Sends `input` with `files` to client `client` as the worker's system actor would, and
/// commits; the message's id, or the refusal.
async fn send_files(
    app: &TestApp,
    ctx: &worker::WorkerCtx,
    tenant: Uuid,
    client: Uuid,
    input: NewMessage,
    files: Vec<Attachment>,
) -> Result<Uuid, Error> {
    let mut tx = TenantTx::begin(&app.app_pool, tenant).await.expect("tx");
    let cipher = db::crypto::tenant_cipher(&mut tx, &ctx.master_keys)
        .await
        .expect("cipher");
    let mut scope = Scope::new(tx, Actor::system());
    let sent = send_with_attachments(&mut scope, &cipher, client, input, files).await?;
    scope.commit().await.expect("commit");
    Ok(sent.id)
}

/// The message's delivery job, run once.
async fn run_delivery(app: &TestApp, ctx: &worker::WorkerCtx, id: Uuid) -> anyhow::Result<()> {
    let bytes: Vec<u8> = sqlx::query_scalar(
        "SELECT job FROM apalis.jobs
          WHERE job_type = $1 AND idempotency_key = 'deliver-' || $2",
    )
    .bind(worker::queue::QUEUE)
    .bind(id.to_string())
    .fetch_one(&app.owner)
    .await
    .expect("the message's delivery job");
    let job: worker::Job = serde_json::from_slice(&bytes).expect("a job this build knows");
    worker::run_job(ctx, &job).await
}

/// Checks a received mail's structure and returns its attachment's file name and bytes.
fn attachment_of(mail: &Received) -> (String, Vec<u8>) {
    let mail = Entity::parse(&mail.data);
    assert!(
        mail.header("content-type").starts_with("multipart/mixed"),
        "{}",
        mail.header("content-type")
    );
    let parts = mail.parts();
    assert_eq!(parts.len(), 2, "{}", mail.body);
    assert!(
        parts[0]
            .header("content-type")
            .starts_with("multipart/alternative"),
        "the body comes first: {}",
        parts[0].header("content-type")
    );
    let body = parts[0].parts();
    assert_eq!(body[0].text(), "Adjunto la propuesta.\n\nUn saludo");
    let file = &parts[1];
    assert_eq!(file.header("content-type"), "application/pdf");
    assert_eq!(file.header("content-transfer-encoding"), "base64");
    let disposition = file.header("content-disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let name = disposition
        .split("filename=")
        .nth(1)
        .expect("a file name")
        .trim_matches('"')
        .to_owned();
    let bytes = BASE64
        .decode(file.body.split_whitespace().collect::<String>())
        .expect("base64 content");
    (name, bytes)
}

fn email(subject: &str) -> NewMessage {
    NewMessage {
        channel: "email".into(),
        subject: Some(subject.into()),
        body: Some("Adjunto la propuesta.\n\nUn saludo".into()),
        ..NewMessage::default()
    }
}

#[tokio::test]
async fn a_pdf_goes_with_the_email_and_every_attempt_sends_the_same_bytes() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("att")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client = Uuid::parse_str(&client(&app, tok, "Tienda & Hijos", serde_json::json!({})).await)
        .expect("uuid");
    let ctx = mail_worker(&app);
    let pdf = proposal_pdf();
    assert!(pdf.starts_with(b"%PDF-"));
    let file = Attachment {
        filename: "PRO-3.pdf".into(),
        content_type: "application/pdf".into(),
        content: pdf.clone(),
    };
    let id = send_files(
        &app,
        &ctx,
        t.id,
        client,
        email("Propuesta PRO-3"),
        vec![file],
    )
    .await
    .expect("queued");
    let stored: Vec<(i16, String, Vec<u8>)> = sqlx::query_as(
        "SELECT position, filename, content FROM communication_attachments
          WHERE tenant_id = $1 AND communication_id = $2",
    )
    .bind(t.id)
    .bind(id)
    .fetch_all(&app.owner)
    .await
    .expect("attachments");
    assert_eq!(stored, vec![(0, "PRO-3.pdf".to_owned(), pdf.clone())]);
    assert!(smtp.received().is_empty(), "nothing is sent in the request");

    // The first attempt's answer is lost after the content went out: it is sent again.
    smtp.set_reply(SmtpStep::Message, Some(Reply::Drop));
    let first = run_delivery(&app, &ctx, id).await;
    assert!(first.is_err(), "the outcome is unknown: retried");
    smtp.set_reply(SmtpStep::Message, None);
    run_delivery(&app, &ctx, id).await.expect("sent");
    let received = smtp.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 2);
    for mail in &received {
        let (name, bytes) = attachment_of(mail);
        assert_eq!(name, "PRO-3.pdf");
        assert_eq!(bytes, pdf, "the attachment arrives byte for byte");
    }
    let status: String = sqlx::query_scalar("SELECT status FROM communications WHERE id = $1")
        .bind(id)
        .fetch_one(&app.owner)
        .await
        .expect("status");
    assert_eq!(status, "sent");
    app.stop().await;
}

#[tokio::test]
async fn only_an_email_carries_files_and_a_plain_email_has_none() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("att")).await;
    let tok = &t.owner_token;
    let smtp = SmtpServer::start().await;
    email_channel(&app, tok, smtp.port).await;
    let client =
        Uuid::parse_str(&client(&app, tok, "Tienda", serde_json::json!({})).await).expect("uuid");
    let ctx = mail_worker(&app);
    let file = || Attachment {
        filename: "PRO-3.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.7".to_vec(),
    };
    let sms = NewMessage {
        channel: "sms".into(),
        body: Some("Le enviamos la propuesta".into()),
        ..NewMessage::default()
    };
    let refused = send_files(&app, &ctx, t.id, client, sms, vec![file()]).await;
    match refused {
        Err(Error::Invalid(problems)) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].pointer, "/channel");
        }
        other => panic!("expected a refusal of /channel, got {other:?}"),
    }
    let mut bad = file();
    bad.filename = "../../etc/passwd".into();
    let refused = send_files(&app, &ctx, t.id, client, email("x"), vec![bad]).await;
    assert!(
        matches!(&refused, Err(Error::Invalid(p)) if p[0].pointer == "/attachments/0/filename"),
        "{refused:?}"
    );
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM communication_attachments WHERE tenant_id = $1")
            .bind(t.id)
            .fetch_one(&app.owner)
            .await
            .expect("count");
    assert_eq!(rows, 0, "a refused message stores nothing");

    // Without files an e-mail stays a text and HTML message, as before.
    let id = send_files(&app, &ctx, t.id, client, email("Hola"), vec![])
        .await
        .expect("queued");
    run_delivery(&app, &ctx, id).await.expect("sent");
    let received = smtp.wait_for(1, Duration::from_secs(5)).await;
    let mail = Entity::parse(&received[0].data);
    assert!(
        mail.header("content-type")
            .starts_with("multipart/alternative"),
        "{}",
        mail.header("content-type")
    );
    app.stop().await;
}
