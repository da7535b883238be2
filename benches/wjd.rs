//! Reading the Weimar Jazz Database shipped in `data/wjd/`: `wjd/encode/456-files/<T>-threads`
//! reads and encodes every melody table with its beat track and meta.csv row (as
//! `train data/wjd` does), `wjd/report-card/456-files` builds the corpus side of
//! `improv evaluate --against data/wjd` (every solo read and profiled), on 2 threads.
//! `wjd/encode-masters/…` encodes them in the masters' grammar with what the model
//! hears (as `train --hears data/wjd` does), and `wjd/masters-epoch/2-threads` is one
//! epoch of the shipped model's training (12 000 windows of 64 tokens, LSTM 128).

use criterion::{Criterion, criterion_group, criterion_main};
use improv::corpus::CorpusOptions;
use improv::model::{TrainConfig, train_validated};
use improv::report_card::{Card, profile};
use improv::training_set::{Grammar, encode_files, encode_files_in, find_files};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/wjd");
    let files = find_files(&[dir]);
    let music: Vec<PathBuf> = files.iter().filter(|(_, s)| s.is_none()).map(|(p, _)| p.clone()).collect();
    let options = CorpusOptions::default();
    let reports = encode_files(&files, &options, 41, || {});
    let taken = reports.iter().filter(|r| r.outcome.is_ok()).count();
    let tokens: usize = reports.iter().filter_map(|r| r.outcome.as_ref().ok()).map(|t| t.tokens.len()).sum();
    eprintln!("{} melody tables: {taken} taken, {tokens} tokens", music.len());
    let mut group = c.benchmark_group("wjd");
    group.sample_size(10);
    for threads in [1usize, 2] {
        let pool = pool(threads);
        group.bench_function(format!("encode/{}-files/{threads}-threads", music.len()), |b| {
            b.iter(|| pool.install(|| encode_files(black_box(&files), &options, 41, || {}).len()))
        });
    }
    let pool = pool(2);
    group.bench_function(format!("report-card/{}-files/2-threads", music.len()), |b| {
        b.iter(|| {
            pool.install(|| {
                let profiles: Vec<_> = music
                    .par_iter()
                    .filter_map(|p| improv::evaluate::subject_from_path(p, &options, None, false).ok())
                    .map(|s| profile(&s.notes, &s.chords, s.first_bar, s.bars))
                    .collect();
                Card::of(&profiles).notes
            })
        })
    });
    let pool2 = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    group.bench_function(format!("encode-masters/{}-files/2-threads", music.len()), |b| {
        b.iter(|| pool2.install(|| encode_files_in(black_box(&files), &options, Grammar::Masters, 65, || {}).len()))
    });
    // One epoch of the shipped run: the same windows, vocabulary and shape.
    let reports = pool2.install(|| encode_files_in(&files, &options, Grammar::Masters, 65, || {}));
    let taken: Vec<_> = reports.iter().filter_map(|r| r.outcome.as_ref().ok()).collect();
    let lines: Vec<&[Vec<_>]> = taken.iter().map(|t| t.lines.as_slice()).collect();
    let vocabulary = improv::masters::vocabulary(&lines);
    let heard: Vec<improv::masters::HeardLine> =
        taken.iter().flat_map(|t| improv::masters::index_lines(&t.lines, &vocabulary, t.style)).collect();
    let refs: Vec<&improv::masters::HeardLine> = heard.iter().collect();
    let windows = improv::masters::windows(&refs, 12_000, 64, 0).unwrap();
    let config = TrainConfig { epochs: 1, hidden: 128, heard: improv::hearing::FEATURES, ..TrainConfig::default() };
    group.bench_function("masters-epoch/2-threads", |b| {
        b.iter(|| pool2.install(|| train_validated(&windows, None, vocabulary.len(), &config, |_| {}).losses[0]))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
