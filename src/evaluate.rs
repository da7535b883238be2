//! Musicality measures of a solo — generated or human: what `improv evaluate`
//! prints and `MUSICALITY.md` tabulates. Every measure is independent of key and
//! spelling (pitch classes only), and reads onsets as played, before any grid.

use crate::grammar::{Harmony, NoteType, classify_pc};
use serde::Serialize;

/// Tolerance, in beats, for an onset to count as on a grid point.
const GRID_TOLERANCE: f64 = 0.01;
/// A rest at least this long (beats) separates phrases.
pub const PHRASE_GAP: f64 = 1.0;
/// A leap is more than this many semitones.
pub const LEAP: i32 = 7;
/// A large leap, which a good line usually answers by turning back.
pub const LARGE_LEAP: i32 = 5;
/// A note this close after a change (beats) is the line's arrival on the new chord.
pub const LANDING_WINDOW: f64 = 0.5;
/// Most semitones for a move by step.
pub const STEP: i32 = 2;

/// A melody note in beats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MelodyNote {
    /// Onset in beats.
    pub start: f64,
    /// Length in beats.
    pub length: f64,
    /// MIDI key.
    pub key: u8,
}

/// The chords under a melody: each from its start to the next one's.
#[derive(Debug, Clone, Default)]
pub struct ChordTimeline {
    spans: Vec<(f64, Harmony)>,
}

impl ChordTimeline {
    /// From chords in time order (start beat, keys).
    pub fn new<'a>(chords: impl IntoIterator<Item = (f64, &'a [u8])>) -> Self {
        let mut spans: Vec<(f64, Harmony)> =
            chords.into_iter().filter(|(_, k)| !k.is_empty()).map(|(s, k)| (s, Harmony::new(k))).collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self { spans }
    }

    /// The chord sounding at a beat (the first chord before the first start).
    pub fn at(&self, beat: f64) -> Option<&Harmony> {
        let i = self.spans.partition_point(|(s, _)| *s <= beat + GRID_TOLERANCE);
        self.spans.get(i.saturating_sub(1)).map(|(_, h)| h)
    }

    /// Where the harmony changes: starts whose pitch classes differ from the chord before.
    pub fn changes(&self) -> impl Iterator<Item = (f64, &Harmony)> {
        self.spans.windows(2).filter(|w| w[0].1.pcs != w[1].1.pcs).map(|w| (w[1].0, &w[1].1))
    }

    /// True if there are no chords.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// Everything `improv evaluate` measures of one solo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measures {
    /// Notes.
    pub notes: usize,
    /// Bars spanned.
    pub bars: usize,
    /// Shares of chord tones, scale tones, approach tones and others (by pitch class).
    pub chord: f64,
    /// See `chord`.
    pub scale: f64,
    /// See `chord`.
    pub approach: f64,
    /// See `chord`.
    pub other: f64,
    /// Onsets on the beat.
    pub on_beat: f64,
    /// Onsets on the second eighth.
    pub eighth: f64,
    /// Onsets on the second or fourth sixteenth.
    pub sixteenth: f64,
    /// Onsets on a triplet eighth.
    pub triplet: f64,
    /// Onsets on neither the sixteenth nor the triplet grid.
    pub off_grid: f64,
    /// Phrases (split at rests of at least [`PHRASE_GAP`] beats).
    pub phrases: usize,
    /// Phrases per 16 bars.
    pub phrases_per_16_bars: f64,
    /// Mean phrase length in beats (first onset to last note-off).
    pub mean_phrase_beats: f64,
    /// Mean notes per bar.
    pub notes_per_bar: f64,
    /// Their standard deviation.
    pub notes_per_bar_sd: f64,
    /// That standard deviation over the mean (0 with no notes): how much the
    /// density varies, whatever the density; the sd alone grows with it.
    pub notes_per_bar_spread: f64,
    /// Share of bars with at most two notes.
    pub sparse_bars: f64,
    /// Mean absolute interval between consecutive notes, semitones.
    pub mean_interval: f64,
    /// Share of intervals over [`LEAP`] semitones.
    pub leaps: f64,
    /// Share of large leaps (≥ [`LARGE_LEAP`]) followed by a move the other way.
    pub leap_turn_back: f64,
    /// Longest run of notes on one pitch.
    pub max_repeats: usize,
    /// Chord changes with a note within [`LANDING_WINDOW`] beats after them.
    pub landings: usize,
    /// Of those, reached by step (≤ [`STEP`] semitones) from the note before.
    pub landing_by_step: f64,
    /// Of those, on a chord tone of the new chord.
    pub landing_chord_tone: f64,
    /// Of those, on its 3rd or 7th.
    pub landing_guide_tone: f64,
    /// Share of 4-note cells (3 intervals, 3 onset gaps) that occur more than once.
    pub cell_recurrence: f64,
    /// Longest run of grammar tokens found verbatim in the training tokens (when known).
    pub longest_copy: Option<usize>,
}

impl Measures {
    /// The measures that are averaged over many solos (shares, rates and means).
    pub fn averaged_mut(&mut self) -> [&mut f64; 22] {
        [
            &mut self.chord,
            &mut self.scale,
            &mut self.approach,
            &mut self.other,
            &mut self.on_beat,
            &mut self.eighth,
            &mut self.sixteenth,
            &mut self.triplet,
            &mut self.off_grid,
            &mut self.phrases_per_16_bars,
            &mut self.mean_phrase_beats,
            &mut self.notes_per_bar,
            &mut self.notes_per_bar_sd,
            &mut self.notes_per_bar_spread,
            &mut self.sparse_bars,
            &mut self.mean_interval,
            &mut self.leaps,
            &mut self.leap_turn_back,
            &mut self.landing_by_step,
            &mut self.landing_chord_tone,
            &mut self.landing_guide_tone,
            &mut self.cell_recurrence,
        ]
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// The grid an onset lies on: 0 beat, 1 eighth, 2 sixteenth, 3 triplet, 4 off.
fn grid_class(onset: f64) -> usize {
    let f = onset - onset.floor();
    let near = |x: f64| (f - x).abs() < GRID_TOLERANCE;
    if near(0.0) || near(1.0) {
        0
    } else if near(0.5) {
        1
    } else if near(0.25) || near(0.75) {
        2
    } else if near(1.0 / 3.0) || near(2.0 / 3.0) {
        3
    } else {
        4
    }
}

/// Measures a melody over its chords. `first_bar` and `bars` give the span of bars
/// counted for notes per bar (bars of 4 beats); `tokens` the solo's grammar tokens
/// and the training sequences, for the copy measure.
pub fn measure<T: PartialEq>(
    notes: &[MelodyNote],
    chords: &ChordTimeline,
    first_bar: i64,
    bars: usize,
    tokens: Option<(&[T], &[Vec<T>])>,
) -> Measures {
    let mut notes: Vec<MelodyNote> = notes.to_vec();
    notes.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.key.cmp(&b.key)));
    let n = notes.len();
    let mut m = Measures { notes: n, bars, ..Default::default() };
    // Types.
    let mut types = [0usize; 4];
    for note in &notes {
        let kind = chords.at(note.start).map_or(NoteType::Other, |h| classify_pc(note.key, h));
        types[NoteType::ALL.iter().position(|&k| k == kind).unwrap_or(3).min(3)] += 1;
    }
    [m.chord, m.scale, m.approach, m.other] = types.map(|c| share(c, n));
    // Grid.
    let mut grid = [0usize; 5];
    for note in &notes {
        grid[grid_class(note.start)] += 1;
    }
    [m.on_beat, m.eighth, m.sixteenth, m.triplet, m.off_grid] = grid.map(|c| share(c, n));
    // Phrases.
    let mut phrases: Vec<(f64, f64)> = Vec::new();
    for note in &notes {
        let end = note.start + note.length;
        match phrases.last_mut() {
            Some((_, last_end)) if note.start - *last_end < PHRASE_GAP - GRID_TOLERANCE => {
                *last_end = last_end.max(end)
            }
            _ => phrases.push((note.start, end)),
        }
    }
    m.phrases = phrases.len();
    m.phrases_per_16_bars = share(phrases.len() * 16, bars);
    m.mean_phrase_beats =
        if phrases.is_empty() { 0.0 } else { phrases.iter().map(|(s, e)| e - s).sum::<f64>() / phrases.len() as f64 };
    // Notes per bar.
    if bars > 0 {
        let mut per_bar = vec![0usize; bars];
        for note in &notes {
            let bar = (note.start / 4.0 + GRID_TOLERANCE).floor() as i64 - first_bar;
            if let Some(c) = usize::try_from(bar).ok().and_then(|b| per_bar.get_mut(b)) {
                *c += 1;
            }
        }
        let mean = per_bar.iter().sum::<usize>() as f64 / bars as f64;
        let var = per_bar.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / bars as f64;
        m.notes_per_bar = mean;
        m.notes_per_bar_sd = var.sqrt();
        m.notes_per_bar_spread = if mean > 0.0 { m.notes_per_bar_sd / mean } else { 0.0 };
        m.sparse_bars = share(per_bar.iter().filter(|&&c| c <= 2).count(), bars);
    }
    // Intervals, leaps, repeats.
    let intervals: Vec<i32> = notes.windows(2).map(|w| w[1].key as i32 - w[0].key as i32).collect();
    m.mean_interval = if intervals.is_empty() {
        0.0
    } else {
        intervals.iter().map(|i| i.abs() as f64).sum::<f64>() / intervals.len() as f64
    };
    m.leaps = share(intervals.iter().filter(|i| i.abs() > LEAP).count(), intervals.len());
    let large: Vec<(i32, i32)> =
        intervals.windows(2).filter(|w| w[0].abs() >= LARGE_LEAP).map(|w| (w[0], w[1])).collect();
    m.leap_turn_back = share(large.iter().filter(|(a, b)| *b != 0 && a.signum() != b.signum()).count(), large.len());
    let mut run = 0;
    for (i, note) in notes.iter().enumerate() {
        run = if i > 0 && notes[i - 1].key == note.key { run + 1 } else { 1 };
        m.max_repeats = m.max_repeats.max(run);
    }
    // Landings on changes.
    let (mut by_step, mut on_chord, mut on_guide) = (0, 0, 0);
    for (at, h) in chords.changes() {
        let before = notes.iter().rev().find(|x| x.start < at - GRID_TOLERANCE);
        let arrival = notes.iter().find(|x| x.start >= at - GRID_TOLERANCE && x.start < at + LANDING_WINDOW);
        let (Some(before), Some(arrival)) = (before, arrival) else { continue };
        m.landings += 1;
        let pc = arrival.key as i32 % 12;
        by_step += usize::from((arrival.key as i32 - before.key as i32).abs() <= STEP);
        on_chord += usize::from(h.is_chord_tone(pc));
        on_guide += usize::from(h.is_guide_tone(pc));
    }
    m.landing_by_step = share(by_step, m.landings);
    m.landing_chord_tone = share(on_chord, m.landings);
    m.landing_guide_tone = share(on_guide, m.landings);
    // Cells.
    let twelfths = |x: f64| (x * 12.0).round() as i64;
    let cells: Vec<[i64; 6]> = notes
        .windows(4)
        .map(|w| {
            let iv = |i: usize| w[i + 1].key as i64 - w[i].key as i64;
            let gap = |i: usize| twelfths(w[i + 1].start - w[i].start);
            [iv(0), iv(1), iv(2), gap(0), gap(1), gap(2)]
        })
        .collect();
    let mut sorted = cells.clone();
    sorted.sort_unstable();
    let recurring = cells
        .iter()
        .filter(|c| {
            let i = sorted.partition_point(|x| x < c);
            sorted.get(i + 1) == Some(c)
        })
        .count();
    m.cell_recurrence = share(recurring, cells.len());
    m.longest_copy = tokens.map(|(solo, training)| crate::improvise::novelty::longest_copy(solo, training));
    m
}

/// Named rows for printing: (label, value as text).
pub fn rows(m: &Measures) -> Vec<(&'static str, String)> {
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    vec![
        ("notes / bars", format!("{} / {}", m.notes, m.bars)),
        (
            "chord / scale / approach / other",
            format!("{} / {} / {} / {}", pct(m.chord), pct(m.scale), pct(m.approach), pct(m.other)),
        ),
        (
            "onsets: beat / eighth / sixteenth / triplet",
            format!("{} / {} / {} / {}", pct(m.on_beat), pct(m.eighth), pct(m.sixteenth), pct(m.triplet)),
        ),
        ("onsets off the sixteenth and triplet grids", pct(m.off_grid)),
        (
            "phrases (per 16 bars) / mean length",
            format!("{} ({:.1}) / {:.1} beats", m.phrases, m.phrases_per_16_bars, m.mean_phrase_beats),
        ),
        (
            "notes per bar: mean / sd (÷ mean) / bars with ≤ 2",
            format!(
                "{:.1} / {:.2} ({:.2}) / {}",
                m.notes_per_bar,
                m.notes_per_bar_sd,
                m.notes_per_bar_spread,
                pct(m.sparse_bars)
            ),
        ),
        (
            "mean interval / leaps > 7 / turn back after ≥ 5",
            format!("{:.2} st / {} / {}", m.mean_interval, pct(m.leaps), pct(m.leap_turn_back)),
        ),
        ("longest run of one pitch", m.max_repeats.to_string()),
        (
            "changes landed: by step / chord tone / 3rd or 7th",
            format!(
                "{}: {} / {} / {}",
                m.landings,
                pct(m.landing_by_step),
                pct(m.landing_chord_tone),
                pct(m.landing_guide_tone)
            ),
        ),
        ("4-note cells that recur", pct(m.cell_recurrence)),
        (
            "longest verbatim copy of training tokens",
            m.longest_copy.map_or("unknown (no training tokens)".into(), |c| c.to_string()),
        ),
    ]
}

/// The bar evaluate counts in: 4 beats.
const FOUR_FOUR: crate::score::Beats = crate::score::Beats::new_raw(4, 1);

/// A solo read from a MIDI file, ready to be measured.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The melody as played (unquantised onsets).
    pub notes: Vec<MelodyNote>,
    /// The chords under it.
    pub chords: ChordTimeline,
    /// First bar of the span measured.
    pub first_bar: i64,
    /// Bars in the span.
    pub bars: usize,
    /// Its grammar tokens, as training would encode it.
    pub tokens: Vec<String>,
    /// Its line in the masters' grammar, as training a model that hears would
    /// encode it (bars of 4 beats): what that model's copy measure reads.
    pub lines: Vec<Vec<crate::grammar::masters::LineStep>>,
    /// The style it was played in, where the file says (a WJD solo's `meta.csv` label).
    pub style: Option<crate::hearing::JazzStyle>,
}

/// Reads a solo: the melody part (chosen as `improv corpus` chooses it) and either
/// the file's own chord part or `changes` (looped from bar 0). A file with a single
/// part is read as a melody when `changes` are given. With `quantize` the notes are
/// read as training reads them — snapped to the 1/4 and 1/3 beat grids, for a
/// human performance — otherwise exactly as written.
pub fn subject_from_midi(
    bytes: &[u8],
    options: &crate::corpus::CorpusOptions,
    changes: Option<&crate::improvise::Changes>,
    quantize: bool,
) -> Result<Subject, crate::corpus::CorpusError> {
    use crate::corpus::{Corpus, CorpusError};
    use crate::score::{Beats, ChordEvent, build_part, group_measures};
    let file = crate::midi::MidiFile::parse(bytes)?;
    let tpq = file.ticks_per_quarter as f64;
    let beat = |b: Beats| *b.numer() as f64 / *b.denom() as f64;
    let (part, window, corpus) = match Corpus::from_bytes(bytes, options) {
        Ok(c) => (c.melody.part, c.window, Some(c)),
        Err(CorpusError::OnlyOnePart(_)) if changes.is_some() => (0, options.window, None),
        Err(e) => return Err(e),
    };
    let raw = &file.parts[part].notes;
    let in_window = |on: u64| window.is_none_or(|w| w.contains(Beats::new(on as i64, file.ticks_per_quarter as i64)));
    let notes: Vec<MelodyNote> = raw
        .iter()
        .filter(|n| in_window(n.on))
        .map(|n| MelodyNote { start: n.on as f64 / tpq, length: (n.off - n.on) as f64 / tpq, key: n.key })
        .collect();
    let measures = match (changes, corpus) {
        (None, Some(c)) => c.measures,
        (Some(changes), _) if !changes.is_empty() => {
            let last = notes.iter().map(|n| (n.start / 4.0) as i64).max().unwrap_or(0);
            let events: Vec<ChordEvent> = (0..=last)
                .flat_map(|bar| {
                    let start = Beats::from_integer(bar * 4);
                    changes[bar as usize % changes.len()]
                        .iter()
                        .map(move |c| ChordEvent { offset: start + c.offset, ..c.clone() })
                })
                .collect();
            let elements = build_part(raw, file.ticks_per_quarter).flattened();
            group_measures(&elements, &events, Beats::from_integer(4), window)
        }
        _ => return Err(CorpusError::NoNotes),
    };
    let notes = if quantize {
        let elements = measures.iter().flat_map(|m| m.elements.iter());
        elements
            .filter_map(|e| match e.kind {
                crate::score::ElementKind::Note { key, .. } => {
                    Some(MelodyNote { start: beat(e.offset), length: beat(e.duration), key })
                }
                _ => None,
            })
            .collect()
    } else {
        notes
    };
    let mut chords: Vec<(f64, Vec<u8>)> = Vec::new();
    for c in measures.iter().flat_map(|m| m.chords.iter()) {
        if chords.last().is_none_or(|(s, _)| *s < beat(c.offset)) {
            chords.push((beat(c.offset), c.keys.clone()));
        }
    }
    let first_bar = measures.first().map_or(0, |m| m.bar);
    let bars = measures.last().map_or(0, |m| (m.bar - first_bar + 1) as usize);
    let tokens = measures.iter().flat_map(crate::grammar::encode_measure).map(|t| t.to_string()).collect();
    Ok(Subject {
        notes,
        chords: ChordTimeline::new(chords.iter().map(|(s, k)| (*s, k.as_slice()))),
        first_bar,
        bars,
        tokens,
        lines: crate::masters::lines_of_measures(&measures, FOUR_FOUR),
        style: None,
    })
}

/// A solo read from any file Improv reads: MIDI (as [`subject_from_midi`]),
/// MusicXML (its melody against its chord symbols, as written), or a WJD solo
/// (its notes at their metrical positions with their played lengths, against its
/// beat track's changes; notes under `NC` left out). `changes` applies to MIDI;
/// `quantize` reads a MIDI or WJD performance as training reads it, on the grids.
pub fn subject_from_path(
    path: &std::path::Path,
    options: &crate::corpus::CorpusOptions,
    changes: Option<&crate::improvise::Changes>,
    quantize: bool,
) -> Result<Subject, crate::corpus::CorpusError> {
    use crate::corpus::{Corpus, Format};
    if path.is_dir() {
        return Err(crate::midi::MidiError::NotAFile.into());
    }
    let bytes = crate::corpus::read_music(path)?;
    match Format::of(&bytes) {
        Format::Midi => subject_from_midi(&bytes, options, changes, quantize),
        Format::MusicXml => Ok(subject_of_measures(&Corpus::from_bytes(&bytes, options)?.measures)),
        Format::WjdCsv => {
            if crate::wjd::is_beat_track(&bytes) {
                return Err(crate::wjd::WjdError::BeatTrackGiven.into());
            }
            let mut solo = crate::corpus::wjd_solo(path, &bytes)?;
            if let Some(change) = solo.metre_change.take() {
                return Err(change.into());
            }
            if solo.beats_per_bar != 4 {
                return Err(crate::corpus::CorpusError::Meter(solo.signature.clone()));
            }
            subject_of_solo(&mut solo, quantize)
        }
    }
}

/// A solo's notes as played, for the measures of feel: a MIDI file's melody part
/// (chosen as `improv corpus` chooses it; a file of one part is that part) with
/// its ticks, velocities and first tempo; a lead sheet's melody as written (no
/// levels); a WJD solo's onsets in seconds against its beat track, and loudness.
pub fn feel_from_path(
    path: &std::path::Path,
    options: &crate::corpus::CorpusOptions,
) -> Result<Vec<crate::feel::PlayedNote>, crate::corpus::CorpusError> {
    use crate::corpus::{Corpus, CorpusError, Format};
    if path.is_dir() {
        return Err(crate::midi::MidiError::NotAFile.into());
    }
    let bytes = crate::corpus::read_music(path)?;
    match Format::of(&bytes) {
        Format::Midi => {
            let file = crate::midi::MidiFile::parse(&bytes)?;
            let part = match Corpus::from_bytes(&bytes, options) {
                Ok(c) => c.melody.part,
                Err(CorpusError::OnlyOnePart(_)) => 0,
                Err(e) => return Err(e),
            };
            let tpq = file.ticks_per_quarter as f64;
            let mut raw = file.parts[part].notes.clone();
            raw.sort_by_key(|n| (n.on, n.key));
            let notes: Vec<(f64, f64, u8, Option<f64>)> = raw
                .iter()
                .map(|n| (n.on as f64 / tpq, (n.off - n.on) as f64 / tpq, n.key, Some(n.velocity as f64)))
                .collect();
            Ok(crate::feel::from_beats(&notes, file.initial_bpm()))
        }
        Format::MusicXml => {
            let c = Corpus::from_bytes(&bytes, options)?;
            let s = subject_of_measures(&c.measures);
            let notes: Vec<(f64, f64, u8, Option<f64>)> =
                s.notes.iter().map(|n| (n.start, n.length, n.key, None)).collect();
            Ok(crate::feel::from_beats(&notes, c.bpm))
        }
        Format::WjdCsv => {
            if crate::wjd::is_beat_track(&bytes) {
                return Err(crate::wjd::WjdError::BeatTrackGiven.into());
            }
            Ok(crate::feel::from_wjd(&crate::corpus::wjd_solo(path, &bytes)?))
        }
    }
}

fn beat_f64(b: crate::score::Beats) -> f64 {
    *b.numer() as f64 / *b.denom() as f64
}

/// The chords of measures as a timeline (one entry per onset).
fn timeline_of(measures: &[crate::score::Measure]) -> ChordTimeline {
    let mut chords: Vec<(f64, Vec<u8>)> = Vec::new();
    for c in measures.iter().flat_map(|m| m.chords.iter()) {
        if chords.last().is_none_or(|(s, _)| *s < beat_f64(c.offset)) {
            chords.push((beat_f64(c.offset), c.keys.clone()));
        }
    }
    ChordTimeline::new(chords.iter().map(|(s, k)| (*s, k.as_slice())))
}

/// A solo given as measures (a lead sheet's, notes as written).
fn subject_of_measures(measures: &[crate::score::Measure]) -> Subject {
    let notes = measures
        .iter()
        .flat_map(|m| m.elements.iter())
        .filter_map(|e| match e.kind {
            crate::score::ElementKind::Note { key, .. } => {
                Some(MelodyNote { start: beat_f64(e.offset), length: beat_f64(e.duration), key })
            }
            _ => None,
        })
        .collect();
    let first_bar = measures.first().map_or(0, |m| m.bar);
    let bars = measures.last().map_or(0, |m| (m.bar - first_bar + 1) as usize);
    let tokens = measures.iter().flat_map(crate::grammar::encode_measure).map(|t| t.to_string()).collect();
    let lines = crate::masters::lines_of_measures(measures, FOUR_FOUR);
    Subject { notes, chords: timeline_of(measures), first_bar, bars, tokens, lines, style: None }
}

/// A WJD solo: notes at their metrical positions with the lengths they were
/// played (with `quantize`, its measures' notes, snapped to the grids as training
/// reads them), against the changes of the bars the grammar reads.
fn subject_of_solo(solo: &mut crate::wjd::Solo, quantize: bool) -> Result<Subject, crate::corpus::CorpusError> {
    let measures = solo.measures();
    if measures.is_empty() {
        return Err(crate::corpus::CorpusError::NoMeasures { melody: "melody".into(), chords: "beat track".into() });
    }
    let mut subject = subject_of_measures(&measures);
    subject.style = solo.meta.as_ref().and_then(|m| crate::hearing::JazzStyle::from_label(&m.style));
    if quantize {
        // The measures' notes are the ones training reads, snapped to the grids.
        return Ok(subject);
    }
    // Measures are numbered as the database numbers bars; the played notes count from the pickup.
    let shift = (solo.pickup_bars * solo.beats_per_bar) as f64;
    let first = beat_f64(measures[0].start);
    let end = beat_f64(measures[measures.len() - 1].start) + solo.beats_per_bar as f64;
    subject.notes = solo
        .notes
        .iter()
        .filter(|n| !solo.without_chord(n.position))
        .map(|n| MelodyNote { start: beat_f64(n.position) - shift, length: n.length, key: n.key })
        .filter(|n| n.start >= first && n.start < end)
        .collect();
    Ok(subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(start: f64, length: f64, key: u8) -> MelodyNote {
        MelodyNote { start, length, key }
    }

    const DM7: [u8; 4] = [50, 53, 57, 60];
    const G7: [u8; 4] = [43, 47, 50, 53];

    #[test]
    fn a_hand_made_line_measures_as_counted() {
        // Bar 0 over Dm7: D F A C as eighths, then a 7/12 onset; bar 1 over G7 from beat 4.
        let notes = [
            note(0.0, 0.5, 62),
            note(0.5, 0.5, 65),
            note(1.0, 0.5, 69),
            note(1.5, 0.5, 72),
            note(2.0 + 7.0 / 12.0, 0.25, 74),
            // Landing on G7: B (its 3rd) a whole step under C#? no: from D (74) down to B (71) is 3.
            note(4.0, 1.0, 71),
            // A rest of 2 beats, then a new phrase.
            note(7.0, 1.0 / 3.0, 71),
            note(7.0 + 1.0 / 3.0, 1.0 / 3.0, 59),
        ];
        let chords = ChordTimeline::new([(0.0, &DM7[..]), (4.0, &G7[..])]);
        let m = measure::<u8>(&notes, &chords, 0, 2, None);
        assert_eq!(m.notes, 8);
        assert!((m.off_grid - 1.0 / 8.0).abs() < 1e-9);
        assert!((m.triplet - 1.0 / 8.0).abs() < 1e-9);
        assert!((m.on_beat - 4.0 / 8.0).abs() < 1e-9, "{}", m.on_beat);
        // Phrases: 0–2 5/6 (the gap before beat 4 is 1 1/6 beats), 4–5, 7–7 2/3.
        assert_eq!(m.phrases, 3);
        assert!((m.mean_phrase_beats - (2.0 + 5.0 / 6.0 + 1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-9);
        assert_eq!(m.landings, 1);
        assert_eq!(m.landing_by_step, 0.0);
        assert_eq!(m.landing_guide_tone, 1.0);
        assert_eq!(m.max_repeats, 2);
        // Intervals: 3 4 3 2 -3 0 -12: one leap over 7 (the last), large leaps: none ≥ 5 but -12 (no next).
        assert!((m.leaps - 1.0 / 7.0).abs() < 1e-9);
        assert!((m.notes_per_bar - 4.0).abs() < 1e-9);
        assert!((m.notes_per_bar_sd - 1.0).abs() < 1e-9);
        assert!((m.notes_per_bar_spread - 0.25).abs() < 1e-9);
        // D (62) over Dm7 is a chord tone; the 7/12 note D over Dm7 too; B over G7; low B (59) over G7.
        assert!((m.chord - 1.0).abs() < 1e-9, "{}", m.chord);
    }

    #[test]
    fn the_same_line_in_every_key_measures_the_same() {
        let line: Vec<MelodyNote> =
            [62, 64, 65, 67, 69, 71, 68, 61].iter().enumerate().map(|(i, &k)| note(i as f64 * 0.5, 0.5, k)).collect();
        let base = measure::<u8>(&line, &ChordTimeline::new([(0.0, &DM7[..])]), 0, 1, None);
        for t in 1..12u8 {
            let moved: Vec<MelodyNote> = line.iter().map(|n| MelodyNote { key: n.key + t, ..*n }).collect();
            let chord: Vec<u8> = DM7.iter().map(|k| k + t).collect();
            let m = measure::<u8>(&moved, &ChordTimeline::new([(0.0, &chord[..])]), 0, 1, None);
            assert_eq!((m.chord, m.scale, m.approach, m.other), (base.chord, base.scale, base.approach, base.other));
        }
    }

    #[test]
    fn recurring_cells_and_copies() {
        // The same 4-note cell twice, a beat apart, transposed.
        let mut notes = Vec::new();
        for (i, base) in [60u8, 65].iter().enumerate() {
            for (j, d) in [0u8, 2, 4, 2].iter().enumerate() {
                notes.push(note(i as f64 * 2.0 + j as f64 * 0.25, 0.25, base + d));
            }
        }
        let m = measure(
            &notes,
            &ChordTimeline::new([(0.0, &DM7[..])]),
            0,
            1,
            Some((&[1, 2, 3][..], &[vec![0, 1, 2, 3]][..])),
        );
        // Cells: 5 windows; the first and the last are the same cell.
        assert!((m.cell_recurrence - 2.0 / 5.0).abs() < 1e-9, "{}", m.cell_recurrence);
        assert_eq!(m.longest_copy, Some(3));
    }
}
