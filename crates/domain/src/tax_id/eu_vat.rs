//! VAT numbers of the EU member states other than Spain: each country's published shape, and
//! the simple check digits of Belgium and France.

use crate::{CountryCode, Invalid};

/// How one member state writes its VAT numbers after the prefix.
struct Format {
    country: &'static str,
    prefix: &'static str,
    /// The shape in words, for the error message.
    shape: &'static str,
    fits: fn(&[u8]) -> bool,
    checks: fn(&[u8]) -> bool,
}

const FORMATS: &[Format] = &[
    format("AT", "AT", "U and 8 digits", |b| {
        b.first() == Some(&b'U') && n_digits(&b[1..], 8)
    }),
    Format {
        checks: belgian_check,
        ..format("BE", "BE", "10 digits starting with 0 or 1", |b| {
            n_digits(b, 10) && b[0] <= b'1'
        })
    },
    format("BG", "BG", "9 or 10 digits", |b| {
        n_digits(b, 9) || n_digits(b, 10)
    }),
    format("CY", "CY", "8 digits and a letter", |b| {
        b.len() == 9 && all_digits(&b[..8]) && b[8].is_ascii_uppercase()
    }),
    format("CZ", "CZ", "8 to 10 digits", |b| {
        (8..=10).contains(&b.len()) && all_digits(b)
    }),
    format("DE", "DE", "9 digits, the first not 0", |b| {
        n_digits(b, 9) && b[0] != b'0'
    }),
    format("DK", "DK", "8 digits", |b| n_digits(b, 8)),
    format("EE", "EE", "9 digits", |b| n_digits(b, 9)),
    format("FI", "FI", "8 digits", |b| n_digits(b, 8)),
    Format {
        checks: french_check,
        ..format(
            "FR",
            "FR",
            "2 check characters and the 9-digit SIREN",
            |b| {
                b.len() == 11
                    && b[..2].iter().all(|c| FRENCH_KEYS.contains(c))
                    && all_digits(&b[2..])
            },
        )
    },
    format("GR", "EL", "9 digits", |b| n_digits(b, 9)),
    format("HR", "HR", "11 digits", |b| n_digits(b, 11)),
    format("HU", "HU", "8 digits", |b| n_digits(b, 8)),
    format(
        "IE",
        "IE",
        "7 digits and 1 or 2 letters (or digit, letter, 5 digits, letter)",
        irish_fits,
    ),
    format("IT", "IT", "11 digits", |b| n_digits(b, 11)),
    format("LT", "LT", "9 or 12 digits", |b| {
        n_digits(b, 9) || n_digits(b, 12)
    }),
    format("LU", "LU", "8 digits", |b| n_digits(b, 8)),
    format("LV", "LV", "11 digits", |b| n_digits(b, 11)),
    format("MT", "MT", "8 digits", |b| n_digits(b, 8)),
    format("NL", "NL", "9 digits, B and 2 digits", |b| {
        b.len() == 12 && all_digits(&b[..9]) && b[9] == b'B' && all_digits(&b[10..])
    }),
    format("PL", "PL", "10 digits", |b| n_digits(b, 10)),
    format("PT", "PT", "9 digits", |b| n_digits(b, 9)),
    format("RO", "RO", "2 to 10 digits, the first not 0", |b| {
        (2..=10).contains(&b.len()) && all_digits(b) && b[0] != b'0'
    }),
    format("SE", "SE", "12 digits", |b| n_digits(b, 12)),
    format("SI", "SI", "8 digits", |b| n_digits(b, 8)),
    format("SK", "SK", "10 digits, the first not 0", |b| {
        n_digits(b, 10) && b[0] != b'0'
    }),
];

/// Characters allowed in the two check characters of a French number: no I and no O.
const FRENCH_KEYS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

const fn format(
    country: &'static str,
    prefix: &'static str,
    shape: &'static str,
    fits: fn(&[u8]) -> bool,
) -> Format {
    Format {
        country,
        prefix,
        shape,
        fits,
        checks: |_| true,
    }
}

/// The number with its prefix, or why it is wrong; `None` when the country is not an EU member
/// state other than Spain. `compact` is upper-case without separators, the prefix optional.
pub(super) fn parse(country: CountryCode, compact: &str) -> Option<Result<String, Invalid>> {
    let format = FORMATS.iter().find(|f| f.country == country.as_str())?;
    // Greece's prefix is EL, but people also type GR.
    let candidates = [
        compact.strip_prefix(format.prefix),
        compact.strip_prefix(format.country),
        Some(compact),
    ];
    let mut fits_but_fails_check = false;
    for body in candidates.into_iter().flatten() {
        // Belgian numbers had 9 digits before a 0 was put in front of them all.
        let body = if format.country == "BE" && body.len() == 9 {
            format!("0{body}")
        } else {
            body.to_owned()
        };
        if (format.fits)(body.as_bytes()) {
            if (format.checks)(body.as_bytes()) {
                return Some(Ok(format!("{}{body}", format.prefix)));
            }
            fits_but_fails_check = true;
        }
    }
    Some(Err(if fits_but_fails_check {
        Invalid::new("the check digits do not match; check for a typo")
    } else {
        Invalid::new(format!(
            "must be a VAT number of {}: {} followed by {}",
            format.country, format.prefix, format.shape
        ))
    }))
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

fn n_digits(b: &[u8], n: usize) -> bool {
    b.len() == n && all_digits(b)
}

fn value(digits: &[u8]) -> u64 {
    digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0'))
}

/// The last two digits are 97 minus the first eight modulo 97.
fn belgian_check(b: &[u8]) -> bool {
    97 - value(&b[..8]) % 97 == value(&b[8..])
}

/// A numeric key is (12 + 3 × (SIREN mod 97)) mod 97; the newer keys with letters follow a
/// rule not worth the risk of rejecting a good number, so they pass on shape alone.
fn french_check(b: &[u8]) -> bool {
    if !all_digits(&b[..2]) {
        return true;
    }
    (12 + 3 * (value(&b[2..]) % 97)) % 97 == value(&b[..2])
}

fn irish_fits(b: &[u8]) -> bool {
    let check_letter = |c: &u8| (b'A'..=b'W').contains(c);
    let current = (b.len() == 8 || b.len() == 9)
        && all_digits(&b[..7])
        && check_letter(&b[7])
        && b.get(8)
            .is_none_or(|c| (b'A'..=b'I').contains(c) || *c == b'W');
    let older = b.len() == 8
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_uppercase() || b[1] == b'+' || b[1] == b'*')
        && all_digits(&b[2..7])
        && check_letter(&b[7]);
    current || older
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vat(country: &str, raw: &str) -> Result<String, Invalid> {
        let country = CountryCode::parse(country).expect("valid country");
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        parse(country, &compact).expect("an EU member state")
    }

    #[test]
    fn every_member_state_but_spain_has_a_format() {
        let mut countries: Vec<&str> = FORMATS.iter().map(|f| f.country).collect();
        countries.push("ES");
        countries.sort_unstable();
        countries.dedup();
        assert_eq!(countries.len(), 27);
        assert!(parse(CountryCode::SPAIN, "B12345674").is_none());
        let gb = CountryCode::parse("GB").expect("valid");
        assert!(parse(gb, "GB123456789").is_none());
    }

    #[test]
    fn published_numbers_of_each_member_state() {
        // Real numbers found online, as collected in python-stdnum's tests/test_eu_vat.doctest
        // (Croatia's from its stdnum/hr/oib.py).
        for (country, raw, normalised) in [
            ("AT", "ATU 142 43 102", "ATU14243102"),
            ("BE", "BE 0202.239.951", "BE0202239951"),
            ("BE", "BE0428759497", "BE0428759497"),
            ("BE", "BE 444.503.092", "BE0444503092"),
            ("BG", "BG 103873594", "BG103873594"),
            ("BG", "BG7111042925", "BG7111042925"),
            ("CY", "CY 10246672X", "CY10246672X"),
            ("CZ", "CZ 25123891", "CZ25123891"),
            ("CZ", "CZ 6956220612", "CZ6956220612"),
            ("DE", "DE 181 207 708", "DE181207708"),
            ("DK", "DK 10 50 32 80", "DK10503280"),
            ("EE", "EE 100 931 558", "EE100931558"),
            ("FI", "FI 0982651-1", "FI09826511"),
            ("FR", "Fr 40 303 265 045", "FR40303265045"),
            ("FR", "FR 84 323 140 392", "FR84323140392"),
            ("FR", "FR K 7399859412", "FRK7399859412"),
            ("GR", "EL 094012834", "EL094012834"),
            ("GR", "GR 094012834", "EL094012834"),
            ("HR", "HR 33392005961", "HR33392005961"),
            ("HU", "HU 10672101", "HU10672101"),
            ("IE", "IE 6433435F", "IE6433435F"),
            ("IE", "IE6433435IH", "IE6433435IH"),
            ("IE", "IE8D79739I", "IE8D79739I"),
            ("IT", "IT 00743110157", "IT00743110157"),
            ("LT", "LT 119511515", "LT119511515"),
            ("LT", "LT100001354118", "LT100001354118"),
            ("LU", "LU 10059929", "LU10059929"),
            ("LV", "LV 40003189718", "LV40003189718"),
            ("MT", "MT 1039-6417", "MT10396417"),
            ("NL", "NL 806753742B01", "NL806753742B01"),
            ("PL", "PL 584-030-44-72", "PL5840304472"),
            ("PT", "PT 500 019 720", "PT500019720"),
            ("RO", "RO 1822964", "RO1822964"),
            ("SE", "SE 556058115801", "SE556058115801"),
            ("SI", "SI 26808498", "SI26808498"),
            ("SK", "SK 2022193459", "SK2022193459"),
        ] {
            assert_eq!(vat(country, raw).as_deref(), Ok(normalised), "{raw}");
        }
    }

    #[test]
    fn the_prefix_is_optional() {
        assert_eq!(vat("DE", "811305931").as_deref(), Ok("DE811305931"));
        assert_eq!(vat("AT", "U13585627").as_deref(), Ok("ATU13585627"));
        assert_eq!(vat("GR", "094012834").as_deref(), Ok("EL094012834"));
    }

    #[test]
    fn check_digits_of_belgium_and_france() {
        // BE 0202239951: 02022399 % 97 = 46, 97 - 46 = 51, so 52 is wrong.
        // BE 0456973433: 04569734 % 97 = 64, 97 - 64 = 33, so 32 is wrong.
        // FR 40 303265045: 303265045 % 97 = 74, (12 + 3 * 74) % 97 = 40, so 41 is wrong.
        // FR 22 326565603: 326565603 % 97 = 68, (12 + 3 * 68) % 97 = 22, so 21 is wrong.
        for (country, raw) in [
            ("BE", "BE0202239952"),
            ("BE", "BE 456.973.432"),
            ("FR", "FR41303265045"),
            ("FR", "FR 21 326 565 603"),
        ] {
            let err = vat(country, raw).expect_err(raw);
            assert!(err.0.contains("check digits"), "{raw}: {err}");
        }
    }

    #[test]
    fn wrong_shapes() {
        for (country, raw) in [
            ("AT", "AT 142 43 102"),
            ("BE", "BE 2202.239.951"),
            ("CY", "CY 102466721"),
            ("DE", "DE 011125440"),
            ("DE", "DE 8113059311"),
            ("FR", "FR IO334175221"),
            ("GR", "EL 94051189A"),
            ("IE", "IE 069385V8"),
            ("NL", "NL 001241643801"),
            ("RO", "RO 0123"),
            ("SE", "SE 55643359201"),
            ("SK", "SK 012 274 96 19"),
            ("IT", "FR40303265045"),
        ] {
            let err = vat(country, raw).expect_err(raw);
            assert!(err.0.starts_with("must be a VAT number of"), "{raw}: {err}");
        }
    }
}
