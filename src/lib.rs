//! Improv: a jazz-improvisation engine.
//!
//! Data flows one way: MIDI bytes → score → measures and chords → grammar tokens →
//! vocabulary and training windows → model → tokens → decoder → notes.
#![warn(missing_docs)]

pub mod corpus;
pub mod dataset;
pub mod grammar;
pub mod midi;
pub mod model;
pub mod mt19937;
pub mod score;
pub mod theory;
