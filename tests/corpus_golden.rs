//! The corpus pipeline against the reference's own output on original_metheny.mid
//! (`tests/golden/preprocess.json`, copied from `shared/design/golden`).

mod common;

use common::{golden, metheny, strings};
use improv::corpus::{Corpus, CorpusOptions};
use improv::dataset::Windows;
use improv::grammar::{Harmony, Vocabulary};
use improv::score::ElementKind;
use serde_json::Value;

fn corpus() -> Corpus {
    Corpus::from_path(&metheny(), &CorpusOptions::default()).expect("reference corpus")
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

#[test]
fn recognises_the_reference_file() {
    let c = corpus();
    let g = golden("preprocess.json");
    assert!(c.is_reference);
    assert_eq!(c.sha256, g["meta"]["midi_sha256"].as_str().unwrap());
    assert_eq!(c.file, improv::corpus::FileKind::Midi { format: 1, ticks_per_quarter: 96 });
    assert_eq!(c.parts[c.melody.part].track, 11);
    assert_eq!(c.parts[c.chords.part].track, 6);
}

#[test]
fn eighteen_measures_element_by_element() {
    let c = corpus();
    let g = golden("preprocess.json");
    assert_eq!(c.measures.len(), 18);
    for (k, m) in c.measures.iter().enumerate() {
        let want = g["measures"][(k + 1).to_string()].as_array().unwrap();
        assert_eq!(m.elements.len(), want.len(), "measure {}", k + 1);
        for (e, w) in m.elements.iter().zip(want) {
            assert_eq!(e.offset.to_string(), w["offset_frac"].as_str().unwrap(), "measure {}", k + 1);
            assert_eq!(e.duration.to_string(), w["ql_frac"].as_str().unwrap(), "measure {}", k + 1);
            match &e.kind {
                ElementKind::Rest => assert_eq!(w["class"], "Rest"),
                ElementKind::Note { key, .. } => {
                    assert_eq!(w["class"], "Note");
                    assert_eq!(*key as i64, w["midi"].as_i64().unwrap());
                }
                ElementKind::Chord { .. } => panic!("no melody chord in the window"),
            }
        }
    }
}

#[test]
fn nineteen_chord_groups_with_pitches_offsets_and_quality() {
    let c = corpus();
    let g = golden("preprocess.json");
    assert_eq!(g["n_chords_dict"], 19);
    for (k, m) in c.measures.iter().enumerate() {
        let want: Vec<&Value> =
            g["chords"][(k + 1).to_string()].as_array().unwrap().iter().filter(|e| e["class"] == "Chord").collect();
        assert_eq!(m.chords.len(), want.len(), "chord group {}", k + 1);
        for (ch, w) in m.chords.iter().zip(want) {
            assert_eq!(ch.offset.to_string(), w["offset_frac"].as_str().unwrap());
            assert_eq!(ch.duration.to_string(), w["ql_frac"].as_str().unwrap());
            let keys: Vec<i64> = ch.keys.iter().map(|&k| k as i64).collect();
            assert_eq!(keys, ints(&w["midi"]), "chord group {}", k + 1);
            assert_eq!(Harmony::new(&ch.keys).quality.as_str(), w["quality"].as_str().unwrap());
        }
    }
}

#[test]
fn grammars_corpus_and_vocabulary() {
    let c = corpus();
    let g = golden("preprocess.json");
    assert_eq!(c.grammar_strings(), strings(&g["abstract_grammars"]));
    let tokens = c.tokens();
    assert_eq!(tokens.len(), 275);
    assert_eq!(tokens, strings(&g["corpus"]));
    let vocab = Vocabulary::from_tokens(&tokens);
    assert_eq!(vocab.len(), 90);
    assert_eq!(vocab.values(), strings(&g["vocab_sorted"]).as_slice());
}

#[test]
fn sixty_windows_and_x_y_indices() {
    let c = corpus();
    let g = golden("preprocess.json");
    let tokens = c.tokens();
    let vocab = Vocabulary::from_tokens(&tokens);
    let idx = vocab.encode(&tokens).unwrap();
    let w = Windows::reference(&idx).unwrap();
    let starts: Vec<i64> = w.starts.iter().map(|&s| s as i64).collect();
    assert_eq!(starts, ints(&g["window_starts_np_seed0"]));
    let as_i64 = |o: &Option<usize>| o.map_or(-1, |i| i as i64);
    for (i, row) in w.x.iter().enumerate() {
        let got: Vec<i64> = row.iter().map(as_i64).collect();
        assert_eq!(got, ints(&g["X_idx_sorted_vocab"][i]), "X window {i}");
    }
    // The golden Y is stored step-major: Y[t][window].
    for t in 0..30 {
        let got: Vec<i64> = w.y.iter().map(|row| as_i64(&row[t])).collect();
        assert_eq!(got, ints(&g["Y_idx_sorted_vocab"][t]), "Y step {t}");
    }
}
