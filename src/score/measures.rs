//! Cutting the melody and the chords into bars (spec §a.3).

use super::{Beats, ChordEvent, Element};

/// An inclusive range of offsets, like the reference's `[476, 548]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First offset kept.
    pub start: Beats,
    /// Last offset kept (inclusive, as in the reference).
    pub end: Beats,
}

impl Window {
    /// True if `offset` lies in the window, both ends included.
    pub fn contains(&self, offset: Beats) -> bool {
        offset >= self.start && offset <= self.end
    }
}

/// One bar of melody with the chords that govern it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    /// Bar number from the start of the file (0-based).
    pub bar: i64,
    /// Offset of the bar's first beat.
    pub start: Beats,
    /// Notes and rests starting in this bar (melody chords are not used, as in the reference).
    pub elements: Vec<Element>,
    /// Chords starting in this bar, or the last earlier chord if none does.
    pub chords: Vec<ChordEvent>,
}

/// Groups melody elements and chords by bar.
///
/// The reference pairs the n-th run of melody bars with the n-th run of chord bars
/// and drops the last chord group; we pair by bar number, which gives the same
/// result on the reference data and stays right when a bar is empty in one part.
/// A bar with no chord of its own takes the last chord before it; bars before the
/// first chord are left out (there is nothing to relate their notes to).
pub fn group_measures(
    melody: &[Element],
    chords: &[ChordEvent],
    beats_per_bar: Beats,
    window: Option<Window>,
) -> Vec<Measure> {
    let keep = |o: Beats| window.is_none_or(|w| w.contains(o));
    let bar_of = |o: Beats| (o / beats_per_bar).floor().to_integer();
    let chords: Vec<&ChordEvent> = chords.iter().filter(|c| keep(c.offset)).collect();
    let mut out: Vec<Measure> = Vec::new();
    for e in melody.iter().filter(|e| keep(e.offset)) {
        if matches!(e.kind, super::ElementKind::Chord { .. }) {
            continue;
        }
        let bar = bar_of(e.offset);
        match out.last_mut() {
            Some(m) if m.bar == bar => m.elements.push(e.clone()),
            _ => out.push(Measure { bar, start: beats_per_bar * bar, elements: vec![e.clone()], chords: Vec::new() }),
        }
    }
    for m in &mut out {
        m.chords = chords.iter().filter(|c| bar_of(c.offset) == m.bar).map(|c| (*c).clone()).collect();
        if m.chords.is_empty()
            && let Some(prev) = chords.iter().rev().find(|c| c.offset < m.start)
        {
            m.chords.push((*prev).clone());
        }
    }
    out.retain(|m| !m.chords.is_empty());
    out
}
