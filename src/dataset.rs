//! Training windows, drawn exactly as the reference's `data_processing` draws them.

use crate::mt19937::Mt19937;

/// Windows drawn by the reference (`m = 60`).
pub const REFERENCE_WINDOWS: usize = 60;
/// Tokens per window (`Tx = 30`).
pub const REFERENCE_TX: usize = 30;
/// numpy seed set right before the draw.
pub const REFERENCE_DRAW_SEED: u32 = 0;

/// Training data as token indices; `None` is the all-zero one-hot row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    /// Start of each window in the corpus.
    pub starts: Vec<usize>,
    /// Inputs `[window][step]`: step 0 is `None`, step j is token j of the window.
    pub x: Vec<Vec<Option<usize>>>,
    /// Targets `[window][step]`: step t is input t + 1; the last step is `None`.
    pub y: Vec<Vec<Option<usize>>>,
}

/// Why windows cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the corpus has {tokens} tokens; training windows of {tx} need at least {need}")]
pub struct TooShort {
    /// Tokens available.
    pub tokens: usize,
    /// Window length.
    pub tx: usize,
    /// Tokens needed (tx + 1).
    pub need: usize,
}

impl Windows {
    /// Draws `m` windows of `tx` tokens with numpy's legacy RNG seeded with `seed`:
    /// start = `choice(len - tx)`; X drops the window's first token for a zero step,
    /// Y is X shifted by one with a zero last step.
    pub fn draw(corpus: &[usize], m: usize, tx: usize, seed: u32) -> Result<Self, TooShort> {
        if tx < 2 || corpus.len() <= tx {
            return Err(TooShort { tokens: corpus.len(), tx, need: tx + 1 });
        }
        let range = (corpus.len() - tx) as u32;
        let mut rng = Mt19937::new(seed);
        let starts: Vec<usize> = (0..m).map(|_| rng.numpy_below(range) as usize).collect();
        let x = starts
            .iter()
            .map(|&s| std::iter::once(None).chain((1..tx).map(|j| Some(corpus[s + j]))).collect())
            .collect();
        let y = starts
            .iter()
            .map(|&s| (1..tx).map(|j| Some(corpus[s + j])).chain(std::iter::once(None)).collect())
            .collect();
        Ok(Self { starts, x, y })
    }

    /// The reference draw: 60 windows of 30, numpy seed 0.
    pub fn reference(corpus: &[usize]) -> Result<Self, TooShort> {
        Self::draw(corpus, REFERENCE_WINDOWS, REFERENCE_TX, REFERENCE_DRAW_SEED)
    }
}
