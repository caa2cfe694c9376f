//! argon2id password hashing at OWASP's parameters, off the async threads.
//!
//! Each hash needs 19 MiB of working memory. Allocating and freeing that per hash on tokio's
//! blocking threads made glibc keep a heap of it per thread arena: a burst of sign-ins left
//! `crm serve` at about 1 GiB, twice the api pod's memory limit. So at most [`CONCURRENT`]
//! hashes run at once and they work in buffers kept for reuse: hashing costs at most
//! `CONCURRENT × 19 MiB`, whatever the allocator does.

use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

/// m = 19 MiB, t = 2, p = 1: OWASP's first recommended argon2id setting.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

/// Hashes running at once (each holds one working buffer).
pub const CONCURRENT: usize = 4;

/// A stored hash asking for more memory than this (KiB) is refused rather than computed.
const MAX_M_COST: u32 = 64 * 1024;

/// Bounds concurrent hashes so a burst of sign-ins cannot exhaust memory or starve the runtime.
static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(CONCURRENT)));

/// Working buffers of finished hashes, taken by the next ones (at most [`CONCURRENT`]).
static BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// A hash of a password nobody has, verified against for unknown users so timing matches.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking(b"no user has this password").unwrap_or_default());

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

/// Runs one argon2 computation in a kept buffer of the size `argon` needs.
fn compute(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let mut buffer = BUFFERS
        .lock()
        .map(|mut kept| kept.pop())
        .unwrap_or_default()
        .unwrap_or_default();
    buffer.resize(argon.params().block_count(), Block::default());
    let result = argon.hash_password_into_with_memory(password, salt, out, &mut buffer[..]);
    if let Ok(mut kept) = BUFFERS.lock()
        && kept.len() < CONCURRENT
    {
        kept.push(buffer);
    }
    result
}

/// The PHC string of a new salted hash of `password`.
fn hash_blocking(password: &[u8]) -> anyhow::Result<String> {
    let err = |e: &dyn std::fmt::Display| anyhow::anyhow!("hashing failed: {e}");
    let params = params();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| err(&e))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        compute(&argon, password, salt_bytes, out).map_err(Into::into)
    })
    .map_err(|e| err(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| err(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` produces the stored PHC hash (compared in constant time).
fn verify_blocking(password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    Output::init_with(expected.len(), |out| {
        compute(&argon, password, salt_bytes, out).map_err(Into::into)
    })
    .is_ok_and(|computed| computed == expected)
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.clone().acquire_owned().await?;
    tokio::task::spawn_blocking(move || hash_blocking(password.as_bytes())).await?
}

/// Verifies a password; with no stored hash, burns the same time and answers false.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(_permit) = HASHING.clone().acquire_owned().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_blocking(password.as_bytes(), &stored),
        // The first use computes the dummy hash, here rather than on an async thread.
        None => {
            std::hint::black_box(verify_blocking(password.as_bytes(), &DUMMY_HASH));
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(!verify("no user has this password".into(), None).await);
    }

    /// Hashes made here and by the argon2 crate's own PHC path verify each other, so the
    /// kept-buffer path is the same algorithm, and stored hashes from before still verify.
    #[test]
    fn agrees_with_the_crate_phc_path() {
        let ours = hash_blocking(b"correct horse battery").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon
            .hash_password(b"correct horse battery", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_blocking(b"correct horse battery", &theirs));
        assert!(!verify_blocking(b"correct horse batterY", &theirs));
        // Other parameters (an older or future setting) verify with their own buffer size.
        let smaller = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).expect("params"),
        )
        .hash_password(b"correct horse battery", &salt)
        .expect("hash")
        .to_string();
        assert!(verify_blocking(b"correct horse battery", &smaller));
        assert!(!verify_blocking(
            b"correct horse battery",
            "not a phc string"
        ));
    }

    #[test]
    fn buffers_are_kept_up_to_the_bound() {
        std::thread::scope(|s| {
            for _ in 0..2 * CONCURRENT {
                s.spawn(|| hash_blocking(b"correct horse battery").expect("hash"));
            }
        });
        let kept = BUFFERS.lock().expect("lock");
        assert!(!kept.is_empty() && kept.len() <= CONCURRENT);
        assert!(kept.iter().all(|b| b.len() == params().block_count()));
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough!").is_ok());
    }
}
