//! Improv: a jazz-improvisation engine.
//!
//! Data flows one way: MIDI bytes → score → measures and chords → grammar tokens →
//! vocabulary and training windows → model → tokens → decoder → notes.

pub mod theory;
