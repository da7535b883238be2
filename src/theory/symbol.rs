//! Chord symbols: naming the chord a musician holds (`Dm7`, `Bb7/Ab`).

use super::Pitch;
use super::chord::root;

/// Display names of pitch classes as jazz charts spell them.
pub const PC_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];

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
/// a slash when it is not the root). Unknown shapes get music21's root and the
/// plain note list, e.g. `C(C Eb F#)`.
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
    let pitches: Vec<Pitch> = keys.iter().map(|&k| Pitch::from_midi(k as i32)).collect();
    let r = root(&pitches).map_or(bass_pc, |p| p.name.pc());
    let notes: Vec<&str> = pcs.iter().map(|&p| PC_NAMES[p as usize]).collect();
    format!("{}({})", PC_NAMES[r as usize], notes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
