//! `improv model [--weights FILE]`: what a weights file holds.

use improv::model::{Isa, Weights};
use std::path::PathBuf;

/// Arguments of `improv model`.
#[derive(clap::Args)]
pub struct Args {
    /// A weights file written by `train` (instead of --model).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// An embedded model: wjd (the masters', it hears the chords, the beat and
    /// the style) or metheny (the seed model).
    #[arg(long, value_enum, default_value_t = ModelChoice::Wjd)]
    model: ModelChoice,
}

/// The embedded models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelChoice {
    /// The masters' model, learned from the WJD's solos; it hears chords, beat and style.
    Wjd,
    /// The seed model, learned from Pat Metheny's "And Then I Knew".
    Metheny,
}

/// Loads user weights, or an embedded model.
pub fn load_weights(path: Option<&PathBuf>, model: ModelChoice) -> Result<(Weights, String), String> {
    match (path, model) {
        (Some(p), _) => {
            let w = Weights::load(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((w, p.display().to_string()))
        }
        (None, ModelChoice::Metheny) => {
            let w = improv::default_weights().map_err(|e| format!("embedded weights: {e}"))?;
            Ok((w, "embedded Metheny model".to_string()))
        }
        (None, ModelChoice::Wjd) => {
            let w = improv::masters_weights().map_err(|e| format!("embedded masters' model: {e}"))?;
            Ok((w, "embedded masters' model (WJD)".to_string()))
        }
    }
}

pub fn run(args: &Args) -> Result<(), String> {
    let (w, source) = load_weights(args.weights.as_ref(), args.model)?;
    let t = &w.training;
    println!("{source}");
    println!("  model: LSTM({}) + Dense({}), {} parameters", w.params.hidden(), w.params.n_values(), w.params.count());
    if w.hearing != 0 {
        println!(
            "  hears: the chord at each onset, the previous note in it, the position in the bar, a change, the style ({} feature rows, layout {})",
            w.params.n_heard(),
            w.hearing
        );
    }
    println!("  vocabulary: {} values", w.vocabulary.len());
    println!(
        "  trained on {} (sha256 {}…), {} epochs, seed {}, lr {}, batch {}, {} windows of {}",
        t.source_name,
        t.source_sha256.get(..12).unwrap_or(&t.source_sha256),
        t.epochs,
        t.seed,
        t.learning_rate,
        t.batch_size,
        t.windows,
        t.window_len
    );
    if let (Some(first), Some(last)) = (t.losses.first(), t.losses.last()) {
        println!("  loss: {first:.3} at epoch 1, {last:.3} at the end");
    }
    if let Some((best, v)) = w.validation.iter().copied().enumerate().min_by(|a, b| a.1.total_cmp(&b.1)) {
        println!("  validation loss: {v:.3} at best (epoch {})", best + 1);
    }
    if w.sources.len() > 1 {
        println!("  training files:");
        for s in &w.sources {
            println!("    {:<40} {:>6} tokens  sha256 {}…", s.name, s.tokens, s.sha256.get(..12).unwrap_or(&s.sha256));
        }
    }
    println!("  inference path: {:?}", Isa::detect());
    Ok(())
}
