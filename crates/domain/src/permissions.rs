//! The permission catalogue (`<module>.<action>`) and the built-in roles over it.

use crate::Invalid;

/// Every permission the product checks, in catalogue order.
pub const ALL: &[&str] = &[
    "clients.view",
    "clients.create",
    "clients.edit",
    "clients.delete",
    "clients.import",
    "clients.export",
    "clients.merge",
    "custom_fields.manage",
    "timeline.view",
    "communications.view",
    "communications.send",
    "communications.templates",
    "proposals.view",
    "proposals.create",
    "proposals.edit",
    "proposals.approve",
    "pipeline.view",
    "pipeline.edit",
    "pipeline.config",
    "tickets.view",
    "tickets.create",
    "tickets.edit",
    "tickets.config",
    "calendar.view",
    "calendar.edit",
    "campaigns.view",
    "campaigns.edit",
    "automations.view",
    "automations.config",
    "assistant.use",
    "reports.view",
    "users.view",
    "users.manage",
    "roles.manage",
    "api_keys.manage",
    "audit.view",
    "tenant.settings",
];

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission(&'static str);

impl Permission {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        ALL.iter()
            .find(|p| **p == raw)
            .map(|p| Self(p))
            .ok_or_else(|| Invalid::new(format!("unknown permission '{raw}'")))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// The roles every tenant has from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinRole {
    Owner,
    Admin,
    Sales,
    Support,
    Marketing,
    Viewer,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 6] = [
        Self::Owner,
        Self::Admin,
        Self::Sales,
        Self::Support,
        Self::Marketing,
        Self::Viewer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Sales => "sales",
            Self::Support => "support",
            Self::Marketing => "marketing",
            Self::Viewer => "viewer",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Owner => "Everything, including tenant settings",
            Self::Admin => "Everything except tenant settings",
            Self::Sales => "Clients, pipeline, proposals, calendar and messages",
            Self::Support => "Clients, tickets, calendar and messages",
            Self::Marketing => "Campaigns, automations, templates and messages",
            Self::Viewer => "Read-only access",
        }
    }

    /// The permissions this role grants.
    pub fn permissions(self) -> Vec<&'static str> {
        let is = |p: &&&str, list: &[&str]| list.contains(p);
        match self {
            Self::Owner => ALL.to_vec(),
            Self::Admin => ALL
                .iter()
                .filter(|p| **p != "tenant.settings")
                .copied()
                .collect(),
            Self::Viewer => ALL
                .iter()
                .filter(|p| p.ends_with(".view") && **p != "audit.view")
                .copied()
                .collect(),
            Self::Sales => ALL
                .iter()
                .filter(|p| {
                    is(
                        p,
                        &[
                            "clients.view",
                            "clients.create",
                            "clients.edit",
                            "clients.import",
                            "clients.export",
                            "timeline.view",
                            "communications.view",
                            "communications.send",
                            "proposals.view",
                            "proposals.create",
                            "proposals.edit",
                            "pipeline.view",
                            "pipeline.edit",
                            "tickets.view",
                            "calendar.view",
                            "calendar.edit",
                            "campaigns.view",
                            "automations.view",
                            "assistant.use",
                            "reports.view",
                            "users.view",
                        ],
                    )
                })
                .copied()
                .collect(),
            Self::Support => ALL
                .iter()
                .filter(|p| {
                    is(
                        p,
                        &[
                            "clients.view",
                            "clients.edit",
                            "timeline.view",
                            "communications.view",
                            "communications.send",
                            "tickets.view",
                            "tickets.create",
                            "tickets.edit",
                            "calendar.view",
                            "calendar.edit",
                            "assistant.use",
                            "reports.view",
                            "users.view",
                        ],
                    )
                })
                .copied()
                .collect(),
            Self::Marketing => ALL
                .iter()
                .filter(|p| {
                    is(
                        p,
                        &[
                            "clients.view",
                            "clients.export",
                            "timeline.view",
                            "communications.view",
                            "communications.send",
                            "communications.templates",
                            "campaigns.view",
                            "campaigns.edit",
                            "automations.view",
                            "automations.config",
                            "assistant.use",
                            "reports.view",
                            "users.view",
                        ],
                    )
                })
                .copied()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_names_are_module_dot_action() {
        for p in ALL {
            let (module, action) = p.split_once('.').expect("dotted");
            assert!(!module.is_empty() && !action.is_empty(), "{p}");
        }
        let mut sorted = ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ALL.len(), "no duplicates");
    }

    #[test]
    fn parse_known_and_unknown() {
        assert_eq!(
            Permission::parse("clients.view").map(|p| p.as_str()),
            Ok("clients.view")
        );
        assert!(Permission::parse("clients.fly").is_err());
    }

    #[test]
    fn role_grants_follow_the_intent() {
        let has = |r: BuiltinRole, p: &str| r.permissions().contains(&p);
        assert!(has(BuiltinRole::Owner, "tenant.settings"));
        assert!(!has(BuiltinRole::Admin, "tenant.settings"));
        assert!(has(BuiltinRole::Admin, "roles.manage"));
        assert!(!has(BuiltinRole::Sales, "roles.manage"));
        assert!(!has(BuiltinRole::Sales, "clients.delete"));
        assert!(has(BuiltinRole::Support, "tickets.edit"));
        assert!(!has(BuiltinRole::Support, "proposals.create"));
        assert!(has(BuiltinRole::Marketing, "automations.config"));
        assert!(has(BuiltinRole::Viewer, "clients.view"));
        assert!(!has(BuiltinRole::Viewer, "clients.edit"));
        assert!(!has(BuiltinRole::Viewer, "audit.view"));
        for role in BuiltinRole::ALL {
            for p in role.permissions() {
                assert!(ALL.contains(&p));
            }
            assert_eq!(BuiltinRole::from_name(role.name()), Some(role));
        }
    }
}
