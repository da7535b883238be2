//! The offline solo loop: bars of chords in, a melody out (what `improv generate` runs).

use crate::corpus::{Corpus, CorpusOptions};
use crate::grammar::{
    DecodeOptions, Decoder, Harmony, Mode, NoteType, PythonRandom, RngChooser, Token, classify, decode_reference,
};
use crate::midi::{Conductor, NoteOut, TrackOut, write_smf};
use crate::model::{Model, Sampling, Weights};
use crate::score::{Beats, ChordEvent};
use crate::theory::symbol::name_chord;
use num_rational::Ratio;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The reference solo, embedded so that generation needs no files
/// (`data/original_metheny.mid`, from `shared/data/`).
pub const REFERENCE_MIDI: &[u8] = include_bytes!("../data/original_metheny.mid");
/// Tempo of the reference's output (`MetronomeMark(number=130)`).
pub const REFERENCE_TEMPO: f64 = 130.0;
/// Quarter notes per bar of the generated solo (the reference's 4/4).
pub const BEATS_PER_BAR: i64 = 4;
/// Tokens the reference generates per chord set (`Ty = 50`).
pub const REFERENCE_TOKENS: usize = 50;
/// The reference uses chord sets 1 to ⌊19/3⌋ − 1 = 5.
pub const REFERENCE_SETS: usize = 5;
/// A bar ends after at most this many tokens, even if rests of length zero kept
/// it from filling (a bound on the loop, never reached by the default weights).
pub const MAX_TOKENS_PER_BAR: usize = 64;

/// Chords of each bar, offsets relative to the bar's first beat.
pub type Changes = Vec<Vec<ChordEvent>>;

/// A note of the solo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoloNote {
    /// Onset in beats from the start.
    pub start: Beats,
    /// Length in beats.
    pub length: Beats,
    /// MIDI key.
    pub key: u8,
    /// What the note is against the chord sounding under it.
    pub kind: NoteType,
}

/// A chord of the accompaniment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoloChord {
    /// Onset in beats from the start.
    pub start: Beats,
    /// Length in beats.
    pub length: Beats,
    /// MIDI keys.
    pub keys: Vec<u8>,
    /// Chord symbol.
    pub name: String,
}

/// A generated piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Solo {
    /// Melody notes in time order.
    pub notes: Vec<SoloNote>,
    /// Accompaniment chords in time order.
    pub chords: Vec<SoloChord>,
    /// Bars.
    pub bars: usize,
    /// Tempo in BPM.
    pub tempo: f64,
    /// The seed that makes this solo again.
    pub seed: u64,
    /// Tokens the model generated.
    pub tokens: usize,
}

/// General MIDI program of the melody: Electric Guitar (jazz).
pub const MELODY_PROGRAM: u8 = 26;
/// General MIDI program of the chords: Acoustic Grand Piano.
pub const CHORD_PROGRAM: u8 = 0;
const MELODY_VELOCITY: u8 = 96;
const CHORD_VELOCITY: u8 = 56;

impl Solo {
    /// Length in beats.
    pub fn beats(&self) -> i64 {
        self.bars as i64 * BEATS_PER_BAR
    }

    /// Length in seconds at the solo's tempo.
    pub fn seconds(&self) -> f64 {
        self.beats() as f64 * 60.0 / self.tempo
    }

    /// The solo as a type-1 MIDI file: tempo and 4/4 in track 0, the melody (jazz
    /// guitar, channel 1) and the chords (piano, channel 2) on tracks of their own.
    pub fn to_midi(&self) -> Vec<u8> {
        let melody = self
            .notes
            .iter()
            .map(|n| NoteOut { start: n.start, length: n.length, key: n.key, velocity: MELODY_VELOCITY })
            .collect();
        let chords = self
            .chords
            .iter()
            .flat_map(|c| {
                c.keys.iter().map(|&key| NoteOut { start: c.start, length: c.length, key, velocity: CHORD_VELOCITY })
            })
            .collect();
        write_smf(
            Conductor { bpm: self.tempo, beats_per_bar: BEATS_PER_BAR as u8 },
            &[
                TrackOut { name: "Improv solo".into(), channel: 0, program: MELODY_PROGRAM, notes: melody },
                TrackOut { name: "Changes".into(), channel: 1, program: CHORD_PROGRAM, notes: chords },
            ],
        )
    }
}

/// Settings of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerateOptions {
    /// Bars to play (the changes loop when shorter).
    pub bars: usize,
    /// Tempo in BPM.
    pub tempo: f64,
    /// Temperature and top-k.
    pub sampling: Sampling,
    /// Seed of sampling and decoding.
    pub seed: u64,
    /// Register of the melody.
    pub low: u8,
    /// Register of the melody.
    pub high: u8,
}

/// The reference's 18 bars of changes (bars 120–137 of the reference file), each
/// chord at its offset in the bar (a chord carried from the bar before starts at 0).
pub fn reference_changes() -> Changes {
    let corpus = Corpus::from_bytes(REFERENCE_MIDI, &CorpusOptions::default()).expect("the embedded reference file");
    corpus
        .measures
        .iter()
        .map(|m| {
            m.chords
                .iter()
                .map(|c| ChordEvent { offset: (c.offset - m.start).max(Ratio::from_integer(0)), ..c.clone() })
                .collect()
        })
        .collect()
}

/// The changes of a MIDI file's chord track (see [`crate::corpus::chord_bars`]).
pub fn changes_from_midi(
    bytes: &[u8],
    chord_track: Option<&str>,
) -> Result<(Changes, String), crate::corpus::CorpusError> {
    crate::corpus::chord_bars(bytes, chord_track, Ratio::from_integer(BEATS_PER_BAR))
}

/// Converts parsed chord symbols to changes.
pub fn changes_from_symbols(bars: &[crate::theory::symbol::Bar]) -> Changes {
    bars.iter()
        .map(|bar| {
            bar.iter()
                .map(|(at, chord)| ChordEvent { offset: *at, duration: Ratio::from_integer(1), keys: chord.voicing() })
                .collect()
        })
        .collect()
}

/// The chords of the accompaniment: each lasts to the next chord or the bar's end.
fn accompaniment(changes: &Changes, bars: usize) -> Vec<SoloChord> {
    let mut out = Vec::new();
    for b in 0..bars {
        let bar = &changes[b % changes.len()];
        let start = Ratio::from_integer(b as i64 * BEATS_PER_BAR);
        for (i, c) in bar.iter().enumerate() {
            let end = bar.get(i + 1).map_or(Ratio::from_integer(BEATS_PER_BAR), |n| n.offset);
            if end > c.offset {
                out.push(SoloChord {
                    start: start + c.offset,
                    length: end - c.offset,
                    keys: c.keys.clone(),
                    name: name_chord(&c.keys),
                });
            }
        }
    }
    out
}

/// Generates a solo over `changes` with one LSTM state running through the whole
/// piece: tokens are drawn until the bar's four beats are filled, a note that
/// would cross the bar line is cut there, and the next bar starts on its downbeat.
pub fn generate(weights: &Weights, changes: &Changes, options: &GenerateOptions) -> Solo {
    let model = Model::new(&weights.params);
    let tokens: Vec<Token> =
        weights.vocabulary.values().iter().map(|v| Token::parse(v).expect("validated vocabulary")).collect();
    let mut state = model.zero_state();
    let mut sample_rng = StdRng::seed_from_u64(options.seed);
    let mut chooser = RngChooser(StdRng::seed_from_u64(options.seed.wrapping_add(1)));
    let decode = DecodeOptions { mode: Mode::Musical, low: options.low, high: options.high };
    let mut decoder = Decoder::new(decode);
    let mut notes = Vec::new();
    let mut prev: Option<usize> = None;
    let mut generated = 0;
    let bars = if changes.is_empty() { 0 } else { options.bars };
    for b in 0..bars {
        let bar = &changes[b % changes.len()];
        if bar.is_empty() {
            continue;
        }
        let harmonies: Vec<Harmony> = bar.iter().map(|c| Harmony::new(&c.keys)).collect();
        let start = Ratio::from_integer(b as i64 * BEATS_PER_BAR);
        let end = start + BEATS_PER_BAR;
        decoder.set_position(start);
        for _ in 0..MAX_TOKENS_PER_BAR {
            if decoder.position() >= end {
                break;
            }
            model.step(&mut state, prev);
            let next = state.sample(options.sampling, &mut sample_rng);
            prev = Some(next);
            generated += 1;
            let at = decoder.position() - start;
            let i = bar.iter().rposition(|c| c.offset <= at).unwrap_or(0);
            let placed = decoder.step(&tokens[next], &harmonies[i], &mut chooser);
            if let Some((placed, key)) = placed.and_then(|p| p.key().map(|k| (p, k))) {
                let length = placed.duration.min(end - placed.offset);
                let kind = classify(key, &harmonies[i]);
                notes.push(SoloNote { start: placed.offset, length, key, kind });
            }
        }
    }
    Solo {
        notes,
        chords: accompaniment(changes, bars),
        bars,
        tempo: options.tempo,
        seed: options.seed,
        tokens: generated,
    }
}

/// The reference's `generate_music`, reproduced: for chord sets 1–5, 50 greedy
/// tokens from a zero state (the same 50 every time), the `C,0.25` prefix,
/// Reference decoding with CPython's generator seeded once, each set 4 beats after
/// the last — so the sets' melodies overlap, as in the reference.
pub struct ReferenceRun {
    /// The piece.
    pub solo: Solo,
    /// The tokens generated for each chord set.
    pub tokens_per_set: Vec<Vec<String>>,
}

/// Runs the reference flow with the given weights and seed.
pub fn generate_reference(weights: &Weights, seed: u64) -> ReferenceRun {
    let model = Model::new(&weights.params);
    let changes = reference_changes();
    let mut python = PythonRandom::seeded(seed);
    let mut notes = Vec::new();
    let mut tokens_per_set = Vec::new();
    let mut rng = StdRng::seed_from_u64(0); // unused by greedy sampling
    for (set, chords) in changes.iter().enumerate().take(REFERENCE_SETS) {
        let mut state = model.zero_state();
        let mut prev = None;
        let mut tokens = Vec::with_capacity(REFERENCE_TOKENS);
        for _ in 0..REFERENCE_TOKENS {
            model.step(&mut state, prev);
            let next = state.sample(Sampling::GREEDY, &mut rng);
            tokens.push(weights.vocabulary.value(next).expect("index in vocabulary").to_string());
            prev = Some(next);
        }
        let trace = decode_reference(&tokens, chords, DecodeOptions::reference(), &mut python);
        let offset = Ratio::from_integer(set as i64 * BEATS_PER_BAR);
        let harmonies: Vec<Harmony> = chords.iter().map(|c| Harmony::new(&c.keys)).collect();
        for p in &trace.after_clean_up {
            if let Some(key) = p.key() {
                let i = chords.iter().rposition(|c| c.offset <= p.offset).unwrap_or(0);
                let kind = classify(key, &harmonies[i]);
                notes.push(SoloNote { start: offset + p.offset, length: p.duration, key, kind });
            }
        }
        tokens_per_set.push(tokens);
    }
    notes.sort_by_key(|n| n.start);
    let solo = Solo {
        notes,
        chords: accompaniment(&changes, REFERENCE_SETS),
        bars: REFERENCE_SETS,
        tempo: REFERENCE_TEMPO,
        seed,
        tokens: REFERENCE_SETS * REFERENCE_TOKENS,
    };
    ReferenceRun { solo, tokens_per_set }
}
