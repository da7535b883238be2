//! The plugin's parameters: automatable, with ranges, units and defaults.

use super::engine::{AUTO_TOP_K, ChordSource, KeyMode, Listen, ListenMode, Settings, SplitBy};
use crate::grammar::DEFAULT_REGISTER;
use crate::improvise::Guidance;
use crate::model::Sampling;
use nice_plug::prelude::*;
use std::sync::{Arc, Mutex};

/// Chord source, as the host shows it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceParam {
    /// Chords from the notes you hold.
    #[id = "held"]
    #[name = "Held notes"]
    Held,
    /// The reference's changes, looped.
    #[id = "progression"]
    #[name = "Progression"]
    Progression,
    /// A fixed key and mode.
    #[id = "key"]
    #[name = "Fixed key"]
    Key,
}

/// Tonic of the fixed key.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum KeyParam {
    C,
    #[name = "C#/Db"]
    Db,
    D,
    #[name = "D#/Eb"]
    Eb,
    E,
    F,
    #[name = "F#/Gb"]
    Gb,
    G,
    #[name = "G#/Ab"]
    Ab,
    A,
    #[name = "A#/Bb"]
    Bb,
    B,
}

/// Mode of the fixed key.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ModeParam {
    Major,
    Dorian,
    Mixolydian,
    Minor,
}

/// How Improv listens, as the host shows it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenParam {
    /// Improv always plays over the chords.
    #[id = "accompany"]
    Accompany,
    /// Bars alternate between you and Improv.
    #[id = "trade"]
    Trade,
    /// Improv answers when you leave a bar of silence.
    #[id = "answer"]
    Answer,
}

/// Bars in a turn when trading.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeBarsParam {
    /// Trading ones.
    #[id = "1"]
    #[name = "1 bar"]
    One,
    /// Trading twos.
    #[id = "2"]
    #[name = "2 bars"]
    Two,
    /// Trading fours.
    #[id = "4"]
    #[name = "4 bars"]
    Four,
    /// Trading eights.
    #[id = "8"]
    #[name = "8 bars"]
    Eight,
}

/// Who plays the first turn when trading.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstTurnParam {
    /// You play first; Improv answers.
    #[id = "musician"]
    #[name = "You"]
    Musician,
    /// Improv plays first; you answer.
    #[id = "improv"]
    Improv,
}

/// How your melody is told from your chords.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitParam {
    /// By key: melody at or above the split key.
    #[id = "key"]
    #[name = "Split key"]
    Key,
    /// By MIDI channel.
    #[id = "channel"]
    #[name = "Channel"]
    Channel,
}

/// Which model improvises, as the host shows it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelParam {
    /// The model that hears, learned from the WJD's 456 solos.
    #[id = "wjd"]
    #[name = "Masters (WJD)"]
    Masters,
    /// The seed model, learned from one Metheny solo.
    #[id = "metheny"]
    #[name = "Metheny"]
    Metheny,
}

/// The jazz style a model that hears plays in, as the host shows it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum StyleParam {
    #[id = "all"]
    #[name = "All styles"]
    All,
    #[id = "traditional"]
    Traditional,
    #[id = "swing"]
    Swing,
    #[id = "bebop"]
    Bebop,
    #[id = "cool"]
    Cool,
    #[id = "hardbop"]
    #[name = "Hard bop"]
    Hardbop,
    #[id = "postbop"]
    #[name = "Post-bop"]
    Postbop,
    #[id = "fusion"]
    Fusion,
    #[id = "free"]
    Free,
}

impl StyleParam {
    /// The core's style.
    pub fn style(self) -> crate::hearing::JazzStyle {
        crate::hearing::JazzStyle::ALL[self as usize]
    }
}

/// How the line is played, as the host shows it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeelParam {
    /// The feel learned from the masters at the host's tempo.
    #[id = "auto"]
    Auto,
    /// On the grid, each note its written length.
    #[id = "straight"]
    Straight,
    /// Swing, Gate, Velocity, Humanize and Lay back as set.
    #[id = "manual"]
    Manual,
}

/// Improv's own voice, as the host shows it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceParam {
    /// Silent: the line goes out as MIDI only.
    #[id = "off"]
    Off,
    /// Vibraphone.
    #[id = "vibraphone"]
    Vibraphone,
    /// Electric piano.
    #[id = "electric_piano"]
    #[name = "Electric piano"]
    ElectricPiano,
    /// Clean jazz guitar.
    #[id = "guitar"]
    #[name = "Jazz guitar"]
    Guitar,
}

impl VoiceParam {
    /// The voice's sound (`None`: off).
    pub fn sound(self) -> Option<crate::voice::Sound> {
        use crate::voice::Sound;
        match self {
            VoiceParam::Off => None,
            VoiceParam::Vibraphone => Some(Sound::Vibraphone),
            VoiceParam::ElectricPiano => Some(Sound::ElectricPiano),
            VoiceParam::Guitar => Some(Sound::Guitar),
        }
    }
}

/// The Rate parameter: a change to Good or Bad rates the phrase Improv is playing
/// or last played (a foot switch or controller mapped to it: 0 = none, the middle
/// = bad, the top = good).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateParam {
    /// Nothing (a switch at rest).
    #[id = "none"]
    #[name = "—"]
    None,
    /// Thumbs down.
    #[id = "bad"]
    Bad,
    /// Thumbs up.
    #[id = "good"]
    Good,
}

impl RateParam {
    /// The verdict it gives (`None` at rest).
    pub fn verdict(self) -> Option<crate::taste::ratings::Verdict> {
        use crate::taste::ratings::Verdict;
        match self {
            RateParam::None => None,
            RateParam::Bad => Some(Verdict::Bad),
            RateParam::Good => Some(Verdict::Good),
        }
    }
}

/// Every parameter, plus the persisted path of a user's weights file.
#[derive(Params)]
pub struct ImprovParams {
    /// 0 = always the most likely token; higher = bolder.
    #[id = "temperature"]
    pub temperature: FloatParam,
    /// Draw among the K most likely tokens (0 = Auto: the model's own, 16 for the
    /// seed model, all for the masters').
    #[id = "top_k"]
    pub top_k: IntParam,
    /// Seed for "same solo every play".
    #[id = "seed"]
    pub seed: IntParam,
    /// Reseed at every play start.
    #[id = "same_solo"]
    pub same_solo: BoolParam,
    /// Lowest key of the melody.
    #[id = "low"]
    pub low: IntParam,
    /// Highest key of the melody.
    #[id = "high"]
    pub high: IntParam,
    /// Octave shift of the output.
    #[id = "octave"]
    pub octave: IntParam,
    /// Note-on velocity.
    #[id = "velocity"]
    pub velocity: IntParam,
    /// Random velocity variation.
    #[id = "humanize"]
    pub humanize: FloatParam,
    /// Share of each note's length that sounds.
    #[id = "gate"]
    pub gate: FloatParam,
    /// Off-beat eighths delayed toward a triplet.
    #[id = "swing"]
    pub swing: FloatParam,
    /// Which model improvises: the masters' (it hears the chord, the beat and the style) or Metheny's.
    #[id = "model"]
    pub model: EnumParam<ModelParam>,
    /// The jazz style the masters' model plays in (its Auto feel too).
    #[id = "style"]
    pub style: EnumParam<StyleParam>,
    /// How the line is played: the learned feel, straight, or as set (Swing, Gate, Velocity, Humanize, Lay back).
    #[id = "feel"]
    pub feel: EnumParam<FeelParam>,
    /// Every onset this much late (Manual feel).
    #[id = "lay_back"]
    pub lay_back: FloatParam,
    /// Output MIDI channel (1–16).
    #[id = "channel"]
    pub channel: IntParam,
    /// Pass the input notes through.
    #[id = "pass_through"]
    pub pass_through: BoolParam,
    /// Where the chords come from.
    #[id = "chord_source"]
    pub chord_source: EnumParam<SourceParam>,
    /// Tonic of the fixed key.
    #[id = "key"]
    pub key: EnumParam<KeyParam>,
    /// Mode of the fixed key.
    #[id = "mode"]
    pub mode: EnumParam<ModeParam>,
    /// Play at the plugin's own tempo when the host gives no transport.
    #[id = "free_run"]
    pub free_run: BoolParam,
    /// Tempo of free run.
    #[id = "free_tempo"]
    pub free_tempo: FloatParam,
    /// Musical guidance on (off: the model samples freely, as `--plain`).
    #[id = "guidance"]
    pub guidance: BoolParam,
    /// Time rule: onsets on the sixteenth or triplet grid, no beat mixing them.
    #[id = "time_grid"]
    pub time_grid: BoolParam,
    /// Harmony: land on changes by step on guide tones.
    #[id = "harmony"]
    pub harmony: FloatParam,
    /// Space: busy (long phrases) to sparse (short phrases, long breaths).
    #[id = "space"]
    pub space: FloatParam,
    /// Motif: how often phrases restate or sequence earlier cells.
    #[id = "motif"]
    pub motif: FloatParam,
    /// Novelty: never copy more than 8 training tokens in a row.
    #[id = "novelty"]
    pub novelty: BoolParam,
    /// Line: no octave-folding leaps, turn back after leaps, few repeats.
    #[id = "line"]
    pub line: FloatParam,
    /// Listen: accompany, trade bars, or answer your phrases.
    #[id = "listen"]
    pub listen: EnumParam<ListenParam>,
    /// Bars in a turn when trading.
    #[id = "trade_bars"]
    pub trade_bars: EnumParam<TradeBarsParam>,
    /// Who plays the first turn when trading.
    #[id = "first_turn"]
    pub first_turn: EnumParam<FirstTurnParam>,
    /// How your melody is told from your chords (trading and answering).
    #[id = "split_by"]
    pub split_by: EnumParam<SplitParam>,
    /// Melody at or above this key, chords below.
    #[id = "split_key"]
    pub split_key: IntParam,
    /// The melody's MIDI channel (1–16) when splitting by channel.
    #[id = "melody_channel"]
    pub melody_channel: IntParam,
    /// Bypass: release everything and pass the input through.
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Improv's own voice on the audio output (Off: silence, MIDI only).
    #[id = "voice"]
    pub voice: EnumParam<VoiceParam>,
    /// The voice also sounds what passes through (your chord and your line).
    #[id = "voice_input"]
    pub voice_input: BoolParam,
    /// Level of the voice.
    #[id = "voice_level"]
    pub voice_level: FloatParam,
    /// How much your ratings pick the phrases (0: no search, the draw as without them).
    #[id = "taste"]
    pub taste: FloatParam,
    /// Candidate phrases drawn for each phrase played to taste.
    #[id = "candidates"]
    pub candidates: IntParam,
    /// Rate the phrase being played or just played (automatable: a foot switch).
    #[id = "rate"]
    pub rate: EnumParam<RateParam>,
    /// A user's weights file ("" = the embedded weights), saved with the project.
    #[persist = "weights-path"]
    pub weights_path: Arc<Mutex<String>>,
}

/// A 0–100 % parameter.
fn percent(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

/// Set before the plugin is created (by the standalone's `--demo`): the chord
/// source starts as the built-in progression, so it plays with no MIDI input.
pub static DEMO_DEFAULTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Set before the plugin is created (by the standalone's `--demo-trade`): Listen
/// starts as Trade, so the editor shows the turns with no keyboard at hand.
pub static DEMO_TRADE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Loudest setting of the voice's level: at 0 dB it peaks below −1 dBFS.
pub const VOICE_LEVEL_MAX_DB: f32 = 0.0;

impl Default for ImprovParams {
    /// The note effect's parameters: the voice off.
    fn default() -> Self {
        Self::with_voice(VoiceParam::Off)
    }
}

impl ImprovParams {
    /// Every parameter at its default, the voice at `voice`.
    pub fn with_voice(voice: VoiceParam) -> Self {
        let d = Settings::default();
        Self {
            temperature: FloatParam::new(
                "Temperature",
                d.sampling.temperature,
                FloatRange::Linear { min: 0.0, max: 2.0 },
            )
            .with_step_size(0.01),
            top_k: IntParam::new("Top-k", d.sampling.top_k as i32, IntRange::Linear { min: 0, max: 90 })
                .with_value_to_string(Arc::new(|k| if k == AUTO_TOP_K as i32 { "Auto".into() } else { k.to_string() }))
                .with_string_to_value(Arc::new(|s| match s.trim() {
                    t if t.eq_ignore_ascii_case("auto") => Some(AUTO_TOP_K as i32),
                    t => t.parse().ok(),
                })),
            seed: IntParam::new("Seed", d.seed as i32, IntRange::Linear { min: 0, max: 9999 }),
            same_solo: BoolParam::new("Same solo every play", d.same_solo),
            low: IntParam::new("Lowest note", DEFAULT_REGISTER.0 as i32, IntRange::Linear { min: 21, max: 108 })
                .with_value_to_string(formatters::v2s_i32_key_formatter())
                .with_string_to_value(formatters::s2v_i32_key_formatter()),
            high: IntParam::new("Highest note", DEFAULT_REGISTER.1 as i32, IntRange::Linear { min: 21, max: 108 })
                .with_value_to_string(formatters::v2s_i32_key_formatter())
                .with_string_to_value(formatters::s2v_i32_key_formatter()),
            octave: IntParam::new("Octave", 0, IntRange::Linear { min: -3, max: 3 }),
            velocity: IntParam::new("Velocity", d.velocity as i32, IntRange::Linear { min: 1, max: 127 }),
            humanize: percent("Humanize", d.humanize),
            gate: FloatParam::new("Gate", d.gate, FloatRange::Linear { min: 0.05, max: 1.0 })
                .with_unit(" %")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            swing: percent("Swing", d.swing),
            model: EnumParam::new("Model", ModelParam::Masters),
            style: EnumParam::new("Style", StyleParam::All),
            feel: EnumParam::new("Feel", FeelParam::Auto),
            lay_back: FloatParam::new("Lay back", 0.0, FloatRange::Linear { min: 0.0, max: 100.0 })
                .with_unit(" ms")
                .with_step_size(0.5),
            channel: IntParam::new("Output channel", 1, IntRange::Linear { min: 1, max: 16 }),
            pass_through: BoolParam::new("Pass input through", true),
            chord_source: EnumParam::new(
                "Chord source",
                if DEMO_DEFAULTS.load(std::sync::atomic::Ordering::Relaxed) {
                    SourceParam::Progression
                } else {
                    SourceParam::Held
                },
            ),
            key: EnumParam::new("Key", KeyParam::C),
            mode: EnumParam::new("Mode", ModeParam::Dorian),
            free_run: BoolParam::new("Free run", false),
            free_tempo: FloatParam::new(
                "Free-run tempo",
                d.free_tempo as f32,
                FloatRange::Linear { min: 40.0, max: 300.0 },
            )
            .with_unit(" BPM")
            .with_step_size(0.1),
            guidance: BoolParam::new("Guidance", d.guidance.enabled),
            time_grid: BoolParam::new("Time grid", d.guidance.time),
            harmony: percent("Harmony", d.guidance.harmony),
            space: percent("Space", d.guidance.space),
            motif: percent("Motif", d.guidance.motif),
            novelty: BoolParam::new("Novelty", d.guidance.novelty),
            line: percent("Line", d.guidance.line),
            listen: EnumParam::new(
                "Listen",
                if DEMO_TRADE.load(std::sync::atomic::Ordering::Relaxed) {
                    ListenParam::Trade
                } else {
                    ListenParam::Accompany
                },
            ),
            trade_bars: EnumParam::new("Trade bars", TradeBarsParam::Four),
            first_turn: EnumParam::new("First turn", FirstTurnParam::Musician),
            split_by: EnumParam::new("Melody by", SplitParam::Key),
            split_key: IntParam::new("Split key", d.listen.split_key as i32, IntRange::Linear { min: 21, max: 108 })
                .with_value_to_string(formatters::v2s_i32_key_formatter())
                .with_string_to_value(formatters::s2v_i32_key_formatter()),
            melody_channel: IntParam::new("Melody channel", 1, IntRange::Linear { min: 1, max: 16 }),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            voice: EnumParam::new("Voice", voice),
            voice_input: BoolParam::new("Voice plays input", true),
            voice_level: FloatParam::new(
                "Voice level",
                -6.0,
                FloatRange::Linear { min: -40.0, max: VOICE_LEVEL_MAX_DB },
            )
            .with_unit(" dB")
            .with_step_size(0.1),
            taste: percent("Taste", d.taste),
            candidates: IntParam::new(
                "Candidates",
                d.candidates as i32,
                IntRange::Linear { min: 2, max: crate::taste::MAX_CANDIDATES as i32 },
            ),
            rate: EnumParam::new("Rate", RateParam::None),
            weights_path: Arc::new(Mutex::new(String::new())),
        }
    }

    /// The engine settings for this block.
    pub fn settings(&self) -> Settings {
        Settings {
            sampling: Sampling { temperature: self.temperature.value(), top_k: self.top_k.value().max(0) as usize },
            seed: self.seed.value().max(0) as u64,
            same_solo: self.same_solo.value(),
            low: self.low.value().clamp(0, 127) as u8,
            high: self.high.value().clamp(0, 127) as u8,
            octave: self.octave.value().clamp(-3, 3) as i8,
            velocity: self.velocity.value().clamp(1, 127) as u8,
            humanize: self.humanize.value(),
            gate: self.gate.value(),
            swing: self.swing.value(),
            feel: match self.feel.value() {
                FeelParam::Auto => super::engine::FeelMode::Auto,
                FeelParam::Straight => super::engine::FeelMode::Straight,
                FeelParam::Manual => super::engine::FeelMode::Manual,
            },
            lay_back_ms: self.lay_back.value(),
            style: self.style.value().style(),
            masters: self.model.value() == ModelParam::Masters,
            taste: self.taste.value(),
            candidates: self.candidates.value().clamp(2, crate::taste::MAX_CANDIDATES as i32) as usize,
            channel: (self.channel.value().clamp(1, 16) - 1) as u8,
            chord_source: match self.chord_source.value() {
                SourceParam::Held => ChordSource::Held,
                SourceParam::Progression => ChordSource::Progression,
                SourceParam::Key => ChordSource::Key,
            },
            key: self.key.value() as u8,
            mode: match self.mode.value() {
                ModeParam::Major => KeyMode::Major,
                ModeParam::Dorian => KeyMode::Dorian,
                ModeParam::Mixolydian => KeyMode::Mixolydian,
                ModeParam::Minor => KeyMode::Minor,
            },
            free_run: self.free_run.value(),
            free_tempo: self.free_tempo.value() as f64,
            guidance: Guidance {
                enabled: self.guidance.value(),
                time: self.time_grid.value(),
                harmony: self.harmony.value(),
                space: self.space.value(),
                motif: self.motif.value(),
                novelty: self.novelty.value(),
                line: self.line.value(),
            },
            listen: Listen {
                mode: match self.listen.value() {
                    ListenParam::Accompany => ListenMode::Accompany,
                    ListenParam::Trade => ListenMode::Trade,
                    ListenParam::Answer => ListenMode::Answer,
                },
                trade_bars: match self.trade_bars.value() {
                    TradeBarsParam::One => 1,
                    TradeBarsParam::Two => 2,
                    TradeBarsParam::Four => 4,
                    TradeBarsParam::Eight => 8,
                },
                musician_starts: self.first_turn.value() == FirstTurnParam::Musician,
                split_by: match self.split_by.value() {
                    SplitParam::Key => SplitBy::Key,
                    SplitParam::Channel => SplitBy::Channel,
                },
                split_key: self.split_key.value().clamp(0, 127) as u8,
                melody_channel: (self.melody_channel.value().clamp(1, 16) - 1) as u8,
            },
        }
    }
}
