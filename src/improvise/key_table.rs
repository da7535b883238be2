//! One guided step's weight of every key of the register, and the pitch classes
//! each note type allows: the work the token loop did per candidate key of every
//! token (up to 96 tokens × 16 keys) done once per step (2 × the register), with
//! the same results bit for bit. It is what keeps a dense beat's guidance inside
//! the audio block's budget.

use super::{MAX_KEYS, PitchContext, pitch_weight};
use crate::grammar::{Harmony, NoteType, fits_type};

/// Keys a register can hold (MIDI 0–127).
const KEYS: usize = 128;

/// Guidance's weight of each key of the register in one step's context.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyTable {
    /// The register's lowest key; keys outside it weigh 0 ([`pitch_weight`]).
    low: i32,
    /// Keys in the register.
    len: usize,
    /// Each key's weight for a note that does not approach the next change.
    plain: [f32; KEYS],
    /// Each key's weight for a note that ends on (approaches) the next change.
    approaching: [f32; KEYS],
    /// The pitch classes that fit each note type (chord, scale, approach, other).
    fits: [u16; 4],
    /// The chord's pitch classes (the fallback when no key fits a token's type).
    chord: u16,
}

impl Default for KeyTable {
    fn default() -> Self {
        Self { low: 0, len: 0, plain: [0.0; KEYS], approaching: [0.0; KEYS], fits: [0; 4], chord: 0 }
    }
}

/// The index of a note type in [`KeyTable::fits`] (a rest is weighed as "other",
/// as [`fits_type`] does).
fn kind_index(kind: NoteType) -> usize {
    match kind {
        NoteType::Chord => 0,
        NoteType::Scale => 1,
        NoteType::Approach => 2,
        NoteType::Other | NoteType::Rest => 3,
    }
}

impl KeyTable {
    /// Weighs every key of `cx.register` over `harmony`, for a note that does not
    /// approach the next change and for one that approaches `next` (if known).
    pub(super) fn fill(&mut self, cx: &PitchContext, harmony: &Harmony, next: Option<Harmony>) {
        let (low, high) = cx.register;
        self.low = low;
        self.len = ((high - low + 1).max(0) as usize).min(KEYS);
        let mut plain = PitchContext { approaching: None, ..*cx };
        for j in 0..self.len {
            self.plain[j] = pitch_weight(low + j as i32, &plain);
        }
        if next.is_some() {
            plain.approaching = next;
            for j in 0..self.len {
                self.approaching[j] = pitch_weight(low + j as i32, &plain);
            }
        }
        self.fit(harmony);
    }

    /// [`KeyTable::fill`] for one token's keys only: those in `lo..=hi` (at most
    /// [`MAX_KEYS`] from `lo`) and `prev`, the keys [`KeyTable::best`] and
    /// [`KeyTable::of_key`] read for that token; the others are left stale. For a
    /// step that weighs a single token (a restated cell's).
    pub(super) fn fill_for(&mut self, cx: &PitchContext, harmony: &Harmony, next: Option<Harmony>, keys: (i32, i32)) {
        let (low, high) = cx.register;
        self.low = low;
        self.len = ((high - low + 1).max(0) as usize).min(KEYS);
        let (lo, hi) = (keys.0, keys.1.min(keys.0 + MAX_KEYS as i32 - 1));
        let plain = PitchContext { approaching: None, ..*cx };
        let ahead = PitchContext { approaching: next, ..*cx };
        let mut weigh = |key: i32| {
            let j = key - low;
            if j >= 0 && (j as usize) < self.len {
                self.plain[j as usize] = pitch_weight(key, &plain);
                if next.is_some() {
                    self.approaching[j as usize] = pitch_weight(key, &ahead);
                }
            }
        };
        (lo..=hi).for_each(&mut weigh);
        if let Some(k) = cx.prev {
            weigh(k);
        }
        self.fit(harmony);
    }

    /// The pitch classes each note type allows over `harmony`, and its chord's.
    fn fit(&mut self, harmony: &Harmony) {
        for (i, kind) in [NoteType::Chord, NoteType::Scale, NoteType::Approach, NoteType::Other].into_iter().enumerate()
        {
            self.fits[i] = (0..12).filter(|&pc| fits_type(kind, pc, harmony)).fold(0, |m, pc| m | 1 << pc);
        }
        self.chord = harmony.pcs & 0xfff;
    }

    /// The weight of `key` (0 outside the register).
    fn weight(&self, key: i32, approaching: bool) -> f32 {
        let j = key - self.low;
        if j < 0 || j as usize >= self.len {
            return 0.0;
        }
        if approaching { self.approaching[j as usize] } else { self.plain[j as usize] }
    }

    /// The best weight among the keys a token of type `kind` may take in
    /// `lo..=hi` (at most [`MAX_KEYS`] from `lo`): those of its type, else the
    /// chord tones, the previous key `prev` left out when there are others.
    /// `None` if there is no such key.
    pub(super) fn best(&self, kind: NoteType, lo: i32, hi: i32, prev: Option<i32>, approaching: bool) -> Option<f32> {
        let hi = hi.min(lo + MAX_KEYS as i32 - 1);
        let pick = |mask: u16| {
            let (mut count, mut best, mut has_prev) = (0, 0.0f32, false);
            for k in lo..=hi {
                if mask & (1 << k.rem_euclid(12)) == 0 {
                    continue;
                }
                count += 1;
                if Some(k) == prev {
                    has_prev = true;
                } else {
                    best = best.max(self.weight(k, approaching));
                }
            }
            match (count, has_prev) {
                (0, _) => None,
                // The previous key is kept only when it is the one candidate.
                (1, true) => Some(self.weight(prev.unwrap_or(lo), approaching)),
                _ => Some(best),
            }
        };
        pick(self.fits[kind_index(kind)]).or_else(|| pick(self.chord))
    }

    /// The weight of the previous key (the fallback of a token with no key).
    pub(super) fn of_key(&self, key: i32, approaching: bool) -> f32 {
        self.weight(key, approaching)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::Harmony;

    /// The candidate rule written out as the token loop had it: the keys of the
    /// type, else the chord tones, the previous one left out when there are others.
    fn by_hand(kind: NoteType, lo: i32, hi: i32, prev: Option<i32>, h: &Harmony, cx: &PitchContext) -> Option<f32> {
        let hi = hi.min(lo + MAX_KEYS as i32 - 1);
        let mut keys: Vec<i32> = (lo..=hi).filter(|&k| fits_type(kind, k.rem_euclid(12), h)).collect();
        if keys.is_empty() {
            keys = (lo..=hi).filter(|&k| h.is_chord_tone(k.rem_euclid(12))).collect();
        }
        if keys.len() > 1
            && let Some(p) = prev
        {
            keys.retain(|&k| k != p);
        }
        (!keys.is_empty()).then(|| keys.iter().map(|&k| pitch_weight(k, cx)).fold(0.0, f32::max))
    }

    #[test]
    fn the_table_weighs_every_window_as_the_token_loop_did() {
        let chords =
            [Harmony::new(&[50, 53, 57, 60]), Harmony::new(&[43, 47, 50, 53]), Harmony::new(&[48, 52, 55, 59])];
        let mut table = KeyTable::default();
        let mut checked = 0;
        for (c, h) in chords.iter().enumerate() {
            let next = chords[(c + 1) % chords.len()];
            for prev in [None, Some(52), Some(60), Some(71), Some(84)] {
                for register in [(55, 84), (40, 90), (60, 61)] {
                    let cx = PitchContext {
                        prev,
                        register,
                        line: 0.7,
                        repeats: 3,
                        last_interval: 5,
                        landing: Some(*h),
                        approaching: None,
                        harmony: 0.8,
                        motif_interval: None,
                        shape_move: Some(1),
                    };
                    table.fill(&cx, h, Some(next));
                    // One token's keys filled alone weigh as the whole table does.
                    for (lo, hi) in [(30, 100), (50, 58), (70, 75), (84, 84)] {
                        let mut one = KeyTable::default();
                        one.fill_for(&cx, h, Some(next), (lo, hi));
                        for kind in [NoteType::Chord, NoteType::Scale, NoteType::Approach, NoteType::Other] {
                            for approaching in [false, true] {
                                let (a, b) = (
                                    one.best(kind, lo, hi, prev, approaching),
                                    table.best(kind, lo, hi, prev, approaching),
                                );
                                assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits), "fill_for {kind:?} {lo}..={hi}");
                            }
                        }
                        if let Some(k) = prev {
                            assert_eq!(one.of_key(k, true).to_bits(), table.of_key(k, true).to_bits());
                        }
                    }
                    for kind in [NoteType::Chord, NoteType::Scale, NoteType::Approach, NoteType::Other] {
                        for lo in (30..95).step_by(3) {
                            for width in [0, 2, 7, 12, 20] {
                                for approaching in [false, true] {
                                    let cx = PitchContext { approaching: approaching.then_some(next), ..cx };
                                    let want = by_hand(kind, lo, lo + width, prev, h, &cx);
                                    let got = table.best(kind, lo, lo + width, prev, approaching);
                                    assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits), "{kind:?} {lo} {width}");
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000);
    }
}
