//! What the grammar needs to know about a chord: pitch classes, quality, scale.

use crate::theory::chord::quality;
use crate::theory::scale::{ScaleKind, derive};
use crate::theory::{Pitch, PitchName, Quality};

/// A chord analysed once for encoding and decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Harmony {
    /// The chord's pitches in stored order, default-spelled.
    pub pitches: Vec<Pitch>,
    /// Distinct pitch classes.
    pub pcs: Vec<i32>,
    /// music21's triad quality.
    pub quality: Quality,
    /// The scale of the scale-tone test: Major on a major chord, else Dorian.
    pub scale: [Pitch; 8],
}

impl Harmony {
    /// Analyses a chord given as MIDI keys.
    pub fn new(keys: &[u8]) -> Self {
        let pitches: Vec<Pitch> = keys.iter().map(|&k| Pitch::from_midi(k as i32)).collect();
        let mut pcs: Vec<i32> = pitches.iter().map(|p| p.name.pc()).collect();
        pcs.sort_unstable();
        pcs.dedup();
        let quality = quality(&pitches);
        let kind = if quality == Quality::Major { ScaleKind::Major } else { ScaleKind::Dorian };
        let scale = derive(kind, &pcs);
        Self { pitches, pcs, quality, scale }
    }

    /// True if the pitch class is a chord tone.
    pub fn is_chord_tone(&self, pc: i32) -> bool {
        self.pcs.contains(&pc.rem_euclid(12))
    }

    /// The spelling-sensitive scale-tone test: the name must appear in the scale as spelled.
    pub fn is_scale_name(&self, name: PitchName) -> bool {
        self.scale.iter().any(|p| p.name == name)
    }

    /// True if the pitch class is a semitone from a chord tone.
    pub fn is_approach(&self, pc: i32) -> bool {
        self.is_chord_tone(pc + 1) || self.is_chord_tone(pc - 1)
    }
}
