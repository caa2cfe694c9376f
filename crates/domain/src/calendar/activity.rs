//! An activity's kind (a call, a meeting ...) and status (planned, done, cancelled).

use crate::Invalid;

/// What an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    Call,
    Meeting,
    Task,
    Demo,
    Deadline,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        Self::Call,
        Self::Meeting,
        Self::Task,
        Self::Demo,
        Self::Deadline,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of call, meeting, task, demo, deadline"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Meeting => "meeting",
            Self::Task => "task",
            Self::Demo => "demo",
            Self::Deadline => "deadline",
        }
    }
}

/// Where an activity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityStatus {
    Planned,
    Done,
    Cancelled,
}

impl ActivityStatus {
    pub const ALL: [ActivityStatus; 3] = [Self::Planned, Self::Done, Self::Cancelled];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of planned, done, cancelled"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_round_trip_and_refuse_others() {
        for k in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(k.as_str()), Ok(k));
        }
        for s in ActivityStatus::ALL {
            assert_eq!(ActivityStatus::parse(s.as_str()), Ok(s));
        }
        assert!(ActivityKind::parse("Call").is_err());
        assert!(ActivityStatus::parse("open").is_err());
    }
}
