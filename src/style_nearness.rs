//! Which style a set of solos sounds nearest to: each solo's notes per bar, H1 and
//! shares of sixteenth, eighth and triplet gaps, averaged over the set, held
//! against each style's solos in a corpus, every measure scaled by its spread
//! over the corpus's solos (so a bit of entropy weighs as much as a note a bar).

use crate::hearing::JazzStyle;
use crate::report_card::{GRID, Profile};
use serde::Serialize;

/// The measures, in the order of a [`Signature`].
pub const MEASURES: [&str; 5] = ["notes per bar", "H1", "sixteenth gaps", "eighth gaps", "triplet gaps"];

/// One solo's (or the mean of a set's) measures, as [`MEASURES`] names them.
pub type Signature = [f64; 5];

/// A gap of exactly this many grid points.
const SIXTEENTH: usize = (GRID / 4) as usize;
const EIGHTH: usize = (GRID / 2) as usize;
const TRIPLET: usize = (GRID / 3) as usize;

/// A solo's signature; none for a solo without a bar of notes or without a gap.
pub fn signature(p: &Profile) -> Option<Signature> {
    let gaps = &p.histograms.gaps;
    let total: u64 = gaps.iter().sum();
    let h1 = p.h1?;
    (total > 0 && p.bars > 0).then(|| {
        let share = |g: usize| gaps[g - 1] as f64 / total as f64;
        [p.notes_per_bar, h1, share(SIXTEENTH), share(EIGHTH), share(TRIPLET)]
    })
}

/// The mean signature of the solos that have one (none if none has).
pub fn mean_signature<'a>(profiles: impl IntoIterator<Item = &'a Profile>) -> Option<Signature> {
    let all: Vec<Signature> = profiles.into_iter().filter_map(signature).collect();
    (!all.is_empty()).then(|| {
        let mut m = [0.0; 5];
        all.iter().for_each(|s| m.iter_mut().zip(s).for_each(|(a, b)| *a += b / all.len() as f64));
        m
    })
}

/// A corpus's styles: each one's mean signature and number of solos, and the
/// spread (standard deviation) of each measure over all its solos.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StyleMap {
    /// (style, solos, mean signature), in [`JazzStyle::ALL`] order.
    pub styles: Vec<(JazzStyle, usize, Signature)>,
    /// Each measure's standard deviation over the corpus's solos (at least 1e-9).
    pub spread: Signature,
}

impl StyleMap {
    /// The map of a corpus's solos, each with its style (solos without one count
    /// in the spread only); none if no solo has a signature.
    pub fn of(solos: &[(Option<JazzStyle>, Profile)]) -> Option<Self> {
        let signed: Vec<(Option<JazzStyle>, Signature)> =
            solos.iter().filter_map(|(s, p)| signature(p).map(|g| (*s, g))).collect();
        if signed.is_empty() {
            return None;
        }
        let n = signed.len() as f64;
        let mut mean = [0.0; 5];
        signed.iter().for_each(|(_, g)| mean.iter_mut().zip(g).for_each(|(m, x)| *m += x / n));
        let mut spread = [0.0; 5];
        signed.iter().for_each(|(_, g)| {
            spread.iter_mut().zip(g.iter().zip(&mean)).for_each(|(s, (x, m))| *s += (x - m).powi(2) / n)
        });
        spread.iter_mut().for_each(|s| *s = s.sqrt().max(1e-9));
        let styles = JazzStyle::ALL
            .into_iter()
            .filter_map(|style| {
                let of: Vec<&Profile> =
                    solos.iter().filter(|(s, p)| *s == Some(style) && signature(p).is_some()).map(|(_, p)| p).collect();
                mean_signature(of.iter().copied()).map(|m| (style, of.len(), m))
            })
            .collect();
        Some(Self { styles, spread })
    }

    /// The scaled distance between two signatures.
    pub fn distance(&self, a: &Signature, b: &Signature) -> f64 {
        a.iter().zip(b).zip(&self.spread).map(|((x, y), s)| ((x - y) / s).powi(2)).sum::<f64>().sqrt()
    }

    /// The distance of a signature from each of `among` (every style of the map
    /// if empty) that the map has, nearest first.
    pub fn distances(&self, of: &Signature, among: &[JazzStyle]) -> Vec<(JazzStyle, f64)> {
        let mut d: Vec<(JazzStyle, f64)> = self
            .styles
            .iter()
            .filter(|(s, _, _)| among.is_empty() || among.contains(s))
            .map(|(s, _, g)| (*s, self.distance(of, g)))
            .collect();
        d.sort_by(|a, b| a.1.total_cmp(&b.1));
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_card::Histograms;

    fn solo(notes_per_bar: f64, h1: f64, gaps: &[(usize, u64)]) -> Profile {
        let mut histograms = Histograms::default();
        gaps.iter().for_each(|&(g, c)| histograms.gaps[g - 1] = c);
        Profile { notes: 10, bars: 4, h1: Some(h1), notes_per_bar, histograms, ..Profile::default() }
    }

    #[test]
    fn a_solo_is_nearest_its_own_style() {
        let fast = solo(8.0, 2.2, &[(3, 6), (6, 4)]);
        let slow = solo(4.0, 1.6, &[(6, 4), (4, 4), (12, 2)]);
        assert_eq!(signature(&fast), Some([8.0, 2.2, 0.6, 0.4, 0.0]));
        let map = StyleMap::of(&[
            (Some(JazzStyle::Bebop), fast.clone()),
            (Some(JazzStyle::Traditional), slow.clone()),
            (None, solo(6.0, 1.9, &[(6, 1)])),
        ])
        .unwrap();
        assert_eq!(map.styles.len(), 2);
        let near = map.distances(&signature(&solo(7.5, 2.1, &[(3, 5), (6, 5)])).unwrap(), &[]);
        assert_eq!(near[0].0, JazzStyle::Bebop);
        assert!(near[0].1 < near[1].1);
        // A style left out of `among` is not offered.
        assert_eq!(map.distances(&signature(&fast).unwrap(), &[JazzStyle::Traditional])[0].0, JazzStyle::Traditional);
        assert!(StyleMap::of(&[(None, Profile::default())]).is_none());
    }
}
