//! Chords from MIDI pitches: root and quality as music21 6 computes them.

use super::pitch::Pitch;

/// Triad quality of a chord (music21's `Chord.quality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// Major third and perfect fifth above the root.
    Major,
    /// Minor third and perfect fifth.
    Minor,
    /// Minor third and diminished fifth.
    Diminished,
    /// Major third and augmented fifth.
    Augmented,
    /// Anything else (missing or doubled third/fifth, clusters).
    Other,
}

impl Quality {
    /// The lower-case name music21 prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Major => "major",
            Quality::Minor => "minor",
            Quality::Diminished => "diminished",
            Quality::Augmented => "augmented",
            Quality::Other => "other",
        }
    }
}

/// Steps above a root tested for "rootness": 3rd, 5th, 7th, 9th, 11th, 13th.
const THIRD_STACK: [i32; 6] = [2, 4, 6, 1, 3, 5];

/// The pitches with distinct letters, first occurrence kept (music21 drops the
/// later of two pitches that share a letter before looking for the root), sorted
/// by letter. Fixed-size: no allocation, so the plugin may call it live.
fn distinct_letters(pitches: &[Pitch]) -> ([Pitch; 7], usize) {
    let mut by_step: [Option<Pitch>; 7] = [None; 7];
    for &p in pitches {
        by_step[p.name.step as usize].get_or_insert(p);
    }
    let mut out = [Pitch::from_midi(0); 7];
    let mut n = 0;
    for p in by_step.into_iter().flatten() {
        out[n] = p;
        n += 1;
    }
    (out, n)
}

/// music21 6's root finder: a pitch from which every other letter is a chain of
/// thirds; otherwise the pitch whose stacked thirds (3rd, 5th, 7th, …, weighted
/// 1, ½, ¼, …) are most present. Returns `None` for an empty chord.
pub fn root(pitches: &[Pitch]) -> Option<Pitch> {
    let (letters, n) = distinct_letters(pitches);
    let letters = &letters[..n];
    if n <= 1 {
        return letters.first().copied();
    }
    for start in 0..n {
        let mut last = letters[start].name.step as i32;
        let chain = (start + 1..start + n).all(|i| {
            let step = letters[i % n].name.step as i32;
            let ok = matches!(step - last, 2 | -5);
            last = step;
            ok
        });
        if chain {
            return Some(letters[start]);
        }
    }
    let has = |step: i32| letters.iter().any(|p| p.name.step as i32 == step.rem_euclid(7));
    let mut best = (0usize, -1.0f64);
    for (i, p) in letters.iter().enumerate() {
        let s = p.name.step as i32;
        let score: f64 =
            THIRD_STACK.iter().enumerate().filter(|(_, d)| has(s + **d)).map(|(k, _)| 0.5f64.powi(k as i32)).sum();
        if score > best.1 {
            best = (i, score);
        }
    }
    Some(letters[best.0])
}

/// Semitones (mod 12) from the root to the chord member on `steps` letters above it,
/// or `None` if there is none or if several members there differ (a doubled,
/// altered chord step makes music21 call the chord "other").
fn chord_step(pitches: &[Pitch], root: Pitch, steps: i32) -> Result<Option<i32>, ()> {
    let mut found: Option<i32> = None;
    for p in pitches {
        if (p.name.step as i32 - root.name.step as i32).rem_euclid(7) == steps {
            let semis = (p.ps() - root.ps()).rem_euclid(12);
            match found {
                Some(f) if f != semis => return Err(()),
                _ => found = Some(semis),
            }
        }
    }
    Ok(found)
}

/// Triad quality, from the third and fifth above the music21 root.
///
/// Checked against all 38 distinct chords of the reference data. A chord with a
/// third but no fifth is not in that data: we call it major/minor by its third, as a
/// musician would (music21's own answer there is unverified).
pub fn quality(pitches: &[Pitch]) -> Quality {
    let Some(r) = root(pitches) else {
        return Quality::Other;
    };
    let (Ok(third), Ok(fifth)) = (chord_step(pitches, r, 2), chord_step(pitches, r, 4)) else {
        return Quality::Other;
    };
    match (third, fifth) {
        (Some(4), Some(7)) | (Some(4), None) => Quality::Major,
        (Some(3), Some(7)) | (Some(3), None) => Quality::Minor,
        (Some(3), Some(6)) => Quality::Diminished,
        (Some(4), Some(8)) => Quality::Augmented,
        _ => Quality::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pitches(midi: &[i32]) -> Vec<Pitch> {
        midi.iter().map(|&m| Pitch::from_midi(m)).collect()
    }

    #[test]
    fn triads() {
        assert_eq!(quality(&pitches(&[60, 64, 67])), Quality::Major);
        assert_eq!(quality(&pitches(&[64, 67, 72])), Quality::Major);
        assert_eq!(quality(&pitches(&[62, 65, 69, 72])), Quality::Minor);
        assert_eq!(quality(&pitches(&[59, 62, 65])), Quality::Diminished);
        assert_eq!(quality(&pitches(&[60, 64, 68])), Quality::Augmented);
        assert_eq!(quality(&pitches(&[43, 62])), Quality::Other);
        assert_eq!(quality(&[]), Quality::Other);
    }

    #[test]
    fn doubled_fifth_with_two_spellings_is_other() {
        // E-4 G4 C4 B-3 G#2: root C, G and G# both on the fifth.
        assert_eq!(quality(&pitches(&[63, 67, 60, 58, 44])), Quality::Other);
        assert_eq!(root(&pitches(&[63, 67, 60, 58, 44])).unwrap().to_string(), "C4");
    }
}
