//! Chord symbols: naming the chord a musician holds (`Dm7`, `Bb7/Ab`).

use super::Pitch;
use super::chord::root;

/// Display names of pitch classes as jazz charts spell them.
pub const PC_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
/// Pitch-class names for sharp keys.
pub const PC_SHARP_NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
/// Pitch-class names for flat keys (F# stays F#: G♭ is rarer in jazz charts).
pub const PC_FLAT_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"];

/// True if chords (root pitch class, minor or not) read best in sharps: the sum of
/// the key signatures they imply as tonics — each spelled the way that needs fewer
/// accidentals, a minor chord three fifths flatter than a major one — is on the
/// sharp side. A tie reads in flats.
pub fn prefers_sharps(chords: impl IntoIterator<Item = (i32, bool)>) -> bool {
    let signature = |(root, minor): (i32, bool)| {
        let f = (root.rem_euclid(12) * 7) % 12 - 3 * i32::from(minor);
        if f.abs() <= (f - 12).abs() { f } else { f - 12 }
    };
    chords.into_iter().map(signature).sum::<i32>() > 0
}

/// Names chords of one piece with one spelling: sharps or flats by
/// [`prefers_sharps`].
pub fn name_chords_in_key(chords: &[&[u8]]) -> Vec<String> {
    let plain: Vec<String> = chords.iter().map(|k| name_chord(k)).collect();
    let roots = plain.iter().filter_map(|n| {
        let (pc, rest) = parse_pc(n)?;
        Some((pc, rest.starts_with('m') && !rest.starts_with("maj")))
    });
    let names = if prefers_sharps(roots) { &PC_SHARP_NAMES } else { &PC_FLAT_NAMES };
    plain.iter().map(|n| respell(n, names)).collect()
}

/// Rewrites every note name in a chord name with the given spelling.
fn respell(name: &str, names: &[&str; 12]) -> String {
    let mut out = String::new();
    let mut rest = name;
    while !rest.is_empty() {
        let at_name = rest.starts_with(|c: char| ('A'..='G').contains(&c));
        match parse_pc(rest).filter(|_| at_name) {
            Some((pc, tail)) => {
                out.push_str(names[pc.rem_euclid(12) as usize]);
                rest = tail;
            }
            None => {
                let c = rest.chars().next().expect("not empty");
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// A MIDI key as a name with octave, spelled like the chord symbols (`Db4`, `G3`).
pub fn key_name(key: i32) -> String {
    format!("{}{}", PC_NAMES[key.rem_euclid(12) as usize], key.div_euclid(12) - 1)
}

/// Chord suffixes and their pitch classes above the root, most common first.
pub const SUFFIXES: &[(&str, &[i32])] = &[
    ("", &[0, 4, 7]),
    ("m", &[0, 3, 7]),
    ("7", &[0, 4, 7, 10]),
    ("m7", &[0, 3, 7, 10]),
    ("maj7", &[0, 4, 7, 11]),
    ("m7b5", &[0, 3, 6, 10]),
    ("dim7", &[0, 3, 6, 9]),
    ("dim", &[0, 3, 6]),
    ("aug", &[0, 4, 8]),
    ("6", &[0, 4, 7, 9]),
    ("m6", &[0, 3, 7, 9]),
    ("sus2", &[0, 2, 7]),
    ("sus4", &[0, 5, 7]),
    ("7sus4", &[0, 5, 7, 10]),
    ("mMaj7", &[0, 3, 7, 11]),
    ("add9", &[0, 2, 4, 7]),
    ("9", &[0, 2, 4, 7, 10]),
    ("m9", &[0, 2, 3, 7, 10]),
    ("maj9", &[0, 2, 4, 7, 11]),
    ("11", &[0, 2, 5, 7, 10]),
    ("m11", &[0, 2, 3, 5, 7, 10]),
    ("13", &[0, 2, 4, 7, 9, 10]),
    ("7b9", &[0, 1, 4, 7, 10]),
    ("7#9", &[0, 3, 4, 7, 10]),
    ("7#11", &[0, 4, 6, 7, 10]),
    ("7b13", &[0, 4, 7, 8, 10]),
    ("7alt", &[0, 1, 3, 4, 6, 8, 10]),
];

fn pc_set(keys: &[u8]) -> Vec<i32> {
    let mut pcs: Vec<i32> = keys.iter().map(|&k| k as i32 % 12).collect();
    pcs.sort_unstable();
    pcs.dedup();
    pcs
}

fn matches(pcs: &[i32], root: i32, intervals: &[i32], allow_no_fifth: bool) -> bool {
    let rel: Vec<i32> = pcs.iter().map(|p| (p - root).rem_euclid(12)).collect();
    let required = |i: &i32| !(allow_no_fifth && *i == 7);
    rel.iter().all(|r| intervals.contains(r)) && intervals.iter().filter(|i| required(i)).all(|i| rel.contains(i))
}

/// Names the chord formed by MIDI keys: the lowest key is the bass (written after
/// a slash when it is not the root). An incomplete voicing gets the simplest
/// symbol whose chord holds all its pitch classes; only a shape no symbol holds gets
/// music21's root and the plain note list.
pub fn name_chord(keys: &[u8]) -> String {
    let Some(&bass) = keys.iter().min() else {
        return "N.C.".to_string();
    };
    let pcs = pc_set(keys);
    if pcs.len() == 1 {
        return PC_NAMES[pcs[0] as usize].to_string();
    }
    let bass_pc = bass as i32 % 12;
    // Roots to try: the bass first, then the other chord tones.
    let mut roots = vec![bass_pc];
    roots.extend(pcs.iter().copied().filter(|&p| p != bass_pc));
    for allow_no_fifth in [false, true] {
        for &(suffix, intervals) in SUFFIXES {
            if let Some(&r) = roots.iter().find(|&&r| matches(&pcs, r, intervals, allow_no_fifth)) {
                let mut s = format!("{}{}", PC_NAMES[r as usize], suffix);
                if r != bass_pc {
                    s.push('/');
                    s.push_str(PC_NAMES[bass_pc as usize]);
                }
                return s;
            }
        }
    }
    // An incomplete voicing: the simplest symbol whose chord holds every pitch class.
    let fit = roots
        .iter()
        .flat_map(|&r| SUFFIXES.iter().map(move |&(suffix, intervals)| (r, suffix, intervals)))
        .filter(|(r, _, intervals)| pcs.iter().all(|p| intervals.contains(&(p - r).rem_euclid(12))))
        .min_by_key(|(r, _, intervals)| (intervals.len(), *r != bass_pc));
    if let Some((r, suffix, _)) = fit {
        let mut s = format!("{}{}", PC_NAMES[r as usize], suffix);
        if r != bass_pc {
            s.push('/');
            s.push_str(PC_NAMES[bass_pc as usize]);
        }
        return s;
    }
    let pitches: Vec<Pitch> = keys.iter().map(|&k| Pitch::from_midi(k as i32)).collect();
    let r = root(&pitches).map_or(bass_pc, |p| p.name.pc());
    let notes: Vec<&str> = pcs.iter().map(|&p| PC_NAMES[p as usize]).collect();
    format!("{}({})", PC_NAMES[r as usize], notes.join(" "))
}

/// The chord symbols `--chords` understands: suffix (after the root) and the
/// pitch classes above the root it stands for. Alterations (`b9 #9 #11 b13 b5 #5`,
/// also in parentheses) may follow any suffix, and `/X` sets the bass.
pub const SYMBOL_TABLE: &[(&str, &[i32], &str)] = &[
    ("", &[0, 4, 7], "major triad"),
    ("maj", &[0, 4, 7], "major triad"),
    ("m", &[0, 3, 7], "minor triad (also min, -)"),
    ("dim", &[0, 3, 6], "diminished triad (also °)"),
    ("aug", &[0, 4, 8], "augmented triad (also +)"),
    ("sus2", &[0, 2, 7], "suspended second"),
    ("sus4", &[0, 5, 7], "suspended fourth (also sus)"),
    ("5", &[0, 7], "power chord"),
    ("6", &[0, 4, 7, 9], "major sixth"),
    ("m6", &[0, 3, 7, 9], "minor sixth"),
    ("6/9", &[0, 2, 4, 7, 9], "six-nine"),
    ("7", &[0, 4, 7, 10], "dominant seventh"),
    ("maj7", &[0, 4, 7, 11], "major seventh (also M7, Δ, Δ7)"),
    ("m7", &[0, 3, 7, 10], "minor seventh (also min7, -7)"),
    ("mMaj7", &[0, 3, 7, 11], "minor-major seventh (also m(maj7))"),
    ("m7b5", &[0, 3, 6, 10], "half-diminished (also ø, ø7)"),
    ("dim7", &[0, 3, 6, 9], "diminished seventh (also °7)"),
    ("aug7", &[0, 4, 8, 10], "augmented seventh (also 7#5, +7)"),
    ("7sus4", &[0, 5, 7, 10], "dominant seventh, suspended fourth (also 7sus)"),
    ("add9", &[0, 2, 4, 7], "major triad with ninth"),
    ("9", &[0, 2, 4, 7, 10], "dominant ninth"),
    ("maj9", &[0, 2, 4, 7, 11], "major ninth"),
    ("m9", &[0, 2, 3, 7, 10], "minor ninth"),
    ("11", &[0, 2, 5, 7, 10], "dominant eleventh (no third)"),
    ("m11", &[0, 2, 3, 5, 7, 10], "minor eleventh"),
    ("13", &[0, 2, 4, 7, 9, 10], "dominant thirteenth"),
    ("maj13", &[0, 2, 4, 7, 9, 11], "major thirteenth"),
    ("m13", &[0, 2, 3, 7, 9, 10], "minor thirteenth"),
    ("alt", &[0, 1, 3, 4, 6, 8, 10], "altered dominant: b9 #9 #11 b13 (also 7alt)"),
];

/// Other spellings of table suffixes.
const ALIASES: &[(&str, &str)] = &[
    ("7alt", "alt"),
    ("min7", "m7"),
    ("min6", "m6"),
    ("min9", "m9"),
    ("min11", "m11"),
    ("min13", "m13"),
    ("min", "m"),
    ("-7", "m7"),
    ("-6", "m6"),
    ("-9", "m9"),
    ("-", "m"),
    ("M7", "maj7"),
    ("Δ7", "maj7"),
    ("Δ", "maj7"),
    ("ma7", "maj7"),
    ("M9", "maj9"),
    ("m(maj7)", "mMaj7"),
    ("mM7", "mMaj7"),
    ("ø7", "m7b5"),
    ("ø", "m7b5"),
    ("°7", "dim7"),
    ("o7", "dim7"),
    ("°", "dim"),
    ("o", "dim"),
    ("+7", "aug7"),
    ("+", "aug"),
    ("7sus", "7sus4"),
    ("sus", "sus4"),
    ("69", "6/9"),
];

/// Alterations: name, semitones added, and the chord tone it replaces (if any).
const ALTERATIONS: &[(&str, i32, Option<i32>)] =
    &[("b9", 1, None), ("#9", 3, None), ("#11", 6, None), ("b13", 8, None), ("b5", 6, Some(7)), ("#5", 8, Some(7))];

/// A parsed chord symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChordSymbol {
    /// Pitch class of the root.
    pub root: i32,
    /// Pitch classes above the root (0 = the root), ascending.
    pub intervals: Vec<i32>,
    /// Pitch class of a slash bass.
    pub bass: Option<i32>,
    /// The symbol as written (pictures keep the player's spelling).
    pub text: String,
}

/// Why a chord symbol was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad chord symbol {symbol:?} at column {column}: {reason}")]
pub struct SymbolError {
    /// The symbol as written.
    pub symbol: String,
    /// 1-based column in the changes string.
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

/// Pitch class of a natural note letter (`C` = 0 … `B` = 11).
pub fn natural_pc(letter: char) -> Option<i32> {
    Some(match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    })
}

fn parse_pc(s: &str) -> Option<(i32, &str)> {
    let mut chars = s.chars();
    let natural = natural_pc(chars.next()?)?;
    let rest = chars.as_str();
    for (acc, shift) in [("#", 1), ("♯", 1), ("b", -1), ("♭", -1)] {
        if let Some(r) = rest.strip_prefix(acc) {
            return Some(((natural + shift).rem_euclid(12), r));
        }
    }
    Some((natural, rest))
}

impl ChordSymbol {
    /// Parses one symbol (`Dm7`, `Bb7#11`, `C/E`, `F#m7b5`, `A7(b9,b13)`).
    pub fn parse(symbol: &str) -> Result<Self, String> {
        let (main, bass) = match symbol.rsplit_once('/') {
            // "6/9" is a suffix, not a slash chord.
            Some((m, b)) if !(b == "9" && m.ends_with('6')) => {
                let (pc, rest) = parse_pc(b).ok_or_else(|| format!("bass {b:?} is not a note name"))?;
                if !rest.is_empty() {
                    return Err(format!("bass {b:?} is not a note name"));
                }
                (m, Some(pc))
            }
            _ => (symbol, None),
        };
        let (root, mut rest) = parse_pc(main).ok_or_else(|| "a chord starts with a root A–G".to_string())?;
        // Longest matching suffix, canonical or alias.
        let mut best: Option<(&str, usize)> = None;
        for (name, _, _) in SYMBOL_TABLE {
            if rest.starts_with(name) && best.is_none_or(|(_, l)| name.len() > l) {
                best = Some((name, name.len()));
            }
        }
        for (alias, name) in ALIASES {
            if rest.starts_with(alias) && best.is_none_or(|(_, l)| alias.len() > l) {
                best = Some((name, alias.len()));
            }
        }
        let (name, used) = best.unwrap_or(("", 0));
        rest = &rest[used..];
        let mut intervals: Vec<i32> =
            SYMBOL_TABLE.iter().find(|(n, _, _)| *n == name).map(|(_, iv, _)| iv.to_vec()).unwrap_or_default();
        // Alterations, optionally in parentheses and separated by commas.
        let mut alts = rest.trim_start_matches('(').trim_end_matches(')');
        while !alts.is_empty() {
            alts = alts.trim_start_matches([',', ' ']);
            let Some((alt, add, replaces)) = ALTERATIONS.iter().find(|(a, _, _)| alts.starts_with(a)) else {
                return Err(format!("unknown chord quality or alteration {alts:?}"));
            };
            if intervals.len() <= 3 && replaces.is_none() {
                // A lone triad with a tension implies the dominant seventh (C7b9 ≡ Cb9).
                intervals.push(10);
            }
            if let Some(r) = replaces {
                intervals.retain(|i| i != r);
            }
            intervals.push(*add);
            alts = &alts[alt.len()..];
        }
        intervals.sort_unstable();
        intervals.dedup();
        Ok(Self { root, intervals, bass, text: symbol.to_string() })
    }

    /// The chord's pitch classes (bass included).
    pub fn pitch_classes(&self) -> Vec<i32> {
        let mut pcs: Vec<i32> = self.intervals.iter().map(|i| (self.root + i).rem_euclid(12)).collect();
        pcs.extend(self.bass);
        pcs.sort_unstable();
        pcs.dedup();
        pcs
    }

    /// A playable voicing: the bass (slash bass or root) in octave 2, the chord
    /// from the root in octave 3 upwards.
    pub fn voicing(&self) -> Vec<u8> {
        let bass = self.bass.unwrap_or(self.root);
        let mut keys = vec![(36 + bass) as u8];
        keys.extend(self.intervals.iter().map(|i| (48 + self.root + i) as u8));
        keys
    }
}

/// One bar of changes: (beat in the bar, chord).
pub type Bar = Vec<(num_rational::Ratio<i64>, ChordSymbol)>;

/// Parses changes such as `Dm7 G7 | Cmaj7 | A7b9 | %`: bars separated by `|`,
/// several chords per bar share its four beats evenly, `%` repeats the previous bar.
pub fn parse_changes(text: &str, beats_per_bar: i64) -> Result<Vec<Bar>, SymbolError> {
    let mut bars: Vec<Bar> = Vec::new();
    let mut column = 1;
    for segment in text.split('|') {
        let mut symbols: Vec<(usize, &str)> = Vec::new();
        let mut offset = 0;
        for word in segment.split_whitespace() {
            let at = segment[offset..].find(word).map_or(offset, |i| offset + i);
            symbols.push((column + at, word));
            offset = at + word.len();
        }
        column += segment.chars().count() + 1;
        match symbols.as_slice() {
            [] => continue,
            [(col, "%")] => match bars.last() {
                Some(prev) => bars.push(prev.clone()),
                None => {
                    return Err(SymbolError {
                        symbol: "%".into(),
                        column: *col,
                        reason: "there is no previous bar to repeat".into(),
                    });
                }
            },
            list => {
                let n = list.len() as i64;
                let mut bar = Bar::new();
                for (i, (col, word)) in list.iter().enumerate() {
                    let chord = ChordSymbol::parse(word).map_err(|reason| SymbolError {
                        symbol: word.to_string(),
                        column: *col,
                        reason,
                    })?;
                    bar.push((num_rational::Ratio::new(beats_per_bar * i as i64, n), chord));
                }
                bars.push(bar);
            }
        }
    }
    if bars.is_empty() {
        return Err(SymbolError { symbol: text.to_string(), column: 1, reason: "no chords given".into() });
    }
    Ok(bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_of_one_piece_share_one_spelling() {
        let chords: [&[u8]; 3] = [&[44, 47, 51, 54], &[37, 41, 44, 47], &[42, 46, 49, 53]];
        assert_eq!(name_chords_in_key(&chords), ["G#m7", "C#7", "F#maj7"]);
        let flat: [&[u8]; 3] = [&[46, 49, 53, 56], &[39, 43, 46, 49], &[44, 48, 51, 55]];
        assert_eq!(name_chords_in_key(&flat), ["Bbm7", "Eb7", "Abmaj7"]);
        let sharp: [&[u8]; 3] = [&[40, 44, 47, 50], &[45, 49, 52, 55], &[47, 51, 54, 57]];
        assert_eq!(name_chords_in_key(&sharp), ["E7", "A7", "B7"]);
        let keys: [&[u8]; 2] = [&[49, 52, 56, 59], &[42, 45, 49, 52]];
        assert_eq!(name_chords_in_key(&keys), ["C#m7", "F#m7"]);
        // An incomplete voicing gets a symbol, not a list of pitches.
        assert!(!name_chord(&[60, 61, 63]).contains('('), "{}", name_chord(&[60, 61, 63]));
    }

    #[test]
    fn common_voicings() {
        assert_eq!(name_chord(&[50, 53, 57, 60]), "Dm7");
        assert_eq!(name_chord(&[43, 59, 65, 69]), "G9");
        assert_eq!(name_chord(&[48, 52, 55, 59]), "Cmaj7");
        assert_eq!(name_chord(&[56, 60, 63, 70]), "Abadd9");
        assert_eq!(name_chord(&[64, 67, 72]), "C/E");
        assert_eq!(name_chord(&[59, 62, 65, 69]), "Bm7b5");
        assert_eq!(name_chord(&[60, 64, 70]), "C7");
        assert_eq!(name_chord(&[]), "N.C.");
        assert_eq!(name_chord(&[61]), "Db");
    }

    fn pcs(s: &str) -> Vec<i32> {
        ChordSymbol::parse(s).unwrap().pitch_classes()
    }

    #[test]
    fn every_table_entry_parses_to_its_pitch_classes() {
        for (suffix, intervals, _) in SYMBOL_TABLE {
            let mut want: Vec<i32> = intervals.iter().map(|i| (2 + i) % 12).collect();
            want.sort_unstable();
            assert_eq!(pcs(&format!("D{suffix}")), want, "D{suffix}");
        }
        for (alias, name) in ALIASES {
            assert_eq!(pcs(&format!("E{alias}")), pcs(&format!("E{name}")), "E{alias}");
        }
    }

    #[test]
    fn alterations_and_slash_bass() {
        assert_eq!(pcs("A7b9"), vec![1, 4, 7, 9, 10]);
        assert_eq!(pcs("G7(#9,b13)"), vec![2, 3, 5, 7, 10, 11]);
        assert_eq!(pcs("C7b5"), vec![0, 4, 6, 10]);
        // "Cb9" is a C-flat ninth chord, not C with a flat nine.
        assert_eq!(pcs("Cb9"), vec![1, 3, 6, 9, 11]);
        assert_eq!(pcs("Cmb9"), vec![0, 1, 3, 7, 10]);
        assert_eq!(pcs("Bbmaj7#11"), vec![2, 4, 5, 9, 10]);
        let c = ChordSymbol::parse("C/E").unwrap();
        assert_eq!(c.bass, Some(4));
        assert_eq!(c.voicing(), vec![40, 48, 52, 55]);
        assert_eq!(pcs("C6/9"), vec![0, 2, 4, 7, 9]);
        assert_eq!(pcs("F#m7b5"), vec![0, 4, 6, 9]);
    }

    #[test]
    fn bad_symbols_say_where() {
        let e = parse_changes("Dm7 G7 | Cmaj7 | Hm7", 4).unwrap_err();
        assert_eq!((e.symbol.as_str(), e.column), ("Hm7", 18));
        let e = parse_changes("C | Dm7x", 4).unwrap_err();
        assert_eq!(e.column, 5);
        assert!(e.reason.contains("\"x\""), "{}", e.reason);
        assert!(parse_changes("% | C", 4).is_err());
        assert!(parse_changes(" | ", 4).is_err());
        assert!(ChordSymbol::parse("C/H").is_err());
    }

    #[test]
    fn changes_share_bars_and_repeat() {
        let bars = parse_changes("Dm7 G7 | Cmaj7 | % |", 4).unwrap();
        assert_eq!(bars.len(), 3);
        assert_eq!(bars[0][1].0, num_rational::Ratio::from_integer(2));
        assert_eq!(bars[2], bars[1]);
    }
}
