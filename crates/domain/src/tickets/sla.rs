//! A tenant's service-level targets per priority: how soon tickets must be answered and solved.

use crate::Invalid;
use crate::custom_field::DefinitionError;

use super::ticket::Priority;

/// Longest target a policy may set: one year of business minutes.
pub const TARGET_LIMIT_MINUTES: i64 = 365 * 24 * 60;

/// The targets of one priority, in business minutes; `None` means no target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaTargets {
    /// From creation to the first public agent reply.
    pub first_response_minutes: Option<i64>,
    /// From a customer's message (after the first reply) to the next public agent reply.
    pub next_response_minutes: Option<i64>,
    /// From creation to resolution.
    pub resolution_minutes: Option<i64>,
}

/// A tenant's targets for each priority; read it with serde, then [`SlaPolicy::validate`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaPolicy {
    /// Targets of urgent tickets.
    pub urgent: SlaTargets,
    /// Targets of high-priority tickets.
    pub high: SlaTargets,
    /// Targets of normal tickets.
    pub normal: SlaTargets,
    /// Targets of low-priority tickets.
    pub low: SlaTargets,
}

impl SlaPolicy {
    /// The targets that apply to tickets of a priority.
    pub fn targets(&self, priority: Priority) -> &SlaTargets {
        match priority {
            Priority::Urgent => &self.urgent,
            Priority::High => &self.high,
            Priority::Normal => &self.normal,
            Priority::Low => &self.low,
        }
    }

    /// The first target at fault (`/high/resolution_minutes`) and why, if any.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        for priority in Priority::ALL {
            let t = self.targets(priority);
            for (name, minutes) in [
                ("first_response_minutes", t.first_response_minutes),
                ("next_response_minutes", t.next_response_minutes),
                ("resolution_minutes", t.resolution_minutes),
            ] {
                if minutes.is_some_and(|m| !(1..=TARGET_LIMIT_MINUTES).contains(&m)) {
                    return Err(DefinitionError {
                        pointer: format!("/{priority}/{name}"),
                        reason: Invalid::new(format!(
                            "must be a whole number of minutes from 1 to {TARGET_LIMIT_MINUTES}"
                        )),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_api_shape() {
        let policy: SlaPolicy = serde_json::from_value(json!({
            "urgent": {"first_response_minutes": 30, "next_response_minutes": 60, "resolution_minutes": 240},
            "high": {"first_response_minutes": 120},
            "low": {}
        }))
        .expect("API shape");
        assert_eq!(policy.validate(), Ok(()));
        assert_eq!(
            policy.targets(Priority::Urgent).resolution_minutes,
            Some(240)
        );
        assert_eq!(
            policy.targets(Priority::High).first_response_minutes,
            Some(120)
        );
        assert_eq!(policy.targets(Priority::High).resolution_minutes, None);
        assert_eq!(*policy.targets(Priority::Normal), SlaTargets::default());
        let back = serde_json::to_value(policy).expect("serialise");
        assert_eq!(back["urgent"]["next_response_minutes"], 60);
        assert_eq!(back["low"]["resolution_minutes"], json!(null));
        assert_eq!(serde_json::from_value::<SlaPolicy>(back).ok(), Some(policy));
    }

    #[test]
    fn targets_must_be_positive_and_bounded() {
        let at = |value: serde_json::Value| {
            serde_json::from_value::<SlaPolicy>(value)
                .expect("API shape")
                .validate()
                .map_err(|e| e.pointer)
        };
        assert_eq!(
            at(json!({"high": {"resolution_minutes": 0}})),
            Err("/high/resolution_minutes".to_owned())
        );
        assert_eq!(
            at(json!({"low": {"first_response_minutes": -5}})),
            Err("/low/first_response_minutes".to_owned())
        );
        assert_eq!(
            at(json!({"normal": {"next_response_minutes": TARGET_LIMIT_MINUTES + 1}})),
            Err("/normal/next_response_minutes".to_owned())
        );
        assert_eq!(
            at(json!({"normal": {"next_response_minutes": TARGET_LIMIT_MINUTES}})),
            Ok(())
        );
        assert_eq!(at(json!({})), Ok(()));
    }

    #[test]
    fn unknown_members_and_fractions_are_refused() {
        for bad in [
            json!({"critical": {}}),
            json!({"high": {"response_minutes": 5}}),
            json!({"high": {"first_response_minutes": 1.5}}),
            json!({"high": {"first_response_minutes": "30"}}),
        ] {
            assert!(
                serde_json::from_value::<SlaPolicy>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
