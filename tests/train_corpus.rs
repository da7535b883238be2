//! Training on a corpus: the reference MIDI, solos written by `improv generate`
//! and hand-written MusicXML lead sheets, in files and folders; the per-file
//! table, determinism on 1 and 2 threads, validation and early stopping, and the
//! documented outcome of bad inputs.

mod common;

use common::assert_fails;
use improv::model::Weights;
use std::path::Path;
use std::process::{Command, Output};

fn train_bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_train")).args(args).output().expect("run train")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The corpus inputs: the reference file, the corpus folder (generated solos, a
/// blues head, a README) and the lead-sheet folder (two sheets taken with short
/// windows, one too short, one without chord symbols).
fn corpus_inputs() -> Vec<String> {
    ["data/original_metheny.mid", "tests/data/corpus", "tests/data/leadsheets"]
        .iter()
        .map(|p| common::project(p).display().to_string())
        .collect()
}

#[test]
fn a_corpus_trains_to_the_same_bytes_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}.bin"));
        let mut args: Vec<String> = corpus_inputs();
        // Batch 64: two parts of 32 windows, computed in parallel on two threads.
        for a in ["--epochs", "3", "--window-len", "6", "--batch", "64", "--threads", threads, "--out", path(&out)] {
            args.push(a.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = train_bin(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        runs.push((std::fs::read(&out).unwrap(), stdout(&o)));
    }
    assert_eq!(runs[0].0, runs[1].0, "same inputs and seed, 1 or 2 threads: the same bytes");
    let table = &runs[0].1;
    eprintln!("{table}");
    let line_with = |file: &str, said: &str| table.lines().any(|l| l.contains(file) && l.contains(said));
    assert!(line_with("README.txt", "skipped: not a MIDI, MusicXML or WJD file"), "{table}");
    assert!(line_with("no_chord_symbols.musicxml", "skipped: no chord symbols"), "{table}");
    assert!(line_with("pickup_grace_repeat.musicxml", "skipped: 4 tokens; a training window needs 7"), "{table}");
    assert!(line_with("slash_and_altered.mxl", "P1 \"Lead & Changes\" / P1 \"Lead & Changes\""), "{table}");
    assert!(table.contains("7 of 10 files taken"), "{table}");
    let w = Weights::from_bytes(&runs[0].0).unwrap();
    let names: Vec<&str> = w.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "original_metheny.mid",
            "f_blues_head.musicxml",
            "blues_seed3.mid",
            "minor_ii_v_seed9.mid",
            "rhythm_seed5.mid",
            "slash_and_altered.musicxml",
            "slash_and_altered.mxl"
        ]
    );
    let tokens: Vec<u32> = w.sources.iter().map(|s| s.tokens).collect();
    assert_eq!(tokens, [275, 61, 174, 170, 156, 8, 8]);
    assert_eq!(
        w.corpus.iter().map(Vec::len).collect::<Vec<_>>(),
        tokens.iter().map(|&t| t as usize).collect::<Vec<_>>()
    );
    assert_eq!(w.training.source_name, "7 files");
    // 60 windows a training file by default.
    assert_eq!(w.training.windows, 420);
}

#[test]
fn validation_is_printed_saved_and_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let (out, csv, png) = (dir.path().join("v.bin"), dir.path().join("loss.csv"), dir.path().join("loss.png"));
    let mut args: Vec<String> = corpus_inputs();
    let extra = ["--epochs", "60", "--val-files", "1", "--early-stop", "3", "--lr", "0.05"];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(
        ["--out", path(&out), "--loss-csv", path(&csv), "--loss-png", path(&png)].iter().map(|s| s.to_string()),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = train_bin(&args);
    let text = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    eprintln!("{text}");
    assert!(text.contains("validation: ") && text.contains("windows of the held-out file ("), "{text}");
    assert!(text.contains("stopped early") && text.contains("kept epoch"), "{text}");
    let w = Weights::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    let epochs = w.training.losses.len();
    assert!(epochs < 60, "early stopping ran {epochs} epochs");
    assert_eq!(w.validation.len(), epochs);
    // The kept epoch is the best one, and patience 3 ran exactly 3 more.
    let best = w.validation.iter().copied().enumerate().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0 + 1;
    assert_eq!(epochs, best + 3);
    let lines: Vec<String> = std::fs::read_to_string(&csv).unwrap().lines().map(str::to_string).collect();
    assert_eq!(lines[0], "epoch,loss,val_loss");
    assert_eq!(lines.len(), epochs + 1);
    assert_eq!(lines[1].split(',').count(), 3);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    // A share of the windows works too, and the same run gives the same file.
    let share = |name: &str| {
        let out = dir.path().join(name);
        let m = common::metheny();
        let o = train_bin(&["--midi", path(&m), "--epochs", "4", "--val-share", "0.2", "--out", path(&out)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout(&o).contains("validation: 12 held-out windows; training: 48 windows"), "{}", stdout(&o));
        std::fs::read(out).unwrap()
    };
    assert_eq!(share("a.bin"), share("b.bin"));
}

#[test]
fn bad_corpus_inputs_have_a_documented_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.bin");
    let o = path(&out);
    // An empty folder.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_fails(&train_bin(&[path(&empty), "--out", o]), "no files found");
    // A folder of files that are not music: one table line each, then exit 2.
    let junk = dir.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    for f in ["a.txt", "b.pdf", "c.jpg"] {
        std::fs::write(junk.join(f), b"not music").unwrap();
    }
    let run = train_bin(&[path(&junk), "--out", o]);
    assert_fails(&run, "none of the 3 files found is usable");
    assert_eq!(stdout(&run).matches("skipped: not a MIDI, MusicXML or WJD file").count(), 3, "{}", stdout(&run));
    // One corrupt file among good ones: skipped with its reason, the rest train.
    let mixed = dir.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(common::metheny(), mixed.join("good.mid")).unwrap();
    let mut broken = std::fs::read(common::metheny()).unwrap();
    broken.truncate(broken.len() / 2);
    std::fs::write(mixed.join("broken.mid"), &broken).unwrap();
    std::fs::write(mixed.join("bad.musicxml"), b"<score-partwise><part id='P1'><measure>").unwrap();
    let run = train_bin(&[path(&mixed), "--epochs", "2", "--out", o]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let table = stdout(&run);
    let line_with = |file: &str, said: &str| table.lines().any(|l| l.contains(file) && l.contains(said));
    assert!(
        line_with("broken.mid", "skipped: ") && line_with("bad.musicxml", "skipped: not readable MusicXML"),
        "{table}"
    );
    assert_eq!(table.matches("skipped:").count(), 2, "{table}");
    assert!(table.contains("1 of 3 files taken"), "{table}");
    std::fs::remove_file(&out).unwrap();
    // The automatic melody choice took a two-note part: the message says which, and how to choose.
    let note = |start: i64, key: u8| improv::midi::NoteOut {
        start: improv::score::Beats::new(start, 2),
        length: improv::score::Beats::new(1, 2),
        key,
        velocity: 90,
    };
    let line: Vec<_> = (0..128).map(|i| note(i, 60 + (i % 7) as u8)).collect();
    let chords: Vec<_> = (0..16).flat_map(|b| [48u8, 52, 55].map(|k| note(b * 8, k))).collect();
    let track = |name: &str, channel: u8, notes: Vec<improv::midi::NoteOut>| improv::midi::TrackOut {
        name: name.into(),
        channel,
        program: 0,
        notes,
    };
    let bytes = improv::midi::write_smf(
        improv::midi::Conductor { bpm: 120.0, beats_per_bar: 4 },
        &[track("Sax", 0, line), track("Whistle", 1, vec![note(0, 96), note(8, 98)]), track("Keys", 2, chords)],
    );
    let three = dir.path().join("three.mid");
    std::fs::write(&three, bytes).unwrap();
    let run = train_bin(&[path(&three), "--out", o]);
    assert_fails(&run, "(melody track 2 \"Whistle\"; chosen automatically, another can be named with --melody-track)");
    assert!(train_bin(&[path(&three), "--melody-track", "Sax", "--epochs", "1", "--out", o]).status.success());
    std::fs::remove_file(&out).unwrap();
    // A lead sheet without chord symbols, alone.
    let sheet = common::project("tests/data/leadsheets/no_chord_symbols.musicxml");
    assert_fails(&train_bin(&[path(&sheet), "--out", o]), "no chord symbols");
    // A path that does not exist, and flags that contradict each other.
    assert_fails(&train_bin(&["/nonexistent/solos", "--out", o]), "no such file or folder");
    let m = common::metheny();
    assert_fails(&train_bin(&[path(&m), "--early-stop", "3", "--out", o]), "--early-stop needs a validation set");
    assert_fails(&train_bin(&[path(&m), "--val-files", "1", "--out", o]), "leaves no file to train on");
    assert_fails(&train_bin(&[path(&m), "--val-share", "0.9", "--out", o]), "--val-share");
    assert_fails(&train_bin(&[path(&m), "--threads", "0", "--out", o]), "--threads");
    assert_fails(&train_bin(&["--out", o]), "name the files or folders");
    assert!(!out.exists(), "no weights after a failure");
}
