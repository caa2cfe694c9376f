//! How the sentiment words of a message add up to one score: each word's valence, scaled by
//! the boosters just before it, flipped by a negation shortly before it, and weighted by its
//! side of a "but"; the sum is then nudged by exclamation marks and squashed into [-1, 1].

use super::lexicon::{self, Lexicon};
use super::tokens::Word;

/// Words before a sentiment word that a negation may stand at ("no me ha gustado").
const NEGATION_REACH: usize = 3;
/// Words before a sentiment word that a booster may stand at ("muy, muy bueno").
const BOOSTER_REACH: usize = 2;
/// A negated positive word turns about as negative ("no es bueno" is bad) ...
const NEGATED_POSITIVE: f32 = -0.75;
/// ... but a negated negative word is only mildly positive ("not bad" is not "good").
const NEGATED_NEGATIVE: f32 = -0.5;
/// Weight of the words of a sentence before its "but" ...
const BEFORE_CONTRAST: f32 = 0.5;
/// ... and after it, which is what the writer means.
const AFTER_CONTRAST: f32 = 1.5;
/// What each exclamation mark adds to the sum's size, for at most three of them.
const EXCLAMATION: f32 = 0.3;
const MOST_EXCLAMATIONS: usize = 3;
/// How fast the sum approaches ±1: one mild word (±1) stays neutral, one clear word (±2)
/// does not.
const SQUASH: f32 = 16.0;

/// The sum of the sentiment of every word.
pub(super) fn total(words: &[Word], lexicons: &[&Lexicon]) -> f32 {
    (0..words.len())
        .filter_map(|i| word_score(words, i, lexicons))
        .sum()
}

/// `total` nudged away from zero by up to three `!`, then squashed into [-1, 1].
pub(super) fn normalise(total: f32, exclamations: usize) -> f32 {
    if total == 0.0 {
        return 0.0;
    }
    let nudged = total + total.signum() * EXCLAMATION * exclamations.min(MOST_EXCLAMATIONS) as f32;
    (nudged / (nudged * nudged + SQUASH).sqrt()).clamp(-1.0, 1.0)
}

/// The sentiment word `i` contributes, if it is one.
fn word_score(words: &[Word], i: usize, lexicons: &[&Lexicon]) -> Option<f32> {
    let word = &words[i];
    let is_rule = lexicon::negates(word, lexicons)
        || lexicon::booster(&word.text, lexicons).is_some()
        || lexicon::contrasts(&word.text, lexicons);
    if is_rule {
        return None;
    }
    let valence = lexicon::valence(&word.text, lexicons)?;
    let m = modifiers(words, i, lexicons);
    // Under a negation, a booster between it and the word works the other way: "not very
    // good" is milder than "not good"; one before the negation strengthens it ("muy poco").
    let score = match (m.negated, valence > 0.0) {
        (false, _) => valence * m.inner,
        (true, true) => valence * m.outer / m.inner * NEGATED_POSITIVE,
        (true, false) => valence * m.outer / m.inner * NEGATED_NEGATIVE,
    };
    Some(score * contrast_weight(words, i, lexicons))
}

/// Up to `reach` words before word `i`, nearest first, within its clause and not past a
/// contrast ("no es caro, pero lento": the "no" does not reach "lento").
fn before<'w>(
    words: &'w [Word],
    i: usize,
    reach: usize,
    lexicons: &'w [&Lexicon],
) -> impl Iterator<Item = &'w Word> {
    let clause = words[i].clause;
    words[..i]
        .iter()
        .rev()
        .take(reach)
        .take_while(move |w| w.clause == clause && !lexicon::contrasts(&w.text, lexicons))
}

/// What the words just before a sentiment word do to it.
struct Modifiers {
    negated: bool,
    /// Boosters between the word and its negation (all of them when not negated).
    inner: f32,
    /// Boosters before the negation.
    outer: f32,
}

/// The negation and boosters before word `i`; a booster one word further away counts half
/// as much.
fn modifiers(words: &[Word], i: usize, lexicons: &[&Lexicon]) -> Modifiers {
    let mut m = Modifiers {
        negated: false,
        inner: 1.0,
        outer: 1.0,
    };
    for (distance, w) in before(words, i, NEGATION_REACH, lexicons).enumerate() {
        if lexicon::negates(w, lexicons) {
            m.negated = true;
            continue;
        }
        let Some(b) = lexicon::booster(&w.text, lexicons).filter(|_| distance < BOOSTER_REACH)
        else {
            continue;
        };
        let b = if distance == 0 {
            b
        } else {
            1.0 + (b - 1.0) / 2.0
        };
        if m.negated {
            m.outer *= b;
        } else {
            m.inner *= b;
        }
    }
    m
}

/// Less weight before a contrast in the same sentence, more after one.
fn contrast_weight(words: &[Word], i: usize, lexicons: &[&Lexicon]) -> f32 {
    let sentence = words[i].sentence;
    let is_contrast = |w: &Word| w.sentence == sentence && lexicon::contrasts(&w.text, lexicons);
    if words[i + 1..].iter().any(is_contrast) {
        BEFORE_CONTRAST
    } else if words[..i].iter().any(is_contrast) {
        AFTER_CONTRAST
    } else {
        1.0
    }
}
