//! music21's quantisation to the 1/4 and 1/3 beat grids.

use super::Beats;
use num_rational::Ratio;

/// Grid divisors of a quarter note (music21's default `quarterLengthDivisors = (4, 3)`).
pub const GRID_DIVISORS: [i64; 2] = [4, 3];

/// Snaps a value to the nearest multiple of 1/4 or 1/3 beat.
///
/// Within a divisor a half-way value rounds down; across divisors the smaller
/// absolute error wins, then the smaller value, then the smaller signed error.
pub fn quantize(x: Beats) -> Beats {
    let half = Ratio::new(1, 2);
    let mut best: Option<(Beats, Beats, Beats)> = None;
    for d in GRID_DIVISORS {
        let scaled = x * d;
        let floor = scaled.floor();
        let n = if scaled - floor > half { floor + 1 } else { floor };
        let value = n / d;
        let err = value - x;
        let abs = if err < Ratio::from_integer(0) { -err } else { err };
        let key = (abs, value, err);
        if best.is_none_or(|b| key < b) {
            best = Some(key);
        }
    }
    best.expect("two divisors").1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::beats;

    #[test]
    fn snaps_to_both_grids() {
        assert_eq!(quantize(beats(50, 96)), beats(1, 2));
        assert_eq!(quantize(beats(31, 96)), beats(1, 3));
        assert_eq!(quantize(beats(7, 96)), beats(0, 1));
        assert_eq!(quantize(beats(20, 96)), beats(1, 4));
    }

    #[test]
    fn ties() {
        // Half-way inside the 1/4 grid rounds down.
        assert_eq!(quantize(beats(1, 8)), beats(0, 1));
        // 7/24 is 1/24 from both 1/4 and 1/3: the smaller value wins.
        assert_eq!(quantize(beats(7, 24)), beats(1, 4));
    }
}
