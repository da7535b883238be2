//! The reference's score model: notes and chords at exact rational offsets,
//! quantised and split into voices as music21 6 does on MIDI import (spec §a).

mod line;
mod measures;
mod quantize;
mod voices;

pub use line::line_with_rests;
pub use measures::{Measure, Window, group_measures};
pub use quantize::quantize;
pub use voices::{PartScore, build_part, count_chords};

use num_rational::Ratio;

/// Most bars of changes or of a solo, from any source (`--bars`, `--chords`, a
/// file's chord track, a lead sheet, a WJD solo): 10,000 bars are over 5 hours at
/// 130 BPM. The readers refuse more, so nothing downstream sees it.
pub const MAX_BARS: usize = 10_000;

/// Time in quarter notes, exact.
pub type Beats = Ratio<i64>;

/// Builds a `Beats` value `n/d`.
pub fn beats(n: i64, d: i64) -> Beats {
    Ratio::new(n, d)
}

/// What sounds (or not) at an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementKind {
    /// A single note.
    Note {
        /// MIDI key.
        key: u8,
        /// Velocity of the note-on.
        velocity: u8,
    },
    /// Notes grouped as one chord: the starting note first, then the others in note-on order.
    Chord {
        /// MIDI keys in stored order.
        keys: Vec<u8>,
    },
    /// Silence filling a gap in a voice.
    Rest,
}

/// A note, chord or rest with its quantised offset and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Onset in quarter notes from the start of the file.
    pub offset: Beats,
    /// Length in quarter notes.
    pub duration: Beats,
    /// What it is.
    pub kind: ElementKind,
}

impl Element {
    /// Offset + duration.
    pub fn end(&self) -> Beats {
        self.offset + self.duration
    }

    /// True for rests.
    pub fn is_rest(&self) -> bool {
        matches!(self.kind, ElementKind::Rest)
    }
}

/// A chord as the grammar sees it: where it starts and its pitches in stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChordEvent {
    /// Onset in quarter notes (absolute, or relative to a bar where stated).
    pub offset: Beats,
    /// Length in quarter notes.
    pub duration: Beats,
    /// MIDI keys in stored order (the order matters for the reference's random choices).
    pub keys: Vec<u8>,
    /// The symbol it was written as, for typed changes (`None`: named from its keys).
    pub name: Option<String>,
}
