//! What the model was trained on, as an n-gram index: guidance forbids the token
//! that would make the solo copy more than [`MAX_COPY`] training tokens in a row.

use std::collections::HashMap;

/// The longest run of training tokens a guided solo may copy verbatim.
pub const MAX_COPY: usize = 8;

/// For every run of [`MAX_COPY`] consecutive training tokens, the tokens that follow
/// it somewhere in the training data. Built off the audio thread; looked up without
/// allocating.
#[derive(Debug, Clone, Default)]
pub struct NoveltyIndex {
    next: HashMap<u64, Vec<u16>>,
}

/// An order-sensitive hash of a run of tokens (FNV-1a over the indices).
fn key(run: impl Iterator<Item = u16>) -> u64 {
    run.fold(0xcbf2_9ce4_8422_2325u64, |h, t| (h ^ t as u64 ^ 0x9e37).wrapping_mul(0x0100_0000_01b3))
}

impl NoveltyIndex {
    /// Indexes training sequences (vocabulary indices, one sequence per file).
    pub fn new(corpus: &[Vec<u16>]) -> Self {
        let mut next: HashMap<u64, Vec<u16>> = HashMap::new();
        for seq in corpus {
            for w in seq.windows(MAX_COPY + 1) {
                let followers = next.entry(key(w[..MAX_COPY].iter().copied())).or_default();
                if !followers.contains(&w[MAX_COPY]) {
                    followers.push(w[MAX_COPY]);
                }
            }
        }
        Self { next }
    }

    /// True if nothing was indexed (weights without their training tokens).
    pub fn is_empty(&self) -> bool {
        self.next.is_empty()
    }

    /// The tokens that would extend `recent` (the last [`MAX_COPY`] drawn tokens,
    /// oldest first) into a copy of more than [`MAX_COPY`] training tokens.
    pub fn forbidden(&self, recent: impl Iterator<Item = u16>) -> &[u16] {
        self.next.get(&key(recent)).map_or(&[], Vec::as_slice)
    }
}

/// The last [`MAX_COPY`] drawn tokens, in a fixed ring.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recent {
    ring: [u16; MAX_COPY],
    len: usize,
    head: usize,
}

impl Recent {
    /// Appends a drawn token.
    pub fn push(&mut self, token: u16) {
        self.ring[self.head] = token;
        self.head = (self.head + 1) % MAX_COPY;
        self.len = (self.len + 1).min(MAX_COPY);
    }

    /// Forgets everything (a new start).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The ring, oldest first, once it is full.
    pub fn full(&self) -> Option<impl Iterator<Item = u16> + '_> {
        (self.len == MAX_COPY).then(|| (0..MAX_COPY).map(|i| self.ring[(self.head + i) % MAX_COPY]))
    }
}

/// The longest run of `solo` that occurs verbatim in one of the `training` sequences
/// (a longest common substring; what `improv evaluate` reports).
pub fn longest_copy<T: PartialEq>(solo: &[T], training: &[Vec<T>]) -> usize {
    let mut best = 0;
    for seq in training {
        // Dynamic programming over suffix matches, one row at a time.
        let mut row = vec![0usize; seq.len() + 1];
        for s in solo {
            let mut diag = 0;
            for (j, t) in seq.iter().enumerate() {
                let up = row[j + 1];
                row[j + 1] = if s == t { diag + 1 } else { 0 };
                best = best.max(row[j + 1]);
                diag = up;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbids_exactly_the_continuations_of_a_copied_run() {
        let training: Vec<u16> = (0..20).collect();
        let index = NoveltyIndex::new(&[training]);
        let mut recent = Recent::default();
        for t in 3..11 {
            recent.push(t);
        }
        assert_eq!(index.forbidden(recent.full().unwrap()), &[11]);
        recent.push(99);
        assert!(index.forbidden(recent.full().unwrap()).is_empty());
        let mut short = Recent::default();
        short.push(1);
        assert!(short.full().is_none());
    }

    #[test]
    fn longest_copy_is_the_longest_common_run() {
        let training = vec![vec![1, 2, 3, 4, 5, 6], vec![9, 9, 9]];
        assert_eq!(longest_copy(&[7, 2, 3, 4, 8, 9, 9], &training), 3);
        assert_eq!(longest_copy(&[7, 8], &training), 0);
        assert_eq!(longest_copy::<u8>(&[], &training.iter().map(|_| vec![]).collect::<Vec<_>>()), 0);
    }
}
