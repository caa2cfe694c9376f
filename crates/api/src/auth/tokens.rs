//! Access tokens: EdDSA (Ed25519) JWTs, one pinned algorithm, `iss`/`aud`/`exp`/`nbf`/`iat`/`kid`
//! checked.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How far the clocks of the issuing and the verifying pods may disagree: `exp` is honoured this
/// long after it passes, and a token whose `nbf` or `iat` lies further in the future is refused.
pub const CLOCK_LEEWAY: Duration = Duration::from_secs(30);

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: Uuid,
    /// The tenant.
    pub tid: Uuid,
    /// The sign-in session (refresh-token family).
    pub sid: Uuid,
    /// Issued at; required (a token without it does not parse), and not in the future.
    pub iat: u64,
    pub exp: u64,
    pub jti: Uuid,
}

/// Signs and verifies access tokens; publishes the public keys as a JWKS.
pub struct TokenKeys {
    signing: EncodingKey,
    kid: String,
    verifying: HashMap<String, DecodingKey>,
    jwks: serde_json::Value,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("CRM_JWT_PRIVATE_KEY is not a PKCS#8 PEM Ed25519 private key: {0}")]
    Private(String),
    #[error("CRM_JWT_PREVIOUS_PUBLIC_KEYS holds a key that is not a PEM Ed25519 public key: {0}")]
    Public(String),
}

/// A fresh Ed25519 key as PKCS#8 PEM (development only).
pub fn generate_private_key_pem() -> String {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    key.to_pkcs8_pem(Default::default())
        .map(|pem| pem.to_string())
        .unwrap_or_default()
}

/// The key id of a public key: the first 16 hex digits of its SHA-256.
fn kid_of(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

fn jwk(kid: &str, public: &VerifyingKey) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(public.as_bytes()),
    })
}

impl TokenKeys {
    pub fn new(
        private_pem: &str,
        previous_public_pems: &[String],
        issuer: &str,
        audience: &str,
        ttl: Duration,
    ) -> Result<Self, KeyError> {
        let signing_key = SigningKey::from_pkcs8_pem(private_pem)
            .map_err(|e| KeyError::Private(e.to_string()))?;
        let der = signing_key
            .to_pkcs8_der()
            .map_err(|e| KeyError::Private(e.to_string()))?;
        let signing = EncodingKey::from_ed_der(der.as_bytes());
        let mut publics = vec![signing_key.verifying_key()];
        for pem in previous_public_pems {
            publics.push(
                VerifyingKey::from_public_key_pem(pem)
                    .map_err(|e| KeyError::Public(e.to_string()))?,
            );
        }
        let mut verifying = HashMap::new();
        let mut keys = Vec::new();
        for public in &publics {
            let kid = kid_of(public);
            let x = URL_SAFE_NO_PAD.encode(public.as_bytes());
            let decoding =
                DecodingKey::from_ed_components(&x).map_err(|e| KeyError::Public(e.to_string()))?;
            verifying.insert(kid.clone(), decoding);
            keys.push(jwk(&kid, public));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY.as_secs();
        Ok(Self {
            signing,
            kid: kid_of(&publics[0]),
            verifying,
            jwks: serde_json::json!({ "keys": keys }),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JSON Web Key Set of every key that verifies tokens.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// Issues an access token for a user's session.
    pub fn issue(&self, tenant: Uuid, user: Uuid, session: Uuid) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user,
            tid: tenant,
            sid: session,
            iat: now,
            exp: now + self.ttl.as_secs(),
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.signing)?)
    }

    /// Verifies signature, algorithm, `kid`, `iss`, `aud`, `exp`, `nbf` and `iat`; None on any
    /// failure.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA {
            return None;
        }
        let key = self.verifying.get(header.kid.as_deref()?)?;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .ok()?
            .claims;
        // jsonwebtoken checks `nbf` but not `iat`: a token "issued" later than now (beyond
        // the leeway) was not issued by a pod with a sane clock.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        (claims.iat <= now.saturating_add(CLOCK_LEEWAY.as_secs())).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pem: &str, previous: &[String]) -> TokenKeys {
        TokenKeys::new(pem, previous, "crm", "crm-api", Duration::from_secs(900)).expect("keys")
    }

    #[test]
    fn issue_and_verify() {
        let k = keys(&generate_private_key_pem(), &[]);
        let (t, u, s) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let token = k.issue(t, u, s).expect("token");
        let claims = k.verify(&token).expect("valid");
        assert_eq!((claims.tid, claims.sub, claims.sid), (t, u, s));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn rotation_keeps_old_tokens_valid() {
        let old_pem = generate_private_key_pem();
        let old = keys(&old_pem, &[]);
        let token = old
            .issue(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7())
            .expect("token");
        let old_public = SigningKey::from_pkcs8_pem(&old_pem)
            .expect("key")
            .verifying_key();
        use ed25519_dalek::pkcs8::EncodePublicKey;
        let old_public_pem = old_public
            .to_public_key_pem(Default::default())
            .expect("pem");
        let new = keys(&generate_private_key_pem(), &[old_public_pem]);
        assert!(new.verify(&token).is_some());
        assert_eq!(new.jwks()["keys"].as_array().map(Vec::len), Some(2));
        let unrelated = keys(&generate_private_key_pem(), &[]);
        assert!(unrelated.verify(&token).is_none());
    }

    /// `nbf` and `iat` in the future are refused beyond the clock leeway and accepted within.
    #[test]
    fn future_nbf_and_iat() {
        let k = keys(&generate_private_key_pem(), &[]);
        let token = k
            .issue(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7())
            .expect("token");
        let claims = k.verify(&token).expect("valid");
        let sign = |claims: serde_json::Value| {
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(k.kid.clone());
            jsonwebtoken::encode(&header, &claims, &k.signing).expect("sign")
        };
        let now = claims.iat;
        let at = |field: &str, secs: u64| {
            let mut v = serde_json::to_value(&claims).expect("json");
            v[field] = secs.into();
            v["exp"] = (secs + 900).into();
            sign(v)
        };
        assert!(k.verify(&at("iat", now + 600)).is_none());
        assert!(k.verify(&at("nbf", now + 600)).is_none());
        assert!(k.verify(&at("iat", now + 20)).is_some());
        assert!(k.verify(&at("nbf", now + 20)).is_some());
        assert!(k.verify(&at("nbf", now - 20)).is_some());
        let mut no_iat = serde_json::to_value(&claims).expect("json");
        no_iat.as_object_mut().expect("object").remove("iat");
        assert!(k.verify(&sign(no_iat)).is_none());
    }

    #[test]
    fn rejects_bad_private_key() {
        assert!(TokenKeys::new("nope", &[], "i", "a", Duration::from_secs(1)).is_err());
    }
}
