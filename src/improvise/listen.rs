//! Listening: the musician's notes, heard on the grid and spoken back in the
//! model's own tokens, so the LSTM can be walked through a call (teacher forcing)
//! and its opening restated in the answer.
//!
//! A call is kept in fixed buffers ([`MAX_CALL_NOTES`] notes): hearing, quantising
//! and encoding allocate nothing and do work bounded by those sizes, so the plugin
//! listens on the audio thread.
//!
//! **Quantising.** Onsets and ends snap to the nearest point of the sixteenth or
//! eighth-triplet grid of their beat (twelfths 0, 3, 4, 6, 8, 9); a note is at
//! least a sixteenth long; the second of a beat's two notes that lands on its
//! third triplet is a swung "and" (twelfth 6). Notes are made one line: a note starting while another
//! sounds ends the other there; of notes starting on the same point, the highest
//! is kept (the top of a chord, as a lead sheet reads).
//!
//! **Encoding.** Each note becomes a token of its type against the chord sounding
//! at its onset (chord, scale, approach, other: the grammar's own classification),
//! its length, and its interval from the previous note; each silence between notes
//! becomes a rest. A token the model's vocabulary lacks is mapped to the nearest it
//! has ([`LiveModel::nearest_token`]): the same type first (else the nearest note
//! type), then the closest length, then the interval window closest to the interval.

use super::grid::TICKS_PER_BEAT;
use super::motif::{CALL_CELLS, Cell};
use super::{ChangeSource, LiveModel};
use crate::grammar::{Harmony, NoteType, classify};
use num_rational::Ratio;

/// Notes a call holds; later notes are not heard (a 4-bar call of sixteenths is 64).
pub const MAX_CALL_NOTES: usize = 128;
/// Tokens a call becomes: a note and the rest after it, each.
pub const MAX_CALL_TOKENS: usize = 2 * MAX_CALL_NOTES;
/// The longest silence inside a call that is spoken as rests (longer ones are
/// shortened to this): a bar.
const MAX_GAP_TICKS: i64 = 4 * TICKS_PER_BEAT;
/// Moves of a call's shape an answer follows (two bars of eighths).
pub const MAX_SHAPE_MOVES: usize = 16;
/// Where a swung "and" lands on the grid of twelfths: the third triplet.
const SWUNG_AND: i64 = 8;
/// Grid points of a beat, in twelfths: sixteenths and eighth-note triplets.
const GRID_POINTS: [i64; 7] = [0, 3, 4, 6, 8, 9, 12];

/// Who plays which bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turns {
    /// Bars in a turn (1, 2, 4 or 8 in the plugin; any from 1 here).
    pub bars: usize,
    /// The musician plays the first turn.
    pub musician_starts: bool,
}

impl Turns {
    /// True if `bar` (0-based) is the musician's.
    pub fn musician_plays(&self, bar: i64) -> bool {
        let turn = bar.div_euclid(self.bars.max(1) as i64);
        (turn % 2 == 0) == self.musician_starts
    }
}

/// A heard note on the grid, in twelfths of a beat from the timeline's start.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HeardNote {
    /// Onset.
    pub start: i64,
    /// End (after the onset).
    pub end: i64,
    /// MIDI key.
    pub key: u8,
    /// The chord sounding at its onset, if known when it was heard.
    pub harmony: Option<Harmony>,
}

/// The nearest sixteenth or triplet point to `beat`, in twelfths of a beat.
pub fn quantise(beat: f64) -> i64 {
    let t = (beat * TICKS_PER_BEAT as f64).clamp(-1e15, 1e15);
    let base = (t / TICKS_PER_BEAT as f64).floor() as i64 * TICKS_PER_BEAT;
    let within = t - base as f64;
    let nearest = GRID_POINTS
        .iter()
        .copied()
        .min_by(|a, b| (*a as f64 - within).abs().total_cmp(&(*b as f64 - within).abs()))
        .unwrap_or(0);
    base + nearest
}

/// The smallest grid point after `t` (twelfths).
fn next_point(t: i64) -> i64 {
    let base = t.div_euclid(TICKS_PER_BEAT) * TICKS_PER_BEAT;
    GRID_POINTS.iter().map(|p| base + p).find(|&p| p > t).unwrap_or(base + TICKS_PER_BEAT)
}

/// A call being heard: the musician's notes, one line, on the grid.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    notes: [HeardNote; MAX_CALL_NOTES],
    len: usize,
    /// The key sounding now, its onset (twelfths) and the chord under it, until its note-off.
    open: Option<(u8, i64, Option<Harmony>)>,
}

impl Default for Call {
    fn default() -> Self {
        Self { notes: [HeardNote::default(); MAX_CALL_NOTES], len: 0, open: None }
    }
}

impl Call {
    /// Forgets the call.
    pub fn clear(&mut self) {
        self.len = 0;
        self.open = None;
    }

    /// The notes heard so far (a sounding note is not among them yet).
    pub fn notes(&self) -> &[HeardNote] {
        &self.notes[..self.len]
    }

    /// True if nothing was heard and nothing sounds.
    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.open.is_none()
    }

    /// True while a note of the call sounds.
    pub fn sounding(&self) -> bool {
        self.open.is_some()
    }

    /// The onset of the note sounding now (twelfths), if one is.
    pub fn open_start(&self) -> Option<i64> {
        self.open.map(|(_, s, _)| s)
    }

    /// The onset of the first note heard or sounding (twelfths).
    pub fn first_start(&self) -> Option<i64> {
        self.notes().first().map(|n| n.start).or(self.open.map(|(_, s, _)| s))
    }

    /// The end of the last note heard (twelfths).
    pub fn last_end(&self) -> Option<i64> {
        self.notes().last().map(|n| n.end)
    }

    /// A note-on at `beat` (host timeline) over `harmony` (the chord sounding then).
    pub fn note_on(&mut self, beat: f64, key: u8, harmony: Option<Harmony>) {
        let mut start = quantise(beat);
        // A swung eighth pair: the note after one on the beat, nearer its third
        // triplet than its "and", with nothing between, is the "and" swung (as jazz
        // writes it), not a triplet — so the answer plays eighths, swung as the call was.
        let previous = self.open.map(|(_, s, _)| s).or_else(|| self.notes().last().map(|n| n.start));
        if start.rem_euclid(TICKS_PER_BEAT) == SWUNG_AND && previous == Some(start - SWUNG_AND) {
            start -= SWUNG_AND - TICKS_PER_BEAT / 2;
        }
        if let Some((k, s, _)) = self.open {
            if s == start && k > key {
                return; // the top note of a chord is the line
            }
            self.close(start.max(s));
        }
        // A note starting where the last heard one did replaces it if higher.
        if let Some(last) = self.notes[..self.len].last()
            && last.start == start
        {
            if last.key > key {
                return;
            }
            self.len -= 1;
        }
        self.open = Some((key, start, harmony));
    }

    /// A note-off at `beat`; ignored unless it ends the sounding note.
    pub fn note_off(&mut self, beat: f64, key: u8) {
        if self.open.is_some_and(|(k, _, _)| k == key) {
            self.close(quantise(beat));
        }
    }

    /// Ends the sounding note at `end` (twelfths), at least a grid step after its onset.
    pub fn close(&mut self, end: i64) {
        let Some((key, start, harmony)) = self.open.take() else { return };
        let end = if end > start { end } else { next_point(start) };
        if self.len < MAX_CALL_NOTES {
            self.notes[self.len] = HeardNote { start, end, key, harmony };
            self.len += 1;
        }
    }
}

/// What a model that hears is told with one of a call's tokens, as training tells
/// it of a master's: where it starts, the chord there and the note before it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStep {
    /// Onset (twelfths of a beat from the timeline's first bar line).
    pub at: i64,
    /// The chord sounding at the onset, if known.
    pub chord: Option<Harmony>,
    /// The key of the call's last note before it.
    pub previous: Option<u8>,
}

/// A call in the model's tokens, and its opening cell for the answer to restate.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    tokens: [u16; MAX_CALL_TOKENS],
    /// What a model that hears is told with each token.
    steps: [CallStep; MAX_CALL_TOKENS],
    len: usize,
    /// The call's opening: up to [`CELL_TOKENS`](super::motif::CELL_TOKENS) tokens
    /// from its first note, with the intervals between its notes and the lengths
    /// they were played with.
    pub cell: Cell,
    /// Notes encoded.
    pub notes: usize,
    /// Notes of the call looked at (encoded, or skipped for want of a note token).
    done: usize,
    /// The call's shape: each move up (1), down (-1) or on the same key (0), in order.
    moves: [i8; MAX_SHAPE_MOVES],
    /// Moves recorded.
    moves_len: usize,
    /// The last note looked at, for the next interval.
    prev_key: Option<u8>,
}

impl Default for Heard {
    fn default() -> Self {
        Self {
            tokens: [0; MAX_CALL_TOKENS],
            steps: [CallStep::default(); MAX_CALL_TOKENS],
            len: 0,
            cell: Cell::default(),
            notes: 0,
            done: 0,
            moves: [0; MAX_SHAPE_MOVES],
            moves_len: 0,
            prev_key: None,
        }
    }
}

impl Heard {
    /// The tokens, in order.
    pub fn tokens(&self) -> &[u16] {
        &self.tokens[..self.len]
    }

    /// What is heard with each token, in order (as [`Heard::tokens`]).
    pub fn steps(&self) -> &[CallStep] {
        &self.steps[..self.len]
    }

    fn push(&mut self, token: u16, interval: Option<i8>, at: i64, length: i64, note: bool, chord: Option<Harmony>) {
        if self.len >= MAX_CALL_TOKENS {
            return;
        }
        self.tokens[self.len] = token;
        self.steps[self.len] = CallStep { at, chord, previous: self.prev_key };
        self.len += 1;
        if self.cell.is_full() || (self.cell.is_empty() && !note) {
            return;
        }
        let interval = if self.cell.is_empty() { None } else { interval };
        self.cell.push(token, interval, at);
        self.cell.mark_call(length);
    }

    /// What an answer restates, in order: the call's opening, then the opening
    /// again as a sequence (its rhythm and intervals from wherever the line is,
    /// over the chord of then). The rest of the answer is the model's own, from a
    /// state that heard the whole call. Empty if nothing was heard.
    pub fn answer_plan(&self) -> [Cell; CALL_CELLS] {
        [self.cell; CALL_CELLS]
    }

    /// Encodes `notes` into `model`'s tokens (see the module doc), each against the
    /// chord heard under it, else the chord `changes` has there; the silence after
    /// the last note, up to `until` (twelfths) and at most a bar, ends the call.
    pub fn encode(&mut self, notes: &[HeardNote], until: i64, changes: &impl ChangeSource, model: &LiveModel) {
        self.clear();
        self.advance(notes, Some(until), changes, model);
    }

    /// The call's shape, move by move: up (1), down (-1), the same key (0).
    pub fn shape(&self) -> &[i8] {
        &self.moves[..self.moves_len]
    }

    /// Forgets what was encoded.
    pub fn clear(&mut self) {
        self.moves_len = 0;
        self.len = 0;
        self.notes = 0;
        self.done = 0;
        self.prev_key = None;
        self.cell = Cell::default();
    }

    /// Encodes, as [`Heard::encode`] does, the notes of `notes` not encoded yet whose
    /// tokens are known: a note and the silence after it once the next onset is known
    /// — the next note's, or `next` for the last note (the onset of the note sounding
    /// now, or the end of the call). Listening as the musician plays spreads the work
    /// over the blocks; `notes` must be the same call, grown.
    pub fn advance(&mut self, notes: &[HeardNote], next: Option<i64>, changes: &impl ChangeSource, model: &LiveModel) {
        let until = next;
        let known = if until.is_some() { notes.len() } else { notes.len().saturating_sub(1) };
        while self.done < known {
            let i = self.done;
            let n = notes[i];
            let Some(next) = notes.get(i + 1).map(|m| m.start).or(until) else { break };
            let end = n.end.min(next).max(n.start + 1);
            let at = Ratio::new(n.start, TICKS_PER_BEAT);
            let harmony = n.harmony.or_else(|| changes.chord_at(at).map(|s| s.harmony));
            let kind = harmony.map_or(NoteType::Other, |h| classify(n.key, &h));
            let interval = self.prev_key.map(|p| (n.key as i32 - p as i32).clamp(-127, 127) as i8);
            if let Some(t) = model.nearest_token(kind, end - n.start, interval) {
                self.notes += 1;
                self.push(t, interval, n.start, end - n.start, true, harmony);
            }
            if let Some(p) = self.prev_key
                && self.moves_len < MAX_SHAPE_MOVES
            {
                self.moves[self.moves_len] = (n.key as i16 - p as i16).signum() as i8;
                self.moves_len += 1;
            }
            self.prev_key = Some(n.key);
            self.rest(end, next.min(end + MAX_GAP_TICKS), changes, harmony, model);
            self.done += 1;
        }
    }

    /// Speaks the silence from `from` to `to` (twelfths) as rests, longest first,
    /// each heard over the chord `changes` has there, else the note's before it.
    fn rest(&mut self, from: i64, to: i64, changes: &impl ChangeSource, before: Option<Harmony>, model: &LiveModel) {
        let mut at = from;
        while at < to && self.len < MAX_CALL_TOKENS {
            let Some((t, len)) = model.nearest_rest(to - at) else { return };
            let chord = changes.chord_at(Ratio::new(at, TICKS_PER_BEAT)).map(|s| s.harmony).or(before);
            self.push(t, None, at, len.min(to - at), false, chord);
            at += len.max(1);
        }
    }
}

impl LiveModel {
    /// The vocabulary's token nearest to a note of `kind` lasting `len` twelfths,
    /// `interval` semitones from the previous note: the same note type if the
    /// vocabulary has one (else the nearest note type, chord < scale < approach <
    /// other), then the closest length, then the interval window nearest the interval
    /// (a token with a window for a first note, or without one for a later note,
    /// costs a little). `None` if the vocabulary has no sounding note.
    pub fn nearest_token(&self, kind: NoteType, len: i64, interval: Option<i8>) -> Option<u16> {
        let rank = |k: NoteType| -> i64 {
            match k {
                NoteType::Chord => 0,
                NoteType::Scale => 1,
                NoteType::Approach => 2,
                NoteType::Other => 3,
                NoteType::Rest => 9,
            }
        };
        let mut best: Option<(i64, u16)> = None;
        for (i, token) in self.tokens.iter().enumerate() {
            let Some(l) = self.lengths[i].filter(|&l| l > 0) else { continue };
            if token.kind == NoteType::Rest {
                continue;
            }
            let type_cost = (rank(token.kind) - rank(kind)).abs() * 1000;
            let window_cost = match (self.windows[i], interval) {
                (Some((lo, hi)), Some(iv)) => {
                    let outside = if iv < lo { lo as i64 - iv as i64 } else { (iv as i64 - hi as i64).max(0) };
                    2 * outside
                }
                (None, None) => 0,
                _ => 1,
            };
            let cost = type_cost + 12 * (l - len).abs() + window_cost;
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, i as u16));
            }
        }
        best.map(|(_, t)| t)
    }

    /// The rest token whose length is nearest `len` twelfths without passing it
    /// (the shortest rest if all are longer), and its length.
    pub fn nearest_rest(&self, len: i64) -> Option<(u16, i64)> {
        let rests = self.tokens.iter().enumerate().filter(|(_, t)| t.kind == NoteType::Rest);
        let lengths = rests.filter_map(|(i, _)| self.lengths[i].filter(|&l| l > 0).map(|l| (i as u16, l)));
        let fitting = lengths.clone().filter(|&(_, l)| l <= len).max_by_key(|&(i, l)| (l, std::cmp::Reverse(i)));
        fitting.or_else(|| lengths.min_by_key(|&(i, l)| (l, i)))
    }
}

/// Cells of four notes in a line: each note's onset gap to the next (twelfths) for
/// rhythm, each interval's direction for contour. What [`relatedness`] compares.
fn cells(notes: &[(i64, u8)]) -> impl Iterator<Item = ([i64; 3], [i8; 3])> + '_ {
    notes.windows(4).map(|w| {
        let gaps = [w[1].0 - w[0].0, w[2].0 - w[1].0, w[3].0 - w[2].0];
        let dir = |a: u8, b: u8| (b as i32 - a as i32).signum() as i8;
        (gaps, [dir(w[0].1, w[1].1), dir(w[1].1, w[2].1), dir(w[2].1, w[3].1)])
    })
}

/// How much an answer develops a call: of the call's 4-note cells, the share whose
/// rhythm (onset gaps) reappears somewhere in the answer, whose contour (up, down
/// or same, three times) does, and whose rhythm and contour reappear together, in
/// one place (the cell restated, at any pitch). Notes are (onset in twelfths, key).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Relatedness {
    /// Share of the call's rhythm cells found in the answer.
    pub rhythm: f64,
    /// Share of the call's contours found in the answer.
    pub contour: f64,
    /// Share of the call's cells found whole (rhythm and contour at once).
    pub both: f64,
}

/// The longest run of up / down / same moves, one after the other, that two
/// lines share anywhere (how much of a call's shape an answer keeps).
pub fn shared_contour(call: &[u8], answer: &[u8]) -> usize {
    let moves =
        |keys: &[u8]| -> Vec<i8> { keys.windows(2).map(|w| (w[1] as i16 - w[0] as i16).signum() as i8).collect() };
    let (a, b) = (moves(call), moves(answer));
    let mut best = 0;
    let mut run = vec![0usize; b.len() + 1];
    for x in &a {
        for j in (0..b.len()).rev() {
            run[j + 1] = if *x == b[j] { run[j] + 1 } else { 0 };
            best = best.max(run[j + 1]);
        }
    }
    best
}

/// Measures [`Relatedness`]; all 0 when either line has fewer than four notes.
pub fn relatedness(call: &[(i64, u8)], answer: &[(i64, u8)]) -> Relatedness {
    let (mut rhythm, mut contour, mut both, mut total) = (0usize, 0usize, 0usize, 0usize);
    for (gaps, dirs) in cells(call) {
        total += 1;
        rhythm += usize::from(cells(answer).any(|(g, _)| g == gaps));
        contour += usize::from(cells(answer).any(|(_, d)| d == dirs));
        both += usize::from(cells(answer).any(|c| c == (gaps, dirs)));
    }
    let share = |n: usize| if total == 0 { 0.0 } else { n as f64 / total as f64 };
    Relatedness { rhythm: share(rhythm), contour: share(contour), both: share(both) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::Harmony;
    use crate::improvise::HeldChord;

    fn live() -> LiveModel {
        LiveModel::new(&crate::default_weights().unwrap(), "test".into())
    }

    #[test]
    fn turns_alternate_on_the_bar_grid() {
        let t = Turns { bars: 4, musician_starts: true };
        let who: Vec<bool> = (0..12).map(|b| t.musician_plays(b)).collect();
        assert_eq!(who, [true, true, true, true, false, false, false, false, true, true, true, true]);
        let t = Turns { bars: 1, musician_starts: false };
        assert!(!t.musician_plays(0) && t.musician_plays(1) && !t.musician_plays(2));
    }

    #[test]
    fn onsets_snap_to_the_nearest_sixteenth_or_triplet() {
        assert_eq!(quantise(0.0), 0);
        assert_eq!(quantise(0.26), 3);
        assert_eq!(quantise(0.33), 4);
        assert_eq!(quantise(0.97), 12);
        assert_eq!(quantise(2.52), 30);
        assert_eq!(quantise(-0.01), 0);
    }

    #[test]
    fn a_call_is_one_line_on_the_grid() {
        let mut call = Call::default();
        call.note_on(0.02, 62, None);
        call.note_on(0.01, 65, None); // same point, higher: replaces
        call.note_on(0.49, 69, None); // legato: ends the first
        call.note_off(0.51, 65); // not sounding: ignored
        call.note_off(0.74, 69);
        call.note_on(1.0, 60, None);
        call.note_off(1.0, 60); // zero length: a sixteenth
        assert_eq!(
            call.notes(),
            &[
                HeardNote { start: 0, end: 6, key: 65, harmony: None },
                HeardNote { start: 6, end: 9, key: 69, harmony: None },
                HeardNote { start: 12, end: 15, key: 60, harmony: None },
            ]
        );
        for i in 0..500 {
            call.note_on(2.0 + i as f64, 60, None);
        }
        assert_eq!(call.notes().len(), MAX_CALL_NOTES);
    }

    #[test]
    fn a_call_is_encoded_into_the_models_tokens_against_its_chords() {
        let model = live();
        let dm7 = HeldChord { harmony: Some(Harmony::new(&[50, 53, 57, 60])), since: None };
        // D F A (chord tones, eighths), then E (scale, a quarter), a beat's rest, C#.
        let note = |start, end, key| HeardNote { start, end, key, harmony: None };
        let notes = [note(0, 6, 62), note(6, 12, 65), note(12, 18, 69), note(18, 30, 64), note(42, 48, 61)];
        let mut heard = Heard::default();
        heard.encode(&notes, 60, &dm7, &model);
        assert_eq!(heard.notes, 5);
        let kinds: Vec<char> = heard.tokens().iter().map(|&t| model.tokens[t as usize].kind.letter()).collect();
        assert_eq!(kinds.iter().filter(|&&k| k != 'R').collect::<String>(), "CCCSA");
        assert!(kinds.contains(&'R'), "{kinds:?}");
        // The cell starts at the first note and keeps the intervals between notes.
        assert!(!heard.cell.is_empty());
        let first = &model.tokens[heard.tokens()[0] as usize];
        assert_eq!((first.kind, model.lengths[heard.tokens()[0] as usize]), (NoteType::Chord, Some(6)));
    }

    #[test]
    fn listening_note_by_note_encodes_what_the_whole_call_does() {
        let model = live();
        let dm7 = HeldChord { harmony: Some(Harmony::new(&[50, 53, 57, 60])), since: None };
        let note = |start, end, key| HeardNote { start, end, key, harmony: None };
        let notes = [note(0, 6, 62), note(6, 12, 65), note(15, 18, 69), note(18, 30, 64), note(42, 48, 61)];
        let mut whole = Heard::default();
        whole.encode(&notes, 60, &dm7, &model);
        let mut streamed = Heard::default();
        for i in 1..=notes.len() {
            streamed.advance(&notes[..i], None, &dm7, &model);
            assert_eq!(streamed.notes, i - 1, "a note is encoded once the next has started");
            // The next note sounding: its onset is known, so this one is encoded.
            if let Some(n) = notes.get(i) {
                streamed.advance(&notes[..i], Some(n.start), &dm7, &model);
                assert_eq!(streamed.notes, i);
            }
        }
        streamed.advance(&notes, Some(60), &dm7, &model);
        assert_eq!(streamed.tokens(), whole.tokens());
        assert_eq!(streamed.cell, whole.cell);
    }

    #[test]
    fn missing_tokens_map_to_the_nearest() {
        let model = live();
        // An absurdly long note: the longest chord tone.
        let t = model.nearest_token(NoteType::Chord, 10_000, Some(2)).unwrap() as usize;
        assert_eq!(model.tokens[t].kind, NoteType::Chord);
        let longest = (0..model.n_values())
            .filter(|&i| model.tokens[i].kind == NoteType::Chord)
            .filter_map(|i| model.lengths[i])
            .max()
            .unwrap();
        assert_eq!(model.lengths[t], Some(longest));
        // A rest shorter than any: the shortest.
        let (r, l) = model.nearest_rest(1).unwrap();
        assert_eq!(model.tokens[r as usize].kind, NoteType::Rest);
        assert!(l >= 1);
    }

    #[test]
    fn relatedness_counts_shared_cells() {
        let call: Vec<(i64, u8)> = [(0, 60), (6, 62), (12, 64), (18, 62), (24, 60)].to_vec();
        let all = Relatedness { rhythm: 1.0, contour: 1.0, both: 1.0 };
        assert_eq!(relatedness(&call, &call), all);
        let transposed: Vec<(i64, u8)> = call.iter().map(|&(t, k)| (t + 48, k + 5)).collect();
        assert_eq!(relatedness(&call, &transposed), all);
        let other: Vec<(i64, u8)> = [(0, 60), (4, 60), (8, 60), (12, 60), (16, 60)].to_vec();
        assert_eq!(relatedness(&call, &other), Relatedness::default());
        // Same rhythm, opposite contour: related in rhythm only.
        let inverted: Vec<(i64, u8)> = call.iter().map(|&(t, k)| (t, 124 - k)).collect();
        assert_eq!(relatedness(&call, &inverted), Relatedness { rhythm: 1.0, contour: 0.0, both: 0.0 });
        assert_eq!(relatedness(&call[..3], &call), Relatedness::default());
    }
}
