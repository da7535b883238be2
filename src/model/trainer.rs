//! The training loop: seeded initialisation and shuffling, mini-batches, Adam.

use super::HIDDEN;
use super::adam::{Adam, LEARNING_RATE};
use super::graph::{ZeroTargets, loss_and_grad};
use super::params::Params;
use crate::dataset::Windows;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Epochs of the reference (`model.fit(..., epochs=100)`).
pub const EPOCHS: usize = 100;
/// Keras' default batch size (32): two steps per epoch on 60 windows.
pub const BATCH_SIZE: usize = 32;

/// Training settings; the defaults are the reference's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Passes over the windows.
    pub epochs: usize,
    /// Adam's base learning rate.
    pub learning_rate: f32,
    /// Windows per update.
    pub batch_size: usize,
    /// LSTM units.
    pub hidden: usize,
    /// Seed of initialisation and of the per-epoch shuffle.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self { epochs: EPOCHS, learning_rate: LEARNING_RATE, batch_size: BATCH_SIZE, hidden: HIDDEN, seed: 0 }
    }
}

/// Trains a fresh model on the windows. Calls `on_epoch(epoch, loss)` after each
/// epoch, where the loss is the sample-weighted mean of the batch losses, each
/// taken before its own update (what Keras prints). Same inputs and seed →
/// bit-identical parameters.
pub fn train(
    windows: &Windows,
    n_values: usize,
    config: &TrainConfig,
    mut on_epoch: impl FnMut(usize, f32),
) -> (Params<f32>, Vec<f32>) {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut params = Params::keras_init(n_values, config.hidden, &mut rng);
    let mut adam = Adam::new(n_values, config.hidden, config.learning_rate);
    let mut grad = Params::zeros(n_values, config.hidden);
    let m = windows.x.len();
    let mut order: Vec<usize> = (0..m).collect();
    let mut losses = Vec::with_capacity(config.epochs);
    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        let mut weighted = 0.0f64;
        for batch in order.chunks(config.batch_size.max(1)) {
            let xs: Vec<&[Option<usize>]> = batch.iter().map(|&i| windows.x[i].as_slice()).collect();
            let ys: Vec<&[Option<usize>]> = batch.iter().map(|&i| windows.y[i].as_slice()).collect();
            grad.slices_mut().into_iter().for_each(|s| s.fill(0.0));
            let loss = loss_and_grad(&params, &xs, &ys, ZeroTargets::Keras, Some(&mut grad));
            adam.step(&mut params, &grad);
            weighted += loss as f64 * batch.len() as f64;
        }
        let loss = (weighted / m.max(1) as f64) as f32;
        losses.push(loss);
        on_epoch(epoch, loss);
    }
    (params, losses)
}
