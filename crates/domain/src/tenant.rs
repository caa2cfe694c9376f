//! Tenant settings: name, locale, currency, time zone.

use crate::Invalid;

/// Most characters of a tenant's name.
pub const NAME_LIMIT: usize = 200;

/// A tenant's display name: 1-200 characters once trimmed.
pub fn parse_name(raw: &str) -> Result<&str, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > NAME_LIMIT {
        Err(Invalid::new(format!("must be 1-{NAME_LIMIT} characters")))
    } else {
        Ok(name)
    }
}

/// Languages the product speaks.
pub const LOCALES: &[&str] = &["es", "en"];

pub fn parse_locale(raw: &str) -> Result<&'static str, Invalid> {
    LOCALES
        .iter()
        .find(|l| **l == raw)
        .copied()
        .ok_or_else(|| Invalid::new("must be one of: es, en"))
}

/// An ISO 4217 code: three upper-case letters.
pub fn parse_currency(raw: &str) -> Result<String, Invalid> {
    if raw.len() == 3 && raw.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new("must be an ISO 4217 code such as EUR"))
    }
}

/// An IANA time zone name in `Area/City` form (or `UTC`).
pub fn parse_time_zone(raw: &str) -> Result<String, Invalid> {
    let ok = raw == "UTC"
        || (raw.contains('/')
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c)));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "must be an IANA time zone such as Europe/Madrid",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        assert_eq!(parse_name("  Acme S.L. "), Ok("Acme S.L."));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(201)).is_err());
        assert_eq!(parse_locale("es"), Ok("es"));
        assert!(parse_locale("fr").is_err());
        assert!(parse_currency("EUR").is_ok());
        assert!(parse_currency("eur").is_err());
        assert!(parse_time_zone("Europe/Madrid").is_ok());
        assert!(parse_time_zone("Madrid time").is_err());
    }
}
