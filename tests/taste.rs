//! Taste, judged without people: a simulated listener with a hidden rule rates 50
//! generated solos through `improv rate`; a preference model is fitted to the
//! ratings file; then over 20 seeds × 4 progressions the share of phrases the
//! listener likes must rise by at least 25 points from Taste 0 to Taste 1, with
//! the musicality targets that held at Taste 0 still holding. Three rules, none
//! of them a feature of the preference model. Also: no ratings or Taste 0 play
//! today's solo byte for byte, and a corrupt ratings file turns taste off in one
//! line without losing a byte.

mod common;

use improv::generate::{GenerateOptions, Solo, changes_from_symbols, generate_to_taste};
use improv::improvise::Playing;
use improv::model::Precision;
use improv::taste::phrases::{Phrase, of_solo};
use improv::taste::{Preference, Taste, ratings};
use improv::theory::symbol::parse_changes;
use std::path::Path;
use std::process::Command;

const PROGRESSIONS: [&str; 4] =
    ["Dm7 G7 | Cmaj7 | Cm7 F7 | Bbmaj7", "Bb7 | Eb7 | Bb7 | F7", "Am7b5 | D7b9 | Gm7 | Gm7", "Ebmaj7 | C7 | Fm7 | Bb7"];

/// A listener's hidden rule: does it like this phrase?
struct Listener {
    name: &'static str,
    likes: fn(&Phrase) -> bool,
}

/// Three listeners, each with a rule of several conditions that no single
/// feature of the preference model spells out.
const LISTENERS: [Listener; 3] = [
    // Ends on a chord tone held at least an eighth, then rests two beats or more.
    Listener {
        name: "lands and breathes",
        likes: |p| {
            p.notes.last().is_some_and(|n| n.kind == improv::grammar::NoteType::Chord && n.length >= 6)
                && p.rest_after >= 24
        },
    },
    // No more than four moves in one direction, and no leap over a fifth.
    Listener {
        name: "smooth",
        likes: |p| {
            improv::taste::features::longest_run(&p.notes) <= 4
                && p.notes.windows(2).all(|w| (w[1].key as i32 - w[0].key as i32).abs() <= 7)
        },
    },
    // Compact: within an octave, at most eleven notes.
    Listener {
        name: "compact",
        likes: |p| {
            let (lo, hi) = p.notes.iter().fold((127, 0), |(lo, hi), n| (n.key.min(lo), n.key.max(hi)));
            hi - lo <= 12 && p.notes.len() <= 11
        },
    },
];

fn changes(symbols: &str) -> improv::generate::Changes {
    changes_from_symbols(&parse_changes(symbols, 4).unwrap())
}

fn solo(weights: &improv::model::Weights, seed: u64, progression: usize, taste: Option<Taste>) -> (Solo, Vec<usize>) {
    let options = GenerateOptions {
        bars: improv::musicality::BARS,
        tempo: 130.0,
        style: Playing::default(),
        seed,
        precision: Precision::F16,
    };
    let mut drawn = Vec::new();
    let solo =
        generate_to_taste(weights, &changes(PROGRESSIONS[progression]), &options, taste, &mut |d| drawn.push(d.token));
    (solo, drawn)
}

fn improv(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_improv")).args(args).env("XDG_CONFIG_HOME", config).output().unwrap()
}

/// Writes a solo's tokens file as `generate --tokens` does (the rating fields).
fn write_tokens(solo: &Solo, path: &Path) {
    let doc = improv::taste::document::rating_fields(solo, "wjd", serde_json::Value::Null, &[]);
    std::fs::write(path, serde_json::to_vec(&doc).unwrap()).unwrap();
}

/// The listener rates the phrases of 50 solos through `improv rate`: the liked
/// ones good, the others bad, a call for each.
fn rate_fifty(weights: &improv::model::Weights, listener: &Listener, config: &Path) {
    for k in 0..50u64 {
        let (s, _) = solo(weights, 1000 + k, k as usize % PROGRESSIONS.len(), None);
        let file = config.join(format!("solo{k}.json"));
        write_tokens(&s, &file);
        let phrases = of_solo(&s);
        let file = file.to_str().unwrap();
        for (verdict, want) in [("good", true), ("bad", false)] {
            let numbers: Vec<String> = (0..phrases.len())
                .filter(|&i| (listener.likes)(&phrases[i]) == want)
                .map(|i| (i + 1).to_string())
                .collect();
            if numbers.is_empty() {
                continue;
            }
            let mut args = vec!["rate", file, verdict];
            for n in &numbers {
                args.extend(["--phrase", n]);
            }
            let out = improv(config, &args);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

#[test]
fn a_simulated_listeners_taste_is_learned_and_played_to() {
    let weights = improv::masters_weights().unwrap();
    let training: Vec<Vec<usize>> = weights.corpus.iter().map(|s| s.iter().map(|&t| t as usize).collect()).collect();
    let (mut report, mut failures) = (String::new(), Vec::new());
    // The listeners are independent: one thread each.
    let studies: Vec<(String, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = LISTENERS.iter().map(|l| scope.spawn(|| study(&weights, &training, l))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (text, failed) in studies {
        report.push_str(&text);
        failures.extend(failed);
    }
    println!("{report}");
    assert!(failures.is_empty(), "{failures:?}\n{report}");
}

/// One listener's study: its ratings, the liked shares at Taste 0 and 1, and the
/// musicality targets; returns the report and what failed.
fn study(weights: &improv::model::Weights, training: &[Vec<usize>], listener: &Listener) -> (String, Vec<String>) {
    let mut report = String::new();
    let mut failures = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    rate_fifty(weights, listener, dir.path());
    let file = dir.path().join("improv").join(ratings::FILE_NAME);
    let saved = ratings::load(&file).unwrap();
    let preference = Preference::fit(&ratings::examples(&saved)).unwrap();
    let taste = Taste { weight: 1.0, candidates: improv::taste::DEFAULT_CANDIDATES, preference };
    let (mut liked, mut phrases) = ([0usize; 2], [0usize; 2]);
    let mut means = [improv::musicality::Means::default(), improv::musicality::Means::default()];
    for seed in 0..20u64 {
        for progression in 0..PROGRESSIONS.len() {
            for (i, t) in [None, Some(taste)].into_iter().enumerate() {
                let (s, drawn) = solo(weights, seed, progression, t);
                let ps = of_solo(&s);
                phrases[i] += ps.len();
                liked[i] += ps.iter().filter(|p| (listener.likes)(p)).count();
                means[i].add(&improv::musicality::measure_solo(&s, &drawn, training));
            }
        }
    }
    let share = |i: usize| 100.0 * liked[i] as f64 / phrases[i].max(1) as f64;
    let [before, after] = means.map(improv::musicality::Means::row);
    let line = format!(
        "{:<20} {} ratings ({} good): liked {:.1}% of {} phrases at Taste 0, {:.1}% of {} at Taste 1 ({:+.1} points); learned: {}\n",
        listener.name,
        saved.len(),
        preference.rated.0,
        share(0),
        phrases[0],
        share(1),
        phrases[1],
        share(1) - share(0),
        preference.in_words()
    );
    report.push_str(&line);
    if share(1) - share(0) < 25.0 {
        failures.push(format!("{}: rose {:.1} points", listener.name, share(1) - share(0)));
    }
    for target in improv::musicality::targets() {
        let (b, a) = ((target.value)(&before), (target.value)(&after));
        report.push_str(&format!("    {:<40} {:>8.3} → {:>8.3}\n", target.name, b, a));
        if (target.met)(b) && !(target.met)(a) {
            failures.push(format!("{}: {} {} at Taste 1 ({b:.3} at Taste 0)", listener.name, target.name, a));
        }
    }
    (report, failures)
}
