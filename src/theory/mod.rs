//! Music theory the grammar needs: spelled pitches and intervals, scales, chords.

pub mod chord;
pub mod interval;
pub mod pitch;
pub mod scale;
pub mod symbol;

pub use chord::Quality;
pub use interval::Interval;
pub use pitch::{Pitch, PitchName};
