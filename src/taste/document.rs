//! What `generate --tokens` writes for rating, and what `improv rate` reads back:
//! the solo's chords, its phrases (notes typed against their chords, the silence
//! after, the tokens drawn for them, their features), the model and its settings.

use super::features::features;
use super::phrases::{Phrase, of_solo};
use super::ratings::{Rating, SavedNote, Verdict};
use crate::generate::Solo;
use crate::improvise::grid::TICKS_PER_BEAT;
use serde_json::{Value, json};

fn beat(b: crate::score::Beats) -> f64 {
    *b.numer() as f64 / *b.denom() as f64
}

/// The rating fields of a tokens document: `model`, `settings`, `chords` and
/// `phrases`, to merge into it. `tokens` are the drawn tokens' (beat, value), if
/// they were traced.
pub fn rating_fields(solo: &Solo, model: &str, settings: Value, tokens: &[(f64, String)]) -> Value {
    let chords: Vec<Value> = solo
        .chords
        .iter()
        .map(|c| json!({ "beat": beat(c.start), "length": beat(c.length), "name": c.name, "keys": c.keys }))
        .collect();
    let phrases = of_solo(solo);
    let starts: Vec<f64> = phrases.iter().map(|p| beat(solo.notes[p.range.start].start)).collect();
    let phrases: Vec<Value> = phrases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (from, to) = (starts[i], starts.get(i + 1).copied().unwrap_or(f64::INFINITY));
            let drawn: Vec<&str> =
                tokens.iter().filter(|(b, _)| (from..to).contains(b)).map(|(_, t)| t.as_str()).collect();
            phrase_json(i + 1, p, from, &drawn)
        })
        .collect();
    json!({ "model": model, "settings": settings, "chords": chords, "phrases": phrases })
}

fn phrase_json(number: usize, p: &Phrase, from: f64, tokens: &[&str]) -> Value {
    let notes: Vec<SavedNote> = p.notes.iter().map(SavedNote::of).collect();
    json!({
        "phrase": number,
        "beat": from,
        "rest_after": p.rest_after as f64 / TICKS_PER_BEAT as f64,
        "chords": p.chords,
        "tokens": tokens,
        "notes": notes,
        "features": features(&p.notes, p.rest_after).to_vec(),
    })
}

/// The phrases of a tokens document, rated: every phrase, or those numbered in
/// `only` (from 1). An error says what is missing or wrong in a few words.
pub fn rate(doc: &Value, verdict: Verdict, only: &[usize], from: &str) -> Result<Vec<Rating>, String> {
    let phrases = doc["phrases"].as_array().ok_or("it has no phrases (write it with a newer `generate --tokens`)")?;
    if let Some(&n) = only.iter().find(|&&n| n == 0 || n > phrases.len()) {
        return Err(format!("it has no phrase {n} (it has {})", phrases.len()));
    }
    let model = doc["model"].as_str().unwrap_or("unknown").to_string();
    let mut out = Vec::new();
    for (i, p) in phrases.iter().enumerate() {
        if !only.is_empty() && !only.contains(&(i + 1)) {
            continue;
        }
        let bad = |what: &str| format!("phrase {}: {what}", i + 1);
        let notes: Vec<SavedNote> =
            serde_json::from_value(p["notes"].clone()).map_err(|e| bad(&format!("its notes: {e}")))?;
        let rest = p["rest_after"].as_f64().filter(|r| r.is_finite() && (0.0..1e9).contains(r));
        let rest_after = (rest.ok_or_else(|| bad("no rest_after"))? * TICKS_PER_BEAT as f64).round() as i64;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
        };
        let phrase: Vec<_> =
            notes.iter().map(SavedNote::note).collect::<Option<_>>().ok_or_else(|| bad("impossible notes"))?;
        let mut r = Rating::new(verdict, &phrase, rest_after, &model);
        r.phrase().ok_or_else(|| bad("impossible notes"))?;
        r.chords = strings(&p["chords"]);
        r.tokens = strings(&p["tokens"]);
        r.settings = doc["settings"].clone();
        r.from = from.to_string();
        out.push(r);
    }
    Ok(out)
}
