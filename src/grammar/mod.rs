//! The reference's musical grammar: encoding bars as tokens, the vocabulary, and
//! decoding tokens back to notes.

mod encode;
mod harmony;
mod token;
mod vocab;

pub use encode::{classify, encode_measure};
pub use harmony::Harmony;
pub use token::{NoteType, Token, TokenError};
pub use vocab::Vocabulary;
