//! The model against Keras (`tests/golden/keras/`, copied from `shared/design/golden/keras`).

mod common;

use common::project;
use improv::model::{Adam, Isa, Model, Params, Sampling, ZeroTargets, loss_and_grad};
use serde_json::Value;

fn keras(name: &str) -> Value {
    common::golden(&format!("keras/{name}"))
}

fn load(name: &str) -> Params<f32> {
    let text = std::fs::read_to_string(project(&format!("tests/golden/keras/{name}"))).unwrap();
    Params::from_keras_json(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn idx(v: &Value) -> Vec<Option<usize>> {
    v.as_array().unwrap().iter().map(|x| usize::try_from(x.as_i64().unwrap()).ok()).collect()
}

#[test]
fn forward_per_step_matches_keras() {
    let params = load("weights.json");
    let fx = keras("forward_fixture.json");
    let xs = idx(&fx["x_idx"]);
    // Every code path this CPU can run (the others fall back to portable).
    for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
        let variant = Model::with_isa(&params, isa);
        assert_eq!((variant.n_values(), variant.hidden()), (90, 64));
        let mut state = variant.zero_state();
        let mut worst = 0.0f64;
        for (t, x) in xs.iter().enumerate() {
            let probs = variant.step(&mut state, *x).to_vec();
            for (name, got, want) in [
                ("a", state.hidden().to_vec(), floats(&fx["a"][t])),
                ("c", state.cell().to_vec(), floats(&fx["c"][t])),
                ("p", probs, floats(&fx["probs"][t])),
            ] {
                for (g, w) in got.iter().zip(&want) {
                    let d = (*g as f64 - w).abs();
                    assert!(d < 1e-5, "{name} at step {t}: {g} vs {w} ({:?})", variant.isa());
                    worst = worst.max(d);
                }
            }
        }
        assert!(worst < 1e-5, "max abs difference {worst:e} ({:?})", variant.isa());
    }
}

#[test]
fn greedy_fifty_tokens_match_keras() {
    let model = Model::new(&load("weights.json"));
    let fx = keras("forward_fixture.json");
    let want: Vec<usize> =
        fx["greedy_50_indices"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    let mut state = model.zero_state();
    let mut rng = rand::rng();
    let mut prev = None;
    let mut got = Vec::new();
    for _ in 0..50 {
        model.step(&mut state, prev);
        let next = state.sample(Sampling::GREEDY, &mut rng);
        got.push(next);
        prev = Some(next);
    }
    assert_eq!(got, want);
}

#[test]
fn two_adam_steps_match_keras() {
    let mut params = load("init_weights.json");
    let data = keras("training_data.json");
    let fx = keras("adam_two_step_fixture.json");
    let xs: Vec<Vec<Option<usize>>> = data["X_idx"].as_array().unwrap().iter().map(idx).collect();
    // Y_idx is step-major (30, 60): transpose to per-sample rows.
    let y_steps: Vec<Vec<Option<usize>>> = data["Y_idx"].as_array().unwrap().iter().map(idx).collect();
    let ys: Vec<Vec<Option<usize>>> = (0..60).map(|i| y_steps.iter().map(|row| row[i]).collect()).collect();
    let mut adam = Adam::new(90, 64, 0.01);
    let mut losses = Vec::new();
    for range in [0..32, 32..60] {
        let xr: Vec<&[Option<usize>]> = xs[range.clone()].iter().map(Vec::as_slice).collect();
        let yr: Vec<&[Option<usize>]> = ys[range].iter().map(Vec::as_slice).collect();
        let mut grad = Params::zeros(90, 64);
        losses.push(loss_and_grad(&params, &xr, &yr, ZeroTargets::Keras, Some(&mut grad)));
        adam.step(&mut params, &grad);
    }
    let after = fx["weights_after_2_steps"].to_string();
    let want = Params::from_keras_json(&after).unwrap();
    let mut worst = 0.0f32;
    for (g, w) in params.slices().iter().zip(want.slices()) {
        for (a, b) in g.iter().zip(w) {
            worst = worst.max((a - b).abs());
        }
    }
    assert!((losses[0] as f64 - fx["loss_batch1"].as_f64().unwrap()).abs() < 1e-3, "{losses:?}");
    assert!((losses[1] as f64 - fx["loss_batch2"].as_f64().unwrap()).abs() < 1e-3, "{losses:?}");
    assert!(worst < 1e-5, "max abs difference after two steps {worst:e}");
}

/// The streaming step and the training graph compute the same model, on shapes
/// that are not multiples of the SIMD panels, on every code path.
#[test]
fn streaming_agrees_with_the_training_graph() {
    use rand::{Rng, SeedableRng};
    for (n, h) in [(7usize, 5usize), (33, 17), (90, 64), (130, 40)] {
        let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
        let params = Params::<f32>::keras_init(n, h, &mut rng);
        let tokens: Vec<usize> = (0..20).map(|_| rng.random_range(0..n)).collect();
        let x: Vec<Option<usize>> = std::iter::once(None).chain(tokens[..19].iter().map(|&t| Some(t))).collect();
        let y: Vec<Option<usize>> = tokens.iter().map(|&t| Some(t)).collect();
        let graph = loss_and_grad(&params, &[x.as_slice()], &[y.as_slice()], ZeroTargets::Exact, None);
        for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
            let model = Model::with_isa(&params, isa);
            let mut state = model.zero_state();
            let mut loss = 0.0f64;
            for (xt, yt) in x.iter().zip(&y) {
                let probs = model.step(&mut state, *xt);
                loss -= (probs[yt.unwrap()] as f64).ln();
            }
            assert!((loss - graph as f64).abs() < 1e-3, "{n}×{h} {isa:?}: {loss} vs {graph}");
        }
    }
}
