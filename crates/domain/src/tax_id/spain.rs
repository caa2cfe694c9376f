//! Spanish tax ids and their check characters: NIF of people, NIE of foreigners, CIF of
//! organisations.

use super::TaxIdKind;
use crate::Invalid;

/// Check letters of a NIF or NIE, indexed by the number modulo 23.
const NIF_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
/// Check letters of a CIF, indexed by its check digit.
const CIF_LETTERS: &[u8; 10] = b"JABCDEFGHI";
/// First letters of a CIF, by kind of organisation.
const CIF_FIRST: &[u8] = b"ABCDEFGHJNPQRSUVW";
/// Organisations whose CIF must end in a letter: public bodies, religious orders, foreign
/// entities and permanent establishments of non-residents.
const CIF_LETTER_CONTROL: &[u8] = b"NPQRSW";
/// Companies (S.A., S.L.), communities of property and of owners: their CIF ends in a digit.
const CIF_DIGIT_CONTROL: &[u8] = b"ABEH";

/// The kind and the 9-character id, from an upper-case id without separators.
pub(super) fn parse(compact: &str) -> Result<(TaxIdKind, String), Invalid> {
    let id = compact.strip_prefix("ES").unwrap_or(compact);
    let b = id.as_bytes();
    if !id.is_ascii() || b.len() != 9 || !b[1..8].iter().all(u8::is_ascii_digit) {
        return Err(shape());
    }
    let (first, body, last) = (b[0], &b[1..8], b[8]);
    let kind = match first {
        b'0'..=b'9' => {
            check_nif_letter(number(&b[..8]), last)?;
            TaxIdKind::Nif
        }
        // K, L and M are NIFs of people without a DNI: the DNI rule over their seven digits.
        b'K' | b'L' | b'M' => {
            check_nif_letter(number(body), last)?;
            TaxIdKind::Nif
        }
        // The NIE's X, Y or Z stands for 0, 1 or 2 in front of the digits.
        b'X' | b'Y' | b'Z' => {
            let prefix = u32::from(first - b'X');
            check_nif_letter(prefix * 10_000_000 + number(body), last)?;
            TaxIdKind::Nie
        }
        _ if CIF_FIRST.contains(&first) => {
            check_cif(first, body, last)?;
            TaxIdKind::Cif
        }
        _ => return Err(shape()),
    };
    Ok((kind, id.to_owned()))
}

fn shape() -> Invalid {
    Invalid::new(
        "must be a Spanish NIF (8 digits and a letter), NIE (X, Y or Z, 7 digits and a letter) \
         or CIF (a letter, 7 digits and a check digit or letter)",
    )
}

/// The value of ASCII digits.
fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

fn check_nif_letter(number: u32, letter: u8) -> Result<(), Invalid> {
    if NIF_LETTERS[(number % 23) as usize] == letter {
        Ok(())
    } else {
        Err(Invalid::new(
            "the letter does not match the number; check for a typo",
        ))
    }
}

/// The CIF check digit: the digits in even places added, those in odd places doubled and
/// their digits added, and the last digit of the total taken from 10.
pub fn cif_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 0 {
                (2 * d) / 10 + (2 * d) % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn check_cif(first: u8, body: &[u8], last: u8) -> Result<(), Invalid> {
    let digit = cif_check_digit(body);
    let letter = CIF_LETTERS[usize::from(digit)];
    if last.is_ascii_digit() && CIF_LETTER_CONTROL.contains(&first) {
        return Err(Invalid::new(format!(
            "a CIF starting with {} must end with a letter, not a digit",
            char::from(first)
        )));
    }
    if last.is_ascii_alphabetic() && CIF_DIGIT_CONTROL.contains(&first) {
        return Err(Invalid::new(format!(
            "a CIF starting with {} must end with a digit, not a letter",
            char::from(first)
        )));
    }
    if last == b'0' + digit || last == letter {
        Ok(())
    } else {
        Err(Invalid::new(
            "the check digit or letter does not match; check for a typo",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(raw: &str) -> Result<TaxIdKind, Invalid> {
        parse(raw).map(|(kind, _)| kind)
    }

    #[test]
    fn dni() {
        // 12345678 = 23 * 536768 + 14, and letter 14 is Z.
        assert_eq!(kind("12345678Z"), Ok(TaxIdKind::Nif));
        // 00000000 mod 23 = 0: T.
        assert_eq!(kind("00000000T"), Ok(TaxIdKind::Nif));
        // 54362315 = 23 * 2363578 + 21: K (python-stdnum's example).
        assert_eq!(kind("54362315K"), Ok(TaxIdKind::Nif));
    }

    #[test]
    fn nie() {
        // X -> 01234567 = 23 * 53676 + 19: L.
        assert_eq!(kind("X1234567L"), Ok(TaxIdKind::Nie));
        // Y -> 11234567 = 23 * 488459 + 10: X.
        assert_eq!(kind("Y1234567X"), Ok(TaxIdKind::Nie));
        // Z -> 21234567 = 23 * 923242 + 1: R.
        assert_eq!(kind("Z1234567R"), Ok(TaxIdKind::Nie));
        // The same digits under each prefix (python-stdnum's examples):
        // 05277343 % 23 = 16 (Q), 15277343 % 23 = 7 (F), 25277343 % 23 = 21 (K).
        assert_eq!(kind("X5277343Q"), Ok(TaxIdKind::Nie));
        assert_eq!(kind("Y5277343F"), Ok(TaxIdKind::Nie));
        assert_eq!(kind("Z5277343K"), Ok(TaxIdKind::Nie));
    }

    #[test]
    fn klm_nifs_use_the_dni_rule_on_seven_digits() {
        // 1234567 = 23 * 53676 + 19: L.
        assert_eq!(kind("K1234567L"), Ok(TaxIdKind::Nif));
        assert_eq!(kind("M1234567L"), Ok(TaxIdKind::Nif));
        assert!(kind("L1234567A").is_err());
    }

    #[test]
    fn cif_check_digit_by_hand() {
        // A58818501, digits 5 8 8 1 8 5 0: even places 8+1+5 = 14; odd places doubled
        // 10 16 16 0 -> 1+7+7+0 = 15; total 29; (10 - 9) % 10 = 1.
        assert_eq!(cif_check_digit(b"5881850"), 1);
        // B12345674, digits 1 2 3 4 5 6 7: 2+4+6 = 12; 2 6 10 14 -> 2+6+1+5 = 14; total 26 -> 4.
        assert_eq!(cif_check_digit(b"1234567"), 4);
        // Q2826000H: 8+6+0 = 14; 4 4 0 0 -> 8; total 22 -> 8, letter H.
        assert_eq!(cif_check_digit(b"2826000"), 8);
    }

    #[test]
    fn cifs() {
        for id in ["A58818501", "B12345674"] {
            assert_eq!(kind(id), Ok(TaxIdKind::Cif), "{id}");
        }
    }

    #[test]
    fn public_cifs_of_well_known_organisations() {
        // Each one also recomputed with the algorithm above (check digit in the comment).
        for id in [
            "A28015865", // Telefónica, S.A. (5)
            "A39000013", // Banco Santander, S.A. (3)
            "A15075062", // Industria de Diseño Textil, S.A. (Inditex) (2)
            "A48010615", // Iberdrola, S.A. (5)
            "A78374725", // Repsol, S.A. (5)
            "A46103834", // Mercadona, S.A. (4)
            "A28017895", // El Corte Inglés, S.A. (5)
            "A48265169", // Banco Bilbao Vizcaya Argentaria, S.A. (9)
            "Q2826000H", // Agencia Estatal de Administración Tributaria (8 -> H)
            "P2807900B", // Ayuntamiento de Madrid (2 -> B)
            "R9600075G", // python-stdnum's example of an R (7 -> G)
            "W4003922D", // python-stdnum's example of a W (4 -> D)
            "J99216582", // python-stdnum's example of a J with a digit (2)
        ] {
            assert_eq!(kind(id), Ok(TaxIdKind::Cif), "{id}");
        }
    }

    #[test]
    fn either_control_for_other_organisations() {
        // J9921658: check digit 2, letter B; J accepts both.
        assert!(kind("J99216582").is_ok());
        assert!(kind("J9921658B").is_ok());
        // G: 1234567 -> 4 or D.
        assert!(kind("G12345674").is_ok());
        assert!(kind("G1234567D").is_ok());
    }

    #[test]
    fn control_kind_is_enforced() {
        // Right value, wrong kind: A must end in the digit 1, never in its letter A.
        let err = kind("A5881850A").expect_err("letter where a digit is required");
        assert!(err.0.contains("must end with a digit"), "{err}");
        // Q2826000 checks to 8/H: Q must end in H, never 8.
        let err = kind("Q28260008").expect_err("digit where a letter is required");
        assert!(err.0.contains("must end with a letter"), "{err}");
        for id in [
            "P28079002",
            "N12345674",
            "W40039224",
            "B1234567D",
            "E1234567D",
        ] {
            assert!(kind(id).is_err(), "{id}");
        }
    }

    #[test]
    fn wrong_check_characters() {
        for id in [
            "12345678A", // DNI letter should be Z
            "X1234567X", // NIE letter should be L
            "Y1234567L", // NIE letter should be X
            "A58818502", // CIF digit should be 1
            "B12345673", // CIF digit should be 4
            "Q2826000J", // CIF letter should be H
        ] {
            let err = kind(id).expect_err(id);
            assert!(err.0.contains("does not match"), "{id}: {err}");
        }
    }

    #[test]
    fn wrong_shapes() {
        for id in [
            "1234567Z",   // 7 digits
            "123456789Z", // 9 digits
            "12345678",   // no letter
            "X12345678L", // NIE too long
            "I12345674",  // I is no CIF letter
            "O1234567L",  // nor is O
            "T1234567L",  // nor is T
            "B12A45674",  // letter inside
            "ESX",
            "Ñ1234567L",
        ] {
            let err = kind(id).expect_err(id);
            assert!(err.0.starts_with("must be a Spanish"), "{id}: {err}");
        }
    }

    #[test]
    fn prefix_es_is_dropped() {
        assert_eq!(
            parse("ESB12345674"),
            Ok((TaxIdKind::Cif, "B12345674".to_owned()))
        );
    }
}
