//! The training loop: seeded initialisation and shuffling, mini-batches split
//! into parts computed on every core, Adam, and an optional validation set with
//! early stopping.

use super::HIDDEN;
use super::adam::{Adam, LEARNING_RATE};
use super::graph::{ZeroTargets, loss_and_grad_of_part};
use super::params::Params;
use crate::dataset::Windows;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

/// Epochs of the reference (`model.fit(..., epochs=100)`).
pub const EPOCHS: usize = 100;
/// Keras' default batch size (32): two steps per epoch on 60 windows.
pub const BATCH_SIZE: usize = 32;
/// Windows whose weight gradients are summed together. A batch is cut into parts
/// of this many windows, computed in parallel and summed in part order, so the
/// weights never depend on the number of threads. It is Keras' batch, so a batch of
/// up to 32 windows is one part and trains exactly as the first version did (the
/// committed reference weights stay byte for byte). Inside a part, the windows'
/// forward and backward passes are spread over the cores too (see `graph`).
pub const GRAD_PART: usize = 32;

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
    /// Heard feature rows (0: the seed model, which hears only its tokens).
    pub heard: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self { epochs: EPOCHS, learning_rate: LEARNING_RATE, batch_size: BATCH_SIZE, hidden: HIDDEN, seed: 0, heard: 0 }
    }
}

/// Held-out windows, and how many epochs without a better validation loss to
/// wait before stopping (`None`: train every epoch).
#[derive(Debug, Clone, Copy)]
pub struct Validation<'a> {
    /// The held-out windows.
    pub windows: &'a Windows,
    /// Early-stopping patience in epochs.
    pub patience: Option<usize>,
}

/// What one epoch reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochReport {
    /// 0-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (each before its update).
    pub loss: f32,
    /// Mean loss on the validation windows after the epoch.
    pub validation: Option<f32>,
}

/// A trained model and its curves.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// The weights: the last epoch's, or with early stopping the best epoch's.
    pub params: Params<f32>,
    /// Training loss of every epoch run.
    pub losses: Vec<f32>,
    /// Validation loss of every epoch run (empty without validation).
    pub validation: Vec<f32>,
    /// 1-based epoch with the lowest validation loss.
    pub best_epoch: Option<usize>,
    /// True if early stopping ended training before the last epoch.
    pub stopped_early: bool,
}

/// Trains a fresh model on the windows. Calls `on_epoch(epoch, loss)` after each
/// epoch, where the loss is the sample-weighted mean of the batch losses, each
/// taken before its own update (what Keras prints). Same inputs and seed →
/// bit-identical parameters, on any number of threads.
pub fn train(
    windows: &Windows,
    n_values: usize,
    config: &TrainConfig,
    mut on_epoch: impl FnMut(usize, f32),
) -> (Params<f32>, Vec<f32>) {
    let t = train_validated(windows, None, n_values, config, |r| on_epoch(r.epoch, r.loss));
    (t.params, t.losses)
}

/// [`train`] with an optional validation set and early stopping.
pub fn train_validated(
    windows: &Windows,
    validation: Option<Validation>,
    n_values: usize,
    config: &TrainConfig,
    on_epoch: impl FnMut(EpochReport),
) -> Trained {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let params = Params::keras_init_hearing(n_values, config.heard, config.hidden, &mut rng);
    run(windows, validation, params, rng, config, on_epoch)
}

/// [`train_validated`] continuing from trained parameters (fine-tuning: the
/// shape, vocabulary and hearing are theirs; `config.hidden` and `config.heard`
/// are ignored). Same inputs and seed → bit-identical parameters.
pub fn train_from(
    windows: &Windows,
    validation: Option<Validation>,
    start: Params<f32>,
    config: &TrainConfig,
    on_epoch: impl FnMut(EpochReport),
) -> Trained {
    run(windows, validation, start, StdRng::seed_from_u64(config.seed), config, on_epoch)
}

fn run(
    windows: &Windows,
    validation: Option<Validation>,
    mut params: Params<f32>,
    mut rng: StdRng,
    config: &TrainConfig,
    mut on_epoch: impl FnMut(EpochReport),
) -> Trained {
    let mut adam = Adam::for_params(&params, config.learning_rate);
    let batch_size = config.batch_size.max(1);
    let parts = batch_size.div_ceil(GRAD_PART);
    let mut grads: Vec<Params<f32>> = (0..parts).map(|_| params.zeros_like()).collect();
    let m = windows.x.len();
    let mut order: Vec<usize> = (0..m).collect();
    let mut out = Trained {
        params: params.clone(),
        losses: Vec::new(),
        validation: Vec::new(),
        best_epoch: None,
        stopped_early: false,
    };
    let mut best = f32::INFINITY;
    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        let mut weighted = 0.0f64;
        for batch in order.chunks(batch_size) {
            let loss = batch_gradient(&params, windows, batch, &mut grads);
            adam.step(&mut params, &grads[0]);
            weighted += loss as f64 * batch.len() as f64;
        }
        let loss = (weighted / m.max(1) as f64) as f32;
        out.losses.push(loss);
        let val = validation.map(|v| validation_loss(&params, v.windows));
        if let Some(v) = val {
            out.validation.push(v);
            if v < best {
                best = v;
                out.best_epoch = Some(epoch + 1);
                if validation.is_some_and(|v| v.patience.is_some()) {
                    out.params.clone_from(&params);
                }
            }
        }
        on_epoch(EpochReport { epoch, loss, validation: val });
        let patience = validation.and_then(|v| v.patience);
        if let (Some(p), Some(b)) = (patience, out.best_epoch)
            && epoch + 1 - b >= p
            && epoch + 1 < config.epochs
        {
            out.stopped_early = true;
            break;
        }
    }
    if validation.is_none_or(|v| v.patience.is_none()) {
        out.params = params;
    }
    out
}

/// The gradient of one batch into `grads[0]` (the other buffers are scratch) and
/// its loss. Parts of [`GRAD_PART`] windows run in parallel; their gradients and
/// losses are added in part order.
fn batch_gradient(params: &Params<f32>, windows: &Windows, batch: &[usize], grads: &mut [Params<f32>]) -> f32 {
    let parts: Vec<&[usize]> = batch.chunks(GRAD_PART).collect();
    let part_loss = |part: &[usize], grad: &mut Params<f32>| {
        let xs: Vec<&[Option<usize>]> = part.iter().map(|&i| windows.x[i].as_slice()).collect();
        let ys: Vec<&[Option<usize>]> = part.iter().map(|&i| windows.y[i].as_slice()).collect();
        let hs = windows.heard_of(part);
        grad.slices_mut().into_iter().for_each(|s| s.fill(0.0));
        loss_and_grad_of_part(params, &xs, &hs, &ys, batch.len(), ZeroTargets::Keras, Some(grad))
    };
    if let [only] = parts.as_slice() {
        return part_loss(only, &mut grads[0]);
    }
    let losses: Vec<f32> =
        grads[..parts.len()].par_iter_mut().zip(parts.par_iter()).map(|(grad, part)| part_loss(part, grad)).collect();
    let (first, rest) = grads.split_first_mut().expect("one buffer per part");
    for other in &rest[..parts.len() - 1] {
        for (a, b) in first.slices_mut().into_iter().zip(other.slices()) {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        }
    }
    losses.into_iter().fold(0.0, |a, b| a + b)
}

/// Mean loss per window over `windows`, computed in parts on every core and
/// summed in part order (so it too is the same on any number of threads).
pub fn validation_loss(params: &Params<f32>, windows: &Windows) -> f32 {
    let all: Vec<usize> = (0..windows.x.len()).collect();
    let losses: Vec<f32> = all
        .par_chunks(GRAD_PART)
        .map(|part| {
            let xs: Vec<&[Option<usize>]> = part.iter().map(|&i| windows.x[i].as_slice()).collect();
            let ys: Vec<&[Option<usize>]> = part.iter().map(|&i| windows.y[i].as_slice()).collect();
            let hs = windows.heard_of(part);
            loss_and_grad_of_part(params, &xs, &hs, &ys, all.len(), ZeroTargets::Keras, None)
        })
        .collect();
    losses.into_iter().fold(0.0, |a, b| a + b)
}
