//! The CLAP/VST3 plugin: a thin nice-plug shell around [`engine::Engine`].
//!
//! Threads: the host's audio thread runs [`Plugin::process`] (no allocation, lock,
//! I/O or unbounded loop: everything it touches is allocated in `Default`/`activate`;
//! debug builds with the `alloc-check` feature abort if it allocates). Weights are
//! loaded on a background thread and handed over through a wait-free ring buffer;
//! the replaced model goes back through another ring to be dropped off the audio
//! thread. The editor reads the chord, the played notes and the status through
//! atomics and a third ring.
//!
//! Two plugins come from this code ([`Variant`]): Improv, a note effect that goes
//! before an instrument (CLAP `note-effect`, VST3 `Fx|Generator`), and Improv
//! Instrument, which hosts such as Ableton Live file as a track's instrument (VST3
//! `Instrument|Generator`), its own voice on. Both have a stereo output (Live opens
//! no VST3 without an audio bus) carrying the voice, or silence, and both send the
//! line out as MIDI.

pub mod collide;
#[cfg(feature = "gui")]
mod editor;
pub mod engine;
pub mod params;
pub mod rating;

use crate::feel::answer::CallFeel;
use engine::{Engine, LiveModel, NoteMsg, PlayedNote, TransportInfo, Turn};
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use params::{ImprovParams, VoiceParam};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Models waiting to be swapped in (or out) at once.
const MODEL_RING: usize = 4;
/// Played notes buffered for the editor.
const HISTORY_RING: usize = 4096;
/// In an alloc-check build, this environment variable (read on activation) makes
/// process() allocate on purpose: the host tests' proof that the check can fail.
#[cfg(feature = "alloc-check")]
pub const ALLOCATE_ON_PURPOSE: &str = "IMPROV_TEST_ALLOCATE_IN_PROCESS";
/// In an alloc-check build, this environment variable (a beat, read on
/// activation) presses the editor's thumbs-up once the host passes that beat: the
/// host tests' way to press it with no window open (`Shared::rate`, as the button).
#[cfg(feature = "alloc-check")]
pub const THUMB_UP_AT: &str = "IMPROV_TEST_THUMB_UP_AT_BEAT";
/// In an alloc-check build, this environment variable (milliseconds) makes the
/// background writer wait that long between saving ratings and refitting: the host
/// tests' way to destroy the plugin while a task still runs.
#[cfg(feature = "alloc-check")]
pub const SLOW_REFIT: &str = "IMPROV_TEST_SLOW_REFIT_MS";
/// Heard calls' feels buffered for the editor (it shows the last).
const HEARD_RING: usize = 4;
/// Rated phrases (and refitted preferences) waiting to cross threads.
const RATED_RING: usize = 16;

/// What the audio thread shares with the editor and the loader.
pub struct Shared {
    chord: [AtomicU8; 16],
    chord_len: AtomicUsize,
    /// The host position of the last block, in beats (f64 bits).
    position: AtomicU64,
    /// Set by the editor's panic button; the audio thread releases every note.
    panic: AtomicBool,
    /// Who is playing now ([`Turn`] as a number).
    turn: AtomicU8,
    /// Model description and the last load message (never touched by the audio thread).
    status: Mutex<Status>,
    to_audio: Mutex<rtrb::Producer<Box<LiveModel>>>,
    returned: Mutex<rtrb::Consumer<Box<LiveModel>>>,
    history: Mutex<rtrb::Consumer<PlayedNote>>,
    /// The feel of each call answered, and the tempo it was played at.
    heard: Mutex<rtrb::Consumer<(CallFeel, f64)>>,
    /// A thumb the editor pressed for the last phrase (0 none, 1 bad, 2 good),
    /// taken by the audio thread, which knows the phrase.
    rate_click: AtomicU8,
    /// Rated phrases from the audio thread, for the background writer.
    rated: Mutex<rtrb::Consumer<rating::RateRequest>>,
    /// Preference models refitted by the writer, for the audio thread.
    preferences: Mutex<rtrb::Producer<Option<crate::taste::Preference>>>,
    /// Ratings in the file, as last read (for the editor).
    ratings: AtomicUsize,
}

/// The model in use and the last message about loading one.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Where the weights came from, their vocabulary, size and loss.
    pub model: String,
    /// The last warning or error ("" = none).
    pub message: String,
}

impl Shared {
    /// The chord the engine is playing over.
    pub fn chord(&self) -> Vec<u8> {
        let n = self.chord_len.load(Ordering::Relaxed).min(16);
        self.chord[..n].iter().map(|k| k.load(Ordering::Relaxed)).collect()
    }

    /// The host position of the last block, in beats.
    pub fn position(&self) -> f64 {
        f64::from_bits(self.position.load(Ordering::Relaxed))
    }

    /// Who is playing now.
    pub fn turn(&self) -> Turn {
        match self.turn.load(Ordering::Relaxed) {
            1 => Turn::Improv,
            2 => Turn::Listening,
            3 => Turn::Answering,
            _ => Turn::Idle,
        }
    }

    /// The model description and the last message.
    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Takes the notes played since the last call.
    pub fn drain_history(&self, into: &mut Vec<PlayedNote>) {
        if let Ok(mut ring) = self.history.lock() {
            while let Ok(n) = ring.pop() {
                into.push(n);
            }
        }
    }

    /// The feel of the last call answered since the last call of this, if any.
    pub fn last_heard_feel(&self) -> Option<(CallFeel, f64)> {
        let mut last = None;
        if let Ok(mut ring) = self.heard.lock() {
            while let Ok(f) = ring.pop() {
                last = Some(f);
            }
        }
        last
    }

    /// Rates the phrase Improv is playing or last played (the editor's thumbs):
    /// the audio thread takes it at its next block.
    pub fn rate(&self, verdict: crate::taste::ratings::Verdict) {
        let code = match verdict {
            crate::taste::ratings::Verdict::Bad => 1,
            crate::taste::ratings::Verdict::Good => 2,
        };
        self.rate_click.store(code, Ordering::Relaxed);
    }

    /// Ratings in the player's file, as last read.
    pub fn ratings(&self) -> usize {
        self.ratings.load(Ordering::Relaxed)
    }

    /// Saves the rated phrases waiting from the audio thread, refits the preference
    /// model from the whole file and hands it to the audio thread (background
    /// thread). `model`: the name ratings are saved with.
    fn save_ratings(&self, model: &str, picked: Option<crate::taste::ratings::Rating>) {
        let Some(message) = self.write_ratings(model, picked) else {
            // An earlier task took these ratings already.
            return;
        };
        #[cfg(feature = "alloc-check")]
        if let Some(ms) = std::env::var(SLOW_REFIT).ok().and_then(|ms| ms.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        let (preference, problem) = load_preference(self);
        if let Ok(mut ring) = self.preferences.lock() {
            let _ = ring.push(preference);
        }
        if let Ok(mut s) = self.status.lock() {
            s.message = problem.unwrap_or(message);
        }
    }

    /// Appends `picked` and the rated phrases waiting from the audio thread to the
    /// ratings file: what to tell the player, or `None` if nothing was waiting.
    fn write_ratings(&self, model: &str, picked: Option<crate::taste::ratings::Rating>) -> Option<String> {
        let mut batch: Vec<crate::taste::ratings::Rating> = picked.into_iter().collect();
        if let Ok(mut ring) = self.rated.lock() {
            while let Ok(r) = ring.pop() {
                let mut rating = crate::taste::ratings::Rating::new(r.verdict, r.phrase(), r.rest_after, model);
                rating.from = "plugin".into();
                batch.push(rating);
            }
        }
        if batch.is_empty() {
            return None;
        }
        let saved = crate::taste::ratings::default_path()
            .and_then(|p| crate::taste::ratings::append(&p, &batch).map_err(|e| e.to_string()));
        Some(match saved {
            Ok(n) => {
                let verdicts: Vec<&str> = batch
                    .iter()
                    .map(|r| if r.verdict == crate::taste::ratings::Verdict::Good { "good" } else { "bad" })
                    .collect();
                format!("rated {} ({n} ratings)", verdicts.join(", "))
            }
            Err(e) => format!("rating not saved: {e}"),
        })
    }

    /// Asks the audio thread to release every note.
    pub fn panic(&self) {
        self.panic.store(true, Ordering::Relaxed);
    }

    /// Drops models the audio thread has handed back.
    fn drop_returned(&self) {
        if let Ok(mut ring) = self.returned.lock() {
            while ring.pop().is_ok() {}
        }
    }
}

fn describe(w: &crate::model::Weights, source: &str) -> String {
    format!(
        "{source}: LSTM({}) + Dense({}), {} parameters, trained on {} for {} epochs, final loss {:.3}",
        w.params.hidden(),
        w.params.n_values(),
        w.params.count(),
        w.training.source_name,
        w.training.epochs,
        w.training.final_loss().unwrap_or(f32::NAN)
    )
}

/// The player's preference model, fitted from the ratings file (`None` without
/// ratings), and what is wrong with the file if it cannot be read (taste is then
/// off and the file left as it is).
fn load_preference(shared: &Shared) -> (Option<crate::taste::Preference>, Option<String>) {
    let loaded = crate::taste::ratings::default_path()
        .and_then(|p| crate::taste::ratings::load(&p).map_err(|e| format!("{e}; playing without taste")));
    match loaded {
        Ok(ratings) => {
            shared.ratings.store(ratings.len(), Ordering::Relaxed);
            (crate::taste::Preference::fit(&crate::taste::ratings::examples(&ratings)), None)
        }
        Err(e) => (None, Some(e)),
    }
}

/// The name a rating is saved with: the weights file, else the embedded model's.
fn model_name(params: &ImprovParams) -> String {
    let path = params.weights_path.lock().map(|p| p.clone()).unwrap_or_default();
    if !path.is_empty() {
        path
    } else if params.model.value() == params::ModelParam::Masters {
        "wjd".to_string()
    } else {
        "metheny".to_string()
    }
}

/// The model step's precision: f16 unless the environment sets `IMPROV_PRECISION=f32`
/// (read when a model is loaded, on the main thread; for A/B listening and parity).
fn step_precision() -> crate::model::Precision {
    match std::env::var("IMPROV_PRECISION").as_deref() {
        Ok("f32") => crate::model::Precision::F32,
        _ => crate::model::Precision::LIVE,
    }
}

/// The source name of the embedded Metheny model.
const METHENY_SOURCE: &str = "embedded default weights";
/// The source name of the embedded masters' model.
const MASTERS_SOURCE: &str = "embedded masters' model (WJD)";

/// Loads a weights file (or an embedded model: "" for Metheny's, [`MASTERS_SOURCE`]
/// for the masters') into a live model.
fn load_model(path: &str) -> Result<(Box<LiveModel>, String), String> {
    let (weights, source) = if path.is_empty() || path == METHENY_SOURCE {
        (crate::default_weights().map_err(|e| e.to_string())?, METHENY_SOURCE.to_string())
    } else if path == MASTERS_SOURCE {
        (crate::masters_weights().map_err(|e| e.to_string())?, MASTERS_SOURCE.to_string())
    } else {
        let w = crate::model::Weights::load(std::path::Path::new(path)).map_err(|e| format!("{path}: {e}"))?;
        (w, path.to_string())
    };
    let info = describe(&weights, &source);
    Ok((Box::new(LiveModel::with_precision(&weights, source, step_precision())), info))
}

/// The notes Improv played in the last `bars` bars before beat `now` (not the
/// musician's it heard), as a MIDI file that starts on the first of those bars'
/// downbeats, with the number of notes; `None` if there are none. (The editor's
/// "export the last N bars".)
pub fn export_bars(history: &[PlayedNote], now: f64, bars: u32) -> Option<(Vec<u8>, usize)> {
    let beats_per_bar = crate::improvise::BEATS_PER_BAR as f64;
    let from = now - bars as f64 * beats_per_bar;
    let origin = (from / beats_per_bar).floor() * beats_per_bar;
    // Beats on the 480-tick grid the MIDI writer uses.
    let grid = |b: f64| crate::score::Beats::new((b * 480.0).round().max(0.0) as i64, 480);
    let notes: Vec<crate::midi::NoteOut> = history
        .iter()
        .filter(|n| !n.heard && n.start >= from && n.start <= now)
        .map(|n| crate::midi::NoteOut {
            start: grid(n.start - origin),
            length: grid(n.length),
            key: n.key,
            velocity: 100,
        })
        .collect();
    if notes.is_empty() {
        return None;
    }
    let count = notes.len();
    let bytes = crate::midi::write_smf(
        crate::midi::Conductor { bpm: 120.0, beats_per_bar: crate::improvise::BEATS_PER_BAR as u8 },
        &[crate::midi::TrackOut { name: "Improv".into(), channel: 0, program: crate::midi::MELODY_PROGRAM, notes }],
    );
    Some((bytes, count))
}

/// What tells the two plugins apart: names, identifiers, categories, the voice's default.
pub trait Variant: 'static + Send + Sync {
    /// The plugin's name in the host.
    const NAME: &'static str;
    /// CLAP identifier.
    const CLAP_ID: &'static str;
    /// CLAP features (how CLAP hosts file it).
    const CLAP_FEATURES: &'static [ClapFeature];
    /// VST3 class identifier.
    const VST3_CLASS_ID: [u8; 16];
    /// VST3 categories (how VST3 hosts file it).
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory];
    /// The voice of a new instance.
    const VOICE: VoiceParam;
}

/// The note effect: before an instrument on a MIDI track; its voice off.
pub struct NoteEffect;

impl Variant for NoteEffect {
    const NAME: &'static str = "Improv";
    const CLAP_ID: &'static str = "invalid.example.improv";
    const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::NoteEffect, ClapFeature::Utility];
    const VST3_CLASS_ID: [u8; 16] = *b"ImprovLSTMNoteFx";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Generator];
    const VOICE: VoiceParam = VoiceParam::Off;
}

/// The instrument: the track's instrument (Ableton Live), heard through its own
/// voice, its MIDI also sent out.
pub struct Instrument;

impl Variant for Instrument {
    const NAME: &'static str = "Improv Instrument";
    const CLAP_ID: &'static str = "invalid.example.improv.instrument";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::Instrument, ClapFeature::Synthesizer, ClapFeature::Stereo];
    const VST3_CLASS_ID: [u8; 16] = *b"ImprovLSTMInstr1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Instrument, Vst3SubCategory::Generator];
    const VOICE: VoiceParam = VoiceParam::Vibraphone;
}

/// The note effect.
pub type Improv = ImprovPlugin<NoteEffect>;
/// The instrument.
pub type ImprovInstrument = ImprovPlugin<Instrument>;

/// The audio bus both plugins have: a stereo main output, no input.
pub const AUDIO_LAYOUT: AudioIOLayout = AudioIOLayout {
    main_input_channels: None,
    main_output_channels: NonZeroU32::new(2),
    ..AudioIOLayout::const_default()
};

/// Work done off the audio thread.
pub enum Task {
    /// Load a weights file ("" = the embedded weights) and hand it to the audio thread.
    LoadWeights(String),
    /// Save the phrases rated on the audio thread and learn from them again.
    SaveRatings,
    /// Save a phrase picked in the editor's roll, rated so, and learn again.
    RatePhrase(crate::taste::ratings::Verdict, Vec<crate::taste::PhraseNote>, i64),
}

/// The plugin, of either [`Variant`].
pub struct ImprovPlugin<V: Variant> {
    params: Arc<ImprovParams>,
    engine: Engine,
    synth: crate::voice::Synth,
    shared: Arc<Shared>,
    sample_rate: f32,
    inbox: rtrb::Consumer<Box<LiveModel>>,
    outbox: rtrb::Producer<Box<LiveModel>>,
    history: rtrb::Producer<PlayedNote>,
    heard: rtrb::Producer<(CallFeel, f64)>,
    /// Rated phrases for the background writer.
    rated: rtrb::Producer<rating::RateRequest>,
    /// Preference models from the background writer.
    preferences: rtrb::Consumer<Option<crate::taste::Preference>>,
    /// The Rate parameter's value at the last block (a change rates).
    last_rate: params::RateParam,
    inputs: Vec<NoteMsg>,
    /// Test only: process() allocates, to show that the alloc-check build aborts.
    #[cfg(feature = "alloc-check")]
    allocate_on_purpose: bool,
    /// Test only: the beat at which the editor's thumbs-up is pressed ([`THUMB_UP_AT`]).
    #[cfg(feature = "alloc-check")]
    thumb_up_at: Option<f64>,
    #[cfg(feature = "gui")]
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    variant: std::marker::PhantomData<V>,
}

impl<V: Variant> Default for ImprovPlugin<V> {
    fn default() -> Self {
        let (model, info) = load_model(MASTERS_SOURCE).expect("the embedded weights are valid (tested)");
        let (spare, _) = load_model(METHENY_SOURCE).expect("the embedded weights are valid (tested)");
        let (to_audio, inbox) = rtrb::RingBuffer::new(MODEL_RING);
        let (outbox, returned) = rtrb::RingBuffer::new(MODEL_RING);
        let (history, history_rx) = rtrb::RingBuffer::new(HISTORY_RING);
        let (heard, heard_rx) = rtrb::RingBuffer::new(HEARD_RING);
        let (rated, rated_rx) = rtrb::RingBuffer::new(RATED_RING);
        let (preferences_tx, preferences) = rtrb::RingBuffer::new(RATED_RING);
        let shared = Arc::new(Shared {
            chord: Default::default(),
            chord_len: AtomicUsize::new(0),
            position: AtomicU64::new(0f64.to_bits()),
            panic: AtomicBool::new(false),
            turn: AtomicU8::new(0),
            status: Mutex::new(Status { model: info, message: String::new() }),
            to_audio: Mutex::new(to_audio),
            returned: Mutex::new(returned),
            history: Mutex::new(history_rx),
            heard: Mutex::new(heard_rx),
            rate_click: AtomicU8::new(0),
            rated: Mutex::new(rated_rx),
            preferences: Mutex::new(preferences_tx),
            ratings: AtomicUsize::new(0),
        });
        Self {
            params: Arc::new(ImprovParams::with_voice(V::VOICE)),
            engine: {
                let mut engine = Engine::new(model);
                engine.set_spare(Some(spare));
                engine
            },
            synth: crate::voice::Synth::new(44_100.0),
            shared,
            sample_rate: 44_100.0,
            inbox,
            outbox,
            history,
            heard,
            rated,
            preferences,
            last_rate: params::RateParam::None,
            #[cfg(feature = "alloc-check")]
            allocate_on_purpose: false,
            #[cfg(feature = "alloc-check")]
            thumb_up_at: None,
            inputs: Vec::with_capacity(Self::INPUT_EVENT_CAPACITY),
            #[cfg(feature = "gui")]
            editor_state: editor::default_state(),
            variant: std::marker::PhantomData,
        }
    }
}

/// A rating made just before the plugin goes (the project closed, the track
/// deleted) is written now: the background task that would have written it may
/// never run once the plugin is gone.
impl<V: Variant> Drop for ImprovPlugin<V> {
    fn drop(&mut self) {
        let _ = self.shared.write_ratings(&model_name(&self.params), None);
    }
}

impl<V: Variant> ImprovPlugin<V> {
    /// Brings the engine's model in line with the persisted weights path, or
    /// with the Model switch when there is none, and keeps the other embedded
    /// model as the engine's spare (main thread).
    fn sync_weights(&mut self) {
        let path = self.params.weights_path.lock().map(|p| p.clone()).unwrap_or_default();
        let masters = self.params.model.value() == params::ModelParam::Masters;
        let embedded = if masters { MASTERS_SOURCE } else { METHENY_SOURCE };
        let other = if masters { METHENY_SOURCE } else { MASTERS_SOURCE };
        // With a file loaded the switch has nothing to change places with.
        let spare_wanted = path.is_empty().then_some(other);
        if self.engine.spare_source() != spare_wanted {
            let spare = spare_wanted.and_then(|s| load_model(s).ok()).map(|(m, _)| m);
            drop(self.engine.set_spare(spare));
        }
        let wanted = if path.is_empty() { embedded.to_string() } else { path };
        if self.engine.model_source() == wanted {
            return;
        }
        match load_model(&wanted) {
            Ok((model, info)) => {
                drop(self.engine.swap_model(model));
                if let Ok(mut s) = self.shared.status.lock() {
                    *s = Status { model: info, message: String::new() };
                }
            }
            Err(e) => {
                // A saved project whose weights file is gone still opens: embedded weights, and a warning.
                if let Ok((model, info)) = load_model(embedded) {
                    drop(self.engine.swap_model(model));
                    if let Ok(mut s) = self.shared.status.lock() {
                        *s = Status { model: info, message: format!("{e} — using the embedded weights") };
                    }
                }
            }
        }
    }
}

impl<V: Variant> ImprovPlugin<V> {
    /// Rates the last phrase on a change of the Rate parameter (to Good or Bad)
    /// or a thumb pressed in the editor, and has the writer save it (audio thread:
    /// a copy into a ring sized once).
    fn take_ratings(&mut self, context: &mut impl ProcessContext<Self>) {
        use crate::taste::ratings::Verdict;
        let rate = self.params.rate.value();
        let automated = if rate != self.last_rate { rate.verdict() } else { None };
        self.last_rate = rate;
        let clicked = match self.shared.rate_click.swap(0, Ordering::Relaxed) {
            1 => Some(Verdict::Bad),
            2 => Some(Verdict::Good),
            _ => None,
        };
        for (verdict, from_automation) in [(automated, true), (clicked, false)] {
            let Some(verdict) = verdict else { continue };
            if let Some(request) = self.engine.rate_last_phrase(verdict, from_automation)
                && self.rated.push(*request).is_ok()
            {
                context.execute_background(Task::SaveRatings);
            }
        }
    }
}

impl<V: Variant> Plugin for ImprovPlugin<V> {
    const NAME: &'static str = V::NAME;
    const VENDOR: &'static str = "Improv";
    const URL: &'static str = "https://example.invalid/improv";
    const EMAIL: &'static str = "improv@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    // A stereo output for the voice (or silence): Live opens no VST3 without one.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AUDIO_LAYOUT];
    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;
    const MIDI_OUTPUT: MidiConfig = MidiConfig::Basic;
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;
    #[cfg(feature = "gui")]
    type Editor = nice_plug_egui::EguiEditor<editor::ImprovGui>;
    #[cfg(not(feature = "gui"))]
    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = Task;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// Projects saved before the Feel parameter existed load as Manual, so they
    /// sound as they did (Swing, Gate, Velocity and Humanize as saved); new
    /// instances start on Auto.
    fn filter_state(state: &mut PluginState) {
        if !state.params.contains_key("feel") {
            state.params.insert("feel".into(), nice_plug::plugin::ParamValue::String("manual".into()));
        }
        // A project from before the masters' model plays the model it was made with.
        if !state.params.contains_key("model") {
            state.params.insert("model".into(), nice_plug::plugin::ParamValue::String("metheny".into()));
        }
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        let shared = self.shared.clone();
        let params = self.params.clone();
        Box::new(move |task| match task {
            Task::LoadWeights(path) => {
                shared.drop_returned();
                let result = load_model(&path);
                let mut status = shared.status.lock().unwrap_or_else(|e| e.into_inner());
                match result {
                    Ok((model, info)) => {
                        let pushed = shared.to_audio.lock().map(|mut ring| ring.push(model).is_ok()).unwrap_or(false);
                        if pushed {
                            if let Ok(mut p) = params.weights_path.lock() {
                                *p = path;
                            }
                            *status = Status { model: info, message: String::new() };
                        } else {
                            status.message = "busy: try loading again".into();
                        }
                    }
                    Err(e) => status.message = format!("not loaded: {e}"),
                }
            }
            Task::SaveRatings => shared.save_ratings(&model_name(&params), None),
            Task::RatePhrase(verdict, notes, rest_after) => {
                let model = model_name(&params);
                let mut rating = crate::taste::ratings::Rating::new(verdict, &notes, rest_after, &model);
                rating.from = "plugin roll".into();
                shared.save_ratings(&model, Some(rating));
            }
        })
    }

    #[cfg(feature = "gui")]
    fn editor(&mut self, async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let run = move |task| async_executor.execute_background(task);
        editor::create(self.params.clone(), self.shared.clone(), self.editor_state.clone(), run)
    }

    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        config: &BufferConfig,
        _cx: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.sample_rate = config.sample_rate;
        self.synth.set_sample_rate(config.sample_rate);
        #[cfg(feature = "alloc-check")]
        {
            self.allocate_on_purpose = std::env::var_os(ALLOCATE_ON_PURPOSE).is_some();
            self.thumb_up_at = std::env::var(THUMB_UP_AT).ok().and_then(|b| b.parse().ok());
        }
        self.sync_weights();
        let (preference, problem) = load_preference(&self.shared);
        self.engine.set_preference(preference);
        if let (Some(p), Ok(mut s)) = (problem, self.shared.status.lock()) {
            s.message = p;
        }
        self.last_rate = self.params.rate.value();
        self.engine.reset();
        true
    }

    fn reset(&mut self) {
        self.engine.reset();
    }

    fn deactivate(&mut self) {
        self.engine.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        #[cfg(feature = "alloc-check")]
        if self.allocate_on_purpose {
            std::hint::black_box(Vec::<u8>::with_capacity(64));
        }
        #[cfg(feature = "alloc-check")]
        if let (Some(at), Some(pos)) = (self.thumb_up_at, context.transport().pos_beats())
            && pos >= at
        {
            self.thumb_up_at = None;
            self.shared.rate(crate::taste::ratings::Verdict::Good);
        }
        if self.shared.panic.swap(false, Ordering::Relaxed) {
            self.engine.panic();
            self.synth.all_off();
        }
        while let Ok(preference) = self.preferences.pop() {
            self.engine.set_preference(preference);
        }
        while let Ok(model) = self.inbox.pop() {
            let old = self.engine.swap_model(model);
            if let Err(rtrb::PushError::Full(old)) = self.outbox.push(old) {
                // Never free on the audio thread; the ring is sized so this cannot happen.
                std::mem::forget(old);
            }
        }
        let t = context.transport();
        let transport = TransportInfo { playing: t.playing, tempo: t.tempo, pos_beats: t.pos_beats() };
        let sample_rate = if t.sample_rate > 0.0 { t.sample_rate } else { self.sample_rate };
        let len = buffer.samples() as u32;
        self.inputs.clear();
        while let Some(event) = context.next_event() {
            let msg = match event {
                NoteEvent::NoteOn { timing, channel, key: Key::Number(key), velocity, .. } => {
                    NoteMsg::input(timing, true, channel.number().unwrap_or(0), key, velocity)
                }
                NoteEvent::NoteOff { timing, channel, key: Key::Number(key), velocity, .. } => {
                    NoteMsg::input(timing, false, channel.number().unwrap_or(0), key, velocity)
                }
                _ => continue,
            };
            if self.inputs.len() < self.inputs.capacity() {
                self.inputs.push(msg);
            }
        }
        let mut settings = self.params.settings();
        let (transport, pass) = if self.params.bypass.value() {
            settings.free_run = false;
            (TransportInfo { playing: false, tempo: None, pos_beats: None }, true)
        } else {
            (transport, self.params.pass_through.value())
        };
        let events = self.engine.process(transport, sample_rate, len, &self.inputs, pass, &settings);
        voice(&mut self.synth, &self.params, events, buffer);
        for e in events {
            let (channel, key, voice_id) = (Channel::Number(e.channel), Key::Number(e.key), VoiceID::Wildcard);
            let event = if e.on {
                NoteEvent::NoteOn { timing: e.timing, voice_id, channel, key, velocity: e.velocity }
            } else {
                NoteEvent::NoteOff { timing: e.timing, voice_id, channel, key, velocity: e.velocity }
            };
            let _ = context.try_send_event(event);
        }
        let chord = self.engine.chord();
        for (slot, &k) in self.shared.chord.iter().zip(chord) {
            slot.store(k, Ordering::Relaxed);
        }
        self.shared.chord_len.store(chord.len(), Ordering::Relaxed);
        if let Some(pos) = transport.pos_beats {
            self.shared.position.store(pos.to_bits(), Ordering::Relaxed);
        }
        let turn = match self.engine.turn() {
            Turn::Idle => 0,
            Turn::Improv => 1,
            Turn::Listening => 2,
            Turn::Answering => 3,
        };
        self.shared.turn.store(turn, Ordering::Relaxed);
        for &n in self.engine.played() {
            let _ = self.history.push(n);
        }
        if let Some(feel) = self.engine.take_heard_feel() {
            let _ = self.heard.push((feel, self.engine.tempo()));
        }
        self.take_ratings(context);
        ProcessStatus::KeepAlive
    }
}

/// Renders the voice for a block: the line (and, if asked, what passes through),
/// each note starting at its sample; silence when the voice is off and has rung out.
fn voice(synth: &mut crate::voice::Synth, params: &ImprovParams, events: &[NoteMsg], buffer: &mut Buffer) {
    let channels = buffer.as_slice();
    let Some((first, rest)) = channels.split_first_mut() else { return };
    let sound = params.voice.value().sound();
    match sound {
        Some(s) => synth.set_sound(s),
        None => synth.all_off(),
    }
    if sound.is_none() && !synth.active() {
        first.fill(0.0);
    } else {
        let input_too = params.voice_input.value();
        let cues = events.iter().filter(|e| sound.is_some() && (e.line || input_too)).map(|e| crate::voice::Cue {
            at: e.timing as usize,
            on: e.on,
            part: if e.line { crate::voice::Part::Line } else { crate::voice::Part::Input },
            channel: e.channel,
            key: e.key,
            velocity: e.velocity,
        });
        synth.render_cued(first, cues);
        let gain = util::db_to_gain(params.voice_level.value().min(params::VOICE_LEVEL_MAX_DB));
        for s in first.iter_mut() {
            *s *= gain;
        }
    }
    for ch in rest {
        ch.copy_from_slice(first);
    }
}

impl<V: Variant> ClapPlugin for ImprovPlugin<V> {
    const CLAP_ID: &'static str = V::CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some("An LSTM improvises a jazz line over the chords you hold");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = V::CLAP_FEATURES;
}

impl<V: Variant> Vst3Plugin for ImprovPlugin<V> {
    const VST3_CLASS_ID: [u8; 16] = V::VST3_CLASS_ID;
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = V::VST3_SUBCATEGORIES;
}

nice_export_clap!(Improv, ImprovInstrument);
nice_export_vst3!(Improv, ImprovInstrument);

#[cfg(test)]
mod tests {
    use super::*;

    fn set_path(p: &Improv, path: &str) {
        *p.params.weights_path.lock().unwrap() = path.to_string();
    }

    #[test]
    fn missing_or_bad_weights_on_restore_fall_back_with_a_warning() {
        let mut p = Improv::default();
        set_path(&p, "/nonexistent/mine.bin");
        p.sync_weights();
        assert_eq!(p.engine.model_source(), MASTERS_SOURCE);
        let status = p.shared.status();
        assert!(status.message.contains("/nonexistent/mine.bin") && status.message.contains("embedded"), "{status:?}");

        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.bin");
        std::fs::write(&bad, b"IMPRVWTS garbage").unwrap();
        set_path(&p, bad.to_str().unwrap());
        p.sync_weights();
        assert_eq!(p.engine.model_source(), MASTERS_SOURCE);
        assert!(p.shared.status().message.contains("bad.bin"));

        let good = dir.path().join("good.bin");
        std::fs::write(&good, crate::DEFAULT_WEIGHTS).unwrap();
        set_path(&p, good.to_str().unwrap());
        p.sync_weights();
        assert_eq!(p.engine.model_source(), good.to_str().unwrap());
        assert!(p.shared.status().message.is_empty());
    }

    #[test]
    fn exporting_the_last_bars() {
        let note = |start: f64, key: u8| PlayedNote {
            start,
            length: 0.5,
            key,
            kind: crate::grammar::NoteType::Chord,
            heard: false,
            drawn: None,
        };
        let history = [note(1.0, 60), note(9.0, 62), note(13.5, 64), note(16.2, 65)];
        // Two bars before beat 16: beats 8 to 16, written from bar 3's downbeat (beat 8).
        let (bytes, count) = export_bars(&history, 16.0, 2).unwrap();
        assert_eq!(count, 2);
        let file = crate::midi::MidiFile::parse(&bytes).unwrap();
        let tpq = file.ticks_per_quarter as u64;
        let got: Vec<(u64, u64, u8)> = file.parts[0].notes.iter().map(|n| (n.on, n.off - n.on, n.key)).collect();
        assert_eq!(got, vec![(tpq, tpq / 2, 62), (tpq * 11 / 2, tpq / 2, 64)]);
        assert!(export_bars(&history, 40.0, 1).is_none());
    }

    #[test]
    fn loading_in_the_background_hands_the_model_over() {
        let mut p = Improv::default();
        let exec = p.task_executor();
        exec(Task::LoadWeights("/nonexistent.bin".into()));
        assert!(p.shared.status().message.starts_with("not loaded"), "{:?}", p.shared.status());
        assert!(p.inbox.is_empty(), "a bad file is not handed over");
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("w.bin");
        std::fs::write(&good, crate::DEFAULT_WEIGHTS).unwrap();
        exec(Task::LoadWeights(good.to_str().unwrap().into()));
        assert_eq!(p.inbox.slots(), 1, "one model waits for the audio thread");
        assert_eq!(*p.params.weights_path.lock().unwrap(), good.to_str().unwrap());
        assert!(p.shared.status().model.contains("w.bin"));
    }
}
