//! Notes and rests of a bar → grammar tokens (spec §b, "parse_melody").

use super::harmony::Harmony;
use super::token::{NoteType, Token};
use crate::score::{ElementKind, Measure};
use crate::theory::{Interval, Pitch};

/// The note type of a key against a chord: chord tone, scale tone, approach, other.
pub fn classify(key: u8, harmony: &Harmony) -> NoteType {
    let p = Pitch::from_midi(key as i32);
    let pc = p.name.pc();
    if harmony.is_chord_tone(pc) {
        NoteType::Chord
    } else if harmony.is_scale_name(p.name) {
        NoteType::Scale
    } else if harmony.is_approach(pc) {
        NoteType::Approach
    } else {
        NoteType::Other
    }
}

/// The note type of a key by pitch class alone — chord tone, tone of the chord's
/// scale, a semitone from a chord tone, other — so the same line transposed, or
/// spelled with sharps instead of flats, is classified the same. What reports,
/// pictures and `improv evaluate` show; the scale is the chord's mode on its root (the encoder keeps the reference's
/// spelling-sensitive [`classify`]).
pub fn classify_pc(key: u8, harmony: &Harmony) -> NoteType {
    let pc = key as i32 % 12;
    if harmony.is_chord_tone(pc) {
        NoteType::Chord
    } else if harmony.is_mode_pc(pc) {
        NoteType::Scale
    } else if harmony.is_approach(pc) {
        NoteType::Approach
    } else {
        NoteType::Other
    }
}

/// Encodes one bar. The current chord of an element is the last chord starting at
/// or before it, or the bar's first chord; the first note of the bar has no interval.
pub fn encode_measure(m: &Measure) -> Vec<Token> {
    let harmonies: Vec<Harmony> = m.chords.iter().map(|c| Harmony::new(&c.keys)).collect();
    let mut prev: Option<Pitch> = None;
    let mut out = Vec::with_capacity(m.elements.len());
    for e in &m.elements {
        let duration = *e.duration.numer() as f64 / *e.duration.denom() as f64;
        let key = match e.kind {
            ElementKind::Note { key, .. } => key,
            ElementKind::Rest => {
                out.push(Token { kind: NoteType::Rest, duration, bounds: None });
                continue;
            }
            ElementKind::Chord { .. } => continue,
        };
        let current = m.chords.iter().rposition(|c| c.offset <= e.offset).unwrap_or(0);
        let Some(harmony) = harmonies.get(current) else { continue };
        let pitch = Pitch::from_midi(key as i32);
        let bounds = prev.map(|p| Interval::between(p, pitch).bounds());
        out.push(Token { kind: classify(key, harmony), duration, bounds });
        prev = Some(pitch);
    }
    out
}
