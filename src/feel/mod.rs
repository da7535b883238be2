//! Feel: how a line is played, apart from which notes — measured from a
//! performance (`measure`), learned from the masters per style and tempo (`fit`),
//! and played (`render`).

mod fit;
mod measure;
pub mod render;

pub use fit::{CENTRE_BPM, FeelTable, STRAIGHT_FEELS, SoloFeel, StyleFeel, fit, read_solos};
pub use measure::*;
