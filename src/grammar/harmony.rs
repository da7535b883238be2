//! What the grammar needs to know about a chord: pitches, pitch classes, quality,
//! scale. Fixed-size, so the plugin can build one on the audio thread.

use crate::theory::chord::quality;
use crate::theory::scale::{ScaleKind, derive, pc_mask};
use crate::theory::{Pitch, PitchName, Quality};

/// Chord tones kept per chord; more simultaneous keys than this are ignored.
pub const MAX_CHORD_TONES: usize = 16;

/// A chord analysed once for encoding and decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Harmony {
    pitches: [Pitch; MAX_CHORD_TONES],
    len: usize,
    /// Pitch-class mask of the chord (bit k = pitch class k).
    pub pcs: u16,
    /// music21's triad quality.
    pub quality: Quality,
    /// The scale of the scale-tone test: Major on a major chord, else Dorian.
    pub scale: [Pitch; 8],
    /// Pitch-class mask of `scale`.
    pub scale_pcs: u16,
    /// The root's pitch class, found from pitch classes alone (the chord tone the others stack on best as third, fifth and seventh).
    pub root: u8,
    /// Pitch classes of the chord's mode built on its root — major on a major chord,
    /// dorian otherwise — the same in every key (for display and measures).
    pub mode_pcs: u16,
}

impl Harmony {
    /// Analyses a chord given as MIDI keys (stored order kept; at least one key
    /// expected — an empty chord acts as C).
    pub fn new(keys: &[u8]) -> Self {
        let mut pitches = [Pitch::from_midi(60); MAX_CHORD_TONES];
        let len = keys.len().clamp(1, MAX_CHORD_TONES);
        for (slot, &k) in pitches.iter_mut().zip(keys.iter().take(MAX_CHORD_TONES)) {
            *slot = Pitch::from_midi(k as i32);
        }
        let used = &pitches[..len];
        let pcs = pc_mask(used);
        let quality = quality(used);
        let kind = if quality == Quality::Major { ScaleKind::Major } else { ScaleKind::Dorian };
        let scale = derive(kind, pcs);
        let scale_pcs = scale.iter().fold(0u16, |m, p| m | 1 << p.name.pc().rem_euclid(12));
        let bass = used.iter().map(|p| p.ps()).min().unwrap_or(60).rem_euclid(12) as u8;
        let root = pc_root(pcs, bass);
        let has = |i: u8| pcs & (1 << ((root + i) % 12)) != 0;
        let steps: [u8; 7] = match (has(4) && !has(3), has(10), has(6) && !has(7)) {
            (true, true, _) => [0, 2, 4, 5, 7, 9, 10],  // mixolydian on a dominant
            (true, false, _) => [0, 2, 4, 5, 7, 9, 11], // major
            (false, _, true) => [0, 1, 3, 5, 6, 8, 10], // locrian on a half-diminished or diminished chord
            _ => [0, 2, 3, 5, 7, 9, 10],                // dorian
        };
        let mode_pcs = steps.iter().fold(0u16, |m, s| m | 1 << ((root + s) % 12));
        Self { pitches, len, pcs, quality, scale, scale_pcs, root, mode_pcs }
    }

    /// The chord's pitches in stored order, default-spelled.
    pub fn pitches(&self) -> &[Pitch] {
        &self.pitches[..self.len]
    }

    /// True if the pitch class is a chord tone.
    pub fn is_chord_tone(&self, pc: i32) -> bool {
        self.pcs & (1 << pc.rem_euclid(12)) != 0
    }

    /// The spelling-sensitive scale-tone test: the name must appear in the scale as spelled.
    pub fn is_scale_name(&self, name: PitchName) -> bool {
        self.scale.iter().any(|p| p.name == name)
    }

    /// The spelling-blind scale-tone test: the pitch class is in the scale.
    pub fn is_scale_pc(&self, pc: i32) -> bool {
        self.scale_pcs & (1 << pc.rem_euclid(12)) != 0
    }

    /// The key-independent scale-tone test: the pitch class is in the chord's mode
    /// (major on a major chord, else dorian, from its root).
    pub fn is_mode_pc(&self, pc: i32) -> bool {
        self.mode_pcs & (1 << pc.rem_euclid(12)) != 0
    }

    /// True if the pitch class is the chord's third or seventh (the guide tones
    /// that name its quality): a minor or major third or a minor or major seventh
    /// above the root that the chord contains.
    pub fn is_guide_tone(&self, pc: i32) -> bool {
        let above = (pc - self.root as i32).rem_euclid(12);
        matches!(above, 3 | 4 | 10 | 11) && self.is_chord_tone(pc)
    }

    /// True if the pitch class is a semitone from a chord tone.
    pub fn is_approach(&self, pc: i32) -> bool {
        self.is_chord_tone(pc + 1) || self.is_chord_tone(pc - 1)
    }
}

/// The root of a set of pitch classes, the same in every key and spelling: the
/// chord tone above which the others best stack as a third (3 points), a fifth (2),
/// a seventh (1) and an altered fifth (1); the bass wins a tie.
pub fn pc_root(pcs: u16, bass: u8) -> u8 {
    let has = |r: u8, i: u8| pcs & (1 << ((r + i) % 12)) != 0;
    let score = |r: u8| {
        3 * u8::from(has(r, 3) || has(r, 4))
            + 2 * u8::from(has(r, 7))
            + u8::from(has(r, 10) || has(r, 11))
            + u8::from(!has(r, 7) && (has(r, 6) || has(r, 8)))
    };
    (0..12u8).filter(|&r| pcs & (1 << r) != 0).max_by_key(|&r| (score(r), r == bass)).unwrap_or(bass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_modes_do_not_depend_on_the_key() {
        // Dm7, G7, Cmaj7, Bm7b5, C/E in every key: same root offset, same mode shape.
        for t in 0..12u8 {
            for (keys, root, guide) in [
                (vec![50, 53, 57, 60], 2, [5, 0]),
                (vec![43, 47, 50, 53], 7, [11, 5]),
                (vec![48, 52, 55, 59], 0, [4, 11]),
                (vec![47, 50, 53, 57], 11, [2, 9]),
                (vec![40, 48, 55, 64], 0, [4, 4]),
            ] {
                let moved: Vec<u8> = keys.iter().map(|k| k + t).collect();
                let h = Harmony::new(&moved);
                assert_eq!(h.root, (root + t) % 12, "{keys:?} + {t}");
                for g in guide {
                    assert!(h.is_guide_tone((g + t as i32) % 12), "{keys:?} + {t}: guide tone {g}");
                }
                let base = Harmony::new(&keys);
                assert_eq!(h.mode_pcs.rotate_left(0), rotate(base.mode_pcs, t));
            }
        }
    }

    fn rotate(mask: u16, t: u8) -> u16 {
        (0..12).filter(|i| mask & (1 << i) != 0).fold(0, |m, i| m | 1 << ((i + t as u16) % 12))
    }
}
