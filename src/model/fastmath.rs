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
