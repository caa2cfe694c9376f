//! The public link a client opens a sent proposal with, without an account:
//! `/p/<tenant>/<proposal>?e=<expiry>&s=<signature>`. The signature is the tenant's keyed hash
//! of the proposal's id and the link's expiry (the end of the proposal's last valid day), so a
//! forged, altered or expired link opens nothing.

use chrono::{DateTime, NaiveDate, Utc};
use db::crypto::TenantCipher;
use serde::Serialize;
use uuid::Uuid;

use crate::{Error, signed_link};

fn claim(id: Uuid, expires: i64) -> String {
    format!("proposal:{id}:{expires}")
}

/// When the link of a proposal valid until `valid_until` stops opening: the end of that day
/// (UTC, so that a client anywhere gets the whole day).
pub fn expiry_of(valid_until: NaiveDate) -> DateTime<Utc> {
    let next = valid_until.succ_opt().unwrap_or(valid_until);
    next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// A proposal's public link.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// The public link of proposal `id` of `tenant`, under `base` (the public address, no
/// trailing slash).
pub fn link(
    cipher: &TenantCipher,
    base: &str,
    tenant: Uuid,
    id: Uuid,
    valid_until: NaiveDate,
) -> PublicLink {
    let expires_at = expiry_of(valid_until);
    let e = expires_at.timestamp();
    PublicLink {
        url: format!(
            "{base}/p/{tenant}/{id}?e={e}&s={}",
            signed_link::signature(cipher, &claim(id, e))
        ),
        expires_at,
    }
}

/// Why a link opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed by the tenant for this proposal and expiry (or altered).
    Forged,
    /// Signed, but past its expiry.
    Expired,
}

/// Checks a link's expiry `e` and signature `s` for proposal `id` at `now`.
pub fn check(
    cipher: &TenantCipher,
    id: Uuid,
    e: &str,
    s: &str,
    now: DateTime<Utc>,
) -> std::result::Result<(), Refusal> {
    let expires: i64 = e.parse().map_err(|_| Refusal::Forged)?;
    if !signed_link::verifies(cipher, &claim(id, expires), s) {
        return Err(Refusal::Forged);
    }
    if now.timestamp() >= expires {
        return Err(Refusal::Expired);
    }
    Ok(())
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Forged => Error::NotFound,
            Refusal::Expired => Error::conflict(
                "link-expired",
                "This link has expired; ask for a new proposal.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_expires_at_the_end_of_the_last_valid_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date");
        assert_eq!(expiry_of(day).to_rfc3339(), "2027-01-01T00:00:00+00:00");
    }
}
