//! Tax identification numbers of companies and people, checked as far as their country allows.

mod eu_vat;
mod spain;

pub use spain::cif_check_digit;

use crate::{CountryCode, Invalid};

/// Which family of number a [`TaxId`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxIdKind {
    /// Spanish NIF of a person: a DNI, or a K, L or M number.
    Nif,
    /// Spanish NIE of a foreign person.
    Nie,
    /// Spanish CIF of an organisation.
    Cif,
    /// VAT number of another EU member state, with its country prefix.
    EuVat,
    /// Any other country's number, checked only for its characters.
    Other,
}

impl TaxIdKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Nif => "nif",
            Self::Nie => "nie",
            Self::Cif => "cif",
            Self::EuVat => "eu_vat",
            Self::Other => "other",
        }
    }
}

/// A tax id, upper-case and without separators: `B12345674` in Spain, `FR40303265045` elsewhere
/// in the EU.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TaxId {
    country: CountryCode,
    kind: TaxIdKind,
    value: String,
}

impl TaxId {
    /// Spanish ids keep no prefix (an `ES` typed in front is dropped); other EU VAT numbers always
    /// carry theirs (`EL` for Greece).
    pub fn parse(country: CountryCode, raw: &str) -> Result<Self, Invalid> {
        let compact = compact(raw);
        if compact.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        let (kind, value) = if country == CountryCode::SPAIN {
            spain::parse(&compact)?
        } else if let Some(vat) = eu_vat::parse(country, &compact) {
            (TaxIdKind::EuVat, vat?)
        } else {
            (TaxIdKind::Other, free_form(compact)?)
        };
        Ok(Self {
            country,
            kind,
            value,
        })
    }

    pub fn kind(&self) -> TaxIdKind {
        self.kind
    }

    pub fn country(&self) -> CountryCode {
        self.country
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Display for TaxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

/// Upper-case, without the spaces, dots and dashes people type between groups.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn free_form(compact: String) -> Result<String, Invalid> {
    // Mexican RFCs may contain Ñ and &, so letters are not limited to ASCII.
    let ok =
        compact.chars().count() <= 32 && compact.chars().all(|c| c.is_alphanumeric() || c == '&');
    if ok {
        Ok(compact)
    } else {
        Err(Invalid::new("must be 1-32 letters or digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(code: &str) -> CountryCode {
        CountryCode::parse(code).expect("valid country")
    }

    #[test]
    fn spanish_ids_are_normalised_and_classified() {
        for (raw, value, kind) in [
            ("b-1234567.4", "B12345674", TaxIdKind::Cif),
            ("ES B12345674", "B12345674", TaxIdKind::Cif),
            ("12.345.678-z", "12345678Z", TaxIdKind::Nif),
            ("x 1234567 l", "X1234567L", TaxIdKind::Nie),
        ] {
            let id = TaxId::parse(CountryCode::SPAIN, raw).expect(raw);
            assert_eq!(id.as_str(), value);
            assert_eq!(id.kind(), kind);
            assert_eq!(id.country(), CountryCode::SPAIN);
        }
        assert!(TaxId::parse(CountryCode::SPAIN, "B12345675").is_err());
    }

    #[test]
    fn eu_vat_numbers_keep_their_prefix() {
        let id = TaxId::parse(country("fr"), "Fr 40 303 265 045").expect("valid");
        assert_eq!(id.as_str(), "FR40303265045");
        assert_eq!(id.kind(), TaxIdKind::EuVat);
        assert_eq!(id.country().as_str(), "FR");
        assert!(TaxId::parse(country("FR"), "FR41303265045").is_err());
    }

    #[test]
    fn other_countries_are_free_form() {
        for (code, raw, value) in [
            ("GB", "GB 123 4567 89", "GB123456789"),
            ("CL", "76.086.428-5", "760864285"),
            ("MX", "ñ&a010101aaa", "Ñ&A010101AAA"),
            ("US", "12-3456789", "123456789"),
        ] {
            let id = TaxId::parse(country(code), raw).expect(raw);
            assert_eq!(id.as_str(), value);
            assert_eq!(id.kind(), TaxIdKind::Other);
        }
    }

    #[test]
    fn rejects_empty_long_or_odd_characters() {
        let us = country("US");
        for bad in ["", " - . ", &"1".repeat(33), "12/345", "12_345", "A+B"] {
            assert!(TaxId::parse(us, bad).is_err(), "{bad:?}");
        }
        assert!(TaxId::parse(us, &"1".repeat(32)).is_ok());
    }

    #[test]
    fn kind_serialises_in_snake_case() {
        assert_eq!(TaxIdKind::EuVat.as_str(), "eu_vat");
        let json = serde_json::to_value(TaxIdKind::EuVat).expect("serialise");
        assert_eq!(json, serde_json::json!("eu_vat"));
        let id = TaxId::parse(CountryCode::SPAIN, "A58818501").expect("valid");
        assert_eq!(
            serde_json::to_value(&id).expect("serialise"),
            serde_json::json!({"country": "ES", "kind": "cif", "value": "A58818501"})
        );
    }
}
