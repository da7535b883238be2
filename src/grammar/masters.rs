//! The masters' grammar: the reference's token shape (type, length, interval
//! window) with what the Weimar Jazz Database needs and the seed grammar lacks.
//!
//! - Lengths are the time to the next onset on the twelfth-of-a-beat grid, from a
//!   fixed set that the Musical decoder keeps as it is ([`NOTE_LENGTHS`]): each
//!   note's length is chosen so the next onset lands on the sixteenth or triplet
//!   grid nearest to where the master played it, so decoding the tokens puts
//!   every onset on the grid and never drifts.
//! - A silence of at least half a beat is a rest ([`REST_GAP`]); shorter ones are
//!   articulation, which the feel layer plays.
//! - Intervals are windows by size class (unison, step, third, fourth to fifth,
//!   sixth to octave; up or down, [`WINDOWS`]), not a minor third either side of
//!   each spelled interval: with the note's type they pin the pitch to one or two
//!   keys, and there are 9 of them instead of the seed grammar's dozens.
//! - The interval runs from the previous note across bar lines and rests; only a
//!   line's first note has none.
//!
//! Types are given as the Musical decoder reads them ([`super::fits_type`]), by
//! pitch class, so a token decodes against any chord to the type it was encoded as.

use super::harmony::Harmony;
use super::token::{NoteType, Token};
use crate::theory::Interval;

/// Note and rest lengths in twelfths of a beat: points of the sixteenth and
/// triplet grids from a sixteenth to a bar (the decoder's shortest note is a sixteenth).
pub const NOTE_LENGTHS: [i64; 11] = [3, 4, 6, 8, 9, 12, 16, 18, 24, 36, 48];
/// A silence of at least this many twelfths (half a beat) becomes a rest.
pub const REST_GAP: i64 = 6;
/// A silence longer than this (two bars) ends one line and starts another.
pub const SPLIT_GAP: i64 = 96;
/// Interval windows in semitones from the previous note (lowest, highest).
pub const WINDOWS: [(i32, i32); 9] = [(0, 0), (1, 2), (-2, -1), (3, 4), (-4, -3), (5, 7), (-7, -5), (8, 12), (-12, -8)];
/// Onsets of a beat on the sixteenth and triplet grids, in twelfths.
const GRID: [i64; 6] = [0, 3, 4, 6, 8, 9];
/// Twelfths of a beat.
const BEAT: i64 = 12;

/// A note of a master's line: onset on the grid, played length, key (twelfths of
/// a beat from the first bar line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineNote {
    /// Onset, on the sixteenth or triplet grid.
    pub onset: i64,
    /// Played length (rounded).
    pub length: i64,
    /// MIDI key.
    pub key: u8,
}

/// One token of an encoded line, with where it starts and what sounds there.
#[derive(Debug, Clone, PartialEq)]
pub struct LineStep {
    /// The token.
    pub token: Token,
    /// Where the decoded token starts (twelfths from the first bar line).
    pub at: i64,
    /// The chord at `at`.
    pub chord: Option<Harmony>,
    /// The key of the last note before it.
    pub previous: Option<i32>,
    /// The chord is not the one at the previous token's onset.
    pub changed: bool,
}

/// True if `t` twelfths lie on the sixteenth or triplet grid.
pub fn on_grid(t: i64) -> bool {
    GRID.contains(&t.rem_euclid(BEAT))
}

/// The length from `from` (on the grid) that lands nearest `to` on the grid:
/// the smaller error, then the shorter length.
fn reach(from: i64, to: i64) -> i64 {
    *NOTE_LENGTHS
        .iter()
        .filter(|&&d| on_grid(from + d))
        .min_by_key(|&&d| ((from + d - to).abs(), d))
        .expect("a bar always lands on the grid")
}

/// The window of an interval (folded into an octave either way).
pub fn window_of(semitones: i32) -> (i32, i32) {
    let s = semitones.clamp(-12, 12);
    *WINDOWS.iter().find(|(lo, hi)| (*lo..=*hi).contains(&s)).expect("windows cover an octave either way")
}

/// A spelled interval of `semitones` for a token's bounds (the decoder reads only
/// their semitones; the steps make the name read as the size it is).
fn spelled(semitones: i32) -> Interval {
    const STEPS: [i32; 13] = [0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7];
    Interval::new(semitones.signum() * STEPS[semitones.unsigned_abs() as usize], semitones)
}

/// The type of a key against a chord as the Musical decoder tests it.
pub fn type_of(key: i32, harmony: &Harmony) -> NoteType {
    let pc = key.rem_euclid(12);
    if harmony.is_chord_tone(pc) {
        NoteType::Chord
    } else if harmony.is_scale_pc(pc) {
        NoteType::Scale
    } else if harmony.is_approach(pc) {
        NoteType::Approach
    } else {
        NoteType::Other
    }
}

/// A note token: its type, length (twelfths) and window (none for a first note).
pub fn note_token(kind: NoteType, length: i64, window: Option<(i32, i32)>) -> Token {
    Token { kind, duration: length as f64 / BEAT as f64, bounds: window.map(|(lo, hi)| (spelled(hi), spelled(lo))) }
}

/// True if a token is one the masters' grammar writes: a length of
/// [`NOTE_LENGTHS`] and, for a note, no window or one of [`WINDOWS`].
pub fn is_masters_token(t: &Token) -> bool {
    let twelfths = t.duration * BEAT as f64;
    let length = NOTE_LENGTHS.iter().any(|&d| (d as f64 - twelfths).abs() < 0.02);
    let window = match t.bounds {
        None => true,
        Some(_) if t.kind == NoteType::Rest => false,
        Some((hi, lo)) => WINDOWS.contains(&(lo.semitones, hi.semitones)),
    };
    length && window
}

/// A rest token of `length` twelfths.
pub fn rest_token(length: i64) -> Token {
    Token { kind: NoteType::Rest, duration: length as f64 / BEAT as f64, bounds: None }
}

/// Encodes a line (notes in onset order, distinct onsets on the grid) under the
/// chords `chord_at` gives; notes where no chord sounds are left out. Returns one
/// sequence per stretch without a silence over [`SPLIT_GAP`].
pub fn encode_line(notes: &[LineNote], chord_at: impl Fn(i64) -> Option<Harmony>) -> Vec<Vec<LineStep>> {
    let notes: Vec<(LineNote, Harmony)> = notes.iter().filter_map(|n| Some((*n, chord_at(n.onset)?))).collect();
    let mut lines = Vec::new();
    let mut line: Vec<LineStep> = Vec::new();
    let (mut pos, mut previous) = (0, None);
    let mut last_chord: Option<(u8, u16)> = None;
    let mut push = |line: &mut Vec<LineStep>, token: Token, at: i64, previous: Option<i32>| {
        let chord = chord_at(at);
        let id = chord.map(|c| (c.root, c.pcs));
        let changed = line.is_empty() || id != last_chord;
        last_chord = id;
        line.push(LineStep { token, at, chord, previous, changed });
    };
    for (i, (note, own)) in notes.iter().enumerate() {
        if line.is_empty() {
            pos = note.onset;
            previous = None;
        }
        let harmony = chord_at(pos).unwrap_or(*own);
        let kind = type_of(note.key as i32, &harmony);
        let window = previous.map(|p| window_of(note.key as i32 - p));
        let next = notes.get(i + 1).map(|(n, _)| n.onset).filter(|&n| n - pos <= SPLIT_GAP);
        let held = next.filter(|&n| n - (note.onset + note.length) < REST_GAP);
        let length = match held {
            Some(n) => reach(pos, n),
            None => reach(pos, pos + note.length.max(NOTE_LENGTHS[0])),
        };
        push(&mut line, note_token(kind, length, window), pos, previous);
        previous = Some(note.key as i32);
        pos += length;
        match next {
            // Rests up to the next note, each landing nearer to it.
            Some(n) if held.is_none() => loop {
                let d = reach(pos, n);
                if (pos + d - n).abs() >= (pos - n).abs() {
                    break;
                }
                push(&mut line, rest_token(d), pos, previous);
                pos += d;
            },
            Some(_) => {}
            None => lines.push(std::mem::take(&mut line)),
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The token of `tokens` nearest `want`: a rest for a rest, else the same type if
/// there is one, then the nearest length, then the nearest window. `None` if
/// `tokens` has nothing of the kind.
pub fn nearest<'a>(want: &Token, tokens: impl Iterator<Item = (usize, &'a Token)>) -> Option<usize> {
    let rest = want.kind == NoteType::Rest;
    let centre = |t: &Token| t.bounds.map_or(100, |(a, b)| a.semitones + b.semitones);
    tokens
        .filter(|(_, t)| (t.kind == NoteType::Rest) == rest)
        .min_by_key(|(i, t)| {
            let kind = i32::from(t.kind != want.kind);
            let length = ((t.duration - want.duration).abs() * BEAT as f64).round() as i64;
            (kind, length, (centre(t) - centre(want)).abs(), *i)
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{DecodeOptions, Decoder, RngChooser, musical_length};
    use rand::SeedableRng;

    fn n(onset: i64, length: i64, key: u8) -> LineNote {
        LineNote { onset, length, key }
    }

    #[test]
    fn every_length_decodes_as_itself_and_tokens_round_trip() {
        for d in NOTE_LENGTHS {
            let t = note_token(NoteType::Scale, d, Some((1, 2)));
            let parsed = Token::parse(&t.to_string()).unwrap();
            assert_eq!(parsed, Token::parse(&t.to_string()).unwrap());
            assert_eq!(musical_length(&parsed).unwrap(), num_rational::Ratio::new(d, 12), "{t}");
        }
        for w in WINDOWS {
            let t = note_token(NoteType::Chord, 6, Some(w));
            let back = Token::parse(&t.to_string()).unwrap();
            let (a, b) = back.bounds.unwrap();
            assert_eq!((b.semitones, a.semitones), w, "{t}");
        }
    }

    #[test]
    fn a_line_decodes_on_the_grid_near_where_it_was_played() {
        let dm7 = Harmony::new(&[62, 65, 69, 72]);
        // Swung eighths, a triplet, a sixteenth run, a rest, a long note.
        let notes = [
            n(0, 5, 62),
            n(6, 5, 65),
            n(12, 3, 69),
            n(16, 3, 67),
            n(20, 3, 65),
            n(24, 2, 61),
            n(27, 2, 62),
            n(30, 2, 60),
            n(33, 2, 62),
            n(48, 20, 65),
        ];
        let lines = encode_line(&notes, |_| Some(dm7));
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        let mut decoder = Decoder::new(DecodeOptions::musical());
        decoder.set_position(0.into());
        let mut chooser = RngChooser(rand::rngs::StdRng::seed_from_u64(0));
        let mut onsets = Vec::new();
        for step in line {
            let placed = decoder.step(&step.token, &dm7, &mut chooser).unwrap();
            assert_eq!(placed.offset * 12, num_rational::Ratio::from_integer(step.at));
            assert!(on_grid(step.at));
            if placed.key().is_some() {
                onsets.push(step.at);
            }
        }
        assert_eq!(onsets, vec![0, 6, 12, 16, 20, 24, 27, 30, 33, 48]);
        // A rest of about a beat and a quarter before the last note.
        assert!(line.iter().any(|s| s.token.kind == NoteType::Rest));
        // The decoded types are the encoded ones.
        assert_eq!(line[0].token.kind, NoteType::Chord);
        assert!(line[0].token.bounds.is_none() && line[1].token.bounds.is_some());
        assert_eq!(line[3].token.kind, NoteType::Scale);
        assert_eq!(line[5].token.kind, NoteType::Approach);
    }

    #[test]
    fn a_long_silence_starts_a_new_line() {
        let c = Harmony::new(&[60, 64, 67]);
        let lines = encode_line(&[n(0, 6, 60), n(6, 6, 64), n(300, 6, 67)], |_| Some(c));
        assert_eq!(lines.len(), 2);
        assert!(lines[1][0].token.bounds.is_none());
    }

    #[test]
    fn nearest_keeps_rests_rests_and_then_the_type() {
        let tokens = [
            rest_token(6),
            note_token(NoteType::Chord, 6, Some((1, 2))),
            note_token(NoteType::Scale, 12, Some((1, 2))),
        ];
        let want = note_token(NoteType::Scale, 6, Some((3, 4)));
        assert_eq!(nearest(&want, tokens.iter().enumerate()), Some(2));
        assert_eq!(nearest(&rest_token(48), tokens.iter().enumerate()), Some(0));
    }
}
