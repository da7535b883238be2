//! The trainer and the weights file end to end: provenance of the default weights,
//! determinism, the optimiser's wiring, and bad input.

mod common;

use common::assert_fails;

use improv::corpus::{Corpus, CorpusOptions};
use improv::dataset::Windows;
use improv::grammar::Vocabulary;
use improv::model::{TrainConfig, Weights, train};
use std::path::Path;
use std::process::{Command, Output};

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().expect("run binary")
}

fn train_bin(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_train"), args)
}

fn reference_windows() -> (Windows, usize) {
    let c = Corpus::from_path(&common::metheny(), &CorpusOptions::default()).unwrap();
    let tokens = c.tokens();
    let v = Vocabulary::from_tokens(&tokens);
    (Windows::reference(&v.encode(&tokens).unwrap()).unwrap(), v.len())
}

#[test]
fn default_weights_come_from_the_documented_command() {
    let w = improv::default_weights().unwrap();
    assert_eq!(w.params.count(), 45_530);
    assert_eq!(w.vocabulary.len(), improv::model::REFERENCE_VALUES);
    assert_eq!(w.training.source_sha256, improv::corpus::REFERENCE_SHA256);
    let first = w.training.losses[0];
    assert!((128.0..=131.0).contains(&first), "epoch 1 loss {first}");
    assert!(w.training.final_loss().unwrap() <= 10.0);
    // Retraining with the documented command gives the committed file, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metheny.bin");
    let midi = common::metheny();
    let o = train_bin(&["--midi", midi.to_str().unwrap(), "--seed", "0", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), improv::DEFAULT_WEIGHTS);
}

#[test]
fn same_seed_same_file_other_seed_other_file() {
    let dir = tempfile::tempdir().unwrap();
    let midi = common::metheny();
    let paths: Vec<_> = ["a", "b", "c"].iter().map(|n| dir.path().join(format!("{n}.bin"))).collect();
    for (p, seed) in paths.iter().zip(["7", "7", "8"]) {
        let o = train_bin(&[
            "--midi",
            midi.to_str().unwrap(),
            "--epochs",
            "3",
            "--seed",
            seed,
            "--out",
            p.to_str().unwrap(),
        ]);
        assert!(o.status.success());
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("final loss") && stdout.contains("sequences/s"), "{stdout}");
    }
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(bytes[0], bytes[1]);
    assert_ne!(bytes[0], bytes[2]);
    assert_eq!(Weights::from_bytes(&bytes[0]).unwrap().training.epochs, 3);
}

#[test]
fn learning_rate_changes_the_curve() {
    let (w, n) = reference_windows();
    let curve =
        |lr: f32| train(&w, n, &TrainConfig { epochs: 4, learning_rate: lr, ..Default::default() }, |_, _| {}).1;
    let (half, base, double) = (curve(0.005), curve(0.01), curve(0.02));
    for (a, b) in [(&half, &base), (&base, &double), (&half, &double)] {
        assert!((a[3] - b[3]).abs() > 0.1, "{a:?} vs {b:?}");
    }
    // Larger steps descend faster in these first epochs.
    assert!(double[3] < base[3] && base[3] < half[3], "{half:?} {base:?} {double:?}");
}

#[test]
fn outputs_csv_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, png, out) = (dir.path().join("l.csv"), dir.path().join("l.png"), dir.path().join("w.bin"));
    let midi = common::metheny();
    let o = train_bin(&[
        "--midi",
        midi.to_str().unwrap(),
        "--epochs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--loss-csv",
        csv.to_str().unwrap(),
        "--loss-png",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.starts_with("epoch,loss\n1,"));
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn bad_training_input() {
    let dir = tempfile::tempdir().unwrap();
    let midi = common::metheny();
    let out = dir.path().join("w.bin");
    let m = midi.to_str().unwrap();
    assert_fails(&train_bin(&["--midi", m, "--epochs", "0", "--out", out.to_str().unwrap()]), "--epochs");
    assert_fails(&train_bin(&["--midi", m, "--lr=-1", "--out", out.to_str().unwrap()]), "--lr");
    assert_fails(&train_bin(&["--midi", m, "--out", "/nonexistent-dir/w.bin"]), "/nonexistent-dir/w.bin");
    assert_fails(&train_bin(&["--midi", m, "--out", dir.path().to_str().unwrap()]), "is a directory");
    // A two-bar tune has fewer than the 31 tokens a 30-token window needs.
    let tiny = dir.path().join("tiny.mid");
    let melody: Vec<_> = (0..8)
        .map(|i| improv::midi::NoteOut {
            start: improv::score::Beats::new(i, 1),
            length: improv::score::Beats::new(1, 1),
            key: 72 + (i % 3) as u8,
            velocity: 90,
        })
        .collect();
    let chords = vec![improv::midi::NoteOut {
        start: improv::score::Beats::from_integer(0),
        length: improv::score::Beats::from_integer(8),
        key: 48,
        velocity: 60,
    }];
    let bytes = improv::midi::write_smf(
        improv::midi::Conductor { bpm: 120.0, beats_per_bar: 4 },
        &[
            improv::midi::TrackOut { name: "Lead".into(), channel: 0, program: 0, notes: melody },
            improv::midi::TrackOut { name: "Keys".into(), channel: 1, program: 0, notes: chords },
        ],
    );
    std::fs::write(&tiny, bytes).unwrap();
    assert_fails(&train_bin(&["--midi", tiny.to_str().unwrap(), "--out", out.to_str().unwrap()]), "needs 31");
    assert!(!out.exists(), "no output file after a failure");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary files left");
}

#[test]
fn bad_weights_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = improv::DEFAULT_WEIGHTS.to_vec();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut corrupt = good.clone();
    corrupt[5000] ^= 1;
    let mut version = good.clone();
    version[8..12].copy_from_slice(&9u32.to_le_bytes());
    let mut w = improv::default_weights().unwrap();
    w.params.dense = ndarray::Array2::zeros((64, 89));
    let shape = w.to_bytes();
    let mut w = improv::default_weights().unwrap();
    w.vocabulary = Vocabulary::from_tokens(&w.vocabulary.values()[..89]);
    let vocab = w.to_bytes();
    let improv_bin = env!("CARGO_BIN_EXE_improv");
    let cases: [(&str, &[u8], &str); 6] = [
        ("truncated.bin", &good[..1000], "truncated"),
        ("corrupt.bin", &corrupt, "checksum"),
        ("version.bin", &version, "version 9"),
        ("shape.bin", &shape, "wrong shape"),
        ("vocab.bin", &vocab, "vocabulary"),
        ("midi.bin", &std::fs::read(common::metheny()).unwrap(), "not an Improv weights file"),
    ];
    for (name, bytes, needle) in cases {
        let p = write(name, bytes);
        assert_fails(&run(improv_bin, &["model", "--weights", p.to_str().unwrap()]), needle);
    }
    assert_fails(&run(improv_bin, &["model", "--weights", dir.path().to_str().unwrap()]), "directory");
    let ok = write("ok.bin", &good);
    assert!(run(improv_bin, &["model", "--weights", ok.to_str().unwrap()]).status.success());
}

#[test]
fn keras_weights_import() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/keras/weights.json")).unwrap();
    let p = improv::model::Params::from_keras_json(&text).unwrap();
    assert_eq!(p.count(), 45_530);
    assert!(improv::model::Params::from_keras_json("{\"lstm_kernel\": [[1.0]]}").is_err());
    assert!(improv::model::Params::from_keras_json("not json").is_err());
}
