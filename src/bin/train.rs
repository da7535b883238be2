//! `train`: trains Improv's LSTM on a MIDI file and writes a weights file.

use clap::Parser;
use improv::corpus::{Corpus, CorpusOptions};
use improv::dataset::{REFERENCE_DRAW_SEED, REFERENCE_TX, REFERENCE_WINDOWS, Windows};
use improv::grammar::Vocabulary;
use improv::model::trainer::{BATCH_SIZE, EPOCHS};
use improv::model::{HIDDEN, TrainConfig, TrainingInfo, Weights, adam::LEARNING_RATE, train};
use improv::render::plot_loss;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Keras' 100-epoch loss curve on the reference data (`tests/golden/keras/loss_curve.json`).
const KERAS_LOSS_CURVE: &str = include_str!("../../tests/golden/keras/loss_curve.json");

/// Train Improv's LSTM on a MIDI file.
#[derive(Parser)]
#[command(name = "train", version, about)]
struct Args {
    /// The MIDI file to learn from.
    #[arg(long)]
    midi: PathBuf,
    /// Melody track: index, TRACK:CHANNEL, or name (default: chosen automatically).
    #[arg(long)]
    melody_track: Option<String>,
    /// Chord track: index, TRACK:CHANNEL, or name (default: chosen automatically).
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
    /// Training windows drawn from the corpus.
    #[arg(long, default_value_t = REFERENCE_WINDOWS)]
    windows: usize,
    /// Tokens per window.
    #[arg(long, default_value_t = REFERENCE_TX)]
    window_len: usize,
    /// Where to write the weights (default: `weights/<midi name>.bin`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the loss of every epoch as CSV.
    #[arg(long)]
    loss_csv: Option<PathBuf>,
    /// Also draw the loss curve as a PNG.
    #[arg(long)]
    loss_png: Option<PathBuf>,
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
    if !(1..=512).contains(&args.hidden) {
        return bad("--hidden must be between 1 and 512");
    }
    if !(1..=100_000).contains(&args.windows) {
        return bad("--windows must be between 1 and 100000");
    }
    if !(2..=1000).contains(&args.window_len) {
        return bad("--window-len must be between 2 and 1000");
    }
    Ok(())
}

/// Fails early (before any training) if an output cannot be written.
fn check_writable(path: &Path) -> Result<(), String> {
    improv::atomic::temp_beside(path, "").map(drop)
}

fn run(args: &Args) -> Result<(), String> {
    check(args)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.midi.file_stem().map_or("model".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("weights").join(format!("{stem}.bin"))
    });
    for p in std::iter::once(&out).chain(args.loss_csv.iter()).chain(args.loss_png.iter()) {
        check_writable(p)?;
    }
    let options = CorpusOptions { melody: args.melody_track.clone(), chords: args.chord_track.clone(), window: None };
    let corpus = Corpus::from_path(&args.midi, &options).map_err(|e| format!("{}: {e}", args.midi.display()))?;
    let tokens = corpus.tokens();
    let vocabulary = Vocabulary::from_tokens(&tokens);
    if vocabulary.len() > u16::MAX as usize {
        return Err(format!(
            "{}: {} distinct tokens, more than the {} a model can have",
            args.midi.display(),
            vocabulary.len(),
            u16::MAX
        ));
    }
    let indices = vocabulary.encode(&tokens).expect("the vocabulary holds every token");
    let windows = Windows::draw(&indices, args.windows, args.window_len, REFERENCE_DRAW_SEED)
        .map_err(|e| format!("{}: {e}", args.midi.display()))?;
    eprintln!(
        "{}: {} tokens, {} distinct values; melody {}, chords {}",
        args.midi.display(),
        tokens.len(),
        vocabulary.len(),
        corpus.melody.label,
        corpus.chords.label
    );
    let config = TrainConfig {
        epochs: args.epochs,
        learning_rate: args.lr,
        batch_size: args.batch,
        hidden: args.hidden,
        seed: args.seed,
    };
    let bar = ProgressBar::new(args.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} epoch {pos}/{len}  loss {msg}  {elapsed}").expect("valid template"),
    );
    let start = Instant::now();
    let (params, losses) = train(&windows, vocabulary.len(), &config, |_, loss| {
        bar.set_message(format!("{loss:.3}"));
        bar.inc(1);
    });
    let wall = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let source_name = args.midi.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let training = TrainingInfo {
        source_name,
        source_sha256: corpus.sha256.clone(),
        epochs: args.epochs as u32,
        seed: args.seed,
        learning_rate: args.lr,
        batch_size: args.batch as u32,
        windows: args.windows as u32,
        window_len: args.window_len as u32,
        losses: losses.clone(),
    };
    let sequences = vec![indices.iter().map(|&i| i as u16).collect()];
    let weights = Weights { params, vocabulary, training, corpus: sequences };
    weights.validate().map_err(|e| format!("training produced unusable weights: {e}"))?;
    if let Some(png) = &args.loss_png {
        let keras: Option<Vec<f32>> = corpus
            .is_reference
            .then(|| serde_json::from_str::<serde_json::Value>(KERAS_LOSS_CURVE).ok())
            .flatten()
            .and_then(|v| {
                v["loss_per_epoch"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).map(|x| x as f32).collect())
            });
        let title = format!("Training loss — {}", args.midi.file_name().unwrap_or_default().to_string_lossy());
        plot_loss(&losses, keras.as_deref().map(|k| ("Keras 2.15 (reference)", k)), &title, png)?;
    }
    if let Some(csv) = &args.loss_csv {
        let mut text = String::from("epoch,loss\n");
        for (i, l) in losses.iter().enumerate() {
            text.push_str(&format!("{},{l}\n", i + 1));
        }
        improv::atomic::write(csv, text.as_bytes())?;
    }
    weights.save(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "final loss {:.3} after {} epochs (epoch 1: {:.3})",
        losses.last().copied().unwrap_or(f32::NAN),
        losses.len(),
        losses.first().copied().unwrap_or(f32::NAN)
    );
    println!(
        "wall time {wall:.2} s, {:.0} sequences/s ({} windows × {} epochs)",
        (args.windows * args.epochs) as f64 / wall,
        args.windows,
        args.epochs
    );
    println!("wrote {} ({} parameters)", out.display(), weights.params.count());
    Ok(())
}

fn main() -> ExitCode {
    use clap::error::ErrorKind;
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            eprintln!("train: {}", improv::message::clap_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("train: {}", improv::message::one_line(&message));
            ExitCode::from(2)
        }
    }
}
