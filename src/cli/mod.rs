//! What the command-line tools share and the pure core does not need to know:
//! bounded reading of input files, atomic output, one-line messages, a closed
//! pipe ending quietly, and Ctrl-C during long work.

pub mod atomic;
pub mod input;
pub mod interrupt;
pub mod message;
pub mod pipe;
