//! Names of custom roles.

use crate::{BuiltinRole, Invalid};

/// A custom role's name: `[a-z][a-z0-9_-]{1,39}`, never a built-in role's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse_custom(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let valid = (2..=40).contains(&s.len())
            && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid {
            return Err(Invalid::new(
                "must be 2-40 characters: lower-case letters, digits, '_' or '-', starting with a letter",
            ));
        }
        if BuiltinRole::from_name(s).is_some() {
            return Err(Invalid::new("is the name of a built-in role"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_names() {
        assert!(RoleName::parse_custom("key_accounts").is_ok());
        assert!(RoleName::parse_custom("admin").is_err());
        assert!(RoleName::parse_custom("Admin2").is_err());
        assert!(RoleName::parse_custom("9lives").is_err());
    }
}
