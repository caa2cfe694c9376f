//! The English lexicon: the words clients use with a support or sales team.
//!
//! Words are listed in their base form where the plural rule recovers it (`issues`); verbs
//! are spelled out. Contractions lose their apostrophe (`don't` → `dont`); any word written
//! with `n't` negates, listed here or not. Sign-offs (`best regards`, `kind regards`) are
//! phrases without sentiment, so that every e-mail does not read as praise.

use super::lexicon::Lexicon;

/// The English word lists.
pub(super) const ENGLISH: Lexicon = Lexicon {
    valence,
    booster,
    negator,
    contrast,
    stopword,
    phrases: PHRASES,
};

/// Idioms, greetings and sign-offs that must not count word by word, and multi-word rules.
const PHRASES: &[&str] = &[
    "a bit",
    "a little",
    "kind of",
    "sort of",
    "on time",
    "well done",
    "fed up",
    "not only",
    "looking forward",
    "good morning",
    "good afternoon",
    "good evening",
    "good night",
    "good day",
    "kind regards",
    "best regards",
    "warm regards",
    "best wishes",
    "no doubt",
    "no wonder",
    "doesnt work",
    "dont work",
    "didnt work",
    "does not work",
    "do not work",
    "did not work",
    "not working",
    "stopped working",
    "dont like",
    "doesnt like",
    "didnt like",
    "do not like",
    "did not like",
];

#[rustfmt::skip]
fn valence(word: &str) -> Option<f32> {
    Some(match word {
        // Praise and delight.
        "excellent" | "amazing" | "awesome" | "fantastic" | "wonderful" | "perfect"
        | "outstanding" | "superb" | "exceptional" | "delighted" | "thrilled" | "love"
        | "loved" => 3.5,
        "great" | "brilliant" | "incredible" | "lovely" | "best" | "congratulations"
        | "congrats" | "grateful" | "thankful" | "impressive" | "flawless" => 3.0,
        "good" | "nice" | "happy" | "pleased" | "glad" | "satisfied" | "impressed" | "helpful"
        | "useful" | "efficient" | "friendly" | "kind" | "reliable" | "resolved" | "solved"
        | "fixed" | "recommend" | "recommended" | "appreciate" | "appreciated" | "enjoy"
        | "enjoyed" | "fun" | "beautiful" | "better" | "success" | "successful" | "wow" | "yay"
        | "liked" | "seamless" | "pleasure" | "well done" | "perfectly" | "fast" | "quick"
        | "favourite" | "favorite" | "smooth" | "looking forward" | "loving" | "excited" => 2.0,
        "thanks" | "thank" | "thx" | "quickly" | "prompt" | "promptly" | "smoothly" | "easy"
        | "polite" | "professional" | "on time" | "cool" | "worth" | "improved" | "accurate"
        | "responsive" | "welcome" | "successfully" | "helped" | "worked" => 1.5,
        "works" | "working" | "fine" | "clear" | "easily" | "improvement" | "patient"
        | "patience" | "fair" | "safe" | "correct" | "cheers" | "answered" | "replied"
        | "delivered" | "cheap" | "affordable" => 1.0,
        // Complaints, faults and anger.
        "terrible" | "horrible" | "awful" | "worst" | "disgusting" | "appalling" | "furious"
        | "scam" | "fraud" | "crap" | "lousy" | "hate" | "hated" => -3.5,
        "unacceptable" | "outrageous" | "pathetic" | "useless" | "worthless" | "disappointed"
        | "disappointing" | "disappointment" | "shameful" | "disgrace" | "incompetent"
        | "rude" | "nightmare" | "disaster" | "garbage" | "sucks" | "liar" | "dishonest"
        | "ridiculous" => -3.0,
        "bad" | "worse" | "broken" | "defective" | "damaged" | "faulty" | "failure" | "upset"
        | "annoying" | "frustrated" | "frustrating" | "frustration" | "unhappy"
        | "dissatisfied" | "angry" | "shame" | "trash" | "lie" | "lied" | "misleading"
        | "overpriced" | "overcharged" | "unreliable" | "unprofessional" | "unhelpful"
        | "fake" | "fed up"
        // Faults: "work" alone is no sentiment, failing to work is a clear complaint.
        | "doesnt work" | "dont work" | "didnt work" | "does not work" | "do not work"
        | "did not work" | "not working" | "stopped working" => -2.5,
        // "like" alone is mostly a preposition; disliking is not.
        "dont like" | "doesnt like" | "didnt like" | "do not like" | "did not like" => -2.0,
        "poor" | "poorly" | "problem" | "error" | "fail" | "failed" | "failing" | "broke"
        | "crash" | "crashed" | "wrong" | "incorrect" | "mistake" | "complaint" | "complain"
        | "complained" | "complaining" | "annoyed" | "sad" | "delay" | "delayed" | "impossible"
        | "ignored" | "ignoring" | "unresolved" | "outage" | "buggy" | "careless" | "mess"
        | "messed" | "hassle" | "dirty" | "ugly" | "dangerous" => -2.0,
        "issue" | "bug" | "slow" | "late" | "overdue" | "cancel" | "cancelled" | "canceled"
        | "cancellation" | "refund" | "expensive" | "confusing" | "confused" | "difficult"
        | "complicated" | "missing" | "lost" | "stuck" | "worried" | "worry" | "concerned"
        | "unfortunately" | "spam" | "inconvenient" | "inconvenience" | "afraid" | "fear"
        | "unable" | "unsubscribe" => -1.5,
        "slowly" | "waited" | "urgent" | "concern" | "refunded" => -1.0,
        "sorry" | "waiting" | "wait" => -0.5,
        // A form the plural rule would misread as "good": merchandise.
        "goods" => 0.0,
        _ => return None,
    })
}

#[rustfmt::skip]
fn booster(word: &str) -> Option<f32> {
    Some(match word {
        "extremely" | "incredibly" | "absolutely" | "exceptionally" | "utterly" | "insanely" => 1.7,
        "very" | "totally" | "completely" | "highly" | "super" | "hugely" | "deeply"
        | "remarkably" | "terribly" => 1.5,
        "really" | "truly" | "entirely" | "seriously" => 1.4,
        "so" | "too" | "such" | "much" | "way" | "most" | "genuinely" => 1.3,
        "especially" | "particularly" | "quite" | "pretty" => 1.2,
        "fairly" | "rather" => 0.8,
        "somewhat" | "kind of" | "sort of" | "mildly" | "marginally" | "partly" | "almost" => 0.6,
        "a bit" | "a little" | "slightly" => 0.5,
        _ => return None,
    })
}

fn negator(word: &str) -> bool {
    matches!(
        word,
        "not"
            | "no"
            | "never"
            | "none"
            | "nobody"
            | "nothing"
            | "neither"
            | "nor"
            | "without"
            | "cannot"
            | "hardly"
            | "barely"
            | "dont"
            | "doesnt"
            | "didnt"
            | "isnt"
            | "arent"
            | "wasnt"
            | "werent"
            | "wont"
            | "cant"
            | "couldnt"
            | "shouldnt"
            | "wouldnt"
            | "hasnt"
            | "havent"
            | "hadnt"
            | "aint"
    )
}

fn contrast(word: &str) -> bool {
    matches!(word, "but" | "however" | "nevertheless" | "nonetheless")
}

#[rustfmt::skip]
fn stopword(word: &str) -> bool {
    matches!(
        word,
        "the" | "and" | "of" | "to" | "in" | "is" | "it" | "its" | "that" | "for" | "on"
            | "with" | "was" | "are" | "be" | "this" | "my" | "i" | "im" | "you" | "we" | "they"
            | "have" | "has" | "had" | "not" | "but" | "at" | "your" | "our" | "from" | "just"
            | "will" | "would" | "can" | "could" | "there" | "what" | "been" | "do" | "did"
            | "does" | "hi" | "hello" | "thanks" | "thank" | "please" | "an" | "or" | "if"
            | "am" | "were" | "dont" | "order" | "very" | "still"
    )
}
