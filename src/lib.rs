//! Improv: a jazz-improvisation engine.
//!
//! Data flows one way: MIDI bytes → score → measures and chords → grammar tokens →
//! vocabulary and training windows → model → tokens → decoder → notes.
#![warn(missing_docs)]

pub mod cli;
pub mod corpus;
pub mod dataset;
pub mod evaluate;
pub mod feel;
pub mod generate;
pub mod grammar;
pub mod hearing;
pub mod improvise;
pub mod leadsheet;
pub mod masters;
pub mod midi;
pub mod model;
pub mod mt19937;
pub mod musicality;
#[cfg(feature = "plugin")]
pub mod plugin;
pub mod render;
pub mod report_card;
pub mod score;
pub mod style_nearness;
pub mod style_voices;
pub mod taste;
pub mod theory;
pub mod trade;
pub mod training_set;
pub mod voice;
pub mod wjd;

use model::{Weights, WeightsError};

/// The default weights, embedded so the CLI and the plugin work with no files
/// around. Trained by `train --midi data/original_metheny.mid --seed 0 --out
/// weights/metheny.bin` (README, "Default weights").
pub const DEFAULT_WEIGHTS: &[u8] = include_bytes!("../weights/metheny.bin");

/// Parses the embedded default weights.
pub fn default_weights() -> Result<Weights, WeightsError> {
    Weights::from_bytes(DEFAULT_WEIGHTS)
}

/// The masters' model, embedded: it hears the chord, the beat and the style, and
/// learned from the Weimar Jazz Database's solos. Trained by
/// `bash scripts/train-wjd.sh` (README, "Learned from the masters").
pub const MASTERS_WEIGHTS: &[u8] = include_bytes!("../weights/wjd.bin");

/// Parses the embedded masters' model.
pub fn masters_weights() -> Result<Weights, WeightsError> {
    Weights::from_bytes(MASTERS_WEIGHTS)
}
