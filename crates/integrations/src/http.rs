//! What the HTTP providers share: one way to build their client, and one reading of a failed
//! call as a [`DeliveryError`].

use std::time::Duration;

use reqwest::StatusCode;

use crate::delivery::DeliveryError;
use crate::tls::{TlsSetupError, http_client_builder};

/// Time to open a connection (TCP and TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole call, answer included.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The client of a provider's API: our TLS, bounded waits, no redirects (an API that
/// redirects a POST is misconfigured, and following it could send twice).
pub(crate) fn api_client() -> Result<reqwest::Client, TlsSetupError> {
    http_client_builder()?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| TlsSetupError::from_message(e.to_string()))
}

/// A call that got no answer. Before the connection was made nothing was sent; after it,
/// the request may have reached the provider (a timeout while waiting for the answer).
pub(crate) fn call_failed(e: &reqwest::Error) -> DeliveryError {
    if e.is_builder() {
        return DeliveryError::rejected(format!("invalid request (check the settings): {e}"));
    }
    let maybe_sent = !e.is_connect();
    DeliveryError::transient(format!("no answer from the provider: {e}"), maybe_sent)
}

/// An answer that is not a success, read by its status: 408 and 429 ask to come back
/// later, other 4xx refuse for good, 5xx are undecided. 500, 502 and 504 may come after the
/// provider (or the one behind its gateway) acted, so they say `maybe_sent`; 503 says the
/// service did not take it.
pub(crate) fn by_status(status: StatusCode, detail: &str) -> DeliveryError {
    let reason = format!("HTTP {}: {detail}", status.as_u16());
    match status.as_u16() {
        408 | 429 => DeliveryError::transient(reason, false),
        400..=499 => DeliveryError::rejected(reason),
        503 => DeliveryError::transient(reason, false),
        500..=599 => DeliveryError::transient(reason, true),
        _ => DeliveryError::transient(reason, true),
    }
}

/// A success whose body we cannot read: the provider took the message, but we lack its id.
pub(crate) fn unreadable_success(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::transient(format!("accepted but the answer was unreadable: {e}"), true)
}

/// Reads the answer's body; a body cut short counts as a call that got no answer.
pub(crate) async fn body_of(
    res: reqwest::Response,
) -> Result<(StatusCode, Vec<u8>), DeliveryError> {
    let status = res.status();
    match res.bytes().await {
        Ok(b) => Ok((status, b.to_vec())),
        Err(e) if status.is_success() => Err(unreadable_success(e)),
        Err(e) => Err(call_failed(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(code: u16) -> (bool, bool) {
        let e = by_status(StatusCode::from_u16(code).expect("status"), "x");
        (e.is_retryable(), e.maybe_sent())
    }

    #[test]
    fn statuses_map_to_retry_and_maybe_sent() {
        assert_eq!(kind(400), (false, false));
        assert_eq!(kind(401), (false, false));
        assert_eq!(kind(404), (false, false));
        assert_eq!(kind(408), (true, false));
        assert_eq!(kind(429), (true, false));
        assert_eq!(kind(500), (true, true));
        assert_eq!(kind(502), (true, true));
        assert_eq!(kind(503), (true, false));
        assert_eq!(kind(504), (true, true));
        assert!(
            by_status(StatusCode::BAD_REQUEST, "bad 'To'")
                .reason()
                .contains("HTTP 400: bad 'To'")
        );
    }
}
