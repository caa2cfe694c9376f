//! The form of names, e-mails and phones that search compares: lower-case, without accents.

/// Letters folded to plain ASCII, after lower-casing: Spanish, Portuguese, French, German and
/// Catalan, plus a few neighbours people type in names.
#[rustfmt::skip]
const FOLDS: &[(char, &str)] = &[
    ('á', "a"), ('à', "a"), ('â', "a"), ('ä', "a"), ('ã', "a"), ('å', "a"), ('ā', "a"),
    ('ª', "a"), ('æ', "ae"),
    ('ç', "c"), ('ć', "c"), ('č', "c"),
    ('é', "e"), ('è', "e"), ('ê', "e"), ('ë', "e"), ('ē', "e"), ('ę', "e"), ('ě', "e"),
    ('í', "i"), ('ì', "i"), ('î', "i"), ('ï', "i"), ('ī', "i"), ('ı', "i"),
    ('ŀ', "l"), ('ł', "l"),
    ('ñ', "n"), ('ń', "n"), ('ň', "n"),
    ('ó', "o"), ('ò', "o"), ('ô', "o"), ('ö', "o"), ('õ', "o"), ('ø', "o"), ('ō', "o"),
    ('º', "o"), ('œ', "oe"),
    ('ř', "r"), ('š', "s"), ('ß', "ss"), ('ž', "z"),
    ('ú', "u"), ('ù', "u"), ('û', "u"), ('ü', "u"), ('ū', "u"), ('ů', "u"),
    ('ý', "y"), ('ÿ', "y"),
];

/// Lower-case, without accents or punctuation, words separated by one space.
///
/// `@`, `.` and `+` stay between letters or digits so e-mails and domains keep their shape;
/// apostrophes and the Catalan middle dot join (`O'Brien` → `obrien`, `col·legi` → `collegi`);
/// any other sign separates words.
pub fn normalize_for_search(s: &str) -> String {
    let mut folded: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if let Some((_, plain)) = FOLDS.iter().find(|(from, _)| *from == c) {
            folded.extend(plain.chars());
        } else if c.is_alphanumeric() || matches!(c, '@' | '.' | '+') {
            folded.push(c);
        } else if !joins(c) {
            folded.push(' ');
        }
    }
    let inside = |i: usize| {
        let alnum = |j: Option<&char>| j.is_some_and(|c| c.is_alphanumeric());
        i > 0 && alnum(folded.get(i - 1)) && alnum(folded.get(i + 1))
    };
    let spaced: String = folded
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            '@' | '.' | '+' if !inside(i) => ' ',
            _ => *c,
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Marks dropped without splitting the word: apostrophes, the middle dot, and the combining
/// accents of text typed in decomposed form.
fn joins(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}' | '\u{00b7}')
        || ('\u{0300}'..='\u{036f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_of_each_language() {
        for (raw, expected) in [
            ("José Ñúñez Pérez", "jose nunez perez"), // Spanish
            ("João Gonçalves Conceição", "joao goncalves conceicao"), // Portuguese
            (
                "Hélène Française Noël Œuvre",
                "helene francaise noel oeuvre",
            ), // French
            (
                "Jürgen Müller Straße Öl Äpfel",
                "jurgen muller strasse ol apfel",
            ), // German
            ("Lluís Castellà Güell Ŀlívia", "lluis castella guell llivia"), // Catalan
            ("ÀÉÍÓÚ ÂÊÎÔÛ ÃÕ Ç", "aeiou aeiou ao c"),
        ] {
            assert_eq!(normalize_for_search(raw), expected, "{raw}");
        }
    }

    #[test]
    fn decomposed_accents_fold_too() {
        assert_eq!(normalize_for_search("Jose\u{301} N\u{303}u"), "jose nu");
    }

    #[test]
    fn collapses_whitespace() {
        assert_eq!(
            normalize_for_search("  Acme \t\n  Ibérica\u{a0}S.L. "),
            "acme iberica s.l"
        );
        assert_eq!(normalize_for_search(""), "");
        assert_eq!(normalize_for_search(" \t "), "");
    }

    #[test]
    fn keeps_emails_domains_and_phones() {
        assert_eq!(
            normalize_for_search("Ana.García+crm@Ejemplo.ES"),
            "ana.garcia+crm@ejemplo.es"
        );
        assert_eq!(normalize_for_search("www.acme.es"), "www.acme.es");
        // A leading + is not inside a word; both sides of a search lose it alike.
        assert_eq!(normalize_for_search("+34 612 345 678"), "34 612 345 678");
    }

    #[test]
    fn drops_other_punctuation() {
        for (raw, expected) in [
            ("García-López, S.L.", "garcia lopez s.l"),
            ("«Construcciones» (Sevilla)!", "construcciones sevilla"),
            ("Fin de frase. Otra", "fin de frase otra"),
            ("a..b", "a b"),
            ("@acme", "acme"),
            ("C++ & Co.", "c co"),
            ("¿Qué tal? ¡Bien!", "que tal bien"),
            ("50% / 3€", "50 3"),
        ] {
            assert_eq!(normalize_for_search(raw), expected, "{raw}");
        }
    }

    #[test]
    fn apostrophes_and_middle_dots_join() {
        assert_eq!(normalize_for_search("O'Brien"), "obrien");
        assert_eq!(normalize_for_search("L’Hospitalet"), "lhospitalet");
        assert_eq!(
            normalize_for_search("Col·legi d'Advocats"),
            "collegi dadvocats"
        );
    }

    #[test]
    fn other_scripts_are_kept() {
        assert_eq!(normalize_for_search("Москва 東京"), "москва 東京");
    }

    #[test]
    fn the_table_folds_lower_case_letters_once_each() {
        for (i, (from, _)) in FOLDS.iter().enumerate() {
            assert!(from.to_lowercase().eq([*from]), "{from}");
            assert!(FOLDS[..i].iter().all(|(f, _)| f != from), "{from}");
        }
    }

    #[test]
    fn idempotent() {
        let once = normalize_for_search("  Ñandú-Áreas, S.A.  ana@x.es ");
        assert_eq!(normalize_for_search(&once), once);
    }
}
