//! `improv evaluate --against DIR`: one hand-made line, written as MIDI and as a
//! WJD solo (melody table, beat track, meta.csv), whose every report-card figure
//! is counted by hand; the MIDI held against the folder holding the WJD solo.

use improv::midi::{Conductor, NoteOut, TrackOut, write_smf};
use improv::score::Beats;
use std::path::Path;
use std::process::Command;

fn improv(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).current_dir(dir).args(args).output().expect("run improv")
}

/// The line: (onset, length in beats, key). Bar 0 over Cm7: C Eb as eighths, G a
/// quarter, Bb and C as triplet eighths on beat 3 and its 8/12 "and"; bar 1 over
/// F7: A Eb F as quarters.
const LINE: [(i64, i64, i64, i64, u8); 8] = [
    (0, 1, 1, 2, 60),
    (1, 2, 1, 2, 63),
    (1, 1, 1, 1, 67),
    (2, 1, 1, 3, 70),
    (8, 3, 1, 3, 72),
    (4, 1, 1, 1, 69),
    (5, 1, 1, 1, 63),
    (6, 1, 1, 1, 65),
];

fn midi() -> Vec<u8> {
    let b = |n: i64, d: i64| Beats::new(n, d);
    let melody: Vec<NoteOut> = LINE
        .iter()
        .map(|&(n, d, ln, ld, key)| NoteOut { start: b(n, d), length: b(ln, ld), key, velocity: 90 })
        .collect();
    let mut chords = Vec::new();
    for (at, keys) in [(0, [48u8, 51, 55, 58]), (4, [41, 45, 48, 51])] {
        for key in keys {
            chords.push(NoteOut { start: b(at, 1), length: b(4, 1), key, velocity: 70 });
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

/// The same line as the WJD writes it: bar, beat, tatum of the beat's division,
/// seconds at 120 BPM (a beat is 0.5 s).
fn wjd(dir: &Path) {
    wjd_of(dir, &LINE);
}

/// [`LINE`] with its second note played late, 11/20 of a beat after the first (as a
/// player lays back): off both grids as played, on the eighth's "and" as training reads it.
const LATE: [(i64, i64, i64, i64, u8); 8] = {
    let mut line = LINE;
    line[1] = (11, 20, 9, 20, 63);
    line
};

/// A line as the WJD writes it (each onset's tatum in a division of the beat by its
/// denominator; a beat's first note in eighths).
fn wjd_of(dir: &Path, line: &[(i64, i64, i64, i64, u8)]) {
    for sub in ["melody", "beats"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut melody = String::from(
        "onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,loud_max,loud_median,phrase_id,phrase_begin,chorus_id,chord,form,idea\n",
    );
    for (i, &(n, d, ln, ld, key)) in line.iter().enumerate() {
        let at = n as f64 / d as f64;
        let (bar, beat) = ((at / 4.0).floor() as i64, (at.floor() as i64 % 4) + 1);
        let frac = at - at.floor();
        let division = if frac == 0.0 { 2 } else { d };
        let tatum = (frac * division as f64).round() as i64 + 1;
        let chord = if bar == 0 { "C-7" } else { "F7" };
        let seconds = ln as f64 / ld as f64 * 0.5;
        melody.push_str(&format!(
            "{},{seconds},4,{division},{bar},{beat},{tatum},0.5,'4/4',{key},0.5,60,1,{},0,{chord},A1,line\n",
            at * 0.5,
            u8::from(i == 0)
        ));
    }
    std::fs::write(dir.join("melody/Hand_Made_FINAL.csv"), melody).unwrap();
    let mut beats = String::from("onset,duration,period,division,bar,beat,signature,chord,form,chorus_id,bass\n");
    for i in 0..8 {
        let chord = if i < 4 { "C-7" } else { "F7" };
        beats.push_str(&format!("{},0.5,4,1,{},{},'4/4',{chord},A1,1,36\n", i as f64 * 0.5, i / 4, i % 4 + 1));
    }
    std::fs::write(dir.join("beats/Hand_Made_FINAL_beattrack.csv"), beats).unwrap();
    std::fs::write(
        dir.join("meta.csv"),
        "file,performer,title,instrument,style,rhythmfeel,tempoclass,avgtempo,key,signature,recordingyear,chord_changes\n\
         Hand_Made_FINAL,A Player,Hand Made,ts,BEBOP,SWING,MEDIUM,120,C-min,4/4,2026,\"A1: ||C-7 |F7 ||\"\n",
    )
    .unwrap();
}

fn close(v: &serde_json::Value, key: &str, want: f64) {
    let got = v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"));
    assert!((got - want).abs() < 1e-9, "{key}: {got}, want {want}");
}

/// Every figure of the card, counted by hand.
fn check_card(card: &serde_json::Value) {
    assert_eq!(card["solos"], 1);
    assert_eq!(card["notes"], 8);
    close(card, "notes_per_bar", 4.0);
    // Bar 0: C twice, Eb, G, Bb; bar 1: A, Eb, F.
    let bar0 = -(0.4f64 * 0.4f64.log2() + 3.0 * 0.2 * 0.2f64.log2());
    close(card, "h1", (bar0 + 3f64.log2()) / 2.0);
    assert!(card["h4"].is_null(), "no window of four bars in two");
    // Onsets {0, 6, 12, 24, 32} and {0, 12, 24}: two of 48 points differ.
    close(card, "groove", 1.0 - 2.0 / 48.0);
    close(card, "chord_tones", 1.0);
    // Eb and Bb of Cm7, A and Eb of F7.
    close(card, "guide_tones", 0.5);
    let h = &card["histograms"];
    let bins = |name: &str| -> Vec<(usize, u64)> {
        h[name]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, c.as_u64()?)).filter(|x| x.1 > 0))
            .collect()
    };
    // Gaps 6 6 12 8 16 12 12 twelfths (bin = twelfths - 1).
    assert_eq!(bins("gaps"), [(5, 2), (7, 1), (11, 3), (15, 1)]);
    // Lengths 6 6 12 4 4 12 12 12.
    assert_eq!(bins("lengths"), [(3, 2), (5, 2), (11, 4)]);
    assert_eq!(bins("positions"), [(0, 6), (6, 1), (8, 1)]);
    // Intervals +3 +4 +3 +2 -3 -6 +2 (bin = semitones + 24).
    assert_eq!(bins("intervals"), [(18, 1), (21, 1), (26, 2), (27, 2), (28, 1)]);
}

#[test]
fn a_hand_made_line_as_midi_against_the_same_line_as_a_wjd_solo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("take.mid"), midi()).unwrap();
    let corpus = dir.path().join("corpus");
    wjd(&corpus);
    let out = improv(dir.path(), &["evaluate", "take.mid", "--against", "corpus", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check_card(&doc["solos"]);
    check_card(&doc["corpus"]);
    assert_eq!(doc["corpus_refused"], 0);
    for k in ["intervals", "gaps", "lengths", "positions"] {
        close(&doc["overlap"], k, 1.0);
    }
    // The text card says the same.
    let text = improv(dir.path(), &["evaluate", "take.mid", "--against", "corpus"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Report card: 1 solo (8 notes, 2 bars) against corpus (1 solos, 8 notes)"), "{text}");
    assert!(text.contains("overlap 1.00"), "{text}");
}

#[test]
fn a_wjd_solo_is_measured_at_its_metrical_positions() {
    let dir = tempfile::tempdir().unwrap();
    wjd(dir.path());
    let out = improv(dir.path(), &["evaluate", "melody/Hand_Made_FINAL.csv", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &doc[0]["measures"];
    assert_eq!((m["notes"].as_u64(), m["bars"].as_u64()), (Some(8), Some(2)));
    close(m, "chord", 1.0);
    close(m, "triplet", 1.0 / 8.0);
    close(m, "off_grid", 0.0);
    // Its meta.csv row is found up the tree.
    let corpus = improv(dir.path(), &["corpus", "melody/Hand_Made_FINAL.csv"]);
    let text = String::from_utf8_lossy(&corpus.stdout);
    assert!(text.contains("WJD solo: A Player — Hand Made (ts, BEBOP, SWING feel, 120 BPM, 2026)"), "{text}");
}

#[test]
fn quantize_reads_a_wjd_solo_and_the_corpus_as_training_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("take.mid"), midi()).unwrap();
    let corpus = dir.path().join("corpus");
    wjd_of(&corpus, &LATE);
    // `improv evaluate ARGS --json`, with `--quantize` or not.
    let evaluate = |args: &[&str], quantize: bool| {
        let mut args = args.to_vec();
        args.push("--json");
        args.extend(quantize.then_some("--quantize"));
        let out = improv(dir.path(), &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let measures =
        |quantize: bool| evaluate(&["evaluate", "corpus/melody/Hand_Made_FINAL.csv"], quantize)[0]["measures"].clone();
    // As played, the late note sits at 7/12 of its beat, off both grids; read as
    // training reads it, it is back on the eighth's "and".
    close(&measures(false), "off_grid", 1.0 / 8.0);
    close(&measures(true), "off_grid", 0.0);
    // Held against the corpus read the same way, the take is the line it learned.
    let card = |quantize: bool| evaluate(&["evaluate", "take.mid", "--against", "corpus"], quantize);
    let (played, learned) = (card(false), card(true));
    check_card(&learned["corpus"]);
    close(&learned["overlap"], "positions", 1.0);
    close(&played["overlap"], "positions", 7.0 / 8.0);
    assert_eq!(played["corpus"]["histograms"]["positions"][7], 1, "{}", played["corpus"]);
}
