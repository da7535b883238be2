//! `train/epoch`, `train/100-epochs` and `infer/step`, with a naive ndarray step in
//! the same run for comparison (reference figures in BENCHMARKS.md).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use improv::corpus::{Corpus, CorpusOptions};
use improv::dataset::Windows;
use improv::grammar::Vocabulary;
use improv::model::{Isa, Model, Params, Precision, Sampling, TrainConfig, train};
use ndarray::{Array1, s};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn windows() -> (Windows, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/original_metheny.mid");
    let c = Corpus::from_path(&path, &CorpusOptions::default()).unwrap();
    let tokens = c.tokens();
    let v = Vocabulary::from_tokens(&tokens);
    (Windows::reference(&v.encode(&tokens).unwrap()).unwrap(), v.len())
}

fn training(c: &mut Criterion) {
    let (w, n) = windows();
    let mut g = c.benchmark_group("train");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("epoch", |b| {
        b.iter(|| train(black_box(&w), n, &TrainConfig { epochs: 1, ..Default::default() }, |_, _| {}))
    });
    g.bench_function("100-epochs", |b| b.iter(|| train(black_box(&w), n, &TrainConfig::default(), |_, _| {})));
    g.finish();
}

/// The textbook step: one-hot input times the kernel, `dot` allocating every
/// intermediate, library exp/tanh — what "ndarray with allocation" means in
/// reference-figures.md.
fn naive_step(
    p: &Params<f32>,
    x: usize,
    a: &Array1<f32>,
    c: &Array1<f32>,
    rng: &mut SmallRng,
) -> (Array1<f32>, Array1<f32>, usize) {
    let h = p.hidden();
    let mut onehot = Array1::<f32>::zeros(p.n_values());
    onehot[x] = 1.0;
    let z = onehot.dot(&p.kernel) + a.dot(&p.recurrent) + &p.bias;
    let sig = |v: &f32| 1.0 / (1.0 + (-v).exp());
    let i = z.slice(s![0..h]).map(sig);
    let f = z.slice(s![h..2 * h]).map(sig);
    let g = z.slice(s![2 * h..3 * h]).map(|v| v.tanh());
    let o = z.slice(s![3 * h..]).map(sig);
    let c_new = &f * c + &i * &g;
    let a_new = &o * &c_new.map(|v| v.tanh());
    let logits = a_new.dot(&p.dense) + &p.dense_bias;
    let max = logits.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let e = logits.map(|v| (v - max).exp());
    let probs = &e / e.sum();
    let mut r: f32 = rng.random();
    let next = probs
        .iter()
        .position(|&q| {
            r -= q;
            r <= 0.0
        })
        .unwrap_or(0);
    (a_new, c_new, next)
}

fn inference(c: &mut Criterion) {
    let weights = improv::default_weights().unwrap();
    let model = Model::new(&weights.params);
    let mut g = c.benchmark_group("infer");
    let sampling = Sampling { temperature: 1.0, top_k: 0 };
    // `infer/step/<precision>-<isa>`: every instruction set this CPU has, f32 and f16
    // side by side (a step and a draw at temperature 1).
    let mut variants = Vec::new();
    for isa in [Isa::Avx512, Isa::Avx2, Isa::Portable].into_iter().filter(|i| i.is_supported()) {
        for precision in [Precision::F32, Precision::F16] {
            let m = Model::with(&weights.params, isa, precision);
            if m.precision() != precision {
                continue; // f16 needs F16C: the portable path keeps f32
            }
            variants.push((format!("step/{:?}-{:?}", m.precision(), m.isa()).to_lowercase(), m));
        }
    }
    for (name, m) in &variants {
        let mut state = m.zero_state();
        let mut rng = SmallRng::seed_from_u64(1);
        let mut prev = None;
        g.bench_function(name, |b| {
            b.iter(|| {
                m.step(&mut state, prev);
                let next = state.sample(sampling, &mut rng);
                prev = Some(black_box(next));
            })
        });
    }
    // `infer/wjd-step/<precision>-<isa>`: the masters' model, hearing a chord of
    // four tones, the previous note, a position and a style with every input.
    let masters = improv::masters_weights().unwrap();
    let dm7 = improv::grammar::Harmony::new(&[62, 65, 69, 72]);
    for isa in [Isa::Avx512, Isa::Avx2, Isa::Portable].into_iter().filter(|i| i.is_supported()) {
        for precision in [Precision::F32, Precision::F16] {
            let m = Model::with(&masters.params, isa, precision);
            if m.precision() != precision {
                continue;
            }
            let name = format!("wjd-step/{:?}-{:?}", m.precision(), m.isa()).to_lowercase();
            let mut state = m.zero_state();
            let mut rng = SmallRng::seed_from_u64(1);
            let mut prev = None;
            let mut tick = 0i64;
            g.bench_function(&name, |b| {
                b.iter(|| {
                    let heard =
                        improv::hearing::heard(Some(&dm7), Some(65), tick, false, improv::hearing::JazzStyle::Bebop);
                    m.step_heard(&mut state, prev, &heard);
                    let next = state.sample(sampling, &mut rng);
                    prev = Some(black_box(next));
                    tick += 3;
                })
            });
        }
    }
    let mut state = model.zero_state();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut prev = None;
    g.bench_function("step-greedy", |b| {
        b.iter(|| {
            model.step(&mut state, prev);
            prev = Some(black_box(state.sample(Sampling::GREEDY, &mut rng)));
        })
    });
    let mut rng = SmallRng::seed_from_u64(1);
    g.bench_function("step-naive-ndarray", |b| {
        b.iter_batched(
            || (Array1::zeros(64), Array1::zeros(64)),
            |(a, c)| naive_step(&weights.params, 3, &a, &c, &mut rng),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The memory floor: one FMA pass over as many bytes as a step's f32 weights
/// (86 KB), in the same panel pattern, with nothing else. An f32 step cannot beat this.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn stream_floor(buf: &[f32], x: f32) -> f32 {
    let mut acc = [0.0f32; 64];
    for row in buf.chunks_exact(64) {
        for (a, &w) in acc.iter_mut().zip(row) {
            *a = w.mul_add(x, *a);
        }
    }
    acc.iter().sum()
}

/// The same floor for f16 weights (43 KB): each row of 64 halves loaded, widened
/// (F16C) and multiplied-added into 8 × 8 f32 sums.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn stream_floor_f16(buf: &[u16], x: f32) -> f32 {
    use std::arch::x86_64::*;
    let xb = _mm256_set1_ps(x);
    let mut acc = [_mm256_setzero_ps(); 8];
    for row in buf.chunks_exact(64) {
        for (v, a) in acc.iter_mut().enumerate() {
            // SAFETY: each row holds 64 halves.
            let h = unsafe { _mm_loadu_si128(row.as_ptr().add(8 * v).cast()) };
            *a = _mm256_fmadd_ps(xb, _mm256_cvtph_ps(h), *a);
        }
    }
    let mut out = [0.0f32; 64];
    for (v, a) in acc.iter().enumerate() {
        // SAFETY: `out` holds 8 × 8 floats.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(8 * v), *a) };
    }
    out.iter().sum()
}

fn floor(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let values = (64 * 256 + 64 * 90) / 64 * 64;
        if has!("avx2") && has!("fma") {
            let buf = vec![0.5f32; values];
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            c.bench_function("infer/weights-stream-floor/f32-86KB", |b| {
                b.iter(|| unsafe { stream_floor(black_box(&buf), 1.0001) })
            });
        }
        if has!("avx2") && has!("fma") && has!("f16c") {
            let buf = vec![0x3800u16; values]; // 0.5 as a half
            // SAFETY: the CPU has AVX2, FMA and F16C (checked above).
            c.bench_function("infer/weights-stream-floor/f16-43KB", |b| {
                b.iter(|| unsafe { stream_floor_f16(black_box(&buf), 1.0001) })
            });
        }
    }
}

criterion_group!(benches, training, inference, floor);
criterion_main!(benches);
