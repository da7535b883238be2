//! Training a model that hears (`train --hears`) on a subset of the WJD: the
//! same bytes on one and two threads, a file `improv generate --weights` plays,
//! fine-tuning on a player's own files (`train --from`), and the one-line refusals.

mod common;

use common::assert_fails;
use improv::model::Weights;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn train_bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_train")).args(args).output().expect("run train")
}

fn improv_bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).args(args).output().expect("run improv")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Eight WJD solos of four styles, with their beat tracks and meta.csv, in a folder.
fn subset(dir: &Path) -> PathBuf {
    let root = dir.join("wjd");
    for sub in ["melody", "beats"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let wjd = common::project("data/wjd");
    std::fs::copy(wjd.join("meta.csv"), root.join("meta.csv")).unwrap();
    for name in [
        "ArtPepper_Anthropology_FINAL",
        "CharlieParker_Ornithology_FINAL",
        "CannonballAdderley_SoWhat_FINAL",
        "ColemanHawkins_BodyAndSoul_FINAL",
        "JohnColtrane_GiantSteps-1_FINAL",
        "LouisArmstrong_CornetChopSuey_FINAL",
        "MilesDavis_SoWhat_FINAL",
        "SonnyRollins_Airegin_FINAL",
    ] {
        let melody = wjd.join(format!("melody/{name}.csv"));
        assert!(melody.exists(), "{}", melody.display());
        std::fs::copy(&melody, root.join(format!("melody/{name}.csv"))).unwrap();
        let beats = wjd.join(format!("beats/{name}_beattrack.csv"));
        if beats.exists() {
            std::fs::copy(&beats, root.join(format!("beats/{name}_beattrack.csv"))).unwrap();
        }
    }
    root
}

#[test]
fn a_model_that_hears_trains_the_same_on_one_and_two_threads_and_plays() {
    let dir = tempfile::tempdir().unwrap();
    let data = subset(dir.path());
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("h{threads}.bin"));
        let o = train_bin(&[
            "--hears",
            path(&data),
            "--epochs",
            "2",
            "--window-len",
            "32",
            "--hidden",
            "16",
            "--val-files",
            "1",
            "--threads",
            threads,
            "--out",
            path(&out),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("masters' grammar"));
        runs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(runs[0], runs[1], "the weights do not depend on the number of threads");
    let w = Weights::from_bytes(&runs[0]).unwrap();
    assert_eq!(w.hearing, improv::hearing::LAYOUT);
    assert_eq!(w.params.n_heard(), improv::hearing::FEATURES);
    let weights = dir.path().join("h1.bin");
    let solo = dir.path().join("s.mid");
    let o = improv_bin(&[
        "generate",
        "--weights",
        path(&weights),
        "--style",
        "bebop",
        "--bars",
        "4",
        "--chords",
        "Dm7 G7 | Cmaj7",
        "-o",
        path(&solo),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(improv::midi::MidiFile::parse(&std::fs::read(&solo).unwrap()).is_ok());
}

#[test]
fn fine_tuning_keeps_the_masters_vocabulary_and_a_seed_model_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mine.bin");
    let masters = improv::masters_weights().unwrap();
    // A player's own file: the reference MIDI, mapped onto the masters' tokens.
    let o = train_bin(&[
        "--from",
        "wjd",
        path(&common::metheny()),
        "--epochs",
        "1",
        "--window-len",
        "32",
        "--out",
        path(&out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tuned = Weights::load(&out).unwrap();
    assert_eq!(tuned.vocabulary, masters.vocabulary);
    assert_eq!(tuned.params.hidden(), masters.params.hidden());
    assert_ne!(tuned.params, masters.params, "the model moved");
    // The seed model cannot continue on the WJD's tokens: another vocabulary.
    let o = train_bin(&["--from", "metheny", path(&subset(dir.path())), "--epochs", "1", "--out", path(&out)]);
    assert_fails(&o, "vocabulary");
    // Nor can it be asked to hear.
    let o = train_bin(&["--from", "metheny", "--hears", path(&common::metheny()), "--out", path(&out)]);
    assert_fails(&o, "hears only its tokens");
}
