//! `generate/64-bars`: a 64-bar solo over the reference changes, in process, to MIDI
//! bytes (no audio), with the default guidance — target under 20 ms — and without.
//!
//! `generate/64-bars-wjd` and `…-wjd-taste-8`: the masters' model, without a taste
//! and playing to one (Taste 1, 8 candidate phrases at each phrase start, the
//! preference fitted to a rule's ratings of one solo's phrases): what the search
//! costs offline.

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

/// A taste fitted to ratings of a 32-bar solo's phrases: good when they end on a
/// guide tone and rest two beats.
fn some_taste(weights: &improv::model::Weights, options: &GenerateOptions) -> improv::taste::Taste {
    use improv::taste::{Preference, Taste, features::features, phrases::of_solo};
    let solo = generate(weights, &reference_changes(), &GenerateOptions { bars: 32, seed: 1, ..*options });
    let examples: Vec<_> = of_solo(&solo)
        .iter()
        .map(|p| (features(&p.notes, p.rest_after), p.rest_after >= 24 && p.notes.last().is_some_and(|n| n.guide)))
        .collect();
    Taste { weight: 1.0, candidates: 8, preference: Preference::fit(&examples).expect("rated phrases") }
}

fn bench_taste(c: &mut Criterion) {
    use improv::generate::generate_to_taste;
    let weights = improv::masters_weights().unwrap();
    let changes = reference_changes();
    let options =
        GenerateOptions { bars: 64, tempo: 130.0, style: Playing::default(), seed: 7, precision: Precision::LIVE };
    c.bench_function("generate/64-bars-wjd", |b| {
        b.iter(|| generate(&weights, &changes, black_box(&options)).to_midi())
    });
    let taste = some_taste(&weights, &options);
    c.bench_function("generate/64-bars-wjd-taste-8", |b| {
        b.iter(|| generate_to_taste(&weights, &changes, black_box(&options), Some(taste), &mut |_| {}).to_midi())
    });
}

criterion_group!(benches, bench, bench_taste);
criterion_main!(benches);
