//! Telling Spanish from English by the function words a message uses.

use super::english::ENGLISH;
use super::lexicon::Lexicon;
use super::spanish::SPANISH;
use super::tokens::Word;
use crate::templates::Locale;

/// The language most of the function words of `words` belong to; `None` on a tie (short
/// messages such as "¡Gracias!" or "OK" have none).
pub(super) fn detect(words: &[Word]) -> Option<Locale> {
    let count = |l: &Lexicon| words.iter().filter(|w| (l.stopword)(&w.text)).count();
    let (es, en) = (count(&SPANISH), count(&ENGLISH));
    match es.cmp(&en) {
        std::cmp::Ordering::Greater => Some(Locale::Es),
        std::cmp::Ordering::Less => Some(Locale::En),
        std::cmp::Ordering::Equal => None,
    }
}

/// Both lexicons, the message's language first: detected from its words, else `hint`, else
/// Spanish. Both apply because clients mix languages ("Gracias, great service") and the few
/// words the lists share mean the same in both; order only decides which one scores a word
/// both list.
pub(super) fn lexicons(words: &[Word], hint: Option<Locale>) -> [&'static Lexicon; 2] {
    match detect(words).or(hint) {
        Some(Locale::En) => [&ENGLISH, &SPANISH],
        Some(Locale::Es) | None => [&SPANISH, &ENGLISH],
    }
}
