//! What a language's lexicon provides, and looking words up in one or more of them, with the
//! inflections the word lists leave out.

use super::tokens::Word;

/// Longest phrase, in words, a lexicon may list.
const LONGEST_PHRASE: usize = 3;
/// Weight of a stretched word (`graciaaas`, `soooo slow`): written with feeling.
const ELONGATED: f32 = 1.2;
/// Weight of a Spanish absolute superlative (`buenísimo`, `lentísimo`) over its base word.
const SUPERLATIVE: f32 = 1.5;

/// The word lists of one language. Every word is spelled as [`Word::text`] is: lower-case,
/// without accents, `ñ` as `n`, apostrophes dropped; phrases are words joined by one space.
pub(super) struct Lexicon {
    /// The sentiment of a word or phrase, from -4 (worst) to 4 (best); `Some(0.0)` marks a
    /// word that only looks like an inflection of a scored one (`goods`).
    pub valence: fn(&str) -> Option<f32>,
    /// How much a word scales the sentiment word after it: above 1 intensifies, below 1
    /// diminishes.
    pub booster: fn(&str) -> Option<f32>,
    /// Whether a word negates the sentiment words after it.
    pub negator: fn(&str) -> bool,
    /// Whether a word turns a sentence towards what follows it (`but`).
    pub contrast: fn(&str) -> bool,
    /// Whether a word is a common function word, for telling the language.
    pub stopword: fn(&str) -> bool,
    /// Multi-word entries, read as one word: idioms, greetings that must not count
    /// (`buenas tardes`), and multi-word boosters, negators and contrasts.
    pub phrases: &'static [&'static str],
}

/// The sentiment of a word in the first lexicon that scores it, trying the word as written,
/// then without stretching, then its plural, feminine or superlative reduced to the base form.
pub(super) fn valence(word: &str, lexicons: &[&Lexicon]) -> Option<f32> {
    if let Some(v) = word.chars().next().and_then(emoji) {
        return Some(v);
    }
    let lookup = |w: &str| lexicons.iter().find_map(|l| (l.valence)(w));
    let with_inflections = |w: &str| {
        lookup(w).or_else(|| {
            base_forms(w)
                .into_iter()
                .find_map(|(base, weight)| lookup(&base).map(|v| v * weight))
        })
    };
    with_inflections(word).or_else(|| {
        unstretched(word)
            .into_iter()
            .find_map(|w| with_inflections(&w).map(|v| v * ELONGATED))
    })
}

/// The booster weight of a word in any of the lexicons.
pub(super) fn booster(word: &str, lexicons: &[&Lexicon]) -> Option<f32> {
    lexicons.iter().find_map(|l| (l.booster)(word))
}

/// Whether any of the lexicons reads `word` as a negation.
pub(super) fn negates(word: &Word, lexicons: &[&Lexicon]) -> bool {
    word.contracted_negation || lexicons.iter().any(|l| (l.negator)(&word.text))
}

/// Whether any of the lexicons reads `word` as a contrast.
pub(super) fn contrasts(word: &str, lexicons: &[&Lexicon]) -> bool {
    lexicons.iter().any(|l| (l.contrast)(word))
}

/// The words with every listed phrase (longest first) joined into one word.
pub(super) fn join_phrases(words: Vec<Word>, lexicons: &[&Lexicon]) -> Vec<Word> {
    let mut joined: Vec<Word> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let phrase = (2..=LONGEST_PHRASE).rev().find_map(|n| {
            let span = words.get(i..i + n)?;
            let same_clause = span.iter().all(|w| w.clause == span[0].clause);
            let text = span
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let listed = lexicons.iter().any(|l| l.phrases.contains(&text.as_str()));
            (same_clause && listed).then_some((n, text))
        });
        match phrase {
            Some((n, text)) => {
                joined.push(Word {
                    text,
                    contracted_negation: false,
                    ..words[i].clone()
                });
                i += n;
            }
            None => {
                joined.push(words[i].clone());
                i += 1;
            }
        }
    }
    joined
}

/// The sentiment of the emoji people put in messages most; the same in every language.
pub(super) fn emoji(c: char) -> Option<f32> {
    Some(match c {
        '😍' | '🥰' | '❤' | '💯' | '🙌' => 3.0,
        '😀' | '😃' | '😄' | '😁' | '😊' | '🙂' | '👍' | '👏' | '🙏' | '✅' | '🎉' => {
            2.0
        }
        '😕' | '😟' | '😒' | '🙄' | '👎' | '😢' | '😞' | '😔' => -2.0,
        '😠' | '😡' | '🤬' | '😤' | '😭' | '💩' => -3.0,
        _ => return None,
    })
}

/// Base forms of an inflected word, each with its weight: plural (`problemas`, `issues`),
/// feminine (`rapida` → `rapido`) and the Spanish superlative (`buenisimo` → `bueno`,
/// `facilisimo` → `facil`, `grandisimo` → `grande`).
fn base_forms(word: &str) -> Vec<(String, f32)> {
    let mut forms = Vec::new();
    let singular = word.strip_suffix('s');
    if let Some(s) = singular {
        forms.push((s.to_owned(), 1.0));
    }
    if let Some(s) = word.strip_suffix("es") {
        forms.push((s.to_owned(), 1.0));
    }
    if let Some(stem) = singular.unwrap_or(word).strip_suffix('a') {
        forms.push((format!("{stem}o"), 1.0));
    }
    let superlative = ["isimo", "isima", "isimos", "isimas"]
        .iter()
        .find_map(|suffix| word.strip_suffix(suffix));
    if let Some(stem) = superlative {
        forms.push((stem.to_owned(), SUPERLATIVE));
        forms.push((format!("{stem}o"), SUPERLATIVE));
        forms.push((format!("{stem}e"), SUPERLATIVE));
    }
    forms
}

/// A stretched word with its runs of three or more letters shortened to one and to two
/// (`graciaaas` → `gracias`, `goood` → `good`); none when nothing is stretched.
fn unstretched(word: &str) -> Vec<String> {
    let squeeze = |keep: usize| {
        let mut out = String::with_capacity(word.len());
        let mut run = (None, 0);
        for c in word.chars() {
            run = if run.0 == Some(c) {
                (Some(c), run.1 + 1)
            } else {
                (Some(c), 1)
            };
            if run.1 <= keep {
                out.push(c);
            }
        }
        out
    };
    let once = squeeze(1);
    let twice = squeeze(2);
    if twice == word {
        return Vec::new();
    }
    vec![once, twice]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflected_forms_reduce_to_their_base() {
        let forms = |w: &str| {
            base_forms(w)
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert!(forms("problemas").contains(&"problema".to_owned()));
        assert!(forms("errores").contains(&"error".to_owned()));
        assert!(forms("rapidas").contains(&"rapido".to_owned()));
        assert!(forms("lentisima").contains(&"lento".to_owned()));
        assert!(forms("facilisimo").contains(&"facil".to_owned()));
    }

    #[test]
    fn stretched_words_are_shortened() {
        assert_eq!(unstretched("graciaaas"), vec!["gracias", "graciaas"]);
        assert_eq!(unstretched("goooood"), vec!["god", "good"]);
        assert!(unstretched("good").is_empty());
    }
}
