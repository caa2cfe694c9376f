//! The password rule (NIST SP 800-63B) and argon2id hashing at OWASP's parameters, both off the
//! async threads.
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
use db::TenantTx;
use tokio::sync::Semaphore;
use zxcvbn::matching::patterns::MatchPattern;

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

/// NIST asks to allow at least 64; zxcvbn looks at the first 100.
pub const MAX_LENGTH: usize = 256;

/// zxcvbn's score 3: more than 10^8 guesses estimated (see docs/decisions.md, "Sign-in").
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Whose password it is: what an attacker aiming at this account knows (NIST's
/// "context-specific words"), so a password must not be built from it.
#[derive(Debug, Clone, Default)]
pub struct Owner {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub email: String,
    pub display_name: String,
}

impl Owner {
    /// The owner of a password of a user of the transaction's tenant.
    pub async fn in_tenant(
        tx: &mut TenantTx,
        email: &str,
        display_name: &str,
    ) -> Result<Self, sqlx::Error> {
        let tenant = db::tenants::get(tx, tx.tenant_id()).await?;
        Ok(Self {
            tenant_slug: tenant.as_ref().map(|t| t.slug.clone()).unwrap_or_default(),
            tenant_name: tenant.map(|t| t.name).unwrap_or_default(),
            email: email.to_owned(),
            display_name: display_name.to_owned(),
        })
    }

    /// The owner of a password of a user that a new tenant's setup creates.
    pub fn in_new_tenant(
        spec: &services::tenants::TenantSpec,
        email: &str,
        display_name: &str,
    ) -> Self {
        Self {
            tenant_slug: spec.slug.clone(),
            tenant_name: spec.name.clone(),
            email: email.to_owned(),
            display_name: display_name.to_owned(),
        }
    }

    /// Each value, its e-mail local part, their words and the words run together, in lower case.
    fn words(&self) -> Vec<String> {
        let local_part = self.email.split('@').next().unwrap_or_default();
        let mut words = Vec::new();
        for value in [
            &self.tenant_slug,
            &self.tenant_name,
            &self.email,
            local_part,
            &self.display_name,
        ] {
            let value = value.trim().to_lowercase();
            let parts: Vec<&str> = value
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            words.push(parts.concat());
            words.extend(parts.iter().map(|w| (*w).to_owned()));
            words.push(value);
        }
        // Shorter words would match by chance in any password.
        words.retain(|w| w.chars().count() >= 3);
        words.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        words.dedup();
        words
    }
}

/// The password rule: 10 to 256 characters, not only spaces, and not easy to guess (not a
/// common or breached password, no repeats or sequences, not built from the owner's e-mail or
/// name or the tenant's); the error names the reason. Runs on a blocking thread: zxcvbn takes
/// up to tens of milliseconds on a long password.
pub async fn check_policy(password: &str, owner: &Owner) -> Result<(), String> {
    let (password, owner) = (password.to_owned(), owner.clone());
    tokio::task::spawn_blocking(move || check_policy_blocking(&password, &owner))
        .await
        .unwrap_or_else(|_| Err("could not be checked; choose another".to_owned()))
}

fn check_policy_blocking(password: &str, owner: &Owner) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        return Err(format!("must be at least {MIN_LENGTH} characters"));
    }
    if n > MAX_LENGTH {
        return Err(format!("must be at most {MAX_LENGTH} characters"));
    }
    if password.trim().is_empty() {
        return Err("must not be only spaces".to_owned());
    }
    let words = owner.words();
    let inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    let from_context = estimate.sequence().iter().any(
        |m| matches!(&m.pattern, MatchPattern::Dictionary(d) if words.contains(&d.matched_word)),
    );
    if estimate.score() < MIN_SCORE {
        return Err(too_easy(estimate.feedback(), from_context));
    }
    if from_context {
        // zxcvbn counts a separator between words as random characters ("acme-owner-2024"
        // scores 4), so what is left without the owner's words must be strong on its own.
        let mut rest = password.to_lowercase();
        for word in &words {
            rest = rest.replace(word.as_str(), "");
        }
        let estimate = zxcvbn::zxcvbn(&rest, &inputs);
        if estimate.score() < MIN_SCORE {
            return Err(too_easy(estimate.feedback(), true));
        }
    }
    Ok(())
}

/// The reason a password was refused, with zxcvbn's advice.
fn too_easy(feedback: Option<&zxcvbn::feedback::Feedback>, from_context: bool) -> String {
    let mut reason = "is too easy to guess.".to_owned();
    if from_context {
        reason.push_str(" It contains the user's e-mail or name, or the tenant's name.");
    } else if let Some(warning) = feedback.and_then(|f| f.warning()) {
        reason.push_str(&format!(" {warning}"));
    }
    for suggestion in feedback.map(|f| f.suggestions()).unwrap_or_default() {
        reason.push_str(&format!(" {suggestion}"));
    }
    reason
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

/// A new password judged by the rule for its owner: the hash to store, or why it is refused
/// (what the services take, e.g. `services::tenants::JudgedPassword`).
pub async fn judge(password: &str, owner: &Owner) -> anyhow::Result<Result<String, String>> {
    if let Err(why) = check_policy(password, owner).await {
        return Ok(Err(why));
    }
    Ok(Ok(hash(password.to_owned()).await?))
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

    fn acme_user() -> Owner {
        Owner {
            tenant_slug: "wombat-quasar".into(),
            tenant_name: "Zorblax Industries S.L.".into(),
            email: "pemberton.quill@orbit.example".into(),
            display_name: "Gerty McBrindle".into(),
        }
    }

    fn refused(password: &str, owner: &Owner) -> String {
        check_policy_blocking(password, owner).expect_err(password)
    }

    #[test]
    fn length_and_spaces() {
        let nobody = Owner::default();
        assert!(refused("Zq8#mv", &nobody).contains("at least 10"));
        assert!(refused(&"Zq8#mvLp".repeat(33), &nobody).contains("at most 256"));
        assert_eq!(refused("          ", &nobody), "must not be only spaces");
        assert_eq!(
            refused("\t \n \t \n \t \n", &nobody),
            "must not be only spaces"
        );
        assert!(check_policy_blocking("Zebra-Quilt-Mango-7", &nobody).is_ok());
    }

    #[test]
    fn common_and_patterned_passwords_are_refused() {
        let nobody = Owner::default();
        for (password, reason) in [
            ("password12", "common password"),
            ("qwertyuiop", "common password"),
            ("1234567890", "common password"),
            ("aaaaaaaaaa", "Repeats"),
            ("abcabcabcabc", "Repeats"),
            ("9876543210987", "Sequences"),
        ] {
            let e = refused(password, &nobody);
            assert!(e.starts_with("is too easy to guess."), "{password}: {e}");
            assert!(e.contains(reason), "{password}: {e}");
        }
    }

    /// Each password is strong for someone else and refused for its owner.
    #[test]
    fn passwords_built_from_the_owner_are_refused() {
        for password in [
            "Wombat-Quasar!",
            "wombat-quasar-2024",
            "Zorblax Industries",
            "zorblax-industries-1",
            "pemberton.quill@orbit.example",
            "Pemberton.Quill",
            "GertyMcBrindle",
            "Gerty McBrindle!",
            "mcbrindle-wombat-2024",
        ] {
            assert!(
                check_policy_blocking(password, &Owner::default()).is_ok(),
                "{password} is strong on its own"
            );
            let e = refused(password, &acme_user());
            assert!(e.contains("the tenant's name"), "{password}: {e}");
        }
        assert!(check_policy_blocking("correct-horse-battery", &acme_user()).is_ok());
    }

    /// The passwords of the test harness, the load tests and the demo pass for their owners.
    #[test]
    fn fixture_passwords_pass() {
        let owner = |slug: &str, name: &str, email: &str, display_name: &str| Owner {
            tenant_slug: slug.into(),
            tenant_name: name.into(),
            email: email.into(),
            display_name: display_name.into(),
        };
        let cases = [
            (
                "correct-horse-battery",
                owner(
                    "tok-1a2b3c4d",
                    "tok-1a2b3c4d S.L.",
                    "owner@tok-1a2b3c4d.example",
                    "Owner",
                ),
            ),
            (
                "loadtest-owner-password",
                owner("big", "Big S.L.", "owner@big.example", "Owner"),
            ),
        ];
        for (password, owner) in cases {
            assert!(
                check_policy_blocking(password, &owner).is_ok(),
                "{password}"
            );
        }
        for u in services::tenants::demo_users() {
            let who = owner(
                "demo",
                "Demo Company S.L.",
                &u.email,
                &format!("Demo {}", u.role),
            );
            assert!(
                check_policy_blocking(&u.password, &who).is_ok(),
                "{}",
                u.password
            );
        }
    }
}
