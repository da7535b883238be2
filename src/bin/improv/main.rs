//! `improv`: the command-line face of Improv.

mod corpus_cmd;
mod evaluate_cmd;
mod feel_cmd;
mod generate_cmd;
mod model_cmd;
mod taste_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Improv: an LSTM that improvises jazz lines over chords.
#[derive(Parser)]
#[command(name = "improv", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarise what Improv learns from a MIDI file: tracks, bars, chords, tokens.
    Corpus(corpus_cmd::Args),
    /// Improvise a solo over chord changes: MIDI, and optionally audio and a piano roll.
    Generate(Box<generate_cmd::Args>),
    /// Measure the musicality of solos (MIDI): tone types, grid, phrases, landings, motifs, copying.
    Evaluate(evaluate_cmd::Args),
    /// Show what a weights file holds (default: the embedded weights).
    Model(model_cmd::Args),
    /// Learn feel (swing by tempo, lay-back, dynamics, articulation) per style from a folder of WJD solos.
    Feel(feel_cmd::Args),
    /// Rate the phrases of a solo written with `generate --tokens`: good or bad.
    Rate(taste_cmd::RateArgs),
    /// What your ratings have taught Improv, in words (--reset clears them).
    Taste(taste_cmd::TasteArgs),
    /// Play takes and rate their phrases at a prompt, good or bad.
    Audition(taste_cmd::AuditionArgs),
}

fn main() -> ExitCode {
    use clap::error::ErrorKind;
    improv::cli::pipe::end_quietly_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!(
                "improv: no command given: corpus, generate, evaluate, model, feel, rate, taste or audition (see --help)"
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("improv: {}", improv::cli::message::clap_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Corpus(args) => corpus_cmd::run(&args),
        Command::Model(args) => model_cmd::run(&args),
        Command::Generate(args) => generate_cmd::run(&args),
        Command::Evaluate(args) => evaluate_cmd::run(&args),
        Command::Feel(args) => feel_cmd::run(&args),
        Command::Rate(args) => taste_cmd::rate(&args),
        Command::Taste(args) => taste_cmd::taste(&args),
        Command::Audition(args) => taste_cmd::audition(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("improv: {}", improv::cli::message::one_line(&message));
            ExitCode::from(2)
        }
    }
}
