//! Can a loaded model play? Checks run after a weights file decodes, so a model
//! that would only ever be silent, or whose outputs overflow, is refused with a
//! reason instead of writing an empty solo with exit 0.
//!
//! The rule: (1) some token of the vocabulary is a note that lasts; (2) from a
//! fresh state, over [`PROBE_STEPS`] steps fed their own draws (temperature 1, a
//! fixed seed), every output is a finite probability distribution; (3) at least one
//! of those draws is such a note.

use super::params::Params;
use super::stream::{Isa, Model, Precision, Sampling};
use crate::grammar::{NoteType, Token};
use rand::SeedableRng;

/// Steps of the probe: 64 tokens are about 8 bars of a solo.
pub const PROBE_STEPS: usize = 64;
/// Seed of the probe's draws.
const PROBE_SEED: u64 = 0x9e37_79b9;

/// A token that sounds: a note type with a length that rounds to something.
fn sounds(token: &Token) -> bool {
    token.kind != NoteType::Rest && token.duration > 1e-3
}

/// Why a model cannot play, or `Ok`.
pub fn check(params: &Params<f32>, tokens: &[Token]) -> Result<(), String> {
    let notes: Vec<bool> = tokens.iter().map(sounds).collect();
    if !notes.contains(&true) {
        return Err("no token of the vocabulary is a note with a length: the model could only be silent".into());
    }
    let model = Model::with(params, Isa::Portable, Precision::F32);
    let mut state = model.zero_state();
    let mut rng = rand::rngs::StdRng::seed_from_u64(PROBE_SEED);
    let mut input = None;
    let mut played = 0;
    for step in 0..PROBE_STEPS {
        let probs = model.step(&mut state, input);
        let sum: f32 = probs.iter().sum();
        if probs.iter().any(|p| !p.is_finite() || *p < 0.0) || !(sum - 1.0).abs().lt(&1e-3) {
            return Err(format!(
                "the model's output is not a probability distribution at step {} (weights too large or damaged)",
                step + 1
            ));
        }
        let next = state.sample(Sampling { temperature: 1.0, top_k: 0 }, &mut rng);
        played += usize::from(notes[next]);
        input = Some(next);
    }
    if played == 0 {
        return Err(format!("the model drew no note in {PROBE_STEPS} tokens: it would play only silence"));
    }
    Ok(())
}
