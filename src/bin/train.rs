//! `train`: trains Improv's LSTM on MIDI files and MusicXML lead sheets (files
//! or folders) and writes a weights file.

use clap::Parser;
use improv::corpus::CorpusOptions;
use improv::dataset::{REFERENCE_DRAW_SEED, REFERENCE_TX, REFERENCE_WINDOWS, Windows};
use improv::model::trainer::{BATCH_SIZE, EPOCHS};
use improv::model::{
    HIDDEN, SourceFile, TrainConfig, TrainingInfo, Validation, Weights, adam::LEARNING_RATE, train_from,
    train_validated,
};
use improv::render::plot_loss;
use improv::training_set::{
    Encoded, FileReport, Grammar, combined_sha256, encode_files_in, find_files, validation_files,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Keras' 100-epoch loss curve on the reference data (`tests/golden/keras/loss_curve.json`).
const KERAS_LOSS_CURVE: &str = include_str!("../../tests/golden/keras/loss_curve.json");

/// Train Improv's LSTM on MIDI files and MusicXML lead sheets.
#[derive(Parser)]
#[command(name = "train", version, about)]
struct Args {
    /// Files (.mid, .midi, .musicxml, .xml, .mxl) and folders (searched recursively).
    inputs: Vec<PathBuf>,
    /// A MIDI or MusicXML file to learn from (repeatable; the same as an input).
    #[arg(long)]
    midi: Vec<PathBuf>,
    /// Melody track of every file: index, TRACK:CHANNEL or name; for MusicXML a
    /// part's index, id or name (default: chosen automatically per file).
    #[arg(long)]
    melody_track: Option<String>,
    /// Chord track of every file (MusicXML: the part whose chord symbols to use).
    #[arg(long)]
    chord_track: Option<String>,
    /// Passes over the training windows.
    #[arg(long, default_value_t = EPOCHS)]
    epochs: usize,
    /// Adam's learning rate (decayed as lr / (1 + 0.01 · step)).
    #[arg(long, default_value_t = LEARNING_RATE)]
    lr: f32,
    /// Windows per update.
    #[arg(long, default_value_t = BATCH_SIZE)]
    batch: usize,
    /// LSTM units.
    #[arg(long, default_value_t = HIDDEN)]
    hidden: usize,
    /// Seed of initialisation and shuffling (same seed and data → identical file).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Training windows drawn from the corpus (default: 60 per training file).
    #[arg(long)]
    windows: Option<usize>,
    /// Tokens per window.
    #[arg(long, default_value_t = REFERENCE_TX)]
    window_len: usize,
    /// Where to write the weights (default: `weights/<file or folder name>.bin`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Hold out this share of the windows for validation (0 to 0.5; they may
    /// overlap training windows of the same file: --val-files is the stricter test).
    #[arg(long, conflicts_with = "val_files")]
    val_share: Option<f64>,
    /// Hold out this many whole files (chosen by --seed) for validation.
    #[arg(long)]
    val_files: Option<usize>,
    /// Stop after this many epochs without a lower validation loss and keep the
    /// best epoch's weights (needs --val-share or --val-files).
    #[arg(long)]
    early_stop: Option<usize>,
    /// Threads for encoding and training (default: every core); the weights are
    /// the same on any number.
    #[arg(long)]
    threads: Option<usize>,
    /// Also write the loss of every epoch as CSV.
    #[arg(long)]
    loss_csv: Option<PathBuf>,
    /// Also draw the loss curve as a PNG.
    #[arg(long)]
    loss_png: Option<PathBuf>,
    /// Train a model that hears the chord, the beat and the style, in the
    /// masters' grammar (what `weights/wjd.bin` is).
    #[arg(long)]
    hears: bool,
    /// Continue from a trained model (`wjd`, `metheny` or a weights file) with its
    /// vocabulary and shape: fine-tuning on your own files.
    #[arg(long, value_name = "MODEL")]
    from: Option<String>,
    /// Fit the styles' voices after training a model that hears, over this many
    /// rounds (the shipped model: 32): for each style labelled in the inputs,
    /// offsets that make the model play that style's rests and rhythms (see
    /// `improv::style_voices`). Without it, `--from` keeps its model's voices.
    #[arg(long, value_name = "ROUNDS")]
    style_voices: Option<usize>,
}

fn check(args: &Args) -> Result<(), String> {
    let bad = |what: &str| Err(what.to_string());
    if !(1..=100_000).contains(&args.epochs) {
        return bad("--epochs must be between 1 and 100000");
    }
    if !(args.lr.is_finite() && args.lr > 0.0 && args.lr <= 1.0) {
        return bad("--lr must be a number in (0, 1]");
    }
    if !(1..=4096).contains(&args.batch) {
        return bad("--batch must be between 1 and 4096");
    }
    if args.style_voices.is_some_and(|r| !(1..=1000).contains(&r)) {
        return bad("--style-voices must be between 1 and 1000 rounds");
    }
    if !(1..=512).contains(&args.hidden) {
        return bad("--hidden must be between 1 and 512");
    }
    if args.windows.is_some_and(|w| !(1..=1_000_000).contains(&w)) {
        return bad("--windows must be between 1 and 1000000");
    }
    if args.inputs.is_empty() && args.midi.is_empty() {
        return bad("name the files or folders to learn from (train FILE_OR_FOLDER…)");
    }
    if args.val_share.is_some_and(|v| !(v.is_finite() && v > 0.0 && v <= 0.5)) {
        return bad("--val-share must be a share in (0, 0.5]");
    }
    if args.val_files == Some(0) {
        return bad("--val-files must be at least 1");
    }
    if args.early_stop.is_some() && args.val_share.is_none() && args.val_files.is_none() {
        return bad("--early-stop needs a validation set: add --val-share or --val-files");
    }
    if args.early_stop == Some(0) {
        return bad("--early-stop must be at least 1 epoch");
    }
    if args.threads.is_some_and(|t| !(1..=1024).contains(&t)) {
        return bad("--threads must be between 1 and 1024");
    }
    if !(2..=1000).contains(&args.window_len) {
        return bad("--window-len must be between 2 and 1000");
    }
    Ok(())
}

/// Fails early (before any training) if an output cannot be written.
fn check_writable(path: &Path) -> Result<(), String> {
    improv::cli::atomic::temp_beside(path, "").map(drop)
}

/// The default output: `weights/<stem>.bin` for one file or folder, else `weights/corpus.bin`.
fn default_out(inputs: &[PathBuf]) -> PathBuf {
    let stem = match inputs {
        [one] => one.file_stem().or_else(|| one.file_name()).map(|s| s.to_string_lossy().into_owned()),
        _ => None,
    }
    .filter(|s| !s.is_empty() && s != "." && s != "..")
    .unwrap_or_else(|| "corpus".into());
    PathBuf::from("weights").join(format!("{stem}.bin"))
}

/// Prints what was taken from each file, or why it was skipped.
fn print_table(reports: &[FileReport]) {
    let width = reports.iter().map(|r| r.path.display().to_string().chars().count()).max().unwrap_or(4).clamp(4, 64);
    println!("{:<width$}  {:>5}  {:>6}  melody / chords", "file", "bars", "tokens");
    for r in reports {
        let shown = r.path.display().to_string();
        match &r.outcome {
            Ok(t) => {
                println!("{shown:<width$}  {:>5}  {:>6}  {} / {}", t.bars, t.tokens.len(), t.melody, t.chords);
                for remark in &t.remarks {
                    println!("{:<width$}  {remark}", "");
                }
            }
            Err(why) => println!("{shown:<width$}  skipped: {}", improv::cli::message::one_line(why)),
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    check(args)?;
    let inputs: Vec<PathBuf> = args.midi.iter().chain(&args.inputs).cloned().collect();
    let out = args.out.clone().unwrap_or_else(|| default_out(&inputs));
    for p in std::iter::once(&out).chain(args.loss_csv.iter()).chain(args.loss_png.iter()) {
        check_writable(p)?;
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        pool = pool.num_threads(t);
    }
    let pool = pool.build().map_err(|e| format!("cannot start threads: {e}"))?;
    pool.install(|| train_on(args, &inputs, &out))
}

fn train_on(args: &Args, inputs: &[PathBuf], out: &Path) -> Result<(), String> {
    let options = CorpusOptions { melody: args.melody_track.clone(), chords: args.chord_track.clone(), window: None };
    let files = find_files(inputs);
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} encoding {pos}/{len} files  {elapsed}").expect("valid template"),
    );
    let start = Instant::now();
    let from = args.from.as_deref().map(from_weights).transpose()?;
    if args.hears && from.as_ref().is_some_and(|w| w.hearing == 0) {
        return Err(format!(
            "--from {} is a model that hears only its tokens; --hears trains one that hears the chord, the beat and the style (continue from wjd, or leave out --hears)",
            args.from.as_deref().unwrap_or_default()
        ));
    }
    let hears = args.hears || from.as_ref().is_some_and(|w| w.hearing != 0);
    let grammar = if hears { Grammar::Masters } else { Grammar::Seed };
    let reports = encode_files_in(&files, &options, grammar, args.window_len + 1, || bar.inc(1));
    let encode_wall = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    print_table(&reports);
    let taken: Vec<&FileReport> = reports.iter().filter(|r| r.outcome.is_ok()).collect();
    match (taken.is_empty(), reports.as_slice()) {
        (false, _) => {}
        (true, []) => return Err("no files found in the inputs".into()),
        (true, [one]) => {
            let why = one.outcome.as_ref().err().map_or("", String::as_str);
            return Err(format!("{}: {why}", one.path.display()));
        }
        (true, all) => return Err(format!("none of the {} files found is usable (see the table)", all.len())),
    }
    let tokens: usize = taken.iter().filter_map(|r| r.outcome.as_ref().ok()).map(|t| t.tokens.len()).sum();
    println!(
        "{} of {} files taken: {tokens} tokens (encoded in {encode_wall:.2} s, {:.0} tokens/s)",
        taken.len(),
        reports.len(),
        tokens as f64 / encode_wall.max(1e-9)
    );
    let set = if hears { masters_set(args, &taken, from.as_ref())? } else { seed_set(args, &reports, &taken)? };
    if from.as_ref().is_some_and(|w| w.hearing == 0) && set.vocabulary != from.as_ref().expect("some").vocabulary {
        return Err(format!(
            "--from {}: the model's vocabulary ({} values) is not this corpus's ({} values); a seed-grammar model continues only on the same tokens — fine-tune a model that hears (--from wjd) instead",
            args.from.as_deref().unwrap_or_default(),
            from.as_ref().map_or(0, |w| w.vocabulary.len()),
            set.vocabulary.len()
        ));
    }
    let Set { vocabulary, corpus, windows, val_windows } = set;
    let config = TrainConfig {
        epochs: args.epochs,
        learning_rate: args.lr,
        batch_size: args.batch,
        hidden: args.hidden,
        seed: args.seed,
        heard: if hears { improv::hearing::FEATURES } else { 0 },
    };
    let bar = ProgressBar::new(args.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} epoch {pos}/{len}  loss {msg}  {elapsed}").expect("valid template"),
    );
    let validation = val_windows.as_ref().map(|w| Validation { windows: w, patience: args.early_stop });
    let start = Instant::now();
    let report = |r: improv::model::EpochReport| {
        match r.validation {
            Some(v) => bar.set_message(format!("{:.3}  validation {v:.3}", r.loss)),
            None => bar.set_message(format!("{:.3}", r.loss)),
        }
        bar.inc(1);
    };
    let trained = match &from {
        Some(w) => train_from(&windows, validation, w.params.clone(), &config, report),
        None => train_validated(&windows, validation, vocabulary.len(), &config, report),
    };
    let wall = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let losses = &trained.losses;
    let taken_files: Vec<&improv::training_set::TakenFile> =
        taken.iter().filter_map(|r| r.outcome.as_ref().ok()).collect();
    let sources: Vec<SourceFile> = taken
        .iter()
        .zip(&taken_files)
        .map(|(r, t)| SourceFile { name: r.name(), sha256: t.sha256.clone(), tokens: t.tokens.len() as u32 })
        .collect();
    let (source_name, source_sha256) = match sources.as_slice() {
        [one] => (one.name.clone(), one.sha256.clone()),
        many => (
            format!("{} files", many.len()),
            combined_sha256(&many.iter().map(|s| s.sha256.as_str()).collect::<Vec<_>>()),
        ),
    };
    let training = TrainingInfo {
        source_name,
        source_sha256,
        epochs: losses.len() as u32,
        seed: args.seed,
        learning_rate: args.lr,
        batch_size: args.batch as u32,
        windows: windows.x.len() as u32,
        window_len: args.window_len as u32,
        losses: losses.clone(),
    };
    let weights = Weights {
        params: trained.params,
        vocabulary,
        training,
        corpus,
        sources,
        validation: trained.validation.clone(),
        hearing: if hears { improv::hearing::LAYOUT } else { 0 },
        heard_logits: from.as_ref().map(|w| w.heard_logits.clone()).unwrap_or_default(),
    };
    let weights = match args.style_voices {
        Some(rounds) => fit_style_voices(weights, inputs, rounds)?,
        None => weights,
    };
    weights.validate().map_err(|e| format!("training produced unusable weights: {e}"))?;
    if let Some(png) = &args.loss_png {
        let reference = taken_files.len() == 1 && taken_files[0].is_reference;
        let keras: Option<Vec<f32>> = reference
            .then(|| serde_json::from_str::<serde_json::Value>(KERAS_LOSS_CURVE).ok())
            .flatten()
            .and_then(|v| {
                v["loss_per_epoch"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).map(|x| x as f32).collect())
            });
        let mut others: Vec<(&str, &[f32])> = Vec::new();
        if let Some(k) = &keras {
            others.push(("Keras 2.15 (reference)", k));
        }
        if !trained.validation.is_empty() {
            others.push(("validation", &trained.validation));
        }
        let name = match inputs {
            [one] => one.file_name().unwrap_or_default().to_string_lossy().into_owned(),
            _ => format!("{} files", taken_files.len()),
        };
        plot_loss(losses, &others, &format!("Training loss — {name}"), png)?;
    }
    if let Some(csv) = &args.loss_csv {
        let mut text =
            String::from(if trained.validation.is_empty() { "epoch,loss\n" } else { "epoch,loss,val_loss\n" });
        for (i, l) in losses.iter().enumerate() {
            match trained.validation.get(i) {
                Some(v) => text.push_str(&format!("{},{l},{v}\n", i + 1)),
                None => text.push_str(&format!("{},{l}\n", i + 1)),
            }
        }
        improv::cli::atomic::write(csv, text.as_bytes())?;
    }
    weights.save(out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "final loss {:.3} after {} epochs (epoch 1: {:.3})",
        losses.last().copied().unwrap_or(f32::NAN),
        losses.len(),
        losses.first().copied().unwrap_or(f32::NAN)
    );
    if let (Some(best), Some(v)) = (trained.best_epoch, trained.validation.iter().copied().reduce(f32::min)) {
        let kept = if args.early_stop.is_some() { format!("; kept epoch {best}'s weights") } else { String::new() };
        let stop = if trained.stopped_early { ", stopped early" } else { "" };
        println!("validation loss {v:.3} at best (epoch {best}{stop}){kept}");
    }
    println!(
        "wall time {wall:.2} s, {:.0} sequences/s ({} windows × {} epochs)",
        (windows.x.len() * losses.len()) as f64 / wall,
        windows.x.len(),
        losses.len()
    );
    println!("wrote {} ({} parameters)", out.display(), weights.params.count());
    Ok(())
}

/// What a model trains on: its vocabulary, each file's tokens (for novelty), and
/// the training and validation windows.
struct Set {
    vocabulary: improv::grammar::Vocabulary,
    corpus: Vec<Vec<u16>>,
    windows: Windows,
    val_windows: Option<Windows>,
}

/// The validation files `--val-files` holds out (indices into the taken files).
fn held_files(args: &Args, taken: usize) -> Result<Vec<usize>, String> {
    match args.val_files {
        Some(n) if n >= taken => Err(format!("--val-files {n} leaves no file to train on ({taken} taken)")),
        Some(n) => Ok(validation_files(taken, n, args.seed)),
        None => Ok(Vec::new()),
    }
}

/// Says which windows validate.
fn print_validation(taken: &[&FileReport], held: &[usize], val: &Windows, train: &Windows) {
    let what = if held.is_empty() {
        "held-out windows".to_string()
    } else {
        let names: Vec<String> = held.iter().map(|&i| taken[i].name()).collect();
        format!("windows of the held-out {} ({})", if held.len() == 1 { "file" } else { "files" }, names.join(", "))
    };
    println!("validation: {} {what}; training: {} windows", val.x.len(), train.x.len());
}

/// The seed grammar's training set: every distinct token, windows across files.
fn seed_set(args: &Args, reports: &[FileReport], taken: &[&FileReport]) -> Result<Set, String> {
    let encoded = Encoded::of(reports);
    println!("seed grammar: {} distinct values", encoded.vocabulary.len());
    if encoded.vocabulary.len() > u16::MAX as usize {
        return Err(format!(
            "{} distinct tokens, more than the {} a model can have",
            encoded.vocabulary.len(),
            u16::MAX
        ));
    }
    // Which sequences train and which validate.
    let held = held_files(args, taken.len())?;
    let seqs = |keep: bool| -> Vec<&[usize]> {
        (0..taken.len()).filter(|i| held.contains(i) != keep).map(|i| encoded.sequences[i].as_slice()).collect()
    };
    let (train_seqs, val_seqs) = (seqs(true), seqs(false));
    let m = args.windows.unwrap_or(REFERENCE_WINDOWS * train_seqs.len());
    let too_short = |e: improv::dataset::TooShort| e.to_string();
    let drawn = Windows::draw_across(&train_seqs, m, args.window_len, REFERENCE_DRAW_SEED).map_err(too_short)?;
    let (windows, val_windows) = match (args.val_share, val_seqs.is_empty()) {
        (Some(share), _) => {
            let n = ((m as f64 * share).round() as usize).clamp(1, m.saturating_sub(1).max(1));
            if n >= m {
                return Err(format!("--val-share {share} of {m} windows leaves none to train on"));
            }
            let (kept, held) = drawn.split_off(n);
            (kept, Some(held))
        }
        (None, false) => {
            // As many validation windows per possible start as training windows.
            let starts = |s: &[&[usize]]| s.iter().map(|x| x.len().saturating_sub(args.window_len)).sum::<usize>();
            let n = (m * starts(&val_seqs)).div_ceil(starts(&train_seqs).max(1)).clamp(1, m);
            let held = Windows::draw_across(&val_seqs, n, args.window_len, REFERENCE_DRAW_SEED).map_err(too_short)?;
            (drawn, Some(held))
        }
        (None, true) => (drawn, None),
    };
    if let Some(v) = &val_windows {
        print_validation(taken, &held, v, &windows);
    }
    let corpus = encoded.sequences.iter().map(|s| s.iter().map(|&i| i as u16).collect()).collect();
    Ok(Set { vocabulary: encoded.vocabulary, corpus, windows, val_windows })
}

/// The masters' grammar's training set: a vocabulary of the tokens common enough
/// (or the `--from` model's), lines that hear, windows across lines.
fn masters_set(args: &Args, taken: &[&FileReport], from: Option<&Weights>) -> Result<Set, String> {
    use improv::masters::{HeardLine, index_lines, vocabulary, windows as draw};
    let files: Vec<&improv::training_set::TakenFile> = taken.iter().filter_map(|r| r.outcome.as_ref().ok()).collect();
    let held = held_files(args, taken.len())?;
    let vocabulary = match from {
        Some(w) => w.vocabulary.clone(),
        None => {
            let training: Vec<&[Vec<_>]> =
                files.iter().enumerate().filter(|(i, _)| !held.contains(i)).map(|(_, f)| f.lines.as_slice()).collect();
            vocabulary(&training)
        }
    };
    if vocabulary.len() > u16::MAX as usize {
        return Err(format!("{} distinct tokens, more than the {} a model can have", vocabulary.len(), u16::MAX));
    }
    let lines: Vec<Vec<HeardLine>> = files.iter().map(|f| index_lines(&f.lines, &vocabulary, f.style)).collect();
    let pick = |keep: bool| -> Vec<&HeardLine> {
        lines.iter().enumerate().filter(|(i, _)| held.contains(i) != keep).flat_map(|(_, l)| l.iter()).collect()
    };
    let (train_lines, val_lines) = (pick(true), pick(false));
    let tokens = |l: &[&HeardLine]| l.iter().map(|x| x.tokens.len()).sum::<usize>();
    // By default every training token starts about one window an epoch.
    let m = args.windows.unwrap_or_else(|| tokens(&train_lines).div_ceil(args.window_len).max(1));
    let too_short = |e: improv::dataset::TooShort| e.to_string();
    let windows = draw(&train_lines, m, args.window_len, REFERENCE_DRAW_SEED).map_err(too_short)?;
    let val_windows = if val_lines.is_empty() {
        None
    } else {
        let n = (m * tokens(&val_lines)).div_ceil(tokens(&train_lines).max(1)).clamp(1, m);
        Some(draw(&val_lines, n, args.window_len, REFERENCE_DRAW_SEED).map_err(too_short)?)
    };
    println!(
        "masters' grammar: {} values (tokens rarer than {} times mapped to the nearest), {} lines",
        vocabulary.len(),
        improv::masters::MIN_COUNT,
        lines.iter().map(Vec::len).sum::<usize>()
    );
    if let Some(v) = &val_windows {
        print_validation(taken, &held, v, &windows);
    }
    let corpus = lines.iter().map(|l| l.iter().flat_map(|x| x.tokens.iter().map(|&i| i as u16)).collect()).collect();
    Ok(Set { vocabulary, corpus, windows, val_windows })
}

/// The weights with their styles' voices fitted over the inputs' labelled solos.
fn fit_style_voices(mut weights: Weights, inputs: &[PathBuf], rounds: usize) -> Result<Weights, String> {
    use improv::style_voices::{fit, samples};
    if weights.params.n_heard() == 0 {
        return Err("--style-voices needs a model that hears the style (--hears, or --from wjd)".into());
    }
    let samples = samples(inputs);
    if samples.is_empty() {
        return Err(
            "--style-voices: no 4/4 solo of the inputs is labelled with a style (the WJD's meta.csv gives them)".into(),
        );
    }
    let bar = indicatif::ProgressBar::new(rounds as u64).with_message("fitting the styles' voices");
    weights.heard_logits = fit(&weights, &samples, rounds, |_, _| bar.inc(1));
    bar.finish_and_clear();
    println!(
        "styles' voices fitted over {rounds} rounds (the free line over the style's own changes; in brackets its solos):"
    );
    let played: Vec<_> = samples.iter().map(|s| improv::style_voices::played_signature(&weights, s)).collect();
    for (s, got) in samples.iter().zip(&played) {
        println!(
            "{:<12} {:>3} solos: notes per bar {:.1} (the solos {:.1}), H1 {:.2} ({:.2}), sixteenth / eighth / triplet gaps {:.0} / {:.0} / {:.0} % ({:.0} / {:.0} / {:.0} %)",
            s.style.name(),
            s.solos,
            got[0],
            s.target[0],
            got[1],
            s.target[1],
            100.0 * got[2],
            100.0 * got[3],
            100.0 * got[4],
            100.0 * s.target[2],
            100.0 * s.target[3],
            100.0 * s.target[4]
        );
    }
    Ok(weights)
}

/// The weights `--from` names: `wjd` or `metheny` (embedded), else a file.
fn from_weights(name: &str) -> Result<Weights, String> {
    match name {
        "metheny" => improv::default_weights().map_err(|e| e.to_string()),
        "wjd" => improv::masters_weights().map_err(|e| e.to_string()),
        path => Weights::load(Path::new(path)).map_err(|e| format!("--from {path}: {e}")),
    }
}

fn main() -> ExitCode {
    use clap::error::ErrorKind;
    improv::cli::pipe::end_quietly_on_closed_pipe();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            eprintln!("train: {}", improv::cli::message::clap_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("train: {}", improv::cli::message::one_line(&message));
            ExitCode::from(2)
        }
    }
}
