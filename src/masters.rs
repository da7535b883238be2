//! The masters as training material for a model that hears: any corpus (a WJD
//! solo, a MIDI file, a lead sheet) encoded in the masters' grammar
//! ([`crate::grammar::masters`]), each token with what the model hears where it
//! starts ([`crate::hearing`]), one vocabulary for them all, and training windows.

use crate::corpus::Corpus;
use crate::dataset::{TooShort, Windows};
use crate::grammar::masters::{LineNote, LineStep, encode_line, nearest};
use crate::grammar::{Harmony, Token, Vocabulary};
use crate::hearing::{JazzStyle, STYLE, heard};
use crate::model::Heard;
use crate::mt19937::Mt19937;
use crate::score::{Beats, ElementKind, Measure, quantize};
use std::collections::HashMap;

/// A token kept in the vocabulary must occur at least this often in the corpus;
/// rarer ones are mapped to the nearest kept token (as listening maps a player's notes).
pub const MIN_COUNT: usize = 8;
/// Share of training windows that hear the style `All` instead of their solo's:
/// the model learns an "all styles" voice from the same data.
pub const ALL_STYLE_SHARE: f64 = 0.25;

/// Whole solos the shipped model's training holds out for validation
/// (`scripts/train-wjd.sh`; chosen by the run's seed among the files taken).
pub const VALIDATION_FILES: usize = 24;

use crate::improvise::grid::TICKS_PER_BEAT as TICKS;

/// A corpus's line in the masters' grammar, one sequence per stretch of playing.
pub fn lines_of(corpus: &Corpus) -> Vec<Vec<LineStep>> {
    lines_of_measures(&corpus.measures, corpus.beats_per_bar)
}

/// [`lines_of`] for measures of `beats_per_bar` beats (a solo read for measuring).
pub fn lines_of_measures(measures: &[Measure], beats_per_bar: Beats) -> Vec<Vec<LineStep>> {
    let mut notes: Vec<LineNote> = Vec::new();
    for m in measures {
        for e in &m.elements {
            if let ElementKind::Note { key, .. } = e.kind {
                let onset = (quantize(e.offset) * TICKS).round().to_integer();
                let length = (e.duration * TICKS).round().to_integer().max(1);
                if notes.last().is_none_or(|n| n.onset < onset) {
                    notes.push(LineNote { onset, length, key });
                }
            }
        }
    }
    let track = ChordTrack::of_measures(measures, beats_per_bar);
    encode_line(&notes, |t| track.at(t))
}

/// A corpus's changes, bar by bar: what sounds at any twelfth of a beat.
#[derive(Debug, Clone, Default)]
pub struct ChordTrack {
    /// Twelfths in a bar.
    bar: i64,
    /// Each bar's chords (onset, harmony), by bar number; a bar without one has none.
    bars: HashMap<i64, Vec<(i64, Harmony)>>,
}

impl ChordTrack {
    /// The changes of a corpus.
    pub fn of(corpus: &Corpus) -> Self {
        Self::of_measures(&corpus.measures, corpus.beats_per_bar)
    }

    /// The changes of measures of `beats_per_bar` beats.
    pub fn of_measures(measures: &[Measure], beats_per_bar: Beats) -> Self {
        let bar = (beats_per_bar * TICKS).to_integer().max(1);
        let mut bars = HashMap::new();
        for m in measures {
            let start = (m.start * TICKS).round().to_integer();
            let chords =
                m.chords.iter().map(|c| ((c.offset * TICKS).round().to_integer(), Harmony::new(&c.keys))).collect();
            bars.insert(start.div_euclid(bar), chords);
        }
        Self { bar, bars }
    }

    /// The chord sounding at `t` twelfths of a beat.
    pub fn at(&self, t: i64) -> Option<Harmony> {
        let chords = self.bars.get(&t.div_euclid(self.bar))?;
        let i = chords.partition_point(|(at, _)| *at <= t);
        chords.get(i.saturating_sub(1)).map(|(_, h)| *h)
    }

    /// Bars that hold a chord, in order.
    pub fn bars(&self) -> Vec<i64> {
        let mut b: Vec<i64> = self.bars.keys().copied().collect();
        b.sort_unstable();
        b
    }
}

/// A line heard over other changes: every step's chord is what `track` has at
/// the same place in the bar of its `bars[k]`-th bar, bar by bar (cycling), and
/// the previous note is heard in that chord. What the test of "does the model
/// hear the changes" feeds it.
pub fn heard_over(line: &[LineStep], track: &ChordTrack, style: JazzStyle) -> Vec<Heard> {
    let bars = track.bars();
    let bar = track.bar.max(1);
    let mut last: Option<(u8, u16)> = None;
    line.iter()
        .enumerate()
        .map(|(i, s)| {
            let chord = (!bars.is_empty())
                .then(|| {
                    let k = bars[(s.at.div_euclid(bar)).rem_euclid(bars.len() as i64) as usize];
                    track.at(k * bar + s.at.rem_euclid(bar))
                })
                .flatten();
            let id = chord.map(|c| (c.root, c.pcs));
            let changed = i == 0 || id != last;
            last = id;
            heard(chord.as_ref(), s.previous, s.at, changed, style)
        })
        .collect()
}

/// The style a corpus was played in: its WJD label, else `All`.
pub fn style_of(corpus: &Corpus) -> JazzStyle {
    corpus
        .wjd
        .as_ref()
        .and_then(|w| w.meta.as_ref())
        .and_then(|m| JazzStyle::from_label(&m.style))
        .unwrap_or(JazzStyle::All)
}

/// One line as the model learns it: token indices and what it hears with each.
#[derive(Debug, Clone, PartialEq)]
pub struct HeardLine {
    /// Vocabulary indices.
    pub tokens: Vec<usize>,
    /// The features of each token's step (the style is the file's).
    pub heard: Vec<Heard>,
}

/// The features of a line's steps in a style.
pub fn heard_line(line: &[LineStep], style: JazzStyle) -> Vec<Heard> {
    line.iter().map(|s| heard(s.chord.as_ref(), s.previous, s.at, s.changed, style)).collect()
}

/// The vocabulary of the files' lines: every token that occurs [`MIN_COUNT`]
/// times or more (all of them if none does), sorted.
pub fn vocabulary(files: &[&[Vec<LineStep>]]) -> Vocabulary {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for step in files.iter().flat_map(|f| f.iter()).flatten() {
        *counts.entry(step.token.to_string()).or_default() += 1;
    }
    let kept: Vec<&String> = counts.iter().filter(|(_, c)| **c >= MIN_COUNT).map(|(t, _)| t).collect();
    if kept.is_empty() {
        Vocabulary::from_tokens(&counts.keys().collect::<Vec<_>>())
    } else {
        Vocabulary::from_tokens(&kept)
    }
}

/// Maps lines onto a vocabulary: a token it lacks becomes its nearest
/// ([`nearest`]); a line whose every token lacks a counterpart is dropped.
pub fn index_lines(lines: &[Vec<LineStep>], vocabulary: &Vocabulary, style: JazzStyle) -> Vec<HeardLine> {
    let tokens: Vec<Token> = vocabulary.values().iter().filter_map(|v| Token::parse(v).ok()).collect();
    let mut memo: HashMap<String, Option<usize>> = HashMap::new();
    lines
        .iter()
        .filter_map(|line| {
            let mut out = HeardLine { tokens: Vec::with_capacity(line.len()), heard: Vec::with_capacity(line.len()) };
            let all = heard_line(line, style);
            for (step, h) in line.iter().zip(all) {
                let text = step.token.to_string();
                let index = *memo.entry(text.clone()).or_insert_with(|| {
                    vocabulary.index(&text).or_else(|| nearest(&step.token, tokens.iter().enumerate()))
                });
                if let Some(i) = index {
                    out.tokens.push(i);
                    out.heard.push(h);
                }
            }
            (!out.tokens.is_empty()).then_some(out)
        })
        .collect()
}

/// Draws `m` windows of `tx` tokens across the lines (as [`Windows::draw_across`]),
/// each step hearing the features of the token it predicts; a share
/// [`ALL_STYLE_SHARE`] of the windows hears the style `All` (drawn with `seed`).
pub fn windows(lines: &[&HeardLine], m: usize, tx: usize, seed: u32) -> Result<Windows, TooShort> {
    let seqs: Vec<&[usize]> = lines.iter().map(|l| l.tokens.as_slice()).collect();
    let mut w = Windows::draw_across(&seqs, m, tx, seed)?;
    let flat: Vec<&Heard> = lines.iter().flat_map(|l| l.heard.iter()).collect();
    let mut rng = Mt19937::new(seed ^ 0x5354_594c);
    let all = STYLE + JazzStyle::All.index() as u16;
    w.heard = w
        .starts
        .iter()
        .map(|&s| {
            let unlabelled = rng.numpy_below(1_000_000) as f64 / 1e6 < ALL_STYLE_SHARE;
            (0..tx)
                .map(|t| {
                    // Step t predicts token s + t + 1 (the last step has no target).
                    let mut h = *flat[(s + t + 1).min(flat.len() - 1)];
                    if unlabelled {
                        h.iter_mut()
                            .filter(|f| (STYLE..STYLE + JazzStyle::ALL.len() as u16).contains(*f))
                            .for_each(|f| *f = all);
                    }
                    h
                })
                .collect()
        })
        .collect();
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hearing::POSITION;

    #[test]
    fn windows_hear_the_token_they_predict() {
        let line = |base: usize| HeardLine {
            tokens: (base..base + 40).collect(),
            heard: (0..40).map(|i| heard(None, None, i as i64, false, JazzStyle::Bebop)).collect(),
        };
        let (a, b) = (line(0), line(100));
        let w = windows(&[&a, &b], 200, 10, 1).unwrap();
        let mut unlabelled = 0;
        for (x, h) in w.x.iter().zip(&w.heard) {
            // Input t + 1 is the token step t predicts: its position is heard at step t.
            for t in 0..9 {
                let next = x[t + 1].unwrap() % 100;
                assert!(h[t].contains(&(POSITION + next as u16)), "{x:?} {h:?}");
            }
            unlabelled += usize::from(h[0].contains(&STYLE));
        }
        assert!((20..80).contains(&unlabelled), "{unlabelled} of 200 hear All");
    }
}
