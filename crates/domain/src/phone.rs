//! Telephone numbers, normalised to E.164 (`+34612345678`).

use crate::{CountryCode, Invalid};

/// Countries whose numbers may be typed without `+`: their calling code, and the trunk prefix
/// dialled before national numbers but dropped after the calling code.
const CALLING_CODES: &[(&str, &str, &str)] = &[
    ("AD", "376", ""),
    ("AR", "54", "0"),
    ("AT", "43", "0"),
    ("BE", "32", "0"),
    ("BR", "55", "0"),
    ("CA", "1", "1"),
    ("CH", "41", "0"),
    ("CL", "56", ""),
    ("CO", "57", ""),
    ("DE", "49", "0"),
    ("EC", "593", "0"),
    ("ES", "34", ""),
    ("FR", "33", "0"),
    ("GB", "44", "0"),
    ("IE", "353", "0"),
    // Italian numbers keep their leading 0 after +39.
    ("IT", "39", ""),
    ("MA", "212", "0"),
    ("MX", "52", ""),
    ("NL", "31", "0"),
    ("PE", "51", "0"),
    ("PT", "351", ""),
    ("US", "1", "1"),
    ("UY", "598", "0"),
    ("VE", "58", "0"),
];

/// A telephone number in E.164 form: `+`, the calling code and the national number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Numbers without `+` or `00` are read as national numbers of `default_country` (Spain
    /// when `None`).
    pub fn parse(raw: &str, default_country: Option<CountryCode>) -> Result<Self, Invalid> {
        let compact = compact(raw)?;
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_owned()
        } else {
            with_calling_code(&compact, default_country.unwrap_or(CountryCode::SPAIN))?
        };
        check(&digits)?;
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Digits with at most a leading `+`, without the spaces, dots, dashes and brackets people
/// type, and without the "(0)" some write after the calling code (`+44 (0)20 ...`).
fn compact(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::new("must not be empty"));
    }
    let allowed = |c: char| c.is_ascii_digit() || c.is_whitespace() || "+.-()".contains(c);
    if !raw.chars().all(allowed) {
        return Err(Invalid::new(
            "must contain only digits, spaces and the signs + . - ( )",
        ));
    }
    let compact: String = raw
        .replace("(0)", "")
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if compact.rfind('+').is_some_and(|i| i > 0) {
        return Err(Invalid::new("may have '+' only at the start"));
    }
    Ok(compact)
}

fn with_calling_code(national: &str, country: CountryCode) -> Result<String, Invalid> {
    let Some((_, code, trunk)) = CALLING_CODES
        .iter()
        .find(|(c, _, _)| *c == country.as_str())
    else {
        return Err(Invalid::new(format!(
            "must start with + and the calling code (no default is known for {country})"
        )));
    };
    let national = match national.strip_prefix(trunk) {
        Some(rest) if !trunk.is_empty() => rest,
        _ => national,
    };
    Ok(format!("{code}{national}"))
}

/// E.164 length, plus the numbering plans of Spain and of North America.
fn check(digits: &str) -> Result<(), Invalid> {
    if digits.is_empty() || digits.starts_with('0') {
        return Err(Invalid::new("must have a calling code after '+' or '00'"));
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(Invalid::new(
            "must have 8 to 15 digits including the calling code",
        ));
    }
    if let Some(national) = digits.strip_prefix("34") {
        let ok = national.len() == 9 && national.starts_with(['6', '7', '8', '9']);
        if !ok {
            return Err(Invalid::new(
                "a Spanish number has 9 digits starting with 6, 7, 8 or 9 \
                 (start numbers of other countries with +)",
            ));
        }
    }
    if let Some(national) = digits.strip_prefix('1') {
        let b = national.as_bytes();
        let ok = b.len() == 10 && b[0] >= b'2' && b[3] >= b'2';
        if !ok {
            return Err(Invalid::new(
                "a US or Canadian number has a 3-digit area code and 7 digits, \
                 neither starting with 0 or 1",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, country: Option<&str>) -> Result<String, Invalid> {
        let country = country.map(|c| CountryCode::parse(c).expect("valid country"));
        Phone::parse(raw, country).map(|p| p.as_str().to_owned())
    }

    #[test]
    fn spanish_formats() {
        for raw in [
            "612345678",
            "612 345 678",
            "612-345-678",
            "612.34.56.78",
            " 612 34 56 78 ",
            "+34612345678",
            "+34 612-345-678",
            "+34 612 34 56 78",
            "0034612345678",
            "0034 612 345 678",
            "(+34) 612.345.678",
            "(0034) 612 345 678",
            "+34\u{a0}612\u{a0}345\u{a0}678",
        ] {
            assert_eq!(e164(raw, None).as_deref(), Ok("+34612345678"), "{raw:?}");
        }
        // Landlines (9), other mobiles (7) and special rates (8) too.
        assert_eq!(e164("91 123 45 67", None).as_deref(), Ok("+34911234567"));
        assert_eq!(e164("712345678", None).as_deref(), Ok("+34712345678"));
        assert_eq!(e164("800 123 456", None).as_deref(), Ok("+34800123456"));
    }

    #[test]
    fn spain_is_the_default_country() {
        assert_eq!(e164("612345678", None), e164("612345678", Some("ES")));
    }

    #[test]
    fn international_numbers_ignore_the_default_country() {
        for (raw, expected) in [
            ("+1 (415) 555-2671", "+14155552671"),
            ("001 415 555 2671", "+14155552671"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("+351 912 345 678", "+351912345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("+49 30 1234567", "+49301234567"),
            ("+39 06 1234 5678", "+390612345678"),
            ("+52 55 1234 5678", "+525512345678"),
            ("+54 9 11 1234-5678", "+5491112345678"),
        ] {
            assert_eq!(e164(raw, Some("FR")).as_deref(), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn national_numbers_of_other_countries() {
        for (raw, country, expected) in [
            ("912 345 678", "PT", "+351912345678"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("030 1234567", "DE", "+49301234567"),
            ("06 1234 5678", "IT", "+390612345678"),
            ("020 7946 0958", "GB", "+442079460958"),
            ("(415) 555-2671", "US", "+14155552671"),
            ("1 415 555 2671", "US", "+14155552671"),
            ("(416) 555-0123", "CA", "+14165550123"),
            ("55 1234 5678", "MX", "+525512345678"),
            ("011 1234-5678", "AR", "+541112345678"),
            ("300 123 4567", "CO", "+573001234567"),
            ("9 1234 5678", "CL", "+56912345678"),
        ] {
            assert_eq!(e164(raw, Some(country)).as_deref(), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn rejects_bad_numbers() {
        for (raw, country) in [
            ("", None),
            ("   ", None),
            ("612 345 67a", None),
            ("call me", None),
            ("612345678 ext 12", None),
            ("+34 612 345 678 / 612 345 679", None),
            ("6123456789", None),       // 10 digits in Spain
            ("61234567", None),         // 8 digits in Spain
            ("512345678", None),        // Spanish numbers start with 6, 7, 8 or 9
            ("34612345678", None),      // a calling code needs + or 00
            ("+34 512 345 678", None),  // the Spanish rule applies after +34 too
            ("+34 6123 456 789", None), // and so does its length
            ("++34612345678", None),
            ("34+612345678", None),
            ("+0034612345678", None),
            ("+", None),
            ("00", None),
            ("+123456", None),           // under 8 digits
            ("+1234567890123456", None), // over 15 digits
            ("+1 015 555 2671", None),   // area codes do not start with 0 or 1
            ("+1 415 155 2671", None),   // nor do exchanges
            ("+1 415 555 267", None),    // 10 digits after +1
            ("123 456 789", Some("JP")), // no calling code known for Japan
            ("612;345;678", None),
        ] {
            let country = country.map(|c| CountryCode::parse(c).expect("valid country"));
            assert!(Phone::parse(raw, country).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn international_numbers_work_for_any_country() {
        assert_eq!(
            e164("+81 3-1234-5678", Some("JP")).as_deref(),
            Ok("+81312345678")
        );
    }

    #[test]
    fn every_table_country_is_a_real_one() {
        for (country, code, _) in CALLING_CODES {
            assert!(CountryCode::parse(country).is_ok(), "{country}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
    }
}
