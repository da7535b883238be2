//! Feel: how a line is played, apart from which notes — measured from a
//! performance (`measure`), and learned from the masters per style and tempo (`fit`).

mod fit;
mod measure;

pub use fit::{CENTRE_BPM, FeelTable, STRAIGHT_FEELS, SoloFeel, StyleFeel, fit, read_solos};
pub use measure::*;
