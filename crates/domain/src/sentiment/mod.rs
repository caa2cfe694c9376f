//! The sentiment of a client's message, in Spanish or English, from -1 (angry) to 1 (happy).
//!
//! Lexicon-based: each known word carries a valence from -4 to 4; negations ("no", "nunca",
//! "sin", "not", "never", any `n't`) reaching up to three words ahead flip and dampen it;
//! intensifiers ("muy", "really") and diminishers ("un poco", "slightly") just before it
//! scale it; in a sentence with "pero" / "but" what follows counts more than what precedes;
//! exclamation marks add emphasis. The sum is squashed into [-1, 1] by `x / sqrt(x² + 15)`,
//! so a message with no sentiment words scores 0 and one mild word stays neutral.
//!
//! Words are compared lower-case with accents folded (`rápido` → `rapido`, `ñ` → `n`, as
//! clients often type without them). Both lexicons are applied to every message; the language
//! detected from its function words (or the caller's hint when they don't tell) only decides
//! which one wins for a word both list.
//!
//! The lexicons were written for this project and are licensed with it (UNLICENSED,
//! proprietary to the product); no third-party lexicon was used.

mod english;
mod language;
mod lexicon;
mod rules;
mod spanish;
mod tokens;

use crate::templates::Locale;

/// Scores at or above this read as positive.
pub const POSITIVE_FROM: f32 = 0.25;
/// Scores at or below this read as negative.
pub const NEGATIVE_FROM: f32 = -0.25;

/// The reading of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

impl Sentiment {
    /// The API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Neutral => "neutral",
            Self::Negative => "negative",
        }
    }
}

/// The sentiment of `text` in [-1, 1]; 0 when it has no sentiment words.
pub fn score(text: &str) -> f32 {
    score_in(text, None)
}

/// The sentiment of `text`, with `hint` (e.g. the tenant's locale) as its language when its
/// words do not tell.
pub fn score_in(text: &str, hint: Option<Locale>) -> f32 {
    let words = tokens::words(text);
    let lexicons = language::lexicons(&words, hint);
    let words = lexicon::join_phrases(words, &lexicons);
    let exclamations = text.matches('!').count();
    rules::normalise(rules::total(&words, &lexicons), exclamations)
}

/// The language of `text` by its function words, if they tell.
pub fn detect_language(text: &str) -> Option<Locale> {
    language::detect(&tokens::words(text))
}

/// Positive from [`POSITIVE_FROM`], negative from [`NEGATIVE_FROM`], neutral between.
pub fn label(score: f32) -> Sentiment {
    if score >= POSITIVE_FROM {
        Sentiment::Positive
    } else if score <= NEGATIVE_FROM {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    }
}

#[cfg(test)]
mod tests;
