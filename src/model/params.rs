//! The model's parameters in Keras layout, their initialisation, and Keras import.

use ndarray::{Array1, Array2};
use num_traits::Float;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

/// Number of LSTM gate blocks: i, f, c (candidate), o, in Keras order.
pub const GATES: usize = 4;
/// Keras initialises the forget-gate bias to 1 (`unit_forget_bias=True`).
pub const FORGET_BIAS: f64 = 1.0;

/// LSTM(hidden) + Dense(n_values) parameters, Keras layout: kernel (inputs, 4h),
/// recurrent kernel (h, 4h), bias (4h) with gate blocks i, f, c, o; Dense (h, n), (n).
///
/// The input kernel has one row per vocabulary value, then (for a model that hears
/// the chord, the beat and the style, see [`crate::hearing`]) one row per feature it
/// hears: every input is a sum of rows, a one-hot token plus a few active features.
/// The seed model hears nothing, so its kernel is (n, 4h) as in Keras.
#[derive(Debug, Clone, PartialEq)]
pub struct Params<T> {
    /// LSTM input kernel: one row per vocabulary value, then one per heard feature.
    pub kernel: Array2<T>,
    /// LSTM recurrent kernel.
    pub recurrent: Array2<T>,
    /// LSTM bias.
    pub bias: Array1<T>,
    /// Dense kernel.
    pub dense: Array2<T>,
    /// Dense bias.
    pub dense_bias: Array1<T>,
}

impl<T: Float + 'static> Params<T> {
    /// All-zero parameters of the given shape.
    pub fn zeros(n_values: usize, hidden: usize) -> Self {
        Self::zeros_hearing(n_values, 0, hidden)
    }

    /// All-zero parameters of a model with `heard` feature rows after its values.
    pub fn zeros_hearing(n_values: usize, heard: usize, hidden: usize) -> Self {
        Self {
            kernel: Array2::zeros((n_values + heard, GATES * hidden)),
            recurrent: Array2::zeros((hidden, GATES * hidden)),
            bias: Array1::zeros(GATES * hidden),
            dense: Array2::zeros((hidden, n_values)),
            dense_bias: Array1::zeros(n_values),
        }
    }

    /// Vocabulary size (the softmax's outputs).
    pub fn n_values(&self) -> usize {
        self.dense.ncols()
    }

    /// Rows of the input kernel: the values, then the heard features.
    pub fn n_inputs(&self) -> usize {
        self.kernel.nrows()
    }

    /// Heard feature rows (0 for the seed model).
    pub fn n_heard(&self) -> usize {
        self.n_inputs().saturating_sub(self.n_values())
    }

    /// All-zero parameters of this one's shape.
    pub fn zeros_like(&self) -> Self {
        Self::zeros_hearing(self.n_values(), self.n_heard(), self.hidden())
    }

    /// LSTM units.
    pub fn hidden(&self) -> usize {
        self.recurrent.nrows()
    }

    /// Total parameter count (45,530 for 90 values and 64 units).
    pub fn count(&self) -> usize {
        self.kernel.len() + self.recurrent.len() + self.bias.len() + self.dense.len() + self.dense_bias.len()
    }

    /// The five tensors as flat slices, in file order.
    pub fn slices(&self) -> [&[T]; 5] {
        [
            self.kernel.as_slice().expect("standard layout"),
            self.recurrent.as_slice().expect("standard layout"),
            self.bias.as_slice().expect("standard layout"),
            self.dense.as_slice().expect("standard layout"),
            self.dense_bias.as_slice().expect("standard layout"),
        ]
    }

    /// The five tensors as mutable flat slices, in file order.
    pub fn slices_mut(&mut self) -> [&mut [T]; 5] {
        [
            self.kernel.as_slice_mut().expect("standard layout"),
            self.recurrent.as_slice_mut().expect("standard layout"),
            self.bias.as_slice_mut().expect("standard layout"),
            self.dense.as_slice_mut().expect("standard layout"),
            self.dense_bias.as_slice_mut().expect("standard layout"),
        ]
    }

    /// Converts every value to another float type.
    pub fn cast<U: Float + 'static>(&self) -> Params<U> {
        let c = |x: &T| U::from(*x).expect("float to float");
        Params {
            kernel: self.kernel.map(c),
            recurrent: self.recurrent.map(c),
            bias: self.bias.map(c),
            dense: self.dense.map(c),
            dense_bias: self.dense_bias.map(c),
        }
    }

    /// Keras initialisation: glorot-uniform kernels, orthogonal recurrent kernel,
    /// zero biases except the forget gate's (1).
    pub fn keras_init(n_values: usize, hidden: usize, rng: &mut impl Rng) -> Self {
        Self::keras_init_hearing(n_values, 0, hidden, rng)
    }

    /// [`Params::keras_init`] for a model with `heard` feature rows (drawn with
    /// the kernel, so with none it is exactly the seed model's initialisation).
    pub fn keras_init_hearing(n_values: usize, heard: usize, hidden: usize, rng: &mut impl Rng) -> Self {
        let mut p = Self::zeros_hearing(n_values, heard, hidden);
        glorot_uniform(&mut p.kernel, rng);
        orthogonal(&mut p.recurrent, rng);
        glorot_uniform(&mut p.dense, rng);
        let one = T::from(FORGET_BIAS).expect("1");
        p.bias.slice_mut(ndarray::s![hidden..2 * hidden]).fill(one);
        p
    }
}

/// Uniform in ±√(6 / (fan_in + fan_out)).
fn glorot_uniform<T: Float>(w: &mut Array2<T>, rng: &mut impl Rng) {
    let limit = (6.0 / (w.nrows() + w.ncols()) as f64).sqrt();
    let dist = Uniform::new(-limit, limit).expect("finite limit");
    w.iter_mut().for_each(|x| *x = T::from(dist.sample(rng)).expect("f64"));
}

/// Keras' orthogonal initialiser: QR of a normal (max, min) matrix, signs fixed so
/// R has a positive diagonal, transposed when the matrix is wide.
fn orthogonal<T: Float>(w: &mut Array2<T>, rng: &mut impl Rng) {
    let (rows, cols) = w.dim();
    let (tall, short) = (rows.max(cols), rows.min(cols));
    let mut q = Array2::<f64>::zeros((tall, short));
    q.iter_mut().for_each(|x| *x = StandardNormal.sample(rng));
    // Modified Gram–Schmidt, twice for accuracy; it yields R with a positive diagonal.
    for j in 0..short {
        for _ in 0..2 {
            for k in 0..j {
                let dot: f64 = (0..tall).map(|r| q[[r, j]] * q[[r, k]]).sum();
                for r in 0..tall {
                    q[[r, j]] -= dot * q[[r, k]];
                }
            }
        }
        let norm = (0..tall).map(|r| q[[r, j]] * q[[r, j]]).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        for r in 0..tall {
            q[[r, j]] /= norm;
        }
    }
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols { q[[r, c]] } else { q[[c, r]] };
            w[[r, c]] = T::from(v).expect("f64");
        }
    }
}

/// Why Keras-layout JSON weights could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KerasImportError {
    /// Not JSON, or a field is missing or not numeric.
    #[error("not Keras weights JSON: {0}")]
    Format(String),
    /// The tensors do not fit together.
    #[error("inconsistent shapes: {0}")]
    Shape(String),
}

fn matrix(v: &serde_json::Value, name: &str) -> Result<Array2<f32>, KerasImportError> {
    let rows = v.get(name).and_then(|r| r.as_array()).ok_or_else(|| KerasImportError::Format(format!("no {name}")))?;
    let ncols = rows.first().and_then(|r| r.as_array()).map_or(0, Vec::len);
    let mut flat = Vec::with_capacity(rows.len() * ncols);
    for r in rows {
        let r = r
            .as_array()
            .filter(|r| r.len() == ncols)
            .ok_or_else(|| KerasImportError::Shape(format!("{name} is ragged")))?;
        for x in r {
            flat.push(x.as_f64().ok_or_else(|| KerasImportError::Format(format!("{name} has a non-number")))? as f32);
        }
    }
    Array2::from_shape_vec((rows.len(), ncols), flat).map_err(|e| KerasImportError::Shape(e.to_string()))
}

fn vector(v: &serde_json::Value, name: &str) -> Result<Array1<f32>, KerasImportError> {
    let xs = v.get(name).and_then(|r| r.as_array()).ok_or_else(|| KerasImportError::Format(format!("no {name}")))?;
    xs.iter()
        .map(|x| {
            x.as_f64().map(|x| x as f32).ok_or_else(|| KerasImportError::Format(format!("{name} has a non-number")))
        })
        .collect()
}

impl Params<f32> {
    /// Imports weights from the JSON layout of `golden/keras/weights.json`
    /// (`lstm_kernel`, `lstm_recurrent_kernel`, `lstm_bias`, `dense_kernel`, `dense_bias`).
    pub fn from_keras_json(text: &str) -> Result<Self, KerasImportError> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| KerasImportError::Format(e.to_string()))?;
        let p = Self {
            kernel: matrix(&v, "lstm_kernel")?,
            recurrent: matrix(&v, "lstm_recurrent_kernel")?,
            bias: vector(&v, "lstm_bias")?,
            dense: matrix(&v, "dense_kernel")?,
            dense_bias: vector(&v, "dense_bias")?,
        };
        p.check_shapes().map_err(KerasImportError::Shape)?;
        Ok(p)
    }

    /// Checks that the five tensors fit one LSTM + Dense model.
    pub fn check_shapes(&self) -> Result<(), String> {
        let (n, h) = (self.dense.ncols(), self.recurrent.nrows());
        let ok = n > 0
            && h > 0
            && self.kernel.nrows() >= n
            && self.kernel.ncols() == GATES * h
            && self.recurrent.ncols() == GATES * h
            && self.bias.len() == GATES * h
            && self.dense.dim() == (h, n)
            && self.dense_bias.len() == n;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "kernel {:?}, recurrent {:?}, bias {}, dense {:?}, dense bias {}",
                self.kernel.dim(),
                self.recurrent.dim(),
                self.bias.len(),
                self.dense.dim(),
                self.dense_bias.len()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn reference_shape_has_45530_parameters() {
        let p = Params::<f32>::keras_init(90, 64, &mut StdRng::seed_from_u64(0));
        assert_eq!(p.count(), 45_530);
        assert!(p.bias.iter().skip(64).take(64).all(|&b| b == 1.0));
        assert!(p.bias.iter().take(64).all(|&b| b == 0.0));
    }

    #[test]
    fn recurrent_kernel_is_orthogonal() {
        let p = Params::<f64>::keras_init(10, 8, &mut StdRng::seed_from_u64(3));
        // A wide (8 × 32) orthogonal matrix has orthonormal rows.
        let g = p.recurrent.dot(&p.recurrent.t());
        for i in 0..8 {
            for j in 0..8 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((g[[i, j]] - want).abs() < 1e-12, "{i},{j}: {}", g[[i, j]]);
            }
        }
    }
}
