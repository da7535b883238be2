//! Playing a line with feel: when notes are rendered, onsets move (swung eighths,
//! laid-back beats), note-offs move (articulation) and velocities are set
//! (louder high notes, phrase shape, the "and" accent). The line itself — its
//! tokens, its grid — does not change: this works on the notes it becomes.

use super::StyleFeel;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The table learned from the WJD (`improv feel data/wjd -o weights/feel.json`).
pub const FEEL_JSON: &str = include_str!("../../weights/feel.json");
/// Velocity of every note of a straight line: what `improv generate` has always written.
pub const STRAIGHT_VELOCITY: u8 = 96;
/// MIDI velocity of one within-solo standard deviation of loudness. The WJD's
/// loudness spreads by about 3–5 dB within a solo, and a General MIDI voice spans
/// about 40 dB over velocities 1–127 (0.3 dB a step): 4 dB is about 12 steps.
pub const VELOCITY_PER_SD: f64 = 12.0;
/// Share of a solo's loudness spread that its pitch, phrase and metre do not
/// explain (ghosted and accented notes the table has no rule for), played as
/// seeded random variation: what remains of a unit variance after the fitted
/// slopes explain about a quarter of it.
pub const UNEXPLAINED_SD: f64 = 0.85;
/// A performed note ends at least this many beats before the next one starts.
pub const MIN_GAP_BEATS: f64 = 1.0 / 96.0;
/// Shortest performed note, beats.
pub const MIN_LENGTH_BEATS: f64 = 1.0 / 48.0;
/// A rest at least this long (beats) ends a phrase (as [`super::phrases_by_rests`]).
pub const PHRASE_REST_BEATS: f64 = 1.0;

/// How a line is played.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Performance {
    /// Long : short ratio of eighth pairs (1 = straight; 2 = a triplet shuffle).
    pub swing: f64,
    /// Every onset played this many beats late (laid back).
    pub lay_back: f64,
    /// Mean velocity, 1..=127.
    pub velocity: f64,
    /// Velocity of one standard deviation (0: every note at `velocity`).
    pub velocity_per_sd: f64,
    /// Level per octave above the line's mean key, in sd.
    pub pitch_slope: f64,
    /// Level from a phrase's first note to its last, in sd.
    pub phrase_slope: f64,
    /// Extra level on the "and", in sd.
    pub and_accent: f64,
    /// Random variation, in sd.
    pub jitter: f64,
    /// Share of the gap to the next onset that sounds, for notes held to it: on the
    /// beat, on the "and", elsewhere (`None`: lengths as written).
    pub articulation: Option<[f64; 3]>,
    /// Instead, each note's share drawn from this distribution over tenths (the
    /// style's, as learned: [`StyleFeel::articulation_shares`]); shares of 1 and
    /// over sound to just before the next onset.
    pub articulation_shares: Option<[f64; super::ARTICULATION_BINS]>,
}

impl Performance {
    /// The line as written: on the grid, every note at [`STRAIGHT_VELOCITY`].
    pub const STRAIGHT: Performance = Performance {
        swing: 1.0,
        lay_back: 0.0,
        velocity: STRAIGHT_VELOCITY as f64,
        velocity_per_sd: 0.0,
        pitch_slope: 0.0,
        phrase_slope: 0.0,
        and_accent: 0.0,
        jitter: 0.0,
        articulation: None,
        articulation_shares: None,
    };

    /// The learned feel of a style at a tempo. Latin and funk feels are played
    /// straight by their players; the table's style lines already leave them out.
    pub fn auto(style: &StyleFeel, bpm: f64) -> Self {
        Performance {
            swing: style.swing_at(bpm),
            lay_back: style.beat_delay,
            velocity: 88.0,
            velocity_per_sd: VELOCITY_PER_SD,
            pitch_slope: style.pitch_slope,
            phrase_slope: style.phrase_slope,
            and_accent: style.and_accent,
            jitter: UNEXPLAINED_SD,
            articulation: Some([style.articulation_beat, style.articulation_and, style.articulation_other]),
            articulation_shares: shares(&style.articulation_shares),
        }
    }

    /// One note's articulation: drawn from the distribution if there is one, else
    /// the median for its place (0 on the beat, 1 on the "and", 2 elsewhere).
    pub fn articulation_of(&self, place: usize, rng: &mut SmallRng) -> Option<f64> {
        let a = self.articulation?;
        let Some(shares) = self.articulation_shares else { return Some(a[place.min(2)]) };
        let mut r = rng.random::<f64>() * shares.iter().sum::<f64>();
        for (bin, share) in shares.iter().enumerate() {
            r -= share;
            if r <= 0.0 {
                return Some(((bin as f64 + rng.random::<f64>()) / 10.0).min(1.0));
            }
        }
        Some(a[place.min(2)])
    }

    /// The player's own settings: a swing ratio, a lay-back in milliseconds at
    /// `bpm`, one velocity, and a gate (share of each note that sounds).
    pub fn manual(swing: f64, lay_back_ms: f64, velocity: u8, gate: f64, bpm: f64) -> Self {
        let g = gate.clamp(0.05, 1.0);
        Performance {
            swing: swing.clamp(1.0, 2.0),
            lay_back: lay_back_ms / 1000.0 * bpm / 60.0,
            velocity: velocity.clamp(1, 127) as f64,
            articulation: Some([g, g, g]),
            ..Performance::STRAIGHT
        }
    }

    /// True if it plays the line exactly as written.
    pub fn is_straight(&self) -> bool {
        *self == Performance::STRAIGHT
    }
}

/// A distribution of articulation shares, if the table has one.
fn shares(v: &[f64]) -> Option<[f64; super::ARTICULATION_BINS]> {
    let arr: [f64; super::ARTICULATION_BINS] = v.try_into().ok()?;
    (arr.iter().sum::<f64>() > 0.0).then_some(arr)
}

/// Where a note falls in its beat: 0 on the beat, 1 on the "and", 2 elsewhere
/// (the index into [`Performance::articulation`]).
pub fn place(position: f64) -> usize {
    if position.abs() < 1e-9 {
        0
    } else if (position - 0.5).abs() < 1e-9 {
        1
    } else {
        2
    }
}

/// Plays `notes` — (start, length, key), in beats, in time order — with `p`:
/// returns (start, length, velocity) for each. Straight returns them as written.
/// A swung note never reaches the next one, and no onset moves before the
/// previous note's. `seed` drives the random part of the dynamics.
pub fn perform(notes: &[(f64, f64, u8)], p: &Performance, seed: u64) -> Vec<(f64, f64, u8)> {
    if p.is_straight() {
        return notes.iter().map(|&(s, l, _)| (s, l, STRAIGHT_VELOCITY)).collect();
    }
    // Onsets: the "and" of an eighth-note beat (a note on the beat, one on the
    // "and", none on the sixteenths) moves to swing/(1 + swing) of the beat.
    let beat_of = |s: f64| s.floor();
    let has = |beat: f64, pos: f64| notes.iter().any(|&(s, _, _)| (s - beat - pos).abs() < 1e-9);
    let swing_and = p.swing.clamp(1.0, 3.0) / (1.0 + p.swing.clamp(1.0, 3.0));
    let mut starts: Vec<f64> = notes
        .iter()
        .map(|&(s, _, _)| {
            let beat = beat_of(s);
            let pos = s - beat;
            let swung = (pos - 0.5).abs() < 1e-9 && has(beat, 0.0) && !has(beat, 0.25) && !has(beat, 0.75);
            (if swung { beat + swing_and } else { s }) + p.lay_back
        })
        .collect();
    for i in 1..starts.len() {
        starts[i] = starts[i].max(starts[i - 1] + MIN_LENGTH_BEATS + MIN_GAP_BEATS);
    }
    // Lengths: a note held to the next onset sounds the articulation's share of
    // the performed gap; a note before a rest keeps its written length.
    let mut art_rng = SmallRng::seed_from_u64(seed ^ 0x4152_5449);
    let lengths: Vec<f64> = (0..notes.len())
        .map(|i| {
            let (s, l, _) = notes[i];
            let next = notes.get(i + 1).map(|n| n.0);
            let gap = next.map(|n| n - s);
            let held = gap.is_some_and(|g| l >= g - 1e-9);
            let to_next = starts.get(i + 1).map(|&n| n - starts[i]);
            let art = p.articulation_of(place(s - s.floor()), &mut art_rng);
            let length = match (art, held, to_next) {
                (Some(a), true, Some(g)) => a * g,
                (Some(a), false, _) if next.is_none() => a * l,
                _ => l,
            };
            let room = to_next.map_or(f64::INFINITY, |g| g - MIN_GAP_BEATS);
            length.min(room).max(MIN_LENGTH_BEATS.min(room))
        })
        .collect();
    // Velocities: a level in sd from pitch, phrase and metre, plus random variation.
    let mean_key = notes.iter().map(|n| n.2 as f64).sum::<f64>() / notes.len().max(1) as f64;
    let ends: Vec<f64> = notes.iter().map(|n| n.0 + n.1).collect();
    let note_starts: Vec<f64> = notes.iter().map(|n| n.0).collect();
    let phrases = super::phrases_by_rests(&note_starts, &ends, PHRASE_REST_BEATS);
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x4645_454c);
    let velocities: Vec<u8> = (0..notes.len())
        .map(|i| {
            let (s, _, key) = notes[i];
            let (first, last) = phrase_span(&phrases, i);
            let along = if last > first { (i - first) as f64 / (last - first) as f64 - 0.5 } else { 0.0 };
            let and = if place(s - s.floor()) == 1 { 0.5 } else { -0.5 };
            let noise = if p.jitter > 0.0 { gaussian(&mut rng) * p.jitter } else { 0.0 };
            let z =
                p.pitch_slope * (key as f64 - mean_key) / 12.0 + p.phrase_slope * along + p.and_accent * and + noise;
            (p.velocity + p.velocity_per_sd * z).round().clamp(1.0, 127.0) as u8
        })
        .collect();
    starts.into_iter().zip(lengths).zip(velocities).map(|((s, l), v)| (s, l, v)).collect()
}

/// The first and last note index of the phrase note `i` is in.
fn phrase_span(phrases: &[i64], i: usize) -> (usize, usize) {
    let id = phrases[i];
    let first = (0..=i).rev().take_while(|&j| phrases[j] == id).last().unwrap_or(i);
    let last = (i..phrases.len()).take_while(|&j| phrases[j] == id).last().unwrap_or(i);
    (first, last)
}

/// A standard normal draw (Box–Muller).
pub fn gaussian(rng: &mut SmallRng) -> f64 {
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feel::{FeelTable, from_beats, measure};

    fn table() -> FeelTable {
        serde_json::from_str(FEEL_JSON).unwrap()
    }

    /// Eight bars of eighths, with a rest of a beat every two bars, climbing and falling.
    fn eighths() -> Vec<(f64, f64, u8)> {
        let mut out = Vec::new();
        for i in 0..64 {
            let at = i as f64 * 0.5;
            if i % 16 >= 14 {
                continue;
            }
            let key = 60 + ((i % 16) - 7i32).unsigned_abs() as u8;
            out.push((at, 0.5, key));
        }
        out
    }

    #[test]
    fn straight_is_the_line_as_written() {
        let notes = eighths();
        let played = perform(&notes, &Performance::STRAIGHT, 1);
        assert!(played.iter().zip(&notes).all(|(p, n)| p.0 == n.0 && p.1 == n.1 && p.2 == STRAIGHT_VELOCITY));
    }

    #[test]
    fn a_swing_ratio_is_measured_back_and_no_note_reaches_the_next() {
        for ratio in [1.0, 1.25, 1.5, 2.0] {
            let p = Performance::manual(ratio, 0.0, 90, 1.0, 120.0);
            let played = perform(&eighths(), &p, 1);
            let notes: Vec<(f64, f64, u8, Option<f64>)> =
                played.iter().zip(eighths()).map(|(p, n)| (p.0, p.1, n.2, Some(p.2 as f64))).collect();
            let feel = measure(&from_beats(&notes, 120.0));
            let got = feel.swing.expect("enough pairs");
            assert!((got - ratio).abs() < 0.02, "swing {ratio}: measured {got}");
            for w in played.windows(2) {
                assert!(w[0].0 + w[0].1 <= w[1].0 - MIN_GAP_BEATS + 1e-12, "{w:?}");
            }
        }
    }

    #[test]
    fn sixteenth_beats_and_triplets_are_not_swung() {
        let notes = vec![(0.0, 0.25, 60), (0.25, 0.25, 62), (0.5, 0.25, 64), (0.75, 0.25, 65), (1.0, 1.0 / 3.0, 67)];
        let played = perform(&notes, &Performance::manual(1.6, 0.0, 90, 1.0, 120.0), 1);
        assert_eq!(played.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }

    #[test]
    fn auto_feel_lays_back_shapes_dynamics_and_articulates() {
        let t = table();
        let style = t.style("SWING");
        let p = Performance::auto(style, 160.0);
        let played = perform(&eighths(), &p, 7);
        let notes: Vec<(f64, f64, u8, Option<f64>)> =
            played.iter().zip(eighths()).map(|(p, n)| (p.0, p.1, n.2, Some(p.2 as f64))).collect();
        let feel = measure(&from_beats(&notes, 160.0));
        let (swing, want) = (feel.swing.unwrap(), style.swing_at(160.0));
        assert!((swing - want).abs() < 0.02, "swing {swing}, the style's at 160 BPM {want}");
        assert!(swing > style.swing_q1 - 0.02 && swing < style.swing_q3 + 0.02, "swing {swing} in the quartiles");
        assert!((played[0].0 - style.beat_delay).abs() < 1e-9, "the downbeat is laid back");
        assert!(feel.level_sd.unwrap() >= 6.0, "velocity sd {:?}", feel.level_sd);
        assert_eq!(feel.level_pitch.unwrap() > 0.0, style.pitch_slope > 0.0, "louder high notes, as the masters");
        let art = feel.articulation_downbeats.unwrap();
        assert!((art - style.articulation_beat).abs() < 0.05, "articulation {art}");
        // Its articulation is distributed as the masters': overlap of the histograms.
        let total: u64 = feel.articulation.iter().sum();
        let ours: Vec<f64> = feel.articulation.iter().map(|&c| c as f64 / total as f64).collect();
        let overlap: f64 = ours.iter().zip(&style.articulation_shares).map(|(a, b)| a.min(*b)).sum();
        assert!(overlap >= 0.7, "articulation overlap {overlap:.2}");
        // The same seed plays the same dynamics.
        assert_eq!(perform(&eighths(), &p, 7), played);
    }
}
