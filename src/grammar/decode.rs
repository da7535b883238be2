//! Grammar tokens → notes against chords (spec §e: "generate_music" / "unparse_grammar").
//!
//! Two modes:
//! - [`Mode::Reference`] reproduces the reference's decoding, quirks included, and is
//!   what the golden tests check: the `C,0.25` prefix, A/X tokens rewritten as chord
//!   tones, durations rounded down or *up* to the 1/4 grid at random, elements placed
//!   at the end of their own duration, a zero-length rest lasting one beat, octave
//!   floors of 4 and 3, the blues scale for scale tones without an interval.
//! - [`Mode::Musical`], the product's default, fixes what are bugs for a player:
//!   1. elements start where the previous one ended (not at the end of their own
//!      duration), so the line is in time and never overlaps itself;
//!   2. durations snap to the corpus grid (1/4 and 1/3 beat) instead of a coin
//!      toss; a note is never shorter than 1/4 beat (never zero), a rest that
//!      rounds to zero is dropped, and rests and notes are capped at one 4/4 bar
//!      (the corpus's `R,71.000` is an import artifact, spec §f.6);
//!   3. A and X tokens keep their meaning (approach tones a semitone from a chord
//!      tone, other chromatic tones) instead of all becoming chord tones;
//!   4. scale tones use the same scale for decoding as for encoding (Major or
//!      Dorian), not the hexatonic blues scale on one path and Dorian on the other;
//!   5. a token without an interval lands near the previous note (or the middle of
//!      the register), and every note is folded into the register by octaves,
//!      instead of octave floors that let the line climb without bound;
//!   6. no `C,0.25` prefix: the model's own first token starts the line.
//!
//! Both modes fold notes into the configured register, so their pitches are valid MIDI.

use super::choice::{Choice, Chooser};
use super::harmony::Harmony;
use super::post::{clean_up_notes, prune_notes};
use super::token::{NoteType, Token};
use crate::score::{Beats, ChordEvent, quantize};
use crate::theory::scale::derive_blues;
use crate::theory::{Pitch, PitchName, Quality};
use num_rational::Ratio;

/// Which decoder to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// The reference's behaviour, quirks included.
    Reference,
    /// The product's decoder (see the module docs for each fix).
    #[default]
    Musical,
}

/// Decoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Reference or Musical.
    pub mode: Mode,
    /// Lowest MIDI key a note may have.
    pub low: u8,
    /// Highest MIDI key a note may have.
    pub high: u8,
}

/// Default register of the musical decoder: G3..C6, a guitar's solo range.
pub const DEFAULT_REGISTER: (u8, u8) = (55, 84);

impl DecodeOptions {
    /// The reference decoder over the whole MIDI range.
    pub fn reference() -> Self {
        Self { mode: Mode::Reference, low: 0, high: 127 }
    }

    /// The musical decoder in the default register.
    pub fn musical() -> Self {
        Self { mode: Mode::Musical, low: DEFAULT_REGISTER.0, high: DEFAULT_REGISTER.1 }
    }

    fn register(&self) -> (i32, i32) {
        let (a, b) = (self.low.min(127) as i32, self.high.min(127) as i32);
        (a.min(b), a.max(b))
    }
}

/// A decoded note or rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Onset in quarter notes from the start of the decoded span.
    pub offset: Beats,
    /// Length in quarter notes.
    pub duration: Beats,
    /// The note and the token type that produced it; `None` for a rest.
    pub note: Option<(Pitch, NoteType)>,
}

impl Placed {
    /// The MIDI key of a note.
    pub fn key(&self) -> Option<u8> {
        self.note.map(|(p, _)| p.ps().clamp(0, 127) as u8)
    }
}

/// The reference's seed token, put before the generated tokens.
pub const REFERENCE_PREFIX: &str = "C,0.25";
/// Reference octave floor for notes without an interval.
const REFERENCE_FREE_OCTAVE_FLOOR: i32 = 4;
/// Reference octave floor for notes reached by an interval.
const REFERENCE_INTERVAL_OCTAVE_FLOOR: i32 = 3;
/// The reference rounds durations to this grid (prune_grammar).
const REFERENCE_GRID: f64 = 0.25;
/// Longest duration the decoders accept, in beats (guards rational overflow on absurd input).
const MAX_DURATION: f64 = 1024.0;
/// Musical mode caps notes and rests at one 4/4 bar.
const MUSICAL_MAX_LENGTH: i64 = 4;
/// Shortest note in Musical mode, in beats.
const MUSICAL_MIN_NOTE: (i64, i64) = (1, 4);
/// Half-width in semitones of the window around the previous note (or the middle
/// of the register) for a note token without an interval.
pub const FREE_WINDOW: i32 = 6;
/// Candidate buffer size: a window of 2 × 6 + 1 keys, or 16 chord tones.
const MAX_CANDIDATES: usize = 16;

/// Fixed-capacity candidate list (no allocation in the live decoder).
#[derive(Debug, Clone, Copy)]
struct Candidates {
    items: [Pitch; MAX_CANDIDATES],
    len: usize,
}

impl Candidates {
    fn new() -> Self {
        Self { items: [Pitch::from_midi(0); MAX_CANDIDATES], len: 0 }
    }
    fn push(&mut self, p: Pitch) {
        if self.len < MAX_CANDIDATES {
            self.items[self.len] = p;
            self.len += 1;
        }
    }
    fn as_slice(&self) -> &[Pitch] {
        &self.items[..self.len]
    }
    fn retain(&mut self, keep: impl Fn(&Pitch) -> bool) {
        let mut n = 0;
        for i in 0..self.len {
            if keep(&self.items[i]) {
                self.items[n] = self.items[i];
                n += 1;
            }
        }
        self.len = n;
    }
}

/// Moves a pitch by octaves into `[low, high]` (clamping if the range is under an octave).
fn fold_into(p: Pitch, (low, high): (i32, i32)) -> Pitch {
    let ps = p.ps();
    let shift = if ps > high {
        -((ps - high + 11) / 12)
    } else if ps < low {
        (low - ps + 11) / 12
    } else {
        0
    };
    let moved = Pitch::new(p.name, p.octave + shift);
    if (low..=high).contains(&moved.ps()) { moved } else { Pitch::from_midi(moved.ps().clamp(low, high)) }
}

fn beats_from_f64(d: f64) -> Beats {
    let d = if d.is_finite() { d.clamp(0.0, MAX_DURATION) } else { 0.0 };
    Ratio::new((d * 12.0).round() as i64, 12)
}

/// The candidates `[low.ps ..= high.ps]` of an interval token, default-spelled.
fn interval_window(prev: Pitch, bounds: (crate::theory::Interval, crate::theory::Interval)) -> Candidates {
    let (first, second) = bounds;
    // The one with more cents is the upper bound; on a tie the second field.
    let (upper, lower) = if first.semitones > second.semitones { (first, second) } else { (second, first) };
    let lo = lower.transpose(prev).ps();
    let hi = upper.transpose(prev).ps();
    let mut c = Candidates::new();
    for ps in lo..=hi {
        c.push(Pitch::from_midi(ps));
    }
    c
}

/// Streaming decoder of the Musical mode: one token at a time, each against the
/// chord sounding where it starts. Allocation-free, for the plugin's audio thread.
#[derive(Debug, Clone, Copy)]
pub struct Decoder {
    options: DecodeOptions,
    position: Beats,
    prev: Option<Pitch>,
}

impl Decoder {
    /// A decoder at position 0 with no previous note.
    pub fn new(options: DecodeOptions) -> Self {
        Self { options, position: Ratio::from_integer(0), prev: None }
    }

    /// Forgets the previous note and restarts at 0.
    pub fn reset(&mut self) {
        self.position = Ratio::from_integer(0);
        self.prev = None;
    }

    /// Changes the register (takes effect from the next note).
    pub fn set_register(&mut self, low: u8, high: u8) {
        self.options.low = low;
        self.options.high = high;
    }

    /// Where the next element will start.
    pub fn position(&self) -> Beats {
        self.position
    }

    /// Moves the start of the next element (for a caller that skips time).
    pub fn set_position(&mut self, position: Beats) {
        self.position = position;
    }

    /// Decodes one token. Returns `None` for a rest that rounds to nothing.
    pub fn step(&mut self, token: &Token, harmony: &Harmony, chooser: &mut impl Chooser) -> Option<Placed> {
        let plan = self.plan(token, harmony)?;
        let Some(cands) = plan.candidates() else { return Some(self.commit(&plan, None)) };
        let pitch = if cands.is_empty() {
            None
        } else {
            Some(cands[chooser.choose(Choice::Pitches(cands)).min(cands.len() - 1)])
        };
        Some(self.commit(&plan, pitch))
    }

    /// What a token would become here, before a pitch is chosen: its onset and
    /// length, and for a note the candidate pitches (those of its type in its
    /// interval window, else the window's chord tones; the previous pitch left out
    /// when there are others). `None` for a rest that rounds to nothing.
    pub fn plan(&self, token: &Token, harmony: &Harmony) -> Option<Plan> {
        let offset = self.position;
        let duration = musical_length(token)?;
        if token.kind == NoteType::Rest {
            return Some(Plan { offset, duration, kind: NoteType::Rest, cands: Candidates::new() });
        }
        let register = self.options.register();
        let mut cands = match (token.bounds, self.prev) {
            (Some(bounds), Some(prev)) => interval_window(prev, bounds),
            _ => {
                let anchor = self.prev.map_or((register.0 + register.1) / 2, Pitch::ps);
                let mut c = Candidates::new();
                for ps in anchor - FREE_WINDOW..=anchor + FREE_WINDOW {
                    c.push(Pitch::from_midi(ps));
                }
                c
            }
        };
        let window = cands;
        let kind = token.kind;
        cands.retain(|p| fits_type(kind, p.name.pc(), harmony));
        if cands.len == 0 {
            // Nothing of that type in reach: the nearest chord tones instead.
            cands = Candidates::new();
            for p in window.as_slice() {
                if harmony.is_chord_tone(p.name.pc()) {
                    cands.push(*p);
                }
            }
        }
        if let Some(prev) = self.prev.filter(|_| cands.len > 1) {
            cands.retain(|p| p.ps() != prev.ps());
        }
        Some(Plan { offset, duration, kind, cands })
    }

    /// Places a planned element: a rest, or a note on `pitch` (a candidate of the
    /// plan; `None` when there was none: the previous note again). The pitch is
    /// folded into the register and becomes the previous note.
    pub fn commit(&mut self, plan: &Plan, pitch: Option<Pitch>) -> Placed {
        self.position = plan.offset + plan.duration;
        if plan.kind == NoteType::Rest {
            return Placed { offset: plan.offset, duration: plan.duration, note: None };
        }
        let register = self.options.register();
        let pitch =
            pitch.unwrap_or_else(|| self.prev.unwrap_or_else(|| Pitch::from_midi((register.0 + register.1) / 2)));
        let pitch = fold_into(pitch, register);
        self.prev = Some(pitch);
        Placed { offset: plan.offset, duration: plan.duration, note: Some((pitch, plan.kind)) }
    }

    /// Sets the previous note (an answer continues from the call's last note).
    pub fn set_prev(&mut self, prev: Option<Pitch>) {
        self.prev = prev;
    }

    /// The previous note, if any.
    pub fn prev(&self) -> Option<Pitch> {
        self.prev
    }

    /// The register as an ordered pair of MIDI keys.
    pub fn register(&self) -> (i32, i32) {
        self.options.register()
    }
}

/// True if a pitch class is of the given type against the chord, by pitch class
/// alone (spelling-blind, like the Musical decoder's choices).
pub fn fits_type(kind: NoteType, pc: i32, harmony: &Harmony) -> bool {
    let chord = harmony.is_chord_tone(pc);
    let scale = harmony.is_scale_pc(pc);
    match kind {
        NoteType::Chord => chord,
        NoteType::Scale => scale && !chord,
        NoteType::Approach => harmony.is_approach(pc) && !chord && !scale,
        _ => !chord && !scale && !harmony.is_approach(pc),
    }
}

/// The length a token takes in Musical mode: its duration snapped to the 1/4 and
/// 1/3 beat grids and capped at a bar; a note lasts at least 1/4 beat; `None` for a
/// rest that rounds to nothing (the decoder skips it).
pub fn musical_length(token: &Token) -> Option<Beats> {
    let max = Ratio::from_integer(MUSICAL_MAX_LENGTH);
    let snapped = quantize(beats_from_f64(token.duration)).min(max);
    if token.kind == NoteType::Rest {
        (snapped != Ratio::from_integer(0)).then_some(snapped)
    } else {
        Some(snapped.max(Ratio::new(MUSICAL_MIN_NOTE.0, MUSICAL_MIN_NOTE.1)))
    }
}

/// A token planned at the decoder's position (see [`Decoder::plan`]).
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Onset.
    pub offset: Beats,
    /// Length.
    pub duration: Beats,
    /// The token's type (`Rest` for a rest).
    pub kind: NoteType,
    cands: Candidates,
}

impl Plan {
    /// The candidate pitches of a note (`None` for a rest; empty when nothing is in reach).
    pub fn candidates(&self) -> Option<&[Pitch]> {
        (self.kind != NoteType::Rest).then(|| self.cands.as_slice())
    }
}

/// Every stage of a reference decode, for the golden tests and `--reference`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceTrace {
    /// The grammar after the prefix and the A/X → C rewrite.
    pub after_replace: String,
    /// The grammar after prune_grammar's random rounding.
    pub after_prune_grammar: String,
    /// unparse_grammar's output.
    pub unparse: Vec<Placed>,
    /// After prune_notes.
    pub after_prune_notes: Vec<Placed>,
    /// After clean_up_notes: the final notes and rests.
    pub after_clean_up: Vec<Placed>,
}

/// Python's `str(float)` for the values prune_grammar writes back.
fn python_float_str(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 { format!("{x:.1}") } else { format!("{x}") }
}

/// Decodes tokens exactly as the reference does, against `chords` (offsets relative
/// to the span's start, in stored order), recording every stage.
pub fn decode_reference<S: AsRef<str>>(
    tokens: &[S],
    chords: &[ChordEvent],
    options: DecodeOptions,
    chooser: &mut impl Chooser,
) -> ReferenceTrace {
    // Prefix, then " A" → " C" and " X" → " C".
    let mut grammar: Vec<String> = vec![REFERENCE_PREFIX.to_string()];
    for t in tokens {
        let t = t.as_ref();
        match t.split_at_checked(1) {
            Some(("A" | "X", rest)) => grammar.push(format!("C{rest}")),
            _ => grammar.push(t.to_string()),
        }
    }
    let after_replace = grammar.join(" ");
    // prune_grammar: d − (d mod 0.25), plus 0.25 half the time.
    let mut pruned = Vec::with_capacity(grammar.len());
    for t in &grammar {
        let sign = chooser.choose(Choice::Sign);
        let mut fields: Vec<&str> = t.split(',').collect();
        let d: f64 = fields.get(1).and_then(|f| f.parse().ok()).unwrap_or(0.0);
        let d = if d.is_finite() { d.clamp(0.0, MAX_DURATION) } else { 0.0 };
        let floor = d - d % REFERENCE_GRID;
        let value = if sign == 0 { floor } else { floor + REFERENCE_GRID };
        let text = python_float_str(value);
        if fields.len() > 1 {
            fields[1] = &text;
        }
        pruned.push(fields.join(","));
    }
    let after_prune_grammar = pruned.join(" ");
    let unparse = unparse_reference(&pruned, chords, options, chooser);
    let after_prune_notes = prune_notes(&unparse);
    let after_clean_up = clean_up_notes(&after_prune_notes);
    ReferenceTrace { after_replace, after_prune_grammar, unparse, after_prune_notes, after_clean_up }
}

/// The reference's "generate scale tone": a name from the chord's scale (Major, or
/// the hexatonic blues scale) and an octave of one of the chord's pitches.
fn reference_scale_tone(harmony: &Harmony, chooser: &mut impl Chooser) -> Pitch {
    let computed: Vec<PitchName> = if harmony.quality == Quality::Major {
        harmony.scale.iter().map(|p| p.name).collect()
    } else {
        let blue = chooser.coin();
        derive_blues(harmony.pcs, blue).iter().map(|p| p.name).collect()
    };
    let names = chooser.scale_tone_names(computed);
    if names.is_empty() {
        return harmony.pitches()[0];
    }
    let name = names[chooser.choose(Choice::Names(&names)).min(names.len() - 1)];
    let mut by_ps: Vec<Pitch> = harmony.pitches().to_vec();
    by_ps.sort_by_key(|p| p.ps());
    let octaves: Vec<i32> = by_ps.iter().map(|p| p.octave).collect();
    let octave = octaves[chooser.choose(Choice::Octaves(&octaves)).min(octaves.len() - 1)];
    Pitch::new(name, octave)
}

fn unparse_reference(
    grammar: &[String],
    chords: &[ChordEvent],
    options: DecodeOptions,
    chooser: &mut impl Chooser,
) -> Vec<Placed> {
    let harmonies: Vec<Harmony> = chords.iter().map(|c| Harmony::new(&c.keys)).collect();
    let mut chord_offsets: Vec<Beats> = chords.iter().map(|c| c.offset).collect();
    let register = options.register();
    let mut out = Vec::with_capacity(grammar.len());
    let mut cur: Beats = Ratio::from_integer(0);
    let mut prev: Option<Pitch> = None;
    for text in grammar {
        let Ok(token) = Token::parse(text) else { continue };
        let duration = beats_from_f64(token.duration);
        cur += duration;
        if token.kind == NoteType::Rest {
            // music21 takes a zero length as "not given": one beat.
            let d = if duration == Ratio::from_integer(0) { Ratio::from_integer(1) } else { duration };
            out.push(Placed { offset: cur, duration: d, note: None });
            continue;
        }
        if harmonies.is_empty() {
            continue;
        }
        let current = match chord_offsets.iter().rposition(|&o| o <= cur) {
            Some(i) => i,
            None => {
                chord_offsets[0] = Ratio::from_integer(0);
                0
            }
        };
        let harmony = &harmonies[current];
        let pitch = match (token.bounds, prev) {
            (Some(bounds), Some(prev)) => {
                let mut cands = interval_window(prev, bounds);
                match token.kind {
                    NoteType::Chord => cands.retain(|p| harmony.is_chord_tone(p.name.pc())),
                    NoteType::Scale => cands.retain(|p| harmony.is_scale_name(p.name)),
                    NoteType::Approach => cands.retain(|p| harmony.is_approach(p.name.pc())),
                    _ => {}
                }
                let p = match cands.len {
                    0 => {
                        let step = if chooser.choose(Choice::Step) == 0 { -2 } else { 2 };
                        Pitch::from_midi(prev.ps() + step)
                    }
                    1 => cands.items[0],
                    _ => {
                        cands.retain(|p| *p != prev);
                        if cands.len == 0 {
                            prev
                        } else {
                            cands.items[chooser.choose(Choice::Pitches(cands.as_slice())).min(cands.len - 1)]
                        }
                    }
                };
                let p = if p.octave < REFERENCE_INTERVAL_OCTAVE_FLOOR {
                    Pitch::new(p.name, REFERENCE_INTERVAL_OCTAVE_FLOOR)
                } else {
                    p
                };
                fold_into(p, register)
            }
            _ => {
                let p = match token.kind {
                    NoteType::Chord => {
                        let tones = harmony.pitches();
                        tones[chooser.choose(Choice::Pitches(tones)).min(tones.len() - 1)]
                    }
                    NoteType::Scale => reference_scale_tone(harmony, chooser),
                    _ => {
                        let p = reference_scale_tone(harmony, chooser);
                        let shift = if chooser.choose(Choice::Sign) == 0 { -1 } else { 1 };
                        Pitch::from_midi(p.ps() + shift)
                    }
                };
                let p = if p.octave < REFERENCE_FREE_OCTAVE_FLOOR {
                    Pitch::new(p.name, REFERENCE_FREE_OCTAVE_FLOOR)
                } else {
                    p
                };
                fold_into(p, register)
            }
        };
        out.push(Placed { offset: cur, duration, note: Some((pitch, token.kind)) });
        prev = Some(pitch);
    }
    out
}

/// Decodes a span of tokens against chords (offsets relative to the span start):
/// the reference pipeline in Reference mode, the streaming decoder plus repeat
/// pruning in Musical mode.
pub fn decode(
    tokens: &[Token],
    chords: &[ChordEvent],
    options: DecodeOptions,
    chooser: &mut impl Chooser,
) -> Vec<Placed> {
    match options.mode {
        Mode::Reference => {
            let strings: Vec<String> = tokens.iter().map(Token::to_string).collect();
            decode_reference(&strings, chords, options, chooser).after_clean_up
        }
        Mode::Musical => {
            if chords.is_empty() {
                return Vec::new();
            }
            let harmonies: Vec<Harmony> = chords.iter().map(|c| Harmony::new(&c.keys)).collect();
            let mut decoder = Decoder::new(options);
            let mut out = Vec::with_capacity(tokens.len());
            for t in tokens {
                let pos = decoder.position();
                let i = chords.iter().rposition(|c| c.offset <= pos).unwrap_or(0);
                if let Some(p) = decoder.step(t, &harmonies[i], chooser) {
                    out.push(p);
                }
            }
            prune_notes(&out)
        }
    }
}
