//! `improv evaluate FILE…`: musicality measures of solos, generated or human,
//! and with `--against DIR` a report card that holds them against a corpus.

use crate::model_cmd::load_weights;
use improv::corpus::CorpusOptions;
use improv::evaluate::feel_from_path;
use improv::evaluate::{Measures, Subject, measure, rows, subject_from_path};
use improv::feel::{Feel, FeelCard};
use improv::generate::{BEATS_PER_BAR, Changes, changes_from_midi, changes_from_symbols};
use improv::hearing::JazzStyle;
use improv::report_card::{Card, NAMED_POSITIONS, NAMED_SPANS, Overlaps, Profile, profile, share_of};
use improv::style_nearness::{MEASURES, Signature, StyleMap};
use improv::theory::symbol::parse_changes;
use rayon::prelude::*;
use std::path::PathBuf;

/// Arguments of `improv evaluate`.
#[derive(clap::Args)]
#[command(after_long_help = MEASURES_HELP)]
pub struct Args {
    /// The solos to measure: MIDI (a melody part, and a chord part unless --chords or
    /// --chords-from is given), MusicXML lead sheets, or WJD melody tables (.csv).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Hold the solos against a corpus: a folder (searched recursively) of MIDI,
    /// MusicXML or WJD files, such as data/wjd. Prints a report card side by side.
    #[arg(long)]
    against: Option<PathBuf>,
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
    /// Snap every measure's onsets to the 1/4 and 1/3 beat grids first, as training does, in the solos
    /// and in the --against corpus: the notes the model learned from, not as they were played (the
    /// report card's grid and position measures always read the line on the 12-per-beat grid).
    #[arg(long)]
    quantize: bool,
    /// The weights whose training tokens the copy measure checks (default: --model's).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// The embedded model whose training tokens the copy measure checks: metheny (the
    /// seed grammar, the default) or wjd (the masters' grammar, against every WJD solo
    /// the model learned from).
    #[arg(long, value_enum, default_value_t = crate::model_cmd::ModelChoice::Metheny)]
    model: crate::model_cmd::ModelChoice,
    /// With --against a corpus of labelled solos (the WJD): the styles to hold the solos' style
    /// against, comma-separated (default: every style the corpus has), e.g. traditional,swing,cool,bebop.
    #[arg(long, value_delimiter = ',', value_parser = crate::generate_cmd::style_parser())]
    styles: Vec<improv::hearing::JazzStyle>,
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
  notes per bar                      mean, standard deviation (and it over the mean: how much the
                                     density varies, whatever the density), share of bars with at
                                     most two notes
  intervals                          mean absolute interval; share of leaps over 7 semitones; share of
                                     leaps of 5 or more followed by a move the other way
  longest run of one pitch           repeated notes in a row
  changes landed                     for each chord change with a note within an eighth after it: by step
                                     (<= 2 semitones from the note before), on a chord tone, on its 3rd/7th
  4-note cells that recur            windows of 4 notes (3 intervals, 3 onset gaps) occurring more than once
  longest verbatim copy              longest run of the solo's grammar tokens found in the training tokens
                                     of the weights (unknown for weights files without them)

Report card (--against DIR): the solos pooled against the corpus's, every grid and position measure on
the line quantised to the nearest twelfth of a beat (so swing and timing do not count, only the notes):
  H1 / H4                            pitch-class entropy (bits) of the notes in each window of 1 / 4 bars,
                                     sliding by a bar, averaged (Wu & Yang, ISMIR 2020: WJD solos ~1.94)
  groove similarity                  over pairs of bars with notes: 1 - (onset grid points, of 48, that
                                     only one of the two bars has), averaged
  notes per bar, chord tones,        per solo, then averaged over solos; chord tones by pitch class
  3rd or 7th                         against the chord sounding at the onset
  distributions                      intervals (semitones), gaps between onsets and note lengths (in
                                     twelfths of a beat), positions in the beat (twelfths): each solo's
                                     shares, averaged over solos (every solo counts once); overlap = the
                                     sum over bins of the smaller share (1 = the same distribution)
  nearest style                      with a corpus whose solos carry a style (the WJD's meta.csv): the
                                     solos' mean notes per bar, H1 and shares of sixteenth, eighth and
                                     triplet gaps against each style's, each scaled by its standard
                                     deviation over the corpus's solos; the distance to each style";

fn changes(args: &Args) -> Result<Option<Changes>, String> {
    if let Some(text) = &args.chords {
        let bars = parse_changes(text, BEATS_PER_BAR).map_err(|e| e.to_string())?;
        return Ok(Some(changes_from_symbols(&bars)));
    }
    if let Some(path) = &args.chords_from {
        let bytes = improv::cli::input::read_bounded(path, improv::cli::input::MAX_MUSIC_BYTES)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let (changes, _) = changes_from_midi(&bytes, None).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Some(changes));
    }
    Ok(None)
}

pub fn run(args: &Args) -> Result<(), String> {
    let (weights, _) = load_weights(args.weights.as_ref(), args.model)?;
    // The copy measure compares vocabulary indices with the training sequences.
    let training: Vec<Vec<usize>> = weights.corpus.iter().map(|s| s.iter().map(|&t| t as usize).collect()).collect();
    let hears = weights.hearing != 0;
    let changes = changes(args)?;
    let options = CorpusOptions { melody: args.melody_track.clone(), chords: None, window: None };
    let against = args.against.as_ref().map(|dir| corpus_card(dir, args.quantize)).transpose()?;
    let mut all: Vec<(String, Measures)> = Vec::new();
    let mut profiles: Vec<Profile> = Vec::new();
    let mut feels: Vec<Feel> = Vec::new();
    for path in &args.files {
        if path.is_dir() {
            return Err(format!("{}: is a directory, not a solo (MIDI, MusicXML or WJD CSV)", path.display()));
        }
        let s = subject_from_path(path, &options, changes.as_ref(), args.quantize)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // A model that hears learned the masters' grammar: the solo is read in it, each
        // token mapped to the nearest the model knows, as its training was. In the seed
        // grammar a token the vocabulary lacks matches nothing.
        let solo: Vec<usize> = if hears {
            let lines = improv::masters::index_lines(&s.lines, &weights.vocabulary, improv::hearing::JazzStyle::All);
            lines.iter().flat_map(|l| l.tokens.iter().copied()).collect()
        } else {
            s.tokens.iter().map(|t| weights.vocabulary.index(t).unwrap_or(usize::MAX)).collect()
        };
        let copy = (!training.is_empty()).then_some((solo.as_slice(), training.as_slice()));
        all.push((path.display().to_string(), measure(&s.notes, &s.chords, s.first_bar, s.bars, copy)));
        profiles.push(profile_of(&s));
        let played = feel_from_path(path, &options).map_err(|e| format!("{}: {e}", path.display()))?;
        feels.push(improv::feel::measure(&played));
    }
    if let Some((dir, corpus, corpus_feel, refused, styles)) = against {
        let nearness = styles.as_ref().and_then(|map| {
            improv::style_nearness::mean_signature(&profiles).map(|s| (s, map.distances(&s, &args.styles)))
        });
        let solos = Card::of(&profiles);
        let overlaps = Overlaps::between(&solos, &corpus);
        let solos_feel = FeelCard::of(&feels);
        let articulation = improv::report_card::overlap_counts(&solos_feel.articulation, &corpus_feel.articulation);
        if args.json {
            let doc = serde_json::json!({
                "solos": solos, "corpus": corpus, "corpus_folder": dir, "corpus_refused": refused,
                "overlap": overlaps, "feel": { "solos": solos_feel, "corpus": corpus_feel, "articulation_overlap": articulation },
                "styles": styles.as_ref().map(|map| serde_json::json!({
                    "measures": improv::style_nearness::MEASURES, "corpus": map,
                    "solos": nearness.as_ref().map(|(s, _)| s),
                    "distances": nearness.as_ref().map(|(_, d)| d.iter().map(|(s, x)| serde_json::json!({ "style": s.name(), "distance": x })).collect::<Vec<_>>()),
                })),
                "files": all.iter().zip(&feels).map(|((f, m), feel)| serde_json::json!({ "file": f, "measures": m, "feel": feel })).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
        } else {
            print_card(&solos, &corpus, &overlaps, &dir, refused);
            print_feel_card(&solos_feel, &corpus_feel, articulation);
            if let (Some(map), Some((signature, distances))) = (&styles, &nearness) {
                print_nearness(map, signature, distances);
            }
        }
        return Ok(());
    }
    if args.json {
        let doc: Vec<serde_json::Value> = all
            .iter()
            .zip(&feels)
            .map(|((f, m), feel)| serde_json::json!({ "file": f, "measures": m, "feel": feel }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    } else {
        for (file, m) in &all {
            println!("{file}");
            for (label, value) in rows(m) {
                println!("  {label:<50} {value}");
            }
            for (label, value) in feel_rows(&feels[all.iter().position(|(f, _)| f == file).unwrap_or(0)]) {
                println!("  {label:<50} {value}");
            }
        }
    }
    Ok(())
}

fn profile_of(s: &Subject) -> Profile {
    profile(&s.notes, &s.chords, s.first_bar, s.bars)
}

/// A corpus folder's report card, feel card, files refused, and styles (if its solos carry any).
type CorpusCards = (String, Card, FeelCard, usize, Option<StyleMap>);

/// The card of every solo in a corpus folder, with how many files were refused.
fn corpus_card(dir: &std::path::Path, quantize: bool) -> Result<CorpusCards, String> {
    if !dir.is_dir() {
        return Err(format!("{}: --against takes a folder of solos (MIDI, MusicXML or WJD CSV)", dir.display()));
    }
    let files = improv::training_set::find_files(&[dir.to_path_buf()]);
    let options = CorpusOptions::default();
    // Files that are not music (a licence, a README) are passed over, not refused.
    let music: Vec<&PathBuf> = files.iter().filter(|(_, skipped)| skipped.is_none()).map(|(p, _)| p).collect();
    let read: Vec<Option<(Profile, Feel, Option<JazzStyle>)>> = music
        .par_iter()
        .map(|path| {
            let s = subject_from_path(path, &options, None, quantize).ok()?;
            let played = feel_from_path(path, &options).ok()?;
            Some((profile_of(&s), improv::feel::measure(&played), s.style))
        })
        .collect();
    let refused = read.iter().filter(|p| p.is_none()).count();
    let read: Vec<(Profile, Feel, Option<JazzStyle>)> = read.into_iter().flatten().collect();
    if read.is_empty() {
        return Err(format!("{}: no solo in the folder could be read", dir.display()));
    }
    let labelled: Vec<(Option<JazzStyle>, Profile)> = read.iter().map(|(p, _, s)| (*s, p.clone())).collect();
    let styles = StyleMap::of(&labelled).filter(|m| !m.styles.is_empty());
    let (profiles, feels): (Vec<Profile>, Vec<Feel>) = read.into_iter().map(|(p, f, _)| (p, f)).unzip();
    Ok((dir.display().to_string(), Card::of(&profiles), FeelCard::of(&feels), refused, styles))
}

fn print_card(solos: &Card, corpus: &Card, o: &Overlaps, dir: &str, refused: usize) {
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    println!(
        "Report card: {} solo{} ({} notes, {} bars) against {dir} ({} solos, {} notes{})",
        solos.solos,
        if solos.solos == 1 { "" } else { "s" },
        solos.notes,
        solos.bars,
        corpus.solos,
        corpus.notes,
        if refused > 0 { format!("; {refused} not read: another metre, no chords or damaged") } else { String::new() }
    );
    println!("  {:<44} {:>10} {:>10}", "", "solos", "corpus");
    let row = |label: &str, a: String, b: String| println!("  {label:<44} {a:>10} {b:>10}");
    let fixed = |x: Option<f64>, digits: usize| x.map_or("–".to_string(), |x| format!("{x:.digits$}"));
    row("pitch-class entropy, 1 bar (H1, bits)", fixed(solos.h1, 2), fixed(corpus.h1, 2));
    row("pitch-class entropy, 4 bars (H4, bits)", fixed(solos.h4, 2), fixed(corpus.h4, 2));
    row("groove similarity", fixed(solos.groove, 3), fixed(corpus.groove, 3));
    row("notes per bar", format!("{:.1}", solos.notes_per_bar), format!("{:.1}", corpus.notes_per_bar));
    row("chord tones", pct(solos.chord_tones), pct(corpus.chord_tones));
    row("3rd or 7th of the chord", pct(solos.guide_tones), pct(corpus.guide_tones));
    let (a, b) = (&solos.distributions, &corpus.distributions);
    println!("\n  gaps between onsets (beats)                 overlap {:.2}", o.gaps);
    for (bin, name) in NAMED_SPANS {
        row(&format!("  {name}"), pct(share_of(&a.gaps, bin - 1)), pct(share_of(&b.gaps, bin - 1)));
    }
    println!("\n  note lengths (beats)                        overlap {:.2}", o.lengths);
    for (bin, name) in NAMED_SPANS {
        row(&format!("  {name}"), pct(share_of(&a.lengths, bin - 1)), pct(share_of(&b.lengths, bin - 1)));
    }
    println!("\n  onsets in the beat                          overlap {:.2}", o.positions);
    for (bin, name) in NAMED_POSITIONS {
        row(&format!("  {name}"), pct(share_of(&a.positions, bin)), pct(share_of(&b.positions, bin)));
    }
    println!("\n  intervals (semitones)                       overlap {:.2}", o.intervals);
    let mid = improv::report_card::MAX_INTERVAL as usize;
    let group = |h: &[f64], lo: i32, hi: i32| -> f64 {
        let total: f64 = h.iter().sum();
        let sum: f64 = (lo..=hi).map(|i| h[(i + mid as i32) as usize]).sum();
        if total == 0.0 { 0.0 } else { sum / total }
    };
    for (label, lo, hi) in [
        ("repeated", 0, 0),
        ("steps (1–2)", 1, 2),
        ("thirds (3–4)", 3, 4),
        ("4ths to 6ths (5–9)", 5, 9),
        ("leaps of 10 or more", 10, 24),
    ] {
        let both = |h: &[f64]| group(h, lo, hi) + if lo > 0 { group(h, -hi, -lo) } else { 0.0 };
        row(&format!("  {label}"), pct(both(&a.intervals)), pct(both(&b.intervals)));
    }
    let up = |h: &[f64]| group(h, 1, 24);
    row("  upward", pct(up(&a.intervals)), pct(up(&b.intervals)));
}

/// The solos' style signature beside each style's, and how near each style is.
fn print_nearness(map: &StyleMap, solos: &Signature, distances: &[(JazzStyle, f64)]) {
    println!("\nNearest style (each measure scaled by its spread over the corpus's solos)");
    print!("  {:<14} {:>6} {:>9}", "", "solos", "distance");
    MEASURES.iter().for_each(|m| print!(" {m:>14}"));
    println!();
    let signature = |s: &Signature| {
        let pct = |x: f64| format!("{:.1} %", 100.0 * x);
        [format!("{:.1}", s[0]), format!("{:.2}", s[1]), pct(s[2]), pct(s[3]), pct(s[4])]
    };
    print!("  {:<14} {:>6} {:>9}", "these solos", "", "");
    signature(solos).iter().for_each(|v| print!(" {v:>14}"));
    println!();
    for (style, d) in distances {
        let Some((_, n, s)) = map.styles.iter().find(|(s, _, _)| s == style) else { continue };
        print!("  {:<14} {n:>6} {d:>9.2}", style.name());
        signature(s).iter().for_each(|v| print!(" {v:>14}"));
        println!();
    }
    if let Some((nearest, _)) = distances.first() {
        println!("  nearest: {}", nearest.name());
    }
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".to_string(), |x| format!("{x:.digits$}"))
}

/// The feel of one solo, as rows.
fn feel_rows(f: &Feel) -> Vec<(&'static str, String)> {
    let timing = |t: &improv::feel::Timing| {
        if t.notes == 0 {
            "–".to_string()
        } else {
            format!("{:+.0} ± {:.0} ms ({:+.3} ± {:.3} beat)", t.mean_ms, t.sd_ms, t.mean_beats, t.sd_beats)
        }
    };
    vec![
        (
            "swing ratio of eighth pairs: median (quartiles), pairs",
            format!("{} ({}–{}), {}", opt(f.swing, 2), opt(f.swing_q1, 2), opt(f.swing_q3, 2), f.swing_pairs),
        ),
        ("onsets against the grid: on the beat", timing(&f.downbeats)),
        ("onsets against the grid: on the 'and' (a pair's from 1/2)", timing(&f.ands)),
        ("level (velocity or loudness): mean / sd", format!("{} / {}", opt(f.level_mean, 1), opt(f.level_sd, 1))),
        (
            "level's correlation with pitch / phrase position",
            format!("{} / {}", opt(f.level_pitch, 2), opt(f.level_phrase, 2)),
        ),
        (
            "articulation (length ÷ gap): beat / 'and' / other",
            format!(
                "{} / {} / {}",
                opt(f.articulation_downbeats, 2),
                opt(f.articulation_ands, 2),
                opt(f.articulation_other, 2)
            ),
        ),
    ]
}

fn print_feel_card(a: &FeelCard, b: &FeelCard, articulation: f64) {
    println!("\n  feel (from the played timing; medians over solos)");
    let row = |label: &str, x: String, y: String| println!("  {label:<44} {x:>10} {y:>10}");
    row(
        "  solos with 20+ eighth pairs",
        format!("{} of {}", a.swing_solos, a.solos),
        format!("{} of {}", b.swing_solos, b.solos),
    );
    row("  swing ratio (long : short)", opt(a.swing, 2), opt(b.swing, 2));
    let range = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{lo:.2}–{hi:.2}"),
        _ => "–".to_string(),
    };
    row("  its quartiles", range(a.swing_q1, a.swing_q3), range(b.swing_q1, b.swing_q3));
    row("  on the beat, ms late", opt(a.downbeat_ms, 0), opt(b.downbeat_ms, 0));
    row("  on the 'and' (from 1/2), ms late", opt(a.and_ms, 0), opt(b.and_ms, 0));
    row("  level ~ pitch (correlation)", opt(a.level_pitch, 2), opt(b.level_pitch, 2));
    row("  level ~ phrase position", opt(a.level_phrase, 2), opt(b.level_phrase, 2));
    row("  articulation on the beat", opt(a.articulation_downbeats, 2), opt(b.articulation_downbeats, 2));
    println!("  articulation distributions overlap {articulation:.2}");
}
