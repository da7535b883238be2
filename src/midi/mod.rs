//! MIDI in and out with `midly`.

mod read;
mod write;

pub use read::{MidiFile, Part, RawNote, TempoChange, TimeSignature};
pub use write::{Conductor, NoteOut, TrackOut, WRITE_TPQ, write_smf};

/// General MIDI program of a solo's melody: Electric Guitar (jazz).
pub const MELODY_PROGRAM: u8 = 26;
/// General MIDI program of a solo's chords: Acoustic Grand Piano.
pub const CHORD_PROGRAM: u8 = 0;

/// Why a MIDI file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MidiError {
    /// The path names a directory.
    #[error("is a directory, not a MIDI file")]
    NotAFile,
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// The file is empty.
    #[error("empty file (0 bytes)")]
    Empty,
    /// The bytes are not a valid Standard MIDI File.
    #[error("not a valid MIDI file: {0}")]
    Parse(String),
    /// The file ends inside a chunk (it was cut short, or bytes were inserted).
    #[error("truncated or damaged file: {0}")]
    Truncated(String),
    /// A track holds more notes sounding at once than any music does.
    #[error("track {track} has more than {limit} notes sounding at once; that is not a part Improv can read")]
    TooManySounding {
        /// Index of the track.
        track: usize,
        /// The limit (256).
        limit: usize,
    },
    /// SMPTE timecode timing has no beats to quantise against.
    #[error("uses SMPTE timecode timing, which has no beats; only metrical (ticks per quarter) files are supported")]
    Timecode,
}
