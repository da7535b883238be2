//! The regression folder of hostile files (built by `tests/common/hostile.rs`, which
//! `cargo run --example hostile_files FOLDER` also writes) through every entry point that reads
//! its kind of file: `improv corpus`, `train`, `improv generate --chords-from`
//! (MIDI and lead sheets), `improv generate --weights` and `improv model --weights`
//! (weights). The plugin's loader gets the weights files in `tests/plugin_host.rs`.
//! Each run ends with exit 0, or exit 2 and one plain line on stderr; a file the
//! reader must refuse is refused by every entry point, and at least one names the
//! reason it was built for; a failed run leaves no file behind; each run takes
//! under 10 s in a debug build.

mod common;

use common::hostile::{Hostile, Kind, files};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Writes the regression folder, as `cargo run --example hostile_files FOLDER` does.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in files() {
        std::fs::write(dir.path().join(file.name), &file.bytes).unwrap();
    }
    dir
}

fn run(program: &str, args: &[&str], cwd: &Path) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(program).args(args).current_dir(cwd).output().expect("run");
    (out, started.elapsed())
}

/// The entry points that read `kind`, as (label, program, arguments before and after the file).
fn entry_points(kind: Kind) -> Vec<(&'static str, &'static str, Vec<&'static str>, Vec<&'static str>)> {
    let improv = env!("CARGO_BIN_EXE_improv");
    let train = env!("CARGO_BIN_EXE_train");
    match kind {
        Kind::Midi | Kind::Sheet => vec![
            ("corpus", improv, vec!["corpus"], vec![]),
            (
                "train",
                train,
                vec![],
                vec![
                    "--epochs",
                    "1",
                    "--windows",
                    "8",
                    "--out",
                    "w.bin",
                    "--loss-png",
                    "loss.png",
                    "--loss-csv",
                    "loss.csv",
                ],
            ),
            (
                "generate --chords-from",
                improv,
                vec!["generate", "--bars", "4", "--chords-from"],
                vec!["-o", "solo.mid"],
            ),
        ],
        Kind::Wjd => vec![
            ("corpus", improv, vec!["corpus"], vec![]),
            ("train", train, vec![], vec!["--epochs", "1", "--windows", "8", "--out", "w.bin"]),
            (
                "generate --chords-from",
                improv,
                vec!["generate", "--bars", "4", "--chords-from"],
                vec!["-o", "solo.mid"],
            ),
            ("evaluate", improv, vec!["evaluate"], vec![]),
        ],
        Kind::Weights => vec![
            ("generate --weights", improv, vec!["generate", "--bars", "4", "-o", "solo.mid", "--weights"], vec![]),
            ("model --weights", improv, vec!["model", "--weights"], vec![]),
        ],
    }
}

fn check(file: &Hostile, path: &Path) -> Vec<String> {
    let mut table = Vec::new();
    for (label, program, before, after) in entry_points(file.kind) {
        let work = tempfile::tempdir().unwrap();
        let path = path.to_str().unwrap();
        let args: Vec<&str> = before.iter().copied().chain([path]).chain(after.iter().copied()).collect();
        let (out, took) = run(program, &args, work.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("{} through {label}", file.name);
        assert!(took < Duration::from_secs(10), "{what}: took {took:?}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        let code = out.status.code();
        assert!(code == Some(0) || code == Some(2), "{what}: exit {code:?}, {stderr}");
        if code == Some(2) {
            assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: one line: {stderr}");
            assert!(!stderr.chars().any(|c| c.is_control() && c != '\n'), "{what}: control characters: {stderr:?}");
            let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert!(left.is_empty(), "{what}: failed but left {left:?}");
        } else {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                !stdout.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{what}: control characters on stdout"
            );
        }
        if file.refused.is_some() {
            assert_eq!(code, Some(2), "{what}: must be refused, exit {code:?}");
        }
        table.push(format!(
            "{:<34} {:<24} exit {} {:>6.0} ms  {}",
            file.name,
            label,
            code.unwrap_or(-1),
            took.as_secs_f64() * 1e3,
            stderr.trim_end()
        ));
    }
    table
}

/// A WJD table with a 1 GB line (a sparse file: it costs no disk) is refused at
/// the size limit by every reader, without reading it whole.
#[test]
fn a_wjd_table_with_a_gigabyte_line_is_refused_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gigabyte-line.csv");
    let file = std::fs::File::create(&path).unwrap();
    use std::io::Write;
    (&file).write_all(common::hostile::WJD_HEADER.trim_end().as_bytes()).unwrap();
    file.set_len(1 << 30).unwrap();
    let file = Hostile { name: "gigabyte-line.csv", kind: Kind::Wjd, bytes: Vec::new(), refused: Some("larger than") };
    let lines = check(&file, &path);
    assert!(lines.iter().all(|l| l.contains("larger than")), "{}", lines.join("\n"));
}

#[test]
fn every_hostile_file_through_every_entry_point() {
    let dir = folder();
    let dir = dir.path();
    let mut table = Vec::new();
    for file in files() {
        let lines = check(&file, &dir.join(file.name));
        // The reason the file is refused for is named (by the reader it targets;
        // another entry point may stop earlier, e.g. `corpus` at a single part).
        if let Some(words) = file.refused {
            assert!(
                lines.iter().any(|l| l.contains(words)),
                "{}: {words:?} in none of\n{}",
                file.name,
                lines.join("\n")
            );
        }
        table.extend(lines);
    }
    println!("{}", table.join("\n"));
}
