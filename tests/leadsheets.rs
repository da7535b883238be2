//! MusicXML lead sheets: hand-written sheets whose every note, chord and token is
//! known, the compressed `.mxl` form, their changes for `--chords-from`, and
//! hostile or broken files.

mod common;

use improv::corpus::{Corpus, CorpusError, CorpusOptions, FileKind, chord_bars};
use improv::leadsheet::{LeadSheet, SheetError};
use improv::score::{Beats, ElementKind, beats};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn sheet(name: &str) -> Vec<u8> {
    std::fs::read(common::project(&format!("tests/data/leadsheets/{name}"))).unwrap()
}

fn corpus(name: &str) -> Corpus {
    Corpus::from_bytes(&sheet(name), &CorpusOptions::default()).unwrap()
}

/// (offset, duration, key or None for a rest) of every element of every measure.
fn line(c: &Corpus) -> Vec<(Beats, Beats, Option<u8>)> {
    c.measures
        .iter()
        .flat_map(|m| &m.elements)
        .map(|e| {
            let key = match e.kind {
                ElementKind::Note { key, .. } => Some(key),
                _ => None,
            };
            (e.offset, e.duration, key)
        })
        .collect()
}

#[test]
fn slash_chord_altered_dominant_tie_and_triplet() {
    let c = corpus("slash_and_altered.musicxml");
    assert_eq!(c.file, FileKind::MusicXml { divisions: 6 });
    assert_eq!((c.bpm, c.beats_per_bar), (160.0, Beats::from_integer(4)));
    assert_eq!(c.melody.label, "P1 \"Lead & Changes\"");
    let b = |n, d| beats(n, d);
    assert_eq!(
        line(&c),
        [
            (b(0, 1), b(1, 1), Some(64)),  // E4
            (b(1, 1), b(1, 1), Some(67)),  // G4
            (b(2, 1), b(3, 1), Some(69)),  // A4, a half tied to a quarter over the bar line
            (b(5, 1), b(1, 3), Some(71)),  // B4, D5, F5: a triplet of eighths
            (b(16, 3), b(1, 3), Some(74)), //
            (b(17, 3), b(1, 3), Some(77)), //
            (b(6, 1), b(1, 1), None),      // quarter rest
            (b(7, 1), b(1, 1), Some(67)),  // G4
        ]
    );
    let chords: Vec<(String, Beats, Vec<u8>)> = c
        .measures
        .iter()
        .flat_map(|m| &m.chords)
        .map(|ch| (ch.name.clone().unwrap(), ch.offset, ch.keys.clone()))
        .collect();
    assert_eq!(
        chords,
        [
            ("Cmaj7".to_string(), b(0, 1), vec![36, 48, 52, 55, 59]),
            // The slash chord sounds its bass, E, below the triad.
            ("C/E".to_string(), b(2, 1), vec![40, 48, 52, 55]),
            // G7 with a raised fifth and an added flat ninth: G B D# F Ab.
            ("G7#5b9".to_string(), b(4, 1), vec![43, 55, 56, 59, 63, 65]),
        ]
    );
    // E and G are chord tones of Cmaj7; A over C/E is a scale tone; over the
    // altered G7, D is a half step under D# (an approach tone).
    assert_eq!(
        c.grammar_strings(),
        [
            "C,1.000 C,1.000,<d5,P1> S,3.000,<P4,m-2>",
            "C,0.333 A,0.333,<d5,P1> C,0.333,<d5,P1> R,1.000 C,1.000,<P-5,m-9>",
        ]
    );
}

#[test]
fn compressed_mxl_reads_as_its_score() {
    let plain = corpus("slash_and_altered.musicxml");
    let packed = corpus("slash_and_altered.mxl");
    assert_eq!(packed.measures, plain.measures);
    assert_eq!(packed.grammars, plain.grammars);
    assert_ne!(packed.sha256, plain.sha256);
}

#[test]
fn pickup_grace_note_melody_chord_second_voice_and_repeat() {
    let c = corpus("pickup_grace_repeat.musicxml");
    let b = |n, d| beats(n, d);
    // The pickup D4 ends on the first downbeat (offset 4) and, having no chord
    // before it, is left out; the grace note is dropped; of the melody chord
    // Bb4+Db5 the top note stays; the second voice's Eb3 is not the melody.
    assert_eq!(
        line(&c),
        [
            (b(4, 1), b(1, 1), Some(66)),
            (b(5, 1), b(1, 1), Some(73)),
            (b(6, 1), b(1, 2), Some(72)),
            (b(13, 2), b(3, 2), None)
        ]
    );
    let names: Vec<&str> = c.measures[0].chords.iter().map(|ch| ch.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["Ebm9", "Am7b5"]);
    assert_eq!(c.grammar_strings(), ["C,1.000 C,1.000,<m7,M3> C,0.500,<d3,M-3> R,1.500"]);
    let remarks = c.remarks.join("; ");
    for said in
        ["1 grace note(s) dropped", "1 note(s) of other voices", "1 lower note(s)", "2 repeat barline(s)", "pickup"]
    {
        assert!(remarks.contains(said), "{said:?} in {remarks}");
    }
}

#[test]
fn chord_symbols_are_the_changes_of_a_lead_sheet() {
    let (bars, label) = chord_bars(&sheet("slash_and_altered.musicxml"), None, Beats::from_integer(4)).unwrap();
    assert_eq!(label, "P1 \"Lead & Changes\"");
    let names: Vec<Vec<(String, Beats)>> =
        bars.iter().map(|bar| bar.iter().map(|c| (c.name.clone().unwrap(), c.offset)).collect()).collect();
    assert_eq!(
        names,
        [
            vec![("Cmaj7".to_string(), beats(0, 1)), ("C/E".to_string(), beats(2, 1))],
            vec![("G7#5b9".to_string(), beats(0, 1))]
        ]
    );
    let err = chord_bars(&sheet("no_chord_symbols.musicxml"), None, Beats::from_integer(4)).unwrap_err();
    assert_eq!(err, CorpusError::NoChordSymbols);
}

#[test]
fn part_selectors_name_a_part_by_index_id_or_name() {
    let bytes = sheet("slash_and_altered.musicxml");
    for selector in ["0", "P1", "lead & changes", "changes"] {
        let options = CorpusOptions { melody: Some(selector.into()), ..Default::default() };
        assert_eq!(Corpus::from_bytes(&bytes, &options).unwrap().melody.part, 0, "{selector}");
    }
    let options = CorpusOptions { melody: Some("Trumpet".into()), ..Default::default() };
    assert!(matches!(Corpus::from_bytes(&bytes, &options), Err(CorpusError::NoSuchTrack { .. })));
}

#[test]
fn refusals_say_why() {
    let refuse = |text: &str| LeadSheet::parse(text.as_bytes()).unwrap_err();
    assert!(matches!(refuse("<score-timewise/>"), SheetError::Timewise));
    assert!(matches!(refuse("<html><body/></html>"), SheetError::NotAScore(_)));
    assert!(matches!(refuse("<score-partwise><part>"), SheetError::Xml(_)));
    let meter = |b: u32| {
        format!(
            "<measure number=\"{b}\"><attributes><time><beats>{b}</beats><beat-type>4</beat-type></time></attributes></measure>"
        )
    };
    let changing = format!("<score-partwise><part id=\"P1\">{}{}</part></score-partwise>", meter(4), meter(3));
    assert!(matches!(refuse(&changing), SheetError::MeterChange { .. }), "{}", refuse(&changing));
    let no_chords = Corpus::from_bytes(&sheet("no_chord_symbols.musicxml"), &CorpusOptions::default()).unwrap_err();
    assert_eq!(no_chords, CorpusError::NoChordSymbols);
    let huge_divisions = "<score-partwise><part id=\"P1\"><measure number=\"1\"><attributes><divisions>99999999999</divisions></attributes></measure></part></score-partwise>";
    assert!(matches!(refuse(huge_divisions), SheetError::Bad { .. }));
    // Divisions changing between large coprime values would make offsets too fine for exact arithmetic.
    let coprime = "<score-partwise><part id=\"P1\"><measure number=\"1\"><attributes><divisions>1048573</divisions></attributes><forward><duration>1</duration></forward></measure><measure number=\"2\"><attributes><divisions>1048571</divisions></attributes><forward><duration>1</duration></forward></measure></part></score-partwise>";
    assert!(refuse(coprime).to_string().contains("too fine to follow"), "{}", refuse(coprime));
    let far = "<score-partwise><part id=\"P1\"><measure number=\"1\"><attributes><divisions>1</divisions></attributes><forward><duration>64000000</duration></forward></measure></part></score-partwise>";
    assert!(matches!(refuse(far), SheetError::Bad { .. }), "{}", refuse(far));
}

#[test]
fn deep_nesting_is_read_without_recursion() {
    // The musicxml crate overflows its stack on this; roxmltree builds a flat arena.
    let depth = 200_000;
    let text = format!("<score-partwise>{}{}</score-partwise>", "<a>".repeat(depth), "</a>".repeat(depth));
    assert!(LeadSheet::parse(text.as_bytes()).unwrap().parts.is_empty());
    assert_eq!(Corpus::from_bytes(text.as_bytes(), &CorpusOptions::default()).unwrap_err(), CorpusError::NoNotes);
    // An entity that expands to billions of characters is refused too.
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]><score-partwise><part-list><score-part id="P1"><part-name>&h;&h;&h;&h;&h;</part-name></score-part></part-list></score-partwise>"#;
    assert!(LeadSheet::parse(laughs.as_bytes()).is_err());
}

/// 3,000 mutants of each sheet (bytes flipped, cut, duplicated; the archive too):
/// every one is read or refused, none panics.
#[test]
fn mutated_sheets_never_panic() {
    let mut rng = StdRng::seed_from_u64(12);
    let mut outcomes = [0usize; 2];
    for name in ["slash_and_altered.musicxml", "pickup_grace_repeat.musicxml", "slash_and_altered.mxl"] {
        let original = sheet(name);
        for _ in 0..3000 {
            let mut bytes = original.clone();
            match rng.random_range(0..4) {
                0 => {
                    for _ in 0..rng.random_range(1..8) {
                        let i = rng.random_range(0..bytes.len());
                        bytes[i] = rng.random();
                    }
                }
                1 => bytes.truncate(rng.random_range(0..bytes.len())),
                2 => {
                    let (a, b) = (rng.random_range(0..bytes.len()), rng.random_range(0..bytes.len()));
                    let (a, b) = (a.min(b), a.max(b));
                    let piece = bytes[a..b].to_vec();
                    let at = rng.random_range(0..bytes.len());
                    bytes.splice(at..at, piece);
                }
                _ => {
                    // A digit changed in place: durations, octaves, divisions, alters.
                    let digits: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i].is_ascii_digit()).collect();
                    let i = digits[rng.random_range(0..digits.len())];
                    bytes[i] = b"0123456789-"[rng.random_range(0..11)];
                }
            }
            let read = Corpus::from_bytes(&bytes, &CorpusOptions::default()).is_ok();
            let _ = chord_bars(&bytes, None, Beats::from_integer(4));
            outcomes[usize::from(read)] += 1;
        }
    }
    eprintln!("{} mutants read, {} refused", outcomes[1], outcomes[0]);
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn corpus_cli_reads_a_lead_sheet_and_refuses_one_without_chords() {
    let bin = env!("CARGO_BIN_EXE_improv");
    let path = common::project("tests/data/leadsheets/slash_and_altered.mxl");
    let out = std::process::Command::new(bin).arg("corpus").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("MusicXML, 6 divisions") && text.contains("C/E@2"), "{text}");
    let path = common::project("tests/data/leadsheets/no_chord_symbols.musicxml");
    let out = std::process::Command::new(bin).arg("corpus").arg(&path).output().unwrap();
    common::assert_fails(&out, "no chord symbols");
}

#[test]
fn generate_plays_over_a_lead_sheets_changes() {
    let bin = env!("CARGO_BIN_EXE_improv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("solo.mid");
    let sheet = common::project("tests/data/corpus/sheets/f_blues_head.musicxml");
    let o = std::process::Command::new(bin)
        .args(["generate", "--seed", "4", "--chords-from"])
        .arg(&sheet)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("12 bars from P1 \"Trumpet\""), "{text}");
    // A waltz is refused for changes: Improv plays in 4/4.
    let waltz = dir.path().join("waltz.musicxml");
    let text = std::fs::read_to_string(&sheet).unwrap().replace("<beats>4</beats>", "<beats>3</beats>");
    std::fs::write(&waltz, text).unwrap();
    let o =
        std::process::Command::new(bin).args(["generate", "--chords-from"]).arg(&waltz).arg("-o").arg(&out).output();
    common::assert_fails(&o.unwrap(), "3 quarter notes a bar");
}
