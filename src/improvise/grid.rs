//! The time rule: every onset on the sixteenth or the triplet grid of its beat, and
//! no beat mixing the two. Positions are counted in twelfths of a beat, the finest
//! unit the grammar's lengths (multiples of 1/4 and 1/3) produce.

use crate::score::Beats;

/// Twelfths of a beat.
pub const TICKS_PER_BEAT: i64 = 12;

/// Which subdivision a beat uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    /// Only the beat itself so far: either may follow.
    Any,
    /// Sixteenths (and eighths): 0, 1/4, 1/2, 3/4.
    Sixteenth,
    /// Eighth-note triplets: 0, 1/3, 2/3.
    Triplet,
}

/// The grid an onset `ticks` into its beat lies on; `None` if on neither.
pub fn grid_of(ticks: i64) -> Option<Grid> {
    match ticks.rem_euclid(TICKS_PER_BEAT) {
        0 => Some(Grid::Any),
        3 | 6 | 9 => Some(Grid::Sixteenth),
        4 | 8 => Some(Grid::Triplet),
        _ => None,
    }
}

fn join(a: Grid, b: Grid) -> Option<Grid> {
    match (a, b) {
        (Grid::Any, g) | (g, Grid::Any) => Some(g),
        (a, b) if a == b => Some(a),
        _ => None,
    }
}

/// A position in twelfths of a beat, if it lies on the twelfths grid.
pub fn ticks(b: Beats) -> Option<i64> {
    let t = b * TICKS_PER_BEAT;
    t.is_integer().then(|| t.to_integer())
}

/// The grid of the beat being played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeatGrid {
    beat: i64,
    grid: Grid,
}

impl Default for BeatGrid {
    fn default() -> Self {
        Self { beat: i64::MIN, grid: Grid::Any }
    }
}

impl BeatGrid {
    /// The grid in force for an onset at `at` (ticks), given what its beat has had.
    fn at(&self, at: i64) -> Option<Grid> {
        let own = grid_of(at)?;
        if at.div_euclid(TICKS_PER_BEAT) == self.beat { join(self.grid, own) } else { Some(own) }
    }

    /// Records an onset (a note's or a rest's start).
    pub fn record(&mut self, at: i64) {
        let beat = at.div_euclid(TICKS_PER_BEAT);
        let grid = self.at(at).unwrap_or(Grid::Any);
        *self = Self { beat, grid };
    }

    /// True if an element from `at` lasting `len` ticks leaves the next onset on the
    /// grid of its beat (an element cut at `bar_end` always does).
    pub fn allows(&self, at: i64, len: i64, bar_end: i64) -> bool {
        let next = at + len;
        if next >= bar_end {
            return true;
        }
        let Some(now) = self.at(at) else { return false };
        let Some(then) = grid_of(next) else { return false };
        if next.div_euclid(TICKS_PER_BEAT) == at.div_euclid(TICKS_PER_BEAT) { join(now, then).is_some() } else { true }
    }

    /// The first position at or after `at` that the grid allows (to repair an
    /// element that had to be placed without the rule).
    pub fn snap(&self, at: i64) -> i64 {
        (at..at + TICKS_PER_BEAT).find(|&t| self.at(t).is_some()).unwrap_or(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteenths_and_triplets_do_not_mix_in_a_beat() {
        let mut g = BeatGrid::default();
        g.record(0);
        assert!(g.allows(0, 3, 48), "a sixteenth from the beat");
        assert!(g.allows(0, 4, 48), "a triplet eighth from the beat");
        g.record(3);
        assert!(!g.allows(3, 4, 48), "1/4 then 1/3 lands on 7/12");
        assert!(g.allows(3, 9, 48), "to the next beat");
        assert!(g.allows(3, 3, 48));
        g.record(12 + 4);
        assert!(!g.allows(16, 3, 48), "a triplet beat takes no sixteenth");
        assert!(g.allows(16, 4, 48));
        assert!(g.allows(44, 7, 48), "cut at the bar line");
        assert!(!g.allows(16, 2, 48));
        assert_eq!(g.snap(17), 20);
    }
}
