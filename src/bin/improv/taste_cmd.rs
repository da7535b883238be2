//! `improv rate` and `improv taste`: thumbs up or down on the phrases of a solo
//! written with `generate --tokens`, and what the ratings have taught Improv.

use improv::taste::preference::Preference;
use improv::taste::ratings::{self, Verdict};
use std::path::{Path, PathBuf};

/// Largest tokens file read (a 256-bar solo's is well under a megabyte).
const MAX_TOKENS_BYTES: u64 = 16 << 20;

/// Arguments of `improv rate`.
#[derive(clap::Args)]
pub struct RateArgs {
    /// A solo's tokens file, written by `improv generate --tokens`.
    solo: PathBuf,
    /// good or bad.
    #[arg(value_enum)]
    verdict: VerdictArg,
    /// Rate only this phrase (from 1, as `improv taste` and the piano roll count); repeat for more.
    #[arg(long)]
    phrase: Vec<usize>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum VerdictArg {
    Good,
    Bad,
}

/// Arguments of `improv taste`.
#[derive(clap::Args)]
pub struct TasteArgs {
    /// Clear every rating (they are kept once, in ratings.jsonl.bak beside the file).
    #[arg(long)]
    reset: bool,
}

/// `improv rate`.
pub fn rate(args: &RateArgs) -> Result<(), String> {
    let path = ratings::default_path()?;
    let bytes = improv::cli::input::read_bounded(&args.solo, MAX_TOKENS_BYTES)
        .map_err(|e| format!("{}: cannot read: {e}", args.solo.display()))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a tokens file ({e})", args.solo.display()))?;
    let verdict = match args.verdict {
        VerdictArg::Good => Verdict::Good,
        VerdictArg::Bad => Verdict::Bad,
    };
    let from = format!("improv rate {}", args.solo.display());
    let rated = improv::taste::document::rate(&doc, verdict, &args.phrase, &from)
        .map_err(|e| format!("{}: {e}", args.solo.display()))?;
    let held = ratings::append(&path, &rated).map_err(|e| e.to_string())?;
    let word = if verdict == Verdict::Good { "good" } else { "bad" };
    let which = match args.phrase.as_slice() {
        [] => format!("all {} phrases", rated.len()),
        [one] => format!("phrase {one}"),
        many => format!("phrases {}", many.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    };
    println!("rated {which} of {} as {word}; {held} ratings in {}", show(&args.solo), path.display());
    Ok(())
}

/// `improv taste`.
pub fn taste(args: &TasteArgs) -> Result<(), String> {
    let path = ratings::default_path()?;
    if args.reset {
        let cleared = ratings::reset(&path).map_err(|e| e.to_string())?;
        let kept = path.with_file_name(ratings::BACKUP_NAME);
        match cleared {
            0 => println!("no ratings to clear in {}", path.display()),
            n => println!("cleared {n} ratings from {} (kept in {})", path.display(), kept.display()),
        }
        return Ok(());
    }
    let all = ratings::load(&path).map_err(|e| e.to_string())?;
    let examples = ratings::examples(&all);
    let Some(p) = Preference::fit(&examples) else {
        println!("no ratings yet in {}: rate phrases with `improv rate SOLO.tokens.json good|bad`", path.display());
        return Ok(());
    };
    print!("{}", describe(&p, &path));
    Ok(())
}

/// What `improv taste` prints: how many ratings, what they say in words, and the
/// weight behind each sentence.
pub fn describe(p: &Preference, path: &Path) -> String {
    let (good, bad) = p.rated;
    let mut out = format!("{} ratings ({good} good, {bad} bad) in {}\n", good + bad, path.display());
    out.push_str(&format!("{}\n", p.in_words()));
    for l in p.learned() {
        let side = if l.weight > 0.0 { "like   " } else { "dislike" };
        out.push_str(&format!("  {:+.2}  {side} phrases that {}\n", l.weight, l.words));
    }
    out
}

fn show(path: &Path) -> String {
    improv::cli::message::printable(&path.display().to_string())
}

/// The taste `generate --taste` plays to, or `None` (with one line on standard
/// error saying why) when there are no usable ratings.
pub fn load_taste(weight: f32, candidates: usize) -> Option<(improv::taste::Taste, usize)> {
    let loaded = ratings::default_path().and_then(|p| ratings::load(&p).map_err(|e| e.to_string()));
    let all = match loaded {
        Ok(all) => all,
        Err(e) => {
            eprintln!("improv: {}; playing without taste", improv::cli::message::one_line(&e));
            return None;
        }
    };
    let examples = ratings::examples(&all);
    let preference = Preference::fit(&examples)?;
    Some((improv::taste::Taste { weight, candidates, preference }, examples.len()))
}
