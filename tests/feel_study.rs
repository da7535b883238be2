//! Auto feel held against the masters: solos of the masters' model played with
//! each style's learned feel at 120, 180 and 240 BPM, measured as `improv
//! evaluate` measures feel, beside the WJD's solos of that style at a comparable
//! tempo. Swing inside the masters' quartiles, velocity spread of 6 or more with
//! the corpus's signs of correlation with pitch and phrase position, and an
//! articulation distribution overlapping the corpus's by 0.7 or more.
//!
//! CI runs a sample (`a_sample_of_auto_feel_plays_as_the_masters`); the whole
//! study — 20 seeds × 4 progressions × 3 tempos × every style — is
//! `bash scripts/feel-study.sh` (release mode, an ignored test).

use improv::feel::render::{FEEL_JSON, Performance};
use improv::feel::{ARTICULATION_BINS, Feel, FeelTable, SoloFeel, from_beats, measure, quartiles, read_solos};
use improv::generate::{GenerateOptions, changes_from_symbols, generate};
use improv::hearing::JazzStyle;
use improv::improvise::Playing;
use improv::model::{Precision, Weights};
use improv::theory::symbol::parse_changes;
use rayon::prelude::*;

/// A ii–V–I, a Bb blues, Autumn Leaves' A section and rhythm changes' A (as
/// `scripts/masters-study.sh`).
const PROGRESSIONS: [&str; 4] = [
    "Dm7 G7 | Cmaj7 | Em7 A7 | Dm7 G7",
    "Bb7 | Eb7 | Bb7 | Bb7 | Eb7 | Eb7 | Bb7 | G7 | Cm7 | F7 | Bb7 G7 | Cm7 F7",
    "Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm7 | Gm7",
    "Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Ebmaj7 Ab7 | Dm7 G7 | Cm7 F7",
];
/// The tempos of the study, BPM.
const TEMPOS: [f64; 3] = [120.0, 180.0, 240.0];
/// A WJD solo is at a comparable tempo within this factor of the study's tempo…
const TEMPO_BAND: f64 = 1.25;
/// …widened (by the same factor again) until the band holds this many solos of the style.
const MIN_BAND_SOLOS: usize = 8;
/// Bars of each solo.
const BARS: usize = 32;

/// One style at one tempo: Improv's Auto-feel solos beside the WJD's.
struct Cell {
    style: JazzStyle,
    tempo: f64,
    /// Improv's solos with a swing ratio (20+ eighth pairs), and their median ratio.
    swung: usize,
    swing: Option<f64>,
    /// The WJD's quartiles at a comparable tempo, the solos in the band and its range in BPM.
    band: Option<(f64, f64, usize, f64, f64)>,
    /// Mean over Improv's solos of the velocity spread and of its correlations with
    /// pitch and with position in the phrase.
    velocity_sd: f64,
    pitch: f64,
    phrase: f64,
    /// The WJD's mean correlations (the style's solos).
    wjd_pitch: f64,
    wjd_phrase: f64,
    /// Overlap of Improv's articulation histogram with the style's learned one.
    overlap: f64,
}

fn wjd() -> Vec<SoloFeel> {
    read_solos(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/wjd")).into_iter().map(|s| s.1).collect()
}

fn of_style(solos: &[SoloFeel], style: JazzStyle) -> impl Iterator<Item = &SoloFeel> {
    solos.iter().filter(move |s| style == JazzStyle::All || s.style == style.label())
}

/// The quartiles of the style's solos' swing ratios at a tempo near `tempo`:
/// solos in swing feels (Latin and funk ones are played straight), or, for a
/// style played only straight (fusion), all of them.
fn band(solos: &[SoloFeel], style: JazzStyle, tempo: f64) -> Option<(f64, f64, usize, f64, f64)> {
    let measured: Vec<&SoloFeel> = of_style(solos, style).filter(|s| s.feel.swing.is_some()).collect();
    let swinging: Vec<&SoloFeel> = measured.iter().copied().filter(|s| !s.straight()).collect();
    let swung = if swinging.is_empty() { measured } else { swinging };
    let mut factor = TEMPO_BAND;
    loop {
        let (lo, hi) = (tempo / factor, tempo * factor);
        let ratios: Vec<f64> =
            swung.iter().filter(|s| (lo..=hi).contains(&s.tempo)).filter_map(|s| s.feel.swing).collect();
        if ratios.len() >= MIN_BAND_SOLOS || factor > 4.0 {
            let (q1, _, q3) = quartiles(&ratios)?;
            return Some((q1, q3, ratios.len(), lo, hi));
        }
        factor *= TEMPO_BAND;
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// One Auto-feel solo of the masters' model, measured.
fn solo_feel(weights: &Weights, table: &FeelTable, style: JazzStyle, tempo: f64, progression: &str, seed: u64) -> Feel {
    let changes = changes_from_symbols(&parse_changes(progression, 4).unwrap());
    let options = GenerateOptions {
        bars: BARS,
        tempo,
        style: Playing { style, ..Playing::for_weights(weights) },
        seed,
        precision: Precision::LIVE,
    };
    let solo = generate(weights, &changes, &options);
    let feel = Performance::auto(table.style(style.label()), tempo);
    let played: Vec<(f64, f64, u8, Option<f64>)> = solo
        .performed(&feel)
        .into_iter()
        .zip(&solo.notes)
        .map(|((start, length, velocity), n)| (start, length, n.key, Some(velocity as f64)))
        .collect();
    measure(&from_beats(&played, tempo))
}

fn study(styles: &[JazzStyle], progressions: &[&str], seeds: u64) -> Vec<Cell> {
    let table: FeelTable = serde_json::from_str(FEEL_JSON).unwrap();
    let weights = improv::masters_weights().unwrap();
    let masters = wjd();
    let cells: Vec<(JazzStyle, f64)> = styles.iter().flat_map(|&s| TEMPOS.map(|t| (s, t))).collect();
    cells
        .par_iter()
        .map(|&(style, tempo)| {
            let runs: Vec<(&str, u64)> = progressions.iter().flat_map(|&p| (0..seeds).map(move |s| (p, s))).collect();
            let feels: Vec<Feel> =
                runs.par_iter().map(|&(p, s)| solo_feel(&weights, &table, style, tempo, p, s)).collect();
            let ratios: Vec<f64> = feels.iter().filter_map(|f| f.swing).collect();
            let mut hist = [0u64; ARTICULATION_BINS];
            for f in &feels {
                hist.iter_mut().zip(&f.articulation).for_each(|(h, &c)| *h += c);
            }
            let total = hist.iter().sum::<u64>().max(1) as f64;
            let learned = &table.style(style.label()).articulation_shares;
            let overlap = hist.iter().zip(learned).map(|(&c, &w)| (c as f64 / total).min(w)).sum();
            Cell {
                style,
                tempo,
                swung: ratios.len(),
                swing: quartiles(&ratios).map(|q| q.1),
                band: band(&masters, style, tempo),
                velocity_sd: mean(feels.iter().filter_map(|f| f.level_sd)),
                pitch: mean(feels.iter().filter_map(|f| f.level_pitch)),
                phrase: mean(feels.iter().filter_map(|f| f.level_phrase)),
                wjd_pitch: mean(of_style(&masters, style).filter_map(|s| s.feel.level_pitch)),
                wjd_phrase: mean(of_style(&masters, style).filter_map(|s| s.feel.level_phrase)),
                overlap,
            }
        })
        .collect()
}

/// Prints the study's table and returns the cells that miss a target, in words.
fn report(cells: &[Cell], solos: usize) -> Vec<String> {
    println!(
        "Auto feel, {solos} solos a cell ({BARS} bars, the masters' model), against the WJD at a comparable tempo:"
    );
    println!(
        "| style | BPM | swing (solos) | WJD quartiles (solos, BPM) | velocity sd | r pitch (WJD) | r phrase (WJD) | articulation overlap |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut misses = Vec::new();
    for c in cells {
        let swing = c.swing.map_or("—".to_string(), |s| format!("{s:.2} ({})", c.swung));
        let band =
            c.band.map_or("—".to_string(), |(q1, q3, n, lo, hi)| format!("{q1:.2}–{q3:.2} ({n}, {lo:.0}–{hi:.0})"));
        println!(
            "| {} | {:.0} | {swing} | {band} | {:.1} | {:+.2} ({:+.2}) | {:+.2} ({:+.2}) | {:.2} |",
            c.style.name(),
            c.tempo,
            c.velocity_sd,
            c.pitch,
            c.wjd_pitch,
            c.phrase,
            c.wjd_phrase,
            c.overlap
        );
        let at = format!("{} at {:.0} BPM", c.style.name(), c.tempo);
        if let (Some(s), Some((q1, q3, ..))) = (c.swing, c.band)
            && !(q1..=q3).contains(&s)
        {
            misses.push(format!("{at}: swing {s:.2} outside {q1:.2}–{q3:.2}"));
        }
        if c.swing.is_none() {
            misses.push(format!("{at}: no solo with 20 eighth pairs"));
        }
        if c.velocity_sd.is_nan() || c.velocity_sd < 6.0 {
            misses.push(format!("{at}: velocity sd {:.1}", c.velocity_sd));
        }
        if c.pitch.signum() != c.wjd_pitch.signum() || c.phrase.signum() != c.wjd_phrase.signum() {
            misses.push(format!("{at}: dynamics' signs {:+.2}/{:+.2} against the WJD's", c.pitch, c.phrase));
        }
        if c.overlap.is_nan() || c.overlap < 0.7 {
            misses.push(format!("{at}: articulation overlap {:.2}", c.overlap));
        }
    }
    misses
}

/// CI's sample: three styles, two progressions, two seeds, all three tempos.
#[test]
fn a_sample_of_auto_feel_plays_as_the_masters() {
    let styles = [JazzStyle::All, JazzStyle::Swing, JazzStyle::Bebop];
    let cells = study(&styles, &PROGRESSIONS[..2], 2);
    let misses = report(&cells, 4);
    assert!(misses.is_empty(), "{misses:#?}");
}

/// The whole study: `bash scripts/feel-study.sh`.
#[test]
#[ignore = "the release-mode study: bash scripts/feel-study.sh"]
fn auto_feel_plays_as_the_masters() {
    let styles: Vec<JazzStyle> = JazzStyle::ALL.into_iter().filter(|&s| s != JazzStyle::Free).collect();
    let seeds = std::env::var("SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let cells = study(&styles, &PROGRESSIONS, seeds);
    let misses = report(&cells, PROGRESSIONS.len() * seeds as usize);
    assert!(misses.is_empty(), "{misses:#?}");
}
