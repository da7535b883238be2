//! Playing to taste: at a phrase start the improviser draws several candidate
//! phrases from the same moment (the first with the random draws it would have
//! made anyway, the others seeded apart), scores each with the player's
//! preference model blended with the LSTM's likelihood, and goes back to play the
//! best. Candidates know only what the improviser knows: they read the changes
//! it reads (a held chord is assumed to hold), and the chosen one is played by
//! drawing it again, so where the chords turn out otherwise it follows them.
//! Allocation-free: the saved state and the candidate's notes live in scratch
//! sized at construction.
//!
//! Offline (`improv generate`) the search runs at the phrase start. Live (the
//! plugin, [`Improviser::search_ahead`]) it runs a few tokens a block during the
//! breath before the phrase, from a copy of the line drawn ahead to the phrase
//! start, so no block does more than its share; at the phrase start the line
//! takes the winner if it stands where the search assumed it would (else that
//! phrase is drawn as without taste). Both find the same winner when the breath
//! was long enough for every candidate; after a shorter one the line takes the
//! best of those scored (at least two).

use super::phrase::Phase;
use super::{ChangeSource, Improviser, Line, Outcome, Playing, RngChooser, tick_of};
use crate::grammar::Decoder;
use crate::score::Beats;
use crate::taste::{MAX_CANDIDATES, PhraseNote, Taste, features::features};
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

/// Candidates the live search must have scored when its phrase starts for the
/// line to take the best of them: the masters' breaths are often shorter than a
/// whole search (a tenth of them under 0.9 beats), and the best of a few
/// candidates is still played to taste, where none would not be.
const MIN_SCORED: usize = 2;

/// How much a candidate whose busyness differs most from the last phrase's gains
/// over the others (on the blend's 0–1 scale): the line keeps contrasting dense
/// and sparse phrases, as the masters do, whatever the taste prefers.
const CONTRAST: f32 = 0.25;
/// The busyness feature (notes a beat).
const BUSY: usize = 3;

/// LSTM states kept in the model's scratch ([`super::LiveModel`]): the phrase
/// start of a search at the phrase start, the phrase start of a search ahead, the
/// search ahead's line, and the line parked while the search ahead draws.
pub(super) const SLOTS: usize = 4;
/// Where [`Improviser::choose_phrase`] keeps the phrase start.
const AT_START: usize = 0;
/// Where the search ahead keeps the phrase start it searches from.
const AHEAD_START: usize = 1;
/// Where the search ahead keeps its own line between blocks.
const AHEAD_WORK: usize = 2;
/// Where the line is parked while the search ahead draws.
const PARKED: usize = 3;

/// A candidate phrase being drawn.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Candidate {
    /// Notes described so far (in [`Scratch::notes`]).
    notes: usize,
    /// Tokens drawn.
    tokens: usize,
    /// Their summed log-probability.
    logp: f32,
    /// The phrase has started (the breath before it is not scored).
    started: bool,
    /// Silence after the phrase, in twelfths.
    rest_after: i64,
}

/// Where a search run ahead of the line is.
#[derive(Debug, Clone, Copy, Default)]
pub(super) enum Ahead {
    /// Waiting for a breath to search during.
    #[default]
    Idle,
    /// Drawing the breath, on a copy of the line, to the phrase start.
    Prelude,
    /// Drawing candidate `c` of the phrase that starts at `at`.
    Drawing { at: Beats, c: usize, candidate: Candidate },
    /// Candidate `winner` of the phrase at `at` scored best.
    Done { at: Beats, winner: usize, busy: f32 },
}

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
    /// Search ahead, a few tokens a block, instead of at the phrase start.
    live: bool,
    /// The search ahead's progress.
    pub(super) ahead: Ahead,
    /// The search ahead's phrase start and its own line (their LSTM states are
    /// in the model's slots).
    start: Option<Saved>,
    work: Option<Saved>,
    /// Each candidate's (preference logit, mean log-likelihood) and busyness.
    scored: [(f32, f32); MAX_CANDIDATES],
    busy: [f32; MAX_CANDIDATES],
    /// Live: phrases started with the search's winner, and without (not found in time).
    taken: usize,
    missed: usize,
}

impl Default for Scratch {
    fn default() -> Self {
        let none = PhraseNote { at: 0, length: 0, key: 0, kind: crate::grammar::NoteType::Rest, guide: false };
        Self {
            notes: [none; MAX_PHRASE_NOTES],
            last_logp: 0.0,
            searching: false,
            last_busy: None,
            live: false,
            ahead: Ahead::Idle,
            start: None,
            work: None,
            scored: [(0.0, 0.0); MAX_CANDIDATES],
            busy: [0.0; MAX_CANDIDATES],
            taken: 0,
            missed: 0,
        }
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
        let taste = taste.filter(Taste::searches);
        // A search ahead scored with another preference or count starts again; a
        // new weight only changes the blend, made when the last candidate is in.
        if taste.map(|t| (t.candidates, t.preference)) != self.taste.map(|t| (t.candidates, t.preference)) {
            self.search.ahead = Ahead::Idle;
        }
        self.taste = taste;
    }

    /// Searches ahead ([`Improviser::search_ahead`]) instead of at the phrase start:
    /// how the plugin plays to taste without a block doing the whole search.
    pub fn set_search_ahead(&mut self, on: bool) {
        self.search.live = on;
        self.search.ahead = Ahead::Idle;
    }

    /// Live, in a breath that lasts past `until` (the end of what the line must
    /// draw now) while the search ahead has not finished: the rest of the breath
    /// is left undrawn for now, so the search runs during it. One rest token
    /// often covers the masters' short breaths whole; drawn at once, it would
    /// leave the search no breath to start in.
    pub(super) fn waits_for_search(&self, until: Beats) -> bool {
        self.search.live
            && self.taste.is_some()
            && !matches!(self.search.ahead, Ahead::Done { .. })
            && matches!(self.line.phase, Some(Phase::Breathing { until: end }) if end >= until)
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

    /// The line as it is, its LSTM state kept in `slot`.
    fn save(&mut self, slot: usize) -> Saved {
        let live = &mut *self.live;
        live.saved[slot].clone_from(&live.state);
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

    /// Puts the line back as `s` saved it, its LSTM state from `slot`.
    fn restore(&mut self, s: &Saved, slot: usize) {
        let live = &mut *self.live;
        live.state.clone_from(&live.saved[slot]);
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

    /// Puts the line on candidate `seed`'s random draws (never the first
    /// candidate's, which keeps the line's). Which remembered cell a waiting
    /// restatement plays is chosen again too, so the candidates do not all open
    /// with the same cell and a taste still has phrases to choose among.
    fn reseed(&mut self, seed: u64) {
        self.sample_rng = StdRng::seed_from_u64(seed);
        self.chooser = RngChooser(StdRng::seed_from_u64(seed.wrapping_add(1)));
        self.guide_rng = StdRng::seed_from_u64(seed.wrapping_add(3));
        // From the seed's own bits, so the candidate's random streams are
        // untouched (53 bits: a uniform draw in 0..1).
        self.line.motifs.repick((seed.rotate_left(17) >> 11) as f64 / (1u64 << 53) as f64);
    }

    /// At a phrase start with a taste: offline, the search; live, the winner of
    /// the search run ahead, if it searched from where the line stands.
    pub(super) fn start_phrase_to_taste(&mut self, pos: Beats, changes: &impl ChangeSource, style: &Playing) {
        if !self.search.live {
            return self.choose_phrase(pos, changes, style);
        }
        // The winner of every candidate, or (the breath was shorter than the whole
        // search) of those scored by now, if at least [`MIN_SCORED`] were.
        let found = match std::mem::take(&mut self.search.ahead) {
            Ahead::Done { at, winner, busy } => Some((at, winner, busy)),
            Ahead::Drawing { at, c, .. } if c >= MIN_SCORED => self.taste.map(|taste| {
                let winner = self.winner(c, &taste);
                (at, winner, self.search.busy[winner])
            }),
            _ => None,
        };
        match found {
            Some((at, winner, busy)) if at == pos && self.stands_at_search_start() => {
                self.search.taken += 1;
                self.search.last_busy = Some(busy);
                if winner > 0 {
                    self.reseed(candidate_seed(self.seed, tick_of(at), winner));
                }
            }
            _ => self.search.missed += 1,
        }
    }

    /// Live: how many phrases started with the search's winner, and how many
    /// without (the breath before them too short for the search, or none).
    pub fn taste_searches(&self) -> (usize, usize) {
        (self.search.taken, self.search.missed)
    }

    /// True if the line is where the search ahead started its candidates: the
    /// same random streams, place, previous token and LSTM state.
    fn stands_at_search_start(&self) -> bool {
        let Some(s) = &self.search.start else { return false };
        let live = &*self.live;
        let lstm = &live.saved[AHEAD_START];
        s.sample_rng == self.sample_rng
            && s.chooser.0 == self.chooser.0
            && s.guide_rng == self.guide_rng
            && s.prev == self.prev
            && s.bar == self.bar
            && s.decoder.position() == self.decoder.position()
            && lstm.hidden() == live.state.hidden()
            && lstm.cell() == live.state.cell()
    }

    /// Draws the candidates of the phrase starting at `pos`, then leaves the line
    /// where it was, with the random draws of the one that scored best.
    pub(super) fn choose_phrase(&mut self, pos: Beats, changes: &impl ChangeSource, style: &Playing) {
        let Some(taste) = self.taste else { return };
        let n = taste.candidates.clamp(1, MAX_CANDIDATES);
        let at = tick_of(pos);
        let saved = self.save(AT_START);
        self.search.searching = true;
        let horizon = pos + Ratio::from_integer(MAX_CANDIDATE_BEATS);
        for c in 0..n {
            if c > 0 {
                self.restore(&saved, AT_START);
                self.reseed(candidate_seed(self.seed, at, c));
            }
            let mut candidate = Candidate::default();
            while !self.draw_candidate_token(horizon, changes, style, &mut candidate) {}
            self.score(c, &candidate, &taste);
        }
        self.search.searching = false;
        let best = self.winner(n, &taste);
        self.search.last_busy = Some(self.search.busy[best]);
        self.restore(&saved, AT_START);
        if best > 0 {
            self.reseed(candidate_seed(self.seed, at, best));
        }
    }

    /// Runs the live search up to `budget` tokens further: during a breath it
    /// draws, on its own copy of the line, to the phrase start, then that
    /// phrase's candidates one after the other; the line itself is left exactly
    /// as it was. Allocation-free; at most `budget` model steps.
    pub fn search_ahead(&mut self, mut budget: usize, changes: &impl ChangeSource, style: &Playing) {
        let Some(taste) = self.taste else { return };
        if !self.search.live || !style.guidance.enabled || budget == 0 {
            return;
        }
        match (self.search.ahead, self.line.phase) {
            (Ahead::Idle, Some(Phase::Breathing { until })) if self.decoder.position() <= until => {
                self.search.work = Some(self.save(AHEAD_WORK));
                self.search.ahead = Ahead::Prelude;
            }
            (Ahead::Prelude | Ahead::Drawing { .. }, _) => {}
            _ => return,
        }
        let Some(work) = self.search.work.take() else { return };
        let parked = self.save(PARKED);
        self.restore(&work, AHEAD_WORK);
        self.search.searching = true;
        let n = taste.candidates.clamp(1, MAX_CANDIDATES);
        while budget > 0 {
            match self.search.ahead {
                Ahead::Prelude => {
                    // The breath, as the line will draw it; then the phrase start.
                    let until = match self.line.phase {
                        Some(Phase::Breathing { until }) => until,
                        _ => self.decoder.position(),
                    };
                    if self.next_draw(until, changes, style).is_some() {
                        budget -= 1;
                        continue;
                    }
                    let at = self.decoder.position();
                    self.search.start = Some(self.save(AHEAD_START));
                    self.search.ahead = Ahead::Drawing { at, c: 0, candidate: Candidate::default() };
                }
                Ahead::Drawing { at, c, mut candidate } => {
                    budget -= 1;
                    let horizon = at + Ratio::from_integer(MAX_CANDIDATE_BEATS);
                    if !self.draw_candidate_token(horizon, changes, style, &mut candidate) {
                        self.search.ahead = Ahead::Drawing { at, c, candidate };
                        continue;
                    }
                    self.score(c, &candidate, &taste);
                    if c + 1 < n {
                        if let Some(start) = self.search.start.take() {
                            self.restore(&start, AHEAD_START);
                            self.search.start = Some(start);
                        }
                        self.reseed(candidate_seed(self.seed, tick_of(at), c + 1));
                        self.search.ahead = Ahead::Drawing { at, c: c + 1, candidate: Candidate::default() };
                    } else {
                        let winner = self.winner(n, &taste);
                        self.search.ahead = Ahead::Done { at, winner, busy: self.search.busy[winner] };
                    }
                }
                Ahead::Idle | Ahead::Done { .. } => break,
            }
        }
        self.search.searching = false;
        self.search.work = Some(self.save(AHEAD_WORK));
        self.restore(&parked, PARKED);
    }

    /// Scores candidate `c`: the preference model's logit and the mean
    /// log-likelihood of its tokens, and its busyness.
    fn score(&mut self, c: usize, candidate: &Candidate, taste: &Taste) {
        let f = features(&self.search.notes[..candidate.notes], candidate.rest_after);
        let likelihood = candidate.logp / candidate.tokens.max(1) as f32;
        self.search.scored[c] = (taste.preference.logit(&f), likelihood);
        self.search.busy[c] = f[BUSY];
    }

    /// The best of the `n` scored candidates: taste blended with likelihood, each
    /// scaled over the candidates, plus the contrast with the last phrase.
    fn winner(&self, n: usize, taste: &Taste) -> usize {
        let scored = &self.search.scored[..n];
        let busy = &self.search.busy[..n];
        let range = |k: fn(&(f32, f32)) -> f32| {
            scored.iter().map(k).fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
        };
        let (logits, likelihoods) = (range(|s| s.0), range(|s| s.1));
        let contrast = |c: usize| self.search.last_busy.map_or(0.0, |b| (busy[c] - b).abs());
        let most = (0..n).map(contrast).fold(0.0, f32::max);
        let mut best = (0, f32::NEG_INFINITY);
        for (c, &(logit, likelihood)) in scored.iter().enumerate() {
            let mut s = taste.blend(logit, logits, likelihood, likelihoods);
            if most > 0.0 {
                s += CONTRAST * contrast(c) / most;
            }
            if s > best.1 {
                best = (c, s);
            }
        }
        best.0
    }

    /// Draws one token of a candidate phrase (to its breath, or the search's
    /// bounds: `horizon`, [`MAX_CANDIDATE_TOKENS`]) and describes its notes; true
    /// once the candidate is complete.
    fn draw_candidate_token(
        &mut self,
        horizon: Beats,
        changes: &impl ChangeSource,
        style: &Playing,
        c: &mut Candidate,
    ) -> bool {
        let Some(d) = self.next_draw(horizon, changes, style) else { return true };
        c.tokens += 1;
        c.logp += self.search.last_logp;
        match self.line.phase {
            Some(Phase::Playing { .. }) => c.started = true,
            Some(Phase::Breathing { until }) if c.started => {
                let end = self.line.last_note_end.unwrap_or(d.at);
                c.rest_after = (tick_of(until) - tick_of(end)).max(0);
                return true;
            }
            _ => {}
        }
        if let (Outcome::Note { key, length, kind }, true) = (d.outcome, c.notes < MAX_PHRASE_NOTES) {
            let guide = changes.chord_at(d.at).is_some_and(|s| s.harmony.is_guide_tone(key as i32 % 12));
            self.search.notes[c.notes] = PhraseNote { at: tick_of(d.at), length: tick_of(length), key, kind, guide };
            c.notes += 1;
        }
        c.tokens >= MAX_CANDIDATE_TOKENS
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
