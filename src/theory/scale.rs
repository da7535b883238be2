//! Scales derived from a chord: music21's `MajorScale`, `DorianScale` and
//! `WeightedHexatonicBlues`, spelled the way music21 spells them.

use super::interval::Interval;
use super::pitch::{Pitch, PitchName};

/// The scale families the reference uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleKind {
    /// Ionian: the scale-tone test and generation on major chords.
    Major,
    /// Dorian: the scale-tone test on every non-major chord.
    Dorian,
}

/// Semitones above the tonic of degrees 1..=8 of each diatonic scale.
fn degrees(kind: ScaleKind) -> [i32; 8] {
    match kind {
        ScaleKind::Major => [0, 2, 4, 5, 7, 9, 11, 12],
        ScaleKind::Dorian => [0, 2, 3, 5, 7, 9, 10, 12],
    }
}

/// The 15 tonics music21's `derive` tries, in its order (spec §b, scale derivation).
pub const TONIC_CANDIDATES: [PitchName; 15] = [
    PitchName::new(0, 0),
    PitchName::new(0, 1),
    PitchName::new(1, -1),
    PitchName::new(1, 0),
    PitchName::new(1, 1),
    PitchName::new(2, -1),
    PitchName::new(2, 0),
    PitchName::new(3, 0),
    PitchName::new(3, 1),
    PitchName::new(4, 0),
    PitchName::new(4, 1),
    PitchName::new(5, 0),
    PitchName::new(6, -1),
    PitchName::new(6, 0),
    PitchName::new(0, -1),
];

/// Octave of the candidate tonics when `derive` scores them (C- then sorts as 59).
const CANDIDATE_OCTAVE: i32 = 4;

/// The spelled pitches (tonic up to its octave) of a diatonic scale on `tonic`.
pub fn diatonic_pitches(kind: ScaleKind, tonic: Pitch) -> [Pitch; 8] {
    let d = degrees(kind);
    std::array::from_fn(|i| Pitch::from_diatonic(tonic.diatonic() + i as i32, tonic.ps() + d[i]))
}

/// music21's hexatonic blues network, realised once: m3, M2, then either M2 or
/// the blue note (A1 then m2), then m3, M2. A double accidental is respelled to the
/// default spelling and stacking continues from there (spec §e.6).
pub fn hexatonic_blues_pitches(tonic: Pitch, blue_note: bool) -> Vec<Pitch> {
    let m3 = Interval::new(2, 3);
    let maj2 = Interval::new(1, 2);
    let mut steps = vec![m3, maj2];
    if blue_note {
        steps.extend([Interval::new(0, 1), Interval::new(1, 1)]);
    } else {
        steps.push(maj2);
    }
    steps.extend([m3, maj2]);
    let mut out = vec![tonic];
    let mut cur = tonic;
    for step in steps {
        cur = step.transpose(cur);
        if cur.name.alter.abs() >= 2 {
            cur = cur.simplified();
        }
        out.push(cur);
    }
    out
}

/// Picks the tonic whose scale holds the most distinct chord pitch classes; ties go to
/// the higher tonic, and exact enharmonic ties to the later-listed (flat) spelling.
/// Both sides are pitch-class bit masks (bit k = pitch class k); `scale_pcs` gives
/// the mask of the scale on a candidate tonic.
pub fn derive_tonic(chord_pcs: u16, scale_pcs: impl Fn(Pitch) -> u16) -> Pitch {
    let mut best: Option<((u32, i32), Pitch)> = None;
    for name in TONIC_CANDIDATES {
        let tonic = Pitch::new(name, CANDIDATE_OCTAVE);
        let score = (chord_pcs & scale_pcs(tonic)).count_ones();
        let key = (score, tonic.ps());
        // `>=`: a stable ascending sort, reversed, puts the later of equal keys first.
        if best.is_none_or(|(k, _)| key >= k) {
            best = Some((key, tonic));
        }
    }
    best.map(|(_, t)| t).expect("15 candidates")
}

/// The pitch-class mask of a list of pitches.
pub fn pc_mask(pitches: &[Pitch]) -> u16 {
    pitches.iter().fold(0, |m, p| m | 1 << p.name.pc())
}

/// The scale of `kind` that best fits a chord (pitch-class mask), as music21's `derive` finds it.
pub fn derive(kind: ScaleKind, chord_pcs: u16) -> [Pitch; 8] {
    let tonic = derive_tonic(chord_pcs, |t| pc_mask(&diatonic_pitches(kind, t)));
    diatonic_pitches(kind, tonic)
}

/// The hexatonic blues scale fitting a chord by the same rule. music21's weighted
/// network disagrees on some chords; only the reference decoder uses this scale.
pub fn derive_blues(chord_pcs: u16, blue_note: bool) -> Vec<Pitch> {
    let tonic = derive_tonic(chord_pcs, |t| pc_mask(&hexatonic_blues_pitches(t, true)));
    hexatonic_blues_pitches(tonic, blue_note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(pcs: &[i32]) -> u16 {
        pcs.iter().fold(0, |m, p| m | 1 << p)
    }

    fn names(ps: &[Pitch]) -> Vec<String> {
        ps.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn spelled_scales() {
        let c = Pitch::parse("C4").unwrap();
        assert_eq!(names(&diatonic_pitches(ScaleKind::Dorian, c)), ["C4", "D4", "E-4", "F4", "G4", "A4", "B-4", "C5"]);
        let cs = Pitch::parse("C#4").unwrap();
        assert_eq!(names(&hexatonic_blues_pitches(cs, true)), ["C#4", "E4", "F#4", "G4", "A-4", "C-5", "D-5"]);
    }

    #[test]
    fn derive_prefers_higher_and_flat_tonic() {
        // An F major triad fits C, F and B- major; the highest tonic wins.
        let s = derive(ScaleKind::Major, mask(&[5, 9, 0]));
        assert_eq!(s[0].to_string(), "B-4");
        // D- major fits C#/D-, F#, G#: G# (there is no A- candidate) is highest.
        let s = derive(ScaleKind::Major, mask(&[1, 5, 8]));
        assert_eq!(s[0].to_string(), "G#4");
        // The C#/D- tie goes to the later-listed D-.
        let s = derive(ScaleKind::Major, mask(&[1, 3, 5, 6, 8, 10, 0]));
        assert_eq!(s[0].to_string(), "D-4");
    }
}
