//! OAuth 2.0 authorization-code flow (RFC 6749 with PKCE, RFC 7636), as Google, Microsoft
//! and Calendly run it for a user connecting their calendar: the address that asks the user,
//! the exchange of the code for tokens, the refresh of an expired access token and the
//! revocation at disconnect (RFC 7009). Each provider is a [`Provider`] of endpoints and
//! scopes with a configurable base, so tests point it at a local fake.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::http;
use crate::tls::TlsSetupError;

/// Where a provider's OAuth endpoints are and what a calendar connection asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub authorize_url: String,
    pub token_url: String,
    /// RFC 7009 revocation endpoint, where the provider has one.
    pub revoke_url: Option<String>,
    pub scopes: Vec<String>,
    /// Extra parameters of the authorization request (Google's `access_type=offline`).
    pub extra: Vec<(String, String)>,
}

/// The application's registration with a provider.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the user back with the code.
    pub redirect_uri: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// Tokens a token endpoint gave.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    /// Absent on a refresh when the provider keeps the old one.
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: Option<i64>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Why a token call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The grant is no longer good (`invalid_grant`: revoked, expired, or the user changed
    /// their password): the user must connect again.
    #[error("the user must authorize again: {0}")]
    Reauthorize(String),
    /// The provider refused the request for good (a wrong client, a bad redirect).
    #[error("refused: {0}")]
    Refused(String),
    /// No answer, or a 5xx or 429: try later.
    #[error("not answered: {0}")]
    Unavailable(String),
}

/// A PKCE verifier (43 characters of the URL-safe alphabet) and its S256 challenge.
pub fn pkce_pair(random: &[u8; 32]) -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The address that asks the user to let the CRM read and write their calendar; `state`
/// comes back with the code and ties it to this request.
pub fn authorize_url(
    p: &Provider,
    c: &ClientCredentials,
    state: &str,
    challenge: &str,
) -> Result<String, OAuthError> {
    let mut url = reqwest::Url::parse(&p.authorize_url)
        .map_err(|e| OAuthError::Refused(format!("authorize URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &c.client_id)
        .append_pair("redirect_uri", &c.redirect_uri)
        .append_pair("scope", &p.scopes.join(" "))
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(p.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(url.into())
}

/// Calls a provider's token endpoint.
pub struct OAuthClient {
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl OAuthClient {
    pub fn new() -> Result<Self, TlsSetupError> {
        Ok(Self {
            http: http::api_client()?,
        })
    }

    /// Exchanges the code the user came back with (and the request's PKCE verifier).
    pub async fn exchange(
        &self,
        p: &Provider,
        c: &ClientCredentials,
        code: &str,
        verifier: &str,
    ) -> Result<Tokens, OAuthError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", c.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        self.token_call(p, c, &form).await
    }

    /// A new access token from the refresh token.
    pub async fn refresh(
        &self,
        p: &Provider,
        c: &ClientCredentials,
        refresh_token: &str,
    ) -> Result<Tokens, OAuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token_call(p, c, &form).await
    }

    /// Revokes a token at disconnect (RFC 7009). A provider without the endpoint, or a token
    /// it no longer knows (400), counts as revoked.
    pub async fn revoke(
        &self,
        p: &Provider,
        c: &ClientCredentials,
        token: &str,
    ) -> Result<(), OAuthError> {
        let Some(url) = &p.revoke_url else {
            return Ok(());
        };
        let res = self
            .http
            .post(url)
            .form(&[
                ("token", token),
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(e.to_string()))?;
        match res.status().as_u16() {
            200..=299 | 400 => Ok(()),
            429 | 500..=599 => Err(OAuthError::Unavailable(format!("HTTP {}", res.status()))),
            _ => Err(OAuthError::Refused(format!("HTTP {}", res.status()))),
        }
    }

    async fn token_call(
        &self,
        p: &Provider,
        c: &ClientCredentials,
        form: &[(&str, &str)],
    ) -> Result<Tokens, OAuthError> {
        // The client's credentials go in the body (`client_secret_post`), which Google,
        // Microsoft and Calendly all take.
        let mut fields = form.to_vec();
        fields.push(("client_id", c.client_id.as_str()));
        fields.push(("client_secret", c.client_secret.as_str()));
        let res = self
            .http
            .post(&p.token_url)
            .form(&fields)
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(e.to_string()))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| OAuthError::Unavailable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| OAuthError::Unavailable(format!("unreadable tokens: {e}")));
        }
        let err: ErrorBody = serde_json::from_slice(&body).unwrap_or(ErrorBody {
            error: None,
            error_description: None,
        });
        let code = err.error.unwrap_or_default();
        let reason = format!(
            "HTTP {}: {code} {}",
            status.as_u16(),
            err.error_description.unwrap_or_default()
        );
        Err(match (status.as_u16(), code.as_str()) {
            (_, "invalid_grant") => OAuthError::Reauthorize(reason),
            (429 | 500..=599, _) => OAuthError::Unavailable(reason),
            _ => OAuthError::Refused(reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_the_s256_of_the_verifier() {
        // python3 -c 'import hashlib,base64; v=base64.urlsafe_b64encode(bytes([7]*32)).rstrip(b"=");
        //   print(v, base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"="))'
        let (v, c) = pkce_pair(&[7; 32]);
        assert_eq!(v, "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc");
        assert_eq!(c, "3Ev4DHdHPRMPoN6GukAY_pi7IUAF5qWJHRK6kURvnoE");
    }

    #[test]
    fn the_authorization_request_carries_everything_the_provider_needs() {
        let p = Provider {
            authorize_url: "https://accounts.example.com/o/auth?hl=es".into(),
            token_url: "https://accounts.example.com/token".into(),
            revoke_url: None,
            scopes: vec!["openid".into(), "calendar".into()],
            extra: vec![("access_type".into(), "offline".into())],
        };
        let c = ClientCredentials {
            client_id: "crm".into(),
            client_secret: "s".into(),
            redirect_uri: "https://crm.example.com/oauth/calendar".into(),
        };
        let url = authorize_url(&p, &c, "st ate", "ch").expect("url");
        let parsed = reqwest::Url::parse(&url).expect("parse");
        let q: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("hl"), Some("es"), "the base's own query stays");
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("scope"), Some("openid calendar"));
        assert_eq!(get("state"), Some("st ate"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("access_type"), Some("offline"));
        assert_eq!(
            get("redirect_uri"),
            Some("https://crm.example.com/oauth/calendar")
        );
    }
}
