//! MusicXML lead sheets (`.musicxml`, `.xml`, compressed `.mxl`): each part's
//! melody line and its chord symbols, in the score model the MIDI reader fills.
//!
//! Read with `roxmltree`, not the `musicxml` crate: that crate's own XML tokenizer
//! rejects attributes separated by a tab and aborts the process with a stack
//! overflow on deeply nested elements (tried with 1.1.2), where `roxmltree`
//! returns an error.

mod harmony;
mod read;

pub use harmony::{Degree, DegreeKind, Harmony};
pub use read::{LeadSheet, SheetError, SheetPart, is_musicxml};
