//! MusicXML chord symbols (`<harmony>`): root, kind, degrees and bass to a
//! [`ChordSymbol`], so a lead sheet's changes sound like typed `--chords`.

use crate::theory::symbol::{ChordSymbol, PC_NAMES};

/// MusicXML's `<kind>` values (MusicXML 4.0, `kind-value`): the pitch classes above
/// the root each stands for, and the suffix Improv writes for it.
const KINDS: &[(&str, &[i32], &str)] = &[
    ("major", &[0, 4, 7], ""),
    ("minor", &[0, 3, 7], "m"),
    ("augmented", &[0, 4, 8], "aug"),
    ("diminished", &[0, 3, 6], "dim"),
    ("dominant", &[0, 4, 7, 10], "7"),
    ("major-seventh", &[0, 4, 7, 11], "maj7"),
    ("minor-seventh", &[0, 3, 7, 10], "m7"),
    ("diminished-seventh", &[0, 3, 6, 9], "dim7"),
    ("augmented-seventh", &[0, 4, 8, 10], "aug7"),
    ("half-diminished", &[0, 3, 6, 10], "m7b5"),
    ("major-minor", &[0, 3, 7, 11], "mMaj7"),
    ("major-sixth", &[0, 4, 7, 9], "6"),
    ("minor-sixth", &[0, 3, 7, 9], "m6"),
    ("dominant-ninth", &[0, 2, 4, 7, 10], "9"),
    ("major-ninth", &[0, 2, 4, 7, 11], "maj9"),
    ("minor-ninth", &[0, 2, 3, 7, 10], "m9"),
    ("dominant-11th", &[0, 2, 5, 7, 10], "11"),
    ("major-11th", &[0, 2, 4, 5, 7, 11], "maj11"),
    ("minor-11th", &[0, 2, 3, 5, 7, 10], "m11"),
    ("dominant-13th", &[0, 2, 4, 7, 9, 10], "13"),
    ("major-13th", &[0, 2, 4, 7, 9, 11], "maj13"),
    ("minor-13th", &[0, 2, 3, 7, 9, 10], "m13"),
    ("suspended-second", &[0, 2, 7], "sus2"),
    ("suspended-fourth", &[0, 5, 7], "sus4"),
    ("power", &[0, 7], "5"),
    ("pedal", &[0], "pedal"),
    ("Neapolitan", &[0, 4, 7], ""),
    ("Italian", &[0, 4, 10], "It+6"),
    ("French", &[0, 4, 6, 10], "Fr+6"),
    ("German", &[0, 4, 7, 10], "Ger+6"),
    ("Tristan", &[0, 3, 6, 10], "Tristan"),
    // "other": the degrees say what it is.
    ("other", &[0], ""),
];

/// Semitones of a chord degree above the root on a dominant chord: MusicXML's
/// rule for an added degree ("major and perfect intervals except for a minor seventh").
fn dominant_degree(value: i32) -> Option<i32> {
    Some(match (value - 1).rem_euclid(7) + 1 {
        1 => 0,
        2 => 2,
        3 => 4,
        4 => 5,
        5 => 7,
        6 => 9,
        7 => 10,
        _ => return None,
    })
}

/// Where the chord already has a degree (for `alter` and `subtract`): its third,
/// fifth, seventh, ninth, eleventh or thirteenth as the kind spells it.
fn degree_in(intervals: &[i32], value: i32) -> Option<i32> {
    let candidates: &[i32] = match (value - 1).rem_euclid(7) + 1 {
        1 => &[0],
        2 => &[2, 1, 3],
        3 => &[4, 3],
        4 => &[5, 6],
        5 => &[7, 6, 8],
        6 => &[9, 8],
        7 => &[10, 11, 9],
        _ => &[],
    };
    candidates.iter().copied().find(|c| intervals.contains(c))
}

/// One `<degree>`: value (1–13), alteration in semitones, and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Degree {
    /// 1 for the root, 3 for the third, 9 for the ninth…
    pub value: i32,
    /// Semitones, like a note's `<alter>`.
    pub alter: i32,
    /// `add`, `alter` or `subtract`.
    pub kind: DegreeKind,
}

/// What a `<degree>` does to the chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DegreeKind {
    /// Adds the degree (altered from its dominant-chord spelling).
    Add,
    /// Moves the chord's own degree.
    Alter,
    /// Removes the chord's own degree.
    Subtract,
}

/// A chord symbol as MusicXML writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Harmony {
    /// Pitch class of `<root>`.
    pub root: i32,
    /// `<kind>`'s value.
    pub kind: String,
    /// `<kind text="…">`: how the sheet prints the suffix, if it says.
    pub text: Option<String>,
    /// The `<degree>` elements in order.
    pub degrees: Vec<Degree>,
    /// Pitch class of `<bass>`.
    pub bass: Option<i32>,
}

impl Harmony {
    /// The chord this symbol stands for, or why it is not understood. `none`
    /// (no chord, "N.C.") is `Ok(None)`.
    pub fn to_symbol(&self) -> Result<Option<ChordSymbol>, String> {
        if self.kind == "none" {
            return Ok(None);
        }
        let (_, base, suffix) = KINDS
            .iter()
            .find(|(k, _, _)| *k == self.kind)
            .ok_or_else(|| format!("unknown chord kind {:?}", self.kind))?;
        let mut intervals = base.to_vec();
        let mut written = String::new();
        for d in &self.degrees {
            if !(1..=13).contains(&d.value) || d.alter.abs() > 2 {
                return Err(format!("chord degree {} altered by {} is not a chord tone", d.value, d.alter));
            }
            let sign = match d.alter {
                a if a < 0 => "b".repeat(a.unsigned_abs() as usize),
                a => "#".repeat(a as usize),
            };
            match d.kind {
                DegreeKind::Add => {
                    let at = dominant_degree(d.value).expect("1..=13") + d.alter;
                    intervals.push(at.rem_euclid(12));
                    // An altered tension reads as one (7b9); a plain added tone says "add".
                    if sign.is_empty() {
                        written.push_str(&format!("(add{})", d.value));
                    } else {
                        written.push_str(&format!("{sign}{}", d.value));
                    }
                }
                DegreeKind::Alter => {
                    let own = degree_in(&intervals, d.value).or_else(|| dominant_degree(d.value));
                    if let Some(own) = own {
                        intervals.retain(|&i| i != own);
                        let base = dominant_degree(d.value).expect("1..=13");
                        intervals.push((base + d.alter).rem_euclid(12));
                    }
                    written.push_str(&format!("{sign}{}", d.value));
                }
                DegreeKind::Subtract => {
                    if let Some(own) = degree_in(&intervals, d.value) {
                        intervals.retain(|&i| i != own);
                    }
                    written.push_str(&format!("(omit{})", d.value));
                }
            }
        }
        intervals.sort_unstable();
        intervals.dedup();
        if !intervals.contains(&0) {
            intervals.insert(0, 0);
        }
        let shown = self.text.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| format!("{suffix}{written}"));
        let mut text = format!("{}{shown}", PC_NAMES[self.root.rem_euclid(12) as usize]);
        if let Some(b) = self.bass.filter(|&b| b != self.root) {
            text.push('/');
            text.push_str(PC_NAMES[b.rem_euclid(12) as usize]);
        }
        Ok(Some(ChordSymbol { root: self.root.rem_euclid(12), intervals, bass: self.bass, text }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harmony(root: i32, kind: &str, degrees: &[(i32, i32, DegreeKind)], bass: Option<i32>) -> Harmony {
        Harmony {
            root,
            kind: kind.into(),
            text: None,
            degrees: degrees.iter().map(|&(value, alter, kind)| Degree { value, alter, kind }).collect(),
            bass,
        }
    }

    #[test]
    fn every_kind_is_a_chord_on_its_root() {
        for (kind, intervals, _) in KINDS {
            let chord = harmony(2, kind, &[], None).to_symbol().unwrap().unwrap();
            assert_eq!(&chord.intervals, intervals, "{kind}");
            assert_eq!(chord.root, 2);
        }
        assert_eq!(harmony(0, "none", &[], None).to_symbol().unwrap(), None);
        assert!(harmony(0, "majestic", &[], None).to_symbol().is_err());
    }

    #[test]
    fn degrees_alter_add_and_subtract() {
        use DegreeKind::*;
        // G7 with an altered fifth and ninth: G7(#5, b9) → G B D# F Ab.
        let alt = harmony(7, "dominant", &[(5, 1, Alter), (9, -1, Add)], None).to_symbol().unwrap().unwrap();
        assert_eq!(alt.intervals, [0, 1, 4, 8, 10]);
        assert_eq!(alt.text, "G7#5b9");
        // The name reads back as the same chord.
        assert_eq!(ChordSymbol::parse(&alt.text).unwrap().intervals, alt.intervals);
        // Cm7 without its fifth, with an added eleventh.
        let m = harmony(0, "minor-seventh", &[(5, 0, Subtract), (11, 0, Add)], None).to_symbol().unwrap().unwrap();
        assert_eq!(m.intervals, [0, 3, 5, 10]);
        // A slash chord keeps its bass: C/E.
        let slash = harmony(0, "major", &[], Some(4)).to_symbol().unwrap().unwrap();
        assert_eq!((slash.bass, slash.text.as_str()), (Some(4), "C/E"));
        assert_eq!(slash.voicing(), [40, 48, 52, 55]);
        assert!(harmony(0, "major", &[(15, 0, Add)], None).to_symbol().is_err());
    }
}
