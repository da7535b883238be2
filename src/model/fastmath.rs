//! A branch-free `exp` the compiler vectorises, and the activations built on it.
//! Library `exp`/`tanh` cost more than the rest of an inference step together
//! (reference-figures.md); this one is within 2 ulp-ish (relative error < 3e-7).

/// ln 2 split in a high part exact in f32 and a low correction (Cody–Waite).
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// Adding then subtracting 1.5 · 2²³ rounds an f32 to the nearest integer.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// e^x for x in about ±87 (clamped outside), without branches or table lookups.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Plain comparisons (not `clamp`, which must order NaNs) keep this vectorisable.
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    // t holds round(x·log2 e) in its low mantissa bits: no float→int conversion.
    let t = x * LOG2_E + ROUND_MAGIC;
    let n_int = t.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32;
    let n = t - ROUND_MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Degree-7 Taylor polynomial of e^r on |r| ≤ ln2/2 (truncation error < 1e-8).
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let scale = f32::from_bits(((n_int + 127) as u32) << 23);
    p * scale
}

/// e^x for |x| ≤ 40 (clamped outside), the polynomial in fused multiply-adds: for
/// code compiled with FMA only (elsewhere `mul_add` is a slow software call). About
/// the accuracy of [`exp`] in fewer instructions; the f16 step's gates use it.
#[inline(always)]
pub fn exp_fma(x: f32) -> f32 {
    let x = if x < -40.0 { -40.0 } else { x };
    let x = if x > 40.0 { 40.0 } else { x };
    let t = x.mul_add(LOG2_E, ROUND_MAGIC);
    let n_int = t.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32;
    let n = t - ROUND_MAGIC;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    // Degree 6 suffices here: the truncation error is |r|^7/7! < 1.2e-7.
    let mut p: f32 = 1.0 / 720.0;
    for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        p = p.mul_add(r, c);
    }
    p * f32::from_bits(((n_int + 127) as u32) << 23)
}

/// One LSTM unit's update, `(c', a')` from its four gate pre-activations and cell
/// state, with two divisions instead of five: σ(f)·c + σ(i)·tanh(g) over one
/// common denominator, then σ(o)·tanh(c'). Exponents are clamped at ±40, where σ
/// and tanh are within 1e-17 of 0 or ±1, so the products stay finite. FMA code only.
#[inline(always)]
pub fn lstm_unit_fma(zi: f32, zf: f32, zg: f32, zo: f32, c: f32) -> (f32, f32) {
    let (ei, ef, eo) = (exp_fma(-zi), exp_fma(-zf), exp_fma(-zo));
    let eg = exp_fma(-2.0 * zg.abs());
    let (di, df, dg) = (1.0 + ei, 1.0 + ef, 1.0 + eg);
    // c' = c/df + sign(g)(1 − eg)/(di·dg) = (c·di·dg + sign(g)(1 − eg)·df) / (df·di·dg)
    let idg = di * dg;
    let cell = c.mul_add(idg, ((1.0 - eg) * df).copysign(zg)) / (df * idg);
    let ec = exp_fma(-2.0 * cell.abs());
    let a = ((1.0 - ec) / ((1.0 + eo) * (1.0 + ec))).copysign(cell);
    (cell, a)
}

/// The logistic function 1 / (1 + e^−x).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// tanh(x) = sign(x)·(1 − e^−2|x|)/(1 + e^−2|x|): accurate to about an ulp near ±1,
/// which matters because the cell state sums these over many steps.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp(-2.0 * x.abs());
    ((1.0 - e) / (1.0 + e)).copysign(x)
}

/// SIMD-friendly reductions: eight partial results, combined at the end (a strict
/// left-to-right float sum cannot be vectorised).
const LANES: usize = 8;

/// The largest value (−∞ for an empty slice).
#[inline(always)]
pub fn max(x: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            m[i] = if c[i] > m[i] { c[i] } else { m[i] };
        }
    }
    let mut best = f32::NEG_INFINITY;
    for &v in m.iter().chain(rest) {
        best = if v > best { v } else { best };
    }
    best
}

/// The sum.
#[inline(always)]
pub fn sum(x: &[f32]) -> f32 {
    let mut s = [0.0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            s[i] += c[i];
        }
    }
    s.iter().chain(rest).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = (x as f64).exp();
            let rel = ((exp(x) as f64 - want) / want).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 3e-7, "relative error {worst:e}");
    }

    /// Compiled without FMA here, `mul_add` is exact in software: the same maths.
    #[test]
    fn fused_exp_and_unit_are_accurate() {
        let mut x = -40.0f32;
        while x < 40.0 {
            let want = (x as f64).exp();
            assert!(((exp_fma(x) as f64 - want) / want).abs() < 3e-7, "exp {x}");
            x += 0.0137;
        }
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let mut worst = 0.0f64;
        for (k, &c) in [-3.0f32, -0.4, 0.0, 0.7, 5.0].iter().enumerate() {
            let mut z = -60.0f32 + k as f32 * 0.37;
            while z < 60.0 {
                let (zi, zf, zg, zo) = (z, -0.8 * z + 0.3, 0.5 * z - 1.0, -z);
                let (cell, a) = lstm_unit_fma(zi, zf, zg, zo, c);
                let want_c = sig(zf as f64) * c as f64 + sig(zi as f64) * (zg as f64).tanh();
                let want_a = sig(zo as f64) * want_c.tanh();
                worst = worst.max((cell as f64 - want_c).abs()).max((a as f64 - want_a).abs());
                z += 0.05;
            }
        }
        assert!(worst < 1e-6, "worst {worst:e}");
    }

    #[test]
    fn activations_are_accurate() {
        let mut x = -20.0f32;
        while x < 20.0 {
            assert!((sigmoid(x) as f64 - 1.0 / (1.0 + (-(x as f64)).exp())).abs() < 2e-7, "sigmoid {x}");
            assert!((tanh(x) as f64 - (x as f64).tanh()).abs() < 3e-7, "tanh {x}");
            x += 0.001;
        }
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(1000.0).is_finite());
    }
}
