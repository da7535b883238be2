//! A MIDI file as training material: which parts are melody and chords (and why),
//! the bars, and the grammar tokens of each bar.

use crate::grammar::{Token, encode_measure};
use crate::leadsheet::{LeadSheet, SheetPart};
use crate::midi::{MidiError, MidiFile, Part};
use crate::score::{
    Beats, ChordEvent, Element, ElementKind, Measure, Window, beats, build_part, count_chords, group_measures,
};
use sha2::{Digest, Sha256};
use std::path::Path;

/// SHA-256 of `original_metheny.mid`, the reference's training file.
pub const REFERENCE_SHA256: &str = "0da8322ceab36b036682b5ece0c315193f7b701a3340a0ca5a523b107c6f428d";
/// The reference's melody: track 11, "Guitar" (music21 part 5).
pub const REFERENCE_MELODY_TRACK: usize = 11;
/// The reference's chord source: track 6, "Piano" (music21 part 0).
pub const REFERENCE_CHORD_TRACK: usize = 6;
/// The reference's window of the solo, offsets 476..=548 in quarter notes (bars 120–137).
pub const REFERENCE_WINDOW: (i64, i64) = (476, 548);

/// Why a corpus could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorpusError {
    /// The MIDI layer refused the file.
    #[error(transparent)]
    Midi(#[from] MidiError),
    /// The file parsed but holds no notes.
    #[error("the file contains no notes")]
    NoNotes,
    /// A melody and a chord part are needed.
    #[error("only one part has notes ({0}); Improv needs a melody track and a chord track")]
    OnlyOnePart(String),
    /// A selector matched no part.
    #[error("no track matches {selector:?} (tracks with notes: {available})")]
    NoSuchTrack {
        /// What the user asked for.
        selector: String,
        /// The parts that exist.
        available: String,
    },
    /// A selector matched several parts.
    #[error("{selector:?} matches several parts ({matches}); name one as TRACK:CHANNEL")]
    Ambiguous {
        /// What the user asked for.
        selector: String,
        /// The parts it matched.
        matches: String,
    },
    /// Melody and chords were the same part.
    #[error("the melody and chord tracks must differ (both are {0})")]
    SameTrack(String),
    /// The chords span more bars than any solo may have.
    #[error("the chords span {bars} bars, more than the {max} a solo may have")]
    TooManyBars {
        /// Bars from the first chord to the last.
        bars: i64,
        /// The limit.
        max: usize,
    },
    /// The MusicXML reader refused the file.
    #[error(transparent)]
    Sheet(#[from] crate::leadsheet::SheetError),
    /// A lead sheet without chord symbols has nothing to relate its melody to.
    #[error("no chord symbols (<harmony>) in any part; Improv learns a melody against its written changes")]
    NoChordSymbols,
    /// Improv plays over 4/4 changes.
    #[error("the music is in {0}; Improv plays over changes in 4/4")]
    Meter(String),
    /// A WJD table whose every beat is `NC` (or a symbol not understood).
    #[error("no chord symbol in the WJD table (every beat is NC)")]
    NoWjdChords,
    /// The WJD reader refused a table.
    #[error(transparent)]
    Wjd(#[from] crate::wjd::WjdError),
    /// A companion file of a WJD solo (its `meta.csv`) could not be read.
    #[error("{file}: {reason}")]
    Companion {
        /// The companion's path, printable.
        file: String,
        /// Why.
        reason: String,
    },
    /// No bar of the melody has a chord to relate it to.
    #[error("no bar of the melody ({melody}) has a chord from {chords} to relate it to")]
    NoMeasures {
        /// Melody part label.
        melody: String,
        /// Chord part label.
        chords: String,
    },
}

/// How to build a corpus; every field may be left to the automatic choice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorpusOptions {
    /// Melody track: index, `TRACK:CHANNEL`, or name.
    pub melody: Option<String>,
    /// Chord track: index, `TRACK:CHANNEL`, or name.
    pub chords: Option<String>,
    /// Only elements starting inside this window are used.
    pub window: Option<Window>,
}

/// A part chosen for a role, with the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chosen {
    /// Index into [`Corpus::parts`].
    pub part: usize,
    /// Readable label of the part.
    pub label: String,
    /// Why it was chosen.
    pub reason: String,
}

/// Per-part facts used for the automatic choice and the summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PartSummary {
    /// Readable label.
    pub label: String,
    /// MIDI track index.
    pub track: usize,
    /// MIDI channel, 1-based as musicians count.
    pub channel: u8,
    /// Notes in the part.
    pub notes: usize,
    /// Chords after music21's 6-tick grouping.
    pub chords: usize,
    /// Share of notes that sound alone (0..1).
    pub monophony: f64,
    /// Mean MIDI key.
    pub mean_key: f64,
    /// True on the General MIDI drum channel.
    pub drums: bool,
}

/// The file a corpus was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FileKind {
    /// A Standard MIDI File.
    Midi {
        /// SMF format (0, 1, 2).
        format: u8,
        /// Ticks per quarter note.
        ticks_per_quarter: u16,
    },
    /// A MusicXML score (text or `.mxl`).
    MusicXml {
        /// `<divisions>` per quarter note of its first part.
        divisions: i64,
    },
    /// A Weimar Jazz Database solo (MeloSpyGUI melody CSV).
    Wjd {
        /// True if its beat track was found and gave the changes.
        beat_track: bool,
    },
}

/// The formats Improv reads music from, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Standard MIDI File (also RIFF `.rmi`); anything unrecognised is tried as MIDI.
    Midi,
    /// MusicXML text or a compressed `.mxl` archive.
    MusicXml,
    /// A WJD melody table or beat track (CSV with `onset`, `bar` and `beat` columns).
    WjdCsv,
}

impl Format {
    /// The format of a file's bytes.
    pub fn of(bytes: &[u8]) -> Self {
        if crate::leadsheet::is_musicxml(bytes) {
            Format::MusicXml
        } else if crate::wjd::is_wjd_table(bytes) {
            Format::WjdCsv
        } else {
            Format::Midi
        }
    }
}

/// What a WJD solo adds to its corpus: the metadata and what reading it counted.
#[derive(Debug, Clone, PartialEq)]
pub struct WjdFacts {
    /// Its `meta.csv` row, when found.
    pub meta: Option<crate::wjd::Meta>,
    /// Notes read, snapped, dropped; symbols read and refused; bars without a chord.
    pub counts: crate::wjd::Counts,
    /// Bars of pickup before the solo's first bar.
    pub pickup_bars: i64,
}

/// A MIDI file or MusicXML lead sheet turned into grammar tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    /// SHA-256 of the file bytes, hex.
    pub sha256: String,
    /// True if this is the reference's training file.
    pub is_reference: bool,
    /// What kind of file it was.
    pub file: FileKind,
    /// Quarter notes per bar.
    pub beats_per_bar: Beats,
    /// Initial tempo.
    pub bpm: f64,
    /// Every part with notes.
    pub parts: Vec<PartSummary>,
    /// The melody part.
    pub melody: Chosen,
    /// The chord part.
    pub chords: Chosen,
    /// The window applied, if any.
    pub window: Option<Window>,
    /// Bars of melody with their chords.
    pub measures: Vec<Measure>,
    /// Tokens of each bar.
    pub grammars: Vec<Vec<Token>>,
    /// What the reader left out or simplified (MusicXML: grace notes, repeats…).
    pub remarks: Vec<String>,
    /// For a WJD solo: its metadata and counts.
    pub wjd: Option<WjdFacts>,
}

impl Corpus {
    /// Reads a file and builds its corpus. A WJD melody table brings its
    /// companions: the beat track named after it (beside it or in a `beats/`
    /// folder) and its row of the nearest `meta.csv` up the tree.
    pub fn from_path(path: &Path, options: &CorpusOptions) -> Result<Self, CorpusError> {
        if path.is_dir() {
            return Err(MidiError::NotAFile.into());
        }
        let bytes = read_music(path)?;
        if Format::of(&bytes) != Format::WjdCsv || crate::wjd::is_beat_track(&bytes) {
            return Self::from_bytes(&bytes, options);
        }
        let solo = wjd_solo(path, &bytes)?;
        Self::from_solo(solo, &bytes, options)
    }

    /// Builds a corpus from SMF, MusicXML or WJD CSV bytes (a WJD melody alone
    /// takes its changes from its `chord` column). The reference file (recognised
    /// by its hash) gets the reference's tracks and window unless the options say
    /// otherwise.
    pub fn from_bytes(bytes: &[u8], options: &CorpusOptions) -> Result<Self, CorpusError> {
        match Format::of(bytes) {
            Format::MusicXml => return Self::from_sheet(bytes, options),
            Format::WjdCsv => return Self::from_wjd(bytes, None, None, options),
            Format::Midi => {}
        }
        let sha256 = hex(&Sha256::digest(bytes));
        let file = MidiFile::parse(bytes)?;
        if file.parts.is_empty() {
            return Err(CorpusError::NoNotes);
        }
        let is_reference = sha256 == REFERENCE_SHA256;
        let split = file.has_split_tracks();
        let parts: Vec<PartSummary> = file.parts.iter().map(|p| summarize(p, split, file.ticks_per_quarter)).collect();
        if parts.len() < 2 {
            return Err(CorpusError::OnlyOnePart(parts[0].label.clone()));
        }
        let mut window = options.window;
        let mut melody_sel = options.melody.clone();
        let mut chords_sel = options.chords.clone();
        let reference_note = "the reference's choice for original_metheny.mid";
        if is_reference {
            if melody_sel.is_none() && chords_sel.is_none() && window.is_none() {
                window = Some(Window { start: beats(REFERENCE_WINDOW.0, 1), end: beats(REFERENCE_WINDOW.1, 1) });
            }
            melody_sel.get_or_insert(REFERENCE_MELODY_TRACK.to_string());
            chords_sel.get_or_insert(REFERENCE_CHORD_TRACK.to_string());
        }
        let given_reason = |from_user: bool| {
            if from_user { "chosen on the command line".to_string() } else { reference_note.to_string() }
        };
        let melody = match &melody_sel {
            Some(s) => {
                let part = select(&file.parts, &parts, s)?;
                Chosen { part, label: parts[part].label.clone(), reason: given_reason(options.melody.is_some()) }
            }
            None => auto_melody(&parts, chords_sel.as_deref().and_then(|s| select(&file.parts, &parts, s).ok())),
        };
        let chords = match &chords_sel {
            Some(s) => {
                let part = select(&file.parts, &parts, s)?;
                Chosen { part, label: parts[part].label.clone(), reason: given_reason(options.chords.is_some()) }
            }
            None => auto_chords(&parts, melody.part),
        };
        if melody.part == chords.part {
            return Err(CorpusError::SameTrack(melody.label));
        }
        let melody_elements = build_part(&file.parts[melody.part].notes, file.ticks_per_quarter).flattened();
        let chord_elements = build_part(&file.parts[chords.part].notes, file.ticks_per_quarter).flattened();
        let chord_events = chord_events(&chord_elements, parts[chords.part].chords == 0);
        let beats_per_bar = file.beats_per_bar();
        let measures = group_measures(&melody_elements, &chord_events, beats_per_bar, window);
        if measures.is_empty() {
            return Err(CorpusError::NoMeasures { melody: melody.label, chords: chords.label });
        }
        let grammars = measures.iter().map(encode_measure).collect();
        Ok(Self {
            sha256,
            is_reference,
            file: FileKind::Midi { format: file.format, ticks_per_quarter: file.ticks_per_quarter },
            beats_per_bar,
            bpm: file.initial_bpm(),
            parts,
            melody,
            chords,
            window,
            measures,
            grammars,
            remarks: Vec::new(),
            wjd: None,
        })
    }

    /// Builds a corpus from a MusicXML lead sheet: the melody part (chosen, or the
    /// part with the most notes among those with chord symbols) against the chord
    /// symbols of the chord part (chosen, or the melody's own, or the part with
    /// the most symbols).
    fn from_sheet(bytes: &[u8], options: &CorpusOptions) -> Result<Self, CorpusError> {
        let sha256 = hex(&Sha256::digest(bytes));
        let sheet = LeadSheet::parse(bytes)?;
        let parts: Vec<PartSummary> = sheet.parts.iter().enumerate().map(|(i, p)| summarize_sheet(i, p)).collect();
        if !sheet.parts.iter().any(|p| p.notes() > 0) {
            return Err(CorpusError::NoNotes);
        }
        if !sheet.parts.iter().any(|p| !p.chords.is_empty()) {
            return Err(CorpusError::NoChordSymbols);
        }
        let chosen = |i: usize, reason: String| Chosen { part: i, label: parts[i].label.clone(), reason };
        let melody = match &options.melody {
            Some(s) => chosen(select_sheet(&sheet.parts, &parts, s)?, "chosen on the command line".into()),
            None => {
                let with_chords: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].chords > 0).collect();
                let pool = if with_chords.iter().any(|&i| parts[i].notes > 0) {
                    with_chords
                } else {
                    (0..parts.len()).collect()
                };
                let best = pool.into_iter().max_by_key(|&i| (parts[i].notes, std::cmp::Reverse(i))).unwrap_or(0);
                chosen(best, format!("most notes among the parts with chord symbols ({} notes)", parts[best].notes))
            }
        };
        let chords = match &options.chords {
            Some(s) => chosen(select_sheet(&sheet.parts, &parts, s)?, "chosen on the command line".into()),
            None if parts[melody.part].chords > 0 => chosen(melody.part, "the melody part's own chord symbols".into()),
            None => {
                let best = (0..parts.len()).max_by_key(|&i| (parts[i].chords, std::cmp::Reverse(i))).unwrap_or(0);
                chosen(best, format!("most chord symbols ({})", parts[best].chords))
            }
        };
        if sheet.parts[chords.part].chords.is_empty() {
            return Err(CorpusError::NoChordSymbols);
        }
        let measures = group_measures(
            &sheet.parts[melody.part].melody,
            &sheet.parts[chords.part].chords,
            sheet.beats_per_bar,
            options.window,
        );
        if measures.is_empty() {
            return Err(CorpusError::NoMeasures { melody: melody.label, chords: chords.label });
        }
        let grammars = measures.iter().map(encode_measure).collect();
        Ok(Self {
            sha256,
            is_reference: false,
            file: FileKind::MusicXml { divisions: sheet.divisions },
            beats_per_bar: sheet.beats_per_bar,
            bpm: sheet.bpm,
            parts,
            melody,
            chords,
            window: options.window,
            measures,
            grammars,
            remarks: sheet.remarks,
            wjd: None,
        })
    }

    /// Builds a corpus from a WJD solo: its melody table, its beat track (else
    /// the melody's `chord` column gives the changes) and its metadata. Solos in
    /// a metre other than 4/4 are refused: Improv plays over changes in 4/4.
    pub fn from_wjd(
        melody: &[u8],
        beats: Option<&[u8]>,
        meta: Option<crate::wjd::Meta>,
        options: &CorpusOptions,
    ) -> Result<Self, CorpusError> {
        Self::from_solo(crate::wjd::Solo::read(melody, beats, meta)?, melody, options)
    }

    /// The corpus of a WJD solo read from `melody` (its bytes, for the hash).
    fn from_solo(mut solo: crate::wjd::Solo, melody: &[u8], options: &CorpusOptions) -> Result<Self, CorpusError> {
        use crate::wjd::ChordSource;
        let sha256 = hex(&Sha256::digest(melody));
        if let Some(change) = solo.metre_change.take() {
            return Err(change.into());
        }
        if solo.beats_per_bar != 4 {
            return Err(CorpusError::Meter(solo.signature.clone()));
        }
        let mut measures = solo.measures();
        if let Some(w) = options.window {
            measures.retain(|m| w.contains(m.start));
        }
        let label = solo.meta.as_ref().map_or_else(
            || "melody".to_string(),
            |m| crate::cli::message::printable(&format!("{}: {} ({})", m.performer, m.title, m.instrument)),
        );
        let keys: Vec<f64> = solo.notes.iter().map(|n| n.key as f64).collect();
        let melody_part = PartSummary {
            label: label.clone(),
            track: 0,
            channel: 1,
            notes: solo.notes.len(),
            chords: 0,
            monophony: 1.0,
            mean_key: keys.iter().sum::<f64>() / keys.len().max(1) as f64,
            drums: false,
        };
        let beat_track = solo.chord_source == ChordSource::BeatTrack;
        let chords_label = if beat_track { "beat track" } else { "the melody's chord column" }.to_string();
        let chord_part = PartSummary {
            label: chords_label.clone(),
            track: 1,
            channel: 1,
            notes: 0,
            chords: solo.chords.len(),
            monophony: 0.0,
            mean_key: 0.0,
            drums: false,
        };
        if measures.is_empty() {
            return Err(CorpusError::NoMeasures { melody: label, chords: chords_label });
        }
        let remarks = wjd_remarks(&solo, options);
        let grammars = measures.iter().map(encode_measure).collect();
        let chosen = |part: usize, label: String, reason: &str| Chosen { part, label, reason: reason.to_string() };
        Ok(Self {
            sha256,
            is_reference: false,
            file: FileKind::Wjd { beat_track },
            beats_per_bar: Beats::from_integer(4),
            bpm: solo.bpm,
            parts: vec![melody_part, chord_part],
            melody: chosen(0, label, "a WJD solo has one melody"),
            chords: chosen(
                1,
                chords_label,
                if beat_track { "the solo's beat track: a chord on every beat" } else { "no beat track was found" },
            ),
            window: options.window,
            measures,
            grammars,
            remarks,
            wjd: Some(WjdFacts { meta: solo.meta.clone(), counts: solo.counts.clone(), pickup_bars: solo.pickup_bars }),
        })
    }

    /// Each bar's tokens joined by spaces, as the reference's `abstract_grammars`.
    pub fn grammar_strings(&self) -> Vec<String> {
        self.grammars.iter().map(|g| g.iter().map(Token::to_string).collect::<Vec<_>>().join(" ")).collect()
    }

    /// All tokens in order: the training corpus.
    pub fn tokens(&self) -> Vec<String> {
        self.grammars.iter().flatten().map(Token::to_string).collect()
    }
}

/// What reading a WJD solo left out or assumed, for the user.
fn wjd_remarks(solo: &crate::wjd::Solo, options: &CorpusOptions) -> Vec<String> {
    let c = &solo.counts;
    let mut out = Vec::new();
    if let Some(m) = &solo.meta {
        let tempo = m.tempo.map_or(String::new(), |t| format!(", {t:.0} BPM"));
        let year = m.year.map_or(String::new(), |y| format!(", {y}"));
        out.push(crate::cli::message::printable(&format!(
            "WJD solo: {} — {} ({}, {}, {} feel{tempo}{year})",
            m.performer, m.title, m.instrument, m.style, m.rhythm_feel
        )));
    } else {
        out.push("no meta.csv row for this solo: style and performer unknown".into());
    }
    if solo.chord_source == crate::wjd::ChordSource::NoteColumn {
        out.push("no beat track found (NAME_beattrack.csv beside it or in beats/): the changes are the melody's chord column".into());
    }
    if solo.pickup_bars > 0 {
        out.push(format!(
            "a pickup of {} bar{} before bar 1",
            solo.pickup_bars,
            if solo.pickup_bars == 1 { "" } else { "s" }
        ));
    }
    if c.snapped > 0 || c.dropped > 0 {
        out.push(format!(
            "{} of {} notes snapped to the sixteenth/triplet grid (quintuplets, 32nds and the like), {} dropped where two met on one grid point",
            c.snapped, c.notes, c.dropped
        ));
    }
    if !c.refused_symbols.is_empty() {
        let names: Vec<String> = c.refused_symbols.iter().map(|(s, n)| format!("\"{s}\" ×{n}")).collect();
        out.push(format!("chord symbols not understood, read as no chord: {}", names.join(", ")));
    }
    if c.bars_without_chord > 0 {
        out.push(format!(
            "{} bar{} without a chord (NC) left out",
            c.bars_without_chord,
            if c.bars_without_chord == 1 { "" } else { "s" }
        ));
    }
    if options.melody.is_some() || options.chords.is_some() {
        out.push("a WJD solo has one melody and one chord track: --melody-track and --chord-track do not apply".into());
    }
    out
}

/// A WJD solo with its companions: the beat track named after it (beside it or
/// in a `beats/` folder) and its row of the nearest `meta.csv` up the tree.
pub fn wjd_solo(path: &Path, melody: &[u8]) -> Result<crate::wjd::Solo, CorpusError> {
    let beats = crate::wjd::find_beat_track(path).map(|p| read_companion(&p)).transpose()?;
    let meta = match crate::wjd::find_meta(path) {
        Some(p) => {
            let rows = crate::wjd::read_meta(&read_companion(&p)?).map_err(|e| companion_error(&p, e))?;
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            rows.into_iter().find(|m| m.file == stem)
        }
        None => None,
    };
    Ok(crate::wjd::Solo::read(melody, beats.as_deref(), meta)?)
}

/// Reads a music file with the size limit.
pub fn read_music(path: &Path) -> Result<Vec<u8>, CorpusError> {
    crate::cli::input::read_bounded(path, crate::cli::input::MAX_MUSIC_BYTES).map_err(|e| MidiError::Io(e).into())
}

/// Reads a companion of a WJD solo (its beat track or `meta.csv`) with the size limit.
fn read_companion(path: &Path) -> Result<Vec<u8>, CorpusError> {
    crate::cli::input::read_bounded(path, crate::cli::input::MAX_MUSIC_BYTES)
        .map_err(|e| companion_error(path, format!("cannot read: {e}")))
}

fn companion_error(path: &Path, reason: impl std::fmt::Display) -> CorpusError {
    CorpusError::Companion {
        file: crate::cli::message::printable(&path.display().to_string()),
        reason: reason.to_string(),
    }
}

/// The part of a MIDI file that holds the melody (`selector`, else the only part,
/// else the one [`auto_melody`] picks), and its label.
fn midi_melody_part(file: &MidiFile, selector: Option<&str>) -> Result<(usize, String), CorpusError> {
    if file.parts.is_empty() {
        return Err(CorpusError::NoNotes);
    }
    let split = file.has_split_tracks();
    let parts: Vec<PartSummary> = file.parts.iter().map(|p| summarize(p, split, file.ticks_per_quarter)).collect();
    let part = match selector {
        Some(s) => select(&file.parts, &parts, s)?,
        None if parts.len() == 1 => 0,
        None => auto_melody(&parts, None).part,
    };
    Ok((part, parts[part].label.clone()))
}

/// The melody [`melody_line`] reads, as played: a MIDI part's notes at their own
/// ticks and velocities (the highest of notes struck together), in beats; a lead
/// sheet's or WJD solo's as written.
pub fn played_line(bytes: &[u8], selector: Option<&str>) -> Result<Vec<crate::feel::answer::CallNote>, CorpusError> {
    use crate::feel::answer::CallNote;
    let beat = |b: crate::score::Beats| *b.numer() as f64 / *b.denom() as f64;
    let mut notes: Vec<(CallNote, u8)> = if Format::of(bytes) == Format::Midi && !crate::leadsheet::is_musicxml(bytes) {
        let file = MidiFile::parse(bytes)?;
        let (part, _) = midi_melody_part(&file, selector)?;
        let tpq = file.ticks_per_quarter.max(1) as f64;
        file.parts[part]
            .notes
            .iter()
            .map(|n| {
                let note =
                    CallNote { beat: n.on as f64 / tpq, length: (n.off - n.on) as f64 / tpq, velocity: n.velocity };
                (note, n.key)
            })
            .collect()
    } else {
        melody_line(bytes, selector)?
            .0
            .iter()
            .filter_map(|e| match e.kind {
                ElementKind::Note { key, velocity } => {
                    Some((CallNote { beat: beat(e.offset), length: beat(e.duration), velocity }, key))
                }
                _ => None,
            })
            .collect()
    };
    // One line: of notes struck together, the highest.
    notes.sort_by(|a, b| a.0.beat.total_cmp(&b.0.beat).then(b.1.cmp(&a.1)));
    notes.dedup_by(|b, a| (b.0.beat - a.0.beat).abs() < 1e-9);
    Ok(notes.into_iter().map(|(n, _)| n).collect())
}

/// The melody of a file as single notes in time order (of a chord, its top note),
/// offsets in quarter notes from the file's start: the part chosen by `selector`,
/// else the file's only part, else the automatic melody choice. What a musician's
/// call or solo is read as. Returns the notes and the part's label.
pub fn melody_line(bytes: &[u8], selector: Option<&str>) -> Result<(Vec<Element>, String), CorpusError> {
    let single = |e: &Element| match &e.kind {
        ElementKind::Note { .. } => Some(e.clone()),
        ElementKind::Chord { keys } => {
            keys.iter().max().map(|&key| Element { kind: ElementKind::Note { key, velocity: 64 }, ..e.clone() })
        }
        _ => None,
    };
    let (elements, label) = if Format::of(bytes) == Format::WjdCsv {
        let mut solo = crate::wjd::Solo::read(bytes, None, None)?;
        (solo.line(), "melody".to_string())
    } else if crate::leadsheet::is_musicxml(bytes) {
        let sheet = LeadSheet::parse(bytes)?;
        let parts: Vec<PartSummary> = sheet.parts.iter().enumerate().map(|(i, p)| summarize_sheet(i, p)).collect();
        let part = match selector {
            Some(s) => select_sheet(&sheet.parts, &parts, s)?,
            None => (0..parts.len()).max_by_key(|&i| (parts[i].notes, std::cmp::Reverse(i))).unwrap_or(0),
        };
        let label = parts.get(part).map(|p| p.label.clone()).unwrap_or_default();
        (sheet.parts.get(part).map(|p| p.melody.clone()).unwrap_or_default(), label)
    } else {
        let file = MidiFile::parse(bytes)?;
        let (part, label) = midi_melody_part(&file, selector)?;
        (build_part(&file.parts[part].notes, file.ticks_per_quarter).flattened(), label)
    };
    let notes: Vec<Element> = elements.iter().filter_map(single).collect();
    if notes.is_empty() {
        return Err(CorpusError::NoNotes);
    }
    Ok((notes, label))
}

/// The chords of one part of a file, bar by bar (offsets relative to the bar; a
/// bar without a chord of its own repeats the last one from its downbeat): the
/// changes to improvise over. The part is the selected one, or the non-drum part
/// with the most chords. Returns the bars and the part's label.
pub fn chord_bars(
    bytes: &[u8],
    selector: Option<&str>,
    beats_per_bar: Beats,
) -> Result<(Vec<Vec<ChordEvent>>, String), CorpusError> {
    if Format::of(bytes) == Format::WjdCsv {
        let (events, period, label) = if crate::wjd::is_beat_track(bytes) {
            let (events, period) = crate::wjd::beat_track_changes(bytes)?;
            (events, period, "beat track")
        } else {
            let solo = crate::wjd::Solo::read(bytes, None, None)?;
            (solo.chords, solo.beats_per_bar, "the melody's chord column")
        };
        if Beats::from_integer(period) != beats_per_bar {
            return Err(CorpusError::Meter(format!("{period}/4")));
        }
        if events.is_empty() {
            return Err(CorpusError::NoWjdChords);
        }
        return Ok((bars_of(&events, beats_per_bar)?, label.to_string()));
    }
    if crate::leadsheet::is_musicxml(bytes) {
        let sheet = LeadSheet::parse(bytes)?;
        if sheet.beats_per_bar != beats_per_bar {
            let (n, d) = (sheet.beats_per_bar.numer(), sheet.beats_per_bar.denom());
            return Err(CorpusError::Meter(format!(
                "{} quarter notes a bar",
                if *d == 1 { n.to_string() } else { format!("{n}/{d}") }
            )));
        }
        let parts: Vec<PartSummary> = sheet.parts.iter().enumerate().map(|(i, p)| summarize_sheet(i, p)).collect();
        let index = match selector {
            Some(s) => select_sheet(&sheet.parts, &parts, s)?,
            None => (0..parts.len()).max_by_key(|&i| (parts[i].chords, std::cmp::Reverse(i))).unwrap_or(0),
        };
        if sheet.parts.get(index).is_none_or(|p| p.chords.is_empty()) {
            return Err(CorpusError::NoChordSymbols);
        }
        let events = &sheet.parts[index].chords;
        return Ok((bars_of(events, beats_per_bar)?, parts[index].label.clone()));
    }
    let file = MidiFile::parse(bytes)?;
    if file.parts.is_empty() {
        return Err(CorpusError::NoNotes);
    }
    let split = file.has_split_tracks();
    let parts: Vec<PartSummary> = file.parts.iter().map(|p| summarize(p, split, file.ticks_per_quarter)).collect();
    let index = match selector {
        Some(s) => select(&file.parts, &parts, s)?,
        None => (0..parts.len()).max_by_key(|&i| (!parts[i].drums, parts[i].chords, parts[i].notes)).unwrap_or(0),
    };
    let elements = build_part(&file.parts[index].notes, file.ticks_per_quarter).flattened();
    let events = chord_events(&elements, parts[index].chords == 0);
    Ok((bars_of(&events, beats_per_bar)?, parts[index].label.clone()))
}

/// Chord events cut into bars (offsets relative to the bar), a bar without a chord
/// of its own repeating the last one from its downbeat.
fn bars_of(events: &[ChordEvent], beats_per_bar: Beats) -> Result<Vec<Vec<ChordEvent>>, CorpusError> {
    let bar_of = |o: Beats| (o / beats_per_bar).floor().to_integer();
    let last = events.iter().map(|e| bar_of(e.offset)).max().unwrap_or(0);
    let first = events.iter().map(|e| bar_of(e.offset)).min().unwrap_or(0);
    let span = last.saturating_sub(first).saturating_add(1);
    if span > crate::score::MAX_BARS as i64 {
        return Err(CorpusError::TooManyBars { bars: span, max: crate::score::MAX_BARS });
    }
    // One pass: the events in bar order, each bar taking its run.
    let mut order: Vec<(i64, usize)> = events.iter().enumerate().map(|(i, e)| (bar_of(e.offset), i)).collect();
    order.sort_unstable();
    let mut next = order.iter().peekable();
    let mut bars = Vec::with_capacity(span as usize);
    let mut carried: Option<ChordEvent> = None;
    for bar in first..=last {
        let start = beats_per_bar * bar;
        let mut chords: Vec<ChordEvent> = Vec::new();
        while let Some(&&(b, i)) = next.peek().filter(|(b, _)| *b == bar) {
            debug_assert_eq!(b, bar);
            chords.push(ChordEvent { offset: events[i].offset - start, ..events[i].clone() });
            next.next();
        }
        if chords.first().is_none_or(|c| c.offset > Beats::from_integer(0))
            && let Some(prev) = &carried
        {
            chords.insert(0, ChordEvent { offset: Beats::from_integer(0), ..prev.clone() });
        }
        carried = chords.last().cloned().or(carried);
        bars.push(chords);
    }
    Ok(bars)
}

/// The chords of the chord part. As in the reference, single notes are dropped —
/// unless the part never plays a chord, when each note stands for its own chord.
fn chord_events(elements: &[Element], notes_as_chords: bool) -> Vec<ChordEvent> {
    elements
        .iter()
        .filter_map(|e| {
            match &e.kind {
                ElementKind::Chord { keys } => Some(keys.clone()),
                ElementKind::Note { key, .. } if notes_as_chords => Some(vec![*key]),
                _ => None,
            }
            .map(|keys| ChordEvent { offset: e.offset, duration: e.duration, keys, name: None })
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Notes that start while another note of the part sounds (or together with one)
/// are not alone.
fn monophony(notes: &[crate::midi::RawNote], tol: u64) -> f64 {
    if notes.is_empty() {
        return 0.0;
    }
    let mut alone = 0usize;
    let mut max_off = 0u64;
    for (i, n) in notes.iter().enumerate() {
        let overlaps_before = i > 0 && max_off > n.on + tol;
        let starts_with_next = notes.get(i + 1).is_some_and(|m| m.on <= n.on + tol);
        let starts_with_prev = i > 0 && notes[i - 1].on + tol >= n.on;
        if !overlaps_before && !starts_with_next && !starts_with_prev {
            alone += 1;
        }
        max_off = max_off.max(n.off);
    }
    alone as f64 / notes.len() as f64
}

fn summarize(p: &Part, split: bool, tpq: u16) -> PartSummary {
    let chords = count_chords(&p.notes, tpq);
    let mean_key = p.notes.iter().map(|n| n.key as f64).sum::<f64>() / p.notes.len().max(1) as f64;
    PartSummary {
        label: p.label(split),
        track: p.track,
        channel: p.channel + 1,
        notes: p.notes.len(),
        chords,
        monophony: monophony(&p.notes, (tpq / 16) as u64),
        mean_key,
        drums: p.is_drums(),
    }
}

fn summarize_sheet(index: usize, p: &SheetPart) -> PartSummary {
    let keys: Vec<u8> = p
        .melody
        .iter()
        .filter_map(|e| match e.kind {
            ElementKind::Note { key, .. } => Some(key),
            _ => None,
        })
        .collect();
    PartSummary {
        label: p.label(),
        track: index,
        channel: 0,
        notes: keys.len(),
        chords: p.chords.len(),
        monophony: 1.0,
        mean_key: keys.iter().map(|&k| k as f64).sum::<f64>() / keys.len().max(1) as f64,
        drums: false,
    }
}

/// Resolves a lead-sheet part selector: an index, a part id (`P1`) or a name.
fn select_sheet(raw: &[SheetPart], parts: &[PartSummary], selector: &str) -> Result<usize, CorpusError> {
    let s = selector.trim();
    let lower = s.to_lowercase();
    let found: Vec<usize> = match s.parse::<usize>() {
        Ok(i) if i < raw.len() => vec![i],
        _ => {
            let exact: Vec<usize> =
                (0..raw.len()).filter(|&i| raw[i].id == s || raw[i].name.trim().to_lowercase() == lower).collect();
            if exact.is_empty() && !lower.is_empty() {
                (0..raw.len()).filter(|&i| raw[i].name.to_lowercase().contains(&lower)).collect()
            } else {
                exact
            }
        }
    };
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(CorpusError::NoSuchTrack {
            selector: selector.to_string(),
            available: parts.iter().map(|p| p.label.clone()).collect::<Vec<_>>().join(", "),
        }),
        many => Err(CorpusError::Ambiguous {
            selector: selector.to_string(),
            matches: many.iter().map(|&i| parts[i].label.clone()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Resolves a selector: a track index, `TRACK:CHANNEL`, or a (case-insensitive) name.
fn select(raw: &[Part], parts: &[PartSummary], selector: &str) -> Result<usize, CorpusError> {
    let available = || parts.iter().map(|p| p.label.clone()).collect::<Vec<_>>().join(", ");
    let s = selector.trim();
    let found: Vec<usize> = if let Some((t, c)) = s.split_once(':') {
        match (t.trim().parse::<usize>(), c.trim().parse::<u8>()) {
            (Ok(t), Ok(c)) => (0..raw.len()).filter(|&i| raw[i].track == t && raw[i].channel + 1 == c).collect(),
            _ => Vec::new(),
        }
    } else if let Ok(t) = s.parse::<usize>() {
        (0..raw.len()).filter(|&i| raw[i].track == t).collect()
    } else {
        let lower = s.to_lowercase();
        let name = |i: usize| raw[i].name.as_deref().unwrap_or("").to_lowercase();
        let exact: Vec<usize> = (0..raw.len()).filter(|&i| name(i) == lower).collect();
        if exact.is_empty() {
            (0..raw.len()).filter(|&i| !lower.is_empty() && name(i).contains(&lower)).collect()
        } else {
            exact
        }
    };
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(CorpusError::NoSuchTrack { selector: selector.to_string(), available: available() }),
        many => Err(CorpusError::Ambiguous {
            selector: selector.to_string(),
            matches: many.iter().map(|&i| parts[i].label.clone()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Share of single notes above which a part counts as a melody line.
const MELODIC_MONOPHONY: f64 = 0.75;

/// The melody: the highest (by mean key) of the mostly monophonic, non-drum parts.
fn auto_melody(parts: &[PartSummary], exclude: Option<usize>) -> Chosen {
    let usable: Vec<usize> = (0..parts.len()).filter(|&i| !parts[i].drums && Some(i) != exclude).collect();
    let usable = if usable.is_empty() { (0..parts.len()).filter(|&i| Some(i) != exclude).collect() } else { usable };
    let mono: Vec<usize> = usable.iter().copied().filter(|&i| parts[i].monophony >= MELODIC_MONOPHONY).collect();
    let (pool, why) = if mono.is_empty() {
        (usable, "no part is mostly single notes; highest register of all parts")
    } else {
        (mono, "highest register among the mostly single-note parts")
    };
    let best = pool.into_iter().max_by(|&a, &b| parts[a].mean_key.total_cmp(&parts[b].mean_key)).unwrap_or(0);
    let p = &parts[best];
    Chosen {
        part: best,
        label: p.label.clone(),
        reason: format!("{why} (mean key {:.1}, {:.0}% single notes)", p.mean_key, p.monophony * 100.0),
    }
}

/// The chords: the non-drum part with the most chords; failing that, the busiest one.
fn auto_chords(parts: &[PartSummary], melody: usize) -> Chosen {
    let usable: Vec<usize> = (0..parts.len()).filter(|&i| i != melody && !parts[i].drums).collect();
    let usable = if usable.is_empty() { (0..parts.len()).filter(|&i| i != melody).collect() } else { usable };
    let best = usable.iter().copied().max_by_key(|&i| (parts[i].chords, parts[i].notes)).unwrap_or(0);
    let p = &parts[best];
    let reason = if p.chords > 0 {
        format!("most simultaneous-note chords ({} chords)", p.chords)
    } else {
        format!("no part plays chords: the busiest other part ({} notes), each note taken as a one-note chord", p.notes)
    };
    Chosen { part: best, label: p.label.clone(), reason }
}
