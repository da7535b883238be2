//! Grammar tokens: `T,d.ddd[,<UP,LO>]` strings and their parsed form.

use crate::theory::Interval;
use std::fmt;

/// The note type letter of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum NoteType {
    /// `C`: a tone of the current chord.
    Chord,
    /// `S`: a tone of the scale derived from the chord.
    Scale,
    /// `A`: a semitone from a chord tone.
    Approach,
    /// `X`: anything else.
    Other,
    /// `R`: a rest.
    Rest,
}

impl NoteType {
    /// All types in histogram order.
    pub const ALL: [NoteType; 5] =
        [NoteType::Chord, NoteType::Scale, NoteType::Approach, NoteType::Other, NoteType::Rest];

    /// The token letter.
    pub fn letter(self) -> char {
        match self {
            NoteType::Chord => 'C',
            NoteType::Scale => 'S',
            NoteType::Approach => 'A',
            NoteType::Other => 'X',
            NoteType::Rest => 'R',
        }
    }

    /// Parses a token letter.
    pub fn from_letter(c: &str) -> Option<Self> {
        Some(match c {
            "C" => NoteType::Chord,
            "S" => NoteType::Scale,
            "A" => NoteType::Approach,
            "X" => NoteType::Other,
            "R" => NoteType::Rest,
            _ => return None,
        })
    }

    /// A readable name ("chord tone").
    pub fn describe(self) -> &'static str {
        match self {
            NoteType::Chord => "chord tone",
            NoteType::Scale => "scale tone",
            NoteType::Approach => "approach tone",
            NoteType::Other => "other",
            NoteType::Rest => "rest",
        }
    }
}

/// A parsed token.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Note type.
    pub kind: NoteType,
    /// Duration in quarter notes, as written (3 decimals in the corpus).
    pub duration: f64,
    /// Interval bounds from the previous note: (first field, second field).
    pub bounds: Option<(Interval, Interval)>,
}

/// Why a token string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad grammar token {0:?}")]
pub struct TokenError(pub String);

impl Token {
    /// Parses `C,0.250,<M-2,m-6>`, `R,0.083`, `C,0.5`.
    pub fn parse(s: &str) -> Result<Self, TokenError> {
        let err = || TokenError(s.to_string());
        let mut fields = s.split(',');
        let kind = NoteType::from_letter(fields.next().ok_or_else(err)?).ok_or_else(err)?;
        let duration: f64 = fields.next().ok_or_else(err)?.parse().map_err(|_| err())?;
        if !duration.is_finite() || duration < 0.0 {
            return Err(err());
        }
        let bounds = match (fields.next(), fields.next()) {
            (None, None) => None,
            (Some(up), Some(lo)) => {
                let up = up.strip_prefix('<').ok_or_else(err)?;
                let lo = lo.strip_suffix('>').ok_or_else(err)?;
                Some((Interval::parse(up).ok_or_else(err)?, Interval::parse(lo).ok_or_else(err)?))
            }
            _ => return Err(err()),
        };
        if fields.next().is_some() || (kind == NoteType::Rest && bounds.is_some()) {
            return Err(err());
        }
        Ok(Self { kind, duration, bounds })
    }
}

impl fmt::Display for Token {
    /// The corpus form, with `%.3f` durations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{:.3}", self.kind.letter(), self.duration)?;
        if let Some((up, lo)) = self.bounds {
            write!(f, ",<{},{}>", up.name(), lo.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in ["C,0.250,<M-2,m-6>", "R,0.083", "S,0.333", "X,0.250,<A4,d-2>", "R,71.000"] {
            assert_eq!(Token::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "Q,0.25", "C", "C,abc", "C,0.25,<P1", "R,0.25,<P1,d-5>", "C,-1.0", "C,NaN", "C,0.25,<P1,d-5>,x"] {
            assert!(Token::parse(s).is_err(), "{s}");
        }
    }
}
