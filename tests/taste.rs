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
use improv::taste::{PhraseNote, Preference, Taste, ratings};
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
        style: Playing::for_weights(weights),
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

/// `improv generate` in `dir` with the ratings of `config`.
fn generate_in(dir: &Path, config: &Path, extra: &[&str]) -> (std::process::Output, Vec<u8>) {
    let mut args = vec!["generate", "--seed", "4", "--bars", "8", "--chords", "Dm7 G7 | Cmaj7", "-o"];
    let out_name = format!("s{}.mid", extra.join("_").replace(['-', ' ', '/'], ""));
    let out_path = dir.join(&out_name);
    args.push(out_path.to_str().unwrap());
    args.extend(extra);
    let out = improv(config, &args);
    let bytes = std::fs::read(&out_path).unwrap_or_default();
    (out, bytes)
}

/// Rates every phrase of one solo good, so a preference exists.
fn rate_one_solo(dir: &Path, config: &Path) {
    let tokens = dir.join("rated.json");
    let out = improv(
        config,
        &[
            "generate",
            "--seed",
            "9",
            "--bars",
            "16",
            "--tokens",
            tokens.to_str().unwrap(),
            "-o",
            dir.join("rated.mid").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = improv(config, &["rate", tokens.to_str().unwrap(), "good", "--phrase", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = improv(config, &["rate", tokens.to_str().unwrap(), "bad", "--phrase", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn without_ratings_or_at_taste_zero_the_solo_is_todays_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty-config");
    let (out, today) = generate_in(dir.path(), &empty, &[]);
    assert!(out.status.success());
    let (out, no_ratings) = generate_in(dir.path(), &empty, &["--taste", "1"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no ratings yet"));
    assert_eq!(no_ratings, today, "no ratings: today's solo");
    let config = dir.path().join("config");
    rate_one_solo(dir.path(), &config);
    let (_, zero) = generate_in(dir.path(), &config, &["--taste", "0"]);
    assert_eq!(zero, today, "Taste 0: today's solo");
    let (out, tasteful) = generate_in(dir.path(), &config, &["--taste", "1", "--candidates", "4"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("taste 1 over 4 candidates a phrase, from 2 ratings"));
    assert_ne!(tasteful, today, "Taste 1 with ratings searches");
    let (_, again) = generate_in(dir.path(), &config, &["--taste", "1", "--candidates", "4"]);
    assert_eq!(again, tasteful, "the same ratings and seed play the same solo");
}

#[test]
fn bad_ratings_files_turn_taste_off_in_one_line_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let file = config.join("improv").join(ratings::FILE_NAME);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let (_, today) = generate_in(dir.path(), &dir.path().join("none"), &[]);
    let held: &[u8] = b"{\"verdict\":\"good\"}\n\xff\xfe not json at all";
    for (what, bytes) in [("corrupt", held), ("empty", b"".as_slice()), ("one brace", b"{".as_slice())] {
        std::fs::write(&file, bytes).unwrap();
        let (out, solo) = generate_in(dir.path(), &config, &["--taste", "1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: {stderr}");
        assert_eq!(solo, today, "{what}: taste falls back to off");
        if !bytes.is_empty() {
            assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: one line: {stderr}");
            assert!(stderr.contains("taste is off") && stderr.contains("playing without taste"), "{stderr}");
            common::assert_fails(&improv(&config, &["taste"]), "is not a rating");
        }
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{what}: the file is as it was");
    }
    // Rating into a corrupt file appends on a line of its own and keeps every byte.
    std::fs::write(&file, held).unwrap();
    rate_one_solo(dir.path(), &config);
    let after = std::fs::read(&file).unwrap();
    assert!(after.starts_with(held) && after.len() > held.len() + 100);
    assert_eq!(after[held.len()], b'\n', "the torn line is closed first");
    // A huge file is refused, not read; a folder is not a file.
    let huge = std::fs::File::create(&file).unwrap();
    huge.set_len(ratings::MAX_BYTES + 1).unwrap();
    common::assert_fails(&improv(&config, &["taste"]), "larger than the 32 MB");
    let (out, solo) = generate_in(dir.path(), &config, &["--taste", "1"]);
    assert!(out.status.success() && solo == today);
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    common::assert_fails(&improv(&config, &["taste"]), "not a regular file");
}

#[test]
fn rate_refuses_what_it_cannot_rate_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let tokens = dir.path().join("t.json");
    let out = improv(
        &config,
        &[
            "generate",
            "--seed",
            "2",
            "--bars",
            "8",
            "--tokens",
            tokens.to_str().unwrap(),
            "-o",
            dir.path().join("t.mid").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let t = tokens.to_str().unwrap();
    common::assert_fails(&improv(&config, &["rate", t, "good", "--phrase", "99"]), "has no phrase 99");
    common::assert_fails(&improv(&config, &["rate", t, "meh"]), "meh");
    let garbage = dir.path().join("g.json");
    std::fs::write(&garbage, b"\x00\x01{{").unwrap();
    common::assert_fails(&improv(&config, &["rate", garbage.to_str().unwrap(), "good"]), "not a tokens file");
    std::fs::write(
        &garbage,
        br#"{"phrases":[{"notes":[{"at":0,"length":-5,"key":60,"kind":"C","guide":false}],"rest_after":1}]}"#,
    )
    .unwrap();
    common::assert_fails(&improv(&config, &["rate", garbage.to_str().unwrap(), "good"]), "impossible notes");
    common::assert_fails(&improv(&config, &["rate", "/dev/zero", "good"]), "larger than");
    assert!(!config.join("improv").join(ratings::FILE_NAME).exists(), "nothing was rated");
}

#[test]
fn taste_says_what_it_learned_and_reset_keeps_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let out = improv(&config, &["taste"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no ratings yet"));
    rate_one_solo(dir.path(), &config);
    let out = improv(&config, &["taste"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("2 ratings (1 good, 1 bad)"), "{text}");
    let file = config.join("improv").join(ratings::FILE_NAME);
    let held = std::fs::read(&file).unwrap();
    let out = improv(&config, &["taste", "--reset"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("cleared 2 ratings"));
    assert_eq!(std::fs::read(&file).unwrap(), b"");
    assert_eq!(std::fs::read(file.with_file_name(ratings::BACKUP_NAME)).unwrap(), held);
}

#[test]
fn ratings_written_at_once_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("improv").join(ratings::FILE_NAME);
    let note = PhraseNote { at: 0, length: 6, key: 60, kind: improv::grammar::NoteType::Chord, guide: true };
    std::thread::scope(|scope| {
        for t in 0..4 {
            let file = &file;
            scope.spawn(move || {
                for k in 0..25 {
                    let verdict = if (t + k) % 2 == 0 { ratings::Verdict::Good } else { ratings::Verdict::Bad };
                    ratings::append(file, &[ratings::Rating::new(verdict, &[note], 12, "test")]).unwrap();
                }
            });
        }
    });
    assert_eq!(ratings::load(&file).unwrap().len(), 100);
}

#[test]
fn mutated_ratings_files_are_read_or_refused_never_a_panic() {
    let note = PhraseNote { at: 3, length: 6, key: 64, kind: improv::grammar::NoteType::Scale, guide: false };
    let r = ratings::Rating::new(ratings::Verdict::Good, &[note, note], 24, "wjd");
    let line = serde_json::to_vec(&r).unwrap();
    let path = Path::new("ratings.jsonl");
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut read, mut refused) = (0, 0);
    for _ in 0..2000 {
        let mut bytes = line.clone();
        for _ in 0..1 + next() % 4 {
            if bytes.is_empty() {
                break;
            }
            let i = (next() % bytes.len() as u64) as usize;
            match next() % 3 {
                0 => bytes[i] = next() as u8,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, b"{}[]\",:-09e"[(next() % 11) as usize]),
            }
        }
        match ratings::parse(&bytes, path) {
            Ok(all) => {
                read += 1;
                assert!(ratings::examples(&all).iter().all(|(f, _)| f.iter().all(|x| x.is_finite())));
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().contains('\n'));
            }
        }
    }
    assert!(read > 0 && refused > 0, "{read} read, {refused} refused");
}

#[test]
fn audition_asks_at_a_prompt_and_saves_the_answers() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let takes = dir.path().join("takes");
    let mut child = Command::new(env!("CARGO_BIN_EXE_improv"))
        .args(["audition", "--seed", "21", "--takes", "3", "--bars", "8", "--dir", takes.to_str().unwrap()])
        .env("XDG_CONFIG_HOME", &config)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Good, bad; a word it does not know (asked again), bad, skip; good, then quit.
    child.stdin.take().unwrap().write_all(b"g\nb\nmaybe\nbad\ns\ngood\nq\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(answer g, b, s or q)") && text.contains("rated 4 phrases"), "{text}");
    let saved = ratings::load(&config.join("improv").join(ratings::FILE_NAME)).unwrap();
    // Two good and two bad (each take's good ones are saved first, so their order
    // depends on how many phrases a take has).
    let good = saved.iter().filter(|r| r.verdict == ratings::Verdict::Good).count();
    assert_eq!((good, saved.len() - good), (2, 2));
    assert!(saved.iter().all(|r| r.from.starts_with("improv audition") && !r.notes.is_empty()));
    for name in ["take1.mid", "take2.tokens.json", "take3.mid"] {
        assert!(takes.join(name).exists(), "{name}");
    }
    // The end of input stops it as quit does, keeping what was answered.
    let out = improv(&config, &["audition", "--seed", "5", "--takes", "1", "--dir", takes.to_str().unwrap()]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("rated 0 phrases"));
}
