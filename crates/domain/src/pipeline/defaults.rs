//! The pipeline a new tenant starts with, in the tenant's language. The migration that created
//! the pipeline tables gave tenants that existed then the same stages.

use super::stage::{StageKind, StageSpec};

/// The default stages: New, Qualified, Proposal, Negotiation, Won, Lost (Spanish names unless
/// the tenant's language is English), with rising probabilities and rot days on open stages.
pub fn default_stages(locale: &str) -> Vec<StageSpec> {
    let en = locale == "en";
    let stages: [(&str, &str, i16, StageKind, Option<i32>); 6] = [
        ("Nuevo", "New", 10, StageKind::Open, Some(14)),
        ("Cualificado", "Qualified", 25, StageKind::Open, Some(21)),
        ("Propuesta", "Proposal", 50, StageKind::Open, Some(21)),
        ("Negociación", "Negotiation", 75, StageKind::Open, Some(14)),
        ("Ganado", "Won", 100, StageKind::Won, None),
        ("Perdido", "Lost", 0, StageKind::Lost, None),
    ];
    stages
        .into_iter()
        .map(|(es, english, probability, kind, rot_days)| StageSpec {
            name: if en { english } else { es }.to_owned(),
            probability,
            kind,
            rot_days,
            on_proposal_sent: es == "Propuesta",
        })
        .collect()
}

/// The default pipeline's name.
pub fn default_pipeline_name(locale: &str) -> &'static str {
    if locale == "en" { "Sales" } else { "Ventas" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_tenants_get_english_names() {
        let names: Vec<String> = default_stages("en").into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
        );
        assert_eq!(default_stages("es")[3].name, "Negociación");
        assert_eq!(default_pipeline_name("es"), "Ventas");
    }
}
