//! The Weimar Jazz Database shipped in `data/wjd/`: every solo read or refused in
//! one line, every chord symbol parsed, the two halves of the corpus alike, and
//! the folder as training material and as changes to play over.
//!
//! CI reads every fourth solo; `IMPROV_WJD_FULL=1` (what `scripts/wjd-check.sh`
//! sets, in release mode) reads all 456 and checks the exact counts.

mod common;

use improv::corpus::{Corpus, CorpusOptions};
use improv::report_card::{Card, Overlaps, profile};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn full() -> bool {
    std::env::var("IMPROV_WJD_FULL").is_ok_and(|v| v == "1")
}

/// The melody tables read: all of them, or every fourth in CI.
fn melodies() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::project("data/wjd/melody"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 456, "the WJD has 456 solos");
    if full() { files } else { files.into_iter().step_by(4).collect() }
}

#[test]
fn every_solo_is_read_or_refused_in_one_line_and_counted() {
    let files = melodies();
    let (mut read, mut notes, mut snapped, mut dropped, mut symbols, mut no_chord_bars) = (0, 0, 0, 0, 0, 0);
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused_symbols: BTreeMap<String, usize> = BTreeMap::new();
    let mut with_meta = 0;
    for path in &files {
        match Corpus::from_path(path, &CorpusOptions::default()) {
            Ok(c) => {
                read += 1;
                let facts = c.wjd.as_ref().expect("a WJD corpus");
                with_meta += usize::from(facts.meta.is_some());
                let k = &facts.counts;
                (notes, snapped, dropped, symbols) =
                    (notes + k.notes, snapped + k.snapped, dropped + k.dropped, symbols + k.symbols);
                no_chord_bars += k.bars_without_chord;
                for (s, n) in &k.refused_symbols {
                    *refused_symbols.entry(s.clone()).or_default() += n;
                }
                assert!(matches!(c.file, improv::corpus::FileKind::Wjd { beat_track: true }), "{}", path.display());
                assert!(c.tokens().len() > 20, "{}", path.display());
            }
            Err(e) => {
                let line = e.to_string();
                assert_eq!(line.lines().count(), 1, "{line}");
                // The kind of refusal, without the file's own details.
                let kind = if line.contains("Improv plays over changes in 4/4") {
                    "another metre".to_string()
                } else if line.contains("the metre changes") {
                    "the metre changes".to_string()
                } else if line.contains("has a chord") {
                    "no chord in any bar (free playing)".to_string()
                } else {
                    line
                };
                *refused.entry(kind).or_default() += 1;
            }
        }
    }
    println!(
        "{} files: {read} read ({with_meta} with meta.csv), refused {refused:?}; {notes} notes, {snapped} snapped, \
         {dropped} dropped; {symbols} chord runs, refused symbols {refused_symbols:?}; {no_chord_bars} bars under NC left out",
        files.len()
    );
    assert_eq!(with_meta, read, "every solo finds its meta.csv row");
    assert!(refused_symbols.is_empty(), "every WJD chord symbol is understood: {refused_symbols:?}");
    assert!(snapped > 0 && dropped <= snapped, "{snapped} snapped, {dropped} dropped");
    assert!(
        refused
            .keys()
            .all(|k| k.starts_with("another metre") || k.starts_with("the metre") || k.starts_with("no chord"))
    );
    if full() {
        assert_eq!((read, files.len() - read), (425, 31));
        assert_eq!(refused.get("another metre"), Some(&19));
    } else {
        assert!(read * 10 >= files.len() * 9, "{read} of {}", files.len());
    }
}

#[test]
fn every_chord_symbol_in_meta_csv_and_the_beat_tracks_parses() {
    let meta = std::fs::read(common::project("data/wjd/meta.csv")).unwrap();
    let rows = improv::wjd::read_meta(&meta).unwrap();
    assert_eq!(rows.len(), 456);
    let mut distinct: BTreeMap<String, usize> = BTreeMap::new();
    for m in &rows {
        for s in improv::wjd::symbol::lead_sheet_symbols(&m.chord_changes) {
            *distinct.entry(s.to_string()).or_default() += 1;
        }
    }
    let from_meta = distinct.len();
    for path in melodies() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let beats = common::project(&format!("data/wjd/beats/{name}_beattrack.csv"));
        for row in improv::wjd::read_beats(&std::fs::read(beats).unwrap()).unwrap() {
            *distinct.entry(row.chord).or_default() += 1;
        }
    }
    let refused: Vec<(&String, String)> =
        distinct.keys().filter_map(|s| improv::wjd::symbol::parse(s).err().map(|e| (s, e))).collect();
    println!("{} distinct symbols ({from_meta} in meta.csv's lead sheets), {} refused", distinct.len(), refused.len());
    assert!(refused.is_empty(), "{refused:?}");
    assert!(from_meta > 350, "{from_meta}");
}

#[test]
fn the_two_halves_of_the_corpus_look_alike() {
    // Odd and even among the solos read (every fourth of them in CI).
    let profiles: Vec<_> = melodies()
        .iter()
        .filter_map(|path| improv::evaluate::subject_from_path(path, &CorpusOptions::default(), None, false).ok())
        .map(|s| profile(&s.notes, &s.chords, s.first_bar, s.bars))
        .collect();
    let half = |parity: usize| -> Vec<_> { profiles.iter().skip(parity).step_by(2).cloned().collect() };
    let (a, b) = (Card::of(&half(0)), Card::of(&half(1)));
    let o = Overlaps::between(&a, &b);
    println!(
        "halves of {} and {} solos: overlap intervals {:.3}, gaps {:.3}, lengths {:.3}, positions {:.3}; H1 {:.2} / {:.2}",
        a.solos,
        b.solos,
        o.intervals,
        o.gaps,
        o.lengths,
        o.positions,
        a.h1.unwrap_or(0.0),
        b.h1.unwrap_or(0.0)
    );
    // With every fourth solo (CI) each half holds about 53; with all, about 212.
    let floor = if full() { 0.95 } else { 0.90 };
    assert!(o.min() >= floor, "{o:?}");
}

/// A folder laid out as the database ships: melody/, beats/ and meta.csv.
fn small_wjd_folder(solos: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("melody")).unwrap();
    std::fs::create_dir_all(dir.path().join("beats")).unwrap();
    std::fs::copy(common::project("data/wjd/meta.csv"), dir.path().join("meta.csv")).unwrap();
    for s in solos {
        let melody = format!("melody/{s}_FINAL.csv");
        let beats = format!("beats/{s}_FINAL_beattrack.csv");
        std::fs::copy(common::project(&format!("data/wjd/{melody}")), dir.path().join(&melody)).unwrap();
        std::fs::copy(common::project(&format!("data/wjd/{beats}")), dir.path().join(&beats)).unwrap();
    }
    dir
}

#[test]
fn train_reads_a_wjd_folder_with_its_companions() {
    let dir = small_wjd_folder(&["BixBeiderbecke_Margie", "ChetBaker_JustFriends", "WayneShorter_Footprints"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .arg(dir.path())
        .args(["--epochs", "1", "--windows", "16", "--out"])
        .arg(dir.path().join("w.bin"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Two solos taken; Footprints (6/4) skipped with its reason; no beat track or
    // meta.csv listed as a skipped input.
    assert!(stdout.contains("2 of 3 files taken"), "{stdout}");
    assert!(stdout.contains("6/4"), "{stdout}");
    assert!(!stdout.contains("beattrack") && !stdout.contains("meta.csv"), "{stdout}");
}

#[test]
fn generate_plays_over_a_wjd_beat_track() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("giant.mid");
    let melody = common::project("data/wjd/melody/JohnColtrane_GiantSteps-1_FINAL.csv");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_improv"))
        .args(["generate", "--bars", "8", "--seed", "3", "--chords-from"])
        .arg(&melody)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stdout).contains("from beat track"));
    // Giant Steps: B D7 | G Bb7 | Eb | Am7 D7 | G Bb7 | Eb F#7 | B | Fm7 Bb7.
    let bytes = std::fs::read(&out).unwrap();
    let (bars, _) = improv::corpus::chord_bars(&bytes, None, improv::score::Beats::from_integer(4)).unwrap();
    let roots: Vec<String> =
        bars.iter().take(8).flat_map(|bar| bar.iter().map(|ch| improv::theory::symbol::name_chord(&ch.keys))).collect();
    let want =
        ["Bmaj7", "D7", "Gmaj7", "Bb7", "Ebmaj7", "Am7", "D7", "Gmaj7", "Bb7", "Ebmaj7", "F#7", "Bmaj7", "Fm7", "Bb7"];
    let got: Vec<&str> = roots.iter().map(String::as_str).collect();
    assert_eq!(got, want, "{roots:?}");
}

/// The feel issue's table: per style, the median (and quartiles) over solos
/// with at least 20 eighth pairs of each solo's median swing ratio, every
/// metre, from the onsets in seconds: (style, solos, median, q1, q3).
const SWING_BY_STYLE: [(&str, usize, f64, f64, f64); 8] = [
    ("all", 313, 1.24, 1.13, 1.39),
    ("SWING", 43, 1.40, 1.27, 1.52),
    ("BEBOP", 41, 1.28, 1.15, 1.41),
    ("COOL", 43, 1.28, 1.14, 1.38),
    ("HARDBOP", 54, 1.16, 1.08, 1.27),
    ("POSTBOP", 97, 1.16, 1.09, 1.34),
    ("TRADITIONAL", 20, 1.40, 1.27, 1.53),
    ("FUSION", 10, 1.10, 0.98, 1.17),
];

#[test]
fn swing_by_style_is_the_masters() {
    let meta = improv::wjd::read_meta(&std::fs::read(common::project("data/wjd/meta.csv")).unwrap()).unwrap();
    let style: BTreeMap<String, String> = meta.into_iter().map(|m| (m.file, m.style)).collect();
    let mut by_style: BTreeMap<String, Vec<improv::feel::Feel>> = BTreeMap::new();
    for path in melodies() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let beats = std::fs::read(common::project(&format!("data/wjd/beats/{name}_beattrack.csv"))).unwrap();
        let solo = improv::wjd::Solo::read(&std::fs::read(&path).unwrap(), Some(&beats), None).unwrap();
        let feel = improv::feel::measure(&improv::feel::from_wjd(&solo));
        by_style.entry("all".into()).or_default().push(feel.clone());
        by_style.entry(style[&name].clone()).or_default().push(feel);
    }
    for (name, solos, median, q1, q3) in SWING_BY_STYLE {
        let card = improv::feel::FeelCard::of(&by_style[name]);
        println!(
            "{name:<12} {:>3} solos {:.2} ({:.2}–{:.2})   table: {solos} solos {median:.2} ({q1:.2}–{q3:.2})",
            card.swing_solos,
            card.swing.unwrap_or(0.0),
            card.swing_q1.unwrap_or(0.0),
            card.swing_q3.unwrap_or(0.0)
        );
        if full() {
            assert_eq!(card.swing_solos, solos, "{name}");
            assert!((card.swing.unwrap() - median).abs() <= 0.02, "{name}: {:?}", card.swing);
        } else if name == "all" {
            let m = card.swing.unwrap();
            assert!((q1..=q3).contains(&m), "{m}");
        }
    }
}
