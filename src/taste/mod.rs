//! Taste: what the player likes, learned from thumbs up and down on phrases, and
//! the search that plays more of it. Ratings are saved per user
//! ([`ratings`]); a phrase is described by [`features`] every model shares; a
//! logistic [`preference`] model learns from them; the improviser draws several
//! candidate phrases at each phrase start and plays the one this model (blended
//! with the LSTM's own likelihood) prefers.

pub mod document;
pub mod features;
pub mod phrases;
pub mod preference;
pub mod ratings;

pub use features::{Features, N_FEATURES, PhraseNote};
pub use preference::Preference;

/// Most candidate phrases drawn at a phrase start.
pub const MAX_CANDIDATES: usize = 32;
/// Candidates drawn by default.
pub const DEFAULT_CANDIDATES: usize = 8;

/// How much the player's taste steers the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Taste {
    /// 0 (no search: today's draw) to 1 (the preference model alone picks).
    pub weight: f32,
    /// Candidate phrases drawn at each phrase start (1 = no search).
    pub candidates: usize,
    /// What the player likes.
    pub preference: Preference,
}

impl Taste {
    /// True if it searches at all: some weight, more than one candidate.
    pub fn searches(&self) -> bool {
        self.weight > 0.0 && self.candidates > 1
    }

    /// How a candidate scores: its preference and its mean log-likelihood under
    /// the model, each scaled to 0–1 over the candidates (`lo`, `hi`), blended by
    /// the weight.
    pub fn blend(&self, logit: f32, logits: (f32, f32), likelihood: f32, likelihoods: (f32, f32)) -> f32 {
        let unit = |x: f32, (lo, hi): (f32, f32)| if hi > lo { (x - lo) / (hi - lo) } else { 0.5 };
        let w = self.weight.clamp(0.0, 1.0);
        w * unit(logit, logits) + (1.0 - w) * unit(likelihood, likelihoods)
    }
}
