//! Stages: each is open (work in progress), won or lost, with a win probability (the weight of
//! its value in the forecast) and an optional number of days after which an opportunity
//! standing still in it is rotting.

use crate::Invalid;

/// What reaching a stage means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

impl StageKind {
    pub const ALL: [StageKind; 3] = [Self::Open, Self::Won, Self::Lost];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of open, won, lost"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }

    /// Whether an opportunity in a stage of this kind is closed (won or lost).
    pub fn is_closed(self) -> bool {
        self != Self::Open
    }
}

/// A stage as configured, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpec {
    pub name: String,
    pub probability: i16,
    pub kind: StageKind,
    pub rot_days: Option<i32>,
    /// An opportunity moves here when a proposal for it is sent (one open stage at most).
    pub on_proposal_sent: bool,
}

/// Most stages a pipeline may have.
pub const MAX_STAGES: usize = 30;
/// Most characters of a stage's name.
pub const STAGE_NAME_CHARS: usize = 100;

/// Checks a pipeline's stages, in board order: 1-30 of them, names unique ignoring case, each
/// probability 0-100, rot days 1-3650 (open stages only), and at least one open, one won and
/// one lost stage, so that every opportunity can be worked, won and lost. Each problem is
/// `(index or None for the whole list, member, reason)`.
pub fn check_stages(stages: &[StageSpec]) -> Vec<(Option<usize>, &'static str, String)> {
    let mut problems = Vec::new();
    if stages.is_empty() || stages.len() > MAX_STAGES {
        problems.push((None, "", format!("must hold 1 to {MAX_STAGES} stages")));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, s) in stages.iter().enumerate() {
        let name = s.name.trim();
        if name.is_empty() || name.chars().count() > STAGE_NAME_CHARS {
            problems.push((Some(i), "name", "must be 1-100 characters".into()));
        } else if !seen.insert(name.to_lowercase()) {
            problems.push((Some(i), "name", "is the name of another stage".into()));
        }
        if !(0..=100).contains(&s.probability) {
            problems.push((Some(i), "probability", "must be from 0 to 100".into()));
        }
        match (s.kind, s.rot_days) {
            (_, Some(d)) if !(1..=3650).contains(&d) => {
                problems.push((Some(i), "rot_days", "must be from 1 to 3650".into()));
            }
            (k, Some(_)) if k.is_closed() => {
                problems.push((Some(i), "rot_days", "applies to open stages only".into()));
            }
            _ => {}
        }
        if s.on_proposal_sent && s.kind.is_closed() {
            problems.push((
                Some(i),
                "on_proposal_sent",
                "applies to open stages only".into(),
            ));
        }
    }
    if stages.iter().filter(|s| s.on_proposal_sent).count() > 1 {
        problems.push((
            None,
            "",
            "at most one stage is where a sent proposal moves its opportunity".into(),
        ));
    }
    for kind in StageKind::ALL {
        if !stages.is_empty() && !stages.iter().any(|s| s.kind == kind) {
            problems.push((
                None,
                "",
                format!("needs at least one {} stage", kind.as_str()),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(name: &str, kind: StageKind) -> StageSpec {
        StageSpec {
            name: name.into(),
            probability: 50,
            kind,
            rot_days: None,
            on_proposal_sent: false,
        }
    }

    #[test]
    fn the_default_shape_passes() {
        let stages = crate::pipeline::default_stages("es");
        assert!(check_stages(&stages).is_empty());
    }

    #[test]
    fn each_bad_stage_is_named() {
        let mut stages = vec![
            stage("Nuevo", StageKind::Open),
            stage("nuevo", StageKind::Open),
            stage("Ganado", StageKind::Won),
        ];
        stages[0].probability = 101;
        stages[2].rot_days = Some(5);
        let problems = check_stages(&stages);
        assert!(problems.contains(&(Some(0), "probability", "must be from 0 to 100".into())));
        assert!(problems.contains(&(Some(1), "name", "is the name of another stage".into())));
        assert!(problems.contains(&(Some(2), "rot_days", "applies to open stages only".into())));
        assert!(problems.contains(&(None, "", "needs at least one lost stage".into())));
    }

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_refused() {
        for k in StageKind::ALL {
            assert_eq!(StageKind::parse(k.as_str()), Ok(k));
        }
        assert!(StageKind::parse("pending").is_err());
        assert!(StageKind::Won.is_closed() && !StageKind::Open.is_closed());
    }
}
