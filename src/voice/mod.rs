//! Improv's own voice: a small synthesiser that sounds the line (monophonic) and,
//! if asked, what the player plays, so the plugin is heard without a synth behind it.
//!
//! Framework-free and real-time safe: every graph and buffer is built in
//! [`Synth::new`]; notes, sound changes and rendering allocate nothing. Built on
//! fundsp's oscillators and filters; the envelopes (click-free retriggers, exact
//! silence instead of denormals) and the output's soft ceiling are Improv's.

pub mod envelope;
pub mod tone;

use envelope::Envelope;
use fundsp::prelude32::{BufferArray, MAX_BUFFER_SIZE, U3};
pub use tone::Sound;
use tone::{PARTIALS, Tone};

/// Voices for what the player plays (a held chord and a line over it).
pub const INPUT_VOICES: usize = 7;
/// The line's voice and the player's.
pub const VOICES: usize = 1 + INPUT_VOICES;
/// Output level above which the soft ceiling bends the signal.
pub const KNEE: f32 = 0.5;
/// The output never exceeds this: −1.02 dBFS.
pub const CEILING: f32 = 0.89;

/// Which part a note belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Improv's line: one voice, a new note replaces the last.
    Line,
    /// What the player plays: the input voices, the oldest taken when all sound.
    Input,
}

/// A note event for the voice, at a sample of the block being rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cue {
    /// Sample offset in the block.
    pub at: usize,
    /// Note-on (true) or note-off.
    pub on: bool,
    /// The line's or the player's.
    pub part: Part,
    /// MIDI channel 0..=15.
    pub channel: u8,
    /// MIDI key.
    pub key: u8,
    /// Velocity 0..=1.
    pub velocity: f32,
}

#[derive(Debug, Clone, Copy)]
struct Note {
    sound: Sound,
    channel: u8,
    key: u8,
    freq: f32,
    velocity: f32,
    /// Samples since the note-on.
    age: u32,
    /// Order of note-ons (the oldest input voice is taken first).
    serial: u64,
    env: Envelope,
    weights: [f32; PARTIALS],
    /// Per-partial extra decay: current factor and per-sample multiplier.
    partial: [f32; PARTIALS],
    partial_step: [f32; PARTIALS],
    /// Tremolo phase, 0..1.
    tremolo: f32,
}

impl Default for Note {
    fn default() -> Self {
        Self {
            sound: Sound::Vibraphone,
            channel: 0,
            key: 0,
            freq: 440.0,
            velocity: 0.0,
            age: 0,
            serial: 0,
            env: Envelope::default(),
            weights: [0.0; PARTIALS],
            partial: [0.0; PARTIALS],
            partial_step: [1.0; PARTIALS],
            tremolo: 0.0,
        }
    }
}

/// Frequency of a MIDI key, equal temperament at A4 = 440 Hz.
pub fn key_frequency(key: u8) -> f32 {
    440.0 * 2f32.powf((key as f32 - 69.0) / 12.0)
}

/// The soft ceiling: the identity up to [`KNEE`], then a tanh bend that never
/// reaches [`CEILING`].
#[inline]
pub fn soft_ceiling(x: f32) -> f32 {
    let a = x.abs();
    if a <= KNEE {
        return x;
    }
    let room = CEILING - KNEE;
    (KNEE + room * ((a - KNEE) / room).tanh()).copysign(x)
}

/// The synthesiser: [`VOICES`] voices, each with a graph per [`Sound`].
pub struct Synth {
    tones: Vec<[Tone; 3]>,
    notes: [Note; VOICES],
    sound: Sound,
    sample_rate: f32,
    serial: u64,
    buffer: BufferArray<U3>,
}

impl Synth {
    /// A silent synthesiser at `sample_rate` (allocates every graph and buffer).
    pub fn new(sample_rate: f32) -> Self {
        let sr = sample_rate.max(1.0);
        let tones = (0..VOICES).map(|_| Sound::ALL.map(|s| Tone::new(s, sr))).collect();
        Self {
            tones,
            notes: [Note::default(); VOICES],
            sound: Sound::Vibraphone,
            sample_rate: sr,
            serial: 0,
            buffer: BufferArray::new(),
        }
    }

    /// Sets the sample rate (allocation-free; sounding notes are cut).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        let sr = sample_rate.max(1.0);
        if sr == self.sample_rate {
            return;
        }
        self.sample_rate = sr;
        for tones in &mut self.tones {
            for t in tones.iter_mut() {
                t.set_sample_rate(sr);
            }
        }
        self.notes = [Note::default(); VOICES];
    }

    /// The sound of the notes started from now on (sounding notes keep theirs).
    pub fn set_sound(&mut self, sound: Sound) {
        self.sound = sound;
    }

    /// True while any voice sounds.
    pub fn active(&self) -> bool {
        self.notes.iter().any(|n| n.env.active())
    }

    /// Starts a note of `velocity` (0..=1).
    pub fn note_on(&mut self, part: Part, channel: u8, key: u8, velocity: f32) {
        let v = match part {
            Part::Line => 0,
            Part::Input => {
                let range = 1..VOICES;
                // The same key again, else a silent voice, else the oldest.
                let same = range.clone().find(|&i| self.notes[i].env.active() && self.notes[i].key == key);
                let free = range.clone().find(|&i| !self.notes[i].env.active());
                same.or(free).unwrap_or_else(|| range.min_by_key(|&i| self.notes[i].serial).unwrap_or(1))
            }
        };
        let velocity = velocity.clamp(0.0, 1.0);
        let sound = self.sound;
        let sr = self.sample_rate;
        self.serial += 1;
        let note = &mut self.notes[v];
        if !note.env.active() {
            self.tones[v][sound as usize].reset();
            note.tremolo = 0.0;
        } else if note.sound != sound {
            // The voice changes sound: its old graph fades, the new one starts clean.
            self.tones[v][sound as usize].reset();
        }
        note.sound = sound;
        note.channel = channel;
        note.key = key;
        note.freq = key_frequency(key);
        note.velocity = velocity;
        note.age = 0;
        note.serial = self.serial;
        note.weights = sound.weights(velocity);
        note.partial = [1.0; PARTIALS];
        note.partial_step = sound.partial_decay().map(|t| if t > 0.0 { (-1.0 / (t * sr)).exp() } else { 1.0 });
        note.env.start(sound.shape(), sound.gain() * velocity.powf(1.5), sr);
    }

    /// Ends the note on `key` (and `channel`, for the player's notes).
    pub fn note_off(&mut self, part: Part, channel: u8, key: u8) {
        match part {
            Part::Line => {
                if self.notes[0].key == key {
                    self.notes[0].env.release();
                }
            }
            Part::Input => {
                for n in self.notes[1..].iter_mut() {
                    if n.key == key && n.channel == channel && n.env.held() {
                        n.env.release();
                    }
                }
            }
        }
    }

    /// Releases every note quickly (transport stop, panic).
    pub fn all_off(&mut self) {
        let sr = self.sample_rate;
        for n in &mut self.notes {
            n.env.stop(sr);
        }
    }

    /// Renders a block (mono, overwriting `out`), each cue taking effect at its
    /// sample; `cues` in time order.
    pub fn render_cued(&mut self, out: &mut [f32], cues: impl IntoIterator<Item = Cue>) {
        let mut at = 0;
        for c in cues {
            let t = c.at.min(out.len());
            if t > at {
                self.render(&mut out[at..t]);
                at = t;
            }
            if c.on {
                self.note_on(c.part, c.channel, c.key, c.velocity);
            } else {
                self.note_off(c.part, c.channel, c.key);
            }
        }
        self.render(&mut out[at..]);
    }

    /// Renders the next `out.len()` samples, mono, overwriting `out`.
    pub fn render(&mut self, out: &mut [f32]) {
        out.fill(0.0);
        let sr = self.sample_rate;
        for v in 0..VOICES {
            if !self.notes[v].env.active() {
                continue;
            }
            for chunk in out.chunks_mut(MAX_BUFFER_SIZE) {
                let note = &mut self.notes[v];
                if !note.env.active() {
                    break;
                }
                let n = chunk.len();
                let age = note.age as f32 / sr;
                let timbre = note.sound.timbre(note.freq, note.velocity, age, sr);
                self.tones[v][note.sound as usize].render(n, note.freq, timbre, &mut self.buffer);
                let (depth, rate) = note.sound.tremolo();
                let t0 = 1.0 - depth * (0.5 + 0.5 * (std::f32::consts::TAU * note.tremolo).sin());
                note.tremolo = (note.tremolo + rate * n as f32 / sr).fract();
                let t1 = 1.0 - depth * (0.5 + 0.5 * (std::f32::consts::TAU * note.tremolo).sin());
                let buffer = self.buffer.buffer_ref();
                let ch: [&[f32]; PARTIALS] = [buffer.channel_f32(0), buffer.channel_f32(1), buffer.channel_f32(2)];
                let used = note.sound.partials();
                for (i, sample) in chunk.iter_mut().enumerate() {
                    let level = note.env.tick();
                    let mut s = 0.0;
                    for ((w, d), (step, c)) in note.weights[..used]
                        .iter()
                        .zip(&mut note.partial[..used])
                        .zip(note.partial_step[..used].iter().zip(&ch[..used]))
                    {
                        s += w * *d * c[i];
                        *d *= step;
                        if *d < envelope::SILENT {
                            *d = 0.0;
                        }
                    }
                    let trem = t0 + (t1 - t0) * i as f32 / n as f32;
                    *sample += level * trem * s;
                }
                note.age = note.age.saturating_add(n as u32);
            }
        }
        for s in out.iter_mut() {
            *s = soft_ceiling(*s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48_000.0;

    fn render(s: &mut Synth, n: usize) -> Vec<f32> {
        let mut out = vec![0.0; n];
        s.render(&mut out);
        out
    }

    fn peak(x: &[f32]) -> f32 {
        x.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    #[test]
    fn every_sound_is_heard_at_once_follows_velocity_and_stops_after_release() {
        for sound in Sound::ALL {
            let mut s = Synth::new(SR);
            s.set_sound(sound);
            assert!(render(&mut s, 512).iter().all(|&x| x == 0.0), "{sound:?}: silent before a note");
            s.note_on(Part::Line, 0, 69, 1.0);
            let loud = render(&mut s, 4_800);
            assert!(peak(&loud[..480]) > 0.05, "{sound:?}: heard within 10 ms: {}", peak(&loud[..480]));
            let db = 20.0 * peak(&loud).log10();
            assert!(db <= -1.0, "{sound:?}: {db:.2} dBFS at velocity 127");
            s.note_off(Part::Line, 0, 69);
            let tail = render(&mut s, 2 * SR as usize);
            assert!(!s.active(), "{sound:?}: silent within two seconds of the release");
            assert_eq!(*tail.last().unwrap(), 0.0);
            let mut s = Synth::new(SR);
            s.set_sound(sound);
            s.note_on(Part::Line, 0, 69, 0.3);
            let soft = render(&mut s, 4_800);
            assert!(peak(&soft) < 0.5 * peak(&loud), "{sound:?}: velocity 0.3 is quieter");
        }
    }

    #[test]
    fn no_clicks_at_note_boundaries_and_no_denormals() {
        for sound in Sound::ALL {
            let mut s = Synth::new(SR);
            s.set_sound(sound);
            let mut all = vec![0.0];
            let mut boundaries = Vec::new();
            // A legato line with retriggers, then a release.
            for (i, key) in [60u8, 64, 67, 64, 72, 71].into_iter().enumerate() {
                boundaries.push(all.len());
                s.note_on(Part::Line, 0, key, 0.6 + 0.06 * i as f32);
                all.extend(render(&mut s, 2_400 + 97 * i));
            }
            boundaries.push(all.len());
            s.note_off(Part::Line, 0, 71);
            all.extend(render(&mut s, 2 * SR as usize));
            // The step across each boundary is no larger than the steps the sound
            // itself makes in the 10 ms before the boundary: no click.
            let step = |i: usize| (all[i] - all[i - 1]).abs();
            for &b in &boundaries[1..] {
                let before = (b - 480..b).map(step).fold(0.0, f32::max);
                assert!(step(b) <= before * 1.2 + 1e-4, "{sound:?}: step {} at {b} against {before}", step(b));
            }
            assert!(step(1) < 0.01, "{sound:?}: the first note starts from silence: {}", step(1));
            assert!(all.iter().all(|x| x.is_finite() && (*x == 0.0 || x.abs() > f32::MIN_POSITIVE)));
        }
    }

    #[test]
    fn a_key_held_for_minutes_ends_in_exact_silence() {
        let mut s = Synth::new(SR);
        s.note_on(Part::Input, 1, 50, 1.0);
        let mut out = vec![0.0; 48_000];
        for _ in 0..120 {
            s.render(&mut out);
        }
        assert!(!s.active(), "decayed below −100 dB");
        assert!(out.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn the_player_gets_voices_of_their_own_and_the_ceiling_holds() {
        let mut s = Synth::new(SR);
        for key in [50, 53, 57, 60, 64, 67, 71, 74, 77] {
            s.note_on(Part::Input, 1, key, 1.0);
        }
        s.note_on(Part::Line, 0, 72, 1.0);
        let out = render(&mut s, 9_600);
        assert!(peak(&out) < CEILING, "{}", peak(&out));
        assert_eq!(s.notes.iter().filter(|n| n.env.active()).count(), VOICES);
        s.note_off(Part::Input, 1, 77);
        assert!(s.notes.iter().any(|n| n.key == 77 && !n.env.held()));
        assert!(s.notes[0].env.held(), "the line's voice is not the player's");
    }
}
