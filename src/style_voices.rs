//! The styles' voices: for each style the masters' model knows, logit offsets
//! that reach its output directly whenever it hears that style, fitted so that
//! the model, playing on its own over that style's solos' changes, plays that
//! style's rests and rhythms.
//!
//! Why: trained by teacher forcing on 64-token windows, the model reads a solo's
//! style from the line itself, so it learned almost nothing from the label (0.003
//! nats a token on held-out solos), and running free every style came out alike
//! (`MUSICALITY.md`). Four offsets per style — rests, and notes a sixteenth, an
//! eighth and a triplet eighth long — are moved round by round by the log ratio
//! of the style's WJD figure (notes per bar; sixteenth, eighth and triplet gap
//! shares) to its free line's, over the changes of the style's own solos. `All`
//! (no style named) has none: it plays as the model learned.

use crate::corpus::{Corpus, CorpusOptions};
use crate::evaluate::{ChordTimeline, MelodyNote};
use crate::hearing::{JazzStyle, STYLE};
use crate::improvise::{Guidance, Improviser, LiveModel, LoopedChanges, Outcome, Playing};
use crate::model::{MAX_HEARD_LOGIT, Weights};
use crate::score::{Beats, ChordEvent};
use crate::style_nearness::Signature;
use num_rational::Ratio;
use rayon::prelude::*;

/// Rounds of the fit the shipped model's voices were given (`scripts/train-wjd.sh`).
pub const ROUNDS: usize = 32;
/// Bars played over each solo's changes in a round.
pub const BARS: usize = 32;
/// Most of a style's solos whose changes it plays in a round (spread evenly over them).
pub const MAX_SOLOS: usize = 48;
/// Share of a round's log ratio (clamped to ±1) added to an offset: damped, since
/// each measure answers to all four offsets.
pub const STEP: f32 = 0.35;
/// Largest offset the fit gives, inside what a weights file may hold.
pub const LIMIT: f32 = 4.0;
const _: () = assert!(LIMIT <= MAX_HEARD_LOGIT);

/// What one style is fitted to: its solos' mean signature and their changes.
#[derive(Debug, Clone)]
pub struct StyleSample {
    /// The style.
    pub style: JazzStyle,
    /// Solos of the style read.
    pub solos: usize,
    /// Their mean signature as played ([`crate::style_nearness`]).
    pub target: Signature,
    /// The changes of up to [`MAX_SOLOS`] of them, bar by bar (each chord's offset in its bar).
    pub changes: Vec<Vec<Vec<ChordEvent>>>,
}

/// The changes of a corpus's bars that have a chord.
fn changes_of(corpus: &Corpus) -> Vec<Vec<ChordEvent>> {
    let mut changes = crate::improvise::changes::changes_of_measures(&corpus.measures);
    changes.retain(|bar| !bar.is_empty());
    changes
}

/// Every named style of the 4/4 labelled solos in `dirs` (WJD tables), with its
/// solos' mean signature and changes; styles without a solo are left out.
pub fn samples(dirs: &[std::path::PathBuf]) -> Vec<StyleSample> {
    let options = CorpusOptions::default();
    let files: Vec<_> =
        crate::training_set::find_files(dirs).into_iter().filter(|(_, s)| s.is_none()).map(|(p, _)| p).collect();
    let read: Vec<(JazzStyle, Signature, Vec<Vec<ChordEvent>>)> = files
        .par_iter()
        .filter_map(|path| {
            let corpus = Corpus::from_path(path, &options).ok()?;
            if corpus.beats_per_bar != Ratio::from_integer(4) {
                return None;
            }
            let style = crate::masters::style_of(&corpus);
            let s = crate::evaluate::subject_from_path(path, &options, None, false).ok()?;
            let profile = crate::report_card::profile(&s.notes, &s.chords, s.first_bar, s.bars);
            let changes = changes_of(&corpus);
            (style != JazzStyle::All && !changes.is_empty())
                .then_some(())
                .and(crate::style_nearness::signature(&profile).map(|g| (style, g, changes)))
        })
        .collect();
    JazzStyle::ALL
        .into_iter()
        .filter_map(|style| {
            let mine: Vec<_> = read.iter().filter(|(s, _, _)| *s == style).collect();
            (!mine.is_empty()).then(|| {
                let mut target = [0.0; 5];
                for (_, g, _) in &mine {
                    target.iter_mut().zip(g).for_each(|(t, x)| *t += x / mine.len() as f64);
                }
                let every = mine.len().div_ceil(MAX_SOLOS);
                let changes = mine.iter().step_by(every).map(|(_, _, c)| c.clone()).collect();
                StyleSample { style, solos: mine.len(), target, changes }
            })
        })
        .collect()
}

/// The token groups a style's offsets move: notes a sixteenth, an eighth and a
/// triplet eighth long (the masters' grammar's `X,0.250,…` values), rests and
/// every other note (what thins a bar), and chord tones (`C,…`) of any length. A
/// note's offset is the sum of its length's and its type's. The length groups
/// cover every value: a length left out would gain whenever the others lose (a
/// swing voice that lowered the three short lengths and the rests played triplet
/// quarter-and-eighth pairs, which Auto feel cannot swing).
fn groups_of(value: &str) -> [Option<usize>; 2] {
    let mut parts = value.split(',');
    let (Some(kind), Some(length)) = (parts.next(), parts.next()) else { return [None, None] };
    let by_length = match (kind, length) {
        ("R", _) => 0,
        (_, "0.250") => 1,
        (_, "0.500") => 2,
        (_, "0.333") => 3,
        _ => 0,
    };
    [Some(by_length), (kind == "C").then_some(4)]
}

/// Offsets of a style: rests and the other lengths, the three short lengths, chord tones.
type Voice = [f32; 5];

/// A style's offsets for each vocabulary value from its group offsets.
fn offsets(groups: &[[Option<usize>; 2]], g: &Voice) -> Vec<f32> {
    groups.iter().map(|x| x.iter().flatten().map(|&i| g[i]).sum::<f32>().clamp(-LIMIT, LIMIT)).collect()
}

/// How much harder H1 steers the chord tones' offset than notes per bar steer the
/// rests': H1 varies over the WJD's solos by about 13 % of its mean, notes per bar
/// by about 30 %, so a log ratio of H1 counts about that much more.
const H1_GAIN: f32 = 2.5;

/// The mean signature of `weights` playing `sample`'s style unguided, at its own
/// default sampling, over each of its changes from bar 1 (seeds 1, 2, …). Steps in
/// f32 on the portable kernel, so the fit is the same on every machine.
pub fn played_signature(weights: &Weights, sample: &StyleSample) -> Signature {
    let beats = |b: Beats| *b.numer() as f64 / *b.denom() as f64;
    let live = Box::new(LiveModel::portable(weights, String::new()));
    let mut improviser = Improviser::new(live, 0);
    let playing = Playing { guidance: Guidance::PLAIN, style: sample.style, ..Playing::for_weights(weights) };
    let profiles: Vec<_> = sample
        .changes
        .iter()
        .enumerate()
        .map(|(i, changes)| {
            improviser.restart(i as u64 + 1);
            let mut notes = Vec::new();
            improviser.fill(Ratio::from_integer(BARS as i64 * 4), &LoopedChanges::new(changes), &playing, &mut |d| {
                if let Outcome::Note { key, length, .. } = d.outcome {
                    notes.push(MelodyNote { start: beats(d.at), length: beats(length), key });
                }
            });
            crate::report_card::profile(&notes, &ChordTimeline::new([]), 0, BARS)
        })
        .collect();
    crate::style_nearness::mean_signature(&profiles).unwrap_or_default()
}

/// Fits every sample's voice over `rounds` rounds (styles in parallel; the result
/// does not depend on the number of threads) and returns the heard-logit rows for
/// the weights file. `on_round(round, each style's signature)` reports progress.
pub fn fit(
    weights: &Weights,
    samples: &[StyleSample],
    rounds: usize,
    mut on_round: impl FnMut(usize, &[Signature]),
) -> Vec<(u16, Vec<f32>)> {
    let groups: Vec<[Option<usize>; 2]> = weights.vocabulary.values().iter().map(|v| groups_of(v)).collect();
    let feature = |s: &StyleSample| STYLE + s.style.index() as u16;
    let mut voices: Vec<Voice> = vec![[0.0; 5]; samples.len()];
    for round in 0..rounds {
        let played: Vec<Signature> = samples
            .par_iter()
            .zip(voices.par_iter_mut())
            .map(|(sample, g)| {
                let mut w = weights.clone();
                w.heard_logits = vec![(feature(sample), offsets(&groups, g))];
                let got = played_signature(&w, sample);
                let ln = |want: f64, got: f64| (want.max(1e-3) / got.max(1e-3)).ln().clamp(-1.0, 1.0) as f32;
                // Fewer notes a bar than wanted: fewer rests and longer notes. A gap share short: more of that length.
                g[0] = (g[0] - STEP * ln(sample.target[0], got[0])).clamp(-LIMIT, LIMIT);
                for k in 1..4 {
                    g[k] = (g[k] + STEP * ln(sample.target[k + 1], got[k + 1])).clamp(-LIMIT, LIMIT);
                }
                // More pitch-class churn than wanted: more chord tones.
                g[4] = (g[4] - H1_GAIN * STEP * ln(sample.target[1], got[1])).clamp(-LIMIT, LIMIT);
                got
            })
            .collect();
        on_round(round, &played);
    }
    samples.iter().zip(&voices).map(|(s, g)| (feature(s), offsets(&groups, g))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_rests_the_three_short_lengths_and_chord_tones() {
        assert_eq!(groups_of("R,0.500"), [Some(0), None]);
        assert_eq!(groups_of("C,0.250,<m2,M3>"), [Some(1), Some(4)]);
        assert_eq!(groups_of("S,0.500,<m2,M3>"), [Some(2), None]);
        assert_eq!(groups_of("A,0.333,<m2,M3>"), [Some(3), None]);
        assert_eq!(groups_of("C,1.000,<m2,M3>"), [Some(0), Some(4)]);
        assert_eq!(groups_of("C,0.750,<m2,M3>"), [Some(0), Some(4)]);
        assert_eq!(groups_of("X,0.667,<m2,M3>"), [Some(0), None]);
        assert_eq!(groups_of("garbage"), [None, None]);
        let groups = [[Some(0), None], [None, None], [Some(3), Some(4)]];
        assert_eq!(offsets(&groups, &[1.0, 2.0, 3.0, 4.0, -0.5]), vec![1.0, 0.0, 3.5]);
    }
}
