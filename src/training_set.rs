//! The files a model learns from: inputs expanded (folders searched), every
//! file read and encoded into grammar tokens on every core, with what was taken
//! from each or why it was skipped, and one vocabulary for all of them.

use crate::corpus::{Corpus, CorpusOptions};
use crate::grammar::Vocabulary;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// File name endings read as music (case-insensitive): MIDI, MusicXML, and
/// the Weimar Jazz Database's melody tables.
pub const MUSIC_EXTENSIONS: [&str; 6] = ["mid", "midi", "musicxml", "xml", "mxl", "csv"];
/// Most files taken from the inputs (a folder tree larger than this is cut).
pub const MAX_FILES: usize = 100_000;
/// Folder depth searched (symbolic links to folders are not followed).
const MAX_DEPTH: usize = 32;

/// What was taken from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct TakenFile {
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// True for the reference's training MIDI.
    pub is_reference: bool,
    /// The melody part.
    pub melody: String,
    /// The chord part.
    pub chords: String,
    /// Bars of melody with chords.
    pub bars: usize,
    /// Its grammar tokens in order.
    pub tokens: Vec<String>,
    /// What the reader left out (MusicXML).
    pub remarks: Vec<String>,
    /// Its lines in the masters' grammar (empty when encoded in the seed grammar;
    /// then `tokens` are these lines' tokens, laid end to end).
    pub lines: Vec<Vec<crate::grammar::masters::LineStep>>,
    /// The style it was played in (a WJD solo's label, else `All`).
    pub style: crate::hearing::JazzStyle,
}

/// Which grammar files are encoded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grammar {
    /// The reference's grammar, bar by bar (the seed model's).
    #[default]
    Seed,
    /// The masters' grammar, line by line, for a model that hears.
    Masters,
}

/// One input file and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReport {
    /// The path as found.
    pub path: PathBuf,
    /// Taken, or why it was skipped.
    pub outcome: Result<TakenFile, String>,
}

impl FileReport {
    /// The file name, for the weights file's record.
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(|| self.path.display().to_string(), |n| n.to_string_lossy().into_owned())
    }
}

fn is_music(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MUSIC_EXTENSIONS.iter().any(|m| m.eq_ignore_ascii_case(e)))
}

/// The files named by the inputs, in order: a file as given, a folder's music
/// files and (as skipped) its other files, searched recursively in name order.
/// A path that does not exist is reported as skipped.
pub fn find_files(inputs: &[PathBuf]) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            search(input, 0, &mut out);
        } else if input.exists() {
            out.push((input.clone(), None));
        } else {
            out.push((input.clone(), Some("no such file or folder".into())));
        }
        if out.len() >= MAX_FILES {
            out.truncate(MAX_FILES);
            break;
        }
    }
    out
}

fn search(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, Option<String>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push((dir.to_path_buf(), Some("cannot list the folder".into())));
        return;
    };
    let mut entries: Vec<(PathBuf, bool)> =
        entries.flatten().map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_dir()))).collect();
    entries.sort();
    for (path, is_dir) in entries {
        if out.len() >= MAX_FILES {
            return;
        }
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if is_dir {
            if depth < MAX_DEPTH {
                search(&path, depth + 1, out);
            }
        } else if crate::wjd::is_companion(&path) {
            // A WJD beat track or meta.csv: read with its melody, not as a solo.
        } else if is_music(&path) {
            out.push((path, None));
        } else if !path.is_dir() {
            out.push((
                path,
                Some("not a MIDI, MusicXML or WJD file (.mid, .midi, .musicxml, .xml, .mxl, .csv)".into()),
            ));
        }
    }
}

/// Reads and encodes every file in parallel (in the current rayon pool),
/// calling `progress` after each. Files with fewer than `min_tokens` tokens are
/// skipped (a training window could not fit in them).
pub fn encode_files(
    files: &[(PathBuf, Option<String>)],
    options: &CorpusOptions,
    min_tokens: usize,
    progress: impl Fn() + Sync,
) -> Vec<FileReport> {
    encode_files_in(files, options, Grammar::Seed, min_tokens, progress)
}

/// [`encode_files`] in a grammar.
pub fn encode_files_in(
    files: &[(PathBuf, Option<String>)],
    options: &CorpusOptions,
    grammar: Grammar,
    min_tokens: usize,
    progress: impl Fn() + Sync,
) -> Vec<FileReport> {
    files
        .par_iter()
        .map(|(path, skipped)| {
            let outcome = match skipped {
                Some(why) => Err(why.clone()),
                None => encode(path, options, grammar, min_tokens),
            };
            progress();
            FileReport { path: path.clone(), outcome }
        })
        .collect()
}

fn encode(path: &Path, options: &CorpusOptions, grammar: Grammar, min_tokens: usize) -> Result<TakenFile, String> {
    if path.is_dir() {
        return Err("cannot read: is a folder".into());
    }
    let corpus = match Corpus::from_path(path, options) {
        Err(crate::corpus::CorpusError::Midi(crate::midi::MidiError::Io(e))) => {
            return Err(format!("cannot read: {e}"));
        }
        other => other.map_err(|e| e.to_string())?,
    };
    let lines = match grammar {
        Grammar::Seed => Vec::new(),
        Grammar::Masters => crate::masters::lines_of(&corpus),
    };
    let tokens = match grammar {
        Grammar::Seed => corpus.tokens(),
        Grammar::Masters => lines.iter().flatten().map(|s| s.token.to_string()).collect(),
    };
    if tokens.len() < min_tokens {
        // Say which melody gave so little: it may be the wrong part.
        let hint = if options.melody.is_none() && corpus.parts.len() > 2 {
            "; chosen automatically, another can be named with --melody-track"
        } else {
            ""
        };
        return Err(format!(
            "{} tokens; a training window needs {min_tokens} (melody {}{hint})",
            tokens.len(),
            corpus.melody.label
        ));
    }
    Ok(TakenFile {
        sha256: corpus.sha256.clone(),
        is_reference: corpus.is_reference,
        melody: corpus.melody.label.clone(),
        chords: corpus.chords.label.clone(),
        bars: corpus.measures.len(),
        tokens,
        style: crate::masters::style_of(&corpus),
        remarks: corpus.remarks,
        lines,
    })
}

/// The taken files as one corpus: a vocabulary over all their tokens and each
/// file's tokens as indices.
pub struct Encoded {
    /// Every distinct token, sorted.
    pub vocabulary: Vocabulary,
    /// Each taken file's tokens as vocabulary indices, in report order.
    pub sequences: Vec<Vec<usize>>,
}

impl Encoded {
    /// Builds the vocabulary and index sequences of the taken files.
    pub fn of(reports: &[FileReport]) -> Self {
        let taken: Vec<&TakenFile> = reports.iter().filter_map(|r| r.outcome.as_ref().ok()).collect();
        let all: Vec<&str> = taken.iter().flat_map(|t| t.tokens.iter().map(String::as_str)).collect();
        let vocabulary = Vocabulary::from_tokens(&all);
        let sequences =
            taken.iter().map(|t| vocabulary.encode(&t.tokens).expect("the vocabulary holds every token")).collect();
        Self { vocabulary, sequences }
    }
}

/// One hash for a set of files: SHA-256 of their hashes, one per line, in order.
pub fn combined_sha256(hashes: &[&str]) -> String {
    let mut h = Sha256::new();
    for x in hashes {
        h.update(x.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The files whose windows are held out for validation: `n` of them, chosen by
/// `seed` (the same seed, the same choice).
pub fn validation_files(count: usize, n: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..count).collect();
    // A stream of its own, apart from the trainer's initialisation.
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed ^ 0x7661_6c5f_6669_6c65));
    let mut chosen: Vec<usize> = order.into_iter().take(n).collect();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_searched_in_name_order_and_other_files_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/deeper")).unwrap();
        for f in ["b/deeper/z.MID", "b/a.musicxml", "a.mid", "notes.txt", ".hidden.mid"] {
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        let found = find_files(&[dir.path().to_path_buf(), dir.path().join("missing.mid")]);
        let names: Vec<(String, bool)> = found
            .iter()
            .map(|(p, why)| (p.strip_prefix(dir.path()).unwrap_or(p).display().to_string(), why.is_some()))
            .collect();
        let expect = [("a.mid", false), ("b/a.musicxml", false), ("b/deeper/z.MID", false), ("notes.txt", true)];
        let expect: Vec<(String, bool)> = expect.iter().map(|(n, s)| (n.to_string(), *s)).collect();
        assert_eq!(names[..4], expect[..]);
        assert!(names[4].1 && names[4].0.ends_with("missing.mid"));
    }

    #[test]
    fn validation_files_depend_on_the_seed_only() {
        assert_eq!(validation_files(10, 3, 5), validation_files(10, 3, 5));
        assert_eq!(validation_files(10, 3, 5).len(), 3);
        assert!(validation_files(10, 3, 5).iter().all(|&i| i < 10));
        assert_eq!(validation_files(4, 4, 1), [0, 1, 2, 3]);
    }
}
