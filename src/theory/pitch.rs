//! Spelled pitches: letter, accidental and octave, as music21 spells them.
//!
//! The reference compares *spelled* names in several places (the scale-tone
//! test, the interval field), so a pitch is more than a MIDI number here.

use std::fmt;

/// Semitones above C of the seven letters C D E F G A B.
pub const STEP_SEMITONES: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];

/// music21's default spelling of the 12 pitch classes (`C C# D E- E F F# G G# A B- B`),
/// as (letter index, alteration).
const DEFAULT_SPELLING: [(u8, i8); 12] =
    [(0, 0), (0, 1), (1, 0), (2, -1), (2, 0), (3, 0), (3, 1), (4, 0), (4, 1), (5, 0), (6, -1), (6, 0)];

/// A pitch name without octave: letter and alteration (`E-`, `F##`, `C`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PitchName {
    /// Letter index: 0 = C … 6 = B.
    pub step: u8,
    /// Sharps (positive) or flats (negative).
    pub alter: i8,
}

impl PitchName {
    /// Builds a name from a letter index (0 = C) and an alteration.
    pub const fn new(step: u8, alter: i8) -> Self {
        Self { step, alter }
    }

    /// The default (MIDI) spelling of a pitch class.
    pub fn default_for_pc(pc: i32) -> Self {
        let (step, alter) = DEFAULT_SPELLING[pc.rem_euclid(12) as usize];
        Self { step, alter }
    }

    /// Pitch class 0..12.
    pub fn pc(self) -> i32 {
        (STEP_SEMITONES[self.step as usize] + self.alter as i32).rem_euclid(12)
    }

    /// Parses music21 notation: a letter, then `#`/`-` accidentals (`B-`, `C##`).
    pub fn parse(s: &str) -> Option<Self> {
        let mut chars = s.chars();
        let letter = chars.next()?.to_ascii_uppercase();
        let step = LETTERS.iter().position(|&l| l == letter)? as u8;
        let mut alter = 0i8;
        for c in chars {
            match c {
                '#' => alter += 1,
                '-' => alter -= 1,
                _ => return None,
            }
        }
        Some(Self { step, alter })
    }

    /// This name with the default spelling of its pitch class.
    pub fn simplified(self) -> Self {
        Self::default_for_pc(self.pc())
    }
}

impl fmt::Display for PitchName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", LETTERS[self.step as usize])?;
        let c = if self.alter > 0 { '#' } else { '-' };
        for _ in 0..self.alter.unsigned_abs() {
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A spelled pitch with octave (`E-4`), octave numbered by the letter as in music21.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pitch {
    /// Letter and accidental.
    pub name: PitchName,
    /// Octave of the letter (B#3 sounds as C4).
    pub octave: i32,
}

impl Pitch {
    /// Builds a pitch from a name and an octave.
    pub const fn new(name: PitchName, octave: i32) -> Self {
        Self { name, octave }
    }

    /// The default spelling of a MIDI number (60 → C4, 63 → E-4).
    pub fn from_midi(midi: i32) -> Self {
        Self { name: PitchName::default_for_pc(midi), octave: midi.div_euclid(12) - 1 }
    }

    /// MIDI pitch space number (may fall outside 0..=127 for extreme octaves).
    pub fn ps(self) -> i32 {
        12 * (self.octave + 1) + STEP_SEMITONES[self.name.step as usize] + self.name.alter as i32
    }

    /// Diatonic step number: letter index + 7 × octave.
    pub fn diatonic(self) -> i32 {
        self.name.step as i32 + 7 * self.octave
    }

    /// Builds a pitch from a diatonic step number and a target pitch-space number,
    /// choosing the alteration that lands on `ps`.
    pub fn from_diatonic(diatonic: i32, ps: i32) -> Self {
        let step = diatonic.rem_euclid(7) as u8;
        let octave = diatonic.div_euclid(7);
        let natural = 12 * (octave + 1) + STEP_SEMITONES[step as usize];
        Self { name: PitchName::new(step, (ps - natural) as i8), octave }
    }

    /// Parses `E-4`, `C#5`, `B3`.
    pub fn parse(s: &str) -> Option<Self> {
        let split = s.find(|c: char| c.is_ascii_digit())?;
        let (name, octave) = s.split_at(split);
        Some(Self { name: PitchName::parse(name)?, octave: octave.parse().ok()? })
    }

    /// The default (MIDI) spelling of this pitch's sounding pitch.
    pub fn simplified(self) -> Self {
        Self::from_midi(self.ps())
    }
}

impl fmt::Display for Pitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name, self.octave)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_spelling_matches_music21() {
        let names: Vec<String> = (60..72).map(|m| Pitch::from_midi(m).to_string()).collect();
        assert_eq!(names, ["C4", "C#4", "D4", "E-4", "E4", "F4", "F#4", "G4", "G#4", "A4", "B-4", "B4"]);
    }

    #[test]
    fn octave_follows_the_letter() {
        let b_sharp = Pitch::new(PitchName::new(6, 1), 3);
        assert_eq!(b_sharp.ps(), 60);
        let c_flat = Pitch::new(PitchName::new(0, -1), 4);
        assert_eq!(c_flat.ps(), 59);
        assert_eq!(Pitch::from_diatonic(c_flat.diatonic(), 59), c_flat);
    }

    #[test]
    fn parse_round_trips() {
        for s in ["E-4", "C##5", "B3", "G#2", "C-4"] {
            assert_eq!(Pitch::parse(s).unwrap().to_string(), s);
        }
        assert!(Pitch::parse("H4").is_none());
        assert!(Pitch::parse("C").is_none());
    }
}
