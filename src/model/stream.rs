//! Streaming inference: one token in, the next token's probabilities out, with
//! every buffer allocated up front. This is what the CLI and the plugin's audio
//! thread run.
//!
//! The step is bound by multiply-adds (64 × 256 recurrent, 64 × 90 dense) and
//! by streaming the weights: they are laid out as column panels that keep the sums
//! in registers, and the code is compiled three times — AVX-512, AVX2 + FMA, and
//! portable — with the best one the CPU has picked at run time. The weights are
//! stored as f32 (86 KB, Keras parity) or as f16 (43 KB, close enough to fit a
//! core's L1; converted in registers, summed in f32): see [`Precision`].

use super::fastmath;
use super::params::{GATES, Params};
use half::f16;
use rand::Rng;

/// How a model stores the recurrent and dense weights a step streams through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// IEEE single: within 1e-5 of Keras — training, the reference flow and
    /// every parity test use it.
    F32,
    /// IEEE half, widened in registers and summed in f32: half the bytes per step,
    /// probabilities within 1e-3 of Keras — the live default (plugin and `generate`).
    /// Needs AVX2 or AVX-512 with F16C; elsewhere a model asked for it keeps f32.
    F16,
}

impl Precision {
    /// The precision live generation uses unless told otherwise.
    pub const LIVE: Precision = Precision::F16;
}

/// The instruction set a model steps with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Whatever the compile target guarantees (SSE2 on x86-64).
    Portable,
    /// AVX2 with fused multiply-add.
    Avx2,
    /// AVX-512 (F, VL, DQ, BW) with fused multiply-add.
    Avx512,
}

/// True if the CPU converts halves in hardware (F16C).
fn has_f16c() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl Isa {
    /// The best instruction set this CPU supports.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512vl") && has!("avx512dq") && has!("avx512bw") && has!("fma") {
                return Isa::Avx512;
            }
            if has!("avx2") && has!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// True if this CPU can run code for `self`.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            Isa::Avx2 => matches!(Self::detect(), Isa::Avx2 | Isa::Avx512),
            Isa::Avx512 => Self::detect() == Isa::Avx512,
        }
    }

    /// Output columns computed together: eight vector registers of accumulators,
    /// enough independent FMA chains to hide their latency.
    fn panel(self) -> usize {
        match self {
            Isa::Avx512 => 128,
            _ => 64,
        }
    }
}

/// Weights laid out for one-vector steps. The one-hot input makes the input
/// product a row gather, so the LSTM bias is folded into every kernel row (an
/// extra row holds the bias alone, for the all-zero first input). The recurrent and
/// dense kernels are stored as column panels — for each group of outputs, all their
/// weights row after row — so a step streams through memory once and keeps its
/// sums in registers. Widths are padded with zeros to whole panels (the last one
/// may be a half or a quarter panel: 90 outputs take 64 + 32 columns, not 128).
#[derive(Debug, Clone)]
pub struct Model {
    n: usize,
    h: usize,
    isa: Isa,
    /// 4h padded to panels.
    gates_width: usize,
    /// n padded to panels.
    out_width: usize,
    /// (n + 1) rows of `gates_width`: kernel row + bias; row n = bias. Always f32:
    /// a step reads one row of it.
    kernel_bias: Vec<f32>,
    /// Heard feature rows (0 for the seed model).
    heard: usize,
    /// `heard` rows of `gates_width`: the kernel rows of the heard features
    /// (f32, no bias), added to the token's row.
    heard_rows: Vec<f32>,
    /// Panels of the recurrent and dense kernels.
    panels: Panels,
    /// Dense bias padded to `out_width`.
    dense_bias: Vec<f32>,
    /// Logit offsets of heard features that reach the output directly (see
    /// [`Model::with_heard_logits`]): `n` values per feature in `heard_logit_of`.
    heard_logits: Vec<f32>,
    /// Each heard feature's row in `heard_logits`, if it has one.
    heard_logit_of: Vec<Option<u32>>,
}

/// The recurrent and dense kernels as column panels, in one precision.
#[derive(Debug, Clone)]
enum Panels {
    F32 { recurrent: Vec<f32>, dense: Vec<f32> },
    F16 { recurrent: Vec<f16>, dense: Vec<f16> },
}

/// Columns after padding to panels of `p`: whole panels, then a tail of p/4, p/2,
/// p/2 + p/4 or p columns (90 outputs take 96 columns with either panel width).
fn padded(x: usize, p: usize) -> usize {
    let full = x / p * p;
    let tail = match x - full {
        0 => 0,
        r if r <= p / 4 => p / 4,
        r if r <= p / 2 => p / 2,
        r if r <= p / 2 + p / 4 => p / 2 + p / 4,
        _ => p,
    };
    full + tail
}

/// Width of the panel starting at `start` in a padded width.
fn panel_width(start: usize, width: usize, p: usize) -> usize {
    let left = width - start;
    if left >= p {
        p
    } else if left >= p / 2 {
        p / 2
    } else {
        p / 4
    }
}

/// Stores a (rows × cols) row-major matrix as zero-padded column panels: for each
/// panel, its columns of row 0, then of row 1, …
fn panels<T: Copy + Default>(rows: usize, cols: usize, p: usize, at: impl Fn(usize, usize) -> T) -> Vec<T> {
    let width = padded(cols, p);
    let mut out = vec![T::default(); rows * width];
    let mut start = 0;
    while start < width {
        let w = panel_width(start, width, p);
        for k in 0..rows {
            for j in 0..w.min(cols.saturating_sub(start)) {
                out[rows * start + k * w + j] = at(k, start + j);
            }
        }
        start += w;
    }
    out
}

/// a·b + c, fused where the CPU has FMA (the portable path must not call the
/// slow software `fmaf`).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// `out[..] += Σ_k x[k] · M[k, ..]` over `m` stored as panels of P (then P/2 = H,
/// P/4 = Q) columns, with `x.len()` rows.
#[inline(always)]
fn panel_matvec<const FMA: bool, const P: usize, const H: usize, const Q: usize>(
    x: &[f32],
    m: &[f32],
    out: &mut [f32],
) {
    let rows = x.len();
    let width = out.len();
    let mut start = 0;
    while start < width {
        let w = panel_width(start, width, P);
        let (block, dst) = (&m[rows * start..rows * (start + w)], &mut out[start..start + w]);
        if w == P {
            panel::<FMA, P>(x, block, dst)
        } else if w == H {
            panel::<FMA, H>(x, block, dst)
        } else {
            panel::<FMA, Q>(x, block, dst)
        }
        start += w;
    }
}

/// One panel: W accumulators stay in registers while the rows stream past.
#[inline(always)]
fn panel<const FMA: bool, const W: usize>(x: &[f32], block: &[f32], out: &mut [f32]) {
    let mut acc = [0.0f32; W];
    acc.copy_from_slice(&out[..W]);
    for (&xk, row) in x.iter().zip(block.chunks_exact(W)) {
        for (a, &w) in acc.iter_mut().zip(row) {
            *a = madd::<FMA>(xk, w, *a);
        }
    }
    out[..W].copy_from_slice(&acc);
}

/// The recurrent state and the scratch of a step; make one with [`Model::zero_state`].
#[derive(Debug)]
pub struct State {
    a: Vec<f32>,
    c: Vec<f32>,
    z: Vec<f32>,
    logits: Vec<f32>,
    probs: Vec<f32>,
    order: Vec<u16>,
    weights: Vec<f32>,
    /// The model's instruction set, which the draws are compiled for too.
    isa: Isa,
}

impl Clone for State {
    fn clone(&self) -> Self {
        Self {
            a: self.a.clone(),
            c: self.c.clone(),
            z: self.z.clone(),
            logits: self.logits.clone(),
            probs: self.probs.clone(),
            order: self.order.clone(),
            weights: self.weights.clone(),
            isa: self.isa,
        }
    }

    /// Field by field into the buffers it holds: no allocation between states of
    /// one model (how the taste search saves and restores the LSTM live).
    fn clone_from(&mut self, s: &Self) {
        self.a.clone_from(&s.a);
        self.c.clone_from(&s.c);
        self.z.clone_from(&s.z);
        self.logits.clone_from(&s.logits);
        self.probs.clone_from(&s.probs);
        self.order.clone_from(&s.order);
        self.weights.clone_from(&s.weights);
        self.isa = s.isa;
    }
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

/// A step with `matvec(x, panels, out)` (`out += x · panels`) as its products;
/// `FUSED` (FMA code only) updates the cell with [`fastmath::lstm_unit_fma`] and the
/// softmax with [`fastmath::exp_fma`] instead of the f32 path's exact sequence.
#[inline(always)]
fn step_body<const FUSED: bool, W>(
    m: &Model,
    s: &mut State,
    input: Option<usize>,
    heard: &[u16],
    (recurrent, dense): (&[W], &[W]),
    matvec: impl Fn(&[f32], &[W], &mut [f32]),
) {
    let (n, h, width) = (m.n, m.h, m.gates_width);
    let row = input.filter(|&i| i < n).unwrap_or(n);
    let z = &mut s.z[..width];
    z.copy_from_slice(&m.kernel_bias[row * width..(row + 1) * width]);
    for &f in heard.iter().filter(|&&f| (f as usize) < m.heard) {
        let f = f as usize;
        for (z, k) in z.iter_mut().zip(&m.heard_rows[f * width..(f + 1) * width]) {
            *z += k;
        }
    }
    matvec(&s.a, recurrent, z);
    let (zi, zf, zg, zo) = (&z[..h], &z[h..2 * h], &z[2 * h..3 * h], &z[3 * h..4 * h]);
    let (c, a) = (&mut s.c[..h], &mut s.a[..h]);
    if FUSED {
        for j in 0..h {
            (c[j], a[j]) = fastmath::lstm_unit_fma(zi[j], zf[j], zg[j], zo[j], c[j]);
        }
    } else {
        for j in 0..h {
            let cell = fastmath::sigmoid(zf[j]) * c[j] + fastmath::sigmoid(zi[j]) * fastmath::tanh(zg[j]);
            c[j] = cell;
            a[j] = fastmath::sigmoid(zo[j]) * fastmath::tanh(cell);
        }
    }
    let logits = &mut s.logits[..m.out_width];
    logits.copy_from_slice(&m.dense_bias);
    matvec(&s.a, dense, logits);
    for &f in heard {
        if let Some(Some(r)) = m.heard_logit_of.get(f as usize) {
            let r = *r as usize * n;
            for (l, b) in logits[..n].iter_mut().zip(&m.heard_logits[r..r + n]) {
                *l += b;
            }
        }
    }
    softmax::<FUSED>(&logits[..n], 1.0, &mut s.probs[..n]);
}

/// `out = softmax(logits / temperature)`, with the fast exp (fused if `FUSED`).
#[inline(always)]
fn softmax<const FUSED: bool>(logits: &[f32], inv_temperature: f32, out: &mut [f32]) {
    let max = fastmath::max(logits);
    for (o, &l) in out.iter_mut().zip(logits) {
        let x = (l - max) * inv_temperature;
        *o = if FUSED { fastmath::exp_fma(x) } else { fastmath::exp(x) };
    }
    let inv = 1.0 / fastmath::sum(out);
    for o in out.iter_mut() {
        *o *= inv;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
fn step_avx512(m: &Model, s: &mut State, input: Option<usize>, heard: &[u16], w: (&[f32], &[f32])) {
    // A closure, not the fn item: it inherits this function's target features, so
    // `mul_add` compiles to FMA instead of a call to the software `fmaf` (measured:
    // 95 µs a step with the fn item).
    #[allow(clippy::redundant_closure)]
    step_body::<false, _>(m, s, input, heard, w, |x, p, o| panel_matvec::<true, 128, 64, 32>(x, p, o))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn step_avx2(m: &Model, s: &mut State, input: Option<usize>, heard: &[u16], w: (&[f32], &[f32])) {
    // A closure for its target features, as in `step_avx512`.
    #[allow(clippy::redundant_closure)]
    step_body::<false, _>(m, s, input, heard, w, |x, p, o| panel_matvec::<true, 64, 32, 16>(x, p, o))
}

/// Half-precision panels with x86 intrinsics: a panel of `V` vectors of `$lanes`
/// accumulators stays in registers; each row's halves are loaded, widened with one
/// conversion per vector and multiplied-added in f32.
#[cfg(target_arch = "x86_64")]
macro_rules! f16_panels {
    ($matvec:ident, $panel:ident, $features:literal, $lanes:literal, $vec:ty, $half:ty,
     $zero:ident, $load:ident, $store:ident, $splat:ident, $fmadd:ident, $widen:ident, $load_half:ident) => {
        #[target_feature(enable = $features)]
        fn $panel<const V: usize>(x: &[f32], block: &[f16], out: &mut [f32]) {
            use std::arch::x86_64::*;
            let w = $lanes * V;
            assert!(out.len() == w && block.len() == x.len() * w);
            let mut acc: [$vec; V] = [$zero(); V];
            for (v, a) in acc.iter_mut().enumerate() {
                // SAFETY: `out` holds V · lanes values (asserted above).
                *a = unsafe { $load(out.as_ptr().add($lanes * v)) };
            }
            for (&xk, row) in x.iter().zip(block.chunks_exact(w)) {
                let xb = $splat(xk);
                for (v, a) in acc.iter_mut().enumerate() {
                    // SAFETY: `row` holds V · lanes halves (chunks of w).
                    let halves = unsafe { $load_half(row.as_ptr().add($lanes * v).cast::<$half>()) };
                    *a = $fmadd(xb, $widen(halves), *a);
                }
            }
            for (v, a) in acc.iter().enumerate() {
                // SAFETY: as for the loads.
                unsafe { $store(out.as_mut_ptr().add($lanes * v), *a) };
            }
        }

        /// `out += x · m` over half-precision panels of 8, 4 or 2 vectors.
        #[target_feature(enable = $features)]
        fn $matvec(x: &[f32], m: &[f16], out: &mut [f32]) {
            let p = 8 * $lanes;
            let rows = x.len();
            let width = out.len();
            let mut start = 0;
            while start < width {
                let w = panel_width(start, width, p);
                let (block, dst) = (&m[rows * start..rows * (start + w)], &mut out[start..start + w]);
                match w / $lanes {
                    8 => $panel::<8>(x, block, dst),
                    4 => $panel::<4>(x, block, dst),
                    _ => $panel::<2>(x, block, dst),
                }
                start += w;
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
f16_panels!(
    matvec16_avx2,
    panel16_avx2,
    "avx2,fma,f16c",
    8,
    __m256,
    __m128i,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_set1_ps,
    _mm256_fmadd_ps,
    _mm256_cvtph_ps,
    _mm_loadu_si128
);

#[cfg(target_arch = "x86_64")]
f16_panels!(
    matvec16_avx512,
    panel16_avx512,
    "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,f16c",
    16,
    __m512,
    __m256i,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_cvtph_ps,
    _mm256_loadu_si256
);

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,f16c")]
fn step16_avx512(m: &Model, s: &mut State, input: Option<usize>, heard: &[u16], w: (&[f16], &[f16])) {
    step_body::<true, _>(m, s, input, heard, w, |x, p, o| matvec16_avx512(x, p, o))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn step16_avx2(m: &Model, s: &mut State, input: Option<usize>, heard: &[u16], w: (&[f16], &[f16])) {
    step_body::<true, _>(m, s, input, heard, w, |x, p, o| matvec16_avx2(x, p, o))
}

impl Model {
    /// Lays out trained parameters in f32 for the best instruction set of this CPU.
    pub fn new(p: &Params<f32>) -> Self {
        Self::with_isa(p, Isa::detect())
    }

    /// Lays out trained parameters in f32 for a given instruction set (falling back
    /// to portable code if the CPU lacks it).
    pub fn with_isa(p: &Params<f32>, isa: Isa) -> Self {
        Self::with(p, isa, Precision::F32)
    }

    /// Lays out trained parameters in a precision for the best instruction set.
    pub fn with_precision(p: &Params<f32>, precision: Precision) -> Self {
        Self::with(p, Isa::detect(), precision)
    }

    /// Lays out trained parameters for an instruction set (portable if the CPU lacks
    /// it) in a precision (f16 rounds each weight to the nearest half; see
    /// [`Precision::F16`] for when it falls back to f32).
    pub fn with(p: &Params<f32>, isa: Isa, precision: Precision) -> Self {
        let isa = if isa.is_supported() { isa } else { Isa::Portable };
        // Halves are widened in hardware (F16C) or not at all: without it a software
        // conversion would cost more than the bytes it saves, so the model keeps f32.
        let precision = if isa != Isa::Portable && has_f16c() { precision } else { Precision::F32 };
        let (n, h) = (p.n_values(), p.hidden());
        let panel = isa.panel();
        let (gates_width, out_width) = (padded(GATES * h, panel), padded(n, panel));
        let mut kernel_bias = vec![0.0; (n + 1) * gates_width];
        for r in 0..=n {
            for j in 0..GATES * h {
                let k = if r < n { p.kernel[[r, j]] } else { 0.0 };
                kernel_bias[r * gates_width + j] = k + p.bias[j];
            }
        }
        let heard = p.n_heard();
        let mut heard_rows = vec![0.0; heard * gates_width];
        for f in 0..heard {
            for j in 0..GATES * h {
                heard_rows[f * gates_width + j] = p.kernel[[n + f, j]];
            }
        }
        let mut dense_bias = vec![0.0; out_width];
        dense_bias[..n].copy_from_slice(p.dense_bias.as_slice().expect("standard layout"));
        let recurrent = panels(h, GATES * h, panel, |k, j| p.recurrent[[k, j]]);
        let dense = panels(h, n, panel, |k, j| p.dense[[k, j]]);
        let panels = match precision {
            Precision::F32 => Panels::F32 { recurrent, dense },
            Precision::F16 => {
                let half = |v: Vec<f32>| v.iter().map(|&x| f16::from_f32(x)).collect();
                Panels::F16 { recurrent: half(recurrent), dense: half(dense) }
            }
        };
        Self {
            n,
            h,
            isa,
            gates_width,
            out_width,
            kernel_bias,
            heard,
            heard_rows,
            panels,
            dense_bias,
            heard_logits: Vec::new(),
            heard_logit_of: vec![None; heard],
        }
    }

    /// The same model with heard features that also reach the output directly:
    /// whenever feature `f` is heard, `offsets` (one per output) are added to the
    /// logits. How a style is played by the masters' model (see
    /// [`crate::style_voices`]). Features out of range and rows of the wrong
    /// length are ignored (the weights file checks them).
    pub fn with_heard_logits(mut self, rows: &[(u16, Vec<f32>)]) -> Self {
        for (f, row) in rows {
            let f = *f as usize;
            if f < self.heard && row.len() == self.n {
                let at = match self.heard_logit_of[f] {
                    Some(r) => r as usize,
                    None => {
                        self.heard_logits.resize(self.heard_logits.len() + self.n, 0.0);
                        let r = self.heard_logits.len() / self.n - 1;
                        self.heard_logit_of[f] = Some(r as u32);
                        r
                    }
                };
                self.heard_logits[at * self.n..(at + 1) * self.n].copy_from_slice(row);
            }
        }
        self
    }

    /// How the weights are stored.
    pub fn precision(&self) -> Precision {
        match self.panels {
            Panels::F32 { .. } => Precision::F32,
            Panels::F16 { .. } => Precision::F16,
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

    /// Heard feature rows (0: the seed model).
    pub fn heard(&self) -> usize {
        self.heard
    }

    /// The instruction set the steps run with.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// A zero state with all scratch buffers allocated.
    pub fn zero_state(&self) -> State {
        State {
            a: vec![0.0; self.h],
            c: vec![0.0; self.h],
            z: vec![0.0; self.gates_width],
            logits: vec![0.0; self.out_width],
            probs: vec![0.0; self.n],
            order: (0..self.n as u16).collect(),
            weights: vec![0.0; self.n],
            isa: self.isa,
        }
    }

    /// One step: feeds `input` (the previous token, or `None` for the zero vector
    /// that starts a sequence) and returns the next token's probabilities.
    /// Allocation-free.
    pub fn step<'s>(&self, state: &'s mut State, input: Option<usize>) -> &'s [f32] {
        self.step_heard(state, input, &[])
    }

    /// [`Model::step`] of a model that hears: `heard` are the features heard with
    /// this input (indices of its heard rows; others are ignored). Allocation-free.
    pub fn step_heard<'s>(&self, state: &'s mut State, input: Option<usize>, heard: &[u16]) -> &'s [f32] {
        match (&self.panels, self.isa) {
            // SAFETY: `with` keeps an ISA only if the CPU reports its features
            // (and F16C for f16 weights).
            #[cfg(target_arch = "x86_64")]
            (Panels::F32 { recurrent, dense }, Isa::Avx512) => unsafe {
                step_avx512(self, state, input, heard, (recurrent, dense))
            },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            (Panels::F32 { recurrent, dense }, Isa::Avx2) => unsafe {
                step_avx2(self, state, input, heard, (recurrent, dense))
            },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            (Panels::F16 { recurrent, dense }, Isa::Avx512) => unsafe {
                step16_avx512(self, state, input, heard, (recurrent, dense))
            },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            (Panels::F16 { recurrent, dense }, Isa::Avx2) => unsafe {
                step16_avx2(self, state, input, heard, (recurrent, dense))
            },
            (Panels::F32 { recurrent, dense }, _) => {
                step_body::<false, _>(self, state, input, heard, (recurrent, dense), panel_matvec::<false, 64, 32, 16>)
            }
            // `with` stores f16 only for an ISA that converts halves in hardware.
            (Panels::F16 { .. }, _) => unreachable!("f16 panels need F16C"),
        }
        &state.probs
    }
}

impl State {
    /// Picks the next token from the last step: the argmax at temperature 0 (the
    /// reference), else a draw from softmax(logits / T) over the `top_k` most likely
    /// tokens. Reuses the state's buffers: allocation-free.
    pub fn sample(&mut self, sampling: Sampling, rng: &mut impl Rng) -> usize {
        match self.isa {
            // SAFETY: the state's ISA is its model's, which the CPU supports.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => unsafe { sample_avx2(self, sampling, rng) },
            _ => self.sample_body(sampling, rng),
        }
    }

    /// [`State::sample`]'s work. The same source compiled for any ISA gives the
    /// same bits (no operation in it is fused or reordered by the compiler).
    #[inline(always)]
    fn sample_body(&mut self, sampling: Sampling, rng: &mut impl Rng) -> usize {
        let n = self.probs.len();
        let logits = &self.logits[..n];
        let max = fastmath::max(logits);
        let argmax = logits.iter().position(|&l| l == max).unwrap_or(0);
        let t = sampling.temperature;
        if !(t.is_finite() && t > 0.0) || sampling.top_k == 1 {
            return argmax;
        }
        let inv_t = 1.0 / t.max(1e-3);
        let k = if sampling.top_k == 0 { n } else { sampling.top_k.min(n) };
        let weights = &mut self.weights[..k];
        let order = &mut self.order[..n];
        if k == n {
            // Every token: a contiguous, vectorisable softmax numerator.
            for (w, &l) in weights.iter_mut().zip(logits) {
                *w = fastmath::exp((l - max) * inv_t);
            }
        } else {
            for (i, o) in order.iter_mut().enumerate() {
                *o = i as u16;
            }
            order.select_nth_unstable_by(k - 1, |&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
            for (w, &i) in weights.iter_mut().zip(order.iter()) {
                *w = fastmath::exp((logits[i as usize] - max) * inv_t);
            }
        }
        let mut r = rng.random::<f32>() * fastmath::sum(weights);
        for (j, &w) in weights.iter().enumerate() {
            r -= w;
            if r <= 0.0 {
                return if k == n { j } else { order[j] as usize };
            }
        }
        if k == n { argmax } else { order[k - 1] as usize }
    }
}

impl State {
    /// Like [`State::sample`], with `bias[i]` added to token i's logit first
    /// (`-inf` forbids it): how guidance reweights the model's proposal. The
    /// temperature applies to the model's logits only, so guidance keeps its
    /// strength at every temperature. `None` if every token is forbidden.
    /// Allocation-free.
    pub fn sample_biased(&mut self, sampling: Sampling, bias: &[f32], rng: &mut impl Rng) -> Option<usize> {
        match self.isa {
            // SAFETY: as in `sample`.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => unsafe { sample_biased_avx2(self, sampling, bias, rng) },
            _ => self.sample_biased_body(sampling, bias, rng),
        }
    }

    /// [`State::sample_biased`]'s work (same bits on every ISA, as `sample_body`).
    #[inline(always)]
    fn sample_biased_body(&mut self, sampling: Sampling, bias: &[f32], rng: &mut impl Rng) -> Option<usize> {
        let n = self.probs.len().min(bias.len());
        let t = sampling.temperature;
        let greedy = !(t.is_finite() && t > 0.0) || sampling.top_k == 1;
        let inv_t = if greedy { 1.0 } else { 1.0 / t.max(1e-3) };
        // Scores in the weights buffer: logit / T + bias.
        let (logits, scores) = (&self.logits[..n], &mut self.weights[..n]);
        let mut best: Option<(usize, f32)> = None;
        let mut allowed = 0;
        for (i, (s, (&l, &b))) in scores.iter_mut().zip(logits.iter().zip(&bias[..n])).enumerate() {
            *s = l * inv_t + b;
            if s.is_finite() {
                allowed += 1;
                if best.is_none_or(|(_, v)| *s > v) {
                    best = Some((i, *s));
                }
            } else {
                *s = f32::NEG_INFINITY;
            }
        }
        let (argmax, max) = best?;
        if greedy {
            return Some(argmax);
        }
        if allowed == 1 {
            // The one allowed token is the draw (as the loop below finds it: r < 1 =
            // its weight); the random number is still taken, to keep the stream.
            let _ = rng.random::<f32>();
            return Some(argmax);
        }
        let k = if sampling.top_k == 0 { allowed } else { sampling.top_k.min(allowed) };
        let order = &mut self.order[..n];
        for (i, o) in order.iter_mut().enumerate() {
            *o = i as u16;
        }
        if k < n {
            order.select_nth_unstable_by(k - 1, |&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
        }
        let mut total = 0.0;
        for &i in &order[..k] {
            total += fastmath::exp(scores[i as usize] - max);
        }
        let mut r = rng.random::<f32>() * total;
        for &i in &order[..k] {
            r -= fastmath::exp(scores[i as usize] - max);
            if r <= 0.0 {
                return Some(i as usize);
            }
        }
        Some(order[..k].iter().copied().max_by(|&a, &b| scores[a as usize].total_cmp(&scores[b as usize]))? as usize)
    }
}

/// The draws compiled for AVX2 (8-wide exps and sums), bit for bit the portable ones.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sample_avx2(s: &mut State, sampling: Sampling, rng: &mut impl Rng) -> usize {
    s.sample_body(sampling, rng)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sample_biased_avx2(s: &mut State, sampling: Sampling, bias: &[f32], rng: &mut impl Rng) -> Option<usize> {
    s.sample_biased_body(sampling, bias, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    fn state_with_logits(logits: &[f32]) -> State {
        let n = logits.len();
        State {
            a: vec![],
            c: vec![],
            z: vec![],
            logits: logits.to_vec(),
            probs: vec![0.0; n],
            order: (0..n as u16).collect(),
            weights: vec![0.0; n],
            isa: Isa::Portable,
        }
    }

    #[test]
    fn greedy_is_argmax() {
        let mut s = state_with_logits(&[0.1, 3.0, -1.0, 2.9]);
        assert_eq!(s.sample(Sampling::GREEDY, &mut SmallRng::seed_from_u64(0)), 1);
        assert_eq!(s.sample(Sampling { temperature: f32::NAN, top_k: 0 }, &mut SmallRng::seed_from_u64(0)), 1);
    }

    #[test]
    fn temperature_one_follows_the_softmax() {
        let ln = |x: f32| x.ln();
        let mut s = state_with_logits(&[0.0, ln(2.0), ln(4.0)]);
        let mut rng = SmallRng::seed_from_u64(9);
        let mut counts = [0usize; 3];
        let draws = 40_000;
        for _ in 0..draws {
            counts[s.sample(Sampling { temperature: 1.0, top_k: 0 }, &mut rng)] += 1;
        }
        for (c, want) in counts.iter().zip([1.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0]) {
            assert!((*c as f64 / draws as f64 - want).abs() < 0.01, "{counts:?}");
        }
    }

    #[test]
    fn top_k_keeps_only_the_most_likely() {
        let mut s = state_with_logits(&[0.0, 5.0, 1.0, 4.0, 3.0, -2.0]);
        let mut rng = SmallRng::seed_from_u64(3);
        let mut seen = [false; 6];
        for _ in 0..2000 {
            seen[s.sample(Sampling { temperature: 5.0, top_k: 3 }, &mut rng)] = true;
        }
        assert_eq!(seen, [false, true, false, true, true, false]);
    }

    #[test]
    fn biased_sampling_never_draws_a_forbidden_token() {
        let mut s = state_with_logits(&[0.0, 5.0, 1.0, 4.0, 3.0, -2.0]);
        let mut rng = SmallRng::seed_from_u64(4);
        let inf = f32::NEG_INFINITY;
        let bias = [0.0, inf, 0.0, inf, 0.0, 0.0];
        assert_eq!(s.sample_biased(Sampling::GREEDY, &bias, &mut rng), Some(4));
        let mut seen = [false; 6];
        for _ in 0..4000 {
            seen[s.sample_biased(Sampling { temperature: 3.0, top_k: 3 }, &bias, &mut rng).unwrap()] = true;
        }
        assert_eq!(seen, [true, false, true, false, true, false]);
        // A bias of ln 8 makes token 0 eight times as likely as token 5 at equal logits.
        let mut s = state_with_logits(&[0.0, 0.0]);
        let b = [8f32.ln(), 0.0];
        let draws = 20_000;
        let zeros =
            (0..draws).filter(|_| s.sample_biased(Sampling { temperature: 1.0, top_k: 0 }, &b, &mut rng) == Some(0));
        let share = zeros.count() as f64 / draws as f64;
        assert!((share - 8.0 / 9.0).abs() < 0.01, "{share}");
        assert_eq!(s.sample_biased(Sampling::GREEDY, &[inf, inf], &mut rng), None);
        // One allowed token is drawn at once and takes one random number, as a draw does.
        let mut s = state_with_logits(&[0.0, 5.0, 1.0, 4.0, 3.0, -2.0]);
        let one = [inf, inf, inf, inf, inf, 0.0];
        for top_k in [0, 3] {
            let (mut a, mut b) = (SmallRng::seed_from_u64(9), SmallRng::seed_from_u64(9));
            assert_eq!(s.sample_biased(Sampling { temperature: 0.9, top_k }, &one, &mut a), Some(5));
            let _ = s.sample_biased(Sampling { temperature: 0.9, top_k }, &bias, &mut b);
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "the same random numbers taken");
        }
    }

    #[test]
    fn panels_pad_to_half_and_quarter_widths() {
        assert_eq!(padded(90, 64), 96);
        assert_eq!(padded(90, 128), 96);
        assert_eq!(padded(120, 128), 128);
        assert_eq!(padded(256, 64), 256);
        assert_eq!(padded(10, 64), 16);
        assert_eq!(padded(20, 64), 32);
    }
}
