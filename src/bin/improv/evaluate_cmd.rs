//! `improv evaluate FILE.mid…`: musicality measures of solos, generated or human.

use crate::model_cmd::load_weights;
use improv::corpus::CorpusOptions;
use improv::evaluate::{Measures, measure, rows, subject_from_midi};
use improv::generate::{BEATS_PER_BAR, Changes, changes_from_midi, changes_from_symbols};
use improv::theory::symbol::parse_changes;
use std::path::PathBuf;

/// Arguments of `improv evaluate`.
#[derive(clap::Args)]
#[command(after_long_help = MEASURES_HELP)]
pub struct Args {
    /// The MIDI files to measure (a melody part, and a chord part unless --chords or --chords-from is given).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the measures as JSON.
    #[arg(long)]
    json: bool,
    /// Measure against these changes instead of the file's chord part, e.g. "Dm7 | G7 | Cmaj7 | %".
    #[arg(long, conflicts_with = "chords_from")]
    chords: Option<String>,
    /// Measure against the chord part of another MIDI file.
    #[arg(long)]
    chords_from: Option<PathBuf>,
    /// Melody track: index, TRACK:CHANNEL, or name (default: chosen automatically).
    #[arg(long)]
    melody_track: Option<String>,
    /// Snap onsets to the 1/4 and 1/3 beat grids first, as training does (for human performances).
    #[arg(long)]
    quantize: bool,
    /// The weights whose training tokens the copy measure checks (default: the embedded weights).
    #[arg(long)]
    weights: Option<PathBuf>,
}

const MEASURES_HELP: &str = "\
Measures (by pitch class, so independent of key and spelling; onsets as played):
  chord / scale / approach / other   each note against the chord sounding at its onset: a chord tone,
                                     a tone of the chord's scale (major on a major chord, else dorian),
                                     a semitone from a chord tone, anything else
  onsets                             on the beat, the second eighth, the 2nd/4th sixteenth, a triplet
                                     eighth, or off both grids (e.g. 7/12 of a beat)
  phrases                            runs of notes split at rests of at least one beat; per 16 bars and
                                     their mean length from first onset to last note-off
  notes per bar                      mean, standard deviation, share of bars with at most two notes
  intervals                          mean absolute interval; share of leaps over 7 semitones; share of
                                     leaps of 5 or more followed by a move the other way
  longest run of one pitch           repeated notes in a row
  changes landed                     for each chord change with a note within an eighth after it: by step
                                     (<= 2 semitones from the note before), on a chord tone, on its 3rd/7th
  4-note cells that recur            windows of 4 notes (3 intervals, 3 onset gaps) occurring more than once
  longest verbatim copy              longest run of the solo's grammar tokens found in the training tokens
                                     of the weights (unknown for weights files without them)";

fn changes(args: &Args) -> Result<Option<Changes>, String> {
    if let Some(text) = &args.chords {
        let bars = parse_changes(text, BEATS_PER_BAR).map_err(|e| e.to_string())?;
        return Ok(Some(changes_from_symbols(&bars)));
    }
    if let Some(path) = &args.chords_from {
        let bytes = improv::input::read_bounded(path, improv::input::MAX_MUSIC_BYTES)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let (changes, _) = changes_from_midi(&bytes, None).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Some(changes));
    }
    Ok(None)
}

pub fn run(args: &Args) -> Result<(), String> {
    let (weights, _) = load_weights(args.weights.as_ref())?;
    let vocabulary = weights.vocabulary.values();
    let training: Vec<Vec<String>> =
        weights.corpus.iter().map(|s| s.iter().map(|&t| vocabulary[t as usize].clone()).collect()).collect();
    let changes = changes(args)?;
    let options = CorpusOptions { melody: args.melody_track.clone(), chords: None, window: None };
    let mut all: Vec<(String, Measures)> = Vec::new();
    for path in &args.files {
        if path.is_dir() {
            return Err(format!("{}: is a directory, not a MIDI file", path.display()));
        }
        let bytes = improv::input::read_bounded(path, improv::input::MAX_MUSIC_BYTES)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let s = subject_from_midi(&bytes, &options, changes.as_ref(), args.quantize)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let copy = (!training.is_empty()).then_some((s.tokens.as_slice(), training.as_slice()));
        all.push((path.display().to_string(), measure(&s.notes, &s.chords, s.first_bar, s.bars, copy)));
    }
    if args.json {
        let doc: Vec<serde_json::Value> =
            all.iter().map(|(f, m)| serde_json::json!({ "file": f, "measures": m })).collect();
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    } else {
        for (file, m) in &all {
            println!("{file}");
            for (label, value) in rows(m) {
                println!("  {label:<50} {value}");
            }
        }
    }
    Ok(())
}
