//! Where the chords come from, as the improviser sees them: the chord sounding at a
//! beat, when it arrived, and the next change where it is known.

use crate::grammar::Harmony;
use crate::score::{Beats, ChordEvent};
use num_rational::Ratio;

/// Quarter notes per bar of every solo (the reference's 4/4).
pub const BEATS_PER_BAR: i64 = 4;

pub use crate::score::MAX_BARS;

/// Chords of each bar, offsets relative to the bar's first beat.
pub type Changes = Vec<Vec<ChordEvent>>;

/// The reference solo, embedded so that improvising needs no files
/// (`data/original_metheny.mid`: Pat Metheny, "And Then I Knew", from the deepjazz
/// repository).
pub const REFERENCE_MIDI: &[u8] = include_bytes!("../../data/original_metheny.mid");

/// The reference's 18 bars of changes (bars 120–137 of the reference file), each
/// chord at its offset in the bar (a chord carried from the bar before starts at 0):
/// `improv generate`'s default changes and the plugin's built-in progression.
pub fn reference_changes() -> Changes {
    let corpus = crate::corpus::Corpus::from_bytes(REFERENCE_MIDI, &crate::corpus::CorpusOptions::default())
        .expect("the embedded reference file");
    changes_of_measures(&corpus.measures)
}

/// The changes of a corpus's bars: each bar's chords at their offsets in the bar.
pub fn changes_of_measures(measures: &[crate::score::Measure]) -> Changes {
    measures
        .iter()
        .map(|m| {
            m.chords
                .iter()
                .map(|c| ChordEvent { offset: (c.offset - m.start).max(Ratio::from_integer(0)), ..c.clone() })
                .collect()
        })
        .collect()
}

/// The chord at a beat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sounding {
    /// The chord.
    pub harmony: Harmony,
    /// The beat where this chord replaced a different one, if that is known (a chord
    /// repeated from the bar before, or held since an unknown time, has none).
    pub since: Option<Beats>,
}

/// A source of harmony for the improviser.
pub trait ChangeSource {
    /// The chord sounding at `beat`; `None` when there is nothing to play over.
    fn chord_at(&self, beat: Beats) -> Option<Sounding>;
    /// The next change strictly after `beat` and at most a bar ahead, if known.
    fn next_change(&self, beat: Beats) -> Option<(Beats, Harmony)>;
}

#[derive(Debug, Clone, Copy)]
struct Event {
    offset: Beats,
    harmony: Harmony,
    /// Different pitch classes from the chord before it (in the looped order).
    change: bool,
}

/// Bars of changes, looped: the built-in progression, typed symbols, a file's chords.
#[derive(Debug, Clone)]
pub struct LoopedChanges {
    bars: Vec<Vec<Event>>,
}

impl LoopedChanges {
    /// Analyses every chord once (allocates: build it off the audio thread).
    pub fn new(changes: &Changes) -> Self {
        let mut bars: Vec<Vec<Event>> = changes
            .iter()
            .map(|bar| {
                bar.iter().map(|c| Event { offset: c.offset, harmony: Harmony::new(&c.keys), change: true }).collect()
            })
            .collect();
        // A chord is a change if it differs from the one sounding before it (the last
        // chord of the piece comes before the first, as the changes loop).
        let mut last: Option<u16> = bars.iter().rev().flat_map(|b| b.iter().rev()).map(|e| e.harmony.pcs).next();
        for bar in &mut bars {
            for e in bar.iter_mut() {
                e.change = last != Some(e.harmony.pcs);
                last = Some(e.harmony.pcs);
            }
        }
        Self { bars }
    }

    /// Number of bars before the changes repeat.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// True if there are no bars.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    fn bar(&self, bar: i64) -> &[Event] {
        if self.bars.is_empty() {
            return &[];
        }
        &self.bars[bar.rem_euclid(self.bars.len() as i64) as usize]
    }
}

fn bar_of(beat: Beats) -> i64 {
    (beat / BEATS_PER_BAR).floor().to_integer()
}

impl ChangeSource for LoopedChanges {
    fn chord_at(&self, beat: Beats) -> Option<Sounding> {
        let bar = bar_of(beat);
        let events = self.bar(bar);
        let start = Ratio::from_integer(bar * BEATS_PER_BAR);
        // The last chord starting at or before the beat, else the bar's first.
        let i = events.iter().rposition(|e| e.offset <= beat - start).unwrap_or(0);
        let e = events.get(i)?;
        Some(Sounding { harmony: e.harmony, since: e.change.then_some(start + e.offset) })
    }

    fn next_change(&self, beat: Beats) -> Option<(Beats, Harmony)> {
        let bar = bar_of(beat);
        for b in bar..=bar + 1 {
            let start = Ratio::from_integer(b * BEATS_PER_BAR);
            if let Some(e) = self.bar(b).iter().find(|e| e.change && start + e.offset > beat) {
                let at = start + e.offset;
                return (at - beat <= Ratio::from_integer(BEATS_PER_BAR)).then_some((at, e.harmony));
            }
        }
        None
    }
}

/// One chord held for as long as the musician holds it: the plugin's held notes
/// and fixed key.
#[derive(Debug, Clone, Copy)]
pub struct HeldChord {
    /// The chord, if any.
    pub harmony: Option<Harmony>,
    /// When it arrived.
    pub since: Option<Beats>,
}

impl ChangeSource for HeldChord {
    fn chord_at(&self, _beat: Beats) -> Option<Sounding> {
        self.harmony.map(|harmony| Sounding { harmony, since: self.since })
    }

    fn next_change(&self, _beat: Beats) -> Option<(Beats, Harmony)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::beats;

    fn ev(offset: Beats, keys: &[u8]) -> ChordEvent {
        ChordEvent { offset, duration: beats(1, 1), keys: keys.to_vec(), name: None }
    }

    #[test]
    fn looped_changes_know_where_chords_change() {
        let dm7 = [50, 53, 57, 60];
        let g7 = [43, 47, 50, 53];
        // | Dm7 G7 | G7 | Dm7 |
        let changes = vec![
            vec![ev(beats(0, 1), &dm7), ev(beats(2, 1), &g7)],
            vec![ev(beats(0, 1), &g7)],
            vec![ev(beats(0, 1), &dm7)],
        ];
        let c = LoopedChanges::new(&changes);
        let at = |b: i64| c.chord_at(beats(b, 1)).unwrap();
        assert_eq!(at(1).since, None, "Dm7 after the last bar's Dm7 (looping) is no change");
        assert_eq!(at(3).since, Some(beats(2, 1)));
        assert_eq!(at(5).since, None, "G7 repeated in bar 2 is no change");
        assert_eq!(at(9).since, Some(beats(8, 1)));
        assert_eq!(c.next_change(beats(0, 1)).map(|x| x.0), Some(beats(2, 1)));
        assert_eq!(c.next_change(beats(3, 1)).map(|x| x.0), None, "more than a bar ahead");
        assert_eq!(c.next_change(beats(5, 1)).map(|x| x.0), Some(beats(8, 1)));
        // Looping: bar 3 is bar 0 again.
        assert_eq!(at(13).harmony, at(1).harmony);
    }
}
