//! `plugin/process-512`: one 512-sample block at 48 kHz that crosses a beat
//! boundary, so it includes the model steps that fill the next beat (target: under
//! 1 % of the block's 10.7 ms, about 107 µs); guided and plain with the live f16
//! step, and guided with the f32 step (`-f32`).
//!
//! `plugin/answer-start/…`: trading fours, the block at the downbeat of Improv's
//! first bar, which encodes the musician's 4-bar call, steps it through the model
//! and fills the answer's first beat (same target): a 21-note phrase, 64
//! sixteenths, and the densest call the grid can hold (6 onsets a beat, 96 notes).
//!
//! `plugin/answer-start/…-wjd-auto`: the same with a new instance's settings, the
//! masters' model and Auto feel, which also hears the call's feel (swing,
//! lay-back, dynamics, articulation) to answer in it.
//!
//! `plugin/process-512-beat-boundary-auto`: the same block with Auto feel.
//!
//! `plugin/process-512-beat-boundary-wjd…`: the same block with the masters'
//! model (it hears the chord, the beat and the style): guided, plain, and f32.
//!
//! `feel/hear-call-96`: closing and hearing the feel of a 96-note call (part of
//! the answer-start block).
//!
//! `plugin/process-512-worst-block-wjd-taste-8`: a new instance's settings with
//! Taste 1 and 8 candidates over a held Dm7, the block that costs most in 8 bars
//! (found by timing every block three times): the taste search runs ahead a few
//! tokens a block during each breath, beside the line's own beat.
//!
//! `voice/render-512-…`: Improv's own voice for one block, the line and a held
//! four-note chord sounding (each sound), and all eight voices at once; and
//! `plugin/process-512-beat-boundary-voice`: the beat-boundary block with the
//! voice rendering the line and the chord (target with the voice: 2 %, 213 µs).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use improv::improvise::Guidance;
use improv::model::Precision;
use improv::plugin::engine::{Engine, FeelMode, Listen, ListenMode, LiveModel, NoteMsg, Settings, TransportInfo, Turn};
use improv::voice::{Cue, Part, Sound, Synth};
use std::hint::black_box;

const SR: f32 = 48_000.0;
const BLOCK: u32 = 512;

fn bench(c: &mut Criterion) {
    for (name, guidance) in [("", Guidance::DEFAULT), ("-plain", Guidance::PLAIN)] {
        bench_with(c, name, Settings { guidance, ..Settings::default() }, Precision::LIVE);
    }
    // The f32 step beside the live f16 one, with the default guidance.
    bench_with(c, "-f32", Settings::default(), Precision::F32);
    // Auto feel: the beat's notes played with the learned feel once it is complete.
    bench_with(c, "-auto", Settings { feel: FeelMode::Auto, ..Settings::default() }, Precision::LIVE);
    // The masters' model (it hears the chord, the beat and the style): guided and plain.
    for (name, guidance) in [("-wjd", Guidance::DEFAULT), ("-wjd-plain", Guidance::PLAIN)] {
        let w = improv::masters_weights().unwrap();
        bench_model(c, name, &w, Settings { guidance, ..Settings::default() }, Precision::LIVE);
    }
    bench_model(c, "-wjd-f32", &improv::masters_weights().unwrap(), Settings::default(), Precision::F32);
    let trade = Listen { mode: ListenMode::Trade, ..Listen::default() };
    let weights = improv::default_weights().unwrap();
    bench_answer_start(c, "", &weights, Settings { listen: trade, ..Settings::default() }, &ALL_CALLS);
    // The default instance's: the masters' model, Auto feel answering in the call's feel.
    let masters = improv::masters_weights().unwrap();
    let manual = Settings { listen: trade, masters: true, ..Settings::default() };
    bench_answer_start(c, "-wjd", &masters, manual, &["phrase-21", "densest-96"]);
    let auto = Settings { feel: FeelMode::Auto, ..manual };
    bench_answer_start(c, "-wjd-auto", &masters, auto, &["phrase-21", "densest-96"]);
    bench_hear_call(c);
    bench_voice(c);
    bench_taste(c);
}

/// A preference model from two rated phrases: a held landing liked, a run disliked.
fn example_preference() -> improv::taste::Preference {
    use improv::grammar::NoteType;
    use improv::taste::{PhraseNote, features::features};
    let note =
        |at: i64, length: i64, key: u8, guide: bool| PhraseNote { at, length, key, kind: NoteType::Chord, guide };
    let landing = [note(0, 6, 62, false), note(6, 6, 67, false), note(12, 24, 65, true)];
    let run: Vec<PhraseNote> = (0..12).map(|i| note(i * 3, 3, 60 + i as u8, false)).collect();
    let examples = [(features(&landing, 24), true), (features(&run, 0), false)];
    improv::taste::Preference::fit(&examples).expect("two ratings")
}

fn bench_taste(c: &mut Criterion) {
    let masters = improv::masters_weights().unwrap();
    let settings = Settings { masters: true, feel: FeelMode::Auto, taste: 1.0, candidates: 8, ..Settings::default() };
    let preference = example_preference();
    let spb = SR as f64 * 60.0 / 120.0;
    let dm7: Vec<NoteMsg> = [50u8, 53, 57, 60].iter().map(|&key| NoteMsg::input(0, true, 1, key, 0.8)).collect();
    // 8 bars at 120 BPM.
    const BLOCKS: u32 = 1500;
    let engine = || {
        let mut e = Engine::new(Box::new(LiveModel::new(&masters, "bench".into())));
        e.set_preference(Some(preference));
        e
    };
    let block = |e: &mut Engine, k: u32| {
        let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some((k * BLOCK) as f64 / spb) };
        e.process(t, SR, BLOCK, if k == 0 { &dm7 } else { &[] }, true, &settings).len()
    };
    let mut fastest = vec![f64::INFINITY; BLOCKS as usize];
    let mut searches = (0, 0);
    for _ in 0..3 {
        let mut e = engine();
        for (k, t) in fastest.iter_mut().enumerate() {
            let t0 = std::time::Instant::now();
            black_box(block(&mut e, k as u32));
            *t = t.min(t0.elapsed().as_secs_f64());
        }
        searches = e.taste_searches();
    }
    assert!(searches.0 > 0, "the search ahead finished before a phrase: {searches:?}");
    let worst = (0..BLOCKS as usize).max_by(|&a, &b| fastest[a].total_cmp(&fastest[b])).unwrap() as u32;
    eprintln!(
        "taste-8: the dearest of {BLOCKS} blocks is block {worst} (beat {:.2}), {:.1} us in the timing runs; \
         phrases started with the search's winner / without: {} / {}",
        (worst * BLOCK) as f64 / spb,
        fastest[worst as usize] * 1e6,
        searches.0,
        searches.1
    );
    c.bench_function("plugin/process-512-worst-block-wjd-taste-8", |b| {
        b.iter_batched(
            || {
                let mut e = engine();
                for k in 0..worst {
                    block(&mut e, k);
                }
                e
            },
            |mut e| {
                black_box(block(&mut e, worst));
                e
            },
            BatchSize::LargeInput,
        )
    });
}

/// `feel/hear-call-96`: the part of the answer-start block that hears a call's
/// feel — the densest call's 96 notes recorded as played, then closed and heard.
fn bench_hear_call(c: &mut Criterion) {
    use improv::feel::answer::CallRecorder;
    let notes: Vec<(f64, f64, u8)> = (0..16)
        .flat_map(|beat| [0.0, 0.25, 1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75].map(|x| beat as f64 + x))
        .enumerate()
        .map(|(i, at)| (at + 0.01 * (i % 3) as f64, 0.05, 62 + (i % 12) as u8))
        .collect();
    let recorded = || {
        let mut r = CallRecorder::default();
        for &(at, len, key) in &notes {
            r.note_on(at, key, 90);
            r.note_off(at + len, key);
        }
        r
    };
    c.bench_function("feel/hear-call-96", |b| {
        b.iter_batched(recorded, |mut r| black_box(r.close(16.0)), BatchSize::SmallInput)
    });
}

/// The voice's cues for the engine's events (the line and what passes through).
fn cues(events: &[NoteMsg]) -> impl Iterator<Item = Cue> + '_ {
    events.iter().map(|e| Cue {
        at: e.timing as usize,
        on: e.on,
        part: if e.line { Part::Line } else { Part::Input },
        channel: e.channel,
        key: e.key,
        velocity: e.velocity,
    })
}

fn bench_voice(c: &mut Criterion) {
    let mut out = vec![0.0f32; BLOCK as usize];
    for (name, sound, keys) in [
        ("vibraphone", Sound::Vibraphone, 4),
        ("electric-piano", Sound::ElectricPiano, 4),
        ("guitar", Sound::Guitar, 4),
        ("all-8-voices-guitar", Sound::Guitar, 7),
    ] {
        let mut synth = Synth::new(SR);
        synth.set_sound(sound);
        let mut block = 0u32;
        c.bench_function(&format!("voice/render-512-{name}"), |b| {
            b.iter(|| {
                // Every 16 blocks (0.17 s) the line plays a new note and the chord is
                // struck again, so every voice keeps sounding.
                if block.is_multiple_of(16) {
                    synth.note_on(Part::Line, 0, 67 + (block / 16 % 5) as u8, 0.8);
                    for k in 0..keys {
                        synth.note_on(Part::Input, 1, 48 + 3 * k as u8, 0.7);
                    }
                }
                block += 1;
                synth.render(&mut out);
                black_box(out[0]);
            })
        });
    }
    // The beat-boundary block, with the voice sounding the line and the chord.
    let weights = improv::default_weights().unwrap();
    let settings = Settings::default();
    let spb = SR as f64 * 60.0 / 120.0;
    let dm7: Vec<NoteMsg> = [50u8, 53, 57, 60].iter().map(|&key| NoteMsg::input(0, true, 1, key, 0.8)).collect();
    const BOUNDARY_BLOCK: u32 = 421;
    let warmed = || {
        let mut e = Engine::new(Box::new(LiveModel::new(&weights, "bench".into())));
        let mut synth = Synth::new(SR);
        let mut out = vec![0.0f32; BLOCK as usize];
        for k in 0..BOUNDARY_BLOCK {
            let pos = (k * BLOCK) as f64 / spb;
            let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(pos) };
            let events = e.process(t, SR, BLOCK, if k == 0 { &dm7 } else { &[] }, true, &settings);
            synth.render_cued(&mut out, cues(events));
        }
        (e, synth, out, (BOUNDARY_BLOCK * BLOCK) as f64 / spb)
    };
    c.bench_function("plugin/process-512-beat-boundary-voice", |b| {
        b.iter_batched(
            warmed,
            |(mut e, mut synth, mut out, pos)| {
                let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(pos) };
                let events = e.process(t, SR, BLOCK, &[], true, &settings);
                synth.render_cued(&mut out, cues(events));
                black_box(out[0]);
                (e, synth, out)
            },
            BatchSize::LargeInput,
        )
    });
}

/// Input notes as (beat, on, key).
type Input = Vec<(f64, bool, u8)>;

/// Dm7 held below the split for bars 1–4 and a call above it, as (beat, on, key).
fn call(kind: &str) -> Input {
    let mut ev: Input = [48u8, 50, 53, 57].iter().map(|&k| (0.0, true, k)).collect();
    let notes: Vec<(f64, f64, u8)> = match kind {
        "phrase-21" => {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/calls/ii-v-call.musicxml");
            let (notes, _) = improv::corpus::melody_line(&std::fs::read(path).unwrap(), None).unwrap();
            ev.extend(improv::trade::performed(&notes, 0.9));
            return ev;
        }
        "sixteenths-64" => (0..64).map(|i| (i as f64 * 0.25, 0.2, 62 + (i % 12) as u8)).collect(),
        _ => (0..16)
            .flat_map(|beat| [0.0, 0.25, 1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75].map(|x| beat as f64 + x))
            .enumerate()
            .map(|(i, at)| (at, 0.05, 62 + (i % 12) as u8))
            .collect(),
    };
    ev.extend(notes.iter().flat_map(|&(at, len, key)| [(at, true, key), (at + len, false, key)]));
    ev
}

/// The calls of the answer-start bench.
const ALL_CALLS: [&str; 3] = ["phrase-21", "sixteenths-64", "densest-96"];

fn bench_answer_start(
    c: &mut Criterion,
    suffix: &str,
    weights: &improv::model::Weights,
    settings: Settings,
    calls: &[&str],
) {
    let spb = SR as f64 * 60.0 / 120.0;
    // Bar 5's downbeat is beat 16, sample 384 000, the end of block 749: the engine
    // covers the beat that starts at or before a block's end, so the block that
    // hears the call and fills the answer's first beat is 749 or 750 (as rounding
    // has the block's end just before or after beat 16); found by a first run.
    for &kind in calls {
        let input = call(kind);
        let block_input = |k: u32, msgs: &mut Vec<NoteMsg>| {
            let start = (k * BLOCK) as f64;
            msgs.clear();
            for &(beat, on, key) in &input {
                let at = beat * spb - start;
                if (0.0..BLOCK as f64).contains(&at) {
                    msgs.push(NoteMsg::input(at as u32, on, 1, key, 0.8));
                }
            }
            TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(start / spb) }
        };
        let answer_block = {
            let mut e = Engine::new(Box::new(LiveModel::new(weights, "bench".into())));
            let mut msgs = Vec::new();
            (0..800).find(|&k| {
                let t = block_input(k, &mut msgs);
                e.process(t, SR, BLOCK, &msgs, false, &settings);
                e.turn() == Turn::Answering
            })
        };
        let answer_block = answer_block.expect("Improv answers in bar 5");
        assert!((749..=750).contains(&answer_block), "the answer starts at block {answer_block}");
        let warmed = || {
            let mut e = Engine::new(Box::new(LiveModel::new(weights, "bench".into())));
            let mut msgs = Vec::new();
            for k in 0..answer_block {
                let t = block_input(k, &mut msgs);
                let out = e.process(t, SR, BLOCK, &msgs, false, &settings);
                assert!(out.iter().all(|m| !m.on), "silent while the musician plays");
            }
            assert_eq!(e.turn(), Turn::Listening);
            (e, msgs)
        };
        c.bench_function(&format!("plugin/answer-start/{kind}{suffix}"), |b| {
            b.iter_batched(
                warmed,
                |(mut e, mut msgs)| {
                    let t = block_input(answer_block, &mut msgs);
                    black_box(e.process(t, SR, BLOCK, &msgs, false, &settings).len());
                    assert_eq!(e.turn(), Turn::Answering, "this block starts the answer");
                    e
                },
                BatchSize::LargeInput,
            )
        });
    }
}

fn bench_with(c: &mut Criterion, suffix: &str, settings: Settings, precision: Precision) {
    bench_model(c, suffix, &improv::default_weights().unwrap(), settings, precision);
}

fn bench_model(
    c: &mut Criterion,
    suffix: &str,
    weights: &improv::model::Weights,
    settings: Settings,
    precision: Precision,
) {
    let spb = SR as f64 * 60.0 / 120.0;
    let dm7: Vec<NoteMsg> = [50u8, 53, 57, 60].iter().map(|&key| NoteMsg::input(0, true, 1, key, 0.8)).collect();
    // Beat 9 falls at sample 216 000, inside block 421 ([215 552, 216 064)): an engine
    // that has played blocks 0..421 holding Dm7 must fill beat 9 in the next block.
    const BOUNDARY_BLOCK: u32 = 421;
    const { assert!(BOUNDARY_BLOCK * BLOCK < 216_000 && 216_000 < (BOUNDARY_BLOCK + 1) * BLOCK) };
    let warmed = || {
        let mut e = Engine::new(Box::new(LiveModel::with_precision(weights, "bench".into(), precision)));
        for k in 0..BOUNDARY_BLOCK {
            let pos = (k * BLOCK) as f64 / spb;
            let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(pos) };
            e.process(t, SR, BLOCK, if k == 0 { &dm7 } else { &[] }, true, &settings);
        }
        (e, (BOUNDARY_BLOCK * BLOCK) as f64 / spb)
    };
    c.bench_function(&format!("plugin/process-512-beat-boundary{suffix}"), |b| {
        b.iter_batched(
            warmed,
            |(mut e, pos)| {
                let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(pos) };
                black_box(e.process(t, SR, BLOCK, &[], true, &settings).len());
                e
            },
            BatchSize::LargeInput,
        )
    });
    let (mut e, mut pos) = warmed();
    c.bench_function(&format!("plugin/process-512-steady{suffix}"), |b| {
        b.iter(|| {
            let t = TransportInfo { playing: true, tempo: Some(120.0), pos_beats: Some(pos) };
            black_box(e.process(t, SR, BLOCK, &[], true, &settings).len());
            pos += BLOCK as f64 / spb;
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
