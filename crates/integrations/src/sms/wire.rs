//! Twilio's answers: a created message, an error, and a page of the message list.

use chrono::DateTime;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::delivery::DeliveryError;
use crate::http;

/// Error codes that say "not now" whatever the status: too many requests, and a sender's
/// queue that is full.
const TEMPORARY: &[i64] = &[20429, 21611];

#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// The SID of a created message.
pub(super) fn sent_sid(body: &[u8]) -> Result<String, String> {
    serde_json::from_slice::<Created>(body)
        .map(|c| c.sid)
        .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
    more_info: Option<String>,
}

/// The outcome of a call answered with `status` and `body`.
pub(super) fn classify(status: StatusCode, body: &[u8]) -> DeliveryError {
    let Ok(error) = serde_json::from_slice::<TwilioError>(body) else {
        let text = String::from_utf8_lossy(body);
        return http::by_status(status, text.chars().take(300).collect::<String>().trim());
    };
    let code = error.code.unwrap_or_default();
    let mut reason = format!("Twilio error {code}: {}", error.message.unwrap_or_default());
    if let Some(more) = error.more_info {
        reason.push_str(&format!(" ({more})"));
    }
    if TEMPORARY.contains(&code) {
        DeliveryError::transient(reason, false)
    } else {
        http::by_status(status, &reason)
    }
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<Listed>,
}

#[derive(Deserialize)]
struct Listed {
    sid: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    status: String,
    /// RFC 2822, e.g. `Thu, 24 Aug 2023 05:01:45 +0000`.
    date_created: Option<String>,
}

/// The SID of a message in the page with this body, created at or after `since` (Unix
/// seconds), that went or may still go out (not failed, not canceled).
pub(super) fn find_in_list(page: &[u8], body: &str, since: i64) -> Result<Option<String>, String> {
    let page: Page = serde_json::from_slice(page).map_err(|e| e.to_string())?;
    let found = page.messages.into_iter().find(|m| {
        let created = m
            .date_created
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.timestamp());
        m.body == body
            && created.is_some_and(|t| t >= since)
            && !matches!(m.status.as_str(), "failed" | "canceled")
    });
    Ok(found.map(|m| m.sid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_overflow_code_is_retried_even_in_a_400() {
        let body = br#"{"code":21611,"message":"queue full","more_info":"https://www.twilio.com/docs/errors/21611","status":400}"#;
        let e = classify(StatusCode::BAD_REQUEST, body);
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.reason().contains("21611") && e.reason().contains("docs/errors"),
            "{e}"
        );
    }

    #[test]
    fn the_list_match_needs_body_recent_creation_and_a_live_status() {
        // 1700000000 = Tue, 14 Nov 2023 22:13:20 +0000
        let page = br#"{"messages":[
            {"sid":"SM_old","body":"Hi","status":"delivered","date_created":"Tue, 14 Nov 2023 22:13:19 +0000"},
            {"sid":"SM_failed","body":"Hi","status":"failed","date_created":"Tue, 14 Nov 2023 22:13:30 +0000"},
            {"sid":"SM_other","body":"Bye","status":"queued","date_created":"Tue, 14 Nov 2023 22:13:30 +0000"},
            {"sid":"SM_it","body":"Hi","status":"queued","date_created":"Tue, 14 Nov 2023 22:13:20 +0000"}
        ]}"#;
        assert_eq!(
            find_in_list(page, "Hi", 1_700_000_000)
                .expect("page")
                .as_deref(),
            Some("SM_it")
        );
        assert_eq!(find_in_list(page, "Hi", 1_700_000_100).expect("page"), None);
        assert!(find_in_list(b"[]", "Hi", 0).is_err());
    }
}
