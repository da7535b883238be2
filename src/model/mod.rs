//! The seed model: one LSTM cell and a Dense softmax over the vocabulary — its
//! parameters, training graph, optimiser, streaming inference and weights file.

pub mod adam;
pub mod fastmath;
pub mod file;
pub mod graph;
pub mod params;
pub mod playable;
pub mod stream;
pub mod trainer;

pub use adam::Adam;
pub use file::{MAX_HEARD_LOGIT, SourceFile, TrainingInfo, Weights, WeightsError};
pub use graph::{ZeroTargets, loss_and_grad, loss_and_grad_heard, loss_and_grad_of_part};
pub use params::Params;
pub use stream::{Isa, Model, Precision, Sampling, State};
pub use trainer::{EpochReport, TrainConfig, Trained, Validation, train, train_from, train_validated};

/// LSTM units of the reference model (`LSTM(n_a=64)`).
pub const HIDDEN: usize = 64;
/// Vocabulary size of the reference corpus (90 distinct values).
pub const REFERENCE_VALUES: usize = 90;

/// Heard features per step, at most: a chord's pitch classes (up to 12) and a few
/// one-hot features (see [`crate::hearing`]).
pub const HEARD_SLOTS: usize = 16;
/// An empty slot of [`Heard`].
pub const NOT_HEARD: u16 = u16::MAX;
/// The features a model that hears is given with one input, as indices of its
/// heard feature rows (row `n_values + f` of the input kernel); unused slots are
/// [`NOT_HEARD`].
pub type Heard = [u16; HEARD_SLOTS];
