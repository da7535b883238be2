//! Keeping Improv's line off the keys the player's passed-through notes hold.
//!
//! On one MIDI channel a key is one voice: a second note-on for a key already
//! sounding re-strikes it, and the first note-off then silences both. So a melody
//! note that lands on a key the passed-through input holds on the melody's channel
//! moves to the nearest key of the same kind against the chord (a chord tone to a
//! chord tone, a scale tone to a scale tone) that is free, first in the direction
//! the line was moving; and a key the player presses while the line holds it ends
//! the line's note first, since the player's own note comes first.

use crate::grammar::{Harmony, NoteType, classify_pc};

/// Which channels each key sounds on through pass-through (a bit per channel).
#[derive(Debug, Clone, Copy)]
pub struct Passed([u16; 128]);

impl Default for Passed {
    fn default() -> Self {
        Self([0; 128])
    }
}

impl Passed {
    /// Records a passed-through note-on or note-off.
    pub fn note(&mut self, on: bool, channel: u8, key: u8) {
        let bit = 1u16 << (channel & 0x0f);
        let k = (key & 0x7f) as usize;
        if on {
            self.0[k] |= bit;
        } else {
            self.0[k] &= !bit;
        }
    }

    /// True if `key` sounds on `channel` through pass-through.
    pub fn holds(&self, channel: u8, key: u8) -> bool {
        self.0[(key & 0x7f) as usize] & (1u16 << (channel & 0x0f)) != 0
    }

    /// Forgets every passed note (transport jump is not one; a reset is).
    pub fn clear(&mut self) {
        self.0 = [0; 128];
    }
}

/// The key a melody note of `kind` moves to when `key` is taken: the nearest key in
/// `low..=high` for which `free` holds, of the same kind against `harmony` (any
/// chord or scale tone if none within an octave is), searching `upward` first;
/// `None` if nothing within an octave is free.
pub fn nearest_free(
    key: u8,
    kind: NoteType,
    harmony: Option<&Harmony>,
    (low, high): (u8, u8),
    upward: bool,
    free: impl Fn(u8) -> bool,
) -> Option<u8> {
    let fits = |k: u8, strict: bool| match harmony {
        None => true,
        Some(h) => {
            let t = classify_pc(k, h);
            if strict { t == kind } else { matches!(t, NoteType::Chord | NoteType::Scale) }
        }
    };
    let first: i32 = if upward { 1 } else { -1 };
    for strict in [true, false] {
        for d in 1..=12i32 {
            for sign in [first, -first] {
                let k = key as i32 + sign * d;
                if k < low as i32 || k > high as i32 {
                    continue;
                }
                let k = k as u8;
                if free(k) && fits(k, strict) {
                    return Some(k);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_chord_tone_moves_to_the_next_free_chord_tone() {
        // Dm7 held as D3 F3 A3 C4: the line's A3 moves up to D4, its C4 (taken) to D4 too.
        let held = [50u8, 53, 57, 60];
        let h = Harmony::new(&held);
        let free = |k: u8| !held.contains(&k);
        assert_eq!(nearest_free(57, NoteType::Chord, Some(&h), (55, 84), true, free), Some(62));
        assert_eq!(nearest_free(60, NoteType::Chord, Some(&h), (55, 84), true, free), Some(62));
        // Moving down, the nearest free chord tone below C4 inside the register is none
        // (A3, F3 taken; below G3 is outside): up to D4.
        assert_eq!(nearest_free(60, NoteType::Chord, Some(&h), (55, 84), false, free), Some(62));
        // A scale tone stays a scale tone: E4 taken → G4, the nearest other (B3 is further).
        let free_e = |k: u8| k != 64;
        assert_eq!(nearest_free(64, NoteType::Scale, Some(&h), (55, 84), false, free_e), Some(67));
        // Nothing free in the register: none.
        assert_eq!(nearest_free(60, NoteType::Chord, Some(&h), (60, 60), true, |_| false), None);
    }

    #[test]
    fn passed_keys_are_per_channel() {
        let mut p = Passed::default();
        p.note(true, 0, 60);
        p.note(true, 3, 60);
        assert!(p.holds(0, 60) && p.holds(3, 60) && !p.holds(1, 60));
        p.note(false, 0, 60);
        assert!(!p.holds(0, 60) && p.holds(3, 60));
    }
}
