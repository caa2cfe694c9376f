//! argon2id password hashing at OWASP's parameters, off the async threads.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// m = 19 MiB, t = 2, p = 1: OWASP's first recommended argon2id setting.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Bounds concurrent hashes so a burst of sign-ins cannot exhaust memory or starve the runtime.
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(4)));

/// A hash of a password nobody has, verified against for unknown users so timing matches.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"no user has this password", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

pub const MIN_LENGTH: usize = 10;

/// The password rule: long enough, not absurdly long.
pub fn check_policy(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        Err("must be at least 10 characters")
    } else if n > 256 {
        Err("must be at most 256 characters")
    } else {
        Ok(())
    }
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.clone().acquire_owned().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Verifies a password; with no stored hash, burns the same time and answers false.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(_permit) = HASHING.clone().acquire_owned().await else {
        return false;
    };
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
    tokio::task::spawn_blocking(move || {
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(!verify("no user has this password".into(), None).await);
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough!").is_ok());
    }
}
