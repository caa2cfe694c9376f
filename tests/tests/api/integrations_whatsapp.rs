//! The WhatsApp Cloud API client against a wiremock Graph API: the exact request, the
//! answer, error mapping, and the webhook payloads. No database.

use integrations::DeliveryError;
use integrations::webhook_signatures::{sign_meta, verify_meta};
use integrations::whatsapp::{
    MessageStatus, WhatsAppApi, WhatsAppCloud, WhatsAppEvent, WhatsAppMessage, WhatsAppSettings,
    parse_webhook,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NUMBER_ID: &str = "106540352242922";
const TOKEN: &str = "EAAGtest-token";
const MESSAGES: &str = "/v21.0/106540352242922/messages";

fn settings(server: &MockServer) -> WhatsAppSettings {
    let mut s = WhatsAppSettings::new(NUMBER_ID, TOKEN);
    s.base_url = server.uri();
    s
}

fn accepted(wamid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": "34600111222", "wa_id": "34600111222" }],
        "messages": [{ "id": wamid }]
    }))
}

fn graph_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {
            "message": message, "type": "OAuthException", "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": message },
            "fbtrace_id": "AbCdEf"
        }
    }))
}

fn text(body: &str) -> WhatsAppMessage {
    WhatsAppMessage::Text { body: body.into() }
}

#[tokio::test]
async fn a_text_goes_out_in_the_cloud_api_shape_and_returns_the_wamid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "34600111222",
            "type": "text",
            "text": { "preview_url": false, "body": "Hola Ana, ¿hablamos mañana?" },
            "biz_opaque_callback_data": "msg-0190f7a2"
        })))
        .respond_with(accepted("wamid.HBgLMzQ2MDA="))
        .expect(1)
        .mount(&server)
        .await;
    let client = WhatsAppCloud::new().expect("client");
    let wamid = client
        .send(
            &settings(&server),
            "+34 600 111 222",
            &text("Hola Ana, ¿hablamos mañana?"),
            "msg-0190f7a2",
        )
        .await
        .expect("sent");
    assert_eq!(wamid, "wamid.HBgLMzQ2MDA=");
}

#[tokio::test]
async fn a_template_carries_its_language_and_body_parameters() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "34600111222",
            "type": "template",
            "template": {
                "name": "proposal_ready",
                "language": { "code": "es" },
                "components": [{ "type": "body", "parameters": [
                    { "type": "text", "text": "Ana" },
                    { "type": "text", "text": "P-42" }
                ]}]
            },
            "biz_opaque_callback_data": "ref-1"
        })))
        .respond_with(accepted("wamid.T"))
        .expect(1)
        .mount(&server)
        .await;
    let message = WhatsAppMessage::Template {
        name: "proposal_ready".into(),
        language: "es".into(),
        parameters: vec!["Ana".into(), "P-42".into()],
    };
    let client = WhatsAppCloud::new().expect("client");
    let wamid = client
        .send(&settings(&server), "34600111222", &message, "ref-1")
        .await;
    assert_eq!(wamid.expect("sent"), "wamid.T");
}

/// Sends a text to a server answering `reply`.
async fn outcome(reply: ResponseTemplate) -> DeliveryError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(reply)
        .mount(&server)
        .await;
    let client = WhatsAppCloud::new().expect("client");
    client
        .send(&settings(&server), "34600111222", &text("hi"), "r")
        .await
        .expect_err("not sent")
}

#[tokio::test]
async fn the_window_error_is_rejected_with_its_reason() {
    let e = outcome(graph_error(400, 131047, "Re-engagement message")).await;
    let DeliveryError::Rejected(reason) = &e else {
        panic!("{e:?}")
    };
    assert!(
        reason.contains("24-hour customer service window"),
        "{reason}"
    );
    assert!(reason.contains("131047"), "{reason}");
}

#[tokio::test]
async fn server_errors_and_throttling_are_transient_and_bad_requests_are_not() {
    let e = outcome(ResponseTemplate::new(500).set_body_string("oops")).await;
    assert!(matches!(e, DeliveryError::Transient { .. }), "{e:?}");
    let e = outcome(ResponseTemplate::new(429)).await;
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
    // Meta throttles with a 400 and code 130429: the code wins over the status.
    let e = outcome(graph_error(400, 130429, "Rate limit hit")).await;
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
    let e = outcome(graph_error(400, 100, "Invalid parameter")).await;
    assert!(
        matches!(&e, DeliveryError::Rejected(r) if r.contains("Invalid parameter")),
        "{e:?}"
    );
    let e = outcome(graph_error(401, 190, "Access token has expired")).await;
    assert!(matches!(e, DeliveryError::Rejected(_)), "{e:?}");
}

#[tokio::test]
async fn an_unreadable_success_may_have_sent_and_no_server_surely_did_not() {
    let e = outcome(ResponseTemplate::new(200).set_body_string("<html>")).await;
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

    let mut s = WhatsAppSettings::new(NUMBER_ID, TOKEN);
    s.base_url = format!("http://127.0.0.1:{}", tests::free_port());
    let client = WhatsAppCloud::new().expect("client");
    let e = client
        .send(&s, "34600111222", &text("hi"), "r")
        .await
        .expect_err("refused");
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
fn a_signed_webhook_yields_inbound_messages_and_statuses() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550783881", "phone_number_id": NUMBER_ID },
            "contacts": [{ "profile": { "name": "Ana Pérez" }, "wa_id": "34600111222" }],
            "messages": [{
                "from": "34600111222", "id": "wamid.IN1", "timestamp": "1700000000", "type": "text",
                "text": { "body": "Sí, mañana a las 10" },
                "context": { "from": "15550783881", "id": "wamid.OUT0" }
            }],
            "statuses": [
                { "id": "wamid.OUT1", "status": "delivered", "timestamp": "1700000100",
                  "recipient_id": "34600111222", "biz_opaque_callback_data": "msg-1" },
                { "id": "wamid.OUT2", "status": "failed", "timestamp": "1700000200",
                  "recipient_id": "34600111222",
                  "errors": [{ "code": 131026, "title": "Message undeliverable",
                               "error_data": { "details": "Receiver is incapable of receiving this message" } }] }
            ]
        }}]}]
    })
    .to_string();
    let signature = sign_meta(b"app-secret", body.as_bytes());
    assert!(verify_meta(
        b"app-secret",
        body.as_bytes(),
        Some(&signature)
    ));
    assert!(!verify_meta(
        b"app-secret",
        format!("{body} ").as_bytes(),
        Some(&signature)
    ));

    let events = parse_webhook(body.as_bytes()).expect("parse");
    assert_eq!(
        events,
        vec![
            WhatsAppEvent::Inbound {
                phone_number_id: NUMBER_ID.into(),
                from: "34600111222".into(),
                wamid: "wamid.IN1".into(),
                kind: "text".into(),
                text: Some("Sí, mañana a las 10".into()),
                reply_to: Some("wamid.OUT0".into()),
                timestamp: 1_700_000_000,
                profile_name: Some("Ana Pérez".into()),
            },
            WhatsAppEvent::Status {
                phone_number_id: NUMBER_ID.into(),
                wamid: "wamid.OUT1".into(),
                status: MessageStatus::Delivered,
                reason: None,
                timestamp: 1_700_000_100,
                client_reference: Some("msg-1".into()),
            },
            WhatsAppEvent::Status {
                phone_number_id: NUMBER_ID.into(),
                wamid: "wamid.OUT2".into(),
                status: MessageStatus::Failed,
                reason: Some(
                    "131026: Message undeliverable (Receiver is incapable of receiving this message)".into()
                ),
                timestamp: 1_700_000_200,
                client_reference: None,
            },
        ]
    );
}
