//! The Weimar Jazz Database (WJD) as a corpus format: a solo's melody table
//! (MeloSpyGUI's CSV export: a row per note with its bar, beat and tatum), its
//! beat track (a row per beat, with the chord), and `meta.csv` (performer,
//! style, tempo), read into the same bars and chords as MIDI and MusicXML.

mod meta;
mod solo;
pub mod symbol;
mod table;

pub use meta::{BEAT_TRACK_SUFFIX, META_FILE, Meta, find_beat_track, find_meta, is_companion, read_meta};
pub use solo::{ChordSource, Counts, PlayedNote, Solo, beat_track_changes};
pub use table::{
    BeatRow, MAX_DIVISION, MAX_PERIOD, NoteRow, WjdError, is_beat_track, is_wjd_table, read_beats, read_melody,
};
