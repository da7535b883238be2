//! Spelled intervals: music21's directed names (`M-2`, `P11`, `dd5`) and diatonic transposition.

use super::pitch::{Pitch, STEP_SEMITONES};

/// A spelled interval: `steps` diatonic steps (signed) and `semitones` (signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    /// Difference of diatonic step numbers (0 = unison, 1 = second, −1 = second down).
    pub steps: i32,
    /// Difference in semitones.
    pub semitones: i32,
}

/// Semitones of the major/perfect interval spanning `steps` (≥ 0) diatonic steps.
fn reference_semitones(steps: i32) -> i32 {
    STEP_SEMITONES[(steps % 7) as usize] + 12 * (steps / 7)
}

/// Unison, fourth and fifth classes take P/A/d; the others take M/m/A/d.
fn is_perfect_class(steps: i32) -> bool {
    matches!(steps % 7, 0 | 3 | 4)
}

impl Interval {
    /// Builds an interval from its diatonic and chromatic sizes.
    pub const fn new(steps: i32, semitones: i32) -> Self {
        Self { steps, semitones }
    }

    /// The interval from `a` up (or down) to `b`.
    pub fn between(a: Pitch, b: Pitch) -> Self {
        Self::new(b.diatonic() - a.diatonic(), b.ps() - a.ps())
    }

    /// music21's directed name, e.g. `M-2`, `P11`, `d1` (spec §b.6, verified on 4,725 pairs).
    pub fn name(self) -> String {
        let abs = self.steps.abs();
        let diff = if self.steps == 0 {
            self.semitones
        } else {
            self.steps.signum() * self.semitones - reference_semitones(abs)
        };
        let quality = if is_perfect_class(abs) {
            match diff {
                0 => "P".to_string(),
                k if k > 0 => "A".repeat(k as usize),
                k => "d".repeat((-k) as usize),
            }
        } else {
            match diff {
                0 => "M".to_string(),
                -1 => "m".to_string(),
                k if k > 0 => "A".repeat(k as usize),
                k => "d".repeat((-k - 1) as usize),
            }
        };
        let sign = if self.steps < 0 { "-" } else { "" };
        format!("{quality}{sign}{}", abs + 1)
    }

    /// Parses a directed name made by [`Interval::name`].
    pub fn parse(s: &str) -> Option<Self> {
        let qlen = s.find(|c: char| c == '-' || c.is_ascii_digit())?;
        let (quality, rest) = s.split_at(qlen);
        let (down, number) = match rest.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, rest),
        };
        let number: i32 = number.parse().ok()?;
        if number < 1 || quality.is_empty() || number > 64 {
            return None;
        }
        let abs = number - 1;
        let count = quality.len() as i32;
        let all = |c: char| quality.chars().all(|q| q == c);
        let diff = if is_perfect_class(abs) {
            match quality {
                "P" => 0,
                _ if all('A') => count,
                _ if all('d') => -count,
                _ => return None,
            }
        } else {
            match quality {
                "M" => 0,
                "m" => -1,
                _ if all('A') => count,
                _ if all('d') => -count - 1,
                _ => return None,
            }
        };
        if abs == 0 {
            if down {
                return None;
            }
            return Some(Self::new(0, diff));
        }
        let sign = if down { -1 } else { 1 };
        Some(Self::new(sign * abs, sign * (reference_semitones(abs) + diff)))
    }

    /// Transposes a spelled pitch diatonically (the letter moves by `steps`).
    pub fn transpose(self, p: Pitch) -> Pitch {
        Pitch::from_diatonic(p.diatonic() + self.steps, p.ps() + self.semitones)
    }

    /// The token's interval bounds: this interval plus and minus a minor third.
    pub fn bounds(self) -> (Interval, Interval) {
        (Self::new(self.steps + 2, self.semitones + 3), Self::new(self.steps - 2, self.semitones - 3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_seen_in_the_data() {
        let cases = [
            ((10, 17), "P11"),
            ((6, 11), "M7"),
            ((4, 5), "dd5"),
            ((-7, -11), "d-8"),
            ((-3, -6), "A-4"),
            ((-4, -7), "P-5"),
            ((0, -1), "d1"),
            ((0, 1), "A1"),
            ((-1, -2), "M-2"),
        ];
        for ((d, c), name) in cases {
            let i = Interval::new(d, c);
            assert_eq!(i.name(), name, "{d},{c}");
            assert_eq!(Interval::parse(name), Some(i), "{name}");
        }
    }

    #[test]
    fn parse_rejects_nonsense() {
        for s in ["", "P", "X5", "M1", "P3", "-5", "Pm5", "P-1"] {
            assert_eq!(Interval::parse(s), None, "{s}");
        }
    }

    #[test]
    fn transposition_is_diatonic() {
        let c4 = Pitch::parse("C4").unwrap();
        let up = Interval::parse("m3").unwrap().transpose(c4);
        assert_eq!(up.to_string(), "E-4");
        let down = Interval::parse("A-4").unwrap().transpose(c4);
        assert_eq!(down.to_string(), "G-3");
    }

    #[test]
    fn every_name_round_trips() {
        for d in -15..=15 {
            for c in -30..=30 {
                let i = Interval::new(d, c);
                let diff = if d == 0 { c } else { d.signum() * c - reference_semitones(d.abs()) };
                if diff.abs() > 4 {
                    continue;
                }
                assert_eq!(Interval::parse(&i.name()), Some(i), "{d},{c} {}", i.name());
            }
        }
    }
}
