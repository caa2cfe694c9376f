//! Rules about timeline events that more than one module relies on.

/// Event families that keep the client record itself (created, updated, converted, merged,
/// its contacts edited): they are history, but nobody spoke to the client.
const RECORD_KEEPING: &[&str] = &["client.", "contact."];

/// Whether an event of this type is an interaction with the client (a message, call, meeting,
/// proposal, ticket, campaign touch ...): such events set the client's `last_contact_at` and
/// make it count as active in the KPIs.
pub fn is_interaction(event_type: &str) -> bool {
    !RECORD_KEEPING.iter().any(|p| event_type.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::is_interaction;

    #[test]
    fn record_keeping_is_not_contact() {
        for t in [
            "client.created",
            "client.updated",
            "client.merged",
            "contact.erased",
        ] {
            assert!(!is_interaction(t), "{t}");
        }
    }

    #[test]
    fn messages_meetings_and_deals_are() {
        for t in [
            "communication.sent",
            "activity.completed",
            "proposal.accepted",
            "ticket.opened",
            "clientele.visit",
        ] {
            assert!(is_interaction(t), "{t}");
        }
    }
}
