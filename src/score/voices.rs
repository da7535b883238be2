//! From paired MIDI notes to music21 6's part: chord grouping, quantisation,
//! first-fit voices and rest filling (spec §a.2).

use super::{Beats, Element, ElementKind, quantize};
use crate::midi::RawNote;
use num_rational::Ratio;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// Notes whose starts (and ends) lie within `ticks_per_quarter / 16` ticks form a
/// chord (music21's tolerance: 6 ticks at 96 per quarter).
pub const CHORD_TOLERANCE_DIVISOR: u64 = 16;

/// A part after import: one list per voice, in voice order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartScore {
    /// Voices; a part that needs none has exactly one.
    pub voices: Vec<Vec<Element>>,
}

impl PartScore {
    /// All voices merged by offset; at equal offsets earlier voices come first.
    pub fn flattened(&self) -> Vec<Element> {
        let mut all: Vec<Element> = self.voices.iter().flatten().cloned().collect();
        all.sort_by_key(|e| e.offset);
        all
    }
}

fn quantized_length(on: u64, off: u64, tpq: i64) -> Beats {
    let raw = Ratio::new((off - on) as i64, tpq);
    let q = quantize(raw);
    if q == Ratio::from_integer(0) && raw > Ratio::from_integer(0) { Ratio::new(1, 4) } else { q }
}

/// Adds a rest for every gap (from 0, between elements) and, if `up_to` lies past
/// the voice's end, one more up to it.
fn fill_rests(voice: &mut Vec<Element>, up_to: Option<Beats>) {
    let mut out = Vec::with_capacity(voice.len() * 2);
    let mut end = Ratio::from_integer(0);
    for e in voice.drain(..) {
        if e.offset > end {
            out.push(Element { offset: end, duration: e.offset - end, kind: ElementKind::Rest });
        }
        end = end.max(e.end());
        out.push(e);
    }
    if let Some(up_to) = up_to.filter(|&u| u > end) {
        out.push(Element { offset: end, duration: up_to - end, kind: ElementKind::Rest });
    }
    *voice = out;
}

/// music21's chord grouping over notes in note-on order: for each note not yet
/// gathered, the following notes starting within the tolerance join it if they
/// also end within it (a gathered note may join a later chord again). Calls
/// `emit(first, members)` per element; returns whether voices are required (a
/// note started with another but ended elsewhere).
fn group(notes: &[RawNote], ticks_per_quarter: u16, mut emit: impl FnMut(usize, &[usize])) -> bool {
    let tol = ticks_per_quarter as u64 / CHORD_TOLERANCE_DIVISOR;
    let mut gathered = vec![false; notes.len()];
    let mut voices_required = false;
    let mut members = Vec::new();
    for (i, first) in notes.iter().enumerate() {
        if gathered[i] {
            continue;
        }
        members.clear();
        members.push(i);
        for (j, other) in notes.iter().enumerate().skip(i + 1) {
            if other.on.abs_diff(first.on) > tol {
                break;
            }
            if other.off.abs_diff(first.off) <= tol {
                members.push(j);
                gathered[j] = true;
            } else {
                voices_required = true;
            }
        }
        emit(i, &members);
    }
    voices_required
}

/// How many chords music21's import would make of these notes.
pub fn count_chords(notes: &[RawNote], ticks_per_quarter: u16) -> usize {
    let mut n = 0;
    group(notes, ticks_per_quarter, |_, members| n += usize::from(members.len() > 1));
    n
}

/// Builds a part from notes in note-on order, as music21 6's MIDI import does.
pub fn build_part(notes: &[RawNote], ticks_per_quarter: u16) -> PartScore {
    let tpq = ticks_per_quarter as i64;
    let mut elements = Vec::with_capacity(notes.len());
    let voices_required = group(notes, ticks_per_quarter, |i, members| {
        let first = &notes[i];
        let kind = if members.len() > 1 {
            ElementKind::Chord { keys: members.iter().map(|&j| notes[j].key).collect() }
        } else {
            ElementKind::Note { key: first.key, velocity: first.velocity }
        };
        elements.push(Element {
            offset: quantize(Ratio::new(first.on as i64, tpq)),
            duration: quantized_length(first.on, first.off, tpq),
            kind,
        });
    });
    elements.sort_by_key(|e| e.offset);
    if !voices_required {
        fill_rests(&mut elements, None);
        return PartScore { voices: vec![elements] };
    }
    PartScore { voices: voices_of(elements) }
}

/// First-fit voices over elements sorted by onset, with their rests.
fn voices_of(elements: Vec<Element>) -> Vec<Vec<Element>> {
    // Each element goes to the first voice (lowest index) that has ended by its
    // onset. Onsets only grow, so a voice that is free stays free until it is given
    // a note: busy voices wait in a heap by end, free ones in an ordered set —
    // O(n log voices) instead of a scan of every voice per note.
    let mut voices: Vec<Vec<Element>> = Vec::new();
    let mut ends: Vec<Beats> = Vec::new();
    let mut busy: BinaryHeap<Reverse<(Beats, usize)>> = BinaryHeap::new();
    let mut free: BTreeSet<usize> = BTreeSet::new();
    for e in elements {
        while let Some(&Reverse((end, k))) = busy.peek()
            && end <= e.offset
        {
            busy.pop();
            free.insert(k);
        }
        let end = e.end();
        let k = match free.pop_first() {
            Some(k) => {
                ends[k] = ends[k].max(end);
                voices[k].push(e);
                k
            }
            None => {
                ends.push(end);
                voices.push(vec![e]);
                voices.len() - 1
            }
        };
        busy.push(Reverse((ends[k], k)));
    }
    // Before voice k joins, voices 1..k-1 get their gaps and a top-up to their
    // common end; the last voice never gets rests (spec §a.2.4, corrected). So
    // voice v is filled once up to the end of voices 0..=v, then topped up by one
    // rest each time a later voice pushes that common end further.
    let mut raises: Vec<(usize, Beats)> = Vec::new(); // (k, max of ends[..k]) where it grows
    for k in 1..voices.len() {
        let up_to = ends[k - 1].max(raises.last().map_or(ends[0], |r| r.1));
        if raises.last().is_none_or(|r| up_to > r.1) {
            raises.push((k, up_to));
        }
    }
    let last = voices.len().saturating_sub(1);
    for (v, voice) in voices[..last].iter_mut().enumerate() {
        let first = raises.partition_point(|r| r.0 <= v);
        // The common end when voice v + 1 joins: the last raise at or before it.
        let up_to = raises[..raises.partition_point(|r| r.0 <= v + 1)].last().map(|r| r.1);
        fill_rests(voice, up_to);
        for &(k, to) in &raises[first..] {
            let end = voice.last().map_or(Ratio::from_integer(0), |e| e.end());
            if k > v + 1 && to > end {
                voice.push(Element { offset: end, duration: to - end, kind: ElementKind::Rest });
            }
        }
    }
    voices
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::beats;

    fn n(on: u64, off: u64, key: u8) -> RawNote {
        RawNote { on, off, key, velocity: 90 }
    }

    #[test]
    fn chord_grouping_and_rests() {
        // A chord of two notes (ends within 6 ticks), then a gap, then a note.
        let p = build_part(&[n(0, 96, 60), n(3, 100, 64), n(192, 288, 67)], 96);
        assert_eq!(p.voices.len(), 1);
        let v = &p.voices[0];
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].kind, ElementKind::Chord { keys: vec![60, 64] });
        assert_eq!((v[1].offset, v[1].duration, v[1].is_rest()), (beats(1, 1), beats(1, 1), true));
    }

    /// The voices as first written: a scan of every voice per note, and every
    /// earlier voice refilled each time a voice joins.
    fn naive_voices(elements: Vec<Element>) -> Vec<Vec<Element>> {
        let mut voices: Vec<Vec<Element>> = Vec::new();
        let mut ends: Vec<Beats> = Vec::new();
        for e in elements {
            let end = e.end();
            match ends.iter().position(|&v| v <= e.offset) {
                Some(k) => {
                    ends[k] = ends[k].max(end);
                    voices[k].push(e);
                }
                None => {
                    ends.push(end);
                    voices.push(vec![e]);
                }
            }
        }
        for k in 1..voices.len() {
            let up_to = ends[..k].iter().copied().max();
            for v in &mut voices[..k] {
                fill_rests(v, up_to);
            }
        }
        voices
    }

    #[test]
    fn fast_voices_are_the_first_fit_scan() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for case in 0..300 {
            let mut at = 0;
            let mut elements: Vec<Element> = (0..rng.random_range(0..60))
                .map(|_| {
                    at += rng.random_range(0..4);
                    Element {
                        offset: beats(at, 4),
                        duration: beats(rng.random_range(1..24), 4),
                        kind: ElementKind::Note { key: 60, velocity: 90 },
                    }
                })
                .collect();
            elements.sort_by_key(|e| e.offset);
            assert_eq!(voices_of(elements.clone()), naive_voices(elements), "case {case}");
        }
    }

    #[test]
    fn same_start_different_end_needs_voices() {
        let p = build_part(&[n(0, 384, 48), n(0, 96, 72), n(96, 192, 74), n(480, 576, 76)], 96);
        assert_eq!(p.voices.len(), 2);
        // Voice 1: 48 (0–4), rest, 76; voice 2 bare notes 72, 74.
        let v1: Vec<bool> = p.voices[0].iter().map(Element::is_rest).collect();
        assert_eq!(v1, [false, true, false]);
        assert!(p.voices[1].iter().all(|e| !e.is_rest()));
    }
}
