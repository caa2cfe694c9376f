//! Tenant slugs: the short name a user types at sign-in.

use crate::Invalid;

/// Lower-case letters, digits and dashes, 2 to 63 characters, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_lowercase();
        let ok_len = (2..=63).contains(&s.len());
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok_len && ok_first && ok_chars {
            Ok(Self(s))
        } else {
            Err(Invalid::new(
                "must be 2-63 lower-case letters, digits or dashes, starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            TenantSlug::parse("Acme-2").expect("valid").as_str(),
            "acme-2"
        );
    }

    #[test]
    fn rejects_bad() {
        for bad in ["", "a", "-acme", "ac me", "acmé", &"x".repeat(64)] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
