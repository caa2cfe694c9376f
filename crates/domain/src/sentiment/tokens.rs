//! Splitting a message into the words the rules look at, with the clause and sentence each
//! belongs to: negation and intensity never reach across punctuation.

use super::lexicon;
use crate::search::normalize_for_search;

/// A word as the lexicons spell it: lower-case, accents folded (`á` → `a`, `ñ` → `n`),
/// apostrophes dropped (`don't` → `dont`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Word {
    pub text: String,
    /// Index of its clause: a new one starts after any punctuation mark.
    pub clause: usize,
    /// Index of its sentence: a new one starts after `.`, `!`, `?`, `;`, `…` or a line break.
    pub sentence: usize,
    /// Written with a contracted negation (`isn't`, `mightn't`).
    pub contracted_negation: bool,
}

/// The words of `text`, in order.
pub(super) fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut raw = String::new();
    let (mut clause, mut sentence) = (0, 0);
    for c in text.chars() {
        if c.is_alphanumeric() || joins(c) {
            raw.push(c);
            continue;
        }
        push(&mut words, &mut raw, clause, sentence);
        if lexicon::emoji(c).is_some() {
            words.push(word(c.to_string(), clause, sentence, false));
        } else if matches!(c, '.' | '!' | '?' | ';' | '…' | '\n') {
            sentence += 1;
            clause += 1;
        } else if !c.is_whitespace() && !is_variation(c) {
            clause += 1;
        }
    }
    push(&mut words, &mut raw, clause, sentence);
    words
}

/// Ends the word being read, if any.
fn push(words: &mut Vec<Word>, raw: &mut String, clause: usize, sentence: usize) {
    if raw.is_empty() {
        return;
    }
    let lower = raw.to_lowercase();
    let contracted = ["n't", "n\u{2019}t", "n\u{02bc}t"]
        .iter()
        .any(|nt| lower.ends_with(nt));
    let text = normalize_for_search(&lower);
    if !text.is_empty() {
        words.push(word(text, clause, sentence, contracted));
    }
    raw.clear();
}

fn word(text: String, clause: usize, sentence: usize, contracted_negation: bool) -> Word {
    Word {
        text,
        clause,
        sentence,
        contracted_negation,
    }
}

/// Marks that stay inside a word: apostrophes, the Catalan middle dot, and the combining
/// accents of decomposed text (folded away later).
fn joins(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}' | '\u{00b7}')
        || ('\u{0300}'..='\u{036f}').contains(&c)
}

/// Invisible companions of emoji (variation selectors, skin tones, joiners): not punctuation.
fn is_variation(c: char) -> bool {
    matches!(c, '\u{fe0e}' | '\u{fe0f}' | '\u{200d}') || ('\u{1f3fb}'..='\u{1f3ff}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(String, usize, usize)> {
        words(text)
            .into_iter()
            .map(|w| (w.text, w.clause, w.sentence))
            .collect()
    }

    #[test]
    fn words_are_folded_and_placed_in_clauses_and_sentences() {
        let w = |t: &str, c, s| (t.to_owned(), c, s);
        assert_eq!(
            texts("¡Muy RÁPIDO, gracias! Niño\ncañón"),
            vec![
                w("muy", 1, 0),
                w("rapido", 1, 0),
                w("gracias", 2, 0),
                w("nino", 3, 1),
                w("canon", 4, 2),
            ]
        );
    }

    #[test]
    fn contracted_negations_are_marked_and_joined() {
        let ws = words("It isn’t good, I don't know");
        let isnt = ws.iter().find(|w| w.text == "isnt").expect("isnt");
        assert!(isnt.contracted_negation);
        assert!(ws.iter().any(|w| w.text == "dont" && w.contracted_negation));
        assert!(!ws.iter().any(|w| w.text == "good" && w.contracted_negation));
    }

    #[test]
    fn known_emoji_are_words_and_decomposed_accents_fold() {
        assert_eq!(
            texts("bien 👍🏽 todo e\u{301}xito"),
            vec![
                ("bien".to_owned(), 0, 0),
                ("👍".to_owned(), 0, 0),
                ("todo".to_owned(), 0, 0),
                ("exito".to_owned(), 0, 0),
            ]
        );
    }
}
