//! How training scales with the corpus: `training-set/encode/<N>-files/<T>-threads`
//! reads and encodes N generated 16-bar solos; `training-set/epoch/<N>-files/…`
//! runs one epoch over their windows (60 a file) at Keras' batch 32 and at batch
//! 128, on 1 and 2 threads. Files are generated here by `improv::generate` with
//! different seeds and progressions.

use criterion::{Criterion, criterion_group, criterion_main};
use improv::corpus::CorpusOptions;
use improv::dataset::{REFERENCE_DRAW_SEED, REFERENCE_TX, REFERENCE_WINDOWS, Windows};
use improv::generate::{GenerateOptions, changes_from_symbols, generate};
use improv::improvise::Playing;
use improv::model::{Precision, TrainConfig, train};
use improv::theory::symbol::parse_changes;
use improv::training_set::{Encoded, encode_files, find_files};
use std::hint::black_box;
use std::path::PathBuf;

const PROGRESSIONS: [&str; 4] = [
    "C7 | F7 | C7 | C7 | F7 | F7 | C7 | A7 | Dm7 | G7 | C7 A7 | Dm7 G7",
    "Cmaj7 A7 | Dm7 G7 | Em7 A7 | Dm7 G7",
    "Dm7 | G7 | Cmaj7 | Cmaj7 | Em7b5 | A7b9 | Dm7 | Dm7",
    "Fm7 | Bbm7 | Eb7 | Abmaj7 | Dbmaj7 | G7 | Cmaj7 | Cmaj7",
];

/// Writes `n` solos of 16 bars into a fresh folder.
fn corpus(n: usize) -> (tempfile::TempDir, Vec<(PathBuf, Option<String>)>) {
    let weights = improv::default_weights().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let bars = parse_changes(PROGRESSIONS[i % PROGRESSIONS.len()], 4).unwrap();
        let options = GenerateOptions {
            bars: 16,
            tempo: 130.0,
            style: Playing::default(),
            seed: i as u64,
            precision: Precision::LIVE,
        };
        let solo = generate(&weights, &changes_from_symbols(&bars), &options);
        std::fs::write(dir.path().join(format!("solo{i:03}.mid")), solo.to_midi()).unwrap();
    }
    let files = find_files(&[dir.path().to_path_buf()]);
    (dir, files)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("training-set");
    group.sample_size(10);
    let options = CorpusOptions::default();
    for n in [1usize, 10, 100] {
        let (_dir, files) = corpus(n);
        for threads in [1usize, 2] {
            let pool = pool(threads);
            group.bench_function(format!("encode/{n}-files/{threads}-threads"), |b| {
                b.iter(|| pool.install(|| encode_files(black_box(&files), &options, REFERENCE_TX + 1, || {}).len()))
            });
        }
        let reports = encode_files(&files, &options, REFERENCE_TX + 1, || {});
        let encoded = Encoded::of(&reports);
        let tokens: usize = encoded.sequences.iter().map(Vec::len).sum();
        eprintln!("{n} files: {tokens} tokens, {} values", encoded.vocabulary.len());
        let seqs: Vec<&[usize]> = encoded.sequences.iter().map(Vec::as_slice).collect();
        let windows =
            Windows::draw_across(&seqs, REFERENCE_WINDOWS * seqs.len(), REFERENCE_TX, REFERENCE_DRAW_SEED).unwrap();
        for (batch, threads) in [(32usize, 1usize), (32, 2), (128, 1), (128, 2)] {
            let pool = pool(threads);
            let config = TrainConfig { epochs: 1, batch_size: batch, ..TrainConfig::default() };
            group.bench_function(format!("epoch/{n}-files/batch-{batch}/{threads}-threads"), |b| {
                b.iter(|| pool.install(|| train(black_box(&windows), encoded.vocabulary.len(), &config, |_, _| {}).1))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
