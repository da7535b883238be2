//! The reference's musical grammar: encoding bars as tokens, the vocabulary, and
//! decoding tokens back to notes.

mod choice;
mod decode;
mod encode;
mod harmony;
pub mod masters;
mod post;
mod token;
mod vocab;

pub use choice::{Choice, Chooser, PythonRandom, RngChooser};
pub use decode::{
    DEFAULT_REGISTER, DecodeOptions, Decoder, FREE_WINDOW, Mode, Placed, Plan, REFERENCE_PREFIX, ReferenceTrace,
    decode, decode_reference, fits_type, musical_length,
};
pub use encode::{classify, classify_pc, encode_measure};
pub use harmony::{Harmony, MAX_CHORD_TONES};
pub use post::{clean_up_notes, prune_notes};
pub use token::{NoteType, Token, TokenError};
pub use vocab::Vocabulary;
