//! Where a company stands with the tenant, and how it first came in.

use crate::Invalid;

/// The stage of a company in the client life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientStatus {
    Lead,
    Client,
    Inactive,
    Lost,
}

impl ClientStatus {
    pub const ALL: [ClientStatus; 4] = [Self::Lead, Self::Client, Self::Inactive, Self::Lost];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("must be one of: lead, client, inactive, lost"))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Client => "client",
            Self::Inactive => "inactive",
            Self::Lost => "lost",
        }
    }

    /// Whether a company may move from one status to another: every move is allowed except a
    /// client going back to lead, which would lose the history of having bought.
    pub fn can_change(from: Self, to: Self) -> Result<(), Invalid> {
        if from == Self::Client && to == Self::Lead {
            Err(Invalid::new("a client cannot go back to lead"))
        } else {
            Ok(())
        }
    }
}

impl std::fmt::Display for ClientStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a company first reached the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    Web,
    Referral,
    Campaign,
    Import,
    Event,
    Partner,
    Other,
}

impl ClientSource {
    pub const ALL: [ClientSource; 7] = [
        Self::Web,
        Self::Referral,
        Self::Campaign,
        Self::Import,
        Self::Event,
        Self::Partner,
        Self::Other,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "must be one of: web, referral, campaign, import, event, partner, other",
                )
            })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Referral => "referral",
            Self::Campaign => "campaign",
            Self::Import => "import",
            Self::Event => "event",
            Self::Partner => "partner",
            Self::Other => "other",
        }
    }
}

impl std::fmt::Display for ClientSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips() {
        for s in ClientStatus::ALL {
            assert_eq!(ClientStatus::parse(s.as_str()), Ok(s));
            let json = serde_json::to_value(s).expect("serialise");
            assert_eq!(json, serde_json::json!(s.as_str()));
            assert_eq!(serde_json::from_value::<ClientStatus>(json).ok(), Some(s));
        }
        assert_eq!(ClientStatus::parse(" lead "), Ok(ClientStatus::Lead));
    }

    #[test]
    fn unknown_statuses() {
        for bad in ["", "Lead", "customer", "prospect"] {
            let err = ClientStatus::parse(bad).expect_err(bad);
            assert!(err.0.contains("lead, client, inactive, lost"), "{bad}");
        }
    }

    #[test]
    fn a_client_never_goes_back_to_lead() {
        let err = ClientStatus::can_change(ClientStatus::Client, ClientStatus::Lead)
            .expect_err("refused");
        assert_eq!(err.0, "a client cannot go back to lead");
    }

    #[test]
    fn every_other_change_is_allowed() {
        for from in ClientStatus::ALL {
            for to in ClientStatus::ALL {
                if (from, to) != (ClientStatus::Client, ClientStatus::Lead) {
                    assert!(ClientStatus::can_change(from, to).is_ok(), "{from} -> {to}");
                }
            }
        }
    }

    #[test]
    fn sources() {
        for s in ClientSource::ALL {
            assert_eq!(ClientSource::parse(s.as_str()), Ok(s));
            let json = serde_json::to_value(s).expect("serialise");
            assert_eq!(serde_json::from_value::<ClientSource>(json).ok(), Some(s));
        }
        assert_eq!(ClientSource::ALL.len(), 7);
        assert!(ClientSource::parse("facebook").is_err());
        assert!(ClientSource::parse("Web").is_err());
    }
}
