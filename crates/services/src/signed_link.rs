//! Signatures for the addresses the product hands to people without an account (a sent
//! proposal's public link, an e-mail's tracking image and redirect links): 128 bits of the
//! tenant's keyed hash of what the address claims, so that nobody can forge or alter one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use db::crypto::TenantCipher;

/// Characters of a signature: 128 bits of the keyed hash.
const SIGNATURE_CHARS: usize = 22;

/// The signature of `claim` (what the address says: its kind, ids, expiry).
pub fn signature(cipher: &TenantCipher, claim: &str) -> String {
    let mut s = URL_SAFE_NO_PAD.encode(cipher.blind_index(claim));
    s.truncate(SIGNATURE_CHARS);
    s
}

/// Whether `given` is the signature of `claim`, compared in time independent of where a
/// forged one differs.
pub fn verifies(cipher: &TenantCipher, claim: &str, given: &str) -> bool {
    same(given, &signature(cipher, claim))
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
