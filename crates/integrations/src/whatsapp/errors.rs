//! Reading a Graph API error. Meta asks clients to decide by the error `code`, not by the
//! HTTP status (throttling, for one, often comes back as a 400), so codes known to be
//! temporary are retried whatever the status, and the rest fall back to the status.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::delivery::DeliveryError;
use crate::http;

/// Re-engagement message: more than 24 hours since the customer last wrote.
pub const OUTSIDE_WINDOW: i64 = 131047;

/// Codes that say "not now": service trouble and the rate limits of the app, the business
/// account, the number and the number-recipient pair.
const TEMPORARY: &[i64] = &[
    1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 133004,
];

#[derive(Deserialize)]
struct Envelope {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i64,
    #[serde(default)]
    error_data: Option<ErrorData>,
    #[serde(default)]
    fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

impl GraphError {
    fn describe(&self) -> String {
        let mut text = format!("WhatsApp error {}: {}", self.code, self.message);
        if let Some(details) = self.error_data.as_ref().and_then(|d| d.details.as_deref()) {
            text.push_str(&format!(" ({details})"));
        }
        if let Some(trace) = &self.fbtrace_id {
            text.push_str(&format!(" [fbtrace_id {trace}]"));
        }
        text
    }
}

/// The outcome of a call answered with `status` and `body`.
pub(super) fn classify(status: StatusCode, body: &[u8]) -> DeliveryError {
    let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
        let text = String::from_utf8_lossy(body);
        return http::by_status(status, text.chars().take(300).collect::<String>().trim());
    };
    let reason = error.describe();
    if error.code == OUTSIDE_WINDOW {
        DeliveryError::rejected(format!(
            "outside the 24-hour customer service window: only an approved template can reopen the conversation; {reason}"
        ))
    } else if TEMPORARY.contains(&error.code) {
        DeliveryError::transient(reason, false)
    } else {
        http::by_status(status, &reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i64) -> Vec<u8> {
        format!(r#"{{"error":{{"message":"(#{code}) x","type":"OAuthException","code":{code},"fbtrace_id":"Az"}}}}"#)
            .into_bytes()
    }

    #[test]
    fn the_window_error_is_a_clear_rejection() {
        let e = classify(StatusCode::BAD_REQUEST, &error(131047));
        assert!(!e.is_retryable());
        assert!(e.reason().contains("24-hour"), "{e}");
        assert!(
            e.reason().contains("131047") && e.reason().contains("fbtrace_id Az"),
            "{e}"
        );
    }

    #[test]
    fn throttling_in_a_400_is_retried_and_other_400s_are_not() {
        assert!(classify(StatusCode::BAD_REQUEST, &error(130429)).is_retryable());
        assert!(!classify(StatusCode::BAD_REQUEST, &error(100)).is_retryable());
        assert!(!classify(StatusCode::UNAUTHORIZED, &error(190)).is_retryable());
    }

    #[test]
    fn a_body_that_is_not_a_graph_error_falls_back_to_the_status() {
        assert!(classify(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>").maybe_sent());
        assert!(!classify(StatusCode::FORBIDDEN, b"").is_retryable());
    }
}
