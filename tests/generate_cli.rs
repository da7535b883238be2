//! `improv generate` end to end: outputs, determinism, the reference flow, chord
//! changes, and bad input.

mod common;

use common::assert_fails;

use improv::generate::{REFERENCE_SETS, REFERENCE_TOKENS, generate_reference};
use std::path::Path;
use std::process::{Command, Output};

fn improv_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).current_dir(dir).args(args).output().expect("run improv")
}

#[test]
fn midi_audio_and_picture_from_nothing() {
    // An empty folder: everything comes from the binary (plus an installed SoundFont).
    let dir = tempfile::tempdir().unwrap();
    let out =
        improv_in(dir.path(), &["generate", "-o", "solo.mid", "--wav", "solo.wav", "--png", "solo.png", "--seed", "4"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("18 bars at 130 BPM, seed 4"), "{stdout}");
    assert!(stdout.contains("chord tones"), "{stdout}");

    // MIDI: our reader reads it back; melody and chords on separate tracks and channels.
    let midi = improv::midi::MidiFile::parse(&std::fs::read(dir.path().join("solo.mid")).unwrap()).unwrap();
    assert_eq!(midi.format, 1);
    assert_eq!(midi.parts.len(), 2);
    assert_ne!(midi.parts[0].channel, midi.parts[1].channel);
    assert!(midi.parts[0].notes.len() > 60, "{} melody notes", midi.parts[0].notes.len());
    assert!((midi.initial_bpm() - 130.0).abs() < 0.01);

    // WAV: header, duration of 18 bars at 130 BPM plus the release tail, peak at -1 dBFS.
    let (seconds, peak_db, rms) = wav_stats(&dir.path().join("solo.wav"));
    let want = 18.0 * 4.0 * 60.0 / 130.0 + improv::render::TAIL_SECONDS;
    assert!((seconds - want).abs() < 0.01, "{seconds} s, want {want}");
    assert!((peak_db - -1.0).abs() < 0.5, "peak {peak_db:.2} dBFS");
    assert!(rms > 0.05, "RMS {rms}");

    // PNG: a picture with notes of each colour class present, in shades of their
    // colour (velocity as shade: Auto feel, the default).
    let img = image::open(dir.path().join("solo.png")).unwrap().to_rgb8();
    assert!(img.width() >= 900 && img.height() >= 620, "{}×{}", img.width(), img.height());
    let shades = |rgb: [u8; 3]| {
        (1..=127u8)
            .map(|v| improv::render::shade(plotters::style::RGBColor(rgb[0], rgb[1], rgb[2]), v))
            .map(|c| [c.0, c.1, c.2])
            .collect::<std::collections::HashSet<[u8; 3]>>()
    };
    let count = |rgb: [u8; 3]| {
        let set = shades(rgb);
        img.pixels().filter(|p| set.contains(&p.0)).count()
    };
    assert!(count([31, 119, 180]) > 500, "chord-tone notes drawn");
    assert!(count([44, 160, 44]) > 100, "scale-tone notes drawn");
    let distinct = |rgb: [u8; 3]| {
        let set = shades(rgb);
        img.pixels().filter(|p| set.contains(&p.0)).map(|p| p.0).collect::<std::collections::HashSet<_>>().len()
    };
    assert!(distinct([31, 119, 180]) >= 5, "chord tones in several shades: their velocities vary");
}

/// Length in seconds, peak in dBFS and RMS of a 16-bit stereo 44.1 kHz WAV.
fn wav_stats(path: &Path) -> (f64, f64, f64) {
    let mut wav = hound::WavReader::open(path).unwrap();
    let spec = wav.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, 44_100, 16));
    let seconds = wav.duration() as f64 / 44_100.0;
    let samples: Vec<f64> = wav.samples::<i16>().map(|s| s.unwrap() as f64 / 32767.0).collect();
    let peak = samples.iter().fold(0f64, |p, s| p.max(s.abs()));
    let rms = (samples.iter().map(|s| s * s).sum::<f64>() / samples.len() as f64).sqrt();
    (seconds, 20.0 * peak.log10(), rms)
}

/// The reference flow's melodies run past its 5 bars: the render lasts until the
/// last note has ended (plus the tail), at the level asked for.
#[test]
fn every_render_covers_its_last_note_at_the_level_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = improv_in(dir.path(), &["generate", "--reference", "--seed", "0", "--wav", "r.wav", "--peak", "-6"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run = generate_reference(&improv::default_weights().unwrap(), 0);
    let last_off = run.solo.end_seconds();
    assert!(last_off > run.solo.seconds() + 5.0, "the reference's notes run past its bars");
    let (seconds, peak_db, _) = wav_stats(&dir.path().join("r.wav"));
    assert!(seconds >= last_off + improv::render::TAIL_SECONDS - 0.01, "{seconds} s < last note-off {last_off} s");
    assert!((peak_db - -6.0).abs() < 0.5, "peak {peak_db:.2} dBFS");
    for bad in ["1", "-61", "loud"] {
        let out = improv_in(dir.path(), &["generate", "--wav", "x.wav", "--peak", bad, "-o", "x.mid"]);
        assert_eq!(out.status.code(), Some(2), "--peak {bad}");
        assert!(!dir.path().join("x.mid").exists());
    }
}

#[test]
fn same_seed_same_file_other_seed_other_solo() {
    let dir = tempfile::tempdir().unwrap();
    for (name, seed) in [("a.mid", "11"), ("b.mid", "11"), ("c.mid", "12")] {
        let out = improv_in(dir.path(), &["generate", "-o", name, "--seed", seed, "--bars", "8"]);
        assert!(out.status.success());
    }
    let read = |n: &str| std::fs::read(dir.path().join(n)).unwrap();
    assert_eq!(read("a.mid"), read("b.mid"));
    assert_ne!(read("a.mid"), read("c.mid"));
    // Greedy is deterministic whatever the seed of sampling... but decoding still draws.
    let out = improv_in(dir.path(), &["generate", "-o", "g.mid", "--temperature", "0", "--bars", "4"]);
    assert!(out.status.success());
}

#[test]
fn reference_flow_structure() {
    let weights = improv::default_weights().unwrap();
    let run = generate_reference(&weights, 0);
    assert_eq!(run.solo.bars, REFERENCE_SETS);
    assert_eq!(run.solo.beats(), 20);
    assert_eq!(run.tokens_per_set.len(), 5);
    for set in &run.tokens_per_set {
        assert_eq!(set.len(), REFERENCE_TOKENS);
        assert_eq!(set, &run.tokens_per_set[0], "greedy from a zero state: the same 50 tokens");
    }
    // The sets start 4 beats apart and each runs on past its own bar (the overlap quirk).
    let firsts: Vec<i64> = (0..5)
        .map(|s| run.solo.notes.iter().filter(|n| n.start >= improv::score::Beats::from_integer(4 * s)).count() as i64)
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] > w[1]));
    assert!(run.solo.notes.iter().any(|n| n.start > improv::score::Beats::from_integer(20)));
    let dir = tempfile::tempdir().unwrap();
    let out = improv_in(dir.path(), &["generate", "--reference", "-o", "ref.mid", "--seed", "0"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 bars at 130 BPM"));
}

#[test]
fn changes_from_symbols_and_from_a_midi_file() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        improv_in(dir.path(), &["generate", "--chords", "Dm7 G7 | Cmaj7 | A7b9 | %", "-o", "c.mid", "--seed", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 bars"));
    let midi = improv::midi::MidiFile::parse(&std::fs::read(dir.path().join("c.mid")).unwrap()).unwrap();
    let chord_keys: std::collections::BTreeSet<u8> = midi.parts[1].notes.iter().map(|n| n.key % 12).collect();
    // D F A C, G B D F, C E G B, A C# E G Bb.
    assert_eq!(chord_keys.into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 4, 5, 7, 9, 10, 11]);
    let metheny = common::metheny();
    let out = improv_in(
        dir.path(),
        &[
            "generate",
            "--chords-from",
            metheny.to_str().unwrap(),
            "--chord-track",
            "piano",
            "--bars",
            "6",
            "-o",
            "m.mid",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"Piano\""));
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bad.bin"), b"not weights").unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["generate", "--chords", "Dm7 | Xm7"], "column 7"),
        (&["generate", "--bars", "0"], "--bars"),
        (&["generate", "--temperature=-1"], "--temperature"),
        (&["generate", "--tempo", "0"], "--tempo"),
        (&["generate", "--low", "80", "--high", "60"], "--low"),
        (&["generate", "--weights", "bad.bin"], "bad.bin"),
        (&["generate", "--wav", "s.wav", "--soundfont", "missing.sf2"], "missing.sf2"),
        (&["generate", "--chords-from", "nothing.mid"], "nothing.mid"),
    ];
    for (args, needle) in cases {
        assert_fails(&improv_in(d, args), needle);
    }
    let left: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("bad.bin")], "no output written");
}

/// A device, FIFO or `-` as an output is written into, never replaced by a file
/// (as root, renaming over `/dev/null` would turn it into a regular file).
#[cfg(unix)]
#[test]
fn stream_outputs_are_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let leftovers = || {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".improv-"))
            .count()
    };
    let before = leftovers();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = improv_in(dir.path(), &["generate", "--seed", "1", "--bars", "2", "-o", "out.fifo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Checked before joining the reader, which would wait forever on a replaced FIFO.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "still a FIFO");
    let bytes = reader.join().unwrap();
    assert!(bytes.starts_with(b"MThd"), "the MIDI file came through the FIFO");
    let out = improv_in(dir.path(), &["generate", "--seed", "1", "--bars", "2", "-o", "-"]);
    assert!(out.status.success() && out.stdout.starts_with(b"MThd"), "MIDI on standard output");
    let midi = improv::midi::MidiFile::parse(&out.stdout).expect("nothing but the MIDI file on standard output");
    assert!(!midi.parts.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Improv solo"), "the report goes to standard error");
    assert!(!dir.path().join("-").exists());
    let out =
        improv_in(dir.path(), &["generate", "--seed", "1", "--bars", "2", "-o", "/dev/null", "--png", "/dev/null"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert_eq!(leftovers(), before, "temporary files left behind");
}

/// Every refusal is one line on stderr with exit 2: clap's usage errors, negative
/// numbers, control characters in names, absurdly long numbers.
#[test]
fn refusals_are_one_printable_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["generate", "--frobnicate"], "unexpected argument '--frobnicate'"),
        (&["generate", "--seed", "-1"], "invalid value '-1' for '--seed <SEED>'"),
        (&["generate", "--weights", "evil\nname\x1b[31m.bin"], "evil\\nname\\u{1b}[31m.bin"),
        (&["generate", "--tempo", &"9".repeat(309)], "is not between 20 and 400"),
        (&["generate", "--bars", &"9".repeat(309)], "(309 digits)"),
        (&["generate", "--bars", "x"], "invalid value 'x'"),
        (&[], "no command given"),
    ];
    for (args, needle) in cases {
        let out = improv_in(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle) && !err.contains('\x1b'), "{args:?}: {err}");
        assert!(err.len() < 500, "{args:?}: {} bytes", err.len());
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
}

/// Bars from `--bars`, `--chords` and `--chords-from` are all under one limit, and
/// a file whose chords are 268 million beats apart is refused at once instead of
/// building its empty bars one by one.
#[test]
fn every_source_of_bars_has_one_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 81 bytes: one ticks per quarter, a C triad, a delta time of 0x0FFFFFFF, another C triad.
    let mut track = Vec::new();
    for k in [60u8, 64, 67] {
        track.extend_from_slice(&[0, 0x90, k, 64]);
    }
    track.extend_from_slice(&[1, 0x80, 60, 0, 0, 0x80, 64, 0, 0, 0x80, 67, 0]);
    track.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0x7F, 0x90, 60, 64, 0, 0x90, 64, 64, 0, 0x90, 67, 64]);
    track.extend_from_slice(&[1, 0x80, 60, 0, 0, 0x80, 64, 0, 0, 0x80, 67, 0, 0, 0xFF, 0x2F, 0]);
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01\0\x01MTrk".to_vec();
    file.extend_from_slice(&(track.len() as u32).to_be_bytes());
    file.extend_from_slice(&track);
    std::fs::write(dir.path().join("gap.mid"), &file).unwrap();
    let started = std::time::Instant::now();
    let out = improv_in(dir.path(), &["generate", "--chords-from", "gap.mid", "--bars", "8"]);
    assert!(started.elapsed().as_secs_f64() < 5.0, "took {:?}", started.elapsed());
    assert_fails(&out, "more than the 10000 a solo may have");
    let many = vec!["C"; 10_001].join(" | ");
    assert_fails(&improv_in(dir.path(), &["generate", "--chords", &many]), "10001 bars");
    assert_fails(&improv_in(dir.path(), &["generate", "--bars", "10001"]), "between 1 and 10000");
    assert!(!dir.path().join("solo.mid").exists());
}

/// Audio has a length limit, checked before anything is written; a SoundFont that
/// is not one is refused before the MIDI file is written.
#[test]
fn audio_length_and_soundfont_are_checked_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = improv_in(d, &["generate", "--tempo", "20", "--bars", "10000", "--wav", "x.wav"]);
    assert_fails(&out, "the solo lasts 33 h 20 min; --wav renders at most 60 min");
    std::fs::write(d.join("fake.sf2"), std::fs::read(common::metheny()).unwrap()).unwrap();
    std::fs::write(d.join("empty.sf2"), b"").unwrap();
    for font in ["fake.sf2", "empty.sf2"] {
        let out = improv_in(d, &["generate", "--bars", "2", "--wav", "x.wav", "--soundfont", font]);
        assert_fails(&out, "not a usable SoundFont");
    }
    let mut left: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["empty.sf2", "fake.sf2"], "no solo.mid, no WAV, no temporary file");
}

/// SIGTERM (or Ctrl-C) during a long render removes the partial WAV.
#[cfg(unix)]
#[test]
fn an_interrupted_render_leaves_no_partial_file() {
    let Ok(font) = improv::render::find_soundfont(None) else {
        eprintln!("no SoundFont installed: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_improv"))
        .current_dir(dir.path())
        .args(["generate", "--bars", "400", "--tempo", "40", "--peak", "raw", "--wav", "long.wav", "--soundfont"])
        .arg(&font)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let partial = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".improv-"))
            .count()
    };
    let started = std::time::Instant::now();
    while partial() == 0 {
        assert!(started.elapsed().as_secs() < 60, "the render never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted; the partial file was removed"), "{err}");
    assert_eq!(partial(), 0, "the partial WAV is gone");
    assert!(!dir.path().join("long.wav").exists());
}

/// `--feel`: straight is the file `improv generate` wrote before feel existed, byte
/// for byte (a golden file); auto (the default) shapes the dynamics, lays back and
/// articulates; manual sets the velocity and the gate; the tokens do not change.
#[test]
fn feel_moves_onsets_note_offs_and_velocities_but_not_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        // The Metheny model's straight line is the baseline every change is compared with.
        let mut args =
            vec!["generate", "--model", "metheny", "--bars", "16", "--seed", "5", "--tempo", "160", "-o", name];
        let tokens = format!("{name}.json");
        args.extend(["--tokens", tokens.as_str()]);
        args.extend(extra);
        let out = improv_in(dir.path(), &args);
        assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        // The line: the tokens drawn (the file also records the settings, --style among them).
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join(&tokens)).unwrap()).unwrap();
        let tokens = serde_json::to_vec(&[&doc["tokens"], &doc["phrases"]]).unwrap();
        (bytes, tokens, improv::midi::MidiFile::parse(&std::fs::read(dir.path().join(name)).unwrap()).unwrap())
    };
    let (plain, plain_tokens, plain_midi) = run("plain.mid", &["--feel", "straight"]);
    let golden = std::fs::read(common::project("tests/golden/straight-seed5-16-bars-160-bpm.mid")).unwrap();
    assert_eq!(plain, golden, "straight is the output without feel, byte for byte");
    let (default, default_tokens, default_midi) = run("default.mid", &[]);
    assert_eq!(default_tokens, plain_tokens);
    assert_ne!(default, plain, "auto is the default");
    assert_eq!(default_midi.parts[0].notes.len(), plain_midi.parts[0].notes.len());

    let (_, manual_tokens, manual) = run("manual.mid", &["--feel", "manual", "--velocity", "70", "--gate", "0.5"]);
    assert_eq!(manual_tokens, plain_tokens, "feel does not change the line");
    let melody = &manual.parts[0].notes;
    assert_eq!(melody.len(), plain_midi.parts[0].notes.len());
    assert!(melody.iter().all(|n| n.velocity == 70));
    for w in melody.windows(2) {
        assert!(w[0].off < w[1].on, "a gated note ends before the next starts");
    }

    let (_, auto_tokens, auto) = run("auto.mid", &["--feel", "auto", "--style", "bebop"]);
    assert_eq!(auto_tokens, plain_tokens);
    let v: Vec<f64> = auto.parts[0].notes.iter().map(|n| n.velocity as f64).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    assert!(sd >= 6.0, "velocity sd {sd:.1}");
    let tpq = auto.ticks_per_quarter as u64;
    let first = auto.parts[0].notes[0].on;
    let written = plain_midi.parts[0].notes[0].on;
    assert!(first > written && first - written < tpq / 8, "the line is laid back: {written} → {first}");
    for w in auto.parts[0].notes.windows(2) {
        assert!(w[0].off < w[1].on, "no note reaches the next");
    }
    assert_eq!(auto.parts[1].notes, plain_midi.parts[1].notes, "the chords are as written");

    for (flag, value, needle) in
        [("--swing", "2.5", "swing ratio"), ("--lay-back", "-3", "lay-back"), ("--gate", "0", "gate")]
    {
        let out = improv_in(dir.path(), &["generate", "--feel", "manual", flag, value, "-o", "bad.mid"]);
        assert_fails(&out, needle);
        assert!(!dir.path().join("bad.mid").exists());
    }
}
