//! Opaque secrets handed to clients (refresh tokens, API keys, invitations), stored as hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// 32 random bytes, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256: enough for high-entropy random secrets (passwords use argon2id).
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A secret that names its tenant, so it can be looked up under row-level security:
/// `<prefix>_<tenant>_<random>` (API keys add their id: `crm_<tenant>_<id>_<random>`).
pub fn with_tenant(prefix: &str, tenant: Uuid, random: &str) -> String {
    format!("{prefix}_{}_{random}", tenant.simple())
}

/// Splits a tenant-scoped secret into tenant and the rest.
pub fn split_tenant<'a>(prefix: &str, token: &'a str) -> Option<(Uuid, &'a str)> {
    let rest = token.strip_prefix(prefix)?.strip_prefix('_')?;
    let (tenant, rest) = rest.split_once('_')?;
    Some((Uuid::try_parse(tenant).ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = Uuid::now_v7();
        let s = with_tenant("rt", t, &random_token());
        let (tenant, rest) = split_tenant("rt", &s).expect("parsed");
        assert_eq!(tenant, t);
        assert_eq!(rest.len(), 43);
        assert!(split_tenant("rt", "rt_nope_x").is_none());
        assert!(split_tenant("crm", &s).is_none());
    }
}
