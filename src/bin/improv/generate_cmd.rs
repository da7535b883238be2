//! `improv generate`: a solo from the embedded (or given) weights, as MIDI, audio
//! and a picture.

use crate::model_cmd::{ModelChoice, load_weights};
use improv::corpus::melody_line;
use improv::generate::{
    BEATS_PER_BAR, GenerateOptions, REFERENCE_TEMPO, Solo, changes_from_midi, changes_from_symbols, generate_reference,
    generate_to_taste, reference_changes,
};
use improv::grammar::{DEFAULT_REGISTER, NoteType};
use improv::hearing::JazzStyle;
use improv::improvise::grid::TICKS_PER_BEAT as BEAT_TICKS;
use improv::improvise::listen::{HeardNote, relatedness};
use improv::improvise::{Drawn, Guidance, MAX_BARS, Outcome, Playing};
use improv::model::{Precision, Sampling};
use improv::render::{
    DEFAULT_PEAK_DBFS, Font, Level, MIN_PEAK_DBFS, TAIL_SECONDS, check_render_length, find_soundfont,
    plot_piano_roll_with, render_wav,
};
use improv::theory::symbol::{key_name, parse_changes};
use improv::trade::{Turns, heard_notes, trade};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// The longest turn --trade takes, in bars.
const MAX_TURN_BARS: usize = 64;

/// Bars above which rendering audio shows a progress bar.
const PROGRESS_BARS: usize = 32;

/// Arguments of `improv generate`.
#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// The MIDI file to write.
    #[arg(short, long, default_value = "solo.mid")]
    out: PathBuf,
    /// Also render the solo to a WAV file through a General MIDI SoundFont.
    #[arg(long)]
    wav: Option<PathBuf>,
    /// Also draw a piano roll of the solo as a PNG.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Peak level of the --wav render in dBFS (-60 to 0), or "raw" for the SoundFont's own level.
    #[arg(long, default_value_t = Level::Peak(DEFAULT_PEAK_DBFS), value_parser = parse_level, allow_hyphen_values = true)]
    peak: Level,
    /// The SoundFont for --wav (default: the first General MIDI font installed in the standard places).
    #[arg(long)]
    soundfont: Option<PathBuf>,
    /// Sampling temperature: 0 = always the most likely token (the reference), higher = bolder.
    #[arg(long, default_value_t = 0.9)]
    temperature: f32,
    /// Sample only among the K most likely tokens (0 = all; default: the model's own,
    /// 16 for metheny, all for wjd).
    #[arg(long)]
    top_k: Option<usize>,
    /// Seed of sampling and decoding (default: a fresh one, printed so you can replay it).
    #[arg(long)]
    seed: Option<u64>,
    /// Bars to play (default: the length of the changes).
    #[arg(long)]
    bars: Option<usize>,
    /// Tempo in beats per minute.
    #[arg(long, default_value_t = REFERENCE_TEMPO)]
    tempo: f64,
    /// A weights file written by `train` (instead of --model).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// The embedded model: wjd (the masters', learned from the Weimar Jazz
    /// Database; it hears the chords, the beat and --style) or metheny (the seed
    /// model). --reference always plays the Metheny model.
    #[arg(long, value_enum, default_value_t = ModelChoice::Wjd)]
    model: ModelChoice,
    /// Lowest MIDI key of the melody.
    #[arg(long, default_value_t = DEFAULT_REGISTER.0)]
    low: u8,
    /// Highest MIDI key of the melody.
    #[arg(long, default_value_t = DEFAULT_REGISTER.1)]
    high: u8,
    /// Changes to play over, e.g. "Dm7 G7 | Cmaj7 | A7b9 | %" (default: the reference's 18 bars).
    #[arg(long, conflicts_with = "chords_from")]
    chords: Option<String>,
    /// Take the changes from the chord track of a MIDI file.
    #[arg(long)]
    chords_from: Option<PathBuf>,
    /// With --chords-from: which track holds the chords (index, TRACK:CHANNEL or name).
    #[arg(long, requires = "chords_from")]
    chord_track: Option<String>,
    /// Reproduce the reference's own flow: chord sets 1–5, 50 greedy tokens each, its decoder.
    #[arg(long, conflicts_with_all = ["chords", "chords_from", "bars", "plain", "tokens", "call", "trade"])]
    reference: bool,
    /// Answer a phrase (MIDI or MusicXML): the call's bars over the first bars of the
    /// changes, then Improv's answer of as many bars.
    #[arg(long, conflicts_with_all = ["trade", "bars"])]
    call: Option<PathBuf>,
    /// Which part holds the musician's line in --call's file (or, with --trade, in
    /// --chords-from's): index, TRACK:CHANNEL or name.
    #[arg(long)]
    call_track: Option<String>,
    /// Trade N bars with the solo in the --chords-from file: its bars 1–N, Improv's
    /// answer in N+1–2N, and so on.
    #[arg(long, requires = "chords_from")]
    trade: Option<usize>,
    /// With --trade: Improv plays the first turn.
    #[arg(long, requires = "trade")]
    improv_starts: bool,
    /// With --call or --trade: answer without listening (from a state that heard
    /// nothing), to compare with what listening adds.
    #[arg(long)]
    no_listen: bool,
    /// No musical guidance: the model samples freely (the first version's output, for comparison).
    #[arg(long)]
    plain: bool,
    /// Guidance, harmony (0–1): land on each change by step, on its 3rd or 7th.
    #[arg(long, default_value_t = Guidance::DEFAULT.harmony)]
    harmony: f32,
    /// Guidance, space (0–1): 0 = long phrases and short breaths, 1 = short phrases and long breaths.
    #[arg(long, default_value_t = Guidance::DEFAULT.space)]
    space: f32,
    /// Guidance, motif (0–1): how often a phrase restates an earlier cell or sequences its own.
    #[arg(long, default_value_t = Guidance::DEFAULT.motif)]
    motif: f32,
    /// Guidance, line (0–1): avoid leaps over a fifth, turn back after a leap.
    #[arg(long, default_value_t = Guidance::DEFAULT.line)]
    line: f32,
    /// Guidance: allow onsets off the sixteenth/triplet grid (the time rule off).
    #[arg(long)]
    no_time_grid: bool,
    /// Guidance: allow copying more than 8 training tokens in a row.
    #[arg(long)]
    no_novelty: bool,
    /// Also write the tokens the model drew, where each starts and what became of
    /// it, and the solo's phrases and chords, as JSON (what `improv rate` reads).
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Play to your taste (0–1): at each phrase start, draw --candidates phrases and
    /// play the one your ratings (`improv rate`) predict you like best, blended with
    /// the model's own likelihood; 0 = no search, the draw as without ratings.
    #[arg(long, default_value_t = 0.0, value_parser = parse_taste)]
    taste: f32,
    /// With --taste: candidate phrases drawn at each phrase start (2 to 32).
    #[arg(long, default_value_t = improv::taste::DEFAULT_CANDIDATES, value_parser = parse_candidates)]
    candidates: usize,
    /// The model step's weights: f16 (fast, the plugin's too) or f32 (Keras parity;
    /// with --plain, the first version's output byte for byte). --reference is always f32.
    #[arg(long, value_enum, default_value_t = StepPrecision::F16)]
    precision: StepPrecision,
    /// How the melody is played when written: straight (on the grid, velocity 96, as
    /// always), auto (the --style's feel at --tempo, learned from the WJD: swing,
    /// lay-back, dynamics, articulation) or manual (--swing, --lay-back, --velocity,
    /// --gate). The tokens, the grid and --tokens do not change.
    #[arg(long, value_enum, default_value_t = FeelMode::Auto)]
    feel: FeelMode,
    /// The jazz style: what the masters' model plays (it hears the style) and the
    /// feel --feel auto plays.
    #[arg(long, default_value = "all", value_parser = style_parser())]
    style: JazzStyle,
    /// --feel manual: long : short ratio of eighth pairs, 1.0 (straight) to 2.0 (triplet).
    #[arg(long, default_value_t = 1.5, value_parser = parse_swing)]
    swing: f64,
    /// --feel manual: every onset this many milliseconds late (0 to 200).
    #[arg(long, default_value_t = 0.0, value_parser = parse_lay_back)]
    lay_back: f64,
    /// --feel manual: the melody's velocity, 1 to 127.
    #[arg(long, default_value_t = 96, value_parser = clap::value_parser!(u8).range(1..=127))]
    velocity: u8,
    /// --feel manual: the share of each note held to the next that sounds, 0.05 to 1.
    #[arg(long, default_value_t = 1.0, value_parser = parse_gate)]
    gate: f64,
}

/// `--feel` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FeelMode {
    Straight,
    Auto,
    Manual,
}

/// `--style` values: the WJD's style labels, or all of its solos.
pub fn style_parser() -> impl clap::builder::TypedValueParser<Value = JazzStyle> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(JazzStyle::ALL.map(JazzStyle::name))
        .map(|s| JazzStyle::from_label(&s).expect("a listed style"))
}

fn parse_bounded(s: &str, what: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{what} must be a number"))?;
    if v.is_finite() && (lo..=hi).contains(&v) { Ok(v) } else { Err(format!("{what} must be from {lo} to {hi}")) }
}

fn parse_swing(s: &str) -> Result<f64, String> {
    parse_bounded(s, "the swing ratio", 1.0, 2.0)
}

fn parse_lay_back(s: &str) -> Result<f64, String> {
    parse_bounded(s, "the lay-back", 0.0, 200.0)
}

fn parse_candidates(s: &str) -> Result<usize, String> {
    let max = improv::taste::MAX_CANDIDATES;
    s.parse()
        .ok()
        .filter(|n| (2..=max).contains(n))
        .ok_or_else(|| format!("the candidates must be a whole number from 2 to {max}"))
}

fn parse_taste(s: &str) -> Result<f32, String> {
    parse_bounded(s, "the taste", 0.0, 1.0).map(|t| t as f32)
}

fn parse_gate(s: &str) -> Result<f64, String> {
    parse_bounded(s, "the gate", 0.05, 1.0)
}

/// The performance `--feel` asks for, at `tempo`.
fn performance(args: &Args, tempo: f64) -> Result<improv::feel::render::Performance, String> {
    use improv::feel::render::{FEEL_JSON, Performance};
    Ok(match args.feel {
        FeelMode::Straight => Performance::STRAIGHT,
        FeelMode::Manual => Performance::manual(args.swing, args.lay_back, args.velocity, args.gate, tempo),
        FeelMode::Auto => {
            let table: improv::feel::FeelTable =
                serde_json::from_str(FEEL_JSON).map_err(|e| format!("the embedded feel table: {e}"))?;
            Performance::auto(table.style(args.style.label()), tempo)
        }
    })
}

/// `--precision` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum StepPrecision {
    F16,
    F32,
}

impl From<StepPrecision> for Precision {
    fn from(p: StepPrecision) -> Self {
        match p {
            StepPrecision::F16 => Precision::F16,
            StepPrecision::F32 => Precision::F32,
        }
    }
}

impl Args {
    fn guidance(&self) -> Guidance {
        if self.plain {
            return Guidance::PLAIN;
        }
        Guidance {
            enabled: true,
            time: !self.no_time_grid,
            harmony: self.harmony,
            space: self.space,
            motif: self.motif,
            novelty: !self.no_novelty,
            line: self.line,
        }
    }
}

fn parse_level(s: &str) -> Result<Level, String> {
    if s == "raw" {
        return Ok(Level::Raw);
    }
    let db: f64 = s.parse().map_err(|_| format!("{s:?} is not a level in dBFS (or \"raw\")"))?;
    if !(db.is_finite() && (MIN_PEAK_DBFS..=0.0).contains(&db)) {
        return Err(format!("{db} dBFS is not between {MIN_PEAK_DBFS} and 0"));
    }
    Ok(Level::Peak(db))
}

fn check(args: &Args) -> Result<(), String> {
    if !(args.temperature.is_finite() && (0.0..=10.0).contains(&args.temperature)) {
        return Err(format!("--temperature {} is not between 0 and 10", args.temperature));
    }
    if args.bars.is_some_and(|b| !(1..=MAX_BARS).contains(&b)) {
        return Err(format!("--bars must be between 1 and {MAX_BARS}"));
    }
    if !(args.tempo.is_finite() && (20.0..=400.0).contains(&args.tempo)) {
        return Err(format!("--tempo {} is not between 20 and 400 BPM", args.tempo));
    }
    for (name, v) in [("harmony", args.harmony), ("space", args.space), ("motif", args.motif), ("line", args.line)] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(format!("--{name} {v} is not between 0 and 1"));
        }
    }
    if args.trade.is_some_and(|n| !(1..=MAX_TURN_BARS).contains(&n)) {
        return Err(format!("--trade must be between 1 and {MAX_TURN_BARS} bars"));
    }
    if args.call_track.is_some() && args.call.is_none() && args.trade.is_none() {
        return Err("--call-track needs --call or --trade".into());
    }
    if args.no_listen && args.call.is_none() && args.trade.is_none() {
        return Err("--no-listen needs --call or --trade".into());
    }
    if args.taste > 0.0 && (args.plain || args.reference || args.call.is_some() || args.trade.is_some()) {
        return Err("--taste plays guided solos of its own: not with --plain, --reference, --call or --trade".into());
    }
    if args.low > 127 || args.high > 127 || args.low >= args.high {
        return Err(format!("--low {} and --high {} must be MIDI keys (0–127) with low < high", args.low, args.high));
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<(), String> {
    check(args)?;
    let model = if args.reference { ModelChoice::Metheny } else { args.model };
    let (weights, source) = load_weights(args.weights.as_ref(), model)?;
    let top_k = args.top_k.unwrap_or(Playing::for_weights(&weights).sampling.top_k);
    if top_k > weights.vocabulary.len() {
        return Err(format!("--top-k {top_k} exceeds the {} values the model knows", weights.vocabulary.len()));
    }
    // Everything that can fail on input is checked before anything is written.
    let soundfont = args
        .wav
        .as_ref()
        .map(|_| find_soundfont(args.soundfont.as_deref()).and_then(|p| Font::load(&p)))
        .transpose()?;
    for p in std::iter::once(&args.out).chain(args.wav.iter()).chain(args.png.iter()).chain(args.tokens.iter()) {
        improv::cli::atomic::temp_beside(p, "").map(drop)?;
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    let mut trace = Vec::new();
    let mut conversation = None;
    let taste = (args.taste > 0.0).then(|| crate::taste_cmd::load_taste(args.taste, args.candidates)).flatten();
    let mut turns: Option<(Turns, Vec<improv::feel::answer::CallNote>)> = None;
    let (solo, changes_label) = if args.reference {
        (generate_reference(&weights, seed).solo, "the reference's chord sets 1–5".to_string())
    } else {
        let mut changes_file = None;
        let (changes, label) = match (&args.chords, &args.chords_from) {
            (Some(text), _) => {
                let bars = parse_changes(text, BEATS_PER_BAR).map_err(|e| e.to_string())?;
                if bars.len() > MAX_BARS {
                    return Err(format!("--chords has {} bars, more than the {MAX_BARS} a solo may have", bars.len()));
                }
                (changes_from_symbols(&bars), format!("{} bars of --chords", bars.len()))
            }
            (None, Some(path)) => {
                let bytes = improv::cli::input::read_bounded(path, improv::cli::input::MAX_MUSIC_BYTES)
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                // A WJD solo's changes are its beat track's, when there is one beside it.
                let beat_track = (improv::corpus::Format::of(&bytes) == improv::corpus::Format::WjdCsv
                    && !improv::wjd::is_beat_track(&bytes))
                .then(|| improv::wjd::find_beat_track(path))
                .flatten();
                let chord_bytes = match &beat_track {
                    Some(p) => improv::cli::input::read_bounded(p, improv::cli::input::MAX_MUSIC_BYTES)
                        .map_err(|e| format!("{}: cannot read: {e}", p.display()))?,
                    None => bytes.clone(),
                };
                let (changes, part) = changes_from_midi(&chord_bytes, args.chord_track.as_deref())
                    .map_err(|e| format!("{}: {e}", beat_track.as_deref().unwrap_or(path).display()))?;
                let label = format!("{} bars from {} of {}", changes.len(), part, path.display());
                changes_file = Some(bytes);
                (changes, label)
            }
            (None, None) => (reference_changes(), "the reference's 18 bars (bars 120–137 of the Metheny solo)".into()),
        };
        // The musician's line, for --call or --trade, read before anything is written.
        let musician = match (&args.call, args.trade, &args.chords_from, &changes_file) {
            (Some(path), ..) => {
                let bytes = improv::cli::input::read_bounded(path, improv::cli::input::MAX_MUSIC_BYTES)
                    .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                Some(musician_line(&bytes, args.call_track.as_deref(), path)?)
            }
            (None, Some(_), Some(path), Some(bytes)) => Some(musician_line(bytes, args.call_track.as_deref(), path)?),
            _ => None,
        };
        let mut options = GenerateOptions {
            bars: args.bars.unwrap_or(changes.len()),
            tempo: args.tempo,
            style: Playing {
                sampling: Sampling { temperature: args.temperature, top_k },
                low: args.low,
                high: args.high,
                guidance: args.guidance(),
                style: args.style,
            },
            seed,
            precision: args.precision.into(),
        };
        let vocabulary = weights.vocabulary.values();
        let solo = match (musician, args.call.as_ref()) {
            (Some((line, played, part)), Some(path)) => {
                let bar = BEAT_TICKS * BEATS_PER_BAR;
                let end = line.iter().map(|n| n.end).max().unwrap_or(0);
                let call_bars = ((end + bar - 1).div_euclid(bar)).max(1) as usize;
                if call_bars > changes.len() {
                    return Err(format!(
                        "{}: the call lasts {call_bars} bars, longer than the {} bars of changes it is played over",
                        path.display(),
                        changes.len()
                    ));
                }
                options.bars = 2 * call_bars;
                turns = Some((Turns { bars: call_bars, musician_starts: true }, played));
                let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into());
                conversation =
                    Some(format!("answering {} ({part}, {call_bars} bars)", improv::cli::message::printable(&name)));
                trade(
                    &weights,
                    &changes,
                    &line,
                    Turns { bars: call_bars, musician_starts: true },
                    &options,
                    !args.no_listen,
                )
            }
            (Some((line, played, part)), None) => {
                let t = Turns { bars: args.trade.unwrap_or(4), musician_starts: !args.improv_starts };
                conversation = Some(format!("trading {} bars with {part}", t.bars));
                turns = Some((t, played));
                trade(&weights, &changes, &line, t, &options, !args.no_listen)
            }
            (None, _) => generate_to_taste(&weights, &changes, &options, taste.map(|t| t.0), &mut |d| {
                if args.tokens.is_some() {
                    trace.push(token_json(d, vocabulary));
                }
            }),
        };
        (solo, label)
    };
    if args.wav.is_some() {
        check_render_length(solo.end_seconds() + TAIL_SECONDS)?;
    }
    let feel = performance(args, solo.tempo)?;
    // Auto feel answers a call in the caller's own feel (Manual keeps the player's settings).
    let mut solo = solo;
    if let (FeelMode::Auto, false, Some((t, played))) = (args.feel, args.no_listen, &turns) {
        solo.answered = improv::trade::answered_turns(played, *t, solo.bars);
    }
    let midi = solo.to_midi_with(&feel);
    improv::cli::atomic::write(&args.out, &midi)?;
    let mut written = vec![args.out.display().to_string()];
    if let Some(path) = &args.tokens {
        let mut doc = serde_json::json!({
            "weights": source,
            "seed": seed,
            "guidance": !args.plain,
            "tokens": trace,
        });
        // Each phrase's tokens, from the trace (beat and value of each drawn token).
        let drawn: Vec<(f64, String)> =
            trace.iter().filter_map(|t| Some((t["beat"].as_f64()?, t["token"].as_str()?.to_string()))).collect();
        let fields = improv::taste::document::rating_fields(&solo, &source, settings_json(args, seed, top_k), &drawn);
        if let (Some(doc), serde_json::Value::Object(fields)) = (doc.as_object_mut(), fields) {
            doc.extend(fields);
        }
        let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("cannot write the tokens: {e}"))?;
        improv::cli::atomic::write(path, text.as_bytes())?;
        written.push(path.display().to_string());
    }
    if let Some(png) = &args.png {
        let title = match &conversation {
            Some(what) => format!("Improv {what} — seed {seed}; the musician in grey"),
            None => format!("Improv — {} bars, seed {seed}", solo.bars),
        };
        plot_piano_roll_with(&solo, &feel, &title, png)?;
        written.push(png.display().to_string());
    }
    if let (Some(wav), Some(font)) = (&args.wav, &soundfont) {
        let seconds = solo.end_seconds() + TAIL_SECONDS;
        let bar = if solo.bars > PROGRESS_BARS { ProgressBar::new(100) } else { ProgressBar::hidden() };
        bar.set_style(ProgressStyle::with_template("rendering audio {bar:40} {percent}%").expect("valid template"));
        improv::cli::interrupt::guarded(|| {
            render_wav(&midi, font, seconds, args.peak, wav, |done, total| {
                bar.set_position((100 * done / total.max(1)) as u64)
            })
        })?;
        bar.finish_and_clear();
        let level = match args.peak {
            Level::Peak(db) => format!("peak {db} dBFS"),
            Level::Raw => "the SoundFont's own level".into(),
        };
        written.push(format!("{} ({seconds:.1} s, {level}, {})", wav.display(), font.path().display()));
    }
    let shown = match weights.hearing {
        0 => source.clone(),
        _ => format!("{source}, style {}", args.style.name()),
    };
    let mut text = report(&solo, args, top_k, &shown, &changes_label);
    text.push_str(&taste_report(args, taste.as_ref()));
    if let Some(what) = &conversation {
        text.push_str(&conversation_report(&solo, what, !args.no_listen));
        text.push_str(&feel_report(&solo, &feel));
    }
    text.push_str(&format!("  wrote {}", written.join(", ")));
    // With the MIDI file on standard output, the report goes to standard error.
    let to_stdout = [Some(&args.out), args.png.as_ref(), args.wav.as_ref(), args.tokens.as_ref()]
        .into_iter()
        .flatten()
        .any(|p| p.as_os_str() == "-");
    if to_stdout {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
    Ok(())
}

/// The musician's line in a file: heard on the grid, as played (for its feel), and the part it came from.
type MusicianLine = (Vec<HeardNote>, Vec<improv::feel::answer::CallNote>, String);

/// The musician's line in a file, heard on the grid and as played, and the part it came from.
fn musician_line(bytes: &[u8], track: Option<&str>, path: &Path) -> Result<MusicianLine, String> {
    let (notes, part) = melody_line(bytes, track).map_err(|e| format!("{}: {e}", path.display()))?;
    let played = improv::corpus::played_line(bytes, track).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((heard_notes(&notes), played, part))
}

/// What the answers heard of each call's feel, and how they played (the first few turns).
fn feel_report(solo: &Solo, feel: &improv::feel::render::Performance) -> String {
    const SHOWN: usize = 4;
    let mut out = String::new();
    for t in solo.answered.iter().take(SHOWN) {
        let p = feel.answering(&t.call);
        out.push_str(&format!(
            "  bar {}: {}; the answer swings {:.2} : 1, {:.0} ms behind the beat, velocity {:.0}\n",
            (t.start / BEATS_PER_BAR as f64) as i64 + 1,
            t.call.describe(solo.tempo),
            p.swing,
            p.lay_back * 60_000.0 / solo.tempo,
            p.velocity
        ));
    }
    if solo.answered.len() > SHOWN {
        out.push_str(&format!("  … and {} more answers\n", solo.answered.len() - SHOWN));
    }
    out
}

/// What the musician played and how the answers relate to it.
fn conversation_report(solo: &Solo, what: &str, listened: bool) -> String {
    let ticks = |b: improv::score::Beats| (b * BEAT_TICKS).to_integer();
    let call: Vec<(i64, u8)> = solo.call.iter().map(|n| (ticks(n.start), n.key)).collect();
    let answer: Vec<(i64, u8)> = solo.notes.iter().map(|n| (ticks(n.start), n.key)).collect();
    let r = relatedness(&call, &answer);
    let heard = if listened { "listening" } else { "not listening (--no-listen)" };
    format!(
        "  {what}, {heard}: the musician {} notes, Improv {} notes; of the musician's 4-note cells, \
         {:.0}% of rhythms and {:.0}% whole (rhythm and contour) come back in Improv's bars\n",
        solo.call.len(),
        solo.notes.len(),
        100.0 * r.rhythm,
        100.0 * r.both
    )
}

/// One drawn token as JSON: where it starts (beats), the token, what became of it.
fn token_json(d: &Drawn, vocabulary: &[String]) -> serde_json::Value {
    let beat = |b: improv::score::Beats| *b.numer() as f64 / *b.denom() as f64;
    let token = vocabulary.get(d.token).map_or("", String::as_str);
    let mut v = serde_json::json!({ "beat": beat(d.at), "token": token, "motif": d.motif });
    match d.outcome {
        Outcome::Note { key, length, kind } => {
            v["outcome"] = "note".into();
            v["key"] = key.into();
            v["length"] = beat(length).into();
            v["type"] = kind.describe().into();
        }
        Outcome::Rest { length } => {
            v["outcome"] = "rest".into();
            v["length"] = beat(length).into();
        }
        Outcome::Skipped => v["outcome"] = "skipped".into(),
    }
    v
}

/// The settings a solo was played with, as its tokens file records them for rating.
fn settings_json(args: &Args, seed: u64, top_k: usize) -> serde_json::Value {
    let g = args.guidance();
    serde_json::json!({
        "seed": seed,
        "bars": args.bars,
        "tempo": args.tempo,
        "temperature": args.temperature,
        "top_k": top_k,
        "low": args.low,
        "high": args.high,
        "style": args.style.name(),
        "guidance": { "enabled": g.enabled, "time": g.time, "harmony": g.harmony, "space": g.space,
                      "motif": g.motif, "novelty": g.novelty, "line": g.line },
        "taste": args.taste,
        "candidates": args.candidates,
    })
}

/// What the report says of taste: what it played to, or that ratings wait.
fn taste_report(args: &Args, taste: Option<&(improv::taste::Taste, usize)>) -> String {
    match taste {
        Some((t, n)) => format!(
            "  taste {} over {} candidates a phrase, from {n} ratings: {}\n",
            args.taste,
            t.candidates,
            t.preference.in_words()
        ),
        None if args.taste > 0.0 => {
            "  taste: no ratings yet (rate phrases with `improv rate`), played without\n".into()
        }
        None => String::new(),
    }
}

fn report(solo: &Solo, args: &Args, top_k: usize, source: &str, changes: &str) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    let mode = if args.reference {
        "the reference flow (greedy, Reference decoding)".to_string()
    } else {
        let sampling = if args.temperature == 0.0 {
            "greedy".to_string()
        } else {
            format!("temperature {}, top-k {top_k}", args.temperature)
        };
        let guidance = if args.plain { "no guidance" } else { "guided" };
        format!("{sampling}, {guidance}")
    };
    line(format!("Improv solo: {} bars at {} BPM, seed {} ({mode})", solo.bars, solo.tempo, solo.seed));
    line(format!("  weights: {source}; changes: {changes}"));
    let n = solo.notes.len();
    let share = |k: NoteType| 100.0 * solo.notes.iter().filter(|x| x.kind == k).count() as f64 / n.max(1) as f64;
    line(format!(
        "  {n} notes from {} tokens: chord tones {:.0}%, scale tones {:.0}%, approach {:.0}%, other {:.0}%",
        solo.tokens,
        share(NoteType::Chord),
        share(NoteType::Scale),
        share(NoteType::Approach),
        share(NoteType::Other)
    ));
    if let (Some(lo), Some(hi)) = (solo.notes.iter().map(|x| x.key).min(), solo.notes.iter().map(|x| x.key).max()) {
        line(format!("  pitch range {}–{} (MIDI {lo}–{hi})", key_name(lo as i32), key_name(hi as i32)));
    }
    out
}
