//! The reference's post-processing: repeat pruning and overlap clean-up (spec §e.7–8).

use super::decode::Placed;
use num_rational::Ratio;

/// Pairs the elements as they stand — (0,1), (2,3), … — and drops the second of a
/// pair of notes with the same spelled pitch and octave.
pub fn prune_notes(elements: &[Placed]) -> Vec<Placed> {
    let mut keep = vec![true; elements.len()];
    for i in (0..elements.len().saturating_sub(1)).step_by(2) {
        if let (Some((a, _)), Some((b, _))) = (elements[i].note, elements[i + 1].note)
            && a == b
        {
            keep[i + 1] = false;
        }
    }
    elements.iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| *e).collect()
}

/// Gives zero-length elements 1/4 beat and drops a note that starts at the same
/// offset as the element before it (checked even when that element is dropped).
pub fn clean_up_notes(elements: &[Placed]) -> Vec<Placed> {
    let mut out: Vec<Placed> = elements.to_vec();
    let mut keep = vec![true; out.len()];
    for i in 0..out.len() {
        if out[i].duration == Ratio::from_integer(0) {
            out[i].duration = Ratio::new(1, 4);
        }
        if i + 1 < out.len() && out[i + 1].offset == out[i].offset && out[i + 1].note.is_some() {
            keep[i + 1] = false;
        }
    }
    out.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::NoteType;
    use crate::theory::Pitch;

    fn note(offset: i64, key: i32) -> Placed {
        Placed {
            offset: Ratio::from_integer(offset),
            duration: Ratio::from_integer(1),
            note: Some((Pitch::from_midi(key), NoteType::Chord)),
        }
    }

    #[test]
    fn pairs_as_they_stand() {
        // A A A B B B → A A B B (spec §e.7).
        let v: Vec<Placed> = [60, 60, 60, 62, 62, 62].iter().enumerate().map(|(i, &k)| note(i as i64, k)).collect();
        let keys: Vec<u8> = prune_notes(&v).iter().map(|p| p.key().unwrap()).collect();
        assert_eq!(keys, [60, 60, 62, 62]);
    }

    #[test]
    fn same_offset_notes_removed() {
        let v = [note(0, 60), note(0, 62), note(0, 64), note(1, 65)];
        let keys: Vec<u8> = clean_up_notes(&v).iter().map(|p| p.key().unwrap()).collect();
        assert_eq!(keys, [60, 65]);
    }
}
