//! `improv corpus` end to end: the summary, JSON, and every kind of bad input.

mod common;

use improv::midi::{Conductor, NoteOut, TrackOut, write_smf};
use improv::score::Beats;
use std::path::Path;
use std::process::Command;

fn improv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).args(args).output().expect("run improv")
}

fn assert_clean_failure(path: &Path, reason: &str) {
    let out = improv(&["corpus", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(&path.display().to_string()), "names the file: {stderr}");
    assert!(stderr.contains(reason), "says {reason:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let metheny = std::fs::read(common::metheny()).unwrap();
    let one_track = write_smf(
        Conductor { bpm: 120.0, beats_per_bar: 4 },
        &[TrackOut {
            name: "Lead".into(),
            channel: 0,
            program: 0,
            notes: vec![NoteOut {
                start: Beats::from_integer(0),
                length: Beats::from_integer(1),
                key: 60,
                velocity: 80,
            }],
        }],
    );
    let no_notes = write_smf(Conductor { bpm: 120.0, beats_per_bar: 4 }, &[]);
    assert_clean_failure(&write("empty.mid", b""), "empty file");
    assert_clean_failure(&write("text.mid", b"MThe quick brown fox"), "not a valid MIDI file");
    assert_clean_failure(&write("cut.mid", &metheny[..40_000]), "truncated");
    assert_clean_failure(&write("silent.mid", &no_notes), "no notes");
    assert_clean_failure(&write("solo.mid", &one_track), "only one part");
    assert_clean_failure(dir.path(), "directory");
    assert_clean_failure(&dir.path().join("missing.mid"), "not found");
}

#[test]
fn bad_selector_and_window_are_errors() {
    let path = common::metheny();
    let out = improv(&["corpus", path.to_str().unwrap(), "--melody-track", "Kazoo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no track matches \"Kazoo\""));
    let out = improv(&["corpus", path.to_str().unwrap(), "--window", "9..3"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn summary_and_json_of_the_reference_file() {
    let path = common::metheny();
    let out = improv(&["corpus", path.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Melody: track 11 \"Guitar\""), "{text}");
    assert!(text.contains("Chords: track 6 \"Piano\""));
    assert!(text.contains("Measures: 18"));
    assert!(text.contains("Tokens: 275, distinct values: 90"));
    assert!(text.contains("C 117"));

    let out = improv(&["corpus", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["tokens"].as_array().unwrap().len(), 275);
    assert_eq!(json["vocabulary"].as_array().unwrap().len(), 90);
    assert_eq!(json["measures"].as_array().unwrap().len(), 18);
    assert_eq!(json["token_types"]["R"], 82);
    let golden = common::golden("preprocess.json");
    assert_eq!(json["measures"][0]["grammar"], golden["abstract_grammars"][0]);
}

#[test]
fn a_users_whole_file_without_the_reference_window() {
    // Choosing tracks by hand switches the reference defaults off: the whole solo.
    let path = common::metheny();
    let out =
        improv(&["corpus", path.to_str().unwrap(), "--melody-track", "guitar", "--chord-track", "piano", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["window"].is_null());
    assert!(json["tokens"].as_array().unwrap().len() > 1000);
}

/// `improv corpus song.mid --json | head -1`: the reader goes away early; Improv ends
/// quietly (SIGPIPE, as Unix tools do) instead of panicking in `println!`.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_improv"))
        .args(["corpus", "--json"])
        .arg(common::metheny())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // close the reading end before the JSON (over 64 KB) is written
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
