//! The player's ratings: one JSON object a line in `ratings.jsonl`, in the
//! platform's config folder (`$XDG_CONFIG_HOME/improv/` on Linux). Lines are only
//! ever appended, under an exclusive lock, one `write` a batch, so two plugin
//! instances and the CLI rating at once lose nothing; a reader takes a shared
//! lock. A file that cannot be read whole is reported in one line and never
//! rewritten: taste is then off, and the file keeps every byte it held.

use super::features::{FEATURES_VERSION, Features, N_FEATURES, PhraseNote, features};
use crate::grammar::NoteType;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The ratings file's name in the config folder.
pub const FILE_NAME: &str = "ratings.jsonl";
/// What `improv taste --reset` leaves of the cleared ratings, beside the file.
pub const BACKUP_NAME: &str = "ratings.jsonl.bak";
/// Largest ratings file read or appended to: at about 2 KB a rating, some 16 000
/// phrases, more than a player rates in years.
pub const MAX_BYTES: u64 = 32 << 20;
/// Most notes a rated phrase may hold (a phrase of the improviser holds far fewer).
pub const MAX_NOTES: usize = 512;

/// Good or bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Thumbs up.
    Good,
    /// Thumbs down.
    Bad,
}

/// A rated note, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedNote {
    /// Onset in twelfths of a beat from the phrase's solo's start.
    pub at: i64,
    /// Length in twelfths of a beat.
    pub length: i64,
    /// MIDI key.
    pub key: u8,
    /// Type against its chord: "C", "S", "A", "X".
    pub kind: String,
    /// The 3rd or 7th of its chord.
    pub guide: bool,
}

/// One rated phrase: what it was, what it was played over and by which model, and
/// its features (recomputed from the notes when it is learned from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Good or bad.
    pub verdict: Verdict,
    /// The model that played it ("wjd", "metheny" or a weights file).
    pub model: String,
    /// The phrase's notes.
    pub notes: Vec<SavedNote>,
    /// Silence after the phrase, in twelfths of a beat.
    pub rest_after: i64,
    /// The chord symbols it was played over.
    pub chords: Vec<String>,
    /// The grammar tokens drawn for it (empty when they were not traced).
    pub tokens: Vec<String>,
    /// The feature set's version, and the features.
    pub features_version: u32,
    /// The features when rated.
    pub features: Vec<f32>,
    /// Where it was rated from ("improv rate FILE", "plugin").
    pub from: String,
    /// The settings it was played with, as the tokens file gives them.
    #[serde(default)]
    pub settings: serde_json::Value,
    /// Seconds since 1970 when rated.
    pub at: u64,
}

impl SavedNote {
    /// A phrase note as saved.
    pub fn of(n: &PhraseNote) -> Self {
        Self { at: n.at, length: n.length, key: n.key, kind: n.kind.letter().to_string(), guide: n.guide }
    }

    /// Back to a phrase note; `None` if it holds what no phrase can.
    pub fn note(&self) -> Option<PhraseNote> {
        let kind = match self.kind.as_str() {
            "C" => NoteType::Chord,
            "S" => NoteType::Scale,
            "A" => NoteType::Approach,
            "X" => NoteType::Other,
            _ => return None,
        };
        let bound = 1 << 40;
        (self.key <= 127 && self.at.abs() < bound && (0..bound).contains(&self.length)).then_some(PhraseNote {
            at: self.at,
            length: self.length,
            key: self.key,
            kind,
            guide: self.guide,
        })
    }
}

impl Rating {
    /// The phrase's notes and features, checked: `None` if a note is impossible,
    /// they are out of order or too many, or the rest is negative.
    pub fn phrase(&self) -> Option<(Vec<PhraseNote>, Features)> {
        if self.notes.len() > MAX_NOTES || self.rest_after < 0 {
            return None;
        }
        let notes: Vec<PhraseNote> = self.notes.iter().map(SavedNote::note).collect::<Option<_>>()?;
        if notes.windows(2).any(|w| w[1].at < w[0].at) {
            return None;
        }
        let f = features(&notes, self.rest_after.min(1 << 40));
        Some((notes, f))
    }

    /// A rating of a phrase, its features computed now.
    pub fn new(verdict: Verdict, notes: &[PhraseNote], rest_after: i64, model: &str) -> Self {
        let f = features(notes, rest_after);
        Self {
            verdict,
            model: model.to_string(),
            notes: notes.iter().map(SavedNote::of).collect(),
            rest_after,
            chords: Vec::new(),
            tokens: Vec::new(),
            features_version: FEATURES_VERSION,
            features: f.to_vec(),
            from: String::new(),
            settings: serde_json::Value::Null,
            at: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        }
    }
}

/// The ratings file of this user: `ratings.jsonl` in the platform's config folder
/// for Improv (`$XDG_CONFIG_HOME/improv/`, else `~/.config/improv/`, on Linux).
pub fn default_path() -> Result<PathBuf, String> {
    directories::ProjectDirs::from("", "", "improv")
        .map(|d| d.config_dir().join(FILE_NAME))
        .ok_or_else(|| "no home folder to keep the ratings in (set HOME or XDG_CONFIG_HOME)".to_string())
}

/// Why the ratings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingsError {
    /// The file cannot be opened or read.
    #[error("{path}: cannot read the ratings: {why}")]
    Read {
        /// The file.
        path: String,
        /// Why, in a few words.
        why: String,
    },
    /// A line is not a rating.
    #[error("{path}: line {line} is not a rating ({why}); taste is off until it is mended or reset")]
    Corrupt {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

fn read_error(path: &Path, why: impl std::fmt::Display) -> RatingsError {
    RatingsError::Read { path: path.display().to_string(), why: why.to_string() }
}

/// How the file is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// To read it (it may not exist).
    Read,
    /// To append to it (created with its folder if need be).
    Append,
    /// To empty it (it may not exist).
    Clear,
}

/// Opens the file, refusing what is not a regular file (a device, a FIFO, a
/// folder); `None` if it does not exist and is not to be created.
fn open(path: &Path, access: Access) -> Result<Option<File>, RatingsError> {
    let create = access == Access::Append;
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(read_error(path, "not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
        _ => {}
    }
    if create && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| read_error(dir, e.kind()))?;
    }
    let file = OpenOptions::new().read(true).append(create).write(access == Access::Clear).create(create).open(path);
    file.map(Some).map_err(|e| read_error(path, e.kind()))
}

/// Reads the whole (locked) file, at most [`MAX_BYTES`].
fn read_all(file: &mut File, path: &Path) -> Result<Vec<u8>, RatingsError> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).map_err(|e| read_error(path, e.kind()))?;
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes).map_err(|e| read_error(path, e.kind()))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(read_error(path, format!("larger than the {} MB Improv reads", MAX_BYTES >> 20)));
    }
    Ok(bytes)
}

/// Parses the file's lines, every one of which must be a rating.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<Rating>, RatingsError> {
    let corrupt = |line, why: String| RatingsError::Corrupt { path: path.display().to_string(), line, why };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        corrupt(line, "not UTF-8".into())
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: Rating = serde_json::from_str(line).map_err(|e| corrupt(i + 1, e.to_string()))?;
        if (r.features_version == FEATURES_VERSION && r.features.len() != N_FEATURES) || r.phrase().is_none() {
            return Err(corrupt(i + 1, "impossible notes or features".into()));
        }
        out.push(r);
    }
    Ok(out)
}

/// Every rating in the file (none if it does not exist yet).
pub fn load(path: &Path) -> Result<Vec<Rating>, RatingsError> {
    let Some(mut file) = open(path, Access::Read)? else { return Ok(Vec::new()) };
    file.lock_shared().map_err(|e| read_error(path, e.kind()))?;
    let bytes = read_all(&mut file, path)?;
    parse(&bytes, path)
}

/// Appends ratings to the file in one locked write, creating it (and its folder)
/// if need be; returns how many ratings it then holds. Nothing already in the file
/// is rewritten, even if it is corrupt; a file that would pass [`MAX_BYTES`] is
/// refused.
pub fn append(path: &Path, ratings: &[Rating]) -> Result<usize, RatingsError> {
    let mut file = open(path, Access::Append)?.ok_or_else(|| read_error(path, "cannot be created"))?;
    file.lock().map_err(|e| read_error(path, e.kind()))?;
    let held = read_all(&mut file, path)?;
    let mut batch = Vec::new();
    // A line torn by a crash is closed, so the new ones stay lines of their own.
    if held.last().is_some_and(|&b| b != b'\n') {
        batch.push(b'\n');
    }
    for r in ratings {
        serde_json::to_writer(&mut batch, r).map_err(|e| read_error(path, e))?;
        batch.push(b'\n');
    }
    if (held.len() + batch.len()) as u64 > MAX_BYTES {
        return Err(read_error(path, format!("full: it would pass the {} MB Improv reads", MAX_BYTES >> 20)));
    }
    file.write_all(&batch).and_then(|()| file.sync_data()).map_err(|e| read_error(path, e.kind()))?;
    Ok(count_lines(&held) + ratings.len())
}

/// Lines with something on them.
fn count_lines(bytes: &[u8]) -> usize {
    bytes.split(|&c| c == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count()
}

/// Clears the ratings (`improv taste --reset`): what they held is first kept in
/// [`BACKUP_NAME`] beside the file (written atomically), then the file is emptied
/// under its lock. Returns how many lines were cleared.
pub fn reset(path: &Path) -> Result<usize, RatingsError> {
    let Some(mut file) = open(path, Access::Clear)? else { return Ok(0) };
    file.lock().map_err(|e| read_error(path, e.kind()))?;
    let held = read_all(&mut file, path)?;
    let lines = count_lines(&held);
    if held.is_empty() {
        return Ok(0);
    }
    let backup = path.with_file_name(BACKUP_NAME);
    crate::cli::atomic::write(&backup, &held).map_err(|e| read_error(&backup, e))?;
    file.set_len(0).and_then(|()| file.sync_data()).map_err(|e| read_error(path, e.kind()))?;
    Ok(lines)
}

/// What the preference model learns from: the features of every rating of the
/// current feature set, recomputed from its notes, with its verdict.
pub fn examples(ratings: &[Rating]) -> Vec<(Features, bool)> {
    ratings
        .iter()
        .filter(|r| r.features_version == FEATURES_VERSION)
        .filter_map(|r| r.phrase().map(|(_, f)| (f, r.verdict == Verdict::Good)))
        .collect()
}
