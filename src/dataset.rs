//! Training windows, drawn exactly as the reference's `data_processing` draws them.

use crate::model::Heard;
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
    /// What a model that hears is given with each input `[window][step]` (empty
    /// for the seed model, which hears only its tokens).
    pub heard: Vec<Vec<Heard>>,
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
        Ok(Self { starts, x, y, heard: Vec::new() })
    }

    /// Draws `m` windows of `tx` tokens from several sequences (one per file), no
    /// window crossing from one into the next: each start is drawn uniformly over
    /// every sequence's possible starts, with the reference's RNG, so a single
    /// sequence gives exactly [`Windows::draw`]. `starts` are positions in the
    /// sequences laid end to end.
    pub fn draw_across(sequences: &[&[usize]], m: usize, tx: usize, seed: u32) -> Result<Self, TooShort> {
        if let [one] = sequences {
            return Self::draw(one, m, tx, seed);
        }
        let starts_in = |s: &[usize]| s.len().saturating_sub(tx);
        let total: usize = sequences.iter().map(|s| starts_in(s)).sum();
        let longest = sequences.iter().map(|s| s.len()).max().unwrap_or(0);
        if tx < 2 || total == 0 || total > u32::MAX as usize {
            return Err(TooShort { tokens: longest, tx, need: tx + 1 });
        }
        // Prefix sums of the possible starts, and of the sequence lengths.
        let mut first_start = Vec::with_capacity(sequences.len());
        let mut offset = Vec::with_capacity(sequences.len());
        let (mut acc, mut pos) = (0usize, 0usize);
        for s in sequences {
            first_start.push(acc);
            offset.push(pos);
            acc += starts_in(s);
            pos += s.len();
        }
        let mut rng = Mt19937::new(seed);
        let mut out = Self {
            starts: Vec::with_capacity(m),
            x: Vec::with_capacity(m),
            y: Vec::with_capacity(m),
            heard: Vec::new(),
        };
        for _ in 0..m {
            let r = rng.numpy_below(total as u32) as usize;
            // The last sequence whose first start is at or before r, skipping empty ranges.
            let f = first_start.partition_point(|&s| s <= r) - 1;
            let (seq, start) = (sequences[f], r - first_start[f]);
            out.starts.push(offset[f] + start);
            out.x.push(std::iter::once(None).chain((1..tx).map(|j| Some(seq[start + j]))).collect());
            out.y.push((1..tx).map(|j| Some(seq[start + j])).chain(std::iter::once(None)).collect());
        }
        Ok(out)
    }

    /// Splits off the last `n` windows (they were drawn at random, so they are a
    /// random subset): `(kept, split off)`.
    pub fn split_off(mut self, n: usize) -> (Self, Self) {
        let at = self.x.len().saturating_sub(n);
        let heard = if self.heard.is_empty() { Vec::new() } else { self.heard.split_off(at) };
        let tail = Self { starts: self.starts.split_off(at), x: self.x.split_off(at), y: self.y.split_off(at), heard };
        (self, tail)
    }

    /// The heard features of some windows, in order (empty if the windows hear nothing).
    pub fn heard_of(&self, windows: &[usize]) -> Vec<&[Heard]> {
        if self.heard.is_empty() { Vec::new() } else { windows.iter().map(|&i| self.heard[i].as_slice()).collect() }
    }

    /// The reference draw: 60 windows of 30, numpy seed 0.
    pub fn reference(corpus: &[usize]) -> Result<Self, TooShort> {
        Self::draw(corpus, REFERENCE_WINDOWS, REFERENCE_TX, REFERENCE_DRAW_SEED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_stay_inside_their_sequence() {
        let a: Vec<usize> = (0..40).collect();
        let b: Vec<usize> = (100..105).collect(); // too short for a window: never drawn
        let c: Vec<usize> = (200..236).collect();
        let w = Windows::draw_across(&[&a, &b, &c], 500, 30, 3).unwrap();
        let mut seen = [false; 2];
        for x in &w.x {
            let first = x[1].unwrap();
            let inside = |lo: usize, hi: usize| x[1..].iter().all(|t| (lo..hi).contains(&t.unwrap()));
            assert!(inside(0, 40) || inside(200, 236), "{x:?}");
            seen[usize::from(first >= 200)] = true;
        }
        assert_eq!(seen, [true, true]);
        // One sequence: exactly the reference's draw.
        assert_eq!(Windows::draw_across(&[&a], 60, 30, 0), Windows::draw(&a, 60, 30, 0));
        assert!(Windows::draw_across(&[&b, &b], 1, 30, 0).is_err());
    }
}
