//! The live path allocates nothing after construction: the model step, sampling,
//! the musical decoder and chord analysis run under a counting allocator.

use improv::grammar::{DecodeOptions, Decoder, Harmony, RngChooser, Token};
use improv::model::{Model, Sampling};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

#[test]
fn the_counter_sees_allocations() {
    assert!(allocations(|| drop(std::hint::black_box(vec![1u8; 64]))) > 0);
}

#[test]
fn streaming_generation_does_not_allocate() {
    let weights = improv::default_weights().unwrap();
    let model = Model::new(&weights.params);
    let tokens: Vec<Token> = weights.vocabulary.values().iter().map(|v| Token::parse(v).unwrap()).collect();
    let mut state = model.zero_state();
    let mut rng = SmallRng::seed_from_u64(5);
    let mut chooser = RngChooser(SmallRng::seed_from_u64(6));
    let mut decoder = Decoder::new(DecodeOptions::musical());
    let chords: [&[u8]; 3] = [&[50, 53, 57, 60], &[43, 53, 59, 64], &[48, 52, 55, 59, 62]];
    let mut notes = 0usize;
    let n = allocations(|| {
        let mut prev = None;
        for i in 0..2000 {
            let harmony = Harmony::new(chords[(i / 16) % 3]);
            model.step(&mut state, prev);
            let sampling = if i % 2 == 0 { Sampling { temperature: 0.9, top_k: 12 } } else { Sampling::GREEDY };
            let next = state.sample(sampling, &mut rng);
            if decoder.step(&tokens[next], &harmony, &mut chooser).is_some_and(|p| p.note.is_some()) {
                notes += 1;
            }
            prev = Some(next);
            if i % 500 == 499 {
                state.reset();
                decoder.reset();
                prev = None;
            }
        }
    });
    assert_eq!(n, 0, "allocations on the live path");
    assert!(notes > 500, "{notes} notes decoded");
}

#[test]
fn guided_improvising_does_not_allocate() {
    use improv::improvise::{HeldChord, Improviser, LiveModel, LoopedChanges, Outcome, Playing, reference_changes};
    let weights = improv::default_weights().unwrap();
    let mut imp = Improviser::new(Box::new(LiveModel::new(&weights, "test".into())), 3);
    let progression = LoopedChanges::new(&reference_changes());
    let held = HeldChord { harmony: Some(Harmony::new(&[50, 53, 57, 60])), since: None };
    let style = Playing::default();
    let mut notes = 0usize;
    let n = allocations(|| {
        for beat in 1..=256i64 {
            let mut sink =
                |d: improv::improvise::Drawn| notes += usize::from(matches!(d.outcome, Outcome::Note { .. }));
            if beat <= 128 {
                imp.fill(beat.into(), &progression, &style, &mut sink);
            } else {
                imp.fill(beat.into(), &held, &style, &mut sink);
            }
            if beat == 192 {
                imp.restart(9);
                imp.seek(192);
            }
        }
    });
    assert_eq!(n, 0, "allocations while improvising with guidance");
    assert!(notes > 300, "{notes} notes");
}

#[test]
fn the_masters_model_and_a_model_or_style_switch_do_not_allocate() {
    use improv::hearing::JazzStyle;
    use improv::improvise::{Improviser, LiveModel, LoopedChanges, Outcome, Playing, reference_changes};
    let masters = improv::masters_weights().unwrap();
    let metheny = improv::default_weights().unwrap();
    let mut imp = Improviser::new(Box::new(LiveModel::new(&masters, "wjd".into())), 3);
    let mut spare = Some(Box::new(LiveModel::new(&metheny, "metheny".into())));
    let progression = LoopedChanges::new(&reference_changes());
    let mut notes = 0usize;
    let n = allocations(|| {
        for beat in 1..=256i64 {
            // A style switch every 16 beats, a model switch every 64 (boxes change places).
            let style = Playing { style: JazzStyle::ALL[(beat / 16) as usize % 9], ..Playing::default() };
            if beat % 64 == 0
                && let Some(m) = spare.take()
            {
                spare = Some(imp.swap_model(m));
            }
            imp.fill(beat.into(), &progression, &style, &mut |d| {
                notes += usize::from(matches!(d.outcome, Outcome::Note { .. }))
            });
        }
    });
    assert_eq!(n, 0, "allocations while the masters' model improvises and models and styles switch");
    assert!(notes > 300, "{notes} notes");
}
