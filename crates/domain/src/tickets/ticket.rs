//! Where a support ticket stands, and how urgent it is.

use crate::Invalid;

/// The stage of a ticket in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Just arrived; nobody has triaged it yet.
    New,
    /// Being worked on by the team.
    Open,
    /// Waiting for the customer's answer; the SLA clocks stop.
    PendingCustomer,
    /// Parked, for example waiting for a third party; the SLA clocks stop.
    OnHold,
    /// Solved; it may still be reopened or closed.
    Resolved,
    /// Finished; only reopening moves it again.
    Closed,
}

impl TicketStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [TicketStatus; 6] = [
        Self::New,
        Self::Open,
        Self::PendingCustomer,
        Self::OnHold,
        Self::Resolved,
        Self::Closed,
    ];

    /// The status named by its API spelling (`pending_customer`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "must be one of: new, open, pending_customer, on_hold, resolved, closed",
                )
            })
    }

    /// The API spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Open => "open",
            Self::PendingCustomer => "pending_customer",
            Self::OnHold => "on_hold",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    /// Whether the SLA clocks stop: waiting for the customer, or put on hold.
    pub fn is_paused(&self) -> bool {
        matches!(self, Self::PendingCustomer | Self::OnHold)
    }

    /// Whether the ticket still needs work: new, open, pending customer or on hold.
    pub fn is_open(&self) -> bool {
        !matches!(self, Self::Resolved | Self::Closed)
    }

    /// Whether a ticket may move from one status to another. Open statuses move freely among
    /// themselves and to resolved; resolved reopens (to open) or closes; closed only reopens.
    /// Staying in the same status is always allowed.
    pub fn can_change(from: Self, to: Self) -> Result<(), Invalid> {
        let allowed = from == to
            || match from {
                Self::Closed => to == Self::Open,
                Self::Resolved => matches!(to, Self::Open | Self::Closed),
                _ => to.is_open() || to == Self::Resolved,
            };
        if allowed {
            Ok(())
        } else {
            Err(Invalid::new(format!(
                "a {from} ticket cannot become {to}{}",
                match from {
                    Self::Closed => "; reopen it first",
                    Self::Resolved => "; reopen it or close it",
                    _ => "; resolve it first",
                }
            )))
        }
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How soon a ticket must be handled; ordered, so `Urgent > High > Normal > Low`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever there is time.
    Low,
    /// The usual pace.
    Normal,
    /// Ahead of normal work.
    High,
    /// Before anything else.
    Urgent,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Self::Urgent, Self::High, Self::Normal, Self::Low];

    /// The priority named by its API spelling (`urgent`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("must be one of: urgent, high, normal, low"))
    }

    /// The API spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::High => "high",
            Self::Normal => "normal",
            Self::Low => "low",
        }
    }

    /// One step more urgent; urgent stays urgent.
    pub fn raised(self) -> Self {
        match self {
            Self::Low => Self::Normal,
            Self::Normal => Self::High,
            Self::High | Self::Urgent => Self::Urgent,
        }
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Ok(s));
            let json = serde_json::to_value(s).expect("serialise");
            assert_eq!(json, serde_json::json!(s.as_str()));
            assert_eq!(serde_json::from_value::<TicketStatus>(json).ok(), Some(s));
        }
        assert_eq!(TicketStatus::parse(" on_hold "), Ok(OnHold));
        for bad in ["", "Open", "pending", "pending-customer", "done"] {
            assert!(TicketStatus::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paused_and_open() {
        let paused: Vec<_> = TicketStatus::ALL
            .into_iter()
            .filter(|s| s.is_paused())
            .collect();
        assert_eq!(paused, [PendingCustomer, OnHold]);
        let open: Vec<_> = TicketStatus::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(open, [New, Open, PendingCustomer, OnHold]);
    }

    #[test]
    fn transitions() {
        let allowed = |from, to| TicketStatus::can_change(from, to).is_ok();
        for from in [New, Open, PendingCustomer, OnHold] {
            for to in [New, Open, PendingCustomer, OnHold, Resolved] {
                assert!(allowed(from, to), "{from} -> {to}");
            }
            assert!(!allowed(from, Closed), "{from} -> closed");
        }
        assert!(allowed(Resolved, Open));
        assert!(allowed(Resolved, Closed));
        assert!(allowed(Closed, Open));
        for to in [New, PendingCustomer, OnHold] {
            assert!(!allowed(Resolved, to), "resolved -> {to}");
        }
        for to in [New, PendingCustomer, OnHold, Resolved] {
            assert!(!allowed(Closed, to), "closed -> {to}");
        }
        for s in TicketStatus::ALL {
            assert!(allowed(s, s), "{s} stays");
        }
        let err = TicketStatus::can_change(Closed, Resolved).expect_err("refused");
        assert_eq!(
            err.0,
            "a closed ticket cannot become resolved; reopen it first"
        );
    }

    #[test]
    fn priorities_are_ordered() {
        assert!(Priority::Urgent > Priority::High);
        assert!(Priority::High > Priority::Normal);
        assert!(Priority::Normal > Priority::Low);
        assert_eq!(Priority::ALL.iter().max(), Some(&Priority::Urgent));
        assert_eq!(Priority::Low.raised(), Priority::Normal);
        assert_eq!(Priority::Normal.raised(), Priority::High);
        assert_eq!(Priority::High.raised(), Priority::Urgent);
        assert_eq!(Priority::Urgent.raised(), Priority::Urgent);
    }

    #[test]
    fn priorities_round_trip() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Ok(p));
            let json = serde_json::to_value(p).expect("serialise");
            assert_eq!(serde_json::from_value::<Priority>(json).ok(), Some(p));
        }
        assert!(Priority::parse("critical").is_err());
        assert!(Priority::parse("High").is_err());
    }
}
