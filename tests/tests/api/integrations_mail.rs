//! E-mail through `SmtpMailer` to a real SMTP server on the loopback: the message's shape on
//! the wire, and how each kind of failure reads. No database.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use integrations::DeliveryError;
use integrations::mail::{
    MailTransport, OutgoingMail, SmtpMailer, SmtpSecurity, SmtpSettings, message_id_for,
};
use tests::smtp_server::{Received, Reply, SmtpServer, Step};

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: Some("crm-sender".into()),
        password: Some("s3cret pass".into()),
        from_address: "ventas@acme.example".into(),
        from_name: Some("Acme Ventas".into()),
        timeout: Duration::from_secs(5),
    }
}

const SUBJECT: &str = "Propuesta nº 42 — revisión";

fn mail() -> OutgoingMail {
    OutgoingMail {
        message_id: message_id_for("0190f7a2-5b1c-7c3e-9d2a-1b2c3d4e5f60", "mail.acme.example"),
        to: "ana@cliente.example".into(),
        to_name: Some("Ana Pérez".into()),
        subject: SUBJECT.into(),
        text: "Hola Ana,\n.a line that starts with a dot\nUn saludo".into(),
        html: Some("<p>Hola <b>Ana</b></p>".into()),
        in_reply_to: Some("<parent@cliente.example>".into()),
        references: vec![
            "<root@acme.example>".into(),
            "<parent@cliente.example>".into(),
        ],
        attachments: vec![],
    }
}

/// The header block, unfolded, as (lower-case name, value) pairs; and the body.
fn split(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\r\n\r\n").expect("headers and body");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a folded line follows a header");
            last.1.push(' ');
            last.1.push_str(line.trim_start());
        } else {
            let (name, value) = line.split_once(':').expect("a header");
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

/// Decodes a header of plain words and RFC 2047 `=?utf-8?b?...?=` words (what lettre
/// writes); white space between two encoded words is not part of the text.
fn decode_words(value: &str) -> String {
    let mut text = String::new();
    let mut last_encoded = false;
    for (i, word) in value.split(' ').enumerate() {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .and_then(|w| w.strip_suffix("?="));
        if i > 0 && !(last_encoded && encoded.is_some()) {
            text.push(' ');
        }
        match encoded {
            Some(b64) => {
                let bytes = BASE64.decode(b64).expect("base64");
                text.push_str(&String::from_utf8(bytes).expect("utf-8"));
            }
            None => text.push_str(word),
        }
        last_encoded = encoded.is_some();
    }
    text
}

/// The parts of a multipart body: (their headers, their body).
fn parts(body: &str, boundary: &str) -> Vec<(Vec<(String, String)>, String)> {
    let delimiter = format!("--{boundary}");
    body.split(&delimiter)
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|p| split(p.trim_start_matches("\r\n")))
        .collect()
}

fn received_one(server: &SmtpServer) -> Received {
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    got.into_iter().next().expect("one")
}

#[tokio::test]
async fn a_text_and_html_mail_arrives_with_its_threading_headers() {
    let server = SmtpServer::start().await;
    SmtpMailer::new()
        .send(&settings(server.port), &mail())
        .await
        .expect("sent");
    let got = server.wait_for(1, Duration::from_secs(5)).await.remove(0);
    assert_eq!(got.from, "ventas@acme.example");
    assert_eq!(got.to, vec!["ana@cliente.example".to_owned()]);
    assert_eq!(
        server.logins(),
        vec![("crm-sender".to_owned(), "s3cret pass".to_owned())]
    );

    let (headers, body) = split(&got.data);
    assert_eq!(
        header(&headers, "message-id"),
        "<0190f7a2-5b1c-7c3e-9d2a-1b2c3d4e5f60@mail.acme.example>"
    );
    assert_eq!(header(&headers, "in-reply-to"), "<parent@cliente.example>");
    assert_eq!(
        header(&headers, "references"),
        "<root@acme.example> <parent@cliente.example>"
    );
    assert!(header(&headers, "from").contains("<ventas@acme.example>"));
    assert!(header(&headers, "to").contains("<ana@cliente.example>"));
    assert!(!header(&headers, "date").is_empty());
    let subject = header(&headers, "subject");
    assert!(subject.is_ascii(), "the subject must be encoded: {subject}");
    assert_eq!(decode_words(subject), SUBJECT);

    let content_type = header(&headers, "content-type");
    assert!(
        content_type.starts_with("multipart/alternative;"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("boundary")
        .trim_matches('"');
    let parts = parts(&body, boundary);
    assert_eq!(parts.len(), 2, "{body}");
    assert!(header(&parts[0].0, "content-type").starts_with("text/plain"));
    assert!(
        parts[0]
            .1
            .contains("\r\n.a line that starts with a dot\r\n"),
        "{:?}",
        parts[0].1
    );
    assert!(header(&parts[1].0, "content-type").starts_with("text/html"));
    assert!(
        parts[1].1.contains("<p>Hola <b>Ana</b></p>"),
        "{:?}",
        parts[1].1
    );
}

#[tokio::test]
async fn a_text_only_mail_is_a_single_plain_part_without_threading_headers() {
    let server = SmtpServer::start().await;
    let mut m = mail();
    m.html = None;
    m.in_reply_to = None;
    m.references = vec![];
    let mut s = settings(server.port);
    s.username = None;
    s.password = None;
    SmtpMailer::new().send(&s, &m).await.expect("sent");
    let (headers, _) = split(&received_one(&server).data);
    assert!(header(&headers, "content-type").starts_with("text/plain"));
    assert!(
        !headers
            .iter()
            .any(|(n, _)| n == "in-reply-to" || n == "references"),
        "{headers:?}"
    );
    assert!(server.logins().is_empty());
}

#[tokio::test]
async fn a_permanent_refusal_is_rejected_and_a_temporary_one_is_retried() {
    let server = SmtpServer::start().await;
    let mailer = SmtpMailer::new();
    let s = settings(server.port);

    server.set_reply(
        Step::Rcpt,
        Some(Reply::Code(550, "5.1.1 no such user".into())),
    );
    let e = mailer.send(&s, &mail()).await.expect_err("refused");
    assert!(
        matches!(&e, DeliveryError::Rejected(r) if r.contains("no such user")),
        "{e:?}"
    );

    server.set_reply(
        Step::Rcpt,
        Some(Reply::Code(450, "4.2.1 mailbox busy".into())),
    );
    let e = mailer.send(&s, &mail()).await.expect_err("deferred");
    assert!(
        matches!(&e, DeliveryError::Transient { maybe_sent: false, reason } if reason.contains("busy")),
        "{e:?}"
    );

    server.set_reply(Step::Rcpt, None);
    server.set_reply(Step::Message, Some(Reply::Code(554, "5.7.1 spam".into())));
    let e = mailer.send(&s, &mail()).await.expect_err("refused content");
    assert!(matches!(e, DeliveryError::Rejected(_)), "{e:?}");

    server.set_reply(
        Step::Message,
        Some(Reply::Code(451, "4.3.0 try later".into())),
    );
    let e = mailer
        .send(&s, &mail())
        .await
        .expect_err("deferred content");
    assert!(
        matches!(
            e,
            DeliveryError::Transient {
                maybe_sent: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(server.received().is_empty(), "nothing was accepted");
}

#[tokio::test]
async fn a_connection_dropped_after_the_content_may_have_delivered() {
    let server = SmtpServer::start().await;
    server.set_reply(Step::Message, Some(Reply::Drop));
    let e = SmtpMailer::new()
        .send(&settings(server.port), &mail())
        .await
        .expect_err("no answer");
    assert!(
        matches!(
            e,
            DeliveryError::Transient {
                maybe_sent: true,
                ..
            }
        ),
        "{e:?}"
    );
    // The server did take it: this is why the caller must check before resending.
    assert_eq!(
        received_one(&server).to,
        vec!["ana@cliente.example".to_owned()]
    );
}

#[tokio::test]
async fn no_server_or_a_silent_one_is_transient_and_surely_unsent() {
    let e = SmtpMailer::new()
        .send(&settings(tests::free_port()), &mail())
        .await
        .expect_err("refused connection");
    assert!(
        matches!(
            e,
            DeliveryError::Transient {
                maybe_sent: false,
                ..
            }
        ),
        "{e:?}"
    );

    // Accepts the connection but never greets.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let mut s = settings(port);
    s.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let e = SmtpMailer::new()
        .send(&s, &mail())
        .await
        .expect_err("timeout");
    assert!(
        matches!(
            e,
            DeliveryError::Transient {
                maybe_sent: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}
