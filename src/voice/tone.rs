//! The voice's sounds: small fundsp graphs, each with its envelope times and a
//! timbre that follows the note's age and velocity.

use super::envelope::Shape;
use fundsp::prelude32::*;

/// Channels a tone graph writes (partials mixed by the voice).
pub const PARTIALS: usize = 3;

/// A sound of the voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sound {
    /// Vibraphone: a bar's fundamental, its 4th and 10th partials, decaying at
    /// their own rates, with the motor's tremolo.
    Vibraphone,
    /// Electric piano: a tine's FM tone whose brightness fades with the note.
    ElectricPiano,
    /// Clean archtop guitar on the neck pickup: a band-limited saw through a
    /// low-pass that closes after the pick.
    Guitar,
}

impl Sound {
    /// Every sound, in the order of the plugin's Voice parameter.
    pub const ALL: [Sound; 3] = [Sound::Vibraphone, Sound::ElectricPiano, Sound::Guitar];

    /// Envelope times of the sound.
    pub fn shape(self) -> Shape {
        match self {
            Sound::Vibraphone => Shape { attack: 0.001, decay: 2.5, release: 0.12 },
            Sound::ElectricPiano => Shape { attack: 0.002, decay: 1.6, release: 0.07 },
            Sound::Guitar => Shape { attack: 0.0015, decay: 1.1, release: 0.05 },
        }
    }

    /// Weight of each partial channel at the attack.
    pub fn weights(self, velocity: f32) -> [f32; PARTIALS] {
        match self {
            // Harder mallets bring out the upper partials.
            Sound::Vibraphone => [1.0, 0.25 + 0.35 * velocity, 0.05 + 0.15 * velocity],
            Sound::ElectricPiano | Sound::Guitar => [1.0, 0.0, 0.0],
        }
    }

    /// How many of the partial channels the sound uses (the rest are silent).
    pub fn partials(self) -> usize {
        match self {
            Sound::Vibraphone => PARTIALS,
            Sound::ElectricPiano | Sound::Guitar => 1,
        }
    }

    /// Time constant (s) of each partial's extra decay (0: none beyond the envelope).
    pub fn partial_decay(self) -> [f32; PARTIALS] {
        match self {
            Sound::Vibraphone => [0.0, 0.35, 0.08],
            _ => [0.0; PARTIALS],
        }
    }

    /// Level of the sound's loudest note (velocity 1), so all sounds are alike in loudness.
    pub fn gain(self) -> f32 {
        match self {
            Sound::Vibraphone => 0.30,
            Sound::ElectricPiano => 0.36,
            Sound::Guitar => 0.30,
        }
    }

    /// Depth of amplitude tremolo and its rate in Hz (vibraphone's motor).
    pub fn tremolo(self) -> (f32, f32) {
        match self {
            Sound::Vibraphone => (0.22, 5.5),
            _ => (0.0, 0.0),
        }
    }

    /// The timbre control at `age` seconds into a note of `velocity` at `freq` Hz:
    /// the FM depth in Hz (electric piano) or the low-pass cutoff in Hz (guitar).
    pub fn timbre(self, freq: f32, velocity: f32, age: f32, sample_rate: f32) -> f32 {
        match self {
            Sound::Vibraphone => 0.0,
            Sound::ElectricPiano => freq * (0.35 + 2.2 * velocity * (-age / 0.25).exp()),
            Sound::Guitar => {
                let cutoff = freq * (1.6 + 6.0 * velocity * (-age / 0.12).exp());
                cutoff.clamp(80.0, 0.45 * sample_rate)
            }
        }
    }
}

/// One voice's graph of one sound, with the controls it reads.
pub struct Tone {
    unit: Box<dyn AudioUnit>,
    freq: Shared,
    timbre: Shared,
}

impl Tone {
    /// Builds the graph (allocates: call off the audio thread).
    pub fn new(sound: Sound, sample_rate: f32) -> Self {
        let freq = shared(440.0);
        let timbre = shared(0.0);
        let mut unit: Box<dyn AudioUnit> = match sound {
            Sound::Vibraphone => {
                Box::new(var(&freq) >> ((pass() >> sine()) ^ (mul(4.0) >> sine()) ^ (mul(10.0) >> sine())))
            }
            Sound::ElectricPiano => {
                Box::new((var(&freq) + (var(&freq) >> sine()) * var(&timbre)) >> sine() >> (pass() | zero() | zero()))
            }
            Sound::Guitar => {
                Box::new(((var(&freq) >> saw()) | var(&timbre) | dc(0.7)) >> lowpass() >> (pass() | zero() | zero()))
            }
        };
        unit.set_sample_rate(sample_rate as f64);
        debug_assert_eq!(unit.outputs(), PARTIALS);
        Self { unit, freq, timbre }
    }

    /// Restarts the graph's phases and filters (a note on a silent voice).
    pub fn reset(&mut self) {
        self.unit.reset();
    }

    /// Sets the sample rate (allocation-free).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.unit.set_sample_rate(sample_rate as f64);
    }

    /// Renders `n` ≤ [`MAX_BUFFER_SIZE`] samples of each partial into `out`.
    pub fn render(&mut self, n: usize, freq: f32, timbre: f32, out: &mut BufferArray<U3>) {
        self.freq.set_value(freq);
        self.timbre.set_value(timbre);
        self.unit.process(n, &BufferRef::empty(), &mut out.buffer_mut());
    }
}
