//! The live engine: held chords in, a melody out, in time with a transport.
//!
//! Framework-free (the nice-plug shell in `plugin/mod.rs` feeds it), and
//! real-time safe: every buffer is allocated in [`Engine::new`]; a block does a
//! bounded amount of work (the [`Improviser`] draws at most
//! [`MAX_TOKENS_PER_BAR`](crate::improvise::MAX_TOKENS_PER_BAR) tokens a bar, and
//! a block fills at most the beats it reaches) and allocates nothing.

use super::collide::{self, Passed};
use crate::feel::answer::{CallFeel, CallRecorder};
use crate::grammar::{Harmony, MAX_CHORD_TONES, NoteType};
pub use crate::improvise::LiveModel;
use crate::improvise::listen::{Call, Heard, Turns};
use crate::improvise::{
    BEATS_PER_BAR, ChangeSource, Guidance, HeldChord, Improviser, LoopedChanges, Outcome, Playing, reference_changes,
};
use crate::model::Sampling;
use crate::score::Beats;
use num_rational::Ratio;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
/// Generated notes waiting to be played.
pub const QUEUE: usize = 64;
/// Output events per block (generated notes and passed-through input).
pub const MAX_EVENTS: usize = 1024;
/// A position more than this many beats away from where the last block ended is a
/// jump (loop, seek): the schedule is re-anchored.
pub const JUMP_TOLERANCE_BEATS: f64 = 1e-3;
/// A start or jump this little after a beat (a host's latency offset, a loop seam a
/// few samples late) counts as that beat: its notes still sound.
pub const BEAT_TOLERANCE: f64 = 0.05;

/// Where the chords come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChordSource {
    /// The notes held on the input (the last chord stays when all are released).
    Held,
    /// The reference's 18 bars of changes, looped.
    Progression,
    /// The tonic seventh chord of a fixed key and mode.
    Key,
}

/// Modes for [`ChordSource::Key`], with the tonic chord they imply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Ionian: maj7.
    Major,
    /// Dorian: m7.
    Dorian,
    /// Mixolydian: 7.
    Mixolydian,
    /// Aeolian: m7.
    Minor,
}

impl KeyMode {
    /// Pitch classes above the tonic of the mode's tonic seventh chord.
    fn chord(self) -> [u8; 4] {
        match self {
            KeyMode::Major => [0, 4, 7, 11],
            KeyMode::Dorian | KeyMode::Minor => [0, 3, 7, 10],
            KeyMode::Mixolydian => [0, 4, 7, 10],
        }
    }
}

/// How the line is played (the plugin's Feel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeelMode {
    /// The feel learned from the WJD's solos at the host's tempo: swung eighth
    /// pairs, laid-back onsets, articulation, louder high notes and "and" accents
    /// (the phrase's shape is not known ahead live, so it is left out).
    Auto,
    /// On the grid, each note its written length, at the Velocity setting.
    Straight,
    /// Swing, Gate, Velocity, Humanize and Lay back as set (the plugin before feel).
    Manual,
}

/// How Improv listens to the musician.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenMode {
    /// Improv always plays; every note in is part of the chord (the first version).
    Accompany,
    /// Bars alternate between the musician and Improv; Improv answers each turn.
    Trade,
    /// Improv answers when the musician has been silent for a bar and stops when
    /// they play again.
    Answer,
}

/// How the melody is told from the chords in one MIDI stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    /// Keys at or above the split key are the melody, below it the chords.
    Key,
    /// Notes on the melody channel are the melody, the others the chords.
    Channel,
}

/// Listening settings (trading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// Accompany, trade or answer.
    pub mode: ListenMode,
    /// Bars in a turn when trading (1, 2, 4 or 8).
    pub trade_bars: u8,
    /// When trading, the musician plays the first turn (of the host's bar grid).
    pub musician_starts: bool,
    /// How the melody is told from the chords.
    pub split_by: SplitBy,
    /// With [`SplitBy::Key`]: the lowest melody key (default C4, MIDI 60).
    pub split_key: u8,
    /// With [`SplitBy::Channel`]: the melody channel, 0..=15.
    pub melody_channel: u8,
}

impl Default for Listen {
    fn default() -> Self {
        Self {
            mode: ListenMode::Accompany,
            trade_bars: 4,
            musician_starts: true,
            split_by: SplitBy::Key,
            split_key: 60,
            melody_channel: 0,
        }
    }
}

impl Listen {
    /// True if an input note is the musician's melody (never when accompanying).
    pub fn is_melody(&self, msg: &NoteMsg) -> bool {
        match (self.mode, self.split_by) {
            (ListenMode::Accompany, _) => false,
            (_, SplitBy::Key) => msg.key >= self.split_key,
            (_, SplitBy::Channel) => msg.channel == self.melody_channel,
        }
    }
}

/// Who is playing now (for the editor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Turn {
    /// Not playing (stopped, or no chord yet).
    #[default]
    Idle,
    /// Improv plays over the chords (accompanying).
    Improv,
    /// The musician's turn: Improv is silent and listens.
    Listening,
    /// Improv answers what it heard.
    Answering,
}

/// Per-block settings (the plugin's parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Temperature and top-k.
    pub sampling: Sampling,
    /// Seed used when "same solo every play" is on.
    pub seed: u64,
    /// Reseed at every play start, so the same chords give the same solo.
    pub same_solo: bool,
    /// Register of the melody (before the octave shift).
    pub low: u8,
    /// Register of the melody.
    pub high: u8,
    /// Octaves to shift the output by.
    pub octave: i8,
    /// Note-on velocity, 1..=127.
    pub velocity: u8,
    /// Random velocity variation, 0..=1 (fraction of the velocity).
    pub humanize: f32,
    /// Fraction of each note's length that sounds, 0.05..=1.
    pub gate: f32,
    /// Delay of off-beat eighths: 0 = straight, 1 = triplet swing (Manual feel).
    pub swing: f32,
    /// How the line is played: the learned feel, straight, or the settings above.
    pub feel: FeelMode,
    /// Every onset this many milliseconds late (Manual feel).
    pub lay_back_ms: f32,
    /// Output MIDI channel, 0..=15.
    pub channel: u8,
    /// Where the chords come from.
    pub chord_source: ChordSource,
    /// Tonic pitch class for [`ChordSource::Key`].
    pub key: u8,
    /// Mode for [`ChordSource::Key`].
    pub mode: KeyMode,
    /// Play at `free_tempo` when the host gives no transport.
    pub free_run: bool,
    /// Tempo of free run, BPM.
    pub free_tempo: f64,
    /// Musical guidance.
    pub guidance: Guidance,
    /// Listening (trading with the musician).
    pub listen: Listen,
    /// The jazz style a model that hears plays in.
    pub style: crate::hearing::JazzStyle,
    /// The masters' model improvises (else the seed model, or a loaded file).
    pub masters: bool,
    /// How much the player's taste picks the phrases (0: no search, the draw as
    /// without ratings).
    pub taste: f32,
    /// Candidate phrases drawn for each phrase to taste.
    pub candidates: usize,
}

impl Settings {
    /// How the improviser plays a model that hears (`hears`) or not: a top-k of 0
    /// is Auto, the model's own ([`crate::improvise::default_top_k`]).
    pub fn playing(&self, hears: bool) -> Playing {
        let top_k = match self.sampling.top_k {
            AUTO_TOP_K => crate::improvise::default_top_k(hears),
            k => k,
        };
        Playing {
            sampling: Sampling { top_k, ..self.sampling },
            low: self.low.min(self.high),
            high: self.high.max(self.low),
            guidance: self.guidance,
            style: self.style,
        }
    }
}

/// The Top-k parameter's Auto: the model's own top-k (16 for the seed model, all
/// values for the masters'); the seed model's all 90 values are the top of the
/// parameter's range.
pub const AUTO_TOP_K: usize = 0;

impl Default for Settings {
    fn default() -> Self {
        Self {
            sampling: Sampling { temperature: 0.9, top_k: AUTO_TOP_K },
            seed: 1,
            same_solo: false,
            low: crate::grammar::DEFAULT_REGISTER.0,
            high: crate::grammar::DEFAULT_REGISTER.1,
            octave: 0,
            velocity: 100,
            humanize: 0.1,
            gate: 0.9,
            swing: 0.0,
            feel: FeelMode::Manual,
            lay_back_ms: 0.0,
            channel: 0,
            chord_source: ChordSource::Held,
            key: 0,
            mode: KeyMode::Dorian,
            free_run: false,
            free_tempo: 120.0,
            guidance: Guidance::DEFAULT,
            listen: Listen::default(),
            style: crate::hearing::JazzStyle::All,
            masters: false,
            taste: 0.0,
            candidates: crate::taste::DEFAULT_CANDIDATES,
        }
    }
}

/// What the host says about time for this block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransportInfo {
    /// The transport is running.
    pub playing: bool,
    /// Tempo, if known.
    pub tempo: Option<f64>,
    /// Position of the block's first sample in quarter notes, if known.
    pub pos_beats: Option<f64>,
}

/// An input or output note event, `timing` in samples from the block start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteMsg {
    /// Sample offset in the block.
    pub timing: u32,
    /// Note-on (true) or note-off.
    pub on: bool,
    /// MIDI channel 0..=15.
    pub channel: u8,
    /// MIDI key.
    pub key: u8,
    /// Velocity 0..=1.
    pub velocity: f32,
    /// Improv's line (false: the player's input, or a note passed through).
    pub line: bool,
}

impl NoteMsg {
    /// A note event of the player's (input, or passed through).
    pub fn input(timing: u32, on: bool, channel: u8, key: u8, velocity: f32) -> Self {
        Self { timing, on, channel, key, velocity, line: false }
    }

    /// A note event of Improv's line.
    fn line(timing: u32, on: bool, channel: u8, key: u8, velocity: f32) -> Self {
        Self { timing, on, channel, key, velocity, line: true }
    }
}

/// A generated note, reported for the editor's piano roll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayedNote {
    /// Onset in beats (host timeline).
    pub start: f64,
    /// Length in beats.
    pub length: f64,
    /// MIDI key as sent.
    pub key: u8,
    /// What it is against the chord.
    pub kind: NoteType,
    /// The musician played it (a note Improv heard), not Improv.
    pub heard: bool,
    /// Improv's note as drawn (on the grid, before feel and the octave): what a
    /// rating of its phrase describes. `None` for a note heard.
    pub drawn: Option<crate::taste::PhraseNote>,
}

/// Order of events at the same sample: the line's note-offs, the input's note-offs,
/// the input's note-ons, the line's note-ons, then a line note's own note-off when
/// it ends in the sample it starts.
const RANK_LINE_OFF: u8 = 0;
const RANK_INPUT_OFF: u8 = 1;
const RANK_INPUT_ON: u8 = 2;
const RANK_LINE_ON: u8 = 3;
const RANK_OWN_OFF: u8 = 4;
/// A moved line note that found no free key.
const LEFT_OUT: u8 = u8::MAX;

/// One of the line's note-ons (with its note) or note-offs in a block.
#[derive(Debug, Clone, Copy)]
struct Action {
    timing: u32,
    rank: u8,
    key: u8,
    id: u64,
    note: Option<Queued>,
}

#[derive(Debug, Clone, Copy)]
struct Queued {
    start: f64,
    end: f64,
    key: u8,
    velocity: f32,
    kind: NoteType,
    /// Generated in this fill, still on the grid (Auto feel plays it afterwards).
    fresh: bool,
    /// The note as drawn (on the grid, before feel and the octave), for rating.
    drawn: crate::taste::PhraseNote,
}

/// The tonic seventh chord of the fixed key and mode, bass in octave 2.
fn key_chord(settings: &Settings) -> Harmony {
    let tonic = 48 + (settings.key % 12);
    let shape = settings.mode.chord();
    Harmony::new(&[tonic - 12, tonic + shape[1], tonic + shape[2], tonic + shape[3]])
}

/// The live improviser.
pub struct Engine {
    improviser: Improviser,
    human_rng: SmallRng,
    held: [bool; 128],
    chord: [u8; MAX_CHORD_TONES],
    chord_len: usize,
    held_chord: HeldChord,
    progression: LoopedChanges,
    /// The chord the line is playing over now (for the editor), lowest key first.
    shown: [u8; MAX_CHORD_TONES],
    shown_len: usize,
    queue: [Option<Queued>; QUEUE],
    /// End beat of each sounding output key (NaN: silent).
    sounding: [f64; 128],
    sounding_channel: [u8; 128],
    /// Which of the line's notes each sounding key is.
    sounding_id: [u64; 128],
    /// Number of the last line note scheduled.
    next_id: u64,
    /// Keys the passed-through input holds, per channel.
    passed: Passed,
    /// The line's note-ons and note-offs of the block (sized once).
    actions: Vec<Action>,
    /// Line notes of the block moved off a taken key (or left out).
    moved: [(u64, u8); QUEUE],
    moved_len: usize,
    /// The key of the line's last note-on, before any move.
    last_line_key: Option<u8>,
    /// The feel learned from the WJD's solos, per style (Auto plays the Style's).
    learned: crate::feel::FeelTable,
    /// The other embedded model, for a Model switch on the audio thread (a swap
    /// of boxes: nothing is allocated or freed there).
    spare: Option<Box<LiveModel>>,
    /// The tempo of the block being processed.
    tempo: f64,
    running: bool,
    expected: f64,
    /// Beat up to which notes have been generated.
    generated_to: f64,
    free_pos: f64,
    panic: bool,
    events: Vec<NoteMsg>,
    played: Vec<PlayedNote>,
    /// The musician's call being heard.
    call: Call,
    /// The call in tokens, encoded as the musician plays (sized once).
    heard: Heard,
    /// Tokens of `heard` already stepped through the model.
    stepped: usize,
    /// Trading: the last turn (index) Improv has started answering.
    answered_turn: Option<i64>,
    /// Answer mode: where the answer being played ends (beats).
    answer_end: Option<f64>,
    /// Beat of the musician's last note-on or note-off.
    last_heard: f64,
    /// The call as played (unquantised onsets, lengths, velocities), for its feel.
    call_played: CallRecorder,
    /// The feel of the call being answered (Auto feel moves toward it) and the
    /// beat its answer started.
    answer_feel: Option<(CallFeel, f64)>,
    /// The feel of the last call, until the plugin shell passes it to the editor.
    news: Option<CallFeel>,
    /// No note Improv plays sounds at or after this beat (its turn's end).
    limit: f64,
    turn: Turn,
    /// The line's notes as drawn, for rating its phrases.
    phrases: super::rating::PhraseLog,
    /// What the player's ratings say (`None`: no ratings, taste off).
    preference: Option<crate::taste::Preference>,
    /// The taste the improviser plays to now.
    taste: Option<crate::taste::Taste>,
    /// Tokens the taste search may still draw (earned with the blocks' length).
    search_credit: f64,
    /// Tokens the line drew in this block (they use the search's share of it).
    block_tokens: usize,
}

/// Tokens the taste search draws a second at most ([`SEARCH_TOKENS_PER_BLOCK`] a
/// 512-sample block at 48 kHz): with the line's own, a block stays inside its
/// share of the CPU.
pub const SEARCH_TOKENS_PER_SECOND: f64 = SEARCH_TOKENS_PER_BLOCK as f64 * 48_000.0 / 512.0;
/// Tokens a block's search and line draw together at most (the line may draw
/// more; then the search waits). A guided token of the masters' model costs about
/// 14 µs: 5 keep the dearest block near 70 µs (6 measured 85 µs, 100–120 µs in
/// criterion's runs against the 107 µs target; `benches/plugin.rs`).
pub const SEARCH_TOKENS_PER_BLOCK: usize = 5;

/// The learned feel of the WJD's solos (`weights/feel.json`, embedded).
fn learned_feel() -> crate::feel::FeelTable {
    serde_json::from_str(crate::feel::render::FEEL_JSON).expect("the embedded feel table is valid (tested)")
}

fn beats_of(x: Beats) -> f64 {
    *x.numer() as f64 / *x.denom() as f64
}

impl Engine {
    /// An engine around a model; allocates every buffer it will use.
    pub fn new(model: Box<LiveModel>) -> Self {
        let mut engine = Self {
            improviser: Improviser::new(model, Settings::default().seed),
            human_rng: SmallRng::seed_from_u64(3),
            held: [false; 128],
            chord: [0; MAX_CHORD_TONES],
            chord_len: 0,
            held_chord: HeldChord { harmony: None, since: None },
            progression: LoopedChanges::new(&reference_changes()),
            shown: [0; MAX_CHORD_TONES],
            shown_len: 0,
            queue: [None; QUEUE],
            sounding: [f64::NAN; 128],
            sounding_channel: [0; 128],
            sounding_id: [0; 128],
            next_id: 0,
            passed: Passed::default(),
            actions: Vec::with_capacity(128 + 2 * QUEUE),
            moved: [(0, 0); QUEUE],
            moved_len: 0,
            last_line_key: None,
            learned: learned_feel(),
            spare: None,
            tempo: 120.0,
            running: false,
            expected: 0.0,
            generated_to: 0.0,
            free_pos: 0.0,
            panic: false,
            events: Vec::with_capacity(MAX_EVENTS),
            played: Vec::with_capacity(QUEUE),
            call: Call::default(),
            heard: Heard::default(),
            stepped: 0,
            answered_turn: None,
            answer_end: None,
            last_heard: f64::NEG_INFINITY,
            call_played: CallRecorder::default(),
            answer_feel: None,
            news: None,
            limit: f64::INFINITY,
            turn: Turn::Idle,
            phrases: Default::default(),
            preference: None,
            taste: None,
            search_credit: 0.0,
            block_tokens: 0,
        };
        // Live, the taste search runs a few tokens a block, never all at a phrase start.
        engine.improviser.set_search_ahead(true);
        engine
    }

    /// What the player's ratings say (from the ratings file, fitted off the audio
    /// thread); `None` turns taste off.
    pub fn set_preference(&mut self, preference: Option<crate::taste::Preference>) {
        self.preference = preference;
    }

    /// How many phrases started to taste with the search's winner, and how many
    /// without (it had no breath to search in, or too short a one).
    pub fn taste_searches(&self) -> (usize, usize) {
        self.improviser.taste_searches()
    }

    /// Rates the phrase Improv is playing or last played ([`super::rating`]):
    /// the request to save, or `None` if there is none or it was rated already.
    pub fn rate_last_phrase(
        &mut self,
        verdict: crate::taste::ratings::Verdict,
        from_automation: bool,
    ) -> Option<&super::rating::RateRequest> {
        let now = (self.expected * crate::improvise::grid::TICKS_PER_BEAT as f64).floor() as i64;
        self.phrases.rate(verdict, now, from_automation)
    }

    /// Plays to the taste the settings and the ratings ask for (the search starts
    /// afresh when it changes).
    fn follow_taste(&mut self, settings: &Settings) {
        let taste = self.preference.filter(|_| settings.taste > 0.0).map(|preference| crate::taste::Taste {
            weight: settings.taste.clamp(0.0, 1.0),
            candidates: settings.candidates.clamp(1, crate::taste::MAX_CANDIDATES),
            preference,
        });
        if taste != self.taste {
            self.taste = taste;
            self.improviser.set_taste(taste);
        }
    }

    /// Moves the taste search on by the block's share of tokens, less those the
    /// line drew in it.
    fn search(&mut self, len: u32, sample_rate: f32, settings: &Settings) {
        let earned = len as f64 / sample_rate.max(1.0) as f64 * SEARCH_TOKENS_PER_SECOND;
        self.search_credit = (self.search_credit + earned).min(SEARCH_TOKENS_PER_BLOCK as f64);
        let budget = (self.search_credit as usize).saturating_sub(std::mem::take(&mut self.block_tokens));
        if self.taste.is_none() || budget == 0 || !self.has_chord(settings) {
            return;
        }
        self.search_credit -= budget as f64;
        let style = settings.playing(self.improviser.model().hears());
        match settings.chord_source {
            ChordSource::Held => self.improviser.search_ahead(budget, &self.held_chord, &style),
            ChordSource::Progression => self.improviser.search_ahead(budget, &self.progression, &style),
            ChordSource::Key => {
                let key = HeldChord { harmony: Some(key_chord(settings)), since: None };
                self.improviser.search_ahead(budget, &key, &style)
            }
        }
    }

    /// Who is playing now.
    pub fn turn(&self) -> Turn {
        self.turn
    }

    /// The feel of the call last answered, once (for the editor: "you swung …").
    pub fn take_heard_feel(&mut self) -> Option<CallFeel> {
        self.news.take()
    }

    /// The host's tempo in the last block (BPM).
    pub fn tempo(&self) -> f64 {
        self.tempo
    }

    /// Swaps in another model and returns the old one (to be dropped off the audio
    /// thread). The melody restarts from a fresh state.
    pub fn swap_model(&mut self, model: Box<LiveModel>) -> Box<LiveModel> {
        self.improviser.swap_model(model)
    }

    /// The model in use.
    pub fn model_source(&self) -> &str {
        &self.improviser.model().source
    }

    /// Keeps `model` beside the one in use, for the Model switch; returns the
    /// spare it replaces (main thread: drop it there).
    pub fn set_spare(&mut self, model: Option<Box<LiveModel>>) -> Option<Box<LiveModel>> {
        std::mem::replace(&mut self.spare, model)
    }

    /// The spare model's source, if there is one.
    pub fn spare_source(&self) -> Option<&str> {
        self.spare.as_deref().map(|m| m.source.as_str())
    }

    /// Follows the Model switch: if the spare is the kind asked for (a model that
    /// hears for the masters') and the one in use is not, they change places.
    /// Allocation-free; the line restarts from a fresh state.
    fn follow_model_switch(&mut self, masters: bool) {
        if self.improviser.model().hears() == masters || self.spare.as_ref().is_none_or(|s| s.hears() != masters) {
            return;
        }
        if let Some(spare) = self.spare.take() {
            self.spare = Some(self.improviser.swap_model(spare));
        }
    }

    /// The keys of the chord the line is playing over now (held notes, the built-in
    /// progression's chord or the fixed key's), lowest first.
    pub fn chord(&self) -> &[u8] {
        &self.shown[..self.shown_len]
    }

    /// Updates the chord shown for a position.
    fn show_chord(&mut self, beat: f64, settings: &Settings) {
        // Held notes are shown as held (with their octaves), the others as voiced.
        let harmony = match settings.chord_source {
            ChordSource::Held => None,
            _ => self.harmony_at(beat, settings),
        };
        match harmony {
            Some(h) => {
                self.shown_len = 0;
                for p in h.pitches() {
                    self.shown[self.shown_len] = p.ps().clamp(0, 127) as u8;
                    self.shown_len += 1;
                }
                self.shown[..self.shown_len].sort_unstable();
            }
            None => {
                self.shown[..self.chord_len].copy_from_slice(&self.chord[..self.chord_len]);
                self.shown_len = self.chord_len;
            }
        }
    }

    /// Releases every sounding note at the start of the next block.
    pub fn panic(&mut self) {
        self.panic = true;
    }

    /// Notes generated in the last block (for the editor).
    pub fn played(&self) -> &[PlayedNote] {
        &self.played
    }

    /// Forgets the transport (on reset/deactivate); sounding notes are released
    /// at the next block.
    pub fn reset(&mut self) {
        self.running = false;
        self.queue = [None; QUEUE];
        self.panic = true;
        self.passed.clear();
    }

    fn restart(&mut self, at: f64, settings: &Settings) {
        if settings.same_solo {
            self.improviser.restart(settings.seed);
            self.human_rng = SmallRng::seed_from_u64(settings.seed.wrapping_add(2));
        }
        self.reanchor(at);
    }

    /// Drops what was scheduled and generates again from the beat at `at` (if `at`
    /// is within [`BEAT_TOLERANCE`] after it), else from the next beat.
    fn reanchor(&mut self, at: f64) {
        self.queue = [None; QUEUE];
        let start = if at - at.floor() < BEAT_TOLERANCE { at.floor() } else { at.ceil() };
        self.generated_to = start;
        self.improviser.seek(start as i64);
        self.phrases.clear();
        // A call heard across a jump is not one phrase; turns are counted afresh.
        self.call.clear();
        self.heard.clear();
        self.stepped = 0;
        self.answered_turn = None;
        self.answer_end = None;
        self.last_heard = f64::NEG_INFINITY;
        self.call_played.clear();
        self.answer_feel = None;
        self.improviser.stop_answering();
    }

    /// The chord sounding at `beat` for the chord source.
    fn harmony_at(&self, beat: f64, settings: &Settings) -> Option<Harmony> {
        match settings.chord_source {
            ChordSource::Held => self.held_chord.harmony,
            ChordSource::Progression => {
                self.progression.chord_at(Ratio::new((beat * 12.0).floor() as i64, 12)).map(|s| s.harmony)
            }
            ChordSource::Key => Some(key_chord(settings)),
        }
    }

    /// A note of the musician's melody at `beat`: heard into the call. In Answer
    /// mode a note-on stops the answer at once (every sounding note released at
    /// its time in the block).
    fn hear(&mut self, msg: &NoteMsg, beat: f64, settings: &Settings) {
        let key = msg.key & 0x7f;
        self.last_heard = beat;
        if msg.on {
            if settings.listen.mode == ListenMode::Answer && self.answer_end.take().is_some() {
                self.queue = [None; QUEUE];
                self.release_all(msg.timing);
                self.improviser.stop_answering();
                self.turn = Turn::Listening;
            }
            let harmony = self.harmony_at(beat, settings);
            self.call.note_on(beat, key, harmony);
            self.call_played.note_on(beat, key, (msg.velocity.clamp(0.0, 1.0) * 127.0).round() as u8);
            // The notes before this one are complete: encode them now, and step them
            // through the model while Improv is silent, so the block that starts the
            // answer has little left to do.
            self.listen(self.call.open_start());
            if matches!(self.turn, Turn::Listening | Turn::Idle) {
                self.step_heard();
            }
        } else {
            let before = self.call.notes().len();
            self.call.note_off(beat, key);
            self.call_played.note_off(beat, key);
            if let Some(n) = self.call.notes().get(before).copied()
                && self.played.len() < self.played.capacity()
            {
                let kind = n.harmony.map_or(NoteType::Other, |h| crate::grammar::classify_pc(n.key, &h));
                let (start, end) = (n.start as f64 / 12.0, n.end as f64 / 12.0);
                self.played.push(PlayedNote { start, length: end - start, key: n.key, kind, heard: true, drawn: None });
            }
        }
    }

    /// Encodes the call's notes whose tokens are known (`next`: the onset after the
    /// last heard note, if known).
    fn listen(&mut self, next: Option<i64>) {
        // Each note is classified against the chord recorded with it.
        let none = HeldChord { harmony: None, since: None };
        self.heard.advance(self.call.notes(), next, &none, self.improviser.model());
    }

    /// Steps the encoded tokens not yet heard through the model.
    fn step_heard(&mut self) {
        let (tokens, steps) = (self.heard.tokens(), self.heard.steps());
        let from = self.stepped.min(tokens.len());
        self.improviser.hear(&tokens[from..], &steps[from..]);
        self.stepped = tokens.len();
    }

    /// Starts answering at beat `at` (a downbeat) until `end`: the rest of the call
    /// is encoded and stepped through the model, and its opening restated.
    fn start_answer(&mut self, at: f64, end: f64) {
        let until = (at * 12.0).round() as i64;
        self.call.close(until);
        self.listen(Some(until));
        self.step_heard();
        let last_key = self.call.notes().last().map(|n| n.key);
        let plan = if self.heard.notes > 0 { self.heard.answer_plan() } else { Default::default() };
        self.improviser.answer(at as i64, end as i64, &plan, last_key);
        self.improviser.answer_shape(if self.heard.notes > 0 { self.heard.shape() } else { &[] });
        let feel = self.call_played.close(at);
        self.answer_feel = None;
        if feel.notes > 0 {
            self.answer_feel = Some((feel, at));
            self.news = Some(feel);
        }
        self.call.clear();
        self.heard.clear();
        self.stepped = 0;
    }

    /// Plays (or listens) until `until` (a beat), as the listen mode says.
    fn play_until(&mut self, until: f64, settings: &Settings) {
        let beats_per_bar = BEATS_PER_BAR as f64;
        match settings.listen.mode {
            ListenMode::Accompany => {
                self.turn = Turn::Improv;
                self.limit = f64::INFINITY;
                self.fill(until, settings);
            }
            ListenMode::Trade => {
                let n = settings.listen.trade_bars.clamp(1, 8) as i64;
                // Each pass moves on to `until` or a turn's end: at most a few a block.
                while self.generated_to < until {
                    let at = self.generated_to;
                    let bar = (at / beats_per_bar).floor() as i64;
                    let turn = bar.div_euclid(n);
                    let end = ((turn + 1) * n) as f64 * beats_per_bar;
                    let to = end.min(until);
                    let turns = Turns { bars: n as usize, musician_starts: settings.listen.musician_starts };
                    if turns.musician_plays(bar) {
                        self.turn = Turn::Listening;
                        self.generated_to = to;
                        continue;
                    }
                    if self.answered_turn != Some(turn) {
                        self.answered_turn = Some(turn);
                        self.start_answer(at, end);
                    }
                    self.turn = Turn::Answering;
                    self.limit = end;
                    self.fill(to, settings);
                }
            }
            ListenMode::Answer => {
                while self.generated_to < until {
                    let at = self.generated_to;
                    if let Some(end) = self.answer_end.filter(|&e| at < e) {
                        let to = end.min(until);
                        self.turn = Turn::Answering;
                        self.limit = end;
                        self.fill(to, settings);
                        if to >= end {
                            self.answer_end = None;
                            self.improviser.stop_answering();
                        }
                        continue;
                    }
                    let downbeat = at.rem_euclid(beats_per_bar) == 0.0;
                    let silent = !self.call.sounding() && self.last_heard <= at - beats_per_bar;
                    if let (true, true, Some(first), Some(last)) =
                        (downbeat, silent, self.call.first_start(), self.call.last_end())
                    {
                        // As many bars as the call took, 1 to 8.
                        let bar_ticks = 12.0 * beats_per_bar;
                        let bars = (((last - first) as f64 / bar_ticks).ceil()).clamp(1.0, 8.0);
                        let end = at + bars * beats_per_bar;
                        self.start_answer(at, end);
                        self.answer_end = Some(end);
                        continue;
                    }
                    self.turn = Turn::Listening;
                    let next = ((at / beats_per_bar).floor() + 1.0) * beats_per_bar;
                    self.generated_to = next.min(until);
                }
            }
        }
    }

    fn note_input(&mut self, msg: &NoteMsg) {
        let k = (msg.key & 0x7f) as usize;
        self.held[k] = msg.on;
        if msg.on {
            self.chord_len = 0;
            for (key, &h) in self.held.iter().enumerate() {
                if h && self.chord_len < MAX_CHORD_TONES {
                    self.chord[self.chord_len] = key as u8;
                    self.chord_len += 1;
                }
            }
            let harmony = Harmony::new(&self.chord[..self.chord_len]);
            if self.held_chord.harmony.is_none_or(|h| h.pcs != harmony.pcs) {
                self.held_chord.since = Some(self.improviser.position());
            }
            self.held_chord.harmony = Some(harmony);
        }
    }

    /// True if the chord source has a chord to play over (held notes arrive only
    /// once the player plays them; the progression and the key always have one).
    fn has_chord(&self, settings: &Settings) -> bool {
        settings.chord_source != ChordSource::Held || self.held_chord.harmony.is_some()
    }

    /// Generates notes until the line reaches `until` (a beat boundary).
    fn fill(&mut self, until: f64, settings: &Settings) {
        let style = settings.playing(self.improviser.model().hears());
        let until_beats = Ratio::from_integer(until.ceil() as i64);
        let queue = &mut self.queue;
        let human = &mut self.human_rng;
        let limit = self.limit;
        let lay_back = settings.lay_back_ms.clamp(0.0, 200.0) as f64 / 1000.0 * self.tempo / 60.0;
        let phrases = &mut self.phrases;
        let drawn = &mut self.block_tokens;
        let (held, progression) = (self.held_chord.harmony, &self.progression);
        let mut sink = |d: crate::improvise::Drawn| {
            *drawn += 1;
            let Outcome::Note { key, length, kind } = d.outcome else { return };
            let harmony = match settings.chord_source {
                ChordSource::Held => held,
                ChordSource::Progression => progression.chord_at(d.at).map(|s| s.harmony),
                ChordSource::Key => Some(key_chord(settings)),
            };
            let tick = |b: Beats| (b * crate::improvise::grid::TICKS_PER_BEAT).floor().to_integer();
            let drawn = crate::taste::PhraseNote {
                at: tick(d.at),
                length: tick(length),
                key,
                kind,
                guide: harmony.is_some_and(|h| h.is_guide_tone(key as i32 % 12)),
            };
            phrases.push(drawn);
            let mut start = beats_of(d.at);
            let length = beats_of(length);
            let shifted = (key as i32 + 12 * settings.octave as i32).clamp(0, 127) as u8;
            let base = settings.velocity.clamp(1, 127) as f32 / 127.0;
            let (end, velocity, fresh) = match settings.feel {
                FeelMode::Manual => {
                    // Swing: an onset on the second eighth of a beat is delayed by up to a triplet.
                    if (start.fract() - 0.5).abs() < 1e-9 {
                        start += settings.swing.clamp(0.0, 1.0) as f64 / 6.0;
                    }
                    start += lay_back;
                    let end = start + (length * settings.gate.clamp(0.05, 1.0) as f64).max(1.0 / 64.0);
                    let jitter = (human.random::<f32>() * 2.0 - 1.0) * settings.humanize.clamp(0.0, 1.0);
                    (end, (base * (1.0 + 0.5 * jitter)).clamp(1.0 / 127.0, 1.0), false)
                }
                FeelMode::Straight => (start + length.max(1.0 / 64.0), base, false),
                // Played once the beat is complete (`perform_fresh`).
                FeelMode::Auto => (start + length, base, true),
            };
            if start >= limit {
                return;
            }
            if let Some(slot) = queue.iter_mut().find(|q| q.is_none()) {
                *slot = Some(Queued { start, end: end.min(limit), key: shifted, velocity, kind, fresh, drawn });
            }
        };
        match settings.chord_source {
            ChordSource::Held => self.improviser.fill(until_beats, &self.held_chord, &style, &mut sink),
            ChordSource::Progression => self.improviser.fill(until_beats, &self.progression, &style, &mut sink),
            ChordSource::Key => {
                let key = HeldChord { harmony: Some(key_chord(settings)), since: None };
                self.improviser.fill(until_beats, &key, &style, &mut sink)
            }
        }
        self.generated_to = until;
        if settings.feel == FeelMode::Auto {
            self.perform_fresh(settings);
        }
    }

    /// Auto feel: plays the notes just generated (whole beats, in time order) with
    /// the learned feel at the host's tempo. The "and" of an eighth-note beat (a
    /// note on the beat, one on the "and", none on the sixteenths) moves to the
    /// swing ratio's place, every onset is laid back, each note sounds the learned
    /// articulation of its written length (warped as its end is), and velocities
    /// follow pitch and the "and" accent, with variation. An answer's feel is moved
    /// toward its call's ([`Performance::answering`]). Allocation-free.
    fn perform_fresh(&mut self, settings: &Settings) {
        use crate::feel::render::{MIN_GAP_BEATS, MIN_LENGTH_BEATS, Performance, gaussian, place};
        let mut p = Performance::auto(self.learned.style(settings.style.label()), self.tempo);
        // An answer plays in the caller's feel, its velocity shaped along the answer
        // as the call's was along the call.
        let mut along = None;
        if let (Turn::Answering, Some((feel, from))) = (self.turn, self.answer_feel) {
            p = p.answering(&feel);
            along = Some((from, (self.limit - from).max(1.0)));
        }
        let mut idx = [0usize; QUEUE];
        let mut n = 0;
        for (i, q) in self.queue.iter().enumerate() {
            if q.is_some_and(|q| q.fresh) {
                idx[n] = i;
                n += 1;
            }
        }
        let start_of = |q: &[Option<Queued>; QUEUE], i: usize| q[i].map_or(f64::INFINITY, |q| q.start);
        idx[..n].sort_unstable_by(|&a, &b| start_of(&self.queue, a).total_cmp(&start_of(&self.queue, b)));
        let fresh = |queue: &[Option<Queued>; QUEUE], beat: f64, pos: f64| {
            idx[..n].iter().any(|&i| queue[i].is_some_and(|q| (q.start - beat - pos).abs() < 1e-9))
        };
        let swing_and = p.swing / (1.0 + p.swing);
        let eighth_beat = |queue: &[Option<Queued>; QUEUE], beat: f64| {
            fresh(queue, beat, 0.0) && fresh(queue, beat, 0.5) && !fresh(queue, beat, 0.25) && !fresh(queue, beat, 0.75)
        };
        let warp = |queue: &[Option<Queued>; QUEUE], t: f64| {
            let beat = t.floor();
            let swung = (t - beat - 0.5).abs() < 1e-9 && eighth_beat(queue, beat);
            (if swung { beat + swing_and } else { t }) + p.lay_back
        };
        let centre = (settings.low as f64 + settings.high as f64) / 2.0 + 12.0 * settings.octave as f64;
        let mut out = [(0.0f64, 0.0f64, 0.0f32); QUEUE];
        for k in 0..n {
            let Some(q) = self.queue[idx[k]] else { continue };
            let place = place(q.start - q.start.floor());
            let start = warp(&self.queue, q.start);
            let end_written = warp(&self.queue, q.end);
            let art = p.articulation_of(place, &mut self.human_rng).unwrap_or(1.0);
            let mut end = start + art * (end_written - start);
            end = end.min(end_written - MIN_GAP_BEATS).max(start + MIN_LENGTH_BEATS);
            let and = if place == 1 { 0.5 } else { -0.5 };
            let shape =
                along.map_or(0.0, |(from, span)| p.phrase_slope * (((q.start - from) / span).clamp(0.0, 1.0) - 0.5));
            let z = p.pitch_slope * (q.key as f64 - centre) / 12.0
                + p.and_accent * and
                + shape
                + p.jitter * gaussian(&mut self.human_rng);
            let velocity = ((p.velocity + p.velocity_per_sd * z) / 127.0).clamp(1.0 / 127.0, 1.0) as f32;
            out[k] = (start, end.min(self.limit), velocity);
        }
        for k in 0..n {
            let i = idx[k];
            let Some(q) = self.queue[i] else { continue };
            let (start, end, velocity) = out[k];
            self.queue[i] =
                (start < self.limit).then_some(Queued { start, end: end.max(start), velocity, fresh: false, ..q });
        }
    }

    fn push(&mut self, msg: NoteMsg) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(msg);
        }
    }

    fn release_all(&mut self, timing: u32) {
        for key in 0..128 {
            if !self.sounding[key].is_nan() {
                self.sounding[key] = f64::NAN;
                let channel = self.sounding_channel[key];
                self.push(NoteMsg::line(timing, false, channel, key as u8, 0.0));
            }
        }
    }

    /// Passes a note of the player's through; a key the line holds on the same
    /// channel is ended first (see [`collide`](super::collide)).
    fn pass(&mut self, msg: NoteMsg, len: u32) {
        let msg = NoteMsg { timing: msg.timing.min(len - 1), line: false, ..msg };
        let k = (msg.key & 0x7f) as usize;
        if msg.on && !self.sounding[k].is_nan() && self.sounding_channel[k] == msg.channel {
            self.sounding[k] = f64::NAN;
            self.push(NoteMsg::line(msg.timing, false, msg.channel, msg.key, 0.0));
        }
        self.passed.note(msg.on, msg.channel, msg.key);
        self.push(msg);
    }

    /// The key a line note with `id` sounds on (`None`: it was left out).
    fn line_key(&self, id: u64, key: u8) -> Option<u8> {
        match self.moved[..self.moved_len].iter().find(|(m, _)| *m == id) {
            Some(&(_, k)) => (k != LEFT_OUT).then_some(k),
            None => Some(key),
        }
    }

    /// Plays one of the line's note-ons or note-offs, keeping it off the keys the
    /// passed-through input holds on its channel.
    fn line_event(&mut self, a: Action, settings: &Settings) {
        let Some(q) = a.note else {
            if let Some(k) = self.line_key(a.id, a.key).map(usize::from)
                && !self.sounding[k].is_nan()
                && self.sounding_id[k] == a.id
            {
                self.sounding[k] = f64::NAN;
                let channel = self.sounding_channel[k];
                self.push(NoteMsg::line(a.timing, false, channel, k as u8, 0.0));
            }
            return;
        };
        let channel = settings.channel & 0x0f;
        let (mut key, mut kind) = (q.key, q.kind);
        if self.passed.holds(channel, key) {
            let harmony = self.harmony_at(q.start, settings);
            let shift = |k: u8| (k as i32 + 12 * settings.octave as i32).clamp(0, 127) as u8;
            let register = (shift(settings.low.min(settings.high)), shift(settings.high.max(settings.low)));
            let upward = self.last_line_key.is_none_or(|p| q.key >= p);
            let (passed, sounding) = (&self.passed, &self.sounding);
            let free = |k: u8| !passed.holds(channel, k) && sounding[k as usize].is_nan();
            let moved = collide::nearest_free(q.key, q.kind, harmony.as_ref(), register, upward, free);
            if self.moved_len < QUEUE {
                self.moved[self.moved_len] = (a.id, moved.unwrap_or(LEFT_OUT));
                self.moved_len += 1;
            }
            let Some(k) = moved else { return };
            key = k;
            kind = harmony.map_or(q.kind, |h| crate::grammar::classify_pc(k, &h));
        }
        let k = key as usize;
        if !self.sounding[k].is_nan() {
            let c = self.sounding_channel[k];
            self.push(NoteMsg::line(a.timing, false, c, key, 0.0));
        }
        self.push(NoteMsg::line(a.timing, true, channel, key, q.velocity));
        if self.played.len() < self.played.capacity() {
            let drawn = Some(q.drawn);
            self.played.push(PlayedNote { start: q.start, length: q.end - q.start, key, kind, heard: false, drawn });
        }
        self.sounding[k] = q.end;
        self.sounding_channel[k] = channel;
        self.sounding_id[k] = a.id;
        self.last_line_key = Some(q.key);
    }

    /// Processes one block of `len` samples. `input` holds the block's note events in
    /// time order (passed through when `pass_through`); returns the output events in
    /// non-decreasing time order, all inside the block.
    pub fn process(
        &mut self,
        transport: TransportInfo,
        sample_rate: f32,
        len: u32,
        input: &[NoteMsg],
        pass_through: bool,
        settings: &Settings,
    ) -> &[NoteMsg] {
        self.events.clear();
        self.played.clear();
        self.follow_model_switch(settings.masters);
        self.follow_taste(settings);
        let len = len.max(1);
        if self.panic {
            self.panic = false;
            self.release_all(0);
        }
        for msg in input {
            if !settings.listen.is_melody(msg) {
                self.note_input(msg);
            }
        }
        let host = match (transport.tempo, transport.pos_beats) {
            (Some(t), Some(p)) if t.is_finite() && t > 0.0 && p.is_finite() => Some((transport.playing, t, p)),
            _ => None,
        };
        let clock = match host {
            Some((true, tempo, pos)) => Some((tempo.clamp(1.0, 1000.0), pos)),
            Some((false, _, _)) => None,
            None if settings.free_run => {
                let tempo = settings.free_tempo.clamp(20.0, 400.0);
                let pos = self.free_pos;
                self.free_pos += len as f64 * tempo / 60.0 / sample_rate.max(1.0) as f64;
                Some((tempo, pos))
            }
            None => None,
        };
        let Some((tempo, b0)) = clock else {
            self.turn = Turn::Idle;
            if self.running {
                self.running = false;
                self.queue = [None; QUEUE];
            }
            self.release_all(0);
            if pass_through {
                for &msg in input {
                    self.pass(msg, len);
                }
            }
            self.show_chord(self.expected, settings);
            return self.finish();
        };
        if host.is_none() && !self.running {
            self.free_pos = b0;
        }
        let samples_per_beat = sample_rate.max(1.0) as f64 * 60.0 / tempo;
        self.tempo = tempo;
        let b1 = b0 + len as f64 / samples_per_beat;
        if !self.running {
            self.running = true;
            self.restart(b0, settings);
        } else if (b0 - self.expected).abs() > JUMP_TOLERANCE_BEATS {
            self.release_all(0);
            self.reanchor(b0);
        }
        self.expected = b1;
        self.show_chord(b0, settings);
        for msg in input.iter().filter(|m| settings.listen.is_melody(m)) {
            let msg = NoteMsg { timing: msg.timing.min(len - 1), ..*msg };
            self.hear(&msg, b0 + msg.timing as f64 / samples_per_beat, settings);
        }
        // Cover the beat that starts at or before the block's end — once there is a
        // chord to play it over. Until then no beat is given up for silence while its
        // start is within the tolerance: a latency pre-roll block may end just after
        // beat 0 with the chord's note-on only in the next block.
        let until = b1.floor() + 1.0;
        if until > self.generated_to {
            if self.has_chord(settings) {
                self.play_until(until, settings);
            } else {
                self.turn = Turn::Idle;
                let open = (b0 - BEAT_TOLERANCE).ceil().max(self.generated_to);
                if open > self.generated_to {
                    self.generated_to = open;
                    self.improviser.seek(open as i64);
                }
            }
        }
        self.search(len, sample_rate, settings);
        let timing = |beat: f64| (((beat - b0) * samples_per_beat).round().max(0.0) as u32).min(len - 1);
        // The line's events of the block, in time order, merged with what passes through.
        self.actions.clear();
        for key in 0..128 {
            let end = self.sounding[key];
            if !end.is_nan() && end < b1 {
                let (at, id) = (timing(end), self.sounding_id[key]);
                self.actions.push(Action { timing: at, rank: RANK_LINE_OFF, key: key as u8, id, note: None });
            }
        }
        for i in 0..QUEUE {
            let Some(q) = self.queue[i] else { continue };
            if q.start >= b1 {
                continue;
            }
            self.queue[i] = None;
            if q.end <= b0 {
                continue; // entirely in the past (after a tempo or position change)
            }
            self.next_id += 1;
            let (on, id) = (timing(q.start), self.next_id);
            self.actions.push(Action { timing: on, rank: RANK_LINE_ON, key: q.key, id, note: Some(q) });
            if q.end < b1 {
                let off = timing(q.end).max(on);
                let rank = if off == on { RANK_OWN_OFF } else { RANK_LINE_OFF };
                self.actions.push(Action { timing: off, rank, key: q.key, id, note: None });
            }
        }
        self.actions.sort_unstable_by_key(|a| (a.timing, a.rank, a.id));
        self.moved_len = 0;
        let passed: &[NoteMsg] = if pass_through { input } else { &[] };
        let (mut i, mut j) = (0, 0);
        while i < passed.len() || j < self.actions.len() {
            let input_first = match (passed.get(i), self.actions.get(j)) {
                (Some(m), Some(a)) => {
                    let rank = if m.on { RANK_INPUT_ON } else { RANK_INPUT_OFF };
                    (m.timing.min(len - 1), rank) < (a.timing, a.rank)
                }
                (Some(_), None) => true,
                _ => false,
            };
            if input_first {
                self.pass(passed[i], len);
                i += 1;
            } else {
                let a = self.actions[j];
                self.line_event(a, settings);
                j += 1;
            }
        }
        self.finish()
    }

    /// Sorts the block's events by time, note-offs first at equal times (in place:
    /// the unstable sort does not allocate).
    fn finish(&mut self) -> &[NoteMsg] {
        self.events.sort_unstable_by_key(|e| (e.timing, e.on, e.key));
        &self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DM7: [u8; 4] = [50, 53, 57, 60];

    fn engine() -> Engine {
        let w = crate::default_weights().unwrap();
        Engine::new(Box::new(LiveModel::new(&w, "test".into())))
    }

    /// Plays `beats` at 120 BPM / 48 kHz in blocks of `block`, holding Dm7 from the
    /// start; returns (absolute sample, event) pairs of generated notes.
    fn play(e: &mut Engine, settings: &Settings, beats: f64, block: u32, transport: bool) -> Vec<(u64, NoteMsg)> {
        let spb = 48_000.0 * 60.0 / 120.0;
        let mut out = Vec::new();
        let mut sample = 0u64;
        let hold: Vec<NoteMsg> = DM7.iter().map(|&key| NoteMsg::input(0, true, 1, key, 0.8)).collect();
        while (sample as f64) < beats * spb {
            let t = TransportInfo {
                playing: transport,
                tempo: transport.then_some(120.0),
                pos_beats: transport.then_some(sample as f64 / spb),
            };
            let input = if sample == 0 { &hold[..] } else { &[] };
            for ev in e.process(t, 48_000.0, block, input, false, settings) {
                assert!(ev.timing < block);
                out.push((sample + ev.timing as u64, *ev));
            }
            sample += block as u64;
        }
        out
    }

    #[test]
    fn plays_over_a_held_chord_and_stops_cleanly() {
        let mut e = engine();
        let s = Settings::default();
        let events = play(&mut e, &s, 32.0, 512, true);
        let ons: Vec<_> = events.iter().filter(|(_, m)| m.on).collect();
        assert!(ons.len() > 20, "{} notes", ons.len());
        assert!(ons[0].0 < 24_000, "first note within the first beat");
        assert!(ons.iter().all(|(_, m)| (55..=84).contains(&m.key)));
        // Stop: everything sounding is released in that block, at its start.
        let stop = TransportInfo { playing: false, tempo: Some(120.0), pos_beats: Some(32.0) };
        let offs = e.process(stop, 48_000.0, 256, &[], false, &s).to_vec();
        let mut balance = [0i32; 128];
        for (_, m) in &events {
            balance[m.key as usize] += if m.on { 1 } else { -1 };
        }
        for m in &offs {
            assert!(!m.on && m.timing == 0);
            balance[m.key as usize] -= 1;
        }
        assert!(balance.iter().all(|&b| b == 0), "every note-on has its note-off");
    }

    #[test]
    fn nothing_held_or_no_transport_is_silence() {
        let mut e = engine();
        let s = Settings::default();
        let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(0.0) };
        assert!(e.process(t, 48_000.0, 48_000, &[], false, &s).is_empty(), "no chord held yet");
        let mut e = engine();
        assert!(play(&mut e, &s, 8.0, 512, false).is_empty());
        // Free run plays at its own tempo without a transport.
        let mut e = engine();
        let free = Settings { free_run: true, ..s };
        assert!(play(&mut e, &free, 8.0, 512, false).iter().any(|(_, m)| m.on));
    }

    #[test]
    fn built_in_progression_and_fixed_key_need_no_input() {
        for source in [ChordSource::Progression, ChordSource::Key] {
            let mut e = engine();
            let s = Settings { chord_source: source, ..Settings::default() };
            let spb = 24_000.0;
            let mut ons = 0;
            for b in 0..100u64 {
                let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(b as f64 * 1024.0 / spb) };
                ons += e.process(t, 48_000.0, 1024, &[], false, &s).iter().filter(|m| m.on).count();
            }
            assert!(ons > 10, "{source:?}: {ons} notes");
        }
    }

    #[test]
    fn same_solo_every_play() {
        let s = Settings { same_solo: true, seed: 42, ..Settings::default() };
        let mut e = engine();
        let first = play(&mut e, &s, 16.0, 512, true);
        let stop = TransportInfo { playing: false, tempo: Some(120.0), pos_beats: Some(0.0) };
        e.process(stop, 48_000.0, 512, &[], false, &s);
        let second = play(&mut e, &s, 16.0, 512, true);
        let keys = |v: &[(u64, NoteMsg)]| v.iter().filter(|(_, m)| m.on).map(|(t, m)| (*t, m.key)).collect::<Vec<_>>();
        assert_eq!(keys(&first), keys(&second));
    }

    #[test]
    fn swing_gate_octave_and_channel() {
        let s = Settings { octave: 1, channel: 5, gate: 0.5, low: 48, high: 60, ..Settings::default() };
        let mut e = engine();
        let ev = play(&mut e, &s, 16.0, 512, true);
        assert!(ev.iter().all(|(_, m)| m.channel == 5));
        assert!(ev.iter().filter(|(_, m)| m.on).all(|(_, m)| (60..=72).contains(&m.key)));
    }

    /// Plays `beats` at 120 BPM / 48 kHz in `block`-sample blocks with the input
    /// events given as (beat, on, key) on channel 1; returns Improv's output
    /// (absolute sample, event).
    fn session(
        e: &mut Engine,
        settings: &Settings,
        beats: f64,
        block: u32,
        input: &[(f64, bool, u8)],
    ) -> Vec<(u64, NoteMsg)> {
        let input: Vec<(f64, bool, u8, f32)> = input.iter().map(|&(b, on, k)| (b, on, k, 0.8)).collect();
        session_with(e, settings, beats, block, &input)
    }

    /// [`session`] with each input note's velocity (0..=1).
    fn session_with(
        e: &mut Engine,
        settings: &Settings,
        beats: f64,
        block: u32,
        input: &[(f64, bool, u8, f32)],
    ) -> Vec<(u64, NoteMsg)> {
        let spb = 24_000.0;
        let mut out = Vec::new();
        let mut sample = 0u64;
        let mut msgs = Vec::new();
        while (sample as f64) < beats * spb {
            let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(sample as f64 / spb) };
            msgs.clear();
            for &(beat, on, key, velocity) in input {
                let at = (beat * spb).round() as u64;
                if (sample..sample + block as u64).contains(&at) {
                    msgs.push(NoteMsg::input((at - sample) as u32, on, 1, key, velocity));
                }
            }
            for ev in e.process(t, 48_000.0, block, &msgs, false, settings) {
                out.push((sample + ev.timing as u64, *ev));
            }
            sample += block as u64;
        }
        out
    }

    /// Dm7 for two bars, then G7 for two, held below the split (C4), looping for `bars`.
    fn ii_v(bars: usize) -> Vec<(f64, bool, u8)> {
        const DM7: [u8; 4] = [48, 50, 53, 57];
        const G7: [u8; 4] = [43, 53, 57, 59];
        let mut ev = Vec::new();
        for block in 0..bars.div_ceil(2) {
            let chord = if block % 2 == 0 { DM7 } else { G7 };
            let (on, off) = (block as f64 * 8.0, block as f64 * 8.0 + 7.99);
            ev.extend(chord.iter().map(|&k| (on, true, k)));
            ev.extend(chord.iter().map(|&k| (off, false, k)));
        }
        ev
    }

    /// The 4-bar call of `tests/data/calls/ii-v-call.musicxml` from beat `from`, above the split.
    fn phrase(from: f64) -> Vec<(f64, bool, u8)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/calls/ii-v-call.musicxml");
        let (notes, _) = crate::corpus::melody_line(&std::fs::read(path).unwrap(), None).unwrap();
        crate::trade::performed(&notes, 0.9).into_iter().map(|(at, on, key)| (from + at, on, key)).collect()
    }

    fn listening(mode: ListenMode) -> Settings {
        Settings { listen: Listen { mode, ..Listen::default() }, ..Settings::default() }
    }

    fn balanced(events: &[(u64, NoteMsg)]) -> bool {
        let mut sounding = [false; 128];
        for (_, m) in events {
            let k = m.key as usize;
            if m.on == sounding[k] {
                return false;
            }
            sounding[k] = m.on;
        }
        sounding.iter().all(|&s| !s)
    }

    #[test]
    fn trading_fours_listens_then_answers_on_the_downbeat() {
        for block in [64, 512, 1024] {
            let mut e = engine();
            let s = listening(ListenMode::Trade);
            let mut input = ii_v(8);
            input.extend(phrase(0.0));
            let out = session(&mut e, &s, 32.0, block, &input);
            let ons: Vec<f64> = out.iter().filter(|(_, m)| m.on).map(|(t, _)| *t as f64 / 24_000.0).collect();
            assert!(ons.iter().all(|&b| b >= 16.0), "block {block}: silent while the musician plays: {ons:?}");
            assert_eq!(ons.first().copied(), Some(16.0), "block {block}: the answer starts on beat 1 of bar 5");
            assert!(ons.len() >= 8, "block {block}: an answer, not a note: {}", ons.len());
            assert!(out.iter().all(|(t, _)| (*t as f64) < 32.0 * 24_000.0));
            let end = session(&mut e, &s, 0.0, block, &[]);
            assert!(end.is_empty());
        }
    }

    #[test]
    fn answer_mode_waits_for_a_bar_of_silence_and_stops_when_the_musician_plays() {
        let mut e = engine();
        let s = listening(ListenMode::Answer);
        let mut input = ii_v(12);
        input.extend(phrase(0.0)); // ends at beat 15; bar 5 (beats 16–20) is silent
        input.push((26.5, true, 70)); // the musician comes back in bar 7
        input.push((27.0, false, 70));
        // Up to beat 31: after the musician's note the next bar of silence ends at 32.
        let out = session(&mut e, &s, 31.0, 512, &input);
        let ons: Vec<f64> = out.iter().filter(|(_, m)| m.on).map(|(t, _)| *t as f64 / 24_000.0).collect();
        assert!(ons.iter().all(|&b| b >= 20.0), "no answer before a bar of silence: {ons:?}");
        assert_eq!(ons.first().copied(), Some(20.0), "the answer starts on the next downbeat");
        let last_off = out.iter().filter(|(_, m)| !m.on).map(|(t, _)| *t as f64 / 24_000.0).fold(0.0, f64::max);
        assert!(last_off <= 26.5 + 1.0, "stops within a beat of the musician: last note-off at {last_off}");
        assert!(ons.iter().all(|&b| b < 26.5), "nothing starts after the musician is back");
        assert!(balanced(&out), "every note-on has its note-off");
        // A bar after the musician's last note (beat 27), Improv answers again at 32.
        let mut e = engine();
        let out = session(&mut e, &s, 40.0, 512, &input);
        let again = out.iter().filter(|(_, m)| m.on).map(|(t, _)| *t as f64 / 24_000.0).find(|&b| b > 26.5);
        assert_eq!(again, Some(32.0));
    }

    #[test]
    fn accompany_takes_every_note_as_the_chord() {
        // Today's behaviour: a note above the split is part of the held chord.
        let mut e = engine();
        let s = Settings::default();
        let out = session(&mut e, &s, 8.0, 512, &[(0.0, true, 62), (0.0, true, 65), (0.0, true, 69), (0.0, true, 72)]);
        assert!(out.iter().any(|(_, m)| m.on), "plays over a chord held above C4");
    }

    #[test]
    fn the_line_never_strikes_a_key_the_passed_chord_holds() {
        // Dm7 held on the line's own channel, inside the register, passed through.
        let chord = [50u8, 57, 60, 65];
        let (mut moved, mut line_keys) = (0, 0);
        for seed in 0..64 {
            let s = Settings { same_solo: true, seed, ..Settings::default() };
            let mut e = engine();
            let spb = 24_000.0;
            let mut sounding = [false; 128];
            for b in 0..384u64 {
                let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(b as f64 * 1000.0 / spb) };
                let input: Vec<NoteMsg> = match b {
                    0 => chord.iter().map(|&k| NoteMsg::input(0, true, 0, k, 0.61)).collect(),
                    383 => chord.iter().map(|&k| NoteMsg::input(999, false, 0, k, 0.0)).collect(),
                    _ => vec![],
                };
                for m in e.process(t, 48_000.0, 1000, &input, true, &s) {
                    let k = m.key as usize;
                    assert_ne!(m.on, sounding[k], "seed {seed}: key {k} {} twice", if m.on { "on" } else { "off" });
                    sounding[k] = m.on;
                    if !m.line && m.on {
                        assert_eq!(m.velocity, 0.61, "pass-through keeps the velocity");
                    }
                    if m.line && m.on && chord.iter().any(|&c| c.abs_diff(m.key) <= 2) {
                        line_keys += 1;
                    }
                }
                moved += e.played().iter().filter(|n| chord.contains(&n.key)).count();
            }
        }
        assert_eq!(moved, 0, "no line note on a held key");
        assert!(line_keys > 200, "the line plays around the chord's keys: {line_keys} notes");
    }

    #[test]
    fn a_key_pressed_while_the_line_holds_it_ends_the_line_note_first() {
        let s = Settings { chord_source: ChordSource::Key, gate: 1.0, ..Settings::default() };
        let mut e = engine();
        let t = |b: f64| TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(b) };
        let out = e.process(t(0.0), 48_000.0, 4_000, &[], true, &s).to_vec();
        let Some(first) = out.iter().find(|m| m.on && m.line) else { panic!("a note on beat 1: {out:?}") };
        let key = first.key;
        // The player presses the same key on the line's channel while it sounds.
        let press = [NoteMsg::input(10, true, 0, key, 0.5)];
        let out = e.process(t(4_000.0 / 24_000.0), 48_000.0, 1, &press, true, &s).to_vec();
        let ours = out.iter().position(|m| m.line && !m.on && m.key == key);
        let theirs = out.iter().position(|m| !m.line && m.on && m.key == key);
        assert!(ours.is_some() && ours < theirs, "the line's note-off comes first: {out:?}");
    }

    /// Note-ons as (sample, key, velocity byte), and note-offs as (sample, key).
    type Played = (Vec<(u64, u8, u8)>, Vec<(u64, u8)>);

    /// Auto feel at 150 BPM over the built-in progression, the same solo at every
    /// block size.
    fn auto_run(block: u32) -> Played {
        let s = Settings {
            feel: FeelMode::Auto,
            chord_source: ChordSource::Progression,
            same_solo: true,
            seed: 11,
            ..Settings::default()
        };
        let mut e = engine();
        let spb = 48_000.0 * 60.0 / 150.0;
        let (mut ons, mut offs) = (Vec::new(), Vec::new());
        let mut sample = 0u64;
        while (sample as f64) < 64.0 * spb {
            let t = TransportInfo { playing: true, tempo: Some(150.0), pos_beats: Some(sample as f64 / spb) };
            for m in e.process(t, 48_000.0, block, &[], false, &s) {
                let at = sample + m.timing as u64;
                if m.on {
                    ons.push((at, m.key, (m.velocity * 127.0).round() as u8));
                } else {
                    offs.push((at, m.key));
                }
            }
            sample += block as u64;
        }
        (ons, offs)
    }

    /// Playing to taste live: over the built-in progression, at every block size the
    /// search run ahead finishes before most phrases and they start with its winner,
    /// the line differs from the one without taste, and the played phrases can be
    /// rated.
    #[test]
    fn the_taste_search_runs_ahead_at_every_block_size() {
        use crate::taste::{Preference, features::features};
        let note = |at: i64, key: u8, guide: bool| crate::taste::PhraseNote {
            at,
            length: 6,
            key,
            kind: NoteType::Chord,
            guide,
        };
        let landing = [note(0, 62, false), note(6, 65, true)];
        let run: Vec<_> = (0..10).map(|i| note(i * 3, 60 + i as u8, false)).collect();
        let preference = Preference::fit(&[(features(&landing, 24), true), (features(&run, 0), false)]);
        let settings = |taste: f32| Settings {
            chord_source: ChordSource::Progression,
            same_solo: true,
            seed: 5,
            masters: true,
            taste,
            ..Settings::default()
        };
        let w = crate::masters_weights().unwrap();
        let run_with = |taste: f32, block: u32| {
            let mut e = Engine::new(Box::new(LiveModel::new(&w, "test".into())));
            e.set_preference(preference);
            let s = settings(taste);
            let spb = 48_000.0 * 60.0 / 120.0;
            let mut keys = Vec::new();
            let mut sample = 0u64;
            while (sample as f64) < 64.0 * spb {
                let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(sample as f64 / spb) };
                keys.extend(e.process(t, 48_000.0, block, &[], false, &s).iter().filter(|m| m.on).map(|m| m.key));
                sample += block as u64;
            }
            let rated = e.rate_last_phrase(crate::taste::ratings::Verdict::Good, false).map(|r| r.len);
            (keys, e.taste_searches(), rated)
        };
        let (plain, searches, _) = run_with(0.0, 512);
        assert_eq!(searches, (0, 0), "Taste 0 searches nothing");
        for block in [64, 512, 2048] {
            let (keys, (taken, missed), rated) = run_with(1.0, block);
            let same = keys.iter().zip(&plain).take_while(|(a, b)| a == b).count();
            println!(
                "block {block}: {taken} phrases with the search's winner, {missed} without; first {same} notes as at Taste 0"
            );
            assert!(taken >= 2 && taken > missed, "block {block}: {taken} phrases to taste, {missed} without");
            assert_ne!(keys, plain, "block {block}: the line plays to taste");
            assert!(rated.is_some_and(|n| n > 0), "block {block}: the last phrase can be rated");
        }
    }

    /// Trades fours with the masters' model for 64 beats at 120 BPM, Auto feel:
    /// the musician plays `call` (a MIDI file in `tests/data/calls/`) in bars 1–4
    /// and 9–12 over Dm7 / G7; returns Improv's notes as (beat, length, key, velocity).
    fn answers_to(call: &str, seed: u64, block: u32) -> Vec<(f64, f64, u8, Option<f64>)> {
        let path = format!("{}/tests/data/calls/{call}", env!("CARGO_MANIFEST_DIR"));
        let played = crate::corpus::played_line(&std::fs::read(path).unwrap(), None).unwrap();
        let mut input: Vec<(f64, bool, u8, f32)> = ii_v(16).into_iter().map(|(b, on, k)| (b, on, k, 0.8)).collect();
        for from in [0.0, 32.0] {
            for (i, n) in played.iter().enumerate() {
                let key = 64 + (i % 5) as u8; // above the split
                let v = n.velocity as f32 / 127.0;
                input.push((from + n.beat, true, key, v));
                input.push((from + n.beat + n.length, false, key, 0.0));
            }
        }
        input.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let masters = crate::masters_weights().unwrap();
        let mut e = Engine::new(Box::new(LiveModel::new(&masters, "masters".into())));
        let s = Settings { feel: FeelMode::Auto, masters: true, seed, same_solo: true, ..listening(ListenMode::Trade) };
        let out = session_with(&mut e, &s, 64.0, block, &input);
        let mut notes = Vec::new();
        for (i, (t, m)) in out.iter().enumerate() {
            if !m.on {
                continue;
            }
            let off = out[i..].iter().find(|(_, o)| !o.on && o.key == m.key).map_or(*t, |(t, _)| *t);
            let (start, end) = (*t as f64 / 24_000.0, off as f64 / 24_000.0);
            notes.push((start, end - start, m.key, Some((m.velocity * 127.0).round() as f64)));
        }
        notes
    }

    /// Answers of eight seeds, each seed's 200 beats after the last's, with their feel.
    fn answer_feel_live(call: &str, block: u32) -> crate::feel::Feel {
        let mut all = Vec::new();
        for seed in 0..8 {
            let from = seed as f64 * 200.0;
            all.extend(answers_to(call, seed, block).into_iter().map(|(b, l, k, v)| (from + b, l, k, v)));
        }
        crate::feel::measure(&crate::feel::from_beats(&all, 120.0))
    }

    #[test]
    fn a_live_answer_plays_in_the_callers_feel() {
        let swung = answer_feel_live("swung-1.5-loud.mid", 512);
        let straight = answer_feel_live("straight-eighths-soft.mid", 512);
        let (a, b) = (swung.swing.expect("enough pairs"), straight.swing.expect("enough pairs"));
        let (loud, soft) = (swung.level_mean.unwrap(), straight.level_mean.unwrap());
        println!(
            "live answers over 8 seeds: to the swung, loud call swing {a:.2} over {} pairs, velocity {loud:.1} ± {:.1}; \
             to the straight, soft call swing {b:.2} over {} pairs, velocity {soft:.1} ± {:.1}",
            swung.swing_pairs,
            swung.level_sd.unwrap(),
            straight.swing_pairs,
            straight.level_sd.unwrap()
        );
        assert!((a - 1.5).abs() <= 0.1, "swung call: the answer swings {a:.3} over {} pairs", swung.swing_pairs);
        assert!((b - 1.0).abs() <= 0.1, "straight call: the answer swings {b:.3} over {} pairs", straight.swing_pairs);
        assert!(loud > soft + 20.0, "loud call {loud:.1} against soft call {soft:.1}");
        assert!(straight.level_sd.unwrap() < 3.0, "a call at one velocity, an answer near one velocity");
        // The same answer at another block size, to the sample.
        let (x, y) = (answers_to("swung-1.5-loud.mid", 3, 512), answers_to("swung-1.5-loud.mid", 3, 64));
        assert_eq!(x.len(), y.len());
        assert!(x.iter().zip(&y).all(|(p, q)| (p.0 - q.0).abs() < 1.5 / 24_000.0 && p.2 == q.2 && p.3 == q.3));
    }

    #[test]
    fn auto_feel_is_sample_accurate_at_any_block_size_and_never_overlaps() {
        let spb = 48_000.0 * 60.0 / 150.0;
        let (reference, _) = auto_run(64);
        assert!(reference.len() > 100, "{} notes", reference.len());
        for block in [64, 333, 512, 2048] {
            let (ons, offs) = auto_run(block);
            assert_eq!(ons.len(), reference.len(), "block {block}");
            for (a, b) in ons.iter().zip(&reference) {
                assert_eq!((a.1, a.2), (b.1, b.2), "block {block}: same notes");
                assert!(a.0.abs_diff(b.0) <= 1, "block {block}: onset {} against {}", a.0, b.0);
            }
            // Each note ends before the next starts: never two sounding at once.
            let mut events: Vec<(u64, bool)> = ons.iter().map(|o| (o.0, true)).collect();
            events.extend(offs.iter().map(|o| (o.0, false)));
            events.sort_by_key(|&(t, on)| (t, on));
            let mut sounding = 0i32;
            for (_, on) in events {
                sounding += if on { 1 } else { -1 };
                assert!((0..=1).contains(&sounding), "block {block}: notes overlap");
            }
        }
        // Laid back and swung: onsets sit behind the beat, and velocities vary.
        let behind: Vec<f64> = reference.iter().map(|o| o.0 as f64 / spb * 12.0).map(|t| t - t.floor()).collect();
        let on_grid = behind.iter().filter(|&&x| x < 0.05).count();
        assert!(on_grid * 10 < reference.len(), "{on_grid} of {} onsets still on the grid", reference.len());
        let v: Vec<f64> = reference.iter().map(|o| o.2 as f64).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!(sd >= 6.0, "velocity sd {sd:.1}");
    }

    #[test]
    fn straight_feel_is_the_grid_at_the_velocity_setting() {
        let s = Settings { feel: FeelMode::Straight, chord_source: ChordSource::Key, ..Settings::default() };
        let mut e = engine();
        let mut sample = 0u64;
        let mut ons = 0;
        while sample < 8 * 24_000 {
            let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(sample as f64 / 24_000.0) };
            for m in e.process(t, 48_000.0, 500, &[], false, &s) {
                if m.on {
                    let at = (sample + m.timing as u64) as f64 / 2_000.0; // twelfths of a beat
                    assert!((at - at.round()).abs() < 1e-6, "on the 1/12-beat grid: {at}");
                    assert_eq!(m.velocity, 100.0 / 127.0);
                    ons += 1;
                }
            }
            sample += 500;
        }
        assert!(ons > 8);
    }
}
