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
        Self { pitches, len, pcs, quality, scale: derive(kind, pcs) }
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

    /// True if the pitch class is a semitone from a chord tone.
    pub fn is_approach(&self, pc: i32) -> bool {
        self.is_chord_tone(pc + 1) || self.is_chord_tone(pc - 1)
    }
}
