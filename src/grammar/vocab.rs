//! The vocabulary: the distinct token strings in byte-wise sorted order.

use std::collections::BTreeSet;

/// Distinct values, sorted as Python's `sorted` sorts strings (the reference's own
/// order came from a `set` and changed with the hash seed; spec §c).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Vocabulary {
    values: Vec<String>,
}

impl Vocabulary {
    /// Builds the vocabulary of a token sequence.
    pub fn from_tokens<S: AsRef<str>>(tokens: &[S]) -> Self {
        let set: BTreeSet<&str> = tokens.iter().map(AsRef::as_ref).collect();
        Self { values: set.into_iter().map(str::to_string).collect() }
    }

    /// Wraps an already sorted, duplicate-free list (as stored in a weights file).
    pub fn from_sorted(values: Vec<String>) -> Option<Self> {
        values.windows(2).all(|w| w[0] < w[1]).then_some(Self { values })
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True if there are no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values in index order.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The value at an index.
    pub fn value(&self, index: usize) -> Option<&str> {
        self.values.get(index).map(String::as_str)
    }

    /// The index of a value.
    pub fn index(&self, value: &str) -> Option<usize> {
        self.values.binary_search_by(|v| v.as_str().cmp(value)).ok()
    }

    /// Maps tokens to indices; `None` if one is not in the vocabulary.
    pub fn encode<S: AsRef<str>>(&self, tokens: &[S]) -> Option<Vec<usize>> {
        tokens.iter().map(|t| self.index(t.as_ref())).collect()
    }
}
