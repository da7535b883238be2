//! `meta.csv`: one row per WJD solo — performer, title, style, rhythm feel,
//! tempo — joined to a melody file by its name, and found up the folder tree
//! from the melody.

use super::WjdError;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The metadata file's name.
pub const META_FILE: &str = "meta.csv";
/// Folders searched upwards from a melody file for [`META_FILE`].
const SEARCH_UP: usize = 3;

/// What the database says about one solo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Meta {
    /// The melody file's name without `.csv`.
    pub file: String,
    /// Who plays.
    pub performer: String,
    /// The tune.
    pub title: String,
    /// The instrument (`ts`, `tp`, `as`, …).
    pub instrument: String,
    /// Style label: TRADITIONAL, SWING, BEBOP, COOL, HARDBOP, POSTBOP, FUSION, FREE.
    pub style: String,
    /// Rhythm feel: SWING, TWOBEAT, LATIN, FUNK, BALLAD, …
    pub rhythm_feel: String,
    /// Tempo class (SLOW, MEDIUM, UP, …).
    pub tempo_class: String,
    /// Mean tempo, BPM.
    pub tempo: Option<f64>,
    /// Key as written (`Bb-maj`).
    pub key: String,
    /// Time signature as written.
    pub signature: String,
    /// Year of the recording.
    pub year: Option<i32>,
    /// The changes as a lead sheet (`A1: ||Bb6 G7 |…`).
    pub chord_changes: String,
}

/// Reads a whole `meta.csv`.
pub fn read_meta(bytes: &[u8]) -> Result<Vec<Meta>, WjdError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header: Vec<String> =
        reader.headers().map_err(|e| WjdError::Csv(e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    let file = at("file").ok_or_else(|| WjdError::MissingColumn {
        column: "file",
        table: "metadata",
        header: crate::cli::message::printable(&header.join(",")).chars().take(160).collect(),
    })?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| WjdError::Csv(e.to_string()))?;
        let text = |name: &str| at(name).and_then(|i| record.get(i)).unwrap_or("").trim().to_string();
        out.push(Meta {
            file: record.get(file).unwrap_or("").trim().to_string(),
            performer: text("performer"),
            title: text("title"),
            instrument: text("instrument"),
            style: text("style"),
            rhythm_feel: text("rhythmfeel"),
            tempo_class: text("tempoclass"),
            tempo: text("avgtempo").parse::<f64>().ok().filter(|t| t.is_finite() && *t > 0.0 && *t < 1000.0),
            key: text("key"),
            signature: text("signature"),
            year: text("recordingyear").parse().ok(),
            chord_changes: text("chord_changes"),
        });
    }
    Ok(out)
}

/// The nearest `meta.csv` in the melody's folder or up to three folders above it.
pub fn find_meta(melody: &Path) -> Option<PathBuf> {
    let mut dir = melody.parent();
    for _ in 0..=SEARCH_UP {
        let d = dir?;
        let candidate = d.join(META_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// The beat track of a melody file: `NAME_beattrack.csv` beside it, in a
/// `beats/` folder beside it, or in a sibling `beats/` folder.
pub fn find_beat_track(melody: &Path) -> Option<PathBuf> {
    let stem = melody.file_stem()?.to_string_lossy();
    let name = format!("{stem}{BEAT_TRACK_SUFFIX}");
    let dir = melody.parent().unwrap_or(Path::new(""));
    let mut candidates = vec![dir.join(&name), dir.join("beats").join(&name)];
    if let Some(up) = dir.parent() {
        candidates.push(up.join("beats").join(&name));
    }
    candidates.into_iter().find(|c| c.is_file())
}

/// How a beat track's name ends.
pub const BEAT_TRACK_SUFFIX: &str = "_beattrack.csv";

/// True for a WJD companion file: a beat track or `meta.csv` (read with its
/// melody, never as a solo of its own).
pub fn is_companion(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .is_some_and(|n| n == META_FILE || n.ends_with(BEAT_TRACK_SUFFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_rows_with_multi_line_changes() {
        let text = "file,performer,title,instrument,style,rhythmfeel,tempoclass,avgtempo,key,signature,recordingyear,number_notes,chorus_count,form,chord_changes,melid\n\
            ArtPepper_Anthropology_FINAL,Art Pepper,Anthropology,cl,COOL,SWING,UP,218.8,Bb-maj,4/4,1979,530,4,\"(A1,8)\",\"A1: ||Bb6 G7 |\nA2: ||C-7 F7 ||\",1\n";
        let meta = read_meta(text.as_bytes()).unwrap();
        assert_eq!(meta.len(), 1);
        let m = &meta[0];
        assert_eq!(
            (m.performer.as_str(), m.style.as_str(), m.tempo, m.year),
            ("Art Pepper", "COOL", Some(218.8), Some(1979))
        );
        assert!(m.chord_changes.contains("A2: ||C-7 F7 ||"));
    }

    #[test]
    fn companions_are_found_beside_the_melody_or_in_beats() {
        let dir = tempfile::tempdir().unwrap();
        let melody = dir.path().join("melody");
        std::fs::create_dir_all(&melody).unwrap();
        std::fs::create_dir_all(dir.path().join("beats")).unwrap();
        std::fs::write(melody.join("X_FINAL.csv"), "").unwrap();
        std::fs::write(dir.path().join("beats/X_FINAL_beattrack.csv"), "").unwrap();
        std::fs::write(dir.path().join("meta.csv"), "").unwrap();
        let m = melody.join("X_FINAL.csv");
        assert_eq!(find_beat_track(&m), Some(dir.path().join("beats/X_FINAL_beattrack.csv")));
        assert_eq!(find_meta(&m), Some(dir.path().join("meta.csv")));
        assert!(is_companion(&dir.path().join("beats/X_FINAL_beattrack.csv")) && is_companion(Path::new("meta.csv")));
        assert!(!is_companion(&m));
    }
}
