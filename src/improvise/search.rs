//! Playing to taste: at a phrase start the improviser draws several candidate
//! phrases from the same moment (the first with the random draws it would have
//! made anyway, the others seeded apart), scores each with the player's
//! preference model blended with the LSTM's likelihood, and goes back to play the
//! best. Candidates know only what the improviser knows: they read the changes
//! it reads (a held chord is assumed to hold), and the chosen one is played by
//! drawing it again, so where the chords turn out otherwise it follows them.
//! Allocation-free: the saved state and the candidate's notes live in scratch
//! sized at construction.

use super::phrase::Phase;
use super::{ChangeSource, Improviser, Line, Outcome, Playing, RngChooser, tick_of};
use crate::grammar::Decoder;
use crate::score::Beats;
use crate::taste::{Features, MAX_CANDIDATES, PhraseNote, Taste, features::features};
use num_rational::Ratio;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Notes of a candidate phrase that are described (a phrase has far fewer).
pub const MAX_PHRASE_NOTES: usize = 128;
/// Tokens drawn for one candidate at most (bounds a search's work).
pub const MAX_CANDIDATE_TOKENS: usize = 192;
/// Beats a candidate is drawn for at most: the longest phrase Space allows
/// (5 bars × 1.4) and a breath.
pub const MAX_CANDIDATE_BEATS: i64 = 40;

/// How much a candidate whose busyness differs most from the last phrase's gains
/// over the others (on the blend's 0–1 scale): the line keeps contrasting dense
/// and sparse phrases, as the masters do, whatever the taste prefers.
const CONTRAST: f32 = 0.25;
/// The busyness feature (notes a beat).
const BUSY: usize = 3;

/// The search's scratch.
pub(super) struct Scratch {
    /// The notes of the candidate being drawn.
    notes: [PhraseNote; MAX_PHRASE_NOTES],
    /// The log-probability under the model of the token drawn last.
    pub(super) last_logp: f32,
    /// True while candidates are drawn (no search inside a search).
    searching: bool,
    /// The busyness feature of the phrase chosen last (contrast is scored against it).
    last_busy: Option<f32>,
}

impl Default for Scratch {
    fn default() -> Self {
        let none = PhraseNote { at: 0, length: 0, key: 0, kind: crate::grammar::NoteType::Rest, guide: false };
        Self { notes: [none; MAX_PHRASE_NOTES], last_logp: 0.0, searching: false, last_busy: None }
    }
}

/// Everything a candidate changes, but the LSTM state (saved in the model's own
/// scratch): random draws, decoder, line, bar.
#[derive(Clone)]
struct Saved {
    sample_rng: StdRng,
    chooser: RngChooser<StdRng>,
    guide_rng: StdRng,
    decoder: Decoder,
    prev: Option<usize>,
    bar: i64,
    bar_tokens: usize,
    line: Line,
    stop: Option<Beats>,
    open_with_note: bool,
    heard_chord: Option<(u8, u16)>,
}

/// The seed of candidate `c` of the phrase starting at `tick`: SplitMix64 of the
/// solo's seed, the place and the candidate, so every phrase's candidates differ.
fn candidate_seed(seed: u64, tick: i64, c: usize) -> u64 {
    let mut z =
        seed ^ (tick as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (c as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Improviser {
    /// Plays to the player's taste from the next phrase on (`None`, or a taste
    /// that does not search, draws as before byte for byte).
    pub fn set_taste(&mut self, taste: Option<Taste>) {
        self.taste = taste.filter(Taste::searches);
    }

    /// True where a phrase is about to start and a taste asks for a search.
    pub(super) fn taste_due(&self, pos: Beats) -> bool {
        self.taste.is_some()
            && !self.search.searching
            && match self.line.phase {
                None => true,
                Some(Phase::Breathing { until }) => pos >= until,
                Some(Phase::Playing { .. }) => false,
            }
    }

    fn save(&mut self) -> Saved {
        let live = &mut *self.live;
        live.saved.clone_from(&live.state);
        Saved {
            sample_rng: self.sample_rng.clone(),
            chooser: self.chooser.clone(),
            guide_rng: self.guide_rng.clone(),
            decoder: self.decoder,
            prev: self.prev,
            bar: self.bar,
            bar_tokens: self.bar_tokens,
            line: self.line,
            stop: self.stop,
            open_with_note: self.open_with_note,
            heard_chord: self.heard_chord,
        }
    }

    fn restore(&mut self, s: &Saved) {
        let live = &mut *self.live;
        live.state.clone_from(&live.saved);
        self.sample_rng.clone_from(&s.sample_rng);
        self.chooser.clone_from(&s.chooser);
        self.guide_rng.clone_from(&s.guide_rng);
        self.decoder = s.decoder;
        self.prev = s.prev;
        self.bar = s.bar;
        self.bar_tokens = s.bar_tokens;
        self.line = s.line;
        self.stop = s.stop;
        self.open_with_note = s.open_with_note;
        self.heard_chord = s.heard_chord;
    }

    fn reseed(&mut self, seed: u64) {
        self.sample_rng = StdRng::seed_from_u64(seed);
        self.chooser = RngChooser(StdRng::seed_from_u64(seed.wrapping_add(1)));
        self.guide_rng = StdRng::seed_from_u64(seed.wrapping_add(3));
    }

    /// Draws the candidates of the phrase starting at `pos`, then leaves the line
    /// where it was, with the random draws of the one that scored best.
    pub(super) fn choose_phrase(&mut self, pos: Beats, changes: &impl ChangeSource, style: &Playing) {
        let Some(taste) = self.taste else { return };
        let n = taste.candidates.clamp(1, MAX_CANDIDATES);
        let at = tick_of(pos);
        let saved = self.save();
        let mut scored = [(0.0f32, 0.0f32); MAX_CANDIDATES];
        let mut busy = [0.0f32; MAX_CANDIDATES];
        self.search.searching = true;
        for (c, (score, busy)) in scored.iter_mut().zip(&mut busy).enumerate().take(n) {
            if c > 0 {
                self.restore(&saved);
                self.reseed(candidate_seed(self.seed, at, c));
            }
            let (f, likelihood) = self.draw_candidate(pos, changes, style);
            *score = (taste.preference.logit(&f), likelihood);
            *busy = f[BUSY];
        }
        self.search.searching = false;
        let range = |k: fn(&(f32, f32)) -> f32| {
            scored[..n].iter().map(k).fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
        };
        let (logits, likelihoods) = (range(|s| s.0), range(|s| s.1));
        let contrast = |c: usize| self.search.last_busy.map_or(0.0, |b| (busy[c] - b).abs());
        let most = (0..n).map(contrast).fold(0.0, f32::max);
        let mut best = (0, f32::NEG_INFINITY);
        for (c, &(logit, likelihood)) in scored[..n].iter().enumerate() {
            let mut s = taste.blend(logit, logits, likelihood, likelihoods);
            if most > 0.0 {
                s += CONTRAST * contrast(c) / most;
            }
            if s > best.1 {
                best = (c, s);
            }
        }
        self.search.last_busy = Some(busy[best.0]);
        self.restore(&saved);
        if best.0 > 0 {
            self.reseed(candidate_seed(self.seed, at, best.0));
        }
    }

    /// Draws one candidate phrase from `pos` to its breath (or the search's
    /// bounds): its features and the mean log-probability of its tokens.
    fn draw_candidate(&mut self, pos: Beats, changes: &impl ChangeSource, style: &Playing) -> (Features, f32) {
        let horizon = pos + Ratio::from_integer(MAX_CANDIDATE_BEATS);
        let (mut notes, mut tokens, mut logp, mut started) = (0, 0, 0.0f32, false);
        let mut rest_after = 0;
        while let Some(d) = self.next_draw(horizon, changes, style) {
            tokens += 1;
            logp += self.search.last_logp;
            match self.line.phase {
                Some(Phase::Playing { .. }) => started = true,
                Some(Phase::Breathing { until }) if started => {
                    let end = self.line.last_note_end.unwrap_or(d.at);
                    rest_after = (tick_of(until) - tick_of(end)).max(0);
                    break;
                }
                _ => {}
            }
            if let (Outcome::Note { key, length, kind }, true) = (d.outcome, notes < MAX_PHRASE_NOTES) {
                let guide = changes.chord_at(d.at).is_some_and(|s| s.harmony.is_guide_tone(key as i32 % 12));
                self.search.notes[notes] = PhraseNote { at: tick_of(d.at), length: tick_of(length), key, kind, guide };
                notes += 1;
            }
            if tokens >= MAX_CANDIDATE_TOKENS {
                break;
            }
        }
        (features(&self.search.notes[..notes], rest_after), logp / tokens.max(1) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_of_a_phrase_are_seeded_apart() {
        let seeds: Vec<u64> = (0..8).map(|c| candidate_seed(7, 96, c)).collect();
        let mut unique = seeds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 8);
        assert_ne!(candidate_seed(7, 96, 1), candidate_seed(7, 108, 1));
        assert_ne!(candidate_seed(7, 96, 1), candidate_seed(8, 96, 1));
    }
}
