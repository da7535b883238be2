//! Adam as legacy Keras (`tf.keras.optimizers.legacy.Adam`) does it, with decay.

use super::params::Params;

/// Learning rate of the reference (`Adam(lr=0.01)`).
pub const LEARNING_RATE: f32 = 0.01;
/// Time-based decay of the reference (`decay=0.01`): lr / (1 + decay · iterations).
pub const DECAY: f32 = 0.01;
/// First-moment decay (Keras default).
pub const BETA_1: f32 = 0.9;
/// Second-moment decay (Keras default).
pub const BETA_2: f32 = 0.999;
/// Added to √v after the bias correction is folded into the rate (Keras default 1e-7).
pub const EPSILON: f32 = 1e-7;

/// Optimiser state: the moments of every parameter and the step counter.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Base learning rate.
    pub lr: f32,
    /// Time-based decay.
    pub decay: f32,
    iterations: u64,
    m: Params<f32>,
    v: Params<f32>,
}

impl Adam {
    /// Fresh state for parameters of this shape.
    pub fn new(n_values: usize, hidden: usize, lr: f32) -> Self {
        Self::for_params(&Params::zeros(n_values, hidden), lr)
    }

    /// Fresh state for parameters shaped like `p` (a model that hears, too).
    pub fn for_params(p: &Params<f32>, lr: f32) -> Self {
        Self { lr, decay: DECAY, iterations: 0, m: p.zeros_like(), v: p.zeros_like() }
    }

    /// Steps taken so far.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// One update: lr_it = lr / (1 + decay·it); w −= lr_it·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε).
    pub fn step(&mut self, params: &mut Params<f32>, grad: &Params<f32>) {
        let it = self.iterations as f32;
        let t = (self.iterations + 1) as i32;
        let lr = self.lr / (1.0 + self.decay * it);
        let lr_t = lr * (1.0 - BETA_2.powi(t)).sqrt() / (1.0 - BETA_1.powi(t));
        let (ms, vs) = (self.m.slices_mut(), self.v.slices_mut());
        for (((w, g), m), v) in params.slices_mut().into_iter().zip(grad.slices()).zip(ms).zip(vs) {
            for i in 0..w.len() {
                m[i] = BETA_1 * m[i] + (1.0 - BETA_1) * g[i];
                v[i] = BETA_2 * v[i] + (1.0 - BETA_2) * g[i] * g[i];
                w[i] -= lr_t * m[i] / (v[i].sqrt() + EPSILON);
            }
        }
        self.iterations += 1;
    }
}
