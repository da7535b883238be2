//! Phrasing: phrases of about two and four bars with breathing rests between them.
//! The **Space** setting moves both: busy (long phrases, short breaths) to sparse.
//! A model that hears breathes as the masters do: its breaths are drawn from the
//! WJD's own, which are far shorter than the seed model's planned ones.

use crate::score::Beats;
use num_rational::Ratio;
use rand::Rng;

/// Where the line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Playing a phrase that should end around `end`.
    Playing {
        /// When the phrase should stop.
        end: Beats,
    },
    /// Resting until `until`.
    Breathing {
        /// When the next phrase starts.
        until: Beats,
    },
}

/// Mean phrase length in beats at Space 0 (busy) and 1 (sparse): 5 and 1.5 bars.
const PHRASE_BEATS: (f64, f64) = (20.0, 6.0);
/// Shortest breath in beats at Space 0 and 1.
const BREATH_BEATS: (f64, f64) = (1.5, 6.0);
/// Longest extra breath beyond the shortest, at Space 0 and 1.
const BREATH_EXTRA: (f64, f64) = (1.5, 4.0);

fn lerp((a, b): (f64, f64), t: f64) -> f64 {
    a + (b - a) * t.clamp(0.0, 1.0)
}

/// A length in beats, on the half-beat grid, as exact beats.
fn half_beats(x: f64) -> Beats {
    Ratio::new((x * 2.0).round().max(1.0) as i64, 2)
}

/// How long the next phrase lasts: 0.6 to 1.4 times the mean for this Space.
pub fn phrase_length(space: f32, rng: &mut impl Rng) -> Beats {
    let mean = lerp(PHRASE_BEATS, space as f64);
    half_beats(mean * rng.random_range(0.6..1.4))
}

/// How long the next breath lasts.
pub fn breath_length(space: f32, rng: &mut impl Rng) -> Beats {
    let s = space as f64;
    half_beats(lerp(BREATH_BEATS, s) + lerp(BREATH_EXTRA, s) * rng.random::<f64>())
}

/// Deciles (0 %, 10 %, … 100 %) of the breaths in beats between the annotated
/// phrases of the WJD's 4/4 solos (median 1.87, mean 2.36), the ends clipped to a
/// sixteenth and to two bars. The test `the_masters_breaths_are_the_wjds`
/// (tests/masters_model.rs) reads them again from `data/wjd`: 9,771 breaths, every
/// decile within 0.04 beats of these.
pub const MASTERS_BREATHS: [f64; 11] = [0.25, 0.72, 1.05, 1.3, 1.58, 1.87, 2.24, 2.71, 3.36, 4.55, 8.0];

/// How much longer than the masters' the breaths of a model that hears are at the
/// default Space: the WJD's breaths between phrases leave 11.6 % of a guided line's
/// bars with two notes or fewer against the WJD's 14.0 %; 1.2 times them leaves
/// 13.9 % (120 guided solos, `scripts/masters-study.sh`).
pub const MASTERS_BREATH_SCALE: f64 = 1.2;

/// How long the next breath of a model that hears lasts: a draw from the masters'
/// breaths ([`MASTERS_BREATHS`], linear between deciles), times
/// [`MASTERS_BREATH_SCALE`], halved at Space 0 and doubled at Space 1.
pub fn masters_breath_length(space: f32, rng: &mut impl Rng) -> Beats {
    let u = rng.random::<f64>() * 10.0;
    let i = (u.floor() as usize).min(9);
    let drawn = MASTERS_BREATHS[i] + (MASTERS_BREATHS[i + 1] - MASTERS_BREATHS[i]) * (u - i as f64);
    half_beats(drawn * MASTERS_BREATH_SCALE * 4f64.powf(f64::from(space.clamp(0.0, 1.0)) - 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn space_makes_phrases_shorter_and_breaths_longer() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mean = |f: &mut dyn FnMut() -> Beats| {
            (0..400).map(|_| f()).map(|b| *b.numer() as f64 / *b.denom() as f64).sum::<f64>() / 400.0
        };
        let busy = mean(&mut || phrase_length(0.0, &mut rng));
        let sparse = mean(&mut || phrase_length(1.0, &mut rng));
        assert!(busy > 15.0 && sparse < 8.0, "{busy} {sparse}");
        let short = mean(&mut || breath_length(0.0, &mut rng));
        let long = mean(&mut || breath_length(1.0, &mut rng));
        assert!(short < 2.5 && long > 6.0, "{short} {long}");
    }

    #[test]
    fn the_masters_breathe_shorter_and_space_still_moves_them() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let beats = |b: Beats| *b.numer() as f64 / *b.denom() as f64;
        let draws = |space: f32, rng: &mut rand::rngs::StdRng| {
            let mut d: Vec<f64> = (0..2000).map(|_| beats(masters_breath_length(space, rng))).collect();
            d.sort_by(f64::total_cmp);
            d
        };
        let (busy, default, sparse) = (draws(0.0, &mut rng), draws(0.5, &mut rng), draws(1.0, &mut rng));
        // The median of the masters' breaths times the scale, on the half-beat grid.
        assert!((default[1000] - 1.87 * MASTERS_BREATH_SCALE).abs() <= 0.5, "{}", default[1000]);
        assert!(busy[1000] < default[1000] && default[1000] < sparse[1000]);
        assert!(default.iter().all(|&b| (0.5..=8.0 * MASTERS_BREATH_SCALE + 0.5).contains(&b)));
        let seed_model = (0..2000).map(|_| beats(breath_length(0.5, &mut rng))).sum::<f64>() / 2000.0;
        assert!(default.iter().sum::<f64>() / 2000.0 < seed_model);
    }
}
