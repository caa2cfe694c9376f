//! The priority a new ticket gets automatically, and the plain-English reason for it.
//!
//! Rules apply in this order, each on the result of the one before:
//! 1. start from the category's default priority, or normal;
//! 2. urgency words ("caído", "no funciona", "outage", ...) lift it to at least high;
//! 3. churn-risk words ("cancelar", "baja", "cancel", ...) raise it one step;
//! 4. sentiment at or below [`NEGATIVE_SENTIMENT`] raises it one step;
//! 5. a valuable client (premium tier, open proposals, or a pipeline of at least
//!    [`LARGE_PIPELINE_CENTS`]) raises it one step, however many of those hold.
//!
//! Words match whole words (or phrases), ignoring case and accents.

use crate::search::normalize_for_search;

use super::ticket::Priority;

/// Sentiment at or below this counts as negative.
pub const NEGATIVE_SENTIMENT: f64 = -0.5;
/// Pipeline value, in cents, from which a client counts as valuable (10,000.00).
pub const LARGE_PIPELINE_CENTS: i64 = 1_000_000;
/// Client tiers that count as valuable, compared ignoring case.
pub const PREMIUM_TIERS: &[&str] = &[
    "gold",
    "platinum",
    "diamond",
    "vip",
    "premium",
    "enterprise",
];

/// Words that mean service is down or work is blocked, in Spanish and English.
#[rustfmt::skip]
const URGENCY_WORDS: &[&str] = &[
    "urgente", "urgentes", "urgencia", "caído", "caída", "caídos", "caídas",
    "no funciona", "no funcionan", "bloqueado", "bloqueada", "bloqueados", "bloqueadas",
    "sin servicio", "inaccesible", "crítico", "crítica",
    "urgent", "urgently", "asap", "emergency", "down", "outage",
    "not working", "doesn't work", "does not work", "blocked", "blocking", "critical",
];

/// Words that mean the client may leave, in Spanish and English.
#[rustfmt::skip]
const CHURN_WORDS: &[&str] = &[
    "cancelar", "cancelación", "cancelamos", "baja", "rescindir", "cambiar de proveedor",
    "cancel", "cancellation", "cancelling", "canceling", "terminate", "unsubscribe",
    "switch provider",
];

/// What the rules read about a new ticket and its client.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriorityInputs<'a> {
    /// The default priority of the ticket's category, if it has one.
    pub category_default: Option<Priority>,
    /// The client's tier, such as `gold`.
    pub client_tier: Option<&'a str>,
    /// Whether the client has proposals awaiting an answer.
    pub has_open_proposals: bool,
    /// The value of the client's open opportunities, in cents.
    pub pipeline_value_cents: Option<i64>,
    /// The ticket's title and description.
    pub text: &'a str,
    /// The text's sentiment, from -1 (angry) to 1 (happy).
    pub sentiment: Option<f64>,
}

/// The priority the rules give, and every rule that applied, joined by "; ".
pub fn suggest_priority(inputs: &PriorityInputs<'_>) -> (Priority, String) {
    let mut reasons: Vec<String> = Vec::new();
    let mut priority = match inputs.category_default {
        Some(p) => {
            reasons.push(format!("category default {p}"));
            p
        }
        None => Priority::Normal,
    };
    let text = format!(" {} ", normalize_for_search(inputs.text));
    let urgency = found(&text, URGENCY_WORDS);
    if !urgency.is_empty() {
        priority = priority.max(Priority::High);
        reasons.push(quoted(
            if urgency.len() == 1 {
                "keyword"
            } else {
                "keywords"
            },
            &urgency,
        ));
    }
    let churn = found(&text, CHURN_WORDS);
    if !churn.is_empty() {
        priority = priority.raised();
        reasons.push(quoted("churn risk", &churn));
    }
    if let Some(s) = inputs.sentiment.filter(|s| *s <= NEGATIVE_SENTIMENT) {
        priority = priority.raised();
        let s = (s.max(-1.0) * 100.0).round() / 100.0;
        reasons.push(format!("negative sentiment ({s})"));
    }
    let value = client_value(inputs);
    if !value.is_empty() {
        priority = priority.raised();
        reasons.extend(value);
    }
    let reason = if reasons.is_empty() {
        "no rule applied".to_owned()
    } else {
        reasons.join("; ")
    };
    (priority, reason)
}

/// The words of a list that appear in normalized, space-padded text, as the list spells them.
fn found(text: &str, words: &[&'static str]) -> Vec<&'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    for word in words {
        let needle = format!(" {} ", normalize_for_search(word));
        if text.contains(&needle) && !seen.contains(word) {
            seen.push(word);
        }
    }
    seen
}

fn quoted(label: &str, words: &[&str]) -> String {
    let words: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    format!("{label} {}", words.join(", "))
}

/// Why the client is valuable, one phrase per reason; empty when it is not.
fn client_value(inputs: &PriorityInputs<'_>) -> Vec<String> {
    let mut why = Vec::new();
    if let Some(tier) = inputs.client_tier.map(|t| t.trim().to_lowercase())
        && PREMIUM_TIERS.contains(&tier.as_str())
    {
        why.push(format!("{tier} client"));
    }
    if inputs.has_open_proposals {
        why.push("open proposals".to_owned());
    }
    if let Some(cents) = inputs
        .pipeline_value_cents
        .filter(|c| *c >= LARGE_PIPELINE_CENTS)
    {
        why.push(format!(
            "large pipeline ({}.{:02})",
            cents / 100,
            cents % 100
        ));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> PriorityInputs<'_> {
        PriorityInputs {
            text,
            ..PriorityInputs::default()
        }
    }

    #[test]
    fn nothing_applies() {
        assert_eq!(
            suggest_priority(&text("¿Cómo cambio mi contraseña?")),
            (Priority::Normal, "no rule applied".to_owned())
        );
        let low = PriorityInputs {
            category_default: Some(Priority::Low),
            ..text("Duda sobre la factura")
        };
        assert_eq!(
            suggest_priority(&low),
            (Priority::Low, "category default low".to_owned())
        );
    }

    #[test]
    fn the_example_of_the_brief() {
        let inputs = PriorityInputs {
            client_tier: Some("Gold"),
            sentiment: Some(-0.7),
            ..text("El servidor está CAIDO desde esta mañana")
        };
        assert_eq!(
            suggest_priority(&inputs),
            (
                Priority::Urgent,
                "keyword \"caído\"; negative sentiment (-0.7); gold client".to_owned()
            )
        );
    }

    #[test]
    fn urgency_words_lift_to_high() {
        for raw in [
            "La web no funciona",
            "Estamos BLOQUEADOS con el pedido",
            "Urgente: factura",
            "Our site is down!",
            "Major outage in EU",
            "Export not working.",
            "The button doesn't work",
        ] {
            assert_eq!(suggest_priority(&text(raw)).0, Priority::High, "{raw}");
        }
        // Already urgent stays urgent; the floor never lowers.
        let urgent = PriorityInputs {
            category_default: Some(Priority::Urgent),
            ..text("down")
        };
        assert_eq!(suggest_priority(&urgent).0, Priority::Urgent);
    }

    #[test]
    fn words_match_whole_words_only() {
        for raw in [
            "How do I download the report?",
            "Downtime window next week",
            "Unblocked now, thanks",
            "Bajamos el precio",
            "Funciona todo bien",
            "cancelled order", // past tense is not in the list
        ] {
            let (priority, reason) = suggest_priority(&text(raw));
            assert_eq!(priority, Priority::Normal, "{raw}: {reason}");
        }
    }

    #[test]
    fn every_matched_word_is_named_once() {
        let (priority, reason) = suggest_priority(&text(
            "URGENTE: la aplicación no funciona, está caída. Urgente!",
        ));
        assert_eq!(priority, Priority::High);
        assert_eq!(reason, "keywords \"urgente\", \"caída\", \"no funciona\"");
    }

    #[test]
    fn churn_risk_raises_one_step() {
        let (priority, reason) = suggest_priority(&text("Queremos darnos de baja del servicio"));
        assert_eq!(priority, Priority::High);
        assert_eq!(reason, "churn risk \"baja\"");
        let (priority, reason) = suggest_priority(&text("Site down, we will cancel the contract"));
        assert_eq!(priority, Priority::Urgent);
        assert_eq!(reason, "keyword \"down\"; churn risk \"cancel\"");
    }

    #[test]
    fn sentiment() {
        let angry = PriorityInputs {
            sentiment: Some(-0.666),
            ..text("Otra vez lo mismo")
        };
        assert_eq!(
            suggest_priority(&angry),
            (Priority::High, "negative sentiment (-0.67)".to_owned())
        );
        let calm = PriorityInputs {
            sentiment: Some(-0.4),
            ..text("Otra vez lo mismo")
        };
        assert_eq!(suggest_priority(&calm).0, Priority::Normal);
        let nan = PriorityInputs {
            sentiment: Some(f64::NAN),
            ..text("x")
        };
        assert_eq!(suggest_priority(&nan).0, Priority::Normal);
    }

    #[test]
    fn a_valuable_client_raises_one_step_for_all_reasons() {
        let inputs = PriorityInputs {
            category_default: Some(Priority::Low),
            client_tier: Some(" Platinum "),
            has_open_proposals: true,
            pipeline_value_cents: Some(2_500_050),
            ..text("Pregunta")
        };
        assert_eq!(
            suggest_priority(&inputs),
            (
                Priority::Normal,
                "category default low; platinum client; open proposals; large pipeline (25000.50)"
                    .to_owned()
            )
        );
        let small = PriorityInputs {
            client_tier: Some("bronze"),
            pipeline_value_cents: Some(LARGE_PIPELINE_CENTS - 1),
            ..text("Pregunta")
        };
        assert_eq!(suggest_priority(&small).0, Priority::Normal);
    }

    #[test]
    fn deterministic() {
        let inputs = PriorityInputs {
            client_tier: Some("vip"),
            sentiment: Some(-0.9),
            ..text("outage, cancelar, bloqueado")
        };
        assert_eq!(suggest_priority(&inputs), suggest_priority(&inputs));
    }
}
