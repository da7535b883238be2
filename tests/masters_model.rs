//! The masters' model (weights/wjd.bin): it hears the changes and the beat by
//! itself, on solos it was not trained on; it plays over any changes in time;
//! and it is what `--model wjd` plays.

mod common;

use improv::corpus::{Corpus, CorpusOptions};
use improv::grammar::masters::LineStep;
use improv::hearing::{JazzStyle, heard};
use improv::masters::{ChordTrack, VALIDATION_FILES, heard_line, heard_over, index_lines, lines_of, style_of};
use improv::model::{Heard, Weights, ZeroTargets, loss_and_grad_heard};
use improv::training_set::validation_files;

/// The held-out solos of the shipped model, read.
fn held_out(w: &Weights) -> Vec<Corpus> {
    let held = validation_files(w.sources.len(), VALIDATION_FILES, w.training.seed);
    held.iter()
        .map(|&i| {
            let path = common::project(&format!("data/wjd/melody/{}", w.sources[i].name));
            Corpus::from_path(&path, &CorpusOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

/// Mean loss per token of the model on lines, each step hearing `hear(line)`.
fn loss_per_token(w: &Weights, lines: &[(Vec<usize>, Vec<Heard>)]) -> f64 {
    let (mut loss, mut tokens) = (0.0f64, 0usize);
    for (t, h) in lines {
        // Input t is token t - 1 (none first); step t hears token t and predicts it.
        let x: Vec<Option<usize>> = std::iter::once(None).chain(t[..t.len() - 1].iter().map(|&i| Some(i))).collect();
        let y: Vec<Option<usize>> = t.iter().map(|&i| Some(i)).collect();
        loss += loss_and_grad_heard(&w.params, &[&x], &[h], &[&y], ZeroTargets::Exact, None) as f64;
        tokens += t.len();
    }
    loss / tokens as f64
}

/// The lines of a solo as vocabulary indices, with what each step hears made by `hear`.
fn heard_lines(
    w: &Weights,
    corpus: &Corpus,
    hear: impl Fn(&[LineStep], JazzStyle) -> Vec<Heard>,
) -> Vec<(Vec<usize>, Vec<Heard>)> {
    let lines = lines_of(corpus);
    let style = style_of(corpus);
    let indexed = index_lines(&lines, &w.vocabulary, style);
    // index_lines keeps every step whose token maps (all do: the vocabulary has a
    // nearest of every kind), so its lines match the encoded ones one to one.
    indexed
        .into_iter()
        .zip(&lines)
        .filter(|(l, line)| l.tokens.len() == line.len() && line.len() > 1)
        .map(|(l, line)| (l.tokens, hear(line, style)))
        .collect()
}

#[test]
fn the_model_hears_the_changes_and_the_beat_on_solos_it_never_saw() {
    let w = improv::masters_weights().unwrap();
    let solos = held_out(&w);
    assert_eq!(solos.len(), VALIDATION_FILES);
    let (mut truth, mut other, mut shifted) = (Vec::new(), Vec::new(), Vec::new());
    for (i, solo) in solos.iter().enumerate() {
        // Another held-out solo's changes, bar by bar, in place of this one's.
        let elsewhere = ChordTrack::of(&solos[(i + 1) % solos.len()]);
        truth.extend(heard_lines(&w, solo, heard_line));
        other.extend(heard_lines(&w, solo, |line, style| heard_over(line, &elsewhere, style)));
        // The true chords, every position heard an eighth late.
        shifted.extend(heard_lines(&w, solo, |line, style| {
            line.iter().map(|s| heard(s.chord.as_ref(), s.previous, s.at + 6, s.changed, style)).collect()
        }));
    }
    let (t, o, s) = (loss_per_token(&w, &truth), loss_per_token(&w, &other), loss_per_token(&w, &shifted));
    let tokens: usize = truth.iter().map(|l| l.0.len()).sum();
    println!(
        "held-out loss per token over {tokens} tokens of {} solos: true changes and positions {t:.3}, another solo's changes {o:.3}, positions an eighth late {s:.3}",
        solos.len()
    );
    assert!(t < o, "the true changes ({t:.3}) must explain the line better than another solo's ({o:.3})");
    assert!(t < s, "the true positions ({t:.3}) must explain the line better than shifted ones ({s:.3})");
}

/// How much the model hears the style, on the same held-out solos: the loss per
/// token with each solo's own label, with `All` (the label left out) and with
/// another of the four main styles' labels. Printed for the record: the label is
/// learned weakly (MUSICALITY.md, "Style voices"), and this is its size.
#[test]
fn the_style_label_is_heard_on_solos_it_never_saw() {
    let w = improv::masters_weights().unwrap();
    let solos = held_out(&w);
    let main = [JazzStyle::Traditional, JazzStyle::Swing, JazzStyle::Cool, JazzStyle::Bebop];
    let (mut own, mut all, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for solo in &solos {
        own.extend(heard_lines(&w, solo, heard_line));
        all.extend(heard_lines(&w, solo, |line, _| heard_line(line, JazzStyle::All)));
        // The next of the four main styles after its own (bebop for a solo of
        // another label).
        other.extend(heard_lines(&w, solo, |line, style| {
            let next = main.iter().position(|&m| m == style).map_or(JazzStyle::Bebop, |k| main[(k + 1) % main.len()]);
            heard_line(line, next)
        }));
    }
    let (o, a, x) = (loss_per_token(&w, &own), loss_per_token(&w, &all), loss_per_token(&w, &other));
    println!("held-out loss per token: own style {o:.4}, style left out (all) {a:.4}, another style {x:.4}");
    assert!(o < x, "its own style ({o:.4}) must explain a solo better than another's ({x:.4})");
}

/// With no guidance at all, the model's own rhythm follows the changes: the same
/// seed over two progressions plays different rhythms, and its chord-tone share
/// is reported beside the masters' (49 % of WJD notes are tones of the seventh
/// chord under them).
#[test]
fn unguided_the_same_seed_plays_other_rhythms_over_other_changes() {
    use improv::generate::{GenerateOptions, changes_from_symbols, generate};
    use improv::grammar::NoteType;
    use improv::improvise::{Guidance, Playing};
    use improv::model::Precision;
    let w = improv::masters_weights().unwrap();
    let options = GenerateOptions {
        bars: 16,
        tempo: 130.0,
        style: Playing { guidance: Guidance::PLAIN, ..Playing::default() },
        seed: 1,
        precision: Precision::LIVE,
    };
    let mut rhythms = Vec::new();
    for symbols in ["Dm7 G7 | Cmaj7 | Em7 A7 | Dm7 G7", "Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm7 | Gm7"] {
        let bars = improv::theory::symbol::parse_changes(symbols, 4).unwrap();
        let solo = generate(&w, &changes_from_symbols(&bars), &options);
        let chord = solo.notes.iter().filter(|n| n.kind == NoteType::Chord).count();
        println!(
            "--plain over {symbols:?}: {} notes, {:.1} % chord tones (the WJD: 49 % of notes are tones of the seventh chord under them)",
            solo.notes.len(),
            100.0 * chord as f64 / solo.notes.len() as f64
        );
        rhythms.push(solo.notes.iter().map(|n| n.start).collect::<Vec<_>>());
    }
    assert!(rhythms[0].len() > 40 && rhythms[1].len() > 40);
    assert_ne!(rhythms[0], rhythms[1], "the same seed's rhythm depends on the changes it hears");
}

/// The longest run of tokens that two different solos of the corpus share, in the
/// masters' grammar (what novelty over the whole corpus should be measured
/// against). A study over 423 solos: `cargo test --release --test masters_model --
/// --ignored --nocapture`.
#[test]
#[ignore = "a release-mode study"]
fn the_longest_run_two_masters_share() {
    use std::collections::HashMap;
    let w = improv::masters_weights().unwrap();
    let shared = |k: usize| -> Option<(usize, usize)> {
        let mut seen: HashMap<&[u16], usize> = HashMap::new();
        for (f, seq) in w.corpus.iter().enumerate() {
            for run in seq.windows(k) {
                match seen.get(run) {
                    Some(&g) if g != f => return Some((g, f)),
                    Some(_) => {}
                    None => {
                        seen.insert(run, f);
                    }
                }
            }
        }
        None
    };
    let (mut lo, mut hi) = (1usize, 256usize);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if shared(mid).is_some() { lo = mid } else { hi = mid - 1 }
    }
    let (a, b) = shared(lo).unwrap();
    let runs = |k: usize| w.corpus.iter().map(|s| s.windows(k).count()).sum::<usize>();
    println!(
        "the longest run two different solos share: {lo} tokens ({} and {}); {} runs of 9 tokens in the corpus",
        w.sources[a].name,
        w.sources[b].name,
        runs(9)
    );
    assert!(lo >= 2);
}

/// The breaths a model that hears draws from ([`MASTERS_BREATHS`]) are the WJD's:
/// the rests between its annotated phrases in the 4/4 solos of `data/wjd`, from a
/// phrase's last note-off (as played) to the next phrase's first onset, in beats.
///
/// [`MASTERS_BREATHS`]: improv::improvise::phrase::MASTERS_BREATHS
#[test]
fn the_masters_breaths_are_the_wjds() {
    use improv::improvise::phrase::MASTERS_BREATHS;
    let beats = |b: improv::score::Beats| *b.numer() as f64 / *b.denom() as f64;
    let mut breaths = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/wjd/melody");
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Ok(solo) = improv::wjd::Solo::read(&bytes, None, None) else { continue };
        if solo.beats_per_bar != 4 || solo.metre_change.is_some() {
            continue;
        }
        for pair in solo.notes.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if let (Some(p), Some(q)) = (a.phrase, b.phrase)
                && p != q
            {
                let breath = beats(b.position) - beats(a.position) - a.length;
                if breath > 0.0 {
                    breaths.push(breath.clamp(MASTERS_BREATHS[0], MASTERS_BREATHS[10]));
                }
            }
        }
    }
    breaths.sort_by(f64::total_cmp);
    let decile = |i: usize| breaths[(i * (breaths.len() - 1)) / 10];
    let found: Vec<f64> = (0..=10).map(decile).collect();
    println!("{} breaths; deciles {found:.2?}", breaths.len());
    assert!((9_000..11_000).contains(&breaths.len()), "{} breaths", breaths.len());
    for (f, m) in found.iter().zip(MASTERS_BREATHS) {
        assert!((f - m).abs() <= 0.05, "deciles {found:.2?} against {MASTERS_BREATHS:?}");
    }
}

/// The shipped styles' voices make the free line play each style: over the same
/// changes (a few of the WJD's bebop solos'), bebop plays more notes a bar and more
/// pitch-class churn than traditional, and cool more eighth gaps than swing.
#[test]
fn the_styles_voices_are_heard_in_the_free_line() {
    use improv::style_voices::{StyleSample, played_signature, samples};
    let w = improv::masters_weights().unwrap();
    assert_eq!(w.heard_logits.len(), 7, "a voice for each of the WJD's styles but free (no 4/4 solo with chords)");
    let wjd = samples(&[common::project("data/wjd")]);
    let bebop = wjd.iter().find(|s| s.style == JazzStyle::Bebop).unwrap();
    let changes: Vec<_> = bebop.changes.iter().take(6).cloned().collect();
    let play = |style| played_signature(&w, &StyleSample { style, changes: changes.clone(), ..bebop.clone() });
    let [traditional, swing, cool, bebop] =
        [JazzStyle::Traditional, JazzStyle::Swing, JazzStyle::Cool, JazzStyle::Bebop].map(play);
    println!("traditional {traditional:.2?}\nswing {swing:.2?}\ncool {cool:.2?}\nbebop {bebop:.2?}");
    assert!(bebop[0] > traditional[0] + 0.5 && bebop[1] > traditional[1] + 0.1);
    assert!(cool[3] > swing[3] + 0.03);
}

/// The voices' fit is the same on any number of threads (the styles are fitted
/// in parallel, each on the portable f32 step).
#[test]
fn the_styles_voices_fit_the_same_on_one_thread_or_two() {
    use improv::style_voices::{fit, samples};
    let mut w = improv::masters_weights().unwrap();
    w.heard_logits.clear();
    let mut wjd = samples(&[common::project("data/wjd")]);
    wjd.truncate(2);
    wjd.iter_mut().for_each(|s| s.changes.truncate(2));
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| fit(&w, &wjd, 2, |_, _| {}))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one.len(), 2);
    assert!(one.iter().all(|(_, row)| row.iter().any(|&x| x != 0.0)), "two rounds move every voice");
}
