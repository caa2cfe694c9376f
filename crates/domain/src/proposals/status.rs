//! The life of a proposal: `draft → sent → accepted | rejected | expired`. A sent proposal
//! never goes back to draft; revising it makes a new version, a draft.

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProposalStatus {
    Draft,
    Sent,
    Accepted,
    Rejected,
    Expired,
}

impl ProposalStatus {
    pub const ALL: [ProposalStatus; 5] = [
        Self::Draft,
        Self::Sent,
        Self::Accepted,
        Self::Rejected,
        Self::Expired,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of draft, sent, accepted, rejected, expired"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    /// Whether the proposal still awaits the client's answer.
    pub fn is_pending(self) -> bool {
        self == Self::Sent
    }

    /// Whether a proposal may go from `from` to `to`.
    pub fn can_change(from: Self, to: Self) -> Result<(), Invalid> {
        use ProposalStatus::*;
        match (from, to) {
            (Draft, Sent) | (Sent, Accepted | Rejected | Expired) => Ok(()),
            (Sent | Accepted | Rejected | Expired, Draft) => Err(Invalid::new(
                "a proposal goes back to draft only as a new version (revise it)",
            )),
            _ => Err(Invalid::new(format!(
                "a {} proposal cannot become {}",
                from.as_str(),
                to.as_str()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProposalStatus::{self, *};

    #[test]
    fn every_transition_allowed_and_refused() {
        let allowed = [
            (Draft, Sent),
            (Sent, Accepted),
            (Sent, Rejected),
            (Sent, Expired),
        ];
        for from in ProposalStatus::ALL {
            for to in ProposalStatus::ALL {
                assert_eq!(
                    ProposalStatus::can_change(from, to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert!(
            ProposalStatus::can_change(Sent, Draft)
                .expect_err("refused")
                .0
                .contains("new version")
        );
    }

    #[test]
    fn names_round_trip() {
        for s in ProposalStatus::ALL {
            assert_eq!(ProposalStatus::parse(s.as_str()), Ok(s));
        }
        assert!(ProposalStatus::parse("won").is_err());
    }
}
