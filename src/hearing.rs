//! What a model that hears is given besides its previous token: the chord at the
//! next onset, where the previous note sits in it, where the onset falls in the
//! bar, whether the chord has just changed, and the style. Training and playing
//! both describe a step with [`heard`], so the model hears live what it learned.
//!
//! Everything is relative to the chord's root or to the bar, so the model is as
//! transposition-invariant as the grammar: a ii–V in any key sounds the same to it.

use crate::grammar::Harmony;
use crate::model::{HEARD_SLOTS, Heard, NOT_HEARD};

/// Rows 0–11: the chord's pitch classes above its root (multi-hot; row 0, the
/// root, is on whenever a chord sounds).
pub const CHORD: u16 = 0;
/// Rows 12–23: the previous note's pitch class above the chord's root (none
/// before the first note).
pub const PREVIOUS: u16 = 12;
/// Rows 24–71: the onset's twelfth of a beat in the 4/4 bar (0–47).
pub const POSITION: u16 = 24;
/// Row 72: the chord differs from the one at the previous onset.
pub const CHANGED: u16 = 72;
/// Rows 73–81: the style ([`JazzStyle`], `All` first).
pub const STYLE: u16 = 73;
/// Heard feature rows in all.
pub const FEATURES: usize = 82;
/// The layout's version, written in the weights file: a model trained on another
/// layout is refused rather than fed the wrong rows.
pub const LAYOUT: u32 = 1;
/// Twelfths of a beat in a 4/4 bar.
const BAR_TICKS: i64 = 48;

/// The WJD's style labels, and all of its solos (the label left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum JazzStyle {
    /// Every solo: the style left out.
    #[default]
    All,
    /// New Orleans and Chicago.
    Traditional,
    /// The swing era.
    Swing,
    /// Bebop.
    Bebop,
    /// Cool jazz.
    Cool,
    /// Hard bop.
    Hardbop,
    /// Post-bop.
    Postbop,
    /// Fusion.
    Fusion,
    /// Free jazz.
    Free,
}

impl JazzStyle {
    /// Every style, `All` first (the order of the style rows).
    pub const ALL: [JazzStyle; 9] = [
        JazzStyle::All,
        JazzStyle::Traditional,
        JazzStyle::Swing,
        JazzStyle::Bebop,
        JazzStyle::Cool,
        JazzStyle::Hardbop,
        JazzStyle::Postbop,
        JazzStyle::Fusion,
        JazzStyle::Free,
    ];

    /// The WJD's label (`ALL` for all solos).
    pub fn label(self) -> &'static str {
        match self {
            JazzStyle::All => "ALL",
            JazzStyle::Traditional => "TRADITIONAL",
            JazzStyle::Swing => "SWING",
            JazzStyle::Bebop => "BEBOP",
            JazzStyle::Cool => "COOL",
            JazzStyle::Hardbop => "HARDBOP",
            JazzStyle::Postbop => "POSTBOP",
            JazzStyle::Fusion => "FUSION",
            JazzStyle::Free => "FREE",
        }
    }

    /// Its name on the command line (`hardbop`, `all`).
    pub fn name(self) -> &'static str {
        match self {
            JazzStyle::All => "all",
            JazzStyle::Traditional => "traditional",
            JazzStyle::Swing => "swing",
            JazzStyle::Bebop => "bebop",
            JazzStyle::Cool => "cool",
            JazzStyle::Hardbop => "hardbop",
            JazzStyle::Postbop => "postbop",
            JazzStyle::Fusion => "fusion",
            JazzStyle::Free => "free",
        }
    }

    /// The style of a WJD label (any case); `None` for a label it does not know.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label().eq_ignore_ascii_case(label.trim()))
    }

    /// Its position in [`JazzStyle::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&s| s == self).expect("listed")
    }
}

/// The features of one step: the next onset is at `tick` twelfths of a beat from
/// a bar line, under `chord` (none where nothing sounds), after a note on key
/// `previous`; `changed` if that chord is not the one at the previous onset.
pub fn heard(chord: Option<&Harmony>, previous: Option<i32>, tick: i64, changed: bool, style: JazzStyle) -> Heard {
    let mut out = [NOT_HEARD; HEARD_SLOTS];
    let mut n = 0;
    let mut push = |f: u16| {
        if n < HEARD_SLOTS {
            out[n] = f;
            n += 1;
        }
    };
    if let Some(h) = chord {
        let root = i32::from(h.root);
        for above in 0..12 {
            if h.is_chord_tone(root + above) || above == 0 {
                push(CHORD + above as u16);
            }
        }
        if let Some(key) = previous {
            push(PREVIOUS + (key - root).rem_euclid(12) as u16);
        }
    }
    push(POSITION + tick.rem_euclid(BAR_TICKS) as u16);
    if changed {
        push(CHANGED);
    }
    push(STYLE + style.index() as u16);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_chord_in_another_key_sounds_the_same() {
        let dm7 = Harmony::new(&[62, 65, 69, 72]);
        let em7 = Harmony::new(&[64, 67, 71, 74]);
        // F over Dm7 is its minor third; G over Em7 too.
        let a = heard(Some(&dm7), Some(65), 6, true, JazzStyle::Bebop);
        let b = heard(Some(&em7), Some(67), 54, true, JazzStyle::Bebop);
        assert_eq!(a, b);
        assert!(a.contains(&(CHORD + 3)) && a.contains(&(CHORD + 10)) && a.contains(&(PREVIOUS + 3)));
        assert!(a.contains(&(POSITION + 6)) && a.contains(&CHANGED) && a.contains(&(STYLE + 3)));
        assert!(a.iter().all(|&f| f == NOT_HEARD || (f as usize) < FEATURES));
    }

    #[test]
    fn styles_round_trip_their_labels() {
        for s in JazzStyle::ALL {
            assert_eq!(JazzStyle::from_label(&s.label().to_lowercase()), Some(s));
        }
        assert_eq!(JazzStyle::from_label("MIX"), None);
        assert_eq!(STYLE as usize + JazzStyle::ALL.len(), FEATURES);
    }
}
