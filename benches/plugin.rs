//! `plugin/process-512`: one 512-sample block at 48 kHz that crosses a beat
//! boundary, so it includes the model steps that fill the next beat (target: under
//! 1 % of the block's 10.7 ms, about 107 µs); guided and plain with the live f16
//! step, and guided with the f32 step (`-f32`).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use improv::improvise::Guidance;
use improv::model::Precision;
use improv::plugin::engine::{Engine, LiveModel, NoteMsg, Settings, TransportInfo};
use std::hint::black_box;

const SR: f32 = 48_000.0;
const BLOCK: u32 = 512;

fn bench(c: &mut Criterion) {
    for (name, guidance) in [("", Guidance::DEFAULT), ("-plain", Guidance::PLAIN)] {
        bench_with(c, name, Settings { guidance, ..Settings::default() }, Precision::LIVE);
    }
    // The f32 step beside the live f16 one, with the default guidance.
    bench_with(c, "-f32", Settings::default(), Precision::F32);
}

fn bench_with(c: &mut Criterion, suffix: &str, settings: Settings, precision: Precision) {
    let weights = improv::default_weights().unwrap();
    let spb = SR as f64 * 60.0 / 120.0;
    let dm7: Vec<NoteMsg> =
        [50u8, 53, 57, 60].iter().map(|&key| NoteMsg { timing: 0, on: true, channel: 1, key, velocity: 0.8 }).collect();
    // Beat 9 falls at sample 216 000, inside block 421 ([215 552, 216 064)): an engine
    // that has played blocks 0..421 holding Dm7 must fill beat 9 in the next block.
    const BOUNDARY_BLOCK: u32 = 421;
    const { assert!(BOUNDARY_BLOCK * BLOCK < 216_000 && 216_000 < (BOUNDARY_BLOCK + 1) * BLOCK) };
    let warmed = || {
        let mut e = Engine::new(Box::new(LiveModel::with_precision(&weights, "bench".into(), precision)));
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
