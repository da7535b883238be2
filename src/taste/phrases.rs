//! A solo cut into phrases where the line breathes: a beat or more of silence
//! between one note's end and the next onset. The improviser's own phrases end
//! in breaths of at least a beat and a half, so this finds them, and it finds a
//! player's too.

use super::features::PhraseNote;
use crate::generate::Solo;
use crate::grammar::{Harmony, classify_pc};
use crate::improvise::grid::{TICKS_PER_BEAT, ticks};
use crate::score::Beats;
use std::ops::Range;

/// Silence that ends a phrase, in twelfths of a beat.
pub const BREATH_TICKS: i64 = TICKS_PER_BEAT;

/// A phrase of a solo.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// Its notes' indices in the solo's notes.
    pub range: Range<usize>,
    /// Its notes, typed against the chord under each.
    pub notes: Vec<PhraseNote>,
    /// Silence after it (to the next phrase or the solo's end), twelfths of a beat.
    pub rest_after: i64,
    /// The chord symbols under it, in order, each once where it changes.
    pub chords: Vec<String>,
}

/// Where phrases of notes (in time order) begin and end, and the silence after
/// each, the last one's up to `end`.
pub fn split(notes: &[PhraseNote], end: i64) -> Vec<(Range<usize>, i64)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..notes.len() {
        let stop = notes[i].at + notes[i].length;
        let next = notes.get(i + 1).map_or(end.max(stop), |n| n.at);
        if next - stop >= BREATH_TICKS || i + 1 == notes.len() {
            out.push((start..i + 1, (next - stop).max(0)));
            start = i + 1;
        }
    }
    out
}

/// A position in twelfths of a beat (rounded down off the grid).
pub fn tick(b: Beats) -> i64 {
    ticks(b).unwrap_or_else(|| (b * TICKS_PER_BEAT).floor().to_integer())
}

/// The solo's notes typed against the chords it was played over.
pub fn notes_of(solo: &Solo) -> Vec<PhraseNote> {
    let harmonies: Vec<Harmony> = solo.chords.iter().map(|c| Harmony::new(&c.keys)).collect();
    solo.notes
        .iter()
        .map(|n| {
            let chord = solo.chords.iter().rposition(|c| c.start <= n.start);
            let guide = chord.is_some_and(|i| harmonies[i].is_guide_tone(n.key as i32 % 12));
            let kind = chord.map_or(n.kind, |i| classify_pc(n.key, &harmonies[i]));
            PhraseNote { at: tick(n.start), length: tick(n.length).max(1), key: n.key, kind, guide }
        })
        .collect()
}

/// The solo's phrases.
pub fn of_solo(solo: &Solo) -> Vec<Phrase> {
    let notes = notes_of(solo);
    let end = solo.beats() * TICKS_PER_BEAT;
    split(&notes, end)
        .into_iter()
        .map(|(range, rest_after)| {
            let (from, to) = (solo.notes[range.start].start, solo.notes[range.end - 1].start);
            let mut chords: Vec<String> = Vec::new();
            for c in solo.chords.iter().filter(|c| c.start + c.length > from && c.start <= to) {
                if chords.last() != Some(&c.name) {
                    chords.push(c.name.clone());
                }
            }
            Phrase { notes: notes[range.clone()].to_vec(), range, rest_after, chords }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::NoteType;

    fn note(at: i64, length: i64) -> PhraseNote {
        PhraseNote { at, length, key: 60, kind: NoteType::Chord, guide: false }
    }

    #[test]
    fn a_beat_of_silence_ends_a_phrase() {
        let notes = [note(0, 6), note(6, 6), note(24, 6), note(36, 12), note(60, 1)];
        let phrases = split(&notes, 96);
        assert_eq!(phrases, vec![(0..2, 12), (2..4, 12), (4..5, 35)]);
        // Eleven twelfths of silence is not yet a breath.
        assert_eq!(split(&[note(0, 12), note(23, 1)], 24), vec![(0..2, 0)]);
        assert!(split(&[], 10).is_empty());
    }
}
