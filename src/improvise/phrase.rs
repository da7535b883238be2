//! Phrasing: phrases of about two and four bars with breathing rests between them.
//! The **Space** setting moves both: busy (long phrases, short breaths) to sparse.

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
}
