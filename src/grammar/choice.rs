//! Every random decision of the decoder goes through [`Chooser`], so production
//! uses a seeded generator and tests replay the reference's recorded choices.

use crate::mt19937::Mt19937;
use crate::theory::{Pitch, PitchName};

/// What is being chosen from; the slice is the candidate list in the order the
/// reference presents it.
#[derive(Debug, Clone, Copy)]
pub enum Choice<'a> {
    /// `random.choice([-1, 1])`: duration rounding, or a semitone shift.
    Sign,
    /// `random.choice([-2, 2])`: the fallback step when no candidate fits.
    Step,
    /// Chord tones, or the candidates of an interval window.
    Pitches(&'a [Pitch]),
    /// Scale-tone names.
    Names(&'a [PitchName]),
    /// Octaves of the chord's pitches, low to high.
    Octaves(&'a [i32]),
}

impl Choice<'_> {
    /// Number of candidates.
    pub fn len(&self) -> usize {
        match self {
            Choice::Sign | Choice::Step => 2,
            Choice::Pitches(p) => p.len(),
            Choice::Names(n) => n.len(),
            Choice::Octaves(o) => o.len(),
        }
    }

    /// True if there is nothing to choose from.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The source of the decoder's randomness.
pub trait Chooser {
    /// Picks an index into the candidates (`0..choice.len()`, never called with none).
    fn choose(&mut self, choice: Choice<'_>) -> usize;

    /// A fair coin: whether a hexatonic-blues realisation takes the blue note.
    fn coin(&mut self) -> bool;

    /// The candidate list for a scale tone without an interval. The reference draws
    /// it from an unordered set, so a replay substitutes the recorded list here.
    fn scale_tone_names(&mut self, computed: Vec<PitchName>) -> Vec<PitchName> {
        computed
    }
}

/// Production chooser over any `rand` generator (seed it for repeatable solos).
#[derive(Debug, Clone)]
pub struct RngChooser<R>(pub R);

impl<R: rand::Rng> Chooser for RngChooser<R> {
    fn choose(&mut self, choice: Choice<'_>) -> usize {
        self.0.random_range(0..choice.len().max(1))
    }

    fn coin(&mut self) -> bool {
        self.0.random_bool(0.5)
    }
}

/// CPython's `random` module (MT19937, `choice` = `seq[_randbelow(len)]`), to
/// reproduce the reference's seeded runs call for call.
#[derive(Clone)]
pub struct PythonRandom(pub Mt19937);

impl PythonRandom {
    /// `random.seed(seed)`.
    pub fn seeded(seed: u64) -> Self {
        Self(Mt19937::python_seeded(seed))
    }
}

impl Chooser for PythonRandom {
    fn choose(&mut self, choice: Choice<'_>) -> usize {
        self.0.python_below(choice.len())
    }

    fn coin(&mut self) -> bool {
        // random.random(): 53 bits from two outputs.
        let a = (self.0.next_u32() >> 5) as f64;
        let b = (self.0.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0 < 0.5
    }
}
