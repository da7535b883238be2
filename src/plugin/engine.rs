//! The live engine: held chords in, a melody out, in time with a transport.
//!
//! Framework-free (the nice-plug shell in `plugin/mod.rs` feeds it), and
//! real-time safe: every buffer is allocated in [`Engine::new`]; a block does a
//! bounded amount of work (the [`Improviser`] draws at most
//! [`MAX_TOKENS_PER_BAR`](crate::improvise::MAX_TOKENS_PER_BAR) tokens a bar, and
//! a block fills at most the beats it reaches) and allocates nothing.

use crate::grammar::{Harmony, MAX_CHORD_TONES, NoteType};
pub use crate::improvise::LiveModel;
use crate::improvise::{
    ChangeSource, Guidance, HeldChord, Improviser, LoopedChanges, Outcome, Style, reference_changes,
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
    /// Delay of off-beat eighths: 0 = straight, 1 = triplet swing.
    pub swing: f32,
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
}

impl Settings {
    /// What the improviser plays with.
    pub fn style(&self) -> Style {
        Style {
            sampling: self.sampling,
            low: self.low.min(self.high),
            high: self.high.max(self.low),
            guidance: self.guidance,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sampling: Sampling { temperature: 0.9, top_k: 16 },
            seed: 1,
            same_solo: false,
            low: crate::grammar::DEFAULT_REGISTER.0,
            high: crate::grammar::DEFAULT_REGISTER.1,
            octave: 0,
            velocity: 100,
            humanize: 0.1,
            gate: 0.9,
            swing: 0.0,
            channel: 0,
            chord_source: ChordSource::Held,
            key: 0,
            mode: KeyMode::Dorian,
            free_run: false,
            free_tempo: 120.0,
            guidance: Guidance::DEFAULT,
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
}

#[derive(Debug, Clone, Copy)]
struct Queued {
    start: f64,
    end: f64,
    key: u8,
    velocity: f32,
    kind: NoteType,
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
    running: bool,
    expected: f64,
    /// Beat up to which notes have been generated.
    generated_to: f64,
    free_pos: f64,
    panic: bool,
    events: Vec<NoteMsg>,
    played: Vec<PlayedNote>,
}

fn beats_of(x: Beats) -> f64 {
    *x.numer() as f64 / *x.denom() as f64
}

impl Engine {
    /// An engine around a model; allocates every buffer it will use.
    pub fn new(model: Box<LiveModel>) -> Self {
        Self {
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
            running: false,
            expected: 0.0,
            generated_to: 0.0,
            free_pos: 0.0,
            panic: false,
            events: Vec::with_capacity(MAX_EVENTS),
            played: Vec::with_capacity(QUEUE),
        }
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

    /// The keys of the chord the line is playing over now (held notes, the built-in
    /// progression's chord or the fixed key's), lowest first.
    pub fn chord(&self) -> &[u8] {
        &self.shown[..self.shown_len]
    }

    /// Updates the chord shown for a position.
    fn show_chord(&mut self, beat: f64, settings: &Settings) {
        let at = Ratio::new((beat * 12.0).floor() as i64, 12);
        let harmony = match settings.chord_source {
            ChordSource::Held => None,
            ChordSource::Progression => self.progression.chord_at(at).map(|s| s.harmony),
            ChordSource::Key => Some(key_chord(settings)),
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
        let style = settings.style();
        let until_beats = Ratio::from_integer(until.ceil() as i64);
        let queue = &mut self.queue;
        let human = &mut self.human_rng;
        let mut sink = |d: crate::improvise::Drawn| {
            let Outcome::Note { key, length, kind } = d.outcome else { return };
            let mut start = beats_of(d.at);
            let length = beats_of(length);
            // Swing: an onset on the second eighth of a beat is delayed by up to a triplet.
            if (start.fract() - 0.5).abs() < 1e-9 {
                start += settings.swing.clamp(0.0, 1.0) as f64 / 6.0;
            }
            let end = start + (length * settings.gate.clamp(0.05, 1.0) as f64).max(1.0 / 64.0);
            let shifted = (key as i32 + 12 * settings.octave as i32).clamp(0, 127) as u8;
            let jitter = (human.random::<f32>() * 2.0 - 1.0) * settings.humanize.clamp(0.0, 1.0);
            let velocity =
                (settings.velocity.clamp(1, 127) as f32 / 127.0 * (1.0 + 0.5 * jitter)).clamp(1.0 / 127.0, 1.0);
            if let Some(slot) = queue.iter_mut().find(|q| q.is_none()) {
                *slot = Some(Queued { start, end, key: shifted, velocity, kind });
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
                self.push(NoteMsg { timing, on: false, channel, key: key as u8, velocity: 0.0 });
            }
        }
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
        let len = len.max(1);
        if self.panic {
            self.panic = false;
            self.release_all(0);
        }
        for msg in input {
            self.note_input(msg);
            if pass_through {
                self.push(NoteMsg { timing: msg.timing.min(len - 1), ..*msg });
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
            if self.running {
                self.running = false;
                self.queue = [None; QUEUE];
            }
            self.release_all(0);
            self.show_chord(self.expected, settings);
            return self.finish();
        };
        if host.is_none() && !self.running {
            self.free_pos = b0;
        }
        let samples_per_beat = sample_rate.max(1.0) as f64 * 60.0 / tempo;
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
        // Cover the beat that starts at or before the block's end — once there is a
        // chord to play it over. Until then no beat is given up for silence while its
        // start is within the tolerance: a latency pre-roll block may end just after
        // beat 0 with the chord's note-on only in the next block.
        let until = b1.floor() + 1.0;
        if until > self.generated_to {
            if self.has_chord(settings) {
                self.fill(until, settings);
            } else {
                let open = (b0 - BEAT_TOLERANCE).ceil().max(self.generated_to);
                if open > self.generated_to {
                    self.generated_to = open;
                    self.improviser.seek(open as i64);
                }
            }
        }
        let timing = |beat: f64| (((beat - b0) * samples_per_beat).round().max(0.0) as u32).min(len - 1);
        for key in 0..128 {
            let end = self.sounding[key];
            if !end.is_nan() && end < b1 {
                self.sounding[key] = f64::NAN;
                let channel = self.sounding_channel[key];
                self.push(NoteMsg { timing: timing(end), on: false, channel, key: key as u8, velocity: 0.0 });
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
            let on = timing(q.start);
            let key = q.key as usize;
            if !self.sounding[key].is_nan() {
                let channel = self.sounding_channel[key];
                self.push(NoteMsg { timing: on, on: false, channel, key: q.key, velocity: 0.0 });
            }
            let channel = settings.channel & 0x0f;
            self.push(NoteMsg { timing: on, on: true, channel, key: q.key, velocity: q.velocity });
            if self.played.len() < self.played.capacity() {
                self.played.push(PlayedNote { start: q.start, length: q.end - q.start, key: q.key, kind: q.kind });
            }
            if q.end < b1 {
                self.push(NoteMsg { timing: timing(q.end).max(on), on: false, channel, key: q.key, velocity: 0.0 });
                self.sounding[key] = f64::NAN;
            } else {
                self.sounding[key] = q.end;
                self.sounding_channel[key] = channel;
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
        let hold: Vec<NoteMsg> =
            DM7.iter().map(|&key| NoteMsg { timing: 0, on: true, channel: 1, key, velocity: 0.8 }).collect();
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
}
