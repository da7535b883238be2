//! The offline solo loop: bars of chords in, a melody out (what `improv generate` runs).

use crate::grammar::{DecodeOptions, Harmony, NoteType, PythonRandom, classify_pc, decode_reference};
use crate::improvise::{Drawn, Improviser, LiveModel, LoopedChanges, Outcome, Playing};
use crate::midi::{Conductor, NoteOut, TrackOut, write_smf};
use crate::model::{Model, Precision, Sampling, Weights};
use crate::score::{Beats, ChordEvent};
use crate::theory::symbol::name_chords_in_key;
use num_rational::Ratio;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Tempo of the reference's output (`MetronomeMark(number=130)`).
pub const REFERENCE_TEMPO: f64 = 130.0;
/// Tokens the reference generates per chord set (`Ty = 50`).
pub const REFERENCE_TOKENS: usize = 50;
/// The reference uses chord sets 1 to ⌊19/3⌋ − 1 = 5.
pub const REFERENCE_SETS: usize = 5;

pub use crate::improvise::{BEATS_PER_BAR, Changes, REFERENCE_MIDI, reference_changes};

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
    /// Improv's notes in time order.
    pub notes: Vec<SoloNote>,
    /// The musician's notes it answered (a call, or a traded solo's bars), in time
    /// order; empty for a solo of its own.
    pub call: Vec<SoloNote>,
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
    /// Turns that answer a call whose feel was heard, played in it (empty: every
    /// note in the one feel the solo is rendered with).
    pub answered: Vec<AnsweredTurn>,
}

/// A turn of Improv's that answers a call, and how the call was played.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnsweredTurn {
    /// First beat of the turn.
    pub start: f64,
    /// Beat after its last.
    pub end: f64,
    /// The feel of the call it answers.
    pub call: crate::feel::answer::CallFeel,
}

pub use crate::midi::{CHORD_PROGRAM, MELODY_PROGRAM};
const MELODY_VELOCITY: u8 = crate::feel::render::STRAIGHT_VELOCITY;
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

    /// When the last sound ends, in seconds: the last bar, or a note or chord that
    /// runs past it (the reference flow's melodies do).
    pub fn end_seconds(&self) -> f64 {
        let beat = |b: Beats| *b.numer() as f64 / *b.denom() as f64;
        let notes = self.notes.iter().map(|n| beat(n.start + n.length));
        let chords = self.chords.iter().map(|c| beat(c.start + c.length));
        let last = notes.chain(chords).fold(self.beats() as f64, f64::max);
        last * 60.0 / self.tempo
    }

    /// The melody played with `feel`, (start, length, velocity) per note in beats:
    /// each answered turn in `feel` moved toward its call's ([`Performance::answering`]),
    /// the rest in `feel` itself.
    ///
    /// [`Performance::answering`]: crate::feel::render::Performance::answering
    pub fn performed(&self, feel: &crate::feel::render::Performance) -> Vec<(f64, f64, u8)> {
        use crate::feel::render::perform;
        let beat = |b: Beats| *b.numer() as f64 / *b.denom() as f64;
        let written: Vec<(f64, f64, u8)> = self.notes.iter().map(|n| (beat(n.start), beat(n.length), n.key)).collect();
        if self.answered.is_empty() || feel.is_straight() {
            return perform(&written, feel, self.seed);
        }
        // Each stretch of notes, in or out of an answered turn, in its own feel.
        let turn_of = |s: f64| self.answered.iter().position(|t| (t.start..t.end).contains(&s));
        let mut out = Vec::with_capacity(written.len());
        let mut i = 0;
        while i < written.len() {
            let turn = turn_of(written[i].0);
            let j = (i..written.len()).find(|&j| turn_of(written[j].0) != turn).unwrap_or(written.len());
            let p = turn.map_or(*feel, |t| feel.answering(&self.answered[t].call));
            let seed = self.seed ^ turn.map_or(0, |t| (t as u64 + 1) << 32);
            out.extend(perform(&written[i..j], &p, seed));
            i = j;
        }
        out
    }

    /// The solo as a type-1 MIDI file: tempo and 4/4 in track 0, the melody (jazz
    /// guitar, channel 1), the chords (piano, channel 2) and the musician's notes
    /// if any (jazz guitar, channel 3) on tracks of their own.
    pub fn to_midi(&self) -> Vec<u8> {
        self.to_midi_with(&crate::feel::render::Performance::STRAIGHT)
    }

    /// The same, the melody played with `feel` (its onsets, note-offs and
    /// velocities on the file's 480-tick grid; the chords and the musician's notes
    /// as written). Straight is [`Solo::to_midi`] byte for byte.
    pub fn to_midi_with(&self, feel: &crate::feel::render::Performance) -> Vec<u8> {
        let tick = |x: f64| {
            Beats::new((x * crate::midi::WRITE_TPQ as f64).round().max(0.0) as i64, crate::midi::WRITE_TPQ as i64)
        };
        let melody: Vec<NoteOut> = if feel.is_straight() {
            self.notes
                .iter()
                .map(|n| NoteOut { start: n.start, length: n.length, key: n.key, velocity: MELODY_VELOCITY })
                .collect()
        } else {
            self.performed(feel)
                .into_iter()
                .zip(&self.notes)
                .map(|((start, length, velocity), n)| NoteOut {
                    start: tick(start),
                    length: tick(length).max(Beats::new(1, crate::midi::WRITE_TPQ as i64)),
                    key: n.key,
                    velocity,
                })
                .collect()
        };
        let chords = self
            .chords
            .iter()
            .flat_map(|c| {
                c.keys.iter().map(|&key| NoteOut { start: c.start, length: c.length, key, velocity: CHORD_VELOCITY })
            })
            .collect();
        let mut tracks = vec![
            TrackOut { name: "Improv solo".into(), channel: 0, program: MELODY_PROGRAM, notes: melody },
            TrackOut { name: "Changes".into(), channel: 1, program: CHORD_PROGRAM, notes: chords },
        ];
        if !self.call.is_empty() {
            let call = self
                .call
                .iter()
                .map(|n| NoteOut { start: n.start, length: n.length, key: n.key, velocity: MELODY_VELOCITY })
                .collect();
            tracks.push(TrackOut { name: "Musician".into(), channel: 2, program: MELODY_PROGRAM, notes: call });
        }
        write_smf(Conductor { bpm: self.tempo, beats_per_bar: BEATS_PER_BAR as u8 }, &tracks)
    }
}

/// Settings of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerateOptions {
    /// Bars to play (the changes loop when shorter).
    pub bars: usize,
    /// Tempo in BPM.
    pub tempo: f64,
    /// Sampling, register and guidance.
    pub style: Playing,
    /// Seed of sampling, decoding and guidance.
    pub seed: u64,
    /// The model step's weights: f16 live (the default), f32 for Keras parity and
    /// the first version's output byte for byte.
    pub precision: Precision,
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
                .map(|(at, chord)| ChordEvent {
                    offset: *at,
                    duration: Ratio::from_integer(1),
                    keys: chord.voicing(),
                    name: Some(chord.text.clone()),
                })
                .collect()
        })
        .collect()
}

/// The chords of the accompaniment: each lasts to the next chord or the bar's end.
pub(crate) fn accompaniment(changes: &Changes, bars: usize) -> Vec<SoloChord> {
    // Typed chords keep the player's symbols; the others are named in one spelling.
    let keys: Vec<&[u8]> = changes.iter().flatten().map(|c| c.keys.as_slice()).collect();
    let mut spelled = name_chords_in_key(&keys).into_iter();
    let mut names: Vec<Vec<String>> = Vec::with_capacity(changes.len());
    for bar in changes {
        names.push(
            bar.iter()
                .map(|c| (c.name.clone(), spelled.next().unwrap_or_default()))
                .map(|(t, n)| t.unwrap_or(n))
                .collect(),
        );
    }
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
                    name: names[b % changes.len()][i].clone(),
                });
            }
        }
    }
    out
}

/// Generates a solo over `changes` with one LSTM state running through the whole
/// piece (the [`Improviser`] the plugin plays with): tokens are drawn until the
/// bar's four beats are filled, a note that would cross the bar line is cut there,
/// and the next bar starts on its downbeat. Every drawn token goes to `trace`.
pub fn generate_traced(
    weights: &Weights,
    changes: &Changes,
    options: &GenerateOptions,
    trace: &mut impl FnMut(&Drawn),
) -> Solo {
    generate_to_taste(weights, changes, options, None, trace)
}

/// [`generate_traced`] playing to the player's taste: at each phrase start the
/// improviser chooses among candidate phrases ([`Improviser::set_taste`]); with
/// `None`, or a taste that does not search, the same solo as without.
pub fn generate_to_taste(
    weights: &Weights,
    changes: &Changes,
    options: &GenerateOptions,
    taste: Option<crate::taste::Taste>,
    trace: &mut impl FnMut(&Drawn),
) -> Solo {
    let live = Box::new(LiveModel::with_precision(weights, String::new(), options.precision));
    let mut improviser = Improviser::new(live, options.seed);
    improviser.set_taste(taste);
    let bars = if changes.is_empty() { 0 } else { options.bars };
    let source = LoopedChanges::new(changes);
    let mut notes = Vec::new();
    let mut generated = 0;
    improviser.fill(Ratio::from_integer(bars as i64 * BEATS_PER_BAR), &source, &options.style, &mut |d| {
        generated += 1;
        if let Outcome::Note { key, length, kind } = d.outcome {
            notes.push(SoloNote { start: d.at, length, key, kind });
        }
        trace(&d);
    });
    Solo {
        notes,
        call: Vec::new(),
        chords: accompaniment(changes, bars),
        bars,
        tempo: options.tempo,
        seed: options.seed,
        tokens: generated,
        answered: Vec::new(),
    }
}

/// [`generate_traced`] without the trace.
pub fn generate(weights: &Weights, changes: &Changes, options: &GenerateOptions) -> Solo {
    generate_traced(weights, changes, options, &mut |_| {})
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
                let kind = classify_pc(key, &harmonies[i]);
                notes.push(SoloNote { start: offset + p.offset, length: p.duration, key, kind });
            }
        }
        tokens_per_set.push(tokens);
    }
    notes.sort_by_key(|n| n.start);
    let solo = Solo {
        notes,
        call: Vec::new(),
        chords: accompaniment(&changes, REFERENCE_SETS),
        bars: REFERENCE_SETS,
        tempo: REFERENCE_TEMPO,
        seed,
        tokens: REFERENCE_SETS * REFERENCE_TOKENS,
        answered: Vec::new(),
    };
    ReferenceRun { solo, tokens_per_set }
}
