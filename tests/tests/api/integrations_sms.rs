//! The Twilio Messages API client against a wiremock Twilio: the exact request, the answer,
//! error mapping, the lookup before a resend, and the callbacks. No database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use integrations::DeliveryError;
use integrations::sms::{
    SmsApi, SmsSettings, SmsStatus, Twilio, parse_inbound, parse_status_callback,
};
use integrations::webhook_signatures::{sign_twilio, verify_twilio};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SID: &str = "AC0123456789abcdef";
const TOKEN: &str = "twilio-auth-token";
const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json";

fn settings(server: &MockServer, from: &str) -> SmsSettings {
    SmsSettings {
        base_url: server.uri(),
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        from: from.into(),
    }
}

fn basic_auth() -> String {
    format!("Basic {}", BASE64.encode(format!("{SID}:{TOKEN}")))
}

/// The request's form body as sorted pairs.
fn form_of(request: &Request) -> Vec<(String, String)> {
    let body = String::from_utf8(request.body.clone()).expect("utf-8 form");
    let url = reqwest::Url::parse(&format!("http://form.invalid/?{body}")).expect("form");
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

fn created(sid: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "sid": sid, "status": "queued", "to": "+34600111222", "from": "+34910000000",
        "body": "Hola", "date_created": "Tue, 14 Nov 2023 22:13:20 +0000", "error_code": null
    }))
}

#[tokio::test]
async fn a_message_is_posted_as_a_form_with_basic_auth_and_returns_its_sid() {
    let server = MockServer::start().await;
    let expected = pairs(&[
        ("To", "+34600111222"),
        ("From", "+34910000000"),
        ("Body", "Hola Ana, tu cita es mañana & a las 10"),
        (
            "StatusCallback",
            "https://crm.example.com/webhooks/sms/status?t=acme",
        ),
    ]);
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", basic_auth().as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(move |r: &Request| form_of(r) == expected)
        .respond_with(created("SM0001"))
        .expect(1)
        .mount(&server)
        .await;
    let sid = Twilio::new()
        .expect("client")
        .send(
            &settings(&server, "+34910000000"),
            "+34600111222",
            "Hola Ana, tu cita es mañana & a las 10",
            Some("https://crm.example.com/webhooks/sms/status?t=acme"),
        )
        .await
        .expect("sent");
    assert_eq!(sid, "SM0001");
}

#[tokio::test]
async fn a_messaging_service_sends_instead_of_a_number() {
    let server = MockServer::start().await;
    let expected = pairs(&[
        ("To", "+34600111222"),
        ("MessagingServiceSid", "MG55"),
        ("Body", "Hi"),
    ]);
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(move |r: &Request| form_of(r) == expected)
        .respond_with(created("SM0002"))
        .expect(1)
        .mount(&server)
        .await;
    let client = Twilio::new().expect("client");
    let sid = client
        .send(&settings(&server, "MG55"), "+34600111222", "Hi", None)
        .await;
    assert_eq!(sid.expect("sent"), "SM0002");
}

async fn outcome(reply: ResponseTemplate) -> DeliveryError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(reply)
        .mount(&server)
        .await;
    let client = Twilio::new().expect("client");
    client
        .send(
            &settings(&server, "+34910000000"),
            "+34600111222",
            "Hi",
            None,
        )
        .await
        .expect_err("not sent")
}

fn twilio_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code, "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status
    }))
}

#[tokio::test]
async fn errors_map_to_rejected_or_transient() {
    let e = outcome(twilio_error(
        400,
        21211,
        "The 'To' number +34600 is not a valid phone number.",
    ))
    .await;
    assert!(
        matches!(&e, DeliveryError::Rejected(r) if r.contains("21211") && r.contains("not a valid phone number")),
        "{e:?}"
    );
    let e = outcome(twilio_error(429, 20429, "Too Many Requests")).await;
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
    let e = outcome(ResponseTemplate::new(500)).await;
    assert!(matches!(e, DeliveryError::Transient { .. }), "{e:?}");
    let e = outcome(twilio_error(503, 20503, "Service unavailable")).await;
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
    let e = outcome(twilio_error(401, 20003, "Authenticate")).await;
    assert!(matches!(e, DeliveryError::Rejected(_)), "{e:?}");
}

#[tokio::test]
async fn the_lookup_finds_a_queued_copy_of_the_same_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MESSAGES))
        .and(header("authorization", basic_auth().as_str()))
        .and(query_param("To", "+34600111222"))
        .and(query_param("From", "+34910000000"))
        .and(query_param("PageSize", "50"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": [
                { "sid": "SM_other", "body": "Another text", "status": "delivered",
                  "date_created": "Tue, 14 Nov 2023 22:14:00 +0000", "date_sent": "Tue, 14 Nov 2023 22:14:01 +0000" },
                { "sid": "SM_queued", "body": "Hi", "status": "queued",
                  "date_created": "Tue, 14 Nov 2023 22:13:25 +0000", "date_sent": null },
                { "sid": "SM_yesterday", "body": "Hi", "status": "delivered",
                  "date_created": "Mon, 13 Nov 2023 22:13:25 +0000", "date_sent": "Mon, 13 Nov 2023 22:13:26 +0000" }
            ],
            "next_page_uri": null, "page": 0, "page_size": 50
        })))
        .mount(&server)
        .await;
    let client = Twilio::new().expect("client");
    let s = settings(&server, "+34910000000");
    // 1700000000 = Tue, 14 Nov 2023 22:13:20 +0000
    let found = client
        .find_sent(&s, "+34600111222", "Hi", 1_700_000_000)
        .await
        .expect("lookup");
    assert_eq!(found.as_deref(), Some("SM_queued"));
    let none = client
        .find_sent(&s, "+34600111222", "Bye", 1_700_000_000)
        .await
        .expect("lookup");
    assert_eq!(none, None);
}

#[tokio::test]
async fn a_failed_lookup_never_claims_a_send() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(MESSAGES))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let client = Twilio::new().expect("client");
    let e = client
        .find_sent(&settings(&server, "+34910000000"), "+34600111222", "Hi", 0)
        .await
        .expect_err("lookup failed");
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
}

#[test]
fn signed_callbacks_parse_into_statuses_and_inbound_messages() {
    let url = "https://crm.example.com/webhooks/sms/status?t=acme";
    let status = pairs(&[
        ("AccountSid", SID),
        ("MessageSid", "SM0001"),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30003"),
        ("To", "+34600111222"),
        ("From", "+34910000000"),
        ("ApiVersion", "2010-04-01"),
    ]);
    let signature = sign_twilio(TOKEN, url, &status);
    assert!(verify_twilio(TOKEN, url, &status, Some(&signature)));
    assert!(!verify_twilio(
        "other-token",
        url,
        &status,
        Some(&signature)
    ));
    let update = parse_status_callback(&status).expect("status");
    assert_eq!(update.sid, "SM0001");
    assert_eq!(update.status, SmsStatus::Undelivered);
    assert!(update.status.is_failure());
    assert_eq!(update.error_code.as_deref(), Some("30003"));

    let inbound = pairs(&[
        ("MessageSid", "SM9"),
        ("From", "+34600111222"),
        ("To", "+34910000000"),
        ("Body", "STOP, gracias"),
        ("NumMedia", "0"),
    ]);
    let sms = parse_inbound(&inbound).expect("inbound");
    assert_eq!(
        (
            sms.sid.as_str(),
            sms.from.as_str(),
            sms.to.as_str(),
            sms.body.as_str()
        ),
        ("SM9", "+34600111222", "+34910000000", "STOP, gracias")
    );
}
