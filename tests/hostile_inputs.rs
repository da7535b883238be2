//! Hostile and damaged inputs through every reader: devices and huge files, RIFF
//! MIDI, degenerate models, and a seeded mutation fuzzer for the MIDI reader, the
//! weights reader and the chord-symbol parser. Every case is read or refused: no
//! panic, under a second each, and the whole run under 200 MB.
//!
//! The run here is bounded (2,000+ mutants of each kind) so CI stays fast; a longer
//! one for release checks: `IMPROV_FUZZ_CASES=100000 cargo test --release --test
//! hostile_inputs -- --nocapture`.

mod common;

use common::assert_fails;
use improv::corpus::{Corpus, CorpusOptions, chord_bars};
use improv::generate::{GenerateOptions, generate, reference_changes};
use improv::improvise::Playing;
use improv::model::{Precision, Weights, WeightsError};
use improv::score::Beats;
use improv::theory::symbol::parse_changes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::Command;
use std::time::{Duration, Instant};

fn improv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).args(args).output().expect("run improv")
}

fn cases() -> usize {
    std::env::var("IMPROV_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

/// Peak resident memory of this process, in MB.
fn peak_mb() -> f64 {
    #[cfg(target_os = "linux")]
    {
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: getrusage writes into the struct it is given.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        usage.ru_maxrss as f64 / 1024.0
    }
    #[cfg(not(target_os = "linux"))]
    0.0
}

/// A mutant of `original`: bytes overwritten, cut, duplicated, or a run of 0xFF
/// (which makes variable-length and length fields huge).
fn mutate(original: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    let len = bytes.len().max(1);
    match rng.random_range(0..5) {
        0 => {
            for _ in 0..rng.random_range(1..10) {
                let i = rng.random_range(0..len).min(bytes.len().saturating_sub(1));
                if let Some(b) = bytes.get_mut(i) {
                    *b = rng.random();
                }
            }
        }
        1 => bytes.truncate(rng.random_range(0..len)),
        2 => {
            let (a, b) = (rng.random_range(0..len), rng.random_range(0..len));
            let piece = bytes[a.min(b)..a.max(b)].to_vec();
            let at = rng.random_range(0..len);
            bytes.splice(at..at, piece);
        }
        3 => {
            let at = rng.random_range(0..len);
            let n = rng.random_range(1..9).min(bytes.len() - at.min(bytes.len()));
            bytes[at..at + n].fill(0xFF);
        }
        _ => {
            let at = rng.random_range(0..len);
            bytes.truncate(at);
            bytes.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
        }
    }
    bytes
}

/// Gives a weights file the checksum its body deserves, so the mutant reaches the
/// decoder instead of stopping at the checksum.
fn recompute_checksum(bytes: &mut [u8]) {
    if bytes.len() >= 24 {
        let crc = crc32fast::hash(&bytes[24..]);
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
        let len = (bytes.len() - 24) as u64;
        bytes[12..20].copy_from_slice(&len.to_le_bytes());
    }
}

/// A message for a user: no Rust debug text (`Utf8 { inner: … }`, `Some(3)`) and
/// no words said twice ("invalid midi: invalid midi header").
fn assert_plain(message: &str) {
    for marker in [" { ", "Some(", "Error(", "invalid midi: invalid"] {
        assert!(!message.contains(marker), "{marker:?} in {message:?}");
    }
}

fn timed<T>(what: &str, worst: &mut Duration, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    *worst = (*worst).max(took);
    assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    out
}

#[test]
fn midi_mutants_are_read_or_refused() {
    let mut rng = StdRng::seed_from_u64(10);
    let bases: Vec<Vec<u8>> = [
        "tests/data/corpus/solos/blues_seed3.mid",
        "tests/data/corpus/solos/rhythm_seed5.mid",
        "data/original_metheny.mid",
    ]
    .iter()
    .map(|p| std::fs::read(common::project(p)).unwrap())
    .collect();
    let (mut read, mut worst) = (0usize, Duration::ZERO);
    for case in 0..cases() {
        // One mutant in ten is of the 92 KB reference file, the rest of 2 KB solos.
        let base = &bases[if case % 10 == 9 { 2 } else { case % 2 }];
        let bytes = mutate(base, &mut rng);
        let result = timed("corpus", &mut worst, || Corpus::from_bytes(&bytes, &CorpusOptions::default()));
        let ok = result.as_ref().map_err(|e| assert_plain(&e.to_string())).is_ok();
        timed("chord_bars", &mut worst, || chord_bars(&bytes, None, Beats::from_integer(4)).is_ok());
        read += usize::from(ok);
    }
    eprintln!("MIDI: {} mutants, {read} read, worst {worst:?}, peak {:.0} MB", cases(), peak_mb());
    assert!(read > 0 && read < cases());
    assert!(peak_mb() < 200.0, "peak {:.0} MB", peak_mb());
}

#[test]
fn weights_mutants_are_read_or_refused() {
    let mut rng = StdRng::seed_from_u64(11);
    let changes = reference_changes();
    let options =
        GenerateOptions { bars: 4, tempo: 120.0, style: Playing::default(), seed: 1, precision: Precision::LIVE };
    let bebop = GenerateOptions {
        style: Playing { style: improv::hearing::JazzStyle::Bebop, ..Playing::default() },
        ..options
    };
    let (mut read, mut reached_decoder, mut worst) = (0usize, 0usize, Duration::ZERO);
    for case in 0..cases() {
        // Both formats: the seed model's (version 2) and the masters' (version 5: it
        // hears, and has its styles' voices, which bebop plays).
        let original = if case % 2 == 0 { improv::DEFAULT_WEIGHTS } else { improv::MASTERS_WEIGHTS };
        let mut bytes = mutate(original, &mut rng);
        // Three in four get a valid checksum and length, so they reach the decoder.
        if case % 4 != 0 {
            recompute_checksum(&mut bytes);
        }
        let loaded = timed("weights", &mut worst, || Weights::from_bytes(&bytes));
        if let Err(e) = &loaded {
            assert_plain(&e.to_string());
        }
        reached_decoder += usize::from(!matches!(loaded, Err(WeightsError::Checksum | WeightsError::BadMagic)));
        if let Ok(w) = loaded {
            read += 1;
            let options = if case % 2 == 0 { &options } else { &bebop };
            timed("generate", &mut worst, || generate(&w, &changes, options).notes.len());
        }
    }
    eprintln!(
        "weights: {} mutants, {reached_decoder} past the checksum, {read} loaded and played, worst {worst:?}, peak {:.0} MB",
        cases(),
        peak_mb()
    );
    assert!(reached_decoder > cases() / 2);
    assert!(peak_mb() < 200.0, "peak {:.0} MB", peak_mb());
}

#[test]
fn wjd_mutants_are_read_or_refused() {
    let mut rng = StdRng::seed_from_u64(13);
    let melody = std::fs::read(common::project("data/wjd/melody/BixBeiderbecke_Margie_FINAL.csv")).unwrap();
    let beats = std::fs::read(common::project("data/wjd/beats/BixBeiderbecke_Margie_FINAL_beattrack.csv")).unwrap();
    let (mut read, mut worst) = (0usize, Duration::ZERO);
    for case in 0..cases() {
        let ok = if case % 3 == 2 {
            // A damaged beat track beside a good melody, and alone as changes.
            let bytes = mutate(&beats, &mut rng);
            timed("chord_bars", &mut worst, || chord_bars(&bytes, None, Beats::from_integer(4)).is_ok());
            let r = timed("wjd beats", &mut worst, || {
                Corpus::from_wjd(&melody, Some(&bytes), None, &CorpusOptions::default())
            });
            r.map_err(|e| assert_plain(&e.to_string())).is_ok()
        } else {
            let bytes = mutate(&melody, &mut rng);
            let r = timed("wjd melody", &mut worst, || {
                Corpus::from_wjd(&bytes, Some(&beats), None, &CorpusOptions::default())
            });
            timed("corpus", &mut worst, || Corpus::from_bytes(&bytes, &CorpusOptions::default()).is_ok());
            r.map_err(|e| assert_plain(&e.to_string())).is_ok()
        };
        read += usize::from(ok);
    }
    let symbols = "C-7 Bbj7911# F79b13b Ab-6/Eb D7alt Gsus7913 E+79# Bm7b5 C#o7 NC".as_bytes();
    for _ in 0..cases() {
        let text = String::from_utf8_lossy(&mutate(symbols, &mut rng)).into_owned();
        for s in improv::wjd::symbol::lead_sheet_symbols(&text) {
            let _ = timed("symbol", &mut worst, || improv::wjd::symbol::parse(s));
        }
    }
    eprintln!("WJD: {} mutants, {read} read, worst {worst:?}, peak {:.0} MB", cases(), peak_mb());
    assert!(read > 0 && read < cases());
    assert!(peak_mb() < 200.0, "peak {:.0} MB", peak_mb());
}

#[test]
fn chord_symbol_mutants_are_read_or_refused() {
    let mut rng = StdRng::seed_from_u64(12);
    let base = "Dm7 G7 | Cmaj7 | A7b9 | % | F#m7b5 B7(#9,b13) | Ebmaj7/G | C6/9 | Bbø7 | E°7 | G7alt".as_bytes();
    let (mut read, mut worst) = (0usize, Duration::ZERO);
    for _ in 0..cases() {
        let bytes = mutate(base, &mut rng);
        let text = String::from_utf8_lossy(&bytes);
        read += usize::from(timed("changes", &mut worst, || parse_changes(&text, 4).is_ok()));
    }
    eprintln!("chords: {} mutants, {read} read, worst {worst:?}", cases());
    assert!(read > 0 && read < cases());
}

/// A sample of the mutants through the command line: exit 0, or one line on stderr
/// with exit 2; never a panic or an abort.
#[test]
fn mutants_through_the_command_line_fail_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(13);
    let midi = std::fs::read(common::project("tests/data/corpus/solos/blues_seed3.mid")).unwrap();
    for case in 0..40 {
        let (path, args): (_, Vec<&str>) = if case % 2 == 0 {
            let mut w = mutate(improv::DEFAULT_WEIGHTS, &mut rng);
            recompute_checksum(&mut w);
            let p = dir.path().join(format!("w{case}.bin"));
            std::fs::write(&p, w).unwrap();
            (p, vec!["model", "--weights"])
        } else {
            let p = dir.path().join(format!("m{case}.mid"));
            std::fs::write(&p, mutate(&midi, &mut rng)).unwrap();
            (p, vec!["generate", "--bars", "2", "-o", "/dev/null", "--chords-from"])
        };
        let mut all = args.clone();
        all.push(path.to_str().unwrap());
        let out = improv(&all);
        if !out.status.success() {
            assert_fails(&out, &path.display().to_string());
        }
    }
}

/// `/dev/zero` (endless) as every kind of input is refused at the size limit.
#[cfg(unix)]
#[test]
fn endless_inputs_are_refused_at_the_size_limit() {
    for args in [
        &["corpus", "/dev/zero"][..],
        &["model", "--weights", "/dev/zero"],
        &["generate", "--weights", "/dev/zero", "-o", "/dev/null"],
        &["generate", "--chords-from", "/dev/zero", "-o", "/dev/null"],
        &["evaluate", "/dev/zero"],
    ] {
        assert_fails(&improv(args), "larger than the");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_train")).args(["/dev/zero", "--out", "/dev/null"]).output().unwrap();
    assert_fails(&out, "larger than the 32 MB");
}

/// A RIFF MIDI file (`.rmi`) is its Standard MIDI File in a `data` chunk.
#[test]
fn riff_midi_files_are_read() {
    let smf = std::fs::read(common::project("tests/data/corpus/solos/blues_seed3.mid")).unwrap();
    let mut rmid = b"RIFF".to_vec();
    let mut body = b"RMID".to_vec();
    body.extend_from_slice(b"INFO\x03\x00\x00\x00abc\x00"); // an odd-sized chunk, padded
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(smf.len() as u32).to_le_bytes());
    body.extend_from_slice(&smf);
    rmid.extend_from_slice(&(body.len() as u32).to_le_bytes());
    rmid.extend_from_slice(&body);
    let plain = Corpus::from_bytes(&smf, &CorpusOptions::default()).unwrap();
    let wrapped = Corpus::from_bytes(&rmid, &CorpusOptions::default()).unwrap();
    assert_eq!(wrapped.grammars, plain.grammars);
    let cut = &rmid[..rmid.len() - 10];
    let err = Corpus::from_bytes(cut, &CorpusOptions::default()).unwrap_err().to_string();
    assert!(err.contains("the RIFF data chunk declares"), "{err}");
}

/// A masters' model file cut short, or with an absurd size behind a valid
/// checksum, is one line and exit 2 in the CLI.
#[test]
fn a_damaged_masters_model_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &improv::MASTERS_WEIGHTS[..improv::MASTERS_WEIGHTS.len() / 2]).unwrap();
    assert_fails(&improv(&["generate", "--weights", cut.to_str().unwrap(), "-o", "/dev/null"]), "truncated");
    // Tensors that do not fit each other behind a valid checksum: refused by shape.
    let mut w = improv::masters_weights().unwrap();
    w.params.recurrent = ndarray::Array2::zeros((1, 4));
    let bytes = w.to_bytes();
    let huge = dir.path().join("huge.bin");
    std::fs::write(&huge, bytes).unwrap();
    let out = improv(&["generate", "--weights", huge.to_str().unwrap(), "-o", "/dev/null"]);
    assert_fails(&out, "shape");
    // Styles' voices that are absurd behind a valid checksum: too loud, for a
    // feature the model does not hear, twice, or of the wrong length.
    let good = improv::masters_weights().unwrap();
    let (feature, n) = (good.heard_logits[0].0, good.vocabulary.len());
    for (voices, says) in [
        (vec![(feature, vec![1e9; n])], "within ±"),
        (vec![(feature, vec![f32::NAN; n])], "within ±"),
        (vec![(9999, vec![0.0; n])], "does not hear"),
        (vec![(feature, vec![0.0; n]), (feature, vec![0.0; n])], "twice"),
        (vec![(feature, vec![0.0; 3])], "for 324 outputs"),
    ] {
        let mut w = good.clone();
        w.heard_logits = voices;
        let path = dir.path().join("voices.bin");
        std::fs::write(&path, w.to_bytes()).unwrap();
        let out = improv(&["generate", "--weights", path.to_str().unwrap(), "--style", "bebop", "-o", "/dev/null"]);
        assert_fails(&out, says);
    }
}

/// Models that decode but cannot play are refused with the rule they break.
#[test]
fn degenerate_models_are_refused() {
    let good = improv::default_weights().unwrap();
    // Finite but huge weights: the logits overflow.
    let mut huge = good.clone();
    huge.params.dense.iter_mut().enumerate().for_each(|(i, w)| *w = if i % 2 == 0 { 3.4e38 } else { -3.4e38 });
    let err = Weights::from_bytes(&huge.to_bytes()).unwrap_err().to_string();
    assert!(err.contains("not a probability distribution"), "{err}");
    // A model that only ever draws rests.
    let mut silent = good.clone();
    for (i, v) in good.vocabulary.values().iter().enumerate() {
        silent.params.dense_bias[i] = if v.starts_with('R') { 1e4 } else { -1e4 };
    }
    let err = Weights::from_bytes(&silent.to_bytes()).unwrap_err().to_string();
    assert!(err.contains("drew no note in 64 tokens"), "{err}");
    // A vocabulary of nothing but rests.
    let mut rests = good.clone();
    rests.vocabulary = improv::grammar::Vocabulary::from_tokens(&["R,0.250", "R,0.500"]);
    let mut rng = StdRng::seed_from_u64(1);
    rests.params = improv::model::Params::keras_init(2, 8, &mut rng);
    rests.corpus = vec![vec![0, 1, 0]];
    rests.sources[0].tokens = 3;
    let err = Weights::from_bytes(&rests.to_bytes()).unwrap_err().to_string();
    assert!(err.contains("could only be silent"), "{err}");
    // The command line says so in one line.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("silent.bin");
    std::fs::write(&p, silent.to_bytes()).unwrap();
    assert_fails(&improv(&["generate", "--weights", p.to_str().unwrap(), "-o", "/dev/null"]), "unusable model");
}
