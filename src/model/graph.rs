//! The training graph: the seed model unrolled over Tx steps with teacher forcing,
//! its loss, and backpropagation through time, written out by hand.

use super::params::{GATES, Params};
use super::{Heard, NOT_HEARD};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis, s};
use num_traits::Float;

/// A float type the graph can run in (f32 for training, f64 for gradient checks).
pub trait Real:
    Float + ndarray::LinalgScalar + ndarray::ScalarOperand + std::iter::Sum + std::fmt::Debug + std::ops::AddAssign
{
}
impl<T> Real for T where
    T: Float + ndarray::LinalgScalar + ndarray::ScalarOperand + std::iter::Sum + std::fmt::Debug + std::ops::AddAssign
{
}

fn sigmoid<T: Real>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}

/// The gradient at an output whose target row is all zeros (the last step of
/// every window).
///
/// Its loss is exactly 0, so its true gradient is 0 (`Exact`). TensorFlow's
/// `softmax_cross_entropy_with_logits`, which Keras uses for a softmax output,
/// back-propagates `softmax − labels` whatever the labels sum to, so Keras pushes
/// those logits by `p / B` anyway (`Keras`). We train like Keras by default — a
/// deliberate difference from the pure math, to stay comparable with the reference
/// (the Adam parity test fails without it); the gradient check uses `Exact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroTargets {
    /// Gradient `p / B`, as TensorFlow computes it.
    #[default]
    Keras,
    /// Gradient 0, the derivative of the loss.
    Exact,
}

/// What the forward pass keeps for the backward pass, per step.
struct Step<T> {
    a_prev: Array2<T>,
    c_prev: Array2<T>,
    /// Activated gates [i, f, g, o], (B, 4h).
    gates: Array2<T>,
    /// tanh of the new cell state, (B, h).
    tanh_c: Array2<T>,
    /// Softmax output, (B, n).
    probs: Array2<T>,
}

/// Windows of a part computed together on one core. Every row of the forward
/// pass and of the backward pass's activation gradients depends on its own window
/// only, so a group's rows come out bit for bit as they would in the whole part;
/// only the sums over windows (the weight gradients, the loss) mix rows, and they
/// are taken afterwards over the whole part in the original order. So the result
/// is the same for any number of groups, and the second core halves the rest.
const ROW_GROUP: usize = 8;

/// One group's rows: its forward steps, its loss terms and its gradients at the
/// logits and the gate pre-activations, per step.
struct Rows<T> {
    steps: Vec<Step<T>>,
    /// Loss term of each (step, row) that has a target.
    terms: Vec<Vec<Option<T>>>,
    dlogits: Vec<Array2<T>>,
    dz: Vec<Array2<T>>,
}

/// Loss of one batch: the sum over the Tx outputs of the batch-mean categorical
/// cross-entropy (computed from the logits, so never clipped). A step without a
/// target (`None`) contributes nothing, as an all-zero one-hot row does in Keras.
///
/// `xs[b][t]` is the input token of sample b at step t (`None` = zero vector);
/// `ys[b][t]` its target. If `grad` is given, the gradients are *added* to it.
pub fn loss_and_grad<T: Real + Send + Sync + 'static>(
    p: &Params<T>,
    xs: &[&[Option<usize>]],
    ys: &[&[Option<usize>]],
    zero_targets: ZeroTargets,
    grad: Option<&mut Params<T>>,
) -> T {
    loss_and_grad_of_part(p, xs, &[], ys, xs.len(), zero_targets, grad)
}

/// [`loss_and_grad`] of a model that hears: `hs[b][t]` are the features heard
/// with input t of window b (empty `hs`: none, the seed model).
pub fn loss_and_grad_heard<T: Real + Send + Sync + 'static>(
    p: &Params<T>,
    xs: &[&[Option<usize>]],
    hs: &[&[Heard]],
    ys: &[&[Option<usize>]],
    zero_targets: ZeroTargets,
    grad: Option<&mut Params<T>>,
) -> T {
    loss_and_grad_of_part(p, xs, hs, ys, xs.len(), zero_targets, grad)
}

/// The kernel rows a heard step adds: feature f is row `n + f`.
fn heard_rows(h: &Heard, n: usize, rows: usize) -> impl Iterator<Item = usize> + '_ {
    h.iter().filter(|&&f| f != NOT_HEARD).map(move |&f| n + f as usize).filter(move |&r| r < rows)
}

/// [`loss_and_grad`] of a part of a batch of `batch_len` windows: the loss and
/// gradients are scaled by `1 / batch_len`, so the parts of a batch add up to the
/// whole batch's (the trainer computes parts on several cores). The part's rows
/// are computed in groups on the cores of the current rayon pool.
pub fn loss_and_grad_of_part<T: Real + Send + Sync + 'static>(
    p: &Params<T>,
    xs: &[&[Option<usize>]],
    hs: &[&[Heard]],
    ys: &[&[Option<usize>]],
    batch_len: usize,
    zero_targets: ZeroTargets,
    grad: Option<&mut Params<T>>,
) -> T {
    let batch = xs.len();
    let scale = T::one() / T::from(batch_len.max(1)).expect("batch size");
    let with_grad = grad.is_some();
    let groups = batch.div_ceil(ROW_GROUP).clamp(1, rayon::current_num_threads().max(1));
    let size = batch.div_ceil(groups).max(1);
    let run = |lo: usize| {
        let hi = (lo + size).min(batch);
        let heard = if hs.is_empty() { &[][..] } else { &hs[lo..hi] };
        rows(p, &xs[lo..hi], heard, &ys[lo..hi], scale, zero_targets, with_grad)
    };
    let parts: Vec<Rows<T>> = if groups == 1 {
        vec![run(0)]
    } else {
        use rayon::prelude::*;
        (0..groups).into_par_iter().map(|g| run(g * size)).collect()
    };
    // The loss: terms in (step, window) order, as one pass over the whole part adds them.
    let tx = xs.first().map_or(0, |x| x.len());
    let mut loss = T::zero();
    for t in 0..tx {
        for term in parts.iter().flat_map(|r| r.terms[t].iter()).flatten() {
            loss = loss - *term;
        }
    }
    if let Some(grad) = grad {
        accumulate(xs, hs, &parts, grad);
    }
    loss
}

/// Stacks the groups' arrays of step `t` into the whole part's.
fn stack<T: Real>(parts: &[Rows<T>], pick: impl Fn(&Rows<T>) -> ArrayView2<'_, T>) -> Array2<T> {
    let views: Vec<ArrayView2<T>> = parts.iter().map(pick).collect();
    ndarray::concatenate(Axis(0), &views).expect("groups share their columns")
}

/// Forward pass and activation gradients of one group of windows.
fn rows<T: Real + 'static>(
    p: &Params<T>,
    xs: &[&[Option<usize>]],
    hs: &[&[Heard]],
    ys: &[&[Option<usize>]],
    scale: T,
    zero_targets: ZeroTargets,
    with_grad: bool,
) -> Rows<T> {
    let batch = xs.len();
    let tx = xs.first().map_or(0, |x| x.len());
    let (n, h) = (p.n_values(), p.hidden());
    let mut a = Array2::<T>::zeros((batch, h));
    let mut c = Array2::<T>::zeros((batch, h));
    let mut steps: Vec<Step<T>> = Vec::with_capacity(tx);
    let mut terms = Vec::with_capacity(tx);
    for t in 0..tx {
        let mut z = Array2::<T>::zeros((batch, GATES * h));
        z += &p.bias;
        general_mat_mul(T::one(), &a, &p.recurrent, T::one(), &mut z);
        for (b, x) in xs.iter().enumerate() {
            if let Some(ix) = x[t].filter(|&i| i < n) {
                let mut row = z.row_mut(b);
                row += &p.kernel.row(ix);
            }
            if let Some(heard) = hs.get(b).and_then(|h| h.get(t)) {
                let mut row = z.row_mut(b);
                for r in heard_rows(heard, n, p.n_inputs()) {
                    row += &p.kernel.row(r);
                }
            }
        }
        let mut gates = z;
        gates.slice_mut(s![.., 0..2 * h]).mapv_inplace(sigmoid);
        gates.slice_mut(s![.., 2 * h..3 * h]).mapv_inplace(T::tanh);
        gates.slice_mut(s![.., 3 * h..]).mapv_inplace(sigmoid);
        let (i, f, g, o) = (
            gates.slice(s![.., 0..h]),
            gates.slice(s![.., h..2 * h]),
            gates.slice(s![.., 2 * h..3 * h]),
            gates.slice(s![.., 3 * h..]),
        );
        let c_new = &f * &c + &i * &g;
        let tanh_c = c_new.mapv(T::tanh);
        let a_new = &o * &tanh_c;
        let mut logits = Array2::<T>::zeros((batch, n));
        logits += &p.dense_bias;
        general_mat_mul(T::one(), &a_new, &p.dense, T::one(), &mut logits);
        let mut probs = logits;
        let mut step_terms = Vec::with_capacity(batch);
        for (b, mut row) in probs.axis_iter_mut(Axis(0)).enumerate() {
            let max = row.iter().copied().fold(T::neg_infinity(), T::max);
            let target = ys[b][t].filter(|&y| y < n).map(|y| row[y]);
            row.mapv_inplace(|v| (v - max).exp());
            let sum: T = row.iter().copied().sum();
            step_terms.push(target.map(|logit| (logit - max - sum.ln()) * scale));
            row.mapv_inplace(|v| v / sum);
        }
        terms.push(step_terms);
        steps.push(Step { a_prev: a, c_prev: c, gates, tanh_c, probs });
        a = a_new;
        c = c_new;
    }
    let mut out = Rows { steps, terms, dlogits: Vec::new(), dz: Vec::new() };
    if with_grad {
        backward_rows(p, ys, scale, zero_targets, &mut out);
    }
    out
}

/// The backward pass's per-window part: the gradients at the logits and at the
/// gate pre-activations of every step (stored in step order).
fn backward_rows<T: Real + 'static>(
    p: &Params<T>,
    ys: &[&[Option<usize>]],
    scale: T,
    zero_targets: ZeroTargets,
    out: &mut Rows<T>,
) {
    let (n, h) = (p.n_values(), p.hidden());
    let batch = ys.len();
    let tx = out.steps.len();
    let mut da_next = Array2::<T>::zeros((batch, h));
    let mut dc_next = Array2::<T>::zeros((batch, h));
    let mut dlogits_all = Vec::with_capacity(tx);
    let mut dz_all = Vec::with_capacity(tx);
    for (t, st) in out.steps.iter().enumerate().rev() {
        // dL/dlogits = (p − y) / B on rows with a target; see `ZeroTargets` for the others.
        let mut dlogits = st.probs.clone();
        for (b, mut row) in dlogits.axis_iter_mut(Axis(0)).enumerate() {
            match ys[b][t].filter(|&y| y < n) {
                Some(y) => {
                    row[y] = row[y] - T::one();
                    row.mapv_inplace(|v| v * scale);
                }
                None => match zero_targets {
                    ZeroTargets::Keras => row.mapv_inplace(|v| v * scale),
                    ZeroTargets::Exact => row.fill(T::zero()),
                },
            }
        }
        let mut da = da_next.clone();
        general_mat_mul(T::one(), &dlogits, &p.dense.t(), T::one(), &mut da);

        let (i, f, g, o) = (
            st.gates.slice(s![.., 0..h]),
            st.gates.slice(s![.., h..2 * h]),
            st.gates.slice(s![.., 2 * h..3 * h]),
            st.gates.slice(s![.., 3 * h..]),
        );
        let one = T::one();
        // dc = da·o·(1 − tanh²c) + dc from the next step.
        let dc = &da * &o * &st.tanh_c.mapv(|x| one - x * x) + &dc_next;
        let d_o = &da * &st.tanh_c * &o.mapv(|x| x * (one - x));
        let d_i = &dc * &g * &i.mapv(|x| x * (one - x));
        let d_f = &dc * &st.c_prev * &f.mapv(|x| x * (one - x));
        let d_g = &dc * &i * &g.mapv(|x| one - x * x);
        let mut dz = Array2::<T>::zeros((batch, GATES * h));
        dz.slice_mut(s![.., 0..h]).assign(&d_i);
        dz.slice_mut(s![.., h..2 * h]).assign(&d_f);
        dz.slice_mut(s![.., 2 * h..3 * h]).assign(&d_g);
        dz.slice_mut(s![.., 3 * h..]).assign(&d_o);
        da_next.fill(T::zero());
        general_mat_mul(T::one(), &dz, &p.recurrent.t(), T::zero(), &mut da_next);
        dc_next = &dc * &f;
        dlogits_all.push(dlogits);
        dz_all.push(dz);
    }
    dlogits_all.reverse();
    dz_all.reverse();
    out.dlogits = dlogits_all;
    out.dz = dz_all;
}

/// The weight gradients: sums over the whole part's windows, step by step from
/// the last, in the order one pass over the whole part takes them.
fn accumulate<T: Real + 'static>(xs: &[&[Option<usize>]], hs: &[&[Heard]], parts: &[Rows<T>], grad: &mut Params<T>) {
    let (n, h) = (grad.n_values(), grad.hidden());
    let tx = parts.first().map_or(0, |r| r.steps.len());
    let single = parts.len() == 1;
    for t in (0..tx).rev() {
        let owned;
        let (dlogits, dz, a_prev, a) = if single {
            let (r, st) = (&parts[0], &parts[0].steps[t]);
            let a = (&st.gates.slice(s![.., 3 * h..]) * &st.tanh_c).to_owned();
            (r.dlogits[t].view(), r.dz[t].view(), st.a_prev.view(), a)
        } else {
            let a = stack(parts, |r| r.steps[t].tanh_c.view());
            let o = stack(parts, |r| r.steps[t].gates.slice(s![.., 3 * h..]));
            owned = (
                stack(parts, |r| r.dlogits[t].view()),
                stack(parts, |r| r.dz[t].view()),
                stack(parts, |r| r.steps[t].a_prev.view()),
            );
            (owned.0.view(), owned.1.view(), owned.2.view(), (&o * &a).to_owned())
        };
        general_mat_mul(T::one(), &a.t(), &dlogits, T::one(), &mut grad.dense);
        grad.dense_bias += &dlogits.sum_axis(Axis(0));
        general_mat_mul(T::one(), &a_prev.t(), &dz, T::one(), &mut grad.recurrent);
        grad.bias += &dz.sum_axis(Axis(0));
        for (b, x) in xs.iter().enumerate() {
            if let Some(ix) = x[t].filter(|&i| i < n) {
                let mut row = grad.kernel.row_mut(ix);
                row += &dz.row(b);
            }
            if let Some(heard) = hs.get(b).and_then(|h| h.get(t)) {
                let rows = grad.n_inputs();
                for r in heard_rows(heard, n, rows) {
                    let mut row = grad.kernel.row_mut(r);
                    row += &dz.row(b);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The gradient of a model that hears: its feature rows too, by finite differences.
    #[test]
    fn heard_rows_get_their_gradient() {
        use crate::model::{HEARD_SLOTS, NOT_HEARD};
        let (n, heard, h, tx) = (5, 4, 3, 5);
        let mut rng = StdRng::seed_from_u64(5);
        let p0 = Params::<f64>::keras_init_hearing(n, heard, h, &mut rng);
        let x: Vec<Option<usize>> = (0..tx).map(|t| (t > 0).then(|| rng.random_range(0..n))).collect();
        let y: Vec<Option<usize>> = (0..tx).map(|_| Some(rng.random_range(0..n))).collect();
        let hs: Vec<Heard> = (0..tx)
            .map(|t| {
                let mut f = [NOT_HEARD; HEARD_SLOTS];
                f[0] = (t % heard) as u16;
                f[1] = ((t + 1) % heard) as u16;
                f
            })
            .collect();
        let mut grad = p0.zeros_like();
        loss_and_grad_heard(&p0, &[&x], &[&hs], &[&y], ZeroTargets::Exact, Some(&mut grad));
        let eps = 1e-5;
        for r in n..n + heard {
            for j in 0..p0.kernel.ncols() {
                let mut p = p0.clone();
                p.kernel[[r, j]] += eps;
                let up = loss_and_grad_heard(&p, &[&x], &[&hs], &[&y], ZeroTargets::Exact, None);
                p.kernel[[r, j]] -= 2.0 * eps;
                let down = loss_and_grad_heard(&p, &[&x], &[&hs], &[&y], ZeroTargets::Exact, None);
                let numeric = (up - down) / (2.0 * eps);
                assert!(
                    (numeric - grad.kernel[[r, j]]).abs() < 1e-7,
                    "row {r} col {j}: {numeric} vs {}",
                    grad.kernel[[r, j]]
                );
            }
        }
        assert!(grad.kernel.row(n).iter().any(|g| g.abs() > 1e-6), "a heard row has a gradient");
    }

    /// Central finite differences in f64 against the analytic gradient.
    #[test]
    fn gradient_matches_finite_differences() {
        let (n, h, tx, batch) = (7, 5, 6, 3);
        let mut rng = StdRng::seed_from_u64(11);
        let mut p = Params::<f64>::keras_init(n, h, &mut rng);
        // Non-zero biases so their gradients are exercised too.
        p.bias.iter_mut().for_each(|b| *b += rng.random_range(-0.5..0.5));
        p.dense_bias.iter_mut().for_each(|b| *b = rng.random_range(-0.5..0.5));
        let xs: Vec<Vec<Option<usize>>> = (0..batch)
            .map(|_| (0..tx).map(|t| if t == 0 { None } else { Some(rng.random_range(0..n)) }).collect())
            .collect();
        let ys: Vec<Vec<Option<usize>>> =
            xs.iter().map(|x| (0..tx).map(|t| if t + 1 < tx { x[t + 1] } else { None }).collect()).collect();
        let xr: Vec<&[Option<usize>]> = xs.iter().map(Vec::as_slice).collect();
        let yr: Vec<&[Option<usize>]> = ys.iter().map(Vec::as_slice).collect();
        let mut grad = Params::<f64>::zeros(n, h);
        loss_and_grad(&p, &xr, &yr, ZeroTargets::Exact, Some(&mut grad));
        let eps = 1e-5;
        let mut worst: f64 = 0.0;
        for k in 0..5 {
            let (mut diff, mut norm) = (0.0f64, 0.0f64);
            let len = p.slices()[k].len();
            for i in 0..len {
                let orig = p.slices()[k][i];
                p.slices_mut()[k][i] = orig + eps;
                let up = loss_and_grad(&p, &xr, &yr, ZeroTargets::Exact, None);
                p.slices_mut()[k][i] = orig - eps;
                let down = loss_and_grad(&p, &xr, &yr, ZeroTargets::Exact, None);
                p.slices_mut()[k][i] = orig;
                let numeric = (up - down) / (2.0 * eps);
                let analytic = grad.slices()[k][i];
                diff += (numeric - analytic).powi(2);
                norm += numeric.powi(2) + analytic.powi(2);
            }
            // Relative error of the whole tensor's gradient: ‖num − ana‖ / √(‖num‖² + ‖ana‖²).
            let rel = diff.sqrt() / norm.sqrt().max(1e-12);
            worst = worst.max(rel);
            assert!(norm > 1e-6, "tensor {k} has a gradient");
        }
        assert!(worst < 1e-6, "worst relative error {worst:e}");
    }
}
