//! TLS for outgoing connections: rustls over the ring provider (the one sqlx already builds;
//! no aws-lc C build) with certificates checked against the platform's trust store.
//!
//! reqwest is built with `rustls-no-provider`, so a `reqwest::Client` built the plain way
//! panics unless a provider was installed for the process: [`install_default_provider`] does
//! that (call it first in `main` and in test processes), and [`http_client_builder`] gives a
//! builder that carries its own TLS configuration and needs nothing installed.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls_platform_verifier::BuilderVerifierExt;

/// The TLS configuration could not be built (no usable trust store, for instance).
#[derive(Debug, thiserror::Error)]
#[error("TLS setup failed: {0}")]
pub struct TlsSetupError(String);

impl TlsSetupError {
    pub(crate) fn from_message(message: String) -> Self {
        Self(message)
    }
}

/// The rustls provider every outgoing connection uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's default rustls provider, so clients built without an explicit
/// TLS configuration work. Idempotent; keeps a provider installed earlier.
pub fn install_default_provider() {
    if CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: a provider is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A client configuration: ring, TLS 1.2 and 1.3, the platform's roots, HTTP/1.1 by ALPN.
pub fn client_config() -> Result<rustls::ClientConfig, TlsSetupError> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError(e.to_string()))?
        .with_platform_verifier()
        .map_err(|e| TlsSetupError(e.to_string()))?
        .with_no_client_auth();
    // reqwest is built without HTTP/2 here.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A reqwest builder with [`client_config`] as its TLS: works whether or not a default
/// provider is installed.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, TlsSetupError> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(client_config()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_without_a_process_provider() {
        // The test process never installs one, so this proves the preconfigured path.
        let client = http_client_builder().expect("tls").build();
        assert!(client.is_ok(), "{client:?}");
        let config = client_config().expect("config");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
