//! Regenerates `MUSICALITY.md`'s tables: `cargo run --release --example musicality -- [SEEDS]`
//! (default 20 seeds; `scripts/musicality.sh` writes the file).

use improv::improvise::Guidance;
use improv::model::Precision;
use improv::musicality::{corpus_row, folder_row, missed, report, report_masters, study};

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
    let masters = improv::masters_weights().expect("embedded masters' weights");
    let wjd = folder_row(std::path::Path::new("data/wjd"));
    let plain = study(&masters, Guidance::PLAIN, &seeds, Precision::LIVE);
    let guided = study(&masters, Guidance::DEFAULT, &seeds, Precision::LIVE);
    println!("\n## The masters' model's targets\n");
    print!("{}", report_masters(&wjd, &plain, &guided, seeds.len()));
    for m in missed(&guided) {
        eprintln!("masters' model missed: {m}");
    }
}
