//! Pure types and rules of the CRM: no I/O, unit-tested in place.

pub mod build_info;
pub mod calendar;
pub mod client_status;
pub mod communications;
pub mod country;
pub mod csv_cell;
pub mod custom_field;
pub mod email;
pub mod local_time;
pub mod permissions;
pub mod phone;
pub mod pipeline;
pub mod proposals;
pub mod role_name;
pub mod search;
pub mod sentiment;
pub mod slug;
pub mod tax_id;
pub mod templates;
pub mod tenant;
pub mod tickets;
pub mod timeline;

pub use client_status::{ClientSource, ClientStatus};
pub use country::CountryCode;
pub use custom_field::{FieldDefinition, FieldType, validate_values};
pub use email::Email;
pub use permissions::{BuiltinRole, Permission};
pub use phone::Phone;
pub use role_name::RoleName;
pub use search::normalize_for_search;
pub use slug::TenantSlug;
pub use tax_id::{TaxId, TaxIdKind};
pub use timeline::EventType;

/// A value that failed validation, with the reason in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// A configuration secret: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod secret_tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(s.expose(), "hunter2");
    }
}
