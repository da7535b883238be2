//! Property tests: decoding any tokens against any chords.

use improv::grammar::{DecodeOptions, Mode, NoteType, RngChooser, Token, decode};
use improv::score::{Beats, ChordEvent};
use improv::theory::Interval;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn kind() -> impl Strategy<Value = NoteType> {
    prop::sample::select(NoteType::ALL.to_vec())
}

fn interval() -> impl Strategy<Value = Interval> {
    // A diatonic size and a quality offset of up to three semitones either way.
    (-14i32..=14, -3i32..=3).prop_map(|(d, q)| {
        let base = [0, 2, 4, 5, 7, 9, 11][(d.unsigned_abs() % 7) as usize] + 12 * (d.abs() / 7);
        let semitones = if d == 0 { q } else { d.signum() * (base + q) };
        Interval::new(d, semitones)
    })
}

fn token() -> impl Strategy<Value = Token> {
    (kind(), 0u32..=8000, prop::option::of((interval(), interval()))).prop_map(|(kind, ms, bounds)| Token {
        kind,
        duration: ms as f64 / 1000.0,
        bounds: if kind == NoteType::Rest { None } else { bounds },
    })
}

fn chords() -> impl Strategy<Value = Vec<ChordEvent>> {
    prop::collection::vec((0i64..16, prop::collection::vec(0u8..128, 1..7)), 1..5).prop_map(|mut v| {
        v.sort_by_key(|c| c.0);
        v.into_iter()
            .map(|(q, keys)| ChordEvent { offset: Beats::new(q, 4), duration: Beats::new(1, 1), keys, name: None })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn decoding_is_safe(
        tokens in prop::collection::vec(token(), 0..60),
        chords in chords(),
        low in 0u8..=127,
        span in 0u8..=72,
        seed in any::<u64>(),
        reference in any::<bool>(),
    ) {
        let high = low.saturating_add(span).min(127);
        let mode = if reference { Mode::Reference } else { Mode::Musical };
        let options = DecodeOptions { mode, low, high };
        let mut rng = RngChooser(StdRng::seed_from_u64(seed));
        let out = decode(&tokens, &chords, options, &mut rng);
        for w in out.windows(2) {
            prop_assert!(w[0].offset <= w[1].offset, "offsets decrease");
        }
        for e in &out {
            if let Some(key) = e.key() {
                let ps = e.note.unwrap().0.ps();
                prop_assert!((low as i32..=high as i32).contains(&ps), "{ps} outside {low}..={high}");
                prop_assert!(key <= 127);
            }
        }
        if mode == Mode::Musical {
            let notes: Vec<_> = out.iter().filter(|e| e.note.is_some()).collect();
            for n in &notes {
                prop_assert!(n.duration > Beats::from_integer(0), "zero-length note");
            }
            for w in notes.windows(2) {
                prop_assert!(w[0].offset + w[0].duration <= w[1].offset, "overlapping notes");
            }
        }
    }

    #[test]
    fn token_strings_never_panic(s in "[CSAXR],[0-9.]{0,6}(,<[PMmAd]{1,2}-?[0-9]{1,2},[PMmAd]{1,2}-?[0-9]{1,2}>)?") {
        if let Ok(t) = Token::parse(&s) {
            prop_assert!(Token::parse(&t.to_string()).is_ok());
        }
    }
}
