//! The improviser: one LSTM state running through a piece, tokens drawn and decoded
//! against the chords, bar after bar. `improv generate` and the plugin's engine both
//! drive this one type, so the same seed over the same changes plays the same notes
//! offline and live.
//!
//! With guidance on, every token is drawn from the model's distribution reweighted
//! by what the improviser knows (see [`Guidance`]); with it off (`--plain`) the
//! model samples freely, exactly as the first version did. Everything here is
//! allocation-free after construction, so the plugin runs it on the audio thread.

pub mod changes;
pub mod grid;
mod key_table;
pub mod listen;
pub mod motif;
pub mod novelty;
pub mod phrase;
mod search;

pub use changes::{
    BEATS_PER_BAR, ChangeSource, Changes, HeldChord, LoopedChanges, MAX_BARS, REFERENCE_MIDI, Sounding,
    reference_changes,
};
pub use novelty::{MAX_COPY, NoveltyIndex};

use crate::grammar::{
    DecodeOptions, Decoder, FREE_WINDOW, Harmony, NoteType, RngChooser, Token, classify_pc, musical_length,
};
use crate::hearing::JazzStyle;
use crate::model::{Model, Precision, Sampling, State, Weights};
use crate::score::Beats;
use crate::theory::Pitch;
use grid::{BeatGrid, TICKS_PER_BEAT, ticks};
use motif::Motifs;
use novelty::Recent;
use num_rational::Ratio;
use phrase::Phase;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Candidate keys of one token: the decoder's window holds at most this many
/// semitones (2 × 6 + 1 around a note, or an interval token's bounds).
const MAX_KEYS: usize = 16;

/// Guidance weighs at most this many of the model's most likely tokens a step
/// (all of them in a vocabulary this size or smaller, so the seed model's 90 are
/// all weighed, as they always were): its cost grows with what it keeps, not
/// with the vocabulary.
pub const GUIDE_POOL: usize = 96;

/// A bar ends after at most this many tokens, even if rests of length zero kept it
/// from filling (bounds the work of a bar; never reached by the default weights).
pub const MAX_TOKENS_PER_BAR: usize = 64;

/// Musical guidance: how the improviser reweights the model's proposals. Every
/// strength runs from 0 (off) to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guidance {
    /// Master switch: off is the unguided model (`--plain`).
    pub enabled: bool,
    /// Time: every onset on the sixteenth or triplet grid of its beat, no beat
    /// mixing the two (tokens that would break it are not drawn).
    pub time: bool,
    /// Harmony: at a change, land on the new chord by step on a guide tone (3rd or
    /// 7th); approach a known change from a step away; do not hold across it.
    pub harmony: f32,
    /// Space: busy (0: long phrases, short breaths) to sparse (1).
    pub space: f32,
    /// Motif: how often a phrase restates an earlier cell, or sequences its own.
    pub motif: f32,
    /// Novelty: never copy more than [`MAX_COPY`] training tokens in a row.
    pub novelty: bool,
    /// Line: no octave-folding leaps, a turn back after a large leap, at most three
    /// repeated pitches in a row, every note inside the register.
    pub line: f32,
}

impl Guidance {
    /// The defaults: every rule on at the strengths that meet the musicality targets.
    pub const DEFAULT: Guidance =
        Guidance { enabled: true, time: true, harmony: 0.8, space: 0.5, motif: 0.7, novelty: true, line: 0.8 };
    /// No guidance: the model as trained.
    pub const PLAIN: Guidance = Guidance { enabled: false, ..Self::DEFAULT };
}

impl Default for Guidance {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How the improviser plays: sampling, register, guidance, and the jazz style a
/// model that hears is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playing {
    /// Temperature and top-k.
    pub sampling: Sampling,
    /// Lowest MIDI key of the melody.
    pub low: u8,
    /// Highest MIDI key of the melody.
    pub high: u8,
    /// Musical guidance.
    pub guidance: Guidance,
    /// The style a model that hears plays in (the seed model hears no style).
    pub style: JazzStyle,
}

/// The seed model's top-k: 16 of its 90 values.
pub const SEED_TOP_K: usize = 16;

/// A model's default top-k: [`SEED_TOP_K`] for the seed model; all values (0) for a
/// model that hears. The masters' 324 values spread the masters' rhythms thin: 16
/// of them keep mostly the eighths, so the guided line has 43.5 % eighth gaps
/// (the WJD: 30.6 %) and gaps overlap 0.78; from all of them, 0.83 (120 guided
/// solos, `scripts/masters-study.sh`).
pub fn default_top_k(hears: bool) -> usize {
    if hears { 0 } else { SEED_TOP_K }
}

impl Playing {
    /// The defaults for a model (see [`default_top_k`]); [`Playing::default`] is the
    /// seed model's.
    pub fn for_model(hears: bool) -> Self {
        let mut playing = Self::default();
        playing.sampling.top_k = default_top_k(hears);
        playing
    }

    /// The defaults for these weights.
    pub fn for_weights(weights: &Weights) -> Self {
        Self::for_model(weights.params.n_heard() > 0)
    }
}

impl Default for Playing {
    fn default() -> Self {
        Self {
            sampling: Sampling { temperature: 0.9, top_k: SEED_TOP_K },
            low: crate::grammar::DEFAULT_REGISTER.0,
            high: crate::grammar::DEFAULT_REGISTER.1,
            guidance: Guidance::DEFAULT,
            style: JazzStyle::All,
        }
    }
}

/// A trained model ready to improvise: laid out, with its state, parsed tokens and
/// novelty index. Built (and dropped) off the audio thread.
pub struct LiveModel {
    model: Model,
    state: State,
    tokens: Vec<Token>,
    /// Each token's length in twelfths of a beat in Musical decoding (`None`: a
    /// rest that rounds to nothing).
    lengths: Vec<Option<i64>>,
    /// Each token's interval window in semitones from the previous note (lowest,
    /// highest), if it has one.
    windows: Vec<Option<(i8, i8)>>,
    novelty: NoveltyIndex,
    /// Guidance's scratch: a logit bias per token (sized with the model, so swapping
    /// models never allocates on the audio thread).
    bias: Vec<f32>,
    /// Guidance's scratch: token indices, the most likely [`GUIDE_POOL`] first.
    pool: Vec<u16>,
    /// The taste search's copy of the state at a phrase start (sized with the
    /// model, so a search never allocates).
    /// LSTM states the taste search keeps ([`search::Slot`]); sized with the model.
    saved: [State; search::SLOTS],
    /// Where it came from (for reports and the editor).
    pub source: String,
}

impl LiveModel {
    /// Prepares weights for improvising with the live precision (f16; allocates).
    pub fn new(weights: &Weights, source: String) -> Self {
        Self::with_precision(weights, source, Precision::LIVE)
    }

    /// Prepares weights for improvising with a given step precision (allocates).
    pub fn with_precision(weights: &Weights, source: String, precision: Precision) -> Self {
        Self::with_model(weights, source, Model::with_precision(&weights.params, precision))
    }

    /// Prepares weights with the f32 step on the portable kernel: the same draws on
    /// every machine (what a fit that must rebuild byte for byte plays with).
    pub fn portable(weights: &Weights, source: String) -> Self {
        Self::with_model(weights, source, Model::with_isa(&weights.params, crate::model::Isa::Portable))
    }

    fn with_model(weights: &Weights, source: String, model: Model) -> Self {
        let model = model.with_heard_logits(&weights.heard_logits);
        let state = model.zero_state();
        let tokens: Vec<Token> =
            weights.vocabulary.values().iter().map(|v| Token::parse(v).expect("validated vocabulary")).collect();
        let lengths = tokens.iter().map(|t| musical_length(t).and_then(ticks)).collect();
        let windows = tokens
            .iter()
            .map(|t| {
                t.bounds.map(|(a, b)| {
                    // The one with more semitones is the upper bound (as the decoder reads it).
                    let (upper, lower) = if a.semitones > b.semitones { (a, b) } else { (b, a) };
                    (lower.semitones.clamp(-127, 127) as i8, upper.semitones.clamp(-127, 127) as i8)
                })
            })
            .collect();
        let novelty = NoveltyIndex::new(&weights.corpus);
        let bias = vec![0.0; tokens.len()];
        let pool = (0..tokens.len() as u16).collect();
        let saved = std::array::from_fn(|_| state.clone());
        Self { model, state, tokens, lengths, windows, novelty, bias, pool, saved, source }
    }

    /// The vocabulary size.
    pub fn n_values(&self) -> usize {
        self.tokens.len()
    }

    /// How the model's weights are stored for the step.
    pub fn precision(&self) -> Precision {
        self.model.precision()
    }

    /// True for a model that hears the chord, the beat and the style.
    pub fn hears(&self) -> bool {
        self.model.heard() > 0
    }

    /// True if token `t` is among those [`LiveModel::select_pool`] would keep:
    /// fewer than [`GUIDE_POOL`] tokens come before it (more likely, or as likely
    /// with a lower index). One pass, no sort.
    fn in_pool(&self, t: usize) -> bool {
        let probs = self.state.probs();
        if self.tokens.len() <= GUIDE_POOL {
            return true;
        }
        let p = probs[t];
        let ahead = probs[..self.tokens.len()]
            .iter()
            .enumerate()
            .filter(|&(i, q)| q.total_cmp(&p).then(t.cmp(&i)).is_gt())
            .count();
        ahead < GUIDE_POOL
    }

    /// Puts the [`GUIDE_POOL`] most likely tokens of the last step first in
    /// `pool` (in place: allocation-free) and returns how many guidance weighs.
    fn select_pool(&mut self) -> usize {
        let n = self.tokens.len();
        if n <= GUIDE_POOL {
            return n;
        }
        let probs = self.state.probs();
        self.pool.iter_mut().enumerate().for_each(|(i, t)| *t = i as u16);
        self.pool.select_nth_unstable_by(GUIDE_POOL - 1, |&a, &b| {
            probs[b as usize].total_cmp(&probs[a as usize]).then(a.cmp(&b))
        });
        GUIDE_POOL
    }
}

/// What became of a drawn token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// A note: key, sounding length (cut at the bar line), type against its chord.
    Note {
        /// MIDI key.
        key: u8,
        /// Length in beats.
        length: Beats,
        /// What it is against the chord sounding at its onset (by pitch class).
        kind: NoteType,
    },
    /// A rest of this length.
    Rest {
        /// Length in beats.
        length: Beats,
    },
    /// Nothing: a rest that rounds to zero.
    Skipped,
}

/// A drawn token, where it starts, and what it became.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawn {
    /// Index in the vocabulary.
    pub token: usize,
    /// Beat where it starts.
    pub at: Beats,
    /// The note, rest or nothing it became.
    pub outcome: Outcome,
    /// True if guidance made it a restatement of an earlier cell.
    pub motif: bool,
}

/// The line's memory for guidance.
#[derive(Debug, Clone, Copy)]
struct Line {
    grid: BeatGrid,
    phase: Option<Phase>,
    /// End of the last note (for the silence between notes).
    last_note_end: Option<Beats>,
    /// The change the line last landed on.
    landed: Option<Beats>,
    /// Notes in a row on the previous pitch.
    repeats: u32,
    /// Semitones of the last interval.
    last_interval: i32,
    recent: Recent,
    motifs: Motifs,
    /// Notes played in the current phrase.
    phrase_notes: u32,
    /// The shape of the call being answered (moves up, down, same), and how many
    /// of its moves the answer has made.
    shape: [i8; listen::MAX_SHAPE_MOVES],
    shape_len: usize,
    shape_done: usize,
    /// The answer has played its first note: its moves follow the call's from the
    /// next one (the move into the answer, from the call's last note, is not one
    /// of the answer's own).
    shape_open: bool,
}

impl Line {
    fn new() -> Self {
        Self {
            grid: BeatGrid::default(),
            phase: None,
            last_note_end: None,
            landed: None,
            repeats: 0,
            last_interval: 0,
            recent: Recent::default(),
            motifs: Motifs::default(),
            phrase_notes: 0,
            shape: [0; listen::MAX_SHAPE_MOVES],
            shape_len: 0,
            shape_done: 0,
            shape_open: false,
        }
    }
}

/// How much more guidance likes a move the answered call's shape makes at the same
/// place (at full line guidance): enough to keep a sparse call's shape without
/// forcing it over the chord and the register.
const SHAPE_PULL: f32 = 3.0;

/// The context a candidate pitch is weighed in.
#[derive(Debug, Clone, Copy)]
struct PitchContext {
    prev: Option<i32>,
    register: (i32, i32),
    line: f32,
    repeats: u32,
    last_interval: i32,
    /// Landing on a new chord: its harmony and the guidance strength.
    landing: Option<Harmony>,
    /// The next chord, when this note is the last before it.
    approaching: Option<Harmony>,
    harmony: f32,
    /// The interval a restated cell asks for.
    motif_interval: Option<i32>,
    /// The way the answered call's shape moves here (up 1, down -1, same 0).
    shape_move: Option<i8>,
}

/// The next chord when a note from `at` lasting `len` (twelfths) ends on a known
/// change or within an eighth after it: the note that approaches that change.
fn approaching(at: i64, len: i64, change: Option<(i64, Harmony)>) -> Option<Harmony> {
    change.filter(|&(c, _)| at + len >= c && at + len - c < TICKS_PER_BEAT / 2).map(|(_, h)| h)
}

/// How much guidance likes a pitch here (0 = never).
fn pitch_weight(key: i32, cx: &PitchContext) -> f32 {
    if key < cx.register.0 || key > cx.register.1 {
        return 0.0;
    }
    let mut w = 1.0;
    let iv = cx.prev.map_or(0, |p| key - p);
    if let Some(prev) = cx.prev {
        if key == prev && cx.repeats >= 3 {
            return 0.0;
        }
        let l = cx.line;
        if iv.abs() > 7 {
            w *= 1.0 - 0.97 * l;
        }
        // Near the edges of the register the line tends back toward the middle
        // instead of hugging the ceiling or the floor.
        let (low, high) = cx.register;
        let edge = ((high - low) / 6).max(2);
        if (iv > 0 && key > high - edge) || (iv < 0 && key < low + edge) {
            w *= 1.0 - 0.7 * l;
        }
        if cx.last_interval.abs() >= 5 && iv != 0 {
            if iv.signum() == cx.last_interval.signum() {
                w *= 1.0 - 0.75 * l;
            } else if iv.abs() <= 4 {
                w *= 1.0 + 2.0 * l;
            }
        }
    }
    let h = cx.harmony;
    let pc = key.rem_euclid(12);
    if let Some(new) = cx.landing {
        let step = iv.abs() <= 2 && cx.prev.is_some();
        let (chord, guide) = (new.is_chord_tone(pc), new.is_guide_tone(pc));
        w *= match (guide, chord, step) {
            (true, _, true) => 1.0 + 25.0 * h,
            (false, true, true) => 1.0,
            (true, _, false) => 1.0 + 1.5 * h,
            (false, true, false) => 1.0 - 0.4 * h,
            _ => 1.0 - 0.8 * h,
        };
    }
    if let Some(next) = cx.approaching
        && (-2..=2).any(|d| next.is_guide_tone(pc + d))
    {
        w *= 1.0 + 4.0 * h;
    }
    if let (Some(m), Some(_)) = (cx.shape_move, cx.prev) {
        w *= if iv.signum() as i8 == m { 1.0 + SHAPE_PULL * cx.line } else { 1.0 - 0.5 * cx.line };
    }
    if cx.motif_interval.is_some_and(|m| cx.prev.is_some() && m == iv) {
        w *= 40.0;
    }
    w
}

/// What a bent restated token keeps first ([`Improviser::nearest_allowed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nearest {
    /// Its type (a call's note keeps what it was against the chord).
    Type,
    /// Its length, then its interval window (a cell keeps its rhythm and contour).
    Rhythm,
}

/// The share of the Harmony setting's pull a model that hears is given: it hears
/// the chord and lands on the changes by itself, so the full pull drives its
/// guided line onto the 3rd or 7th at 73 % of changes (the masters: 22.5 %), onto
/// the downbeat more often than they do (groove 0.855 against their 0.815) and
/// away from their intervals. At 0.375 (Harmony 0.8 pulls as 0.3 would) it lands
/// on the 3rd/7th at 55.6 % (the target is ≥ 50 %), groove 0.842, intervals
/// overlap 0.91 (120 guided solos, `scripts/masters-study.sh`).
pub const HEARING_PULL: f32 = 0.375;

/// What guidance weighs every token of one step against, in twelfths of a beat.
#[derive(Debug, Clone, Copy)]
struct Weighing {
    /// Time rule on.
    time: bool,
    /// Harmony strength.
    harmony: f32,
    /// The step's onset, if on the grid.
    pos_t: Option<i64>,
    /// The bar's end.
    bar_end_t: i64,
    /// The phrase plan.
    phase: Phase,
    /// The step's onset (floored when off the grid).
    p: i64,
    /// Where the phrase or the breath ends.
    phase_end: i64,
    /// Silence since the last note ended.
    silence_before: i64,
    /// The next known change and its chord.
    change: Option<(i64, Harmony)>,
    /// The chord just changed here and has not been landed on.
    landing_since: Option<i64>,
    /// The previous note's key.
    prev: Option<i32>,
    /// An answer, which ends its phrase on a held note.
    answering: bool,
}

/// How a drawn token restates a cell, if it does.
#[derive(Debug, Clone, Copy)]
struct Restated {
    /// The interval the cell keeps from the previous note.
    interval: Option<i32>,
    /// The length the musician played it with (twelfths).
    length: Option<i64>,
    /// The token came from a cell.
    motif: bool,
}

/// The improviser.
pub struct Improviser {
    live: Box<LiveModel>,
    sample_rng: StdRng,
    chooser: RngChooser<StdRng>,
    guide_rng: StdRng,
    decoder: Decoder,
    prev: Option<usize>,
    bar: i64,
    bar_tokens: usize,
    line: Line,
    /// Where an answer must have ended its phrase (its last bar's end).
    stop: Option<Beats>,
    /// The next guided draw must sound (an answer starts on its downbeat).
    open_with_note: bool,
    /// The chord a model that hears heard at the last step (root, pitch classes).
    heard_chord: Option<(u8, u16)>,
    /// The guided step's weight of every key (filled once per step).
    keys: key_table::KeyTable,
    /// The seed of the last restart (candidate phrases are seeded from it).
    seed: u64,
    /// The player's taste, if the line searches for it.
    taste: Option<crate::taste::Taste>,
    /// The search's own scratch (a candidate phrase being drawn).
    search: search::Scratch,
}

fn beats_from_ticks(t: i64) -> Beats {
    Ratio::new(t, TICKS_PER_BEAT)
}

/// A position in twelfths of a beat (rounded down off the grid).
fn tick_of(b: Beats) -> i64 {
    ticks(b).unwrap_or_else(|| (b * TICKS_PER_BEAT).floor().to_integer())
}

impl Improviser {
    /// An improviser at beat 0 with a fresh state; `seed` seeds every random choice.
    pub fn new(live: Box<LiveModel>, seed: u64) -> Self {
        let mut me = Self {
            live,
            sample_rng: StdRng::seed_from_u64(seed),
            chooser: RngChooser(StdRng::seed_from_u64(seed.wrapping_add(1))),
            guide_rng: StdRng::seed_from_u64(seed.wrapping_add(3)),
            decoder: Decoder::new(DecodeOptions::musical()),
            prev: None,
            bar: 0,
            bar_tokens: 0,
            line: Line::new(),
            stop: None,
            open_with_note: false,
            heard_chord: None,
            keys: key_table::KeyTable::default(),
            seed,
            taste: None,
            search: search::Scratch::default(),
        };
        me.restart(seed);
        me
    }

    /// Starts over from beat 0 with a fresh state, seeded again.
    pub fn restart(&mut self, seed: u64) {
        self.seed = seed;
        self.sample_rng = StdRng::seed_from_u64(seed);
        self.chooser = RngChooser(StdRng::seed_from_u64(seed.wrapping_add(1)));
        self.guide_rng = StdRng::seed_from_u64(seed.wrapping_add(3));
        self.live.state.reset();
        self.prev = None;
        self.decoder.reset();
        self.line = Line::new();
        self.stop = None;
        self.open_with_note = false;
        self.heard_chord = None;
        self.seek(0);
    }

    /// Continues the line from the downbeat of `beat`'s position: the bar is the
    /// host's (beat / 4), the model keeps its state.
    pub fn seek(&mut self, beat: i64) {
        self.decoder.set_position(Ratio::from_integer(beat));
        self.bar = beat.div_euclid(BEATS_PER_BAR);
        self.bar_tokens = 0;
        self.line.phase = None;
        self.line.last_note_end = None;
        self.line.motifs.abort();
        self.search.ahead = search::Ahead::Idle;
    }

    /// Hears a call: its tokens are stepped through the LSTM (teacher forcing), so
    /// the answer starts from a state that has heard it, and become the recent
    /// tokens guidance knows; `steps` are what a model that hears is told with each
    /// ([`listen::Heard::steps`]). Work bounded by [`listen::MAX_CALL_TOKENS`] steps.
    pub fn hear(&mut self, tokens: &[u16], steps: &[listen::CallStep]) {
        let n = self.live.n_values();
        // A model that hears is told where each of the call's tokens falls, the
        // chord there and the call's note before it, as training told it of a master's.
        for (&t, s) in tokens.iter().zip(steps) {
            if (t as usize) < n {
                let previous = s.previous.map(i32::from);
                self.step_model_hearing(s.chord.as_ref(), s.at, previous, JazzStyle::All);
                self.prev = Some(t as usize);
                self.line.recent.push(t);
            }
        }
    }

    /// Starts an answer on the downbeat of beat `start` that ends its phrase by
    /// beat `end`: the first token sounds, the call's cells (if any) are restated
    /// from it, in order, over the chords of now, and the line continues from the
    /// call's last note `last_key`.
    pub fn answer(&mut self, start: i64, end: i64, cells: &[motif::Cell], last_key: Option<u8>) {
        self.seek(start);
        self.line.phase = None;
        self.line.phrase_notes = 0;
        if let Some(k) = last_key {
            self.decoder.set_prev(Some(Pitch::from_midi(k as i32)));
        }
        self.line.motifs.answer(cells);
        self.stop = Some(Ratio::from_integer(end));
        self.open_with_note = true;
    }

    /// Shapes the answer begun by [`Improviser::answer`] after a call's moves (up,
    /// down, the same key: [`listen::Heard::shape`]): guidance leans each move of
    /// the answer the way the call's move of the same place went.
    pub fn answer_shape(&mut self, moves: &[i8]) {
        let n = moves.len().min(listen::MAX_SHAPE_MOVES);
        self.line.shape[..n].copy_from_slice(&moves[..n]);
        self.line.shape_len = n;
        self.line.shape_done = 0;
        self.line.shape_open = false;
    }

    /// Ends answering: phrases are planned freely again.
    pub fn stop_answering(&mut self) {
        self.line.shape_len = 0;
        self.stop = None;
        self.open_with_note = false;
    }

    /// Swaps in another model and returns the old one (drop it off the audio
    /// thread); the line restarts from a fresh state at the same position.
    pub fn swap_model(&mut self, mut live: Box<LiveModel>) -> Box<LiveModel> {
        live.state.reset();
        self.prev = None;
        self.heard_chord = None;
        self.line.recent.clear();
        self.line.motifs.clear();
        self.search.ahead = search::Ahead::Idle;
        std::mem::replace(&mut self.live, live)
    }

    /// The model in use.
    pub fn model(&self) -> &LiveModel {
        &self.live
    }

    /// Where the next element starts (after any bar-line cut still to happen).
    pub fn position(&self) -> Beats {
        let end = Ratio::from_integer((self.bar + 1) * BEATS_PER_BAR);
        let pos = self.decoder.position();
        if pos >= end || self.bar_tokens >= MAX_TOKENS_PER_BAR { end } else { pos }
    }

    /// Draws tokens until the line reaches `until`, reporting each to `sink`. A note
    /// that would cross a bar line is cut there and the next bar starts on its
    /// downbeat; where `changes` has no chord the line rests a beat at a time.
    pub fn fill(&mut self, until: Beats, changes: &impl ChangeSource, style: &Playing, sink: &mut impl FnMut(Drawn)) {
        while let Some(drawn) = self.next_draw(until, changes, style) {
            sink(drawn);
            if self.waits_for_search(until) {
                break;
            }
        }
    }

    /// Draws the next token before `until`, if the line has not reached it: at a
    /// phrase start with a taste to play to, after choosing among candidates.
    fn next_draw(&mut self, until: Beats, changes: &impl ChangeSource, style: &Playing) -> Option<Drawn> {
        let (low, high) = (style.low.min(style.high), style.high.max(style.low));
        self.decoder.set_register(low, high);
        loop {
            let mut bar_end = Ratio::from_integer((self.bar + 1) * BEATS_PER_BAR);
            if self.decoder.position() >= bar_end || self.bar_tokens >= MAX_TOKENS_PER_BAR {
                self.bar += 1;
                self.bar_tokens = 0;
                self.decoder.set_position(bar_end);
                bar_end += BEATS_PER_BAR;
            }
            let pos = self.decoder.position();
            if pos >= until {
                return None;
            }
            let Some(sounding) = changes.chord_at(pos) else {
                self.decoder.set_position((pos + 1).floor());
                continue;
            };
            if style.guidance.enabled && self.taste_due(pos) {
                self.start_phrase_to_taste(pos, changes, style);
            }
            self.bar_tokens += 1;
            return Some(if style.guidance.enabled {
                self.draw_guided(pos, bar_end, &sounding, changes, style)
            } else {
                self.draw_plain(pos, bar_end, &sounding.harmony, style)
            });
        }
    }

    /// Steps the LSTM with the previous token; a model that hears is also told
    /// the chord at the next onset (`chord`), where it falls (`tick`, twelfths of a
    /// beat), the previous note and the style.
    fn step_model(&mut self, chord: Option<&Harmony>, tick: i64, style: JazzStyle) {
        let previous = self.decoder.prev().map(Pitch::ps);
        self.step_model_hearing(chord, tick, previous, style);
    }

    /// [`Improviser::step_model`] after the note on key `previous` (not the line's own).
    fn step_model_hearing(&mut self, chord: Option<&Harmony>, tick: i64, previous: Option<i32>, style: JazzStyle) {
        let m = &mut *self.live;
        if m.model.heard() == 0 {
            m.model.step(&mut m.state, self.prev);
            return;
        }
        let id = chord.map(|h| (h.root, h.pcs));
        let changed = id != self.heard_chord;
        self.heard_chord = id;
        let heard = crate::hearing::heard(chord, previous, tick, changed, style);
        m.model.step_heard(&mut m.state, self.prev, &heard);
    }

    /// The first version's loop body: the model samples freely, the decoder picks
    /// uniformly among the candidates.
    fn draw_plain(&mut self, pos: Beats, bar_end: Beats, harmony: &Harmony, style: &Playing) -> Drawn {
        self.step_model(Some(harmony), tick_of(pos), style.style);
        let next = self.live.state.sample(style.sampling, &mut self.sample_rng);
        self.prev = Some(next);
        let placed = self.decoder.step(&self.live.tokens[next], harmony, &mut self.chooser);
        let outcome = match placed {
            None => Outcome::Skipped,
            Some(p) => match p.key() {
                Some(key) => {
                    Outcome::Note { key, length: p.duration.min(bar_end - p.offset), kind: classify_pc(key, harmony) }
                }
                None => Outcome::Rest { length: p.duration },
            },
        };
        Drawn { token: next, at: pos, outcome, motif: false }
    }

    /// Moves the phrase plan on to `pos` (a phrase ends into a breath; a breath
    /// ends into a phrase, which may restate a motif).
    fn update_phase(&mut self, pos: Beats, g: &Guidance) {
        let phase = match self.line.phase {
            None => Phase::Playing { end: pos + phrase::phrase_length(g.space, &mut self.guide_rng) },
            Some(Phase::Playing { end }) if pos >= end => {
                self.line.motifs.end_phrase();
                self.line.motifs.abort();
                let breath = if self.live.hears() {
                    phrase::masters_breath_length(g.space, &mut self.guide_rng)
                } else {
                    phrase::breath_length(g.space, &mut self.guide_rng)
                };
                let mut until = pos + breath;
                // The next phrase may restate a cell: it starts where the cell did in its beat.
                if self.guide_rng.random::<f32>() < g.motif {
                    let pick = self.guide_rng.random::<f64>();
                    self.line.motifs.restate(pick);
                    if let (Some(start), Some(t)) = (self.line.motifs.pending_start(), ticks(until)) {
                        let aligned = t - t.rem_euclid(TICKS_PER_BEAT) + start;
                        until = beats_from_ticks(if aligned < t { aligned + TICKS_PER_BEAT } else { aligned });
                    }
                }
                Phase::Breathing { until }
            }
            Some(Phase::Breathing { until }) if pos >= until => {
                self.line.phrase_notes = 0;
                Phase::Playing { end: pos + phrase::phrase_length(g.space, &mut self.guide_rng) }
            }
            Some(p) => p,
        };
        // An answer's phrase ends a beat before the answer does, into a breath, and
        // no new one starts in its last beat.
        let phase = match (phase, self.stop) {
            (_, Some(stop)) if pos >= stop - 1 => Phase::Breathing { until: stop },
            (Phase::Playing { end }, Some(stop)) if end > stop - 1 => Phase::Playing { end: stop - 1 },
            (p, _) => p,
        };
        self.line.phase = Some(phase);
    }

    /// The context every candidate pitch is weighed in here (the approach to the
    /// next change depends on the token's length and is set by the caller).
    fn pitch_context(&self, pos: Beats, sounding: &Sounding, style: &Playing) -> PitchContext {
        let g = &style.guidance;
        let half = Ratio::new(1, 2);
        let landing = sounding
            .since
            .filter(|&s| pos >= s && pos - s < half && self.line.landed != Some(s))
            .map(|_| sounding.harmony);
        PitchContext {
            prev: self.decoder.prev().map(Pitch::ps),
            register: self.decoder.register(),
            line: g.line,
            repeats: self.line.repeats,
            last_interval: self.line.last_interval,
            landing,
            approaching: None,
            harmony: self.harmony_pull(g),
            motif_interval: None,
            shape_move: (self.stop.is_some() && self.line.shape_open && self.line.shape_done < self.line.shape_len)
                .then(|| self.line.shape[self.line.shape_done]),
        }
    }

    /// How hard guidance pulls onto the changes: the Harmony setting, scaled by
    /// [`HEARING_PULL`] for a model that hears the chord itself.
    fn harmony_pull(&self, g: &Guidance) -> f32 {
        if self.live.hears() { g.harmony * HEARING_PULL } else { g.harmony }
    }

    /// The keys the decoder would choose among for token `i` here (what
    /// [`Decoder::plan`] finds): the interval window from the previous note, else
    /// [`FREE_WINDOW`] around it (or around the register's middle). The key table
    /// filters them by type ([`key_table::KeyTable::best`]).
    fn key_window(&self, i: usize) -> (i32, i32) {
        let prev = self.decoder.prev().map(Pitch::ps);
        match (self.live.windows[i], prev) {
            (Some((lo, hi)), Some(p)) => (p + lo as i32, p + hi as i32),
            _ => {
                let (a, b) = self.decoder.register();
                let anchor = prev.unwrap_or((a + b) / 2);
                (anchor - FREE_WINDOW, anchor + FREE_WINDOW)
            }
        }
    }

    /// The guided loop body: reweight, draw, decode with weighted pitch choice.
    fn draw_guided(
        &mut self,
        pos: Beats,
        bar_end: Beats,
        sounding: &Sounding,
        changes: &impl ChangeSource,
        style: &Playing,
    ) -> Drawn {
        let g = style.guidance;
        self.update_phase(pos, &g);
        let next_change = changes.next_change(pos);
        self.step_model(Some(&sounding.harmony), tick_of(pos), style.style);
        let (pos_t, bar_end_t) = (ticks(pos), ticks(bar_end).unwrap_or(i64::MAX));
        let phase = self.line.phase.expect("set by update_phase");
        let forced = match (phase, pos_t) {
            (Phase::Playing { .. }, Some(at)) => self.line.motifs.next_at(at),
            _ => None,
        };
        let n = self.live.n_values();
        // Everything below in twelfths of a beat: integer arithmetic in the token loop.
        let tk = |b: Beats| ticks(b).unwrap_or_else(|| (b * TICKS_PER_BEAT).floor().to_integer());
        let p = tk(pos);
        let silence_before = self.line.last_note_end.map_or(0, |e| (p - tk(e)).max(0));
        let change = next_change.map(|(at, h)| (tk(at), h));
        let landing_since = sounding.since.map(tk).filter(|&s| p >= s && Some(s) != self.line.landed.map(tk));
        let cx = self.pitch_context(pos, sounding, style);
        // Where the phrase or the breath ends, in twelfths (once, not per token).
        let phase_end = match phase {
            Phase::Playing { end } => tk(end),
            Phase::Breathing { until } => tk(until),
        };
        let wx = Weighing {
            time: g.time,
            harmony: self.harmony_pull(&g),
            pos_t,
            bar_end_t,
            phase,
            p,
            phase_end,
            silence_before,
            change,
            landing_since,
            prev: cx.prev,
            answering: self.stop.is_some(),
        };
        // A restated cell the rules allow here is drawn without weighing the rest
        // of the vocabulary: the draw below is the one the full weighing would give
        // (the forced token in the pool, allowed, not forbidden), at a fraction of
        // its cost (the densest answer opens with six such tokens in one block).
        let next_harmony = change.map(|(_, h)| h);
        let shortcut = forced.map(|(t, _)| t as usize).filter(|&t| {
            t < n
                && matches!(phase, Phase::Playing { .. })
                && self.live.in_pool(t)
                && !self.forbidden(g.novelty).contains(&(t as u16))
                && !(self.open_with_note && self.live.tokens[t].kind == NoteType::Rest)
                && {
                    let window = self.key_window(t);
                    self.keys.fill_for(&cx, &sounding.harmony, next_harmony, window);
                    self.token_weight(t, &wx) > 0.0
                }
        });
        match shortcut {
            Some(t) => self.live.bias[t] = 0.0,
            None => {
                let weighed = self.live.select_pool();
                self.keys.fill(&cx, &sounding.harmony, next_harmony);
                if weighed < n {
                    self.live.bias[..n].fill(f32::NEG_INFINITY);
                }
                self.weigh_all(weighed, &wx);
            }
        }
        let forbidden = match (g.novelty, self.line.recent.full()) {
            (true, Some(recent)) => self.live.novelty.forbidden(recent),
            _ => &[],
        };
        for &f in forbidden {
            if let Some(b) = self.live.bias.get_mut(f as usize) {
                *b = f32::NEG_INFINITY;
            }
        }
        if std::mem::take(&mut self.open_with_note) {
            for (b, t) in self.live.bias[..n].iter_mut().zip(&self.live.tokens) {
                if t.kind == NoteType::Rest {
                    *b = f32::NEG_INFINITY;
                }
            }
        }
        // A restated cell forces its token, if the rules allow it here.
        let mut motif_interval = None;
        let mut from_motif = false;
        if let Some((token, interval)) = forced {
            let mut t = token as usize;
            // A call's cell bends where it must: a token the rules forbid here is
            // replaced by the allowed one nearest to it, not dropped with the cell.
            let misfit = t < n && !self.live.bias[t].is_finite();
            if misfit && self.line.motifs.restating_call() {
                t = self.nearest_allowed(t, Nearest::Type).unwrap_or(t);
            } else if misfit && self.live.hears() && self.line.motifs.bend() {
                // A masters' token pins its pitch to its type in a narrow window, so
                // over a new chord one note of a cell often cannot keep its type
                // though its rhythm and contour still fit: that one note bends, as a
                // player's sequence does (the seed grammar's wide windows rarely
                // misfit, and its cells are given up as they always were).
                t = self.nearest_allowed(t, Nearest::Rhythm).unwrap_or(t);
            }
            if t < n && self.live.bias[t].is_finite() && matches!(phase, Phase::Playing { .. }) {
                self.live.bias[..n].fill(f32::NEG_INFINITY);
                self.live.bias[t] = 0.0;
                motif_interval = interval.map(i32::from);
                from_motif = true;
            } else {
                self.line.motifs.abort();
            }
        }
        let next = match self.live.state.sample_biased(style.sampling, &self.live.bias[..n], &mut self.sample_rng) {
            Some(t) => t,
            None => self.live.state.sample(style.sampling, &mut self.sample_rng),
        };
        self.search.last_logp = self.live.state.probs()[next].max(f32::MIN_POSITIVE).ln();
        let played_length = if from_motif { self.line.motifs.played_length() } else { None };
        if from_motif {
            self.line.motifs.advance();
        }
        self.prev = Some(next);
        self.line.recent.push(next as u16);
        let restated = Restated { interval: motif_interval, length: played_length, motif: from_motif };
        self.place_guided(next, pos, bar_end, sounding, next_change, restated, style)
    }

    /// The tokens novelty forbids next (none with novelty off).
    fn forbidden(&self, novelty: bool) -> &[u16] {
        match (novelty, self.line.recent.full()) {
            (true, Some(recent)) => self.live.novelty.forbidden(recent),
            _ => &[],
        }
    }

    /// Guidance's weight of token `i` here (0: the rules forbid it).
    fn token_weight(&self, i: usize, wx: &Weighing) -> f32 {
        let token = &self.live.tokens[i];
        let len_t = self.live.lengths[i];
        let mut w: f32 = 1.0;
        // Time.
        if wx.time
            && let (Some(at), Some(l)) = (wx.pos_t, len_t)
            && !self.line.grid.allows(at, l, wx.bar_end_t)
        {
            w = 0.0;
        }
        // Phrasing.
        let rest = token.kind == NoteType::Rest;
        match wx.phase {
            Phase::Playing { .. } => {
                if let (true, Some(l)) = (rest, len_t)
                    && wx.p + l < wx.phase_end
                    && wx.silence_before + l >= TICKS_PER_BEAT
                {
                    w *= 0.02;
                }
                // An answer ends its phrase on a held note, a chord tone most of
                // all, not in the middle of a run.
                if let (true, false, Some(l)) = (wx.answering, rest, len_t)
                    && wx.p >= wx.phase_end - TICKS_PER_BEAT
                {
                    w *= if wx.p + l >= wx.phase_end { 5.0 } else { 0.3 };
                    if token.kind == NoteType::Chord {
                        w *= 2.0;
                    }
                }
            }
            Phase::Breathing { .. } => {
                if !rest {
                    w = 0.0;
                } else {
                    match len_t {
                        Some(l) if wx.p + l <= wx.phase_end + TICKS_PER_BEAT / 4 => {}
                        Some(_) => w *= 0.02,
                        None => w *= 0.1,
                    }
                }
            }
        }
        // Harmony: land on a change, do not hold across one.
        if let (Some((at, _)), Some(l)) = (wx.change, len_t)
            && !rest
        {
            if wx.p + l == at {
                w *= 1.0 + wx.harmony;
            } else if wx.p < at && wx.p + l > at {
                w *= 1.0 - 0.5 * wx.harmony;
            }
        }
        if let (Some(s), true, Some(l)) = (wx.landing_since, rest, len_t)
            && wx.p + l >= s + TICKS_PER_BEAT / 2
        {
            w *= 1.0 - 0.8 * wx.harmony;
        }
        if w > 0.0 && !rest {
            let approaches = len_t.and_then(|l| approaching(wx.p, l, wx.change)).is_some();
            let (lo, hi) = self.key_window(i);
            w *= match self.keys.best(token.kind, lo, hi, wx.prev, approaches) {
                Some(best) => best,
                // A masters' token pins its pitch to its type in a narrow window:
                // with no such key here it cannot mean what it says (the seed
                // grammar's wide windows rarely come up empty; it repeats the note).
                None if self.live.hears() => 0.0,
                None => wx.prev.map_or(1.0, |k| self.keys.of_key(k, approaches)),
            };
        }
        w
    }

    /// Weighs the pool into the bias; if the rules allow none of it (a breath when
    /// the model's most likely tokens are all notes), the rest of the vocabulary.
    fn weigh_all(&mut self, weighed: usize, wx: &Weighing) {
        let n = self.live.n_values();
        let (mut from, mut to) = (0, weighed);
        loop {
            let mut allowed = false;
            for j in from..to {
                let i = if weighed < n { self.live.pool[j] as usize } else { j };
                let w = self.token_weight(i, wx);
                allowed |= w > 0.0;
                self.live.bias[i] = if w > 0.0 { w.ln() } else { f32::NEG_INFINITY };
            }
            if allowed || to == n {
                break;
            }
            (from, to) = (to, n);
        }
    }

    /// The token allowed here (finite bias) nearest to token `t`: a rest for a rest,
    /// then by `first`: the same type (any note otherwise), the closest length, the
    /// closest interval window; or the closest length, window, then type.
    fn nearest_allowed(&self, t: usize, first: Nearest) -> Option<usize> {
        let live = &*self.live;
        let want = &live.tokens[t];
        let len = live.lengths[t].unwrap_or(0);
        let centre = |w: Option<(i8, i8)>| w.map_or(0, |(lo, hi)| lo as i64 + hi as i64);
        (0..live.n_values())
            .filter(|&i| live.bias[i].is_finite())
            .filter(|&i| (live.tokens[i].kind == NoteType::Rest) == (want.kind == NoteType::Rest))
            .min_by_key(|&i| {
                let kind = i64::from(live.tokens[i].kind != want.kind);
                let gap = (live.lengths[i].unwrap_or(0) - len).abs();
                let window = (centre(live.windows[i]) - centre(live.windows[t])).abs();
                match first {
                    Nearest::Type => (kind, gap, window, i),
                    Nearest::Rhythm => (gap, window, kind, i),
                }
            })
    }

    /// Decodes the drawn token with guided pitch choice and updates the line.
    #[allow(clippy::too_many_arguments)]
    fn place_guided(
        &mut self,
        next: usize,
        pos: Beats,
        bar_end: Beats,
        sounding: &Sounding,
        next_change: Option<(Beats, Harmony)>,
        restated: Restated,
        style: &Playing,
    ) -> Drawn {
        let Restated { interval: motif_interval, length: played_length, motif } = restated;
        let g = style.guidance;
        let token = &self.live.tokens[next];
        let Some(plan) = self.decoder.plan(token, &sounding.harmony) else {
            return Drawn { token: next, at: pos, outcome: Outcome::Skipped, motif };
        };
        let mut cx = self.pitch_context(pos, sounding, style);
        if let (Some(at), Some(len)) = (ticks(pos), ticks(plan.duration)) {
            cx.approaching = approaching(at, len, next_change.and_then(|(c, h)| Some((ticks(c)?, h))));
        }
        cx.motif_interval = motif_interval;
        let pitch = plan.candidates().map(|cands| {
            // A restated cell keeps its interval where the chord allows it.
            let exact = motif_interval.zip(cx.prev).map(|(m, p)| Pitch::from_midi(p + m)).filter(|p| {
                let pc = p.name.pc();
                sounding.harmony.is_chord_tone(pc) || sounding.harmony.is_scale_pc(pc)
            });
            let total: f32 = cands.iter().chain(exact.iter()).map(|p| pitch_weight(p.ps(), &cx)).sum();
            if total <= 0.0 {
                return cands.first().copied();
            }
            let mut r = self.chooser.0.random::<f32>() * total;
            for p in cands.iter().chain(exact.iter()) {
                r -= pitch_weight(p.ps(), &cx);
                if r <= 0.0 {
                    return Some(*p);
                }
            }
            cands.last().copied()
        });
        let prev_key = self.decoder.prev().map(Pitch::ps);
        let placed = self.decoder.commit(&plan, pitch.flatten());
        // A call's note or rest lasts as the musician played it.
        let mut end = placed.offset + placed.duration;
        if let Some(l) = played_length {
            end = placed.offset + beats_from_ticks(l);
            self.decoder.set_position(end);
        }
        // Time: an element placed without the rule (nothing else was allowed) has
        // its end moved to the next point the grid allows.
        if let (true, Some(at), Some(e)) = (g.time, ticks(placed.offset), ticks(end))
            && !self.line.grid.allows(at, e - at, ticks(bar_end).unwrap_or(i64::MAX))
        {
            let mut snapped = self.line.grid;
            snapped.record(at);
            end = beats_from_ticks(snapped.snap(e));
            self.decoder.set_position(end);
        }
        if let Some(at) = ticks(placed.offset) {
            self.line.grid.record(at);
        }
        let length = (end - placed.offset).min(bar_end - placed.offset);
        let outcome = match placed.key() {
            Some(key) => {
                let k = key as i32;
                self.line.repeats = if prev_key == Some(k) { self.line.repeats + 1 } else { 1 };
                if let Some(p) = prev_key.filter(|&p| p != k) {
                    self.line.last_interval = k - p;
                }
                self.line.last_note_end = Some(placed.offset + length);
                if let Some(s) = sounding.since.filter(|&s| pos >= s) {
                    self.line.landed = Some(s);
                }
                self.line.phrase_notes += 1;
                if self.line.shape_open {
                    self.line.shape_done += 1;
                }
                self.line.shape_open = true;
                let interval = prev_key.map(|p| (k - p).clamp(-127, 127) as i8);
                self.record_motif(next, interval, motif, pos, &g);
                Outcome::Note { key, length, kind: classify_pc(key, &sounding.harmony) }
            }
            None => {
                if matches!(self.line.phase, Some(Phase::Playing { .. })) && self.line.phrase_notes > 0 {
                    self.record_motif(next, None, motif, pos, &g);
                }
                Outcome::Rest { length }
            }
        };
        Drawn { token: next, at: pos, outcome, motif }
    }

    /// Keeps the opening of the phrase; once it is complete, may sequence it at once.
    fn record_motif(&mut self, token: usize, interval: Option<i8>, restated: bool, at: Beats, g: &Guidance) {
        let m = &mut self.line.motifs;
        let Some(at) = ticks(at) else { return };
        if m.recording.is_full() || restated {
            return;
        }
        let first = m.recording.is_empty();
        m.recording.push(token as u16, if first { None } else { interval }, at);
        if m.recording.is_full() && self.guide_rng.random::<f32>() < g.motif {
            self.line.motifs.sequence();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::ChordEvent;

    fn live() -> Box<LiveModel> {
        Box::new(LiveModel::new(&crate::default_weights().unwrap(), "test".into()))
    }

    #[test]
    fn a_call_heard_note_by_note_leaves_the_state_hearing_it_whole_does() {
        use listen::{Heard, HeardNote};
        let w = crate::masters_weights().unwrap();
        let dm7 = Harmony::new(&[50, 53, 57, 60]);
        let none = changes::HeldChord { harmony: None, since: None };
        // A call starting on beat 3 of bar 2, each note with the chord heard under it.
        let note = |start: i64, end: i64, key| HeardNote { start: 60 + start, end: 60 + end, key, harmony: Some(dm7) };
        let notes = [note(0, 6, 62), note(6, 12, 65), note(15, 18, 69), note(18, 30, 64), note(42, 48, 61)];
        let mut whole = Improviser::new(Box::new(LiveModel::new(&w, "test".into())), 7);
        let mut heard = Heard::default();
        heard.encode(&notes, 120, &none, whole.model());
        // Each token is heard where it falls, over its chord, after the note before it.
        assert_eq!(heard.steps()[0], listen::CallStep { at: 60, chord: Some(dm7), previous: None });
        assert_eq!((heard.steps()[1].at, heard.steps()[1].previous), (66, Some(62)));
        assert!(heard.steps().iter().all(|s| s.chord == Some(dm7)));
        whole.hear(heard.tokens(), heard.steps());
        let mut parts = Improviser::new(Box::new(LiveModel::new(&w, "test".into())), 7);
        for (tokens, steps) in heard.tokens().chunks(2).zip(heard.steps().chunks(2)) {
            parts.hear(tokens, steps);
        }
        assert_eq!(parts.live.state.probs(), whole.live.state.probs());
        // Another chord under the same notes is heard: the state differs.
        let mut g7 = Improviser::new(Box::new(LiveModel::new(&w, "test".into())), 7);
        let mut other = Heard::default();
        let g = Harmony::new(&[55, 59, 62, 65]);
        let moved: Vec<HeardNote> = notes.iter().map(|n| HeardNote { harmony: Some(g), ..*n }).collect();
        other.encode(&moved, 120, &none, g7.model());
        g7.hear(other.tokens(), other.steps());
        assert_ne!(g7.live.state.probs(), whole.live.state.probs());
    }

    #[test]
    fn in_pool_agrees_with_the_selected_pool() {
        use rand::SeedableRng;
        let w = crate::masters_weights().unwrap();
        let mut live = LiveModel::new(&w, "test".into());
        assert!(live.n_values() > GUIDE_POOL);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let mut input = None;
        for _ in 0..20 {
            live.model.step_heard(&mut live.state, input, &[]);
            let mut want = vec![false; live.n_values()];
            let got: Vec<bool> = (0..live.n_values()).map(|t| live.in_pool(t)).collect();
            let k = live.select_pool();
            for &t in &live.pool[..k] {
                want[t as usize] = true;
            }
            assert_eq!(got, want);
            input = Some(live.state.sample(crate::model::Sampling { temperature: 1.0, top_k: 0 }, &mut rng));
        }
    }

    fn changes(symbols: &str) -> LoopedChanges {
        let bars = crate::theory::symbol::parse_changes(symbols, BEATS_PER_BAR).unwrap();
        let c: Changes = bars
            .iter()
            .map(|bar| {
                bar.iter()
                    .map(|(at, chord)| ChordEvent {
                        offset: *at,
                        duration: 1.into(),
                        keys: chord.voicing(),
                        name: None,
                    })
                    .collect()
            })
            .collect();
        LoopedChanges::new(&c)
    }

    fn notes(imp: &mut Improviser, c: &LoopedChanges, style: &Playing, beats: i64) -> Vec<(Beats, u8)> {
        let mut out = Vec::new();
        imp.fill(Ratio::from_integer(beats), c, style, &mut |d| {
            if let Outcome::Note { key, .. } = d.outcome {
                out.push((d.at, key));
            }
        });
        out
    }

    #[test]
    fn filling_in_pieces_plays_what_filling_at_once_plays() {
        let c = changes("Dm7 | G7 | Cmaj7 | Cmaj7");
        for guidance in [Guidance::DEFAULT, Guidance::PLAIN] {
            let style = Playing { guidance, ..Playing::default() };
            let mut whole = Improviser::new(live(), 7);
            let at_once = notes(&mut whole, &c, &style, 32);
            let mut parts = Improviser::new(live(), 7);
            let mut pieces = Vec::new();
            for b in 1..=32 {
                pieces.extend(notes(&mut parts, &c, &style, b));
            }
            assert_eq!(at_once, pieces);
            assert!(at_once.len() > 40);
        }
    }

    /// The search run ahead, a few tokens between fills of a beat, picks what the
    /// search at the phrase start picks: the same line, note for note, with either
    /// model. (Live, the first phrase has no breath before it to search in; the
    /// offline line is given its taste once that phrase has ended, to compare.)
    #[test]
    fn searching_ahead_plays_what_searching_at_the_phrase_start_plays() {
        use crate::taste::{PhraseNote, Preference, Taste, features::features};
        let note = |at: i64, key: u8, guide: bool| PhraseNote { at, length: 6, key, kind: NoteType::Chord, guide };
        let landing = [note(0, 62, false), note(6, 65, true)];
        let run: Vec<_> = (0..10).map(|i| note(i * 3, 60 + i as u8, false)).collect();
        let preference = Preference::fit(&[(features(&landing, 24), true), (features(&run, 0), false)]).unwrap();
        let taste = Some(Taste { weight: 1.0, candidates: 8, preference });
        let c = changes("Dm7 G7 | Cmaj7 | Em7 A7 | Dm7 G7");
        let style = Playing::default();
        for weights in [crate::default_weights().unwrap(), crate::masters_weights().unwrap()] {
            let model = || Box::new(LiveModel::new(&weights, "test".into()));
            let mut offline = Improviser::new(model(), 9);
            let mut at_once = Vec::new();
            let mut live = Improviser::new(model(), 9);
            live.set_taste(taste);
            live.set_search_ahead(true);
            let mut ahead = Vec::new();
            // Where the live line first starts a phrase without the search's winner
            // after its first (a breath drawn whole inside one beat's fill leaves
            // the search no block to run in); the lines part there.
            let mut parted = None;
            for b in 1..=96 {
                if offline.taste.is_none() && matches!(offline.line.phase, Some(Phase::Breathing { .. })) {
                    offline.set_taste(taste);
                }
                at_once.extend(notes(&mut offline, &c, &style, b));
                ahead.extend(notes(&mut live, &c, &style, b));
                if parted.is_none() && live.taste_searches().1 > 1 {
                    parted = Some(Ratio::from_integer(b - 1));
                }
                // Enough for any search in a beat (8 × 192 tokens and the breath), a
                // few tokens at a time: equality is the question here, not the budget.
                for _ in 0..200 {
                    live.search_ahead(8, &c, &style);
                }
            }
            let (taken, missed) = live.taste_searches();
            assert!(taken >= 3, "{taken} phrases started to taste ahead, {missed} not");
            let until = parted.unwrap_or(Ratio::from_integer(96));
            let before = |ns: &[(Beats, u8)]| ns.iter().filter(|n| n.0 < until).copied().collect::<Vec<_>>();
            assert_eq!(before(&ahead), before(&at_once), "the same winners, the same line (to beat {until})");
            assert!(until >= Ratio::from_integer(48), "{taken} phrases searched before they part at {until}");
            let mut plain = Improviser::new(model(), 9);
            assert_ne!(ahead, notes(&mut plain, &c, &style, 96), "the search changed the line");
        }
    }

    #[test]
    fn guided_onsets_stay_on_the_grid_and_chords_change_the_tokens() {
        let style = Playing::default();
        let mut streams = Vec::new();
        for symbols in ["Dm7 | G7 | Cmaj7 | Cmaj7", "Bb7 | Eb7 | Bb7 | F7"] {
            let c = changes(symbols);
            let mut imp = Improviser::new(live(), 3);
            let mut tokens = Vec::new();
            imp.fill(Ratio::from_integer(64), &c, &style, &mut |d| {
                tokens.push(d.token);
                let t = ticks(d.at).unwrap();
                assert!(grid::grid_of(t).is_some(), "off-grid onset at {}", d.at);
            });
            streams.push(tokens);
        }
        assert_ne!(streams[0], streams[1]);
    }
}
