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

/// Arguments of `improv audition`.
#[derive(clap::Args)]
pub struct AuditionArgs {
    /// The changes the takes are played over.
    #[arg(long, default_value = "Dm7 G7 | Cmaj7 | Cm7 F7 | Bbmaj7")]
    chords: String,
    /// Bars of each take.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    bars: u16,
    /// How many takes to audition.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=100))]
    takes: u16,
    /// Seed of the first take (the next ones count up from it; default: a fresh one).
    #[arg(long)]
    seed: Option<u64>,
    /// The embedded model that plays them.
    #[arg(long, value_enum, default_value_t = crate::model_cmd::ModelChoice::Wjd)]
    model: crate::model_cmd::ModelChoice,
    /// Play the takes to your taste so far (0–1), to hear whether it has learned it.
    #[arg(long, default_value_t = 0.0)]
    taste: f32,
    /// The folder the takes are written to (MIDI, tokens, and WAV with --wav).
    #[arg(long, default_value = "audition")]
    dir: PathBuf,
    /// Also render each take to WAV through the General MIDI SoundFont found (or --soundfont).
    #[arg(long)]
    wav: bool,
    /// The SoundFont for --wav.
    #[arg(long)]
    soundfont: Option<PathBuf>,
}

/// What a listener answers about a phrase.
enum Answer {
    Rate(Verdict),
    Skip,
    Quit,
}

/// Reads an answer ("g", "b", "s", "q" or the words); `None` at the end of input.
fn ask(input: &mut impl std::io::BufRead, prompt: &str) -> Option<Answer> {
    use std::io::Write;
    loop {
        print!("{prompt} [g]ood, [b]ad, [s]kip, [q]uit? ");
        std::io::stdout().flush().ok()?;
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            println!();
            return None;
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "g" | "good" | "+" => return Some(Answer::Rate(Verdict::Good)),
            "b" | "bad" | "-" => return Some(Answer::Rate(Verdict::Bad)),
            "s" | "skip" | "" => return Some(Answer::Skip),
            "q" | "quit" => return Some(Answer::Quit),
            _ => println!("  (answer g, b, s or q)"),
        }
    }
}

/// `improv audition`: plays takes, asks good or bad of each phrase at a prompt, and
/// saves the answers as `improv rate` does.
pub fn audition(args: &AuditionArgs) -> Result<(), String> {
    use improv::generate::{GenerateOptions, changes_from_symbols, generate_to_taste};
    use improv::improvise::Playing;
    if !(args.taste.is_finite() && (0.0..=1.0).contains(&args.taste)) {
        return Err(format!("--taste {} is not between 0 and 1", args.taste));
    }
    let bars = improv::theory::symbol::parse_changes(&args.chords, improv::generate::BEATS_PER_BAR)
        .map_err(|e| e.to_string())?;
    let changes = changes_from_symbols(&bars);
    let (weights, source) = crate::model_cmd::load_weights(None, args.model)?;
    let font = match args.wav {
        true => Some(
            improv::render::find_soundfont(args.soundfont.as_deref()).and_then(|p| improv::render::Font::load(&p))?,
        ),
        false => None,
    };
    let path = ratings::default_path()?;
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: cannot create: {}", args.dir.display(), e.kind()))?;
    let taste = (args.taste > 0.0).then(|| load_taste(args.taste, improv::taste::DEFAULT_CANDIDATES)).flatten();
    let first = args.seed.unwrap_or_else(rand::random);
    let mut input = std::io::stdin().lock();
    let mut rated = 0;
    'takes: for take in 0..u64::from(args.takes) {
        let seed = first.wrapping_add(take);
        let options = GenerateOptions {
            bars: args.bars as usize,
            tempo: improv::generate::REFERENCE_TEMPO,
            style: Playing::for_weights(&weights),
            seed,
            precision: improv::model::Precision::LIVE,
        };
        let solo = generate_to_taste(&weights, &changes, &options, taste.map(|t| t.0), &mut |_| {});
        let name = format!("take{}", take + 1);
        let midi_path = args.dir.join(format!("{name}.mid"));
        let midi = solo.to_midi();
        improv::cli::atomic::write(&midi_path, &midi)?;
        let settings = serde_json::json!({ "seed": seed, "bars": args.bars, "taste": args.taste, "audition": true });
        let doc = improv::taste::document::rating_fields(&solo, &source, settings, &[]);
        let tokens_path = args.dir.join(format!("{name}.tokens.json"));
        improv::cli::atomic::write(&tokens_path, &serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?)?;
        let mut files = show(&midi_path);
        if let Some(font) = &font {
            let wav = args.dir.join(format!("{name}.wav"));
            let seconds = solo.end_seconds() + improv::render::TAIL_SECONDS;
            improv::render::render_wav(
                &midi,
                font,
                seconds,
                improv::render::Level::Peak(improv::render::DEFAULT_PEAK_DBFS),
                &wav,
                |_, _| {},
            )?;
            files = format!("{files}, {}", show(&wav));
        }
        let phrases = improv::taste::phrases::of_solo(&solo);
        println!("take {} of {} (seed {seed}): {files}, {} phrases", take + 1, args.takes, phrases.len());
        let mut verdicts = Vec::new();
        for (i, p) in phrases.iter().enumerate() {
            let start = p.notes.first().map_or(0, |n| n.at) as f64 / 12.0 / 4.0 + 1.0;
            let prompt = format!(
                "  phrase {} (bar {:.0}, {} notes over {})",
                i + 1,
                start.floor(),
                p.notes.len(),
                p.chords.join(" ")
            );
            match ask(&mut input, &prompt) {
                Some(Answer::Rate(v)) => verdicts.push((i + 1, v)),
                Some(Answer::Skip) => {}
                Some(Answer::Quit) | None => {
                    rated += save_verdicts(&doc, &verdicts, &tokens_path, &path)?;
                    break 'takes;
                }
            }
        }
        rated += save_verdicts(&doc, &verdicts, &tokens_path, &path)?;
    }
    println!("rated {rated} phrases; `improv taste` says what they taught it");
    Ok(())
}

/// Appends the answers of one take; returns how many phrases they rate.
fn save_verdicts(
    doc: &serde_json::Value,
    verdicts: &[(usize, Verdict)],
    take: &Path,
    path: &Path,
) -> Result<usize, String> {
    let from = format!("improv audition {}", take.display());
    let mut batch = Vec::new();
    for v in [Verdict::Good, Verdict::Bad] {
        let numbers: Vec<usize> = verdicts.iter().filter(|(_, x)| *x == v).map(|(n, _)| *n).collect();
        if !numbers.is_empty() {
            batch.extend(improv::taste::document::rate(doc, v, &numbers, &from)?);
        }
    }
    if !batch.is_empty() {
        ratings::append(path, &batch).map_err(|e| e.to_string())?;
    }
    Ok(batch.len())
}
