//! A single melody line on the grid: notes at quantised onsets, rests filling
//! the gaps, as the lead-sheet and WJD readers give it to the encoder.

use super::{Beats, Element, ElementKind, quantize};

/// The line of `(onset, end, key)` notes (`None`: a written rest), in onset
/// order: onsets and ends snapped to the 1/4 and 1/3 beat grids as MIDI import
/// snaps them, rests filling every gap from 0, adjacent rests merged. A note
/// shorter than the grid, or starting before the previous note ends, is left out.
pub fn line_with_rests(notes: impl IntoIterator<Item = (Beats, Beats, Option<u8>)>, velocity: u8) -> Vec<Element> {
    let mut melody: Vec<Element> = Vec::new();
    let mut end = Beats::from_integer(0);
    for (onset, off, key) in notes {
        let (on, off) = (quantize(onset), quantize(off));
        if off <= on || on < end {
            continue;
        }
        if on > end {
            push_rest(&mut melody, end, on);
        }
        match key {
            Some(key) => {
                melody.push(Element { offset: on, duration: off - on, kind: ElementKind::Note { key, velocity } })
            }
            None => push_rest(&mut melody, on, off),
        }
        end = off;
    }
    melody
}

/// A rest from `start` to `end`, joined to a rest just before it.
fn push_rest(melody: &mut Vec<Element>, start: Beats, end: Beats) {
    if let Some(last) = melody.last_mut().filter(|e| e.is_rest() && e.end() == start) {
        last.duration = end - last.offset;
    } else {
        melody.push(Element { offset: start, duration: end - start, kind: ElementKind::Rest });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::beats;

    #[test]
    fn gaps_become_rests_and_overlaps_are_left_out() {
        let line = line_with_rests(
            [
                (beats(1, 1), beats(3, 2), Some(60)),
                (beats(5, 4), beats(2, 1), Some(62)),
                (beats(2, 1), beats(3, 1), None),
            ],
            90,
        );
        let shape: Vec<(Beats, Beats, bool)> = line.iter().map(|e| (e.offset, e.duration, e.is_rest())).collect();
        // The second note starts inside the first and is left out; the gap and the
        // written rest merge into one rest.
        let expect =
            [(beats(0, 1), beats(1, 1), true), (beats(1, 1), beats(1, 2), false), (beats(3, 2), beats(3, 2), true)];
        assert_eq!(shape, expect);
    }
}
