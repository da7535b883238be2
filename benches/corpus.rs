//! `corpus/metheny`: read and encode the reference file (target: under 5 ms).

use criterion::{Criterion, criterion_group, criterion_main};
use improv::corpus::{Corpus, CorpusOptions};
use std::hint::black_box;
use std::path::Path;

fn corpus(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/original_metheny.mid");
    let options = CorpusOptions::default();
    c.bench_function("corpus/metheny", |b| {
        b.iter(|| {
            let corpus = Corpus::from_path(black_box(&path), &options).unwrap();
            black_box(corpus.tokens().len())
        })
    });
}

criterion_group!(benches, corpus);
criterion_main!(benches);
