//! Feel: how a line is played, apart from which notes — measured from a
//! performance (`measure`), learned from the masters per style and tempo (`fit`),
//! played (`render`), and heard in a call to answer in it (`answer`).

pub mod answer;
mod fit;
mod measure;
pub mod render;

pub use fit::{CENTRE_BPM, FeelTable, STRAIGHT_FEELS, SoloFeel, StyleFeel, fit, read_solos};
pub use measure::*;
