//! E-mail addresses, normalised to lower case.

use crate::Invalid;

/// A syntactically valid e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if value.len() > 254 {
            return Err(Invalid::new("must be at most 254 characters"));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(Invalid::new("must contain one '@'"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(Invalid::new("has an invalid part before '@'"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(Invalid::new("has an invalid domain"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new("must not contain spaces"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        let e = Email::parse("  Ana.Garcia@Example.ES ").expect("valid");
        assert_eq!(e.as_str(), "ana.garcia@example.es");
    }

    #[test]
    fn accepts_international_domains() {
        assert!(Email::parse("josé@correos.españa.es").is_ok());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
