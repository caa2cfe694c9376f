//! The demo data's source of chance: xorshift64* from a fixed seed, so every run draws the same
//! companies, people and histories (no `rand` in this crate, and none needed for this).

/// A deterministic pseudo-random sequence.
pub(super) struct Dice(u64);

impl Dice {
    /// The sequence of `seed` (any value; zero, which xorshift cannot leave, is replaced).
    pub(super) fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`. (The modulo's bias is far below what a demo could show.)
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next() % span) as i64
    }

    /// True `percent` times in a hundred.
    pub(super) fn chance(&mut self, percent: i64) -> bool {
        self.range(0, 99) < percent
    }

    /// One of `items`, each as likely.
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }

    /// One of `items`, each as likely as its weight says.
    pub(super) fn weighted<T: Copy>(&mut self, items: &[(T, i64)]) -> T {
        let total: i64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.range(0, total - 1);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }

    /// `n` different items of `items` (all of them when there are fewer), in `items`' order.
    pub(super) fn some<'a, T>(&mut self, items: &'a [T], n: usize) -> Vec<&'a T> {
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < n.min(items.len()) {
            let i = self.range(0, items.len() as i64 - 1) as usize;
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
        chosen.into_iter().map(|i| &items[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Dice;

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let (mut a, mut b) = (Dice::new(7), Dice::new(7));
        let draws: Vec<i64> = (0..20).map(|_| a.range(0, 1000)).collect();
        assert_eq!(draws, (0..20).map(|_| b.range(0, 1000)).collect::<Vec<_>>());
        assert_ne!(
            draws,
            (0..20)
                .map(|_| Dice::new(8).range(0, 1000))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn draws_stay_in_their_bounds_and_reach_both_ends() {
        let mut dice = Dice::new(0);
        let draws: Vec<i64> = (0..2000).map(|_| dice.range(-3, 3)).collect();
        assert!(draws.iter().all(|d| (-3..=3).contains(d)));
        assert!(draws.contains(&-3) && draws.contains(&3));
        assert_eq!(dice.range(5, 5), 5);
    }

    #[test]
    fn weights_and_picks_follow_their_rules() {
        let mut dice = Dice::new(42);
        let heavy = (0..1000)
            .filter(|_| dice.weighted(&[("a", 9), ("b", 1)]) == "a")
            .count();
        assert!((800..=980).contains(&heavy), "{heavy}");
        assert_eq!(dice.weighted(&[("only", 0), ("this", 3)]), "this");
        let some = dice.some(&[1, 2, 3, 4, 5], 3);
        assert_eq!(some.len(), 3);
        assert!(some.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(dice.some(&[1, 2], 5).len(), 2);
    }
}
