//! One WJD solo in Improv's score model: its notes at their metrical positions
//! (bar, beat, tatum of the beat's division), the line on the training grid with
//! what had to be snapped or dropped counted, and the changes from its beat track.

use super::meta::Meta;
use super::symbol;
use super::table::{BeatRow, NoteRow, WjdError};
use crate::score::{Beats, ChordEvent, Element, Measure, group_measures, line_with_rests, quantize};
use std::collections::BTreeMap;

/// Velocity of every note in the grammar's line (the played loudness stays on
/// [`PlayedNote`] for the measures of feel).
const LINE_VELOCITY: u8 = 90;
/// A note sounds at least this long (a sixteenth), as MIDI import rounds a note
/// shorter than the grid up to it.
const MIN_LENGTH: (i64, i64) = (1, 4);
/// A gap shorter than this (a sixteenth) between a note's end and the next
/// onset is the player's articulation, not a written rest: the line holds the
/// note to the next onset. Feel reads the played lengths.
const ARTICULATION_GAP: (i64, i64) = (1, 4);
/// Played lengths are kept to this fraction of a beat.
const LENGTH_RESOLUTION: i64 = 96;

/// A note as the database has it: metrical position and played timing.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayedNote {
    /// Metrical onset in beats from the first bar read (a pickup bar is bar 0),
    /// exact: `(beat - 1) + (tatum - 1) / division` into its bar.
    pub position: Beats,
    /// Played length in beats (seconds ÷ that beat's length).
    pub length: f64,
    /// MIDI key.
    pub key: u8,
    /// Onset in seconds, as played.
    pub onset_seconds: f64,
    /// Length of its beat in seconds.
    pub beat_seconds: f64,
    /// Loudness (median), where measured.
    pub loudness: Option<f64>,
    /// Phrase number.
    pub phrase: Option<i64>,
    /// Its tatum in the beat, 1-based.
    pub tatum: i64,
    /// Tatums in its beat.
    pub division: i64,
    /// When its beat starts, seconds, from the beat track (none without one).
    pub beat_onset: Option<f64>,
}

/// Where the changes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ChordSource {
    /// The beat track: a symbol on every beat.
    BeatTrack,
    /// The melody's own `chord` column: a symbol at every note.
    NoteColumn,
}

/// What reading a solo counted.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Notes in the melody table.
    pub notes: usize,
    /// Notes whose onset lies off the 1/4 and 1/3 beat grids (quintuplets,
    /// 32nds, sextuplets' odd tatums), moved to the nearest point.
    pub snapped: usize,
    /// Notes left out because another took their grid point.
    pub dropped: usize,
    /// Chord symbols read (each run of one symbol counts once).
    pub symbols: usize,
    /// Symbols not understood, by name, with how often they occur; treated as no chord.
    pub refused_symbols: BTreeMap<String, usize>,
    /// Bars whose notes all sound under `NC` (or a refused symbol), left out.
    pub bars_without_chord: usize,
}

/// A WJD solo, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Solo {
    /// Its row in `meta.csv`, when found.
    pub meta: Option<Meta>,
    /// Beats per bar (the `period`).
    pub beats_per_bar: i64,
    /// The time signature as written (`4/4`).
    pub signature: String,
    /// Bars of pickup before the solo's bar 0 (the first bar read is then bar 0).
    pub pickup_bars: i64,
    /// Where the metre changes, if it does (the bars are read at their own
    /// lengths; Improv learns and plays in one metre, so the corpus refuses it).
    pub metre_change: Option<WjdError>,
    /// The notes in time order.
    pub notes: Vec<PlayedNote>,
    /// The changes: a chord from each run of one symbol.
    pub chords: Vec<ChordEvent>,
    /// Stretches under `NC` or a refused symbol: (start, end) in beats.
    pub no_chord: Vec<(Beats, Beats)>,
    /// Where the changes came from.
    pub chord_source: ChordSource,
    /// What was counted while reading.
    pub counts: Counts,
    /// Mean tempo from the beat lengths, BPM.
    pub bpm: f64,
}

/// The metre of a table: every row's period and signature must agree.
fn one_metre<'a>(rows: impl Iterator<Item = (u64, i64, &'a str)>) -> Result<(i64, String), WjdError> {
    let mut first: Option<(i64, &str)> = None;
    for (line, period, signature) in rows {
        match first {
            None => first = Some((period, signature)),
            Some((p, s)) if p != period || (s != signature && !signature.is_empty()) => {
                let shown = |p: i64, s: &str| if s.is_empty() { format!("{p} beats a bar") } else { s.to_string() };
                return Err(WjdError::Bad {
                    line,
                    what: format!(
                        "the metre changes ({} → {}); Improv reads one metre per solo",
                        shown(p, s),
                        shown(period, signature)
                    ),
                });
            }
            Some(_) => {}
        }
    }
    let (p, s) = first.unwrap_or((4, ""));
    Ok((p, if s.is_empty() { format!("{p}/4") } else { s.to_string() }))
}

impl Solo {
    /// Reads a solo from its melody table, its beat track if there is one
    /// (else the changes come from the melody's `chord` column) and its metadata.
    pub fn read(melody: &[u8], beats: Option<&[u8]>, meta: Option<Meta>) -> Result<Self, WjdError> {
        let rows = super::table::read_melody(melody)?;
        let beat_rows =
            beats.map(super::table::read_beats).transpose().map_err(|e| WjdError::InBeatTrack(Box::new(e)))?;
        // One metre, or else where it changes (the solo is still read, at each
        // bar's own length, for the measures of feel; the corpus refuses it).
        let mut metre_change = one_metre(rows.iter().map(|r| (r.line, r.period, r.signature.as_str()))).err();
        let (period, signature) = (rows[0].period, rows[0].signature.clone());
        let signature = if signature.is_empty() { format!("{period}/4") } else { signature };
        if let Some(b) = &beat_rows {
            if metre_change.is_none() {
                metre_change = one_metre(b.iter().map(|r| (r.line, r.period, r.signature.as_str()))).err();
            }
            if metre_change.is_none() && b[0].period != period {
                metre_change = Some(WjdError::Bad {
                    line: b[0].line,
                    what: format!("the beat track has {} beats a bar, the melody {period}", b[0].period),
                });
            }
        }
        let first_bar = rows.iter().map(|r| r.bar).chain(beat_rows.iter().flatten().map(|b| b.bar)).min().unwrap_or(0);
        let last_bar = rows.iter().map(|r| r.bar).chain(beat_rows.iter().flatten().map(|b| b.bar)).max().unwrap_or(0);
        let pickup_bars = (-first_bar).max(0);
        // Where each bar starts, in beats from the first bar read (a pickup is bar 0).
        let mut period_of: BTreeMap<i64, i64> = BTreeMap::new();
        for (bar, p) in
            beat_rows.iter().flatten().map(|b| (b.bar, b.period)).chain(rows.iter().map(|r| (r.bar, r.period)))
        {
            period_of.entry(bar).or_insert(p);
        }
        let base = first_bar.min(0);
        let mut starts: Vec<i64> = Vec::with_capacity((last_bar - base + 1) as usize);
        let (mut at_bar, mut p) = (0, period);
        for bar in base..=last_bar {
            starts.push(at_bar);
            p = period_of.get(&bar).copied().unwrap_or(p);
            at_bar += p;
        }
        let at = |bar: i64, beat: i64| Beats::from_integer(starts[(bar - base) as usize] + beat - 1);
        let beat_onsets: std::collections::HashMap<(i64, i64), f64> =
            beat_rows.iter().flatten().map(|b| ((b.bar, b.beat), b.onset)).collect();
        let mut notes: Vec<PlayedNote> = rows
            .iter()
            .map(|r| PlayedNote {
                beat_onset: beat_onsets.get(&(r.bar, r.beat)).copied(),
                ..played(r, at(r.bar, r.beat))
            })
            .collect();
        notes.sort_by_key(|a| a.position);
        let mut counts = Counts { notes: notes.len(), ..Counts::default() };
        let (chords, no_chord, chord_source) = match &beat_rows {
            Some(b) => {
                let mut b: Vec<&BeatRow> = b.iter().collect();
                b.sort_by_key(|r| (r.bar, r.beat));
                let runs = b.iter().map(|r| (at(r.bar, r.beat), r.chord.as_str()));
                let (c, n) = changes(runs, &mut counts);
                (c, n, ChordSource::BeatTrack)
            }
            None => {
                let mut by_onset: Vec<(Beats, &str)> = rows
                    .iter()
                    .filter_map(|r| r.chord.as_deref().map(|c| (quantize(played(r, at(r.bar, r.beat)).position), c)))
                    .collect();
                by_onset.sort_by_key(|x| x.0);
                let (c, n) = changes(by_onset.into_iter(), &mut counts);
                (c, n, ChordSource::NoteColumn)
            }
        };
        let beat_seconds: f64 = rows.iter().map(|r| r.beat_duration).sum::<f64>() / rows.len() as f64;
        let bpm = meta.as_ref().and_then(|m| m.tempo).unwrap_or(60.0 / beat_seconds);
        Ok(Self {
            meta,
            beats_per_bar: period,
            signature,
            pickup_bars,
            metre_change,
            notes,
            chords,
            no_chord,
            chord_source,
            counts,
            bpm,
        })
    }

    /// True if a beat lies under `NC` (or a refused symbol).
    pub fn without_chord(&self, at: Beats) -> bool {
        let i = self.no_chord.partition_point(|(s, _)| *s <= at);
        i > 0 && at < self.no_chord[i - 1].1
    }

    /// The line as the grammar reads it: onsets snapped to the 1/4 and 1/3 beat
    /// grids, each note held to the next onset unless a rest of at least a
    /// sixteenth follows it, rests in the gaps. Counts snapped and dropped notes.
    pub fn line(&mut self) -> Vec<Element> {
        let min = Beats::new(MIN_LENGTH.0, MIN_LENGTH.1);
        let gap = Beats::new(ARTICULATION_GAP.0, ARTICULATION_GAP.1);
        let snapped: Vec<Beats> = self.notes.iter().map(|n| quantize(n.position)).collect();
        let off_by = |i: usize| {
            let d = snapped[i] - self.notes[i].position;
            if d < Beats::from_integer(0) { -d } else { d }
        };
        // Of notes that snap to one grid point, the one played nearest to it stays.
        let mut kept: Vec<usize> = Vec::with_capacity(self.notes.len());
        for i in 0..self.notes.len() {
            match kept.last_mut() {
                Some(j) if snapped[*j] == snapped[i] => {
                    if off_by(i) < off_by(*j) {
                        *j = i;
                    }
                }
                _ => kept.push(i),
            }
        }
        let mut line: Vec<(Beats, Beats, Option<u8>)> = Vec::with_capacity(kept.len());
        for (k, &i) in kept.iter().enumerate() {
            let n = &self.notes[i];
            let played = Beats::new((n.length * LENGTH_RESOLUTION as f64).round() as i64, LENGTH_RESOLUTION);
            let mut end = n.position + played.max(min);
            if let Some(&next) = kept.get(k + 1) {
                let next = self.notes[next].position;
                if next - end < gap {
                    end = next;
                }
                end = end.min(next);
            }
            line.push((n.position, end, Some(n.key)));
        }
        self.counts.snapped = (0..self.notes.len()).filter(|&i| snapped[i] != self.notes[i].position).count();
        let elements = line_with_rests(line, LINE_VELOCITY);
        self.counts.dropped = self.notes.len() - elements.iter().filter(|e| !e.is_rest()).count();
        elements
    }

    /// The bars of the line with their chords, numbered as the database numbers
    /// them (0 = the solo's first bar, -1 a pickup); bars whose every note
    /// sounds without a chord are left out (and counted).
    pub fn measures(&mut self) -> Vec<Measure> {
        let line = self.line();
        let bar = Beats::from_integer(self.beats_per_bar);
        let mut measures = group_measures(&line, &self.chords, bar, None);
        measures.retain(|m| m.elements.iter().any(|e| !e.is_rest() && !self.without_chord(e.offset)));
        let mut bars: Vec<i64> =
            line.iter().filter(|e| !e.is_rest()).map(|e| (e.offset / bar).floor().to_integer()).collect();
        bars.dedup();
        self.counts.bars_without_chord = bars.len() - measures.len();
        // Back to the database's bar numbers: a pickup bar is bar -1.
        let shift = bar * self.pickup_bars;
        for m in &mut measures {
            m.bar -= self.pickup_bars;
            m.start -= shift;
            m.elements.iter_mut().for_each(|e| e.offset -= shift);
            m.chords.iter_mut().for_each(|c| c.offset -= shift);
        }
        measures
    }
}

/// The changes of a beat track alone, in beats from its first bar (a pickup
/// bar is bar 0), with its beats per bar: what `--chords-from` plays over.
pub fn beat_track_changes(bytes: &[u8]) -> Result<(Vec<ChordEvent>, i64), WjdError> {
    let mut rows = super::table::read_beats(bytes)?;
    let (period, _) = one_metre(rows.iter().map(|r| (r.line, r.period, r.signature.as_str())))?;
    rows.sort_by_key(|r| (r.bar, r.beat));
    let pickup = (-rows[0].bar).max(0);
    let runs = rows.iter().map(|r| (Beats::from_integer((r.bar + pickup) * period + r.beat - 1), r.chord.as_str()));
    let (chords, _) = changes(runs, &mut Counts::default());
    Ok((chords, period))
}

fn played(r: &NoteRow, beat_start: Beats) -> PlayedNote {
    PlayedNote {
        position: beat_start + Beats::new(r.tatum - 1, r.division),
        length: (r.duration / r.beat_duration).min(64.0),
        key: r.pitch,
        onset_seconds: r.onset,
        beat_seconds: r.beat_duration,
        loudness: r.loud_median,
        phrase: r.phrase_id,
        tatum: r.tatum,
        division: r.division,
        beat_onset: None,
    }
}

/// Chord events from (position, symbol) in time order: one per run of a symbol,
/// lasting to the next run; `NC` and refused symbols become stretches without a chord.
fn changes<'a>(
    symbols: impl Iterator<Item = (Beats, &'a str)>,
    counts: &mut Counts,
) -> (Vec<ChordEvent>, Vec<(Beats, Beats)>) {
    let mut runs: Vec<(Beats, &str)> = Vec::new();
    for (at, s) in symbols {
        if runs.last().is_none_or(|(_, last)| *last != s) {
            runs.push((at, s));
        }
    }
    let mut chords = Vec::new();
    let mut none: Vec<(Beats, Beats)> = Vec::new();
    for (i, (at, s)) in runs.iter().enumerate() {
        let end = runs.get(i + 1).map_or(*at + 1, |r| r.0);
        counts.symbols += 1;
        match symbol::parse(s) {
            Ok(Some(chord)) => chords.push(ChordEvent {
                offset: *at,
                duration: end - *at,
                keys: chord.voicing(),
                name: Some(chord.text),
            }),
            Ok(None) => none.push((*at, end)),
            Err(_) => {
                *counts.refused_symbols.entry(crate::cli::message::printable(s)).or_default() += 1;
                none.push((*at, end));
            }
        }
    }
    (chords, none)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MELODY: &str = "onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,loud_median,phrase_id,phrase_begin,chord\n";
    const BEATS: &str = "onset,duration,period,division,bar,beat,signature,chord,form,chorus_id,bass\n";

    fn note(bar: i64, beat: i64, tatum: i64, division: i64, seconds: f64, key: u8, chord: &str) -> String {
        format!("0,{seconds},4,{division},{bar},{beat},{tatum},0.5,4/4,{key},60,1,0,{chord}\n")
    }

    #[test]
    fn metrical_positions_pickups_tuplets_and_changes() {
        let mut melody = MELODY.to_string();
        // A pickup eighth on beat 4 "and" of bar -1, then bar 0: an eighth pair,
        // a quintuplet's 2nd tatum (snapped), two notes that snap together.
        melody += &note(-1, 4, 2, 2, 0.25, 60, "NC");
        melody += &note(0, 1, 1, 2, 0.2, 62, "C-7");
        melody += &note(0, 1, 2, 2, 0.2, 63, "C-7");
        melody += &note(0, 2, 2, 5, 0.1, 65, "C-7");
        melody += &note(0, 3, 1, 1, 0.5, 67, "F7");
        melody += &note(0, 3, 2, 12, 0.05, 68, "F7");
        melody += &note(0, 3, 3, 12, 0.4, 69, "F7");
        let mut beats = BEATS.to_string();
        for (bar, beat, chord) in
            [(-1, 4, "NC"), (0, 1, "C-7"), (0, 2, "C-7"), (0, 3, "F7"), (0, 4, "F7"), (1, 1, "Xq")]
        {
            beats += &format!("0,0.5,4,1,{bar},{beat},4/4,{chord},A1,1,\n");
        }
        let mut solo = Solo::read(melody.as_bytes(), Some(beats.as_bytes()), None).unwrap();
        assert_eq!((solo.pickup_bars, solo.beats_per_bar), (1, 4));
        assert_eq!(solo.notes[0].position, Beats::new(7, 2));
        assert_eq!(solo.notes[3].position, Beats::new(4 + 1, 1) + Beats::new(1, 5));
        let names: Vec<(Beats, &str)> = solo.chords.iter().map(|c| (c.offset, c.name.as_deref().unwrap())).collect();
        assert_eq!(names, [(Beats::from_integer(4), "Cm7"), (Beats::from_integer(6), "F7")]);
        assert_eq!(solo.counts.refused_symbols.get("Xq"), Some(&1));
        assert!(solo.without_chord(Beats::new(7, 2)) && !solo.without_chord(Beats::from_integer(4)));
        let measures = solo.measures();
        // The pickup bar sounds under NC only: left out.
        assert_eq!(measures.len(), 1);
        assert_eq!(solo.counts.bars_without_chord, 1);
        // Snapped: the quintuplet tatum (1/5) and the two twelfths (1/12, 2/12).
        assert_eq!(solo.counts.snapped, 3);
        // The 1/12 note snaps onto the beat before it, which was played on it:
        // the ornament is dropped.
        assert_eq!(solo.counts.dropped, 1);
        let keys: Vec<u8> = measures[0]
            .elements
            .iter()
            .filter_map(|e| match e.kind {
                crate::score::ElementKind::Note { key, .. } => Some(key),
                _ => None,
            })
            .collect();
        assert_eq!(keys, [62, 63, 65, 67, 69]);
        // The eighth pair is held legato (0.2 s of a 0.5 s beat is 0.4 beat, a
        // gap under a sixteenth): the first lasts its half beat.
        assert_eq!(measures[0].elements[0].duration, Beats::new(1, 2));
    }

    #[test]
    fn without_a_beat_track_the_notes_carry_the_chords_and_the_metre_must_hold() {
        let mut melody = MELODY.to_string();
        melody += &note(0, 1, 1, 1, 0.5, 62, "Bbj7");
        melody += &note(0, 3, 1, 1, 0.5, 62, "G7");
        let solo = Solo::read(melody.as_bytes(), None, None).unwrap();
        assert_eq!(solo.chord_source, ChordSource::NoteColumn);
        assert_eq!(solo.chords.len(), 2);
        let changed = format!("{melody}0,0.5,3,1,1,1,1,0.5,3/4,60,60,1,0,G7\n");
        // Read at each bar's own length (for feel), with the change on record.
        let changed = Solo::read(changed.as_bytes(), None, None).unwrap();
        let e = changed.metre_change.expect("the metre changes").to_string();
        assert!(e.contains("the metre changes (4/4 → 3/4)"), "{e}");
        assert_eq!(changed.notes.last().unwrap().position, Beats::from_integer(4));
    }
}
