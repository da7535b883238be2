//! `improv corpus FILE [--json]`.

use improv::corpus::{Corpus, CorpusOptions, FileKind};
use improv::grammar::{Harmony, NoteType, Vocabulary};
use improv::score::{Beats, ElementKind, Window};
use improv::theory::symbol::name_chord;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `improv corpus`.
#[derive(clap::Args)]
pub struct Args {
    /// The MIDI or MusicXML file to read.
    file: PathBuf,
    /// Melody track: index, TRACK:CHANNEL, or name (default: chosen automatically).
    #[arg(long)]
    melody_track: Option<String>,
    /// Chord track: index, TRACK:CHANNEL, or name (default: chosen automatically).
    #[arg(long)]
    chord_track: Option<String>,
    /// Only use notes starting in this range of beats, e.g. 476..548 (inclusive).
    #[arg(long, value_parser = parse_window)]
    window: Option<Window>,
    /// Print everything as JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

fn parse_window(s: &str) -> Result<Window, String> {
    let (a, b) = s.split_once("..").ok_or("expected START..END in beats")?;
    let num = |x: &str| x.trim().parse::<i64>().map_err(|_| format!("{x:?} is not a whole number of beats"));
    let (start, end) = (num(a)?, num(b.trim_start_matches('='))?);
    if start > end {
        return Err("the window's start is after its end".into());
    }
    Ok(Window { start: Beats::from_integer(start), end: Beats::from_integer(end) })
}

/// Builds the corpus as the command line describes it.
pub fn load(
    file: &std::path::Path,
    melody: Option<String>,
    chords: Option<String>,
    window: Option<Window>,
) -> Result<Corpus, String> {
    let options = CorpusOptions { melody, chords, window };
    Corpus::from_path(file, &options).map_err(|e| format!("{}: {e}", file.display()))
}

pub fn run(args: &Args) -> Result<(), String> {
    let corpus = load(&args.file, args.melody_track.clone(), args.chord_track.clone(), args.window)?;
    if args.json {
        let json = serde_json::to_string_pretty(&JsonCorpus::from(&corpus)).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print_summary(&args.file, &corpus);
    }
    Ok(())
}

fn type_histogram(corpus: &Corpus) -> Vec<(NoteType, usize)> {
    NoteType::ALL.iter().map(|&k| (k, corpus.grammars.iter().flatten().filter(|t| t.kind == k).count())).collect()
}

fn print_summary(path: &std::path::Path, c: &Corpus) {
    let kind = match c.file {
        FileKind::Midi { format, ticks_per_quarter } => {
            format!("SMF type {format}, {ticks_per_quarter} ticks per quarter")
        }
        FileKind::MusicXml { divisions } => format!("MusicXML, {divisions} divisions per quarter"),
        FileKind::Wjd { beat_track: true } => "WJD melody table with its beat track".to_string(),
        FileKind::Wjd { beat_track: false } => "WJD melody table".to_string(),
    };
    println!("{}: {kind}, {:.1} BPM, {} beats per bar", path.display(), c.bpm, c.beats_per_bar);
    for remark in &c.remarks {
        println!("Note: {remark}.");
    }
    if c.is_reference {
        println!("Recognised the reference file (sha256 {}…).", &c.sha256[..12]);
    }
    println!("\nTracks with notes:");
    println!("  {:<28} {:>6} {:>7} {:>7} {:>9}", "part", "notes", "chords", "single", "mean key");
    for p in &c.parts {
        let drums = if p.drums { " (drums)" } else { "" };
        println!(
            "  {:<28} {:>6} {:>7} {:>6.0}% {:>9.1}{drums}",
            p.label,
            p.notes,
            p.chords,
            p.monophony * 100.0,
            p.mean_key
        );
    }
    println!("\nMelody: {} — {}", c.melody.label, c.melody.reason);
    println!("Chords: {} — {}", c.chords.label, c.chords.reason);
    if let Some(w) = c.window {
        println!("Window: beats {} to {} (inclusive)", w.start, w.end);
    }
    let first = c.measures.first().map_or(0, |m| m.bar + 1);
    let last = c.measures.last().map_or(0, |m| m.bar + 1);
    println!("\nMeasures: {} (bars {first}–{last})", c.measures.len());
    for m in &c.measures {
        let names: Vec<String> = m
            .chords
            .iter()
            .map(|ch| {
                let at = ch.offset - m.start;
                let name = ch.name.clone().unwrap_or_else(|| name_chord(&ch.keys));
                if at >= Beats::from_integer(0) { format!("{name}@{at}") } else { format!("({name})") }
            })
            .collect();
        let notes = m.elements.iter().filter(|e| !e.is_rest()).count();
        println!("  bar {:>4}: {:>2} notes  {}", m.bar + 1, notes, names.join("  "));
    }
    let tokens = c.tokens();
    let vocab = Vocabulary::from_tokens(&tokens);
    println!("\nTokens: {}, distinct values: {}", tokens.len(), vocab.len());
    let hist = type_histogram(c);
    let parts: Vec<String> = hist
        .iter()
        .map(|(k, n)| format!("{} {} ({:.0}%)", k.letter(), n, 100.0 * *n as f64 / tokens.len().max(1) as f64))
        .collect();
    println!("Token types: {}", parts.join(", "));
}

#[derive(Serialize)]
struct JsonElement {
    kind: &'static str,
    offset: String,
    duration: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keys: Vec<u8>,
}

#[derive(Serialize)]
struct JsonChord {
    offset: String,
    duration: String,
    keys: Vec<u8>,
    name: String,
    quality: &'static str,
}

#[derive(Serialize)]
struct JsonMeasure {
    bar: i64,
    start: String,
    elements: Vec<JsonElement>,
    chords: Vec<JsonChord>,
    grammar: String,
}

#[derive(Serialize)]
struct JsonCorpus<'a> {
    sha256: &'a str,
    reference_file: bool,
    file: FileKind,
    remarks: &'a [String],
    beats_per_bar: String,
    bpm: f64,
    parts: &'a [improv::corpus::PartSummary],
    melody: &'a improv::corpus::Chosen,
    chords: &'a improv::corpus::Chosen,
    window: Option<[String; 2]>,
    measures: Vec<JsonMeasure>,
    tokens: Vec<String>,
    token_types: std::collections::BTreeMap<char, usize>,
    vocabulary: Vec<String>,
}

impl<'a> From<&'a Corpus> for JsonCorpus<'a> {
    fn from(c: &'a Corpus) -> Self {
        let grammars = c.grammar_strings();
        let measures = c
            .measures
            .iter()
            .zip(grammars)
            .map(|(m, grammar)| JsonMeasure {
                bar: m.bar,
                start: m.start.to_string(),
                elements: m
                    .elements
                    .iter()
                    .map(|e| {
                        let (kind, keys) = match &e.kind {
                            ElementKind::Note { key, .. } => ("note", vec![*key]),
                            ElementKind::Chord { keys } => ("chord", keys.clone()),
                            ElementKind::Rest => ("rest", vec![]),
                        };
                        JsonElement { kind, offset: e.offset.to_string(), duration: e.duration.to_string(), keys }
                    })
                    .collect(),
                chords: m
                    .chords
                    .iter()
                    .map(|ch| JsonChord {
                        offset: ch.offset.to_string(),
                        duration: ch.duration.to_string(),
                        keys: ch.keys.clone(),
                        name: ch.name.clone().unwrap_or_else(|| name_chord(&ch.keys)),
                        quality: Harmony::new(&ch.keys).quality.as_str(),
                    })
                    .collect(),
                grammar,
            })
            .collect();
        let tokens = c.tokens();
        let vocabulary = Vocabulary::from_tokens(&tokens).values().to_vec();
        JsonCorpus {
            sha256: &c.sha256,
            reference_file: c.is_reference,
            file: c.file,
            remarks: &c.remarks,
            beats_per_bar: c.beats_per_bar.to_string(),
            bpm: c.bpm,
            parts: &c.parts,
            melody: &c.melody,
            chords: &c.chords,
            window: c.window.map(|w| [w.start.to_string(), w.end.to_string()]),
            measures,
            token_types: type_histogram(c).into_iter().map(|(k, n)| (k.letter(), n)).collect(),
            tokens,
            vocabulary,
        }
    }
}
