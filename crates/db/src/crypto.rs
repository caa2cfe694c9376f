//! Encryption of sensitive columns: AES-256-GCM with a data key per tenant, each data key
//! wrapped by a master key from the environment. A keyed hash (HMAC-SHA-256 under a key derived
//! from the tenant's data key) sits beside each encrypted value for exact-match search.
//!
//! Ciphertext layout: `1 | len(key id) | key id | 12-byte nonce | AES-GCM ciphertext+tag`, so
//! both master and data keys can rotate: old values name the key that opens them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::TenantTx;

const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("CRM_MASTER_KEYS must be `id:base64-of-32-bytes[,id:...]`, the first one current: {0}")]
    Config(String),
    #[error("no key '{0}' to open this value")]
    UnknownKey(String),
    #[error("a value failed to decrypt: wrong key or tampered data")]
    Corrupt,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The master keys: the first one wraps new data keys; every one can unwrap.
#[derive(Clone)]
pub struct MasterKeys {
    current: String,
    keys: HashMap<String, Key<Aes256Gcm>>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKeys(current: {}, [redacted])", self.current)
    }
}

impl MasterKeys {
    /// Parses `id:base64[,id:base64...]`.
    pub fn parse(spec: &str) -> Result<Self, CryptoError> {
        let mut keys = HashMap::new();
        let mut current = None;
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, b64) = part
                .split_once(':')
                .ok_or_else(|| CryptoError::Config("an entry has no ':'".into()))?;
            let bytes = STANDARD
                .decode(b64)
                .map_err(|e| CryptoError::Config(format!("key '{id}' is not base64: {e}")))?;
            if bytes.len() != 32 || id.is_empty() || id.len() > 32 {
                return Err(CryptoError::Config(format!(
                    "key '{id}' must be 32 bytes with a short id"
                )));
            }
            current.get_or_insert_with(|| id.to_owned());
            keys.insert(id.to_owned(), key_from(&bytes)?);
        }
        let current = current.ok_or_else(|| CryptoError::Config("no key given".into()))?;
        Ok(Self { current, keys })
    }

    /// A fresh random key spec, for `crm` setup and tests.
    pub fn generate_spec(id: &str) -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        format!("{id}:{}", STANDARD.encode(bytes))
    }

    fn key(&self, id: &str) -> Result<&Key<Aes256Gcm>, CryptoError> {
        self.keys
            .get(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))
    }
}

fn key_from(bytes: &[u8]) -> Result<Key<Aes256Gcm>, CryptoError> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::Corrupt)?;
    Ok(Key::<Aes256Gcm>::from(arr))
}

fn seal(key: &Key<Aes256Gcm>, key_id: &str, plain: &[u8]) -> Vec<u8> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ct = Aes256Gcm::new(key)
        .encrypt(&nonce, plain)
        .unwrap_or_default();
    let mut out = Vec::with_capacity(2 + key_id.len() + 12 + ct.len());
    out.push(VERSION);
    out.push(key_id.len() as u8);
    out.extend_from_slice(key_id.as_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// The key id a sealed value names, and the rest.
fn key_id_of(sealed: &[u8]) -> Result<(&str, &[u8]), CryptoError> {
    let (&version, rest) = sealed.split_first().ok_or(CryptoError::Corrupt)?;
    let (&len, rest) = rest.split_first().ok_or(CryptoError::Corrupt)?;
    if version != VERSION || rest.len() < len as usize + 12 {
        return Err(CryptoError::Corrupt);
    }
    let (id, rest) = rest.split_at(len as usize);
    Ok((
        std::str::from_utf8(id).map_err(|_| CryptoError::Corrupt)?,
        rest,
    ))
}

fn open(key: &Key<Aes256Gcm>, body: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (nonce, ct) = body.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Corrupt)?;
    Aes256Gcm::new(key)
        .decrypt(&Nonce::from(nonce), ct)
        .map_err(|_| CryptoError::Corrupt)
}

/// One tenant's data keys, unwrapped, for one transaction's work.
pub struct TenantCipher {
    current: String,
    keys: HashMap<String, Key<Aes256Gcm>>,
    hash_key: Vec<u8>,
}

impl TenantCipher {
    /// Seals `plain` under the tenant's current data key.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        seal(&self.keys[&self.current], &self.current, plain.as_bytes())
    }

    /// Opens a value sealed under any of the tenant's data keys.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<String, CryptoError> {
        let (id, body) = key_id_of(sealed)?;
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        String::from_utf8(open(key, body)?).map_err(|_| CryptoError::Corrupt)
    }

    /// The keyed hash of an already-normalised value (same input, same hash, per tenant).
    pub fn blind_index(&self, normalised: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key).unwrap_or_else(|_| {
            <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).expect("HMAC takes any key length")
        });
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The tenant's data keys, creating the first one on first use.
#[tracing::instrument(skip_all)]
pub async fn tenant_cipher(
    tx: &mut TenantTx,
    master: &MasterKeys,
) -> Result<TenantCipher, CryptoError> {
    Ok(load(tx, master).await?.0)
}

/// Unwrapped data keys of recently seen tenants, so a request neither reads nor unwraps them.
///
/// Safe to keep because a committed data key never changes and is never deleted (rotation adds
/// a key). An entry is made only from keys read back, never from a key the caller's transaction
/// has just created, which a rollback would take away. A key added by rotation in another
/// process is seen once the entry expires.
pub struct CipherCache {
    ttl: Duration,
    entries: Mutex<HashMap<uuid::Uuid, (Instant, Arc<TenantCipher>)>>,
}

impl CipherCache {
    /// An empty cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The tenant's keys, from the cache while fresh.
    #[tracing::instrument(skip_all)]
    pub async fn get(
        &self,
        tx: &mut TenantTx,
        master: &MasterKeys,
    ) -> Result<Arc<TenantCipher>, CryptoError> {
        let tenant = tx.tenant_id();
        let cached = self.lock().get(&tenant).cloned();
        if let Some((at, cipher)) = cached
            && at.elapsed() < self.ttl
        {
            return Ok(cipher);
        }
        let (cipher, created) = load(tx, master).await?;
        let cipher = Arc::new(cipher);
        if !created {
            self.lock().insert(tenant, (Instant::now(), cipher.clone()));
        }
        Ok(cipher)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<uuid::Uuid, (Instant, Arc<TenantCipher>)>> {
        // Entries are whole values, so a panic elsewhere cannot leave one half-written.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The tenant's wrapped data keys (id, wrapped key), newest first.
async fn wrapped_keys(tx: &mut TenantTx) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT key_id, wrapped_key FROM tenant_data_keys ORDER BY created_at DESC, key_id DESC"
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.key_id, r.wrapped_key))
        .collect())
}

/// The tenant's keys, and whether this transaction created the first one.
async fn load(tx: &mut TenantTx, master: &MasterKeys) -> Result<(TenantCipher, bool), CryptoError> {
    let mut rows = wrapped_keys(tx).await?;
    if rows.is_empty() {
        // First use: one transaction creates the key, concurrent ones wait and read it. (The
        // lock function returns void, which has no Rust type: the statement selects no column.)
        sqlx::query!(
            "SELECT FROM pg_advisory_xact_lock(hashtext('tenant-data-key:' || current_tenant_id()::text))"
        )
        .execute(tx.conn())
        .await?;
        rows = wrapped_keys(tx).await?;
    }
    let created = rows.is_empty();
    if created {
        let mut dek = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut dek);
        let key_id = format!("dk-{}", uuid::Uuid::now_v7().simple());
        let wrapped = seal(master.key(&master.current)?, &master.current, &dek);
        let tenant = tx.tenant_id();
        sqlx::query!(
            "INSERT INTO tenant_data_keys (tenant_id, key_id, wrapped_key) VALUES ($1, $2, $3)",
            tenant,
            key_id,
            wrapped
        )
        .execute(tx.conn())
        .await?;
        rows.push((key_id, wrapped));
    }
    let mut keys = HashMap::new();
    for (id, wrapped) in &rows {
        let (master_id, body) = key_id_of(wrapped)?;
        let dek = open(master.key(master_id)?, body)?;
        keys.insert(id.clone(), key_from(&dek)?);
    }
    let current = rows[0].0.clone();
    // The hash key is derived from the tenant's first data key, so hashes survive rotation.
    let first = &rows[rows.len() - 1].0;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&keys[first][..])
        .map_err(|_| CryptoError::Corrupt)?;
    mac.update(b"crm blind index v1");
    let cipher = TenantCipher {
        current,
        keys,
        hash_key: mac.finalize().into_bytes().to_vec(),
    };
    Ok((cipher, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_detect_tampering() {
        let master = MasterKeys::parse(&MasterKeys::generate_spec("m1")).expect("keys");
        let key = master.key("m1").expect("key");
        let mut sealed = seal(key, "m1", b"B12345674");
        let (id, body) = key_id_of(&sealed).expect("layout");
        assert_eq!(id, "m1");
        assert_eq!(open(key, body).expect("open"), b"B12345674");
        assert!(
            !sealed.windows(9).any(|w| w == b"B12345674"),
            "plaintext visible"
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        let (_, body) = key_id_of(&sealed).expect("layout");
        assert!(open(key, body).is_err());
    }

    #[test]
    fn master_key_spec() {
        assert!(MasterKeys::parse("").is_err());
        assert!(MasterKeys::parse("m1:c2hvcnQ=").is_err());
        let spec = format!(
            "{},{}",
            MasterKeys::generate_spec("new"),
            MasterKeys::generate_spec("old")
        );
        let keys = MasterKeys::parse(&spec).expect("keys");
        assert_eq!(keys.current, "new");
        assert!(keys.key("old").is_ok());
        assert!(!format!("{keys:?}").contains(&spec[4..20]));
    }
}
