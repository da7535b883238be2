//! Streaming inference: one token in, the next token's probabilities out, with
//! every buffer allocated up front. This is what the CLI and the plugin's audio
//! thread run.

use super::fastmath;
use super::params::{GATES, Params};
use rand::Rng;

/// Weights laid out for one-vector steps. The one-hot input makes the input
/// product a row gather, so the LSTM bias is folded into every kernel row (and an
/// extra row holds the bias alone, for the all-zero first input).
#[derive(Debug, Clone)]
pub struct Model {
    n: usize,
    h: usize,
    /// (n + 1) × 4h: kernel row + bias; row n = bias.
    kernel_bias: Vec<f32>,
    /// h × 4h, row-major: the recurrent product is h row-axpys.
    recurrent: Vec<f32>,
    /// h × n, row-major.
    dense: Vec<f32>,
    dense_bias: Vec<f32>,
    /// AVX2 + FMA found at construction (x86-64 only).
    wide: bool,
}

/// The recurrent state and the scratch of a step; make one with [`Model::zero_state`].
#[derive(Debug, Clone)]
pub struct State {
    a: Vec<f32>,
    c: Vec<f32>,
    z: Vec<f32>,
    logits: Vec<f32>,
    probs: Vec<f32>,
    order: Vec<u16>,
    weights: Vec<f32>,
}

impl State {
    /// Back to the zero state (no allocation).
    pub fn reset(&mut self) {
        self.a.fill(0.0);
        self.c.fill(0.0);
    }

    /// Hidden state a (h values).
    pub fn hidden(&self) -> &[f32] {
        &self.a
    }

    /// Cell state c (h values).
    pub fn cell(&self) -> &[f32] {
        &self.c
    }

    /// The probabilities of the last step.
    pub fn probs(&self) -> &[f32] {
        &self.probs
    }
}

/// How to pick the next token from the probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// 0 = greedy (the reference); otherwise p^(1/T), renormalised.
    pub temperature: f32,
    /// Keep only the k most likely tokens (0 = all).
    pub top_k: usize,
}

impl Sampling {
    /// The reference's argmax.
    pub const GREEDY: Sampling = Sampling { temperature: 0.0, top_k: 0 };
}

#[inline(always)]
fn step_body(m: &Model, s: &mut State, input: Option<usize>) {
    let (n, h) = (m.n, m.h);
    let width = GATES * h;
    let row = input.filter(|&i| i < n).unwrap_or(n);
    let z = &mut s.z[..width];
    z.copy_from_slice(&m.kernel_bias[row * width..(row + 1) * width]);
    for (k, &ak) in s.a.iter().enumerate() {
        let r = &m.recurrent[k * width..(k + 1) * width];
        for (zj, &rj) in z.iter_mut().zip(r) {
            *zj += ak * rj;
        }
    }
    let (zi, rest) = z.split_at_mut(h);
    let (zf, rest) = rest.split_at_mut(h);
    let (zg, zo) = rest.split_at_mut(h);
    for j in 0..h {
        let i = fastmath::sigmoid(zi[j]);
        let f = fastmath::sigmoid(zf[j]);
        let g = fastmath::tanh(zg[j]);
        let o = fastmath::sigmoid(zo[j]);
        let c = f * s.c[j] + i * g;
        s.c[j] = c;
        s.a[j] = o * fastmath::tanh(c);
    }
    let logits = &mut s.logits[..n];
    logits.copy_from_slice(&m.dense_bias);
    for (k, &ak) in s.a.iter().enumerate() {
        let d = &m.dense[k * n..(k + 1) * n];
        for (l, &dj) in logits.iter_mut().zip(d) {
            *l += ak * dj;
        }
    }
    softmax(logits, 1.0, &mut s.probs[..n]);
}

/// `out = softmax(logits / temperature)`, with the fast exp.
#[inline(always)]
fn softmax(logits: &[f32], inv_temperature: f32, out: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (o, &l) in out.iter_mut().zip(logits) {
        *o = fastmath::exp((l - max) * inv_temperature);
        sum += *o;
    }
    let inv = 1.0 / sum;
    for o in out.iter_mut() {
        *o *= inv;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn step_wide(m: &Model, s: &mut State, input: Option<usize>) {
    step_body(m, s, input)
}

impl Model {
    /// Lays out trained parameters for streaming.
    pub fn new(p: &Params<f32>) -> Self {
        let (n, h) = (p.n_values(), p.hidden());
        let width = GATES * h;
        let mut kernel_bias = Vec::with_capacity((n + 1) * width);
        for r in 0..n {
            kernel_bias.extend(p.kernel.row(r).iter().zip(p.bias.iter()).map(|(k, b)| k + b));
        }
        kernel_bias.extend(p.bias.iter());
        #[cfg(target_arch = "x86_64")]
        let wide = std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        let wide = false;
        Self {
            n,
            h,
            kernel_bias,
            recurrent: p.recurrent.iter().copied().collect(),
            dense: p.dense.iter().copied().collect(),
            dense_bias: p.dense_bias.to_vec(),
            wide,
        }
    }

    /// Vocabulary size.
    pub fn n_values(&self) -> usize {
        self.n
    }

    /// LSTM units.
    pub fn hidden(&self) -> usize {
        self.h
    }

    /// True if steps use the AVX2/FMA code path.
    pub fn uses_avx2(&self) -> bool {
        self.wide
    }

    /// Forces the portable code path (for comparisons).
    pub fn without_simd(mut self) -> Self {
        self.wide = false;
        self
    }

    /// A zero state with all scratch buffers allocated.
    pub fn zero_state(&self) -> State {
        State {
            a: vec![0.0; self.h],
            c: vec![0.0; self.h],
            z: vec![0.0; GATES * self.h],
            logits: vec![0.0; self.n],
            probs: vec![0.0; self.n],
            order: (0..self.n as u16).collect(),
            weights: vec![0.0; self.n],
        }
    }

    /// One step: feeds `input` (the previous token, or `None` for the zero vector
    /// that starts a sequence) and returns the next token's probabilities.
    /// Allocation-free.
    pub fn step<'s>(&self, state: &'s mut State, input: Option<usize>) -> &'s [f32] {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is set only when the CPU reports AVX2 and FMA.
            unsafe { step_wide(self, state, input) };
            return &state.probs;
        }
        step_body(self, state, input);
        &state.probs
    }
}

impl State {
    /// Picks the next token from the last step: the argmax at temperature 0 (the
    /// reference), else a draw from softmax(logits / T) over the `top_k` most likely
    /// tokens. Reuses the state's buffers: allocation-free.
    pub fn sample(&mut self, sampling: Sampling, rng: &mut impl Rng) -> usize {
        let logits = &self.logits;
        let argmax =
            logits.iter().enumerate().fold((0, f32::NEG_INFINITY), |b, (i, &l)| if l > b.1 { (i, l) } else { b }).0;
        let t = sampling.temperature;
        if !(t.is_finite() && t > 0.0) || sampling.top_k == 1 {
            return argmax;
        }
        let order = &mut self.order[..];
        for (i, o) in order.iter_mut().enumerate() {
            *o = i as u16;
        }
        let k = if sampling.top_k == 0 { order.len() } else { sampling.top_k.min(order.len()) };
        if k < order.len() {
            order.select_nth_unstable_by(k - 1, |&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
        }
        let inv_t = 1.0 / t.max(1e-3);
        let max = logits[argmax];
        let scratch = &mut self.weights[..k];
        let mut total = 0.0;
        for (w, &i) in scratch.iter_mut().zip(order[..k].iter()) {
            *w = fastmath::exp((logits[i as usize] - max) * inv_t);
            total += *w;
        }
        let mut r = rng.random::<f32>() * total;
        for (&w, &i) in scratch.iter().zip(order[..k].iter()) {
            r -= w;
            if r <= 0.0 {
                return i as usize;
            }
        }
        order[k - 1] as usize
    }
}
