//! What a phrase is like, as numbers every model shares: where it ends, how it
//! moves, how busy it is, what it leaves after it. The preference model learns
//! the player's taste over these, and `improv taste` says it back in words.

use crate::grammar::NoteType;

/// Positions and lengths in twelfths of a beat (the improviser's grid).
const TICKS: i64 = crate::improvise::grid::TICKS_PER_BEAT;

/// A note of a phrase, with what it is against the chord under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhraseNote {
    /// Onset in twelfths of a beat.
    pub at: i64,
    /// Sounding length in twelfths of a beat.
    pub length: i64,
    /// MIDI key.
    pub key: u8,
    /// Its type against the chord sounding at its onset.
    pub kind: NoteType,
    /// True if it is the 3rd or 7th of that chord.
    pub guide: bool,
}

/// How many numbers describe a phrase.
pub const N_FEATURES: usize = 16;

/// The version of the feature set; ratings saved with another are not learned from.
pub const FEATURES_VERSION: u32 = 1;

/// Each feature's meaning, as the end of "phrases that …".
pub const FEATURE_WORDS: [&str; N_FEATURES] = [
    "end on the 3rd or the 7th",
    "end on a chord tone",
    "leave space after them",
    "are busy (many notes a beat)",
    "run a long way in one direction",
    "move by semitones",
    "leap (more than a major 3rd)",
    "span a wide range",
    "sit high",
    "start notes off the beat",
    "use triplets",
    "are long",
    "repeat notes",
    "use approach and outside notes",
    "end on a long note",
    "end going down",
];

/// A phrase's features, each scaled to about 0–1.
pub type Features = [f32; N_FEATURES];

/// The features of the notes of one phrase (in time order) followed by
/// `rest_after` twelfths of silence. An empty phrase is all zeros.
pub fn features(notes: &[PhraseNote], rest_after: i64) -> Features {
    let mut f = [0.0; N_FEATURES];
    let (Some(first), Some(last)) = (notes.first(), notes.last()) else { return f };
    let n = notes.len() as f32;
    let moves = notes.len().saturating_sub(1).max(1) as f32;
    let span_ticks = (last.at + last.length - first.at).max(1);
    let (mut chromatic, mut leaps, mut repeats) = (0u32, 0u32, 0u32);
    for w in notes.windows(2) {
        let iv = w[1].key as i32 - w[0].key as i32;
        match iv.abs() {
            0 => repeats += 1,
            1 => chromatic += 1,
            a if a > 4 => leaps += 1,
            _ => {}
        }
    }
    let (lo, hi) = notes.iter().fold((u8::MAX, 0), |(lo, hi), n| (lo.min(n.key), hi.max(n.key)));
    let mean_key = notes.iter().map(|n| n.key as f32).sum::<f32>() / n;
    let off_beat = notes.iter().filter(|n| n.at.rem_euclid(TICKS) != 0).count() as f32;
    let triplets = notes.iter().filter(|n| matches!(n.at.rem_euclid(TICKS), 4 | 8)).count() as f32;
    let outside = notes.iter().filter(|n| matches!(n.kind, NoteType::Approach | NoteType::Other)).count() as f32;
    let last_move = notes.len().checked_sub(2).map_or(0, |i| last.key as i32 - notes[i].key as i32);
    let unit = |x: f32| x.clamp(0.0, 1.0);
    f[0] = f32::from(u8::from(last.guide));
    f[1] = f32::from(u8::from(last.kind == NoteType::Chord));
    f[2] = unit(rest_after as f32 / (4 * TICKS) as f32);
    f[3] = unit(n / (span_ticks as f32 / TICKS as f32) / 4.0);
    f[4] = unit(longest_run(notes) as f32 / 8.0);
    f[5] = chromatic as f32 / moves;
    f[6] = leaps as f32 / moves;
    f[7] = unit((hi - lo) as f32 / 24.0);
    f[8] = unit((mean_key - 55.0) / 30.0);
    f[9] = off_beat / n;
    f[10] = triplets / n;
    f[11] = unit(span_ticks as f32 / (16 * TICKS) as f32);
    f[12] = repeats as f32 / moves;
    f[13] = outside / n;
    f[14] = unit(last.length as f32 / (2 * TICKS) as f32);
    f[15] = f32::from(u8::from(last_move < 0));
    f
}

/// The longest run of moves in one direction (up or down, repeated notes break
/// it): what a listener hears as a scale run.
pub fn longest_run(notes: &[PhraseNote]) -> usize {
    let (mut run, mut longest, mut dir) = (0usize, 0usize, 0i32);
    for w in notes.windows(2) {
        let d = (w[1].key as i32 - w[0].key as i32).signum();
        run = if d != 0 && d == dir { run + 1 } else { usize::from(d != 0) };
        dir = d;
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(at: i64, length: i64, key: u8) -> PhraseNote {
        PhraseNote { at, length, key, kind: NoteType::Scale, guide: false }
    }

    #[test]
    fn a_known_phrase_has_known_features() {
        // Four eighths up by step, C D E F, then a long G that is a guide tone.
        let mut notes: Vec<PhraseNote> =
            [60, 62, 64, 65].iter().enumerate().map(|(i, &k)| note(6 * i as i64, 6, k)).collect();
        notes.push(PhraseNote { at: 24, length: 24, key: 67, kind: NoteType::Chord, guide: true });
        let f = features(&notes, 48);
        assert_eq!(f[0], 1.0);
        assert_eq!(f[1], 1.0);
        assert_eq!(f[2], 1.0, "a bar of rest after");
        assert_eq!(f[4], 0.5, "four moves up");
        assert_eq!(f[5], 0.25, "E to F");
        assert_eq!(f[6], 0.0);
        assert!((f[7] - 7.0 / 24.0).abs() < 1e-6);
        assert_eq!(f[9], 0.4, "two of five on an 'and'");
        assert_eq!(f[10], 0.0);
        assert_eq!(f[14], 1.0);
        assert_eq!(f[15], 0.0, "ends going up");
        assert_eq!(longest_run(&notes), 4);
        assert_eq!(features(&[], 0), [0.0; N_FEATURES]);
    }

    #[test]
    fn repeated_notes_break_a_run() {
        let notes: Vec<PhraseNote> =
            [60, 62, 62, 64, 65, 64].iter().enumerate().map(|(i, &k)| note(3 * i as i64, 3, k)).collect();
        assert_eq!(longest_run(&notes), 2);
        let f = features(&notes, 0);
        assert_eq!(f[4], 2.0 / 8.0);
        assert_eq!(f[12], 1.0 / 5.0);
        assert_eq!(f[15], 1.0);
    }
}
