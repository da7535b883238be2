//! A report card that holds solos against a corpus: pitch-class entropy over one
//! and four bars and groove similarity (after Wu & Yang, "The Jazz Transformer
//! on the Front Line", ISMIR 2020, Sec. 5), notes per bar, chord-tone and
//! 3rd/7th shares, and the distributions of intervals, inter-onset gaps, lengths
//! and positions in the beat, with their overlap.
//!
//! Every grid and position measure reads the line quantised to the 12-per-beat
//! grid (the nearest twelfth of a beat), so a swung or humanised performance is
//! compared on its notes, not on its micro-timing; the WJD's positions are
//! metrical already.

use crate::evaluate::{ChordTimeline, MelodyNote};
use serde::Serialize;

/// Grid points per beat.
pub const GRID: i64 = 12;
/// Grid points per bar (4/4).
const BAR: i64 = 4 * GRID;
/// Intervals are counted from -24 to +24 semitones (larger ones in the end bins).
pub const MAX_INTERVAL: i32 = 24;
/// Gaps and lengths are counted up to this many twelfths (4 beats; longer ones in the last bin).
pub const MAX_SPAN: usize = 48;
/// Most bars whose pairs the groove measure compares (pairs grow as the square).
const MAX_GROOVE_BARS: usize = 2_000;

/// The histograms a card compares, as counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histograms {
    /// Intervals between consecutive notes, -24..=24 semitones (bin 0 = -24 or less).
    pub intervals: Vec<u64>,
    /// Gaps between consecutive onsets in twelfths of a beat, 1..=48 (bin 0 = 1/12; the last = 4 beats or more).
    pub gaps: Vec<u64>,
    /// Note lengths in twelfths, 1..=48 (the last = 4 beats or more).
    pub lengths: Vec<u64>,
    /// Onset position in the beat, twelfths 0..=11.
    pub positions: Vec<u64>,
}

impl Default for Histograms {
    fn default() -> Self {
        Self {
            intervals: vec![0; (2 * MAX_INTERVAL + 1) as usize],
            gaps: vec![0; MAX_SPAN],
            lengths: vec![0; MAX_SPAN],
            positions: vec![0; GRID as usize],
        }
    }
}

impl Histograms {
    fn add(&mut self, other: &Histograms) {
        for (a, b) in [
            (&mut self.intervals, &other.intervals),
            (&mut self.gaps, &other.gaps),
            (&mut self.lengths, &other.lengths),
            (&mut self.positions, &other.positions),
        ] {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
    }
}

/// One solo's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Profile {
    /// Notes.
    pub notes: usize,
    /// Bars spanned.
    pub bars: usize,
    /// Mean pitch-class entropy (bits) of the notes in each one-bar window.
    pub h1: Option<f64>,
    /// The same over four-bar windows (sliding by a bar).
    pub h4: Option<f64>,
    /// Mean over pairs of bars with notes of 1 − (onset grid points in one bar only) / 48.
    pub groove: Option<f64>,
    /// Notes per bar.
    pub notes_per_bar: f64,
    /// Share of notes that are tones of the chord under them.
    pub chord_tones: f64,
    /// Share of notes that are the 3rd or 7th of the chord under them.
    pub guide_tones: f64,
    /// The distributions.
    pub histograms: Histograms,
}

/// Entropy in bits of a histogram of counts.
fn entropy(counts: &[u32]) -> Option<f64> {
    let total: u32 = counts.iter().sum();
    (total > 0)
        .then(|| counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / total as f64).map(|p| -p * p.log2()).sum())
}

/// Mean pitch-class entropy over windows of `width` bars sliding by one bar
/// over `bars` bars (windows without notes are skipped).
fn windowed_entropy(per_bar: &[[u32; 12]], width: usize) -> Option<f64> {
    if per_bar.len() < width {
        return None;
    }
    let values: Vec<f64> = (0..=per_bar.len() - width)
        .filter_map(|start| {
            let mut sum = [0u32; 12];
            for bar in &per_bar[start..start + width] {
                sum.iter_mut().zip(bar).for_each(|(s, b)| *s += b);
            }
            entropy(&sum)
        })
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The figures of one solo: its notes (onsets and lengths in beats), the chords
/// under them, and the span of bars counted (`first_bar`, `bars`; bars of 4 beats).
pub fn profile(notes: &[MelodyNote], chords: &ChordTimeline, first_bar: i64, bars: usize) -> Profile {
    let mut notes: Vec<MelodyNote> = notes.to_vec();
    notes.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.key.cmp(&b.key)));
    let grid = |x: f64| (x * GRID as f64).round() as i64;
    let onsets: Vec<i64> = notes.iter().map(|n| grid(n.start)).collect();
    let mut p = Profile { notes: notes.len(), bars, ..Profile::default() };
    let h = &mut p.histograms;
    for w in notes.windows(2) {
        let iv = (w[1].key as i32 - w[0].key as i32).clamp(-MAX_INTERVAL, MAX_INTERVAL);
        h.intervals[(iv + MAX_INTERVAL) as usize] += 1;
    }
    for w in onsets.windows(2) {
        let gap = (w[1] - w[0]) as usize;
        if gap > 0 {
            h.gaps[gap.min(MAX_SPAN) - 1] += 1;
        }
    }
    for n in &notes {
        let len = grid(n.length).max(1) as usize;
        h.lengths[len.min(MAX_SPAN) - 1] += 1;
    }
    for &o in &onsets {
        h.positions[o.rem_euclid(GRID) as usize] += 1;
    }
    let bar_of = |o: i64| o.div_euclid(BAR) - first_bar;
    let mut per_bar = vec![[0u32; 12]; bars];
    let mut masks = vec![0u64; bars];
    for (n, &o) in notes.iter().zip(&onsets) {
        if let Some(b) = usize::try_from(bar_of(o)).ok().filter(|&b| b < bars) {
            per_bar[b][(n.key % 12) as usize] += 1;
            masks[b] |= 1 << o.rem_euclid(BAR);
        }
    }
    p.h1 = windowed_entropy(&per_bar, 1);
    p.h4 = windowed_entropy(&per_bar, 4);
    let played: Vec<u64> = masks.into_iter().filter(|&m| m != 0).take(MAX_GROOVE_BARS).collect();
    if played.len() >= 2 {
        let (mut sum, mut pairs) = (0.0, 0u64);
        for (i, a) in played.iter().enumerate() {
            for b in &played[i + 1..] {
                sum += 1.0 - (a ^ b).count_ones() as f64 / BAR as f64;
                pairs += 1;
            }
        }
        p.groove = Some(sum / pairs as f64);
    }
    p.notes_per_bar = if bars == 0 { 0.0 } else { notes.len() as f64 / bars as f64 };
    let (mut chord, mut guide) = (0usize, 0usize);
    for n in &notes {
        if let Some(h) = chords.at(n.start) {
            let pc = n.key as i32 % 12;
            chord += usize::from(h.is_chord_tone(pc));
            guide += usize::from(h.is_guide_tone(pc));
        }
    }
    let share = |c: usize| if notes.is_empty() { 0.0 } else { c as f64 / notes.len() as f64 };
    (p.chord_tones, p.guide_tones) = (share(chord), share(guide));
    p
}

/// Distributions as shares: the mean over solos of each solo's own shares, so
/// every solo counts once (a long fast solo does not outweigh ten ballads).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Distributions {
    /// Intervals, bins as in [`Histograms`].
    pub intervals: Vec<f64>,
    /// Gaps between onsets.
    pub gaps: Vec<f64>,
    /// Note lengths.
    pub lengths: Vec<f64>,
    /// Positions in the beat.
    pub positions: Vec<f64>,
}

/// The mean of each solo's normalised histogram (solos with nothing in it left out).
fn mean_shares<'a>(counts: impl Iterator<Item = &'a Vec<u64>>, bins: usize) -> Vec<f64> {
    let mut sum = vec![0.0; bins];
    let mut solos = 0;
    for c in counts {
        let total: u64 = c.iter().sum();
        if total == 0 {
            continue;
        }
        solos += 1;
        sum.iter_mut().zip(c).for_each(|(s, &x)| *s += x as f64 / total as f64);
    }
    if solos > 0 {
        sum.iter_mut().for_each(|s| *s /= solos as f64);
    }
    sum
}

/// Many solos together: the mean of each figure and of each distribution over
/// the solos, and the pooled counts behind them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Card {
    /// Solos on the card.
    pub solos: usize,
    /// Notes in all.
    pub notes: usize,
    /// Bars in all.
    pub bars: usize,
    /// Mean H1 of the solos that have one (none: no solo has a bar with notes).
    pub h1: Option<f64>,
    /// Mean H4 of the solos that have one (none: no solo spans four bars).
    pub h4: Option<f64>,
    /// Mean groove similarity (none: no solo has two bars with notes).
    pub groove: Option<f64>,
    /// Mean notes per bar.
    pub notes_per_bar: f64,
    /// Mean chord-tone share.
    pub chord_tones: f64,
    /// Mean 3rd/7th share.
    pub guide_tones: f64,
    /// Each distribution as the mean of the solos' shares.
    pub distributions: Distributions,
    /// Pooled counts.
    pub histograms: Histograms,
}

impl Card {
    /// The card of these solos.
    pub fn of(profiles: &[Profile]) -> Self {
        let mean_of = |f: &dyn Fn(&Profile) -> Option<f64>| {
            let v: Vec<f64> = profiles.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let mean = |f: &dyn Fn(&Profile) -> Option<f64>| mean_of(f).unwrap_or(0.0);
        let mut histograms = Histograms::default();
        profiles.iter().for_each(|p| histograms.add(&p.histograms));
        let h = |f: fn(&Histograms) -> &Vec<u64>| {
            mean_shares(profiles.iter().map(|p| f(&p.histograms)), f(&histograms).len())
        };
        let distributions = Distributions {
            intervals: h(|x| &x.intervals),
            gaps: h(|x| &x.gaps),
            lengths: h(|x| &x.lengths),
            positions: h(|x| &x.positions),
        };
        Self {
            solos: profiles.len(),
            notes: profiles.iter().map(|p| p.notes).sum(),
            bars: profiles.iter().map(|p| p.bars).sum(),
            h1: mean_of(&|p| p.h1),
            h4: mean_of(&|p| p.h4),
            groove: mean_of(&|p| p.groove),
            notes_per_bar: mean(&|p| (p.bars > 0).then_some(p.notes_per_bar)),
            chord_tones: mean(&|p| (p.notes > 0).then_some(p.chord_tones)),
            guide_tones: mean(&|p| (p.notes > 0).then_some(p.guide_tones)),
            distributions,
            histograms,
        }
    }
}

/// The sum over bins of the smaller of two normalised histograms: 1 for the same
/// distribution, 0 for none in common (either one empty: 0).
pub fn overlap(a: &[f64], b: &[f64]) -> f64 {
    let (ta, tb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    if ta == 0.0 || tb == 0.0 {
        return 0.0;
    }
    a.iter().zip(b).map(|(&x, &y)| (x / ta).min(y / tb)).sum()
}

/// [`overlap`] of two histograms of counts.
pub fn overlap_counts(a: &[u64], b: &[u64]) -> f64 {
    let f = |v: &[u64]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    overlap(&f(a), &f(b))
}

/// The overlap of each distribution of two cards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlaps {
    /// Intervals.
    pub intervals: f64,
    /// Inter-onset gaps.
    pub gaps: f64,
    /// Lengths.
    pub lengths: f64,
    /// Positions in the beat.
    pub positions: f64,
}

impl Overlaps {
    /// How far two cards' distributions agree.
    pub fn between(a: &Card, b: &Card) -> Self {
        let (x, y) = (&a.distributions, &b.distributions);
        Self {
            intervals: overlap(&x.intervals, &y.intervals),
            gaps: overlap(&x.gaps, &y.gaps),
            lengths: overlap(&x.lengths, &y.lengths),
            positions: overlap(&x.positions, &y.positions),
        }
    }

    /// The smallest of the four.
    pub fn min(&self) -> f64 {
        self.intervals.min(self.gaps).min(self.lengths).min(self.positions)
    }
}

/// A share of a distribution's total in one bin.
pub fn share_of(shares: &[f64], bin: usize) -> f64 {
    let total: f64 = shares.iter().sum();
    if total == 0.0 { 0.0 } else { shares.get(bin).copied().unwrap_or(0.0) / total }
}

/// Readable names of the gap and length bins that musicians name.
pub const NAMED_SPANS: [(usize, &str); 9] = [
    (2, "1/6 (sextuplet)"),
    (3, "1/4 (sixteenth)"),
    (4, "1/3 (triplet eighth)"),
    (6, "1/2 (eighth)"),
    (8, "2/3 (triplet quarter)"),
    (9, "3/4 (dotted eighth)"),
    (12, "1 (quarter)"),
    (24, "2 (half)"),
    (48, "4 or more"),
];

/// Readable names of positions in the beat.
pub const NAMED_POSITIONS: [(usize, &str); 6] = [
    (0, "on the beat"),
    (3, "2nd sixteenth"),
    (4, "triplet 'and' (4/12)"),
    (6, "eighth 'and'"),
    (8, "triplet 'and' (8/12)"),
    (9, "4th sixteenth"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn note(start: f64, length: f64, key: u8) -> MelodyNote {
        MelodyNote { start, length, key }
    }

    #[test]
    fn entropy_groove_and_distributions_of_a_hand_made_line() {
        // Bar 0: C D E F as quarters; bar 1: C D E F as quarters again; bar 2: C
        // C on the beat and a triplet 'and' (8/12), lengths 1/3.
        let mut notes = Vec::new();
        for bar in 0..2 {
            for (i, k) in [60u8, 62, 64, 65].iter().enumerate() {
                notes.push(note(bar as f64 * 4.0 + i as f64, 1.0, *k));
            }
        }
        notes.push(note(8.0, 1.0 / 3.0, 60));
        notes.push(note(8.0 + 2.0 / 3.0, 1.0 / 3.0, 60));
        let dm7 = [50u8, 53, 57, 60];
        let p = profile(&notes, &ChordTimeline::new([(0.0, &dm7[..])]), 0, 3);
        // H1: bars 0 and 1 have 4 equally likely pitch classes (2 bits), bar 2 one (0 bits).
        assert!((p.h1.unwrap() - 4.0 / 3.0).abs() < 1e-12);
        // H4: no four-bar window in three bars.
        assert_eq!(p.h4, None);
        // Groove: bars 0 and 1 share all 4 onsets (1.0); bar 2 shares 1 of its 2 with them:
        // 3 + 1 differing points of 48 → 1 - 4/48, twice.
        assert!((p.groove.unwrap() - (1.0 + 2.0 * (1.0 - 4.0 / 48.0)) / 3.0).abs() < 1e-12);
        assert_eq!(p.histograms.gaps[11], 8);
        assert_eq!(p.histograms.gaps[7], 1);
        assert_eq!(p.histograms.lengths[3], 2);
        assert_eq!(p.histograms.positions[0], 9);
        assert_eq!(p.histograms.positions[8], 1);
        assert_eq!(p.histograms.intervals[(2 + MAX_INTERVAL) as usize], 4);
        // Chord tones of Dm7: D F C (and A); 3rd or 7th: F, C.
        assert!((p.chord_tones - 0.8).abs() < 1e-12, "{}", p.chord_tones);
        assert!((p.guide_tones - 6.0 / 10.0).abs() < 1e-12, "{}", p.guide_tones);
    }

    #[test]
    fn every_solo_counts_once_in_a_cards_distributions() {
        // A long solo of sixteenths and a short one of quarters: half and half.
        let busy: Vec<MelodyNote> = (0..64).map(|i| note(i as f64 * 0.25, 0.25, 60)).collect();
        let calm: Vec<MelodyNote> = (0..4).map(|i| note(i as f64, 1.0, 60)).collect();
        let chords = ChordTimeline::default();
        let card = Card::of(&[profile(&busy, &chords, 0, 4), profile(&calm, &chords, 0, 1)]);
        assert!((card.distributions.gaps[2] - 0.5).abs() < 1e-12 && (card.distributions.gaps[11] - 0.5).abs() < 1e-12);
        assert_eq!((card.histograms.gaps[2], card.histograms.gaps[11]), (63, 3));
    }

    #[test]
    fn overlap_is_one_for_the_same_shape_and_zero_for_disjoint() {
        assert!((overlap_counts(&[1, 2, 3], &[2, 4, 6]) - 1.0).abs() < 1e-12);
        assert_eq!(overlap_counts(&[1, 0], &[0, 1]), 0.0);
        assert!((overlap(&[1.0, 1.0], &[1.0, 0.0]) - 0.5).abs() < 1e-12);
        assert_eq!(overlap_counts(&[0, 0], &[1, 0]), 0.0);
    }
}
