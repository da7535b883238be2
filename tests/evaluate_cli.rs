//! `improv evaluate` on small hand-written MIDI files whose every measure is known,
//! and `improv generate --tokens`.

use improv::midi::{Conductor, NoteOut, TrackOut, write_smf};
use improv::score::Beats;
use std::path::Path;
use std::process::Command;

fn improv(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).current_dir(dir).args(args).output().expect("run improv")
}

fn note(start: Beats, length: Beats, key: u8) -> NoteOut {
    NoteOut { start, length, key, velocity: 90 }
}

/// Two bars: Dm7 then G7 (piano, track 2). Melody (track 1): D F A C as eighths, a
/// note 7/12 into beat 3, then B on the G7 downbeat, a 2-beat rest, and two triplet
/// eighths B, low B.
fn file() -> Vec<u8> {
    let b = |n: i64, d: i64| Beats::new(n, d);
    let melody = vec![
        note(b(0, 1), b(1, 2), 62),
        note(b(1, 2), b(1, 2), 65),
        note(b(1, 1), b(1, 2), 69),
        note(b(3, 2), b(1, 2), 72),
        note(b(31, 12), b(1, 4), 74),
        note(b(4, 1), b(1, 1), 71),
        note(b(7, 1), b(1, 3), 71),
        note(b(22, 3), b(1, 3), 59),
    ];
    let mut chords = Vec::new();
    for (at, keys) in [(0, [50u8, 53, 57, 60]), (4, [43, 47, 50, 53])] {
        for k in keys {
            chords.push(note(b(at, 1), b(4, 1), k));
        }
    }
    write_smf(
        Conductor { bpm: 120.0, beats_per_bar: 4 },
        &[
            TrackOut { name: "Solo".into(), channel: 0, program: 26, notes: melody },
            TrackOut { name: "Piano".into(), channel: 1, program: 0, notes: chords },
        ],
    )
}

#[test]
fn a_hand_written_file_measures_as_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("take.mid"), file()).unwrap();
    let out = improv(dir.path(), &["evaluate", "take.mid", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &doc[0]["measures"];
    let close = |k: &str, want: f64| {
        let got = m[k].as_f64().unwrap();
        assert!((got - want).abs() < 1e-6, "{k}: {got}, want {want}");
    };
    assert_eq!(m["notes"], 8);
    assert_eq!(m["bars"], 2);
    close("chord", 1.0);
    close("off_grid", 1.0 / 8.0);
    close("triplet", 1.0 / 8.0);
    close("on_beat", 4.0 / 8.0);
    close("eighth", 2.0 / 8.0);
    assert_eq!(m["phrases"], 3);
    close("notes_per_bar", 4.0);
    close("notes_per_bar_sd", 1.0);
    close("notes_per_bar_spread", 0.25);
    close("leaps", 1.0 / 7.0);
    assert_eq!(m["max_repeats"], 2);
    assert_eq!(m["landings"], 1);
    close("landing_by_step", 0.0);
    close("landing_guide_tone", 1.0);
    // The same take against typed changes, and in the readable form.
    let out = improv(dir.path(), &["evaluate", "take.mid", "--chords", "Dm7 | G7"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("onsets off the sixteenth and triplet grids         12.5 %"),
        "{text}"
    );
    // Bad input: one line, exit 2.
    for args in [&["evaluate", "missing.mid"][..], &["evaluate", "take.mid", "--chords", "H7"], &["evaluate", "."]] {
        let out = improv(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1, "{args:?}");
    }
}

#[test]
fn generate_writes_the_tokens_it_drew() {
    let dir = tempfile::tempdir().unwrap();
    let out = improv(dir.path(), &["generate", "--seed", "3", "--bars", "8", "--tokens", "t.json", "-o", "s.mid"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("t.json")).unwrap()).unwrap();
    let tokens = doc["tokens"].as_array().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let notes = tokens.iter().filter(|t| t["outcome"] == "note").count();
    assert!(stdout.contains(&format!("{notes} notes from {} tokens", tokens.len())), "{stdout}");
    let vocabulary = improv::masters_weights().unwrap().vocabulary;
    let mut last = -1.0;
    for t in tokens {
        assert!(vocabulary.index(t["token"].as_str().unwrap()).is_some(), "{t}");
        let beat = t["beat"].as_f64().unwrap();
        assert!(beat >= last && beat < 32.0, "{t}");
        last = beat;
        match t["outcome"].as_str().unwrap() {
            "note" => assert!(t["key"].as_u64().is_some() && t["length"].as_f64().unwrap() > 0.0, "{t}"),
            "rest" => assert!(t["length"].as_f64().unwrap() > 0.0),
            "skipped" => {}
            other => panic!("outcome {other}"),
        }
    }
    let midi = improv::midi::MidiFile::parse(&std::fs::read(dir.path().join("s.mid")).unwrap()).unwrap();
    assert_eq!(midi.parts[0].notes.len(), notes);
}

/// The longest copy `improv evaluate` prints for a file.
fn longest_copy(stdout: &str) -> usize {
    let line = stdout.lines().find(|l| l.contains("longest verbatim copy")).expect("a copy line");
    line.split_whitespace().last().unwrap().parse().expect("a number")
}

#[test]
fn the_masters_copy_measure_reads_a_solo_in_their_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A solo the masters' model learned from is found whole in its training tokens.
    let wjd = root.join("data/wjd/melody/ArtPepper_Anthropology_FINAL.csv");
    let out = improv(dir.path(), &["evaluate", wjd.to_str().unwrap(), "--model", "wjd"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let whole = longest_copy(&String::from_utf8_lossy(&out.stdout));
    assert!(whole > 300, "{whole}");
    // Its own guided solo copies no more than guidance allows (8 tokens).
    let out = improv(dir.path(), &["generate", "--seed", "4", "--bars", "16", "--feel", "straight", "-o", "s.mid"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = improv(dir.path(), &["evaluate", "s.mid", "--model", "wjd"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copied = longest_copy(&String::from_utf8_lossy(&out.stdout));
    println!("a WJD solo it learned: {whole} tokens found whole; its own guided solo: {copied}");
    assert!((1..=8).contains(&copied), "{copied}");
}
