//! `generate/64-bars`: a 64-bar solo over the reference changes, in process, to MIDI
//! bytes (no audio), with the default guidance — target under 20 ms — and without.

use criterion::{Criterion, criterion_group, criterion_main};
use improv::generate::{GenerateOptions, generate, reference_changes};
use improv::improvise::{Guidance, Playing};
use improv::model::Precision;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let weights = improv::default_weights().unwrap();
    let changes = reference_changes();
    let options =
        GenerateOptions { bars: 64, tempo: 130.0, style: Playing::default(), seed: 7, precision: Precision::LIVE };
    c.bench_function("generate/64-bars", |b| b.iter(|| generate(&weights, &changes, black_box(&options)).to_midi()));
    let plain = GenerateOptions { style: Playing { guidance: Guidance::PLAIN, ..Playing::default() }, ..options };
    c.bench_function("generate/64-bars-plain", |b| {
        b.iter(|| generate(&weights, &changes, black_box(&plain)).to_midi())
    });
    // Everything the CLI does before writing: parse the embedded weights and the
    // embedded reference changes, then generate.
    c.bench_function("generate/64-bars-cold", |b| {
        b.iter(|| {
            let w = improv::default_weights().unwrap();
            generate(&w, &reference_changes(), black_box(&options)).to_midi()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
