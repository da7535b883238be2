//! Regenerates `MUSICALITY.md`'s tables: `cargo run --release --example musicality -- [SEEDS]`
//! (default 20 seeds; `scripts/musicality.sh` writes the file).

use improv::improvise::Guidance;
use improv::model::Precision;
use improv::musicality::{corpus_row, missed, report, study};

fn main() {
    let seeds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let weights = improv::default_weights().expect("embedded weights");
    let seeds: Vec<u64> = (1..=seeds).collect();
    let corpus = corpus_row();
    let plain = study(&weights, Guidance::PLAIN, &seeds, Precision::LIVE);
    let guided = study(&weights, Guidance::DEFAULT, &seeds, Precision::LIVE);
    print!("{}", report(&corpus, &plain, &guided, seeds.len()));
    for m in missed(&guided) {
        eprintln!("missed: {m}");
    }
}
