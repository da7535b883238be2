//! Reading a Standard MIDI File into parts of paired notes, with tempo and meter.

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
use std::path::Path;

use super::MidiError;

/// One sounding note: a note-on paired with its note-off, in ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawNote {
    /// Absolute tick of the note-on.
    pub on: u64,
    /// Absolute tick of the matching note-off.
    pub off: u64,
    /// MIDI key number.
    pub key: u8,
    /// Note-on velocity (1..=127).
    pub velocity: u8,
}

/// The notes of one channel of one track — music21's "part" for files whose
/// tracks hold one channel each; a type-0 file splits into one part per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Index of the MIDI track the notes come from.
    pub track: usize,
    /// MIDI channel 0..=15 (9 is General MIDI percussion).
    pub channel: u8,
    /// The track's name, if it has one.
    pub name: Option<String>,
    /// The first program change on this channel, if any.
    pub program: Option<u8>,
    /// Paired notes in note-on order.
    pub notes: Vec<RawNote>,
}

impl Part {
    /// True for the General MIDI drum channel.
    pub fn is_drums(&self) -> bool {
        self.channel == 9
    }

    /// A short label: `track 11 "Guitar"` (with `ch N` when the track is split).
    pub fn label(&self, split: bool) -> String {
        let mut s = format!("track {}", self.track);
        if split {
            s.push_str(&format!(" ch {}", self.channel + 1));
        }
        if let Some(n) = &self.name {
            s.push_str(&format!(" \"{}\"", crate::cli::message::printable(n)));
        }
        s
    }
}

/// A tempo change: from `tick` on, a quarter note lasts `micros_per_quarter` µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TempoChange {
    /// Absolute tick.
    pub tick: u64,
    /// Microseconds per quarter note.
    pub micros_per_quarter: u32,
}

/// A time-signature event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSignature {
    /// Absolute tick.
    pub tick: u64,
    /// Beats per bar.
    pub numerator: u8,
    /// Beat unit as a power of two (2 = quarter).
    pub denominator_pow2: u8,
}

/// A parsed MIDI file: its parts and its conductor information.
#[derive(Debug, Clone, PartialEq)]
pub struct MidiFile {
    /// SMF format: 0, 1 or 2.
    pub format: u8,
    /// Number of tracks in the file (with or without notes).
    pub track_count: usize,
    /// Ticks per quarter note.
    pub ticks_per_quarter: u16,
    /// Parts with at least one note, in track then channel order.
    pub parts: Vec<Part>,
    /// Tempo changes in tick order (empty: 120 BPM).
    pub tempos: Vec<TempoChange>,
    /// Time signatures in tick order (empty: 4/4).
    pub time_signatures: Vec<TimeSignature>,
}

/// A note-on waiting for its note-off.
struct Pending {
    on: u64,
    velocity: u8,
    slot: usize,
}

/// Notes that may sound at once in one track: no part of music comes near it (a
/// piano has 88 keys), and voice assignment is quadratic in the overlap, so a
/// crafted file with thousands of stacked notes is refused instead of stalling.
pub const MAX_SOUNDING: usize = 256;

/// Walks the chunk headers: the file must start with `MThd` and every chunk must
/// fit in the bytes that are there (midly would otherwise accept a cut-off last track).
fn check_chunks(bytes: &[u8]) -> Result<(), MidiError> {
    if bytes.len() < 14 || &bytes[..4] != b"MThd" {
        return Err(MidiError::Parse("no MThd header (this is not a Standard MIDI File)".into()));
    }
    let declared = u16::from_be_bytes([bytes[10], bytes[11]]) as usize;
    let mut at = 0usize;
    let mut index = 0usize;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let end = at + 8 + len;
        if end > bytes.len() {
            return Err(MidiError::Truncated(format!(
                "chunk {index} declares {len} bytes but only {} remain",
                bytes.len() - at - 8
            )));
        }
        at = end;
        index += 1;
    }
    // The header chunk is chunk 0; tracks follow.
    if index < declared + 1 {
        return Err(MidiError::Truncated(format!(
            "the header declares {declared} tracks but {} are present",
            index.saturating_sub(1)
        )));
    }
    Ok(())
}

/// The Standard MIDI File inside a RIFF MIDI file (`.rmi`: `RIFF`, size, `RMID`,
/// then chunks, one of them `data` holding the SMF), or the bytes as they are.
fn unwrap_rmid(bytes: &[u8]) -> Result<&[u8], MidiError> {
    if !(bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"RMID") {
        return Ok(bytes);
    }
    let mut at = 12usize;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let body = at + 8;
        if id == b"data" {
            let end = body.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(|| {
                MidiError::Truncated(format!(
                    "the RIFF data chunk declares {len} bytes but {} remain",
                    bytes.len() - body
                ))
            })?;
            return Ok(&bytes[body..end]);
        }
        // Chunks are padded to an even length.
        at = body.saturating_add(len).saturating_add(len & 1);
    }
    Err(MidiError::Parse("a RIFF MIDI file without a data chunk".into()))
}

impl MidiFile {
    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<Self, MidiError> {
        if path.is_dir() {
            return Err(MidiError::NotAFile);
        }
        let bytes = crate::cli::input::read_bounded(path, crate::cli::input::MAX_MUSIC_BYTES).map_err(MidiError::Io)?;
        Self::parse(&bytes)
    }

    /// Parses SMF bytes: any ticks-per-quarter, running status, note-on with
    /// velocity 0 as note-off. Each note-on pairs with the first later unmatched
    /// note-off of the same key and channel; a note-on never closed is dropped.
    pub fn parse(bytes: &[u8]) -> Result<Self, MidiError> {
        if bytes.is_empty() {
            return Err(MidiError::Empty);
        }
        let bytes = unwrap_rmid(bytes)?;
        check_chunks(bytes)?;
        // midly says "invalid midi: …"; the variant already says "not a valid MIDI file".
        let smf = Smf::parse(bytes).map_err(|e| {
            MidiError::Parse(
                e.to_string().trim_start_matches("invalid midi: ").trim_start_matches("invalid midi").into(),
            )
        })?;
        let tpq = match smf.header.timing {
            Timing::Metrical(t) if t.as_int() > 0 => t.as_int(),
            Timing::Metrical(_) => return Err(MidiError::Parse("zero ticks per quarter note".into())),
            Timing::Timecode(..) => return Err(MidiError::Timecode),
        };
        let format = match smf.header.format {
            midly::Format::SingleTrack => 0,
            midly::Format::Parallel => 1,
            midly::Format::Sequential => 2,
        };
        let mut parts = Vec::new();
        let mut tempos = Vec::new();
        let mut time_signatures = Vec::new();
        for (index, track) in smf.tracks.iter().enumerate() {
            let mut tick = 0u64;
            let mut name = None;
            let mut programs: [Option<u8>; 16] = [None; 16];
            // Notes per channel, in note-on order; `None` until the note-off arrives.
            let mut notes: [Vec<Option<RawNote>>; 16] = Default::default();
            // Sounding notes per channel × key, oldest first: a note-off ends the
            // earliest note-on of its key and channel.
            let mut pending: Vec<std::collections::VecDeque<Pending>> = Vec::new();
            pending.resize_with(16 * 128, Default::default);
            let mut sounding = 0usize;
            for event in track {
                tick += event.delta.as_int() as u64;
                match event.kind {
                    TrackEventKind::Midi { channel, message } => {
                        let ch = channel.as_int();
                        match message {
                            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                                sounding += 1;
                                if sounding > MAX_SOUNDING {
                                    return Err(MidiError::TooManySounding { track: index, limit: MAX_SOUNDING });
                                }
                                let slot = notes[ch as usize].len();
                                notes[ch as usize].push(None);
                                let at = ch as usize * 128 + key.as_int() as usize;
                                pending[at].push_back(Pending { on: tick, velocity: vel.as_int(), slot });
                            }
                            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                                let at = ch as usize * 128 + key.as_int() as usize;
                                if let Some(p) = pending[at].pop_front() {
                                    sounding -= 1;
                                    notes[ch as usize][p.slot] =
                                        Some(RawNote { on: p.on, off: tick, key: key.as_int(), velocity: p.velocity });
                                }
                            }
                            MidiMessage::ProgramChange { program } => {
                                programs[ch as usize].get_or_insert(program.as_int());
                            }
                            _ => {}
                        }
                    }
                    TrackEventKind::Meta(MetaMessage::TrackName(n)) if name.is_none() => {
                        let n = String::from_utf8_lossy(n).trim().to_string();
                        if !n.is_empty() {
                            name = Some(n);
                        }
                    }
                    TrackEventKind::Meta(MetaMessage::Tempo(t)) if t.as_int() > 0 => {
                        tempos.push(TempoChange { tick, micros_per_quarter: t.as_int() });
                    }
                    TrackEventKind::Meta(MetaMessage::TimeSignature(num, den, _, _)) if num > 0 && den < 8 => {
                        time_signatures.push(TimeSignature { tick, numerator: num, denominator_pow2: den });
                    }
                    _ => {}
                }
            }
            for (ch, list) in notes.into_iter().enumerate() {
                let list: Vec<RawNote> = list.into_iter().flatten().collect();
                if !list.is_empty() {
                    parts.push(Part {
                        track: index,
                        channel: ch as u8,
                        name: name.clone(),
                        program: programs[ch],
                        notes: list,
                    });
                }
            }
        }
        tempos.sort_by_key(|t| t.tick);
        time_signatures.sort_by_key(|t| t.tick);
        Ok(Self { format, track_count: smf.tracks.len(), ticks_per_quarter: tpq, parts, tempos, time_signatures })
    }

    /// True if some track's notes span several channels (type 0 files).
    pub fn has_split_tracks(&self) -> bool {
        self.parts.windows(2).any(|w| w[0].track == w[1].track)
    }

    /// Quarter notes per bar from the first time signature (4 when there is none).
    pub fn beats_per_bar(&self) -> num_rational::Ratio<i64> {
        match self.time_signatures.first() {
            Some(ts) => num_rational::Ratio::new(ts.numerator as i64 * 4, 1i64 << ts.denominator_pow2),
            None => num_rational::Ratio::from_integer(4),
        }
    }

    /// Tempo at the start in beats per minute (120 when the file sets none).
    pub fn initial_bpm(&self) -> f64 {
        self.tempos.first().filter(|t| t.tick == 0).map_or(120.0, |t| 60_000_000.0 / t.micros_per_quarter as f64)
    }
}
