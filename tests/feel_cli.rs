//! `improv evaluate` measures feel: a hand-made MIDI performance whose swing,
//! timing, velocities and lengths are known, and a WJD solo's onsets in seconds.

use improv::midi::{Conductor, NoteOut, TrackOut, write_smf};
use improv::score::Beats;
use std::process::Command;

/// 24 beats of swung eighth pairs at 120 BPM (a beat is 500 ms): the first on the
/// beat, velocity 100, a fifth above the second; the second at 0.6 of the beat
/// (swing 0.6 : 0.4 = 1.5, 50 ms behind the straight "and"), velocity 80. Each
/// note sounds three quarters of the gap to the next onset. A Dm7 chord track.
fn performance() -> Vec<u8> {
    let b = |n: i64, d: i64| Beats::new(n, d);
    let mut melody = Vec::new();
    for beat in 0..24 {
        melody.push(NoteOut { start: b(beat, 1), length: b(9, 20), key: 69, velocity: 100 });
        melody.push(NoteOut { start: b(beat, 1) + b(3, 5), length: b(3, 10), key: 62, velocity: 80 });
    }
    let chords: Vec<NoteOut> =
        [50u8, 53, 57, 60].iter().map(|&key| NoteOut { start: b(0, 1), length: b(24, 1), key, velocity: 70 }).collect();
    write_smf(
        Conductor { bpm: 120.0, beats_per_bar: 4 },
        &[
            TrackOut { name: "Solo".into(), channel: 0, program: 26, notes: melody },
            TrackOut { name: "Piano".into(), channel: 1, program: 0, notes: chords },
        ],
    )
}

fn close(v: &serde_json::Value, key: &str, want: f64, tolerance: f64) {
    let got = v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"));
    assert!((got - want).abs() <= tolerance, "{key}: {got}, want {want}");
}

#[test]
fn a_hand_made_performance_measures_as_played() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("swung.mid"), performance()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_improv"))
        .current_dir(dir.path())
        .args(["evaluate", "swung.mid", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc[0]["feel"];
    assert_eq!(f["swing_pairs"], 24);
    for k in ["swing", "swing_q1", "swing_q3"] {
        close(f, k, 1.5, 1e-9);
    }
    // The beat is on time; the "and" 0.1 beat (50 ms) behind the straight eighth.
    close(&f["downbeats"], "mean_ms", 0.0, 1e-6);
    close(&f["downbeats"], "sd_ms", 0.0, 1e-6);
    close(&f["ands"], "mean_ms", 50.0, 1e-6);
    close(&f["ands"], "mean_beats", 0.1, 1e-9);
    assert_eq!(f["ands"]["notes"], 24);
    close(f, "level_mean", 90.0, 1e-9);
    close(f, "level_sd", 10.0, 1e-9);
    // Louder notes are the higher ones.
    close(f, "level_pitch", 1.0, 1e-9);
    for k in ["articulation_downbeats", "articulation_ands"] {
        close(f, k, 0.75, 1e-9);
    }
    // The text report says it in words.
    let text =
        Command::new(env!("CARGO_BIN_EXE_improv")).current_dir(dir.path()).args(["evaluate", "swung.mid"]).output();
    let text = String::from_utf8_lossy(&text.unwrap().stdout).into_owned();
    assert!(text.contains("1.50 (1.50–1.50), 24"), "{text}");
    assert!(text.contains("+50 ± 0 ms (+0.100 ± 0.000 beat)"), "{text}");
}

#[test]
fn a_wjd_solo_swings_as_its_onsets_say() {
    // Art Pepper's "Anthropology" (cool, 219 BPM): its eighth pairs from the onsets in seconds.
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/wjd/melody/ArtPepper_Anthropology_FINAL.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_improv")).arg("evaluate").arg(&path).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc[0]["feel"];
    assert_eq!(f["swing_pairs"], 128);
    close(f, "swing", 1.34, 0.005);
    // Laid back a little on the beat, more on the "and"; louder on higher notes.
    assert!(f["downbeats"]["mean_ms"].as_f64().unwrap() > 0.0);
    assert!(f["ands"]["mean_ms"].as_f64().unwrap() > f["downbeats"]["mean_ms"].as_f64().unwrap());
    assert!(f["level_pitch"].as_f64().unwrap() > 0.3);
}
