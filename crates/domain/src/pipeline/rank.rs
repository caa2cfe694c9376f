//! The order of cards within a stage. Each card has a sparse rank; a card dropped between two
//! others takes a rank between theirs, so a move writes one row. When two neighbours have no
//! room left between them the stage is renumbered (every card [`RANK_STEP`] apart, in order).

/// The distance between neighbours after a renumbering, and after the last card.
pub const RANK_STEP: i64 = 1024;

/// A rank strictly between `before` and `after` (either may be absent: the start or the end of
/// the stage), or `None` when there is no room and the stage needs renumbering first.
pub fn rank_between(before: Option<i64>, after: Option<i64>) -> Option<i64> {
    match (before, after) {
        (None, None) => Some(0),
        (Some(b), None) => b.checked_add(RANK_STEP),
        (None, Some(a)) => a.checked_sub(RANK_STEP),
        (Some(b), Some(a)) => {
            let gap = a.checked_sub(b)?;
            (gap >= 2).then(|| b + gap / 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rank_lands_between_its_neighbours() {
        assert_eq!(rank_between(None, None), Some(0));
        assert_eq!(rank_between(Some(0), None), Some(RANK_STEP));
        assert_eq!(rank_between(None, Some(0)), Some(-RANK_STEP));
        assert_eq!(rank_between(Some(0), Some(1024)), Some(512));
        assert_eq!(rank_between(Some(7), Some(9)), Some(8));
    }

    #[test]
    fn adjacent_neighbours_need_a_renumbering() {
        assert_eq!(rank_between(Some(7), Some(8)), None);
        assert_eq!(rank_between(Some(i64::MAX), None), None);
        assert_eq!(rank_between(None, Some(i64::MIN)), None);
    }

    #[test]
    fn halving_from_a_renumbered_stage_allows_ten_drops_in_one_place() {
        let (mut lo, hi) = (0_i64, RANK_STEP);
        for _ in 0..10 {
            lo = rank_between(Some(lo), Some(hi)).expect("room");
        }
        assert!(lo < hi);
    }
}
