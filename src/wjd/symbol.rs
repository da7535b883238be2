//! The Weimar Jazz Database's chord symbols (`C-7`, `Bbj7911#`, `F79b13b`,
//! `Ab-6/Eb`, `NC`): a root, a quality, tensions written as the degree followed
//! by its accidental (`9b` is a flat nine), and an optional slash bass.

use crate::theory::symbol::{ChordSymbol, PC_NAMES, natural_pc};

/// WJD qualities, longest spelling first so that `-j7` is not read as `-`: the
/// written quality, Improv's name for it, and the pitch classes above the root.
const QUALITIES: &[(&str, &str, &[i32])] = &[
    ("m7b5", "m7b5", &[0, 3, 6, 10]),
    ("7alt", "alt", &[0, 1, 3, 4, 6, 8, 10]),
    ("sus7", "7sus4", &[0, 5, 7, 10]),
    ("sus", "sus4", &[0, 5, 7]),
    ("-j7", "mMaj7", &[0, 3, 7, 11]),
    ("+j7", "maj7#5", &[0, 4, 8, 11]),
    ("-7", "m7", &[0, 3, 7, 10]),
    ("-6", "m6", &[0, 3, 7, 9]),
    ("+7", "aug7", &[0, 4, 8, 10]),
    ("o7", "dim7", &[0, 3, 6, 9]),
    ("j7", "maj7", &[0, 4, 7, 11]),
    ("-", "m", &[0, 3, 7]),
    ("+", "aug", &[0, 4, 8]),
    ("o", "dim", &[0, 3, 6]),
    ("7", "7", &[0, 4, 7, 10]),
    ("6", "6", &[0, 4, 7, 9]),
    ("j", "maj7", &[0, 4, 7, 11]),
    ("", "", &[0, 4, 7]),
];

/// Tension degrees and their pitch class above the root (natural; an accidental
/// after the degree moves it a semitone).
const TENSIONS: &[(&str, i32)] = &[("11", 5), ("13", 9), ("9", 2)];

/// A root note name at the start of `s`: a letter A–G and an optional `#` or `b`.
fn root(s: &str) -> Option<(i32, &str)> {
    let mut chars = s.chars();
    let pc = natural_pc(chars.next()?)?;
    let rest = chars.as_str();
    if let Some(r) = rest.strip_prefix('#') {
        Some(((pc + 1).rem_euclid(12), r))
    } else if let Some(r) = rest.strip_prefix('b') {
        Some(((pc - 1).rem_euclid(12), r))
    } else {
        Some((pc, rest))
    }
}

/// Parses one WJD symbol: `Ok(None)` for `NC` (no chord), the chord otherwise,
/// named in Improv's notation (`C-7` → `Cm7`, `Bbj7911#` → `Bbmaj7(9,#11)`).
pub fn parse(symbol: &str) -> Result<Option<ChordSymbol>, String> {
    let s = symbol.trim();
    if s == "NC" {
        return Ok(None);
    }
    let (main, bass) = match s.split_once('/') {
        Some((m, b)) => {
            let (pc, rest) = root(b).ok_or_else(|| format!("bass {b:?} is not a note name"))?;
            if !rest.is_empty() {
                return Err(format!("bass {b:?} is not a note name"));
            }
            (m, Some(pc))
        }
        None => (s, None),
    };
    let (root_pc, rest) = root(main).ok_or_else(|| "a chord starts with a root A–G".to_string())?;
    let (written, name, base) =
        QUALITIES.iter().find(|(q, _, _)| rest.starts_with(q)).copied().expect("the empty quality matches any rest");
    let mut intervals: Vec<i32> = base.to_vec();
    let mut tensions: Vec<String> = Vec::new();
    let mut rest = &rest[written.len()..];
    while !rest.is_empty() {
        let Some(&(degree, pc)) = TENSIONS.iter().find(|(d, _)| rest.starts_with(d)) else {
            return Err(format!("unknown chord quality or tension {rest:?}"));
        };
        rest = &rest[degree.len()..];
        let (shift, accidental) = if let Some(r) = rest.strip_prefix('b') {
            rest = r;
            (-1, "b")
        } else if let Some(r) = rest.strip_prefix('#') {
            rest = r;
            (1, "#")
        } else {
            (0, "")
        };
        // A tension on a triad implies the seventh of its quality (as C9 does).
        if intervals.len() == 3
            && !intervals.contains(&10)
            && !intervals.contains(&11)
            && !matches!(written, "6" | "-6")
        {
            intervals.push(10);
        }
        intervals.push(pc + shift);
        tensions.push(format!("{accidental}{degree}"));
    }
    intervals.sort_unstable();
    intervals.dedup();
    let mut text = format!("{}{name}", PC_NAMES[root_pc as usize]);
    if !tensions.is_empty() {
        text.push_str(&format!("({})", tensions.join(",")));
    }
    if let Some(b) = bass {
        text.push_str(&format!("/{}", PC_NAMES[b as usize]));
    }
    Ok(Some(ChordSymbol { root: root_pc, intervals, bass, text }))
}

/// The chord symbols of a `meta.csv` lead sheet (`A1: ||Bb6 G7 |C-7 F7 |…`), in
/// order: section labels (`A1:`) and bar lines left out, and symbols written
/// together without a space (`A-7D7`, `Bb7NC`) split where a new root starts.
pub fn lead_sheet_symbols(changes: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for word in changes.split(|c: char| c.is_whitespace() || c == '|') {
        if word.is_empty() || word.ends_with(':') {
            continue;
        }
        let bytes = word.as_bytes();
        let mut start = 0;
        for i in 1..bytes.len() {
            // Byte tests only: a split point is an ASCII letter, so always a char boundary.
            let new_root = matches!(bytes[i], b'A'..=b'G') || bytes[i..].starts_with(b"NC");
            if new_root && bytes[i - 1] != b'/' && bytes[i - 1] != b'N' {
                out.push(&word[start..i]);
                start = i;
            }
        }
        out.push(&word[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcs(symbol: &str) -> (i32, Vec<i32>, Option<i32>, String) {
        let c = parse(symbol).unwrap().unwrap();
        (c.root, c.intervals, c.bass, c.text)
    }

    #[test]
    fn qualities_tensions_and_basses_as_the_database_writes_them() {
        assert_eq!(pcs("C-7"), (0, vec![0, 3, 7, 10], None, "Cm7".into()));
        assert_eq!(pcs("Bbj7"), (10, vec![0, 4, 7, 11], None, "Bbmaj7".into()));
        assert_eq!(pcs("F79b"), (5, vec![0, 1, 4, 7, 10], None, "F7(b9)".into()));
        assert_eq!(pcs("Eb7911#"), (3, vec![0, 2, 4, 6, 7, 10], None, "Eb7(9,#11)".into()));
        assert_eq!(pcs("G79b13b"), (7, vec![0, 1, 4, 7, 8, 10], None, "G7(b9,b13)".into()));
        assert_eq!(pcs("A-7/D"), (9, vec![0, 3, 7, 10], Some(2), "Am7/D".into()));
        assert_eq!(pcs("Db-69/Ab"), (1, vec![0, 2, 3, 7, 9], Some(8), "Dbm6(9)/Ab".into()));
        assert_eq!(pcs("Bm7b5"), (11, vec![0, 3, 6, 10], None, "Bm7b5".into()));
        assert_eq!(pcs("Ao7"), (9, vec![0, 3, 6, 9], None, "Adim7".into()));
        assert_eq!(pcs("F#"), (6, vec![0, 4, 7], None, "F#".into()));
        assert_eq!(pcs("Cb7"), (11, vec![0, 4, 7, 10], None, "B7".into()));
        assert_eq!(pcs("C-79"), (0, vec![0, 2, 3, 7, 10], None, "Cm7(9)".into()));
        assert_eq!(pcs("Csus7913"), (0, vec![0, 2, 5, 7, 9, 10], None, "C7sus4(9,13)".into()));
        assert_eq!(pcs("Ab+79b"), (8, vec![0, 1, 4, 8, 10], None, "Abaug7(b9)".into()));
        assert_eq!(pcs("E6911#"), (4, vec![0, 2, 4, 6, 7, 9], None, "E6(9,#11)".into()));
        assert_eq!(pcs("B7alt"), (11, vec![0, 1, 3, 4, 6, 8, 10], None, "Balt".into()));
        assert_eq!(parse("NC"), Ok(None));
    }

    #[test]
    fn what_is_not_a_wjd_symbol_is_refused_by_name() {
        for bad in ["", "H7", "C7x", "C/H", "C/Bbb", "7", "Cmaj7"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lead_sheets_split_into_symbols() {
        let sheet = "A1: ||Bb6 G7 |C-7 F7 |A-7D7 |Bb7NC |D-7/FG7 |CD ||\nB1: ||Db-69/AbDb-69/Db|";
        assert_eq!(
            lead_sheet_symbols(sheet),
            ["Bb6", "G7", "C-7", "F7", "A-7", "D7", "Bb7", "NC", "D-7/F", "G7", "C", "D", "Db-69/Ab", "Db-69/Db"]
        );
    }
}
