//! The weights file: a versioned, checksummed header around bincode-encoded
//! parameters, with the vocabulary they index and how they were trained.
//!
//! Layout: `IMPRVWTS` magic (8 bytes), format version (u32 LE), body length
//! (u64 LE), CRC-32 of the body (u32 LE), body (bincode 2, standard config, serde).

use super::params::Params;
use crate::grammar::{Token, Vocabulary};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// First bytes of every weights file.
pub const MAGIC: [u8; 8] = *b"IMPRVWTS";
/// Newest format: 5 adds the logit offsets of heard features (a style's voice,
/// written only when a model has them); 4 added the layout of what a model that hears is given (written
/// only for such a model); 3 added the list of training files and the validation
/// curve; 2 added the training token sequences. Every older version still loads; newer
/// ones are refused. The writer picks the oldest version that holds everything,
/// so a model trained on one file without validation is still version 2 (and the
/// committed reference weights stay byte for byte).
pub const FORMAT_VERSION: u32 = 5;
/// The format of a model that hears, without heard logit offsets.
const FORMAT_V4: u32 = 4;
/// The format with training files and validation, for a model that hears nothing.
const FORMAT_V3: u32 = 3;
/// The first format, still read.
const FORMAT_V1: u32 = 1;
/// The format with token sequences, written for one file without validation.
const FORMAT_V2: u32 = 2;
/// Largest body accepted, and the decoder's allocation limit: a length field in a
/// damaged file can never make it reserve more than this.
pub const MAX_BODY_BYTES: usize = 64 << 20;
const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// How a set of weights was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// File name of the training MIDI.
    pub source_name: String,
    /// SHA-256 of the training MIDI, hex.
    pub source_sha256: String,
    /// Epochs trained.
    pub epochs: u32,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
    /// Base learning rate.
    pub learning_rate: f32,
    /// Batch size.
    pub batch_size: u32,
    /// Training windows and their length.
    pub windows: u32,
    /// Tokens per window.
    pub window_len: u32,
    /// Loss of every epoch (the last is the final loss).
    pub losses: Vec<f32>,
}

impl TrainingInfo {
    /// The last epoch's loss.
    pub fn final_loss(&self) -> Option<f32> {
        self.losses.last().copied()
    }
}

/// The version-1 body.
#[derive(Serialize, Deserialize)]
struct Body {
    n_values: u32,
    hidden: u32,
    vocabulary: Vec<String>,
    training: TrainingInfo,
    kernel: Vec<f32>,
    recurrent: Vec<f32>,
    bias: Vec<f32>,
    dense: Vec<f32>,
    dense_bias: Vec<f32>,
}

/// The version-2 body: version 1's, then the training token sequences.
#[derive(Serialize, Deserialize)]
struct BodyV2 {
    v1: Body,
    corpus: Vec<Vec<u16>>,
}

/// The version-3 body: version 2's, then the training files and the validation curve.
#[derive(Serialize, Deserialize)]
struct BodyV3 {
    v2: BodyV2,
    sources: Vec<SourceFile>,
    validation: Vec<f32>,
}

/// The version-4 body: version 3's, then the heard features' layout.
#[derive(Serialize, Deserialize)]
struct BodyV4 {
    v3: BodyV3,
    hearing: u32,
}

/// The version-5 body: version 4's, then the heard features' logit offsets.
#[derive(Serialize, Deserialize)]
struct BodyV5 {
    v4: BodyV4,
    heard_logits: Vec<(u16, Vec<f32>)>,
}

/// Largest logit offset a file may hold: a style moves a token's odds by at most
/// e^8 (the fit clamps well inside it), so a hostile file cannot swamp the model.
pub const MAX_HEARD_LOGIT: f32 = 8.0;

/// One file a model was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// File name (without its folder).
    pub name: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Grammar tokens it gave.
    pub tokens: u32,
}

impl SourceFile {
    /// The single source a version 1 or 2 file records.
    fn single(training: &TrainingInfo, corpus: &[Vec<u16>]) -> Vec<Self> {
        vec![Self {
            name: training.source_name.clone(),
            sha256: training.source_sha256.clone(),
            tokens: corpus.first().map_or(0, |c| c.len() as u32),
        }]
    }
}

/// A trained model with its vocabulary and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// The parameters.
    pub params: Params<f32>,
    /// What each of the `n_values` outputs means.
    pub vocabulary: Vocabulary,
    /// Provenance.
    pub training: TrainingInfo,
    /// The token sequences it was trained on, one per file, as vocabulary indices
    /// (empty for version-1 files): what guidance checks a solo against so it does
    /// not copy them.
    pub corpus: Vec<Vec<u16>>,
    /// The files it was trained on, in the order of `corpus`.
    pub sources: Vec<SourceFile>,
    /// Validation loss of every epoch (empty if none was held out).
    pub validation: Vec<f32>,
    /// The layout of its heard features ([`crate::hearing::LAYOUT`]), or 0 for a
    /// model that hears only its tokens (the seed model).
    pub hearing: u32,
    /// Heard features whose logit offsets reach the output directly, one offset
    /// per vocabulary value (see [`super::Model::with_heard_logits`]): the styles
    /// of the masters' model. Empty for every model trained before version 5.
    pub heard_logits: Vec<(u16, Vec<f32>)>,
}

/// Why a weights file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// Not an Improv weights file.
    #[error("not an Improv weights file (wrong magic bytes)")]
    BadMagic,
    /// Shorter than its header or its declared body.
    #[error("truncated weights file: {0}")]
    Truncated(String),
    /// Written by another format version.
    #[error("weights format version {found} is not supported (this build reads version {FORMAT_VERSION})")]
    Version {
        /// The version in the file.
        found: u32,
    },
    /// The body does not match its checksum.
    #[error("corrupt weights file: checksum mismatch")]
    Checksum,
    /// The body does not decode.
    #[error("corrupt weights file: {0}")]
    Decode(String),
    /// Tensors of the wrong size.
    #[error("weights have the wrong shape: {0}")]
    Shape(String),
    /// The vocabulary does not fit the model.
    #[error("weights vocabulary does not match the model: {0}")]
    Vocabulary(String),
    /// The model decodes but cannot play.
    #[error("unusable model: {0}")]
    Unplayable(String),
}

fn bincode_config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<MAX_BODY_BYTES>,
> {
    bincode::config::standard().with_limit::<MAX_BODY_BYTES>()
}

/// The decoder's error in a user's words (bincode's own text is Rust debug output).
fn plain_decode_error(e: &bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError as E;
    match e {
        E::UnexpectedEnd { additional } => format!("the body ends {additional} bytes before its last field"),
        E::LimitExceeded => format!("a length field asks for more than the {MAX_BODY_BYTES} bytes a body may have"),
        E::Utf8 { .. } => "a text field is not valid UTF-8".into(),
        E::InvalidIntegerType { .. } => "a number field is damaged".into(),
        E::InvalidBooleanValue(_) | E::UnexpectedVariant { .. } | E::InvalidCharEncoding(_) => {
            "a field holds a value its type cannot have".into()
        }
        _ => "the body does not decode".into(),
    }
}

impl Weights {
    /// Checks that parameters and vocabulary fit each other.
    pub fn validate(&self) -> Result<(), WeightsError> {
        self.params.check_shapes().map_err(WeightsError::Shape)?;
        let n = self.params.n_values();
        if self.vocabulary.len() != n {
            return Err(WeightsError::Vocabulary(format!(
                "{} vocabulary values for {n} model outputs",
                self.vocabulary.len()
            )));
        }
        if let Some(bad) = self.vocabulary.values().iter().find(|v| Token::parse(v).is_err()) {
            return Err(WeightsError::Vocabulary(format!("{bad:?} is not a grammar token")));
        }
        let heard = self.params.n_heard();
        match (self.hearing, heard) {
            (0, 0) => {}
            (crate::hearing::LAYOUT, crate::hearing::FEATURES) => {
                let masters = |v: &String| Token::parse(v).is_ok_and(|t| crate::grammar::masters::is_masters_token(&t));
                if let Some(bad) = self.vocabulary.values().iter().find(|v| !masters(v)) {
                    return Err(WeightsError::Vocabulary(format!(
                        "{bad:?} is not a token of the masters' grammar a model that hears plays"
                    )));
                }
            }
            (layout, rows) => {
                return Err(WeightsError::Shape(format!(
                    "{rows} heard feature rows for layout {layout} ({} expected)",
                    if layout == 0 { 0 } else { crate::hearing::FEATURES }
                )));
            }
        }
        if self.params.slices().iter().any(|s| s.iter().any(|x| !x.is_finite())) {
            return Err(WeightsError::Unplayable("a weight is not a finite number".into()));
        }
        let mut seen = vec![false; heard];
        for (f, row) in &self.heard_logits {
            let f = *f as usize;
            if f >= heard || std::mem::replace(&mut seen[f], true) {
                return Err(WeightsError::Shape(format!(
                    "logit offsets for heard feature {f}, which the model does not hear or has twice"
                )));
            }
            if row.len() != n {
                return Err(WeightsError::Shape(format!(
                    "{} logit offsets of heard feature {f} for {n} outputs",
                    row.len()
                )));
            }
            if row.iter().any(|x| !x.is_finite() || x.abs() > MAX_HEARD_LOGIT) {
                return Err(WeightsError::Unplayable(format!(
                    "a logit offset of heard feature {f} is not a number within ±{MAX_HEARD_LOGIT}"
                )));
            }
        }
        Ok(())
    }

    /// [`Weights::validate`], then the model is run for a few steps: it must give
    /// finite probabilities and draw a note (see [`super::playable`]). Every file
    /// loaded is checked so; training checks only the shapes.
    pub fn check_playable(&self) -> Result<(), WeightsError> {
        self.validate()?;
        let tokens: Vec<Token> = self.vocabulary.values().iter().map(|v| Token::parse(v).expect("validated")).collect();
        super::playable::check(&self.params, &tokens).map_err(WeightsError::Unplayable)
    }

    /// Serialises to the file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let [kernel, recurrent, bias, dense, dense_bias] = self.params.slices().map(<[f32]>::to_vec);
        let v1 = Body {
            n_values: self.params.n_values() as u32,
            hidden: self.params.hidden() as u32,
            vocabulary: self.vocabulary.values().to_vec(),
            training: self.training.clone(),
            kernel,
            recurrent,
            bias,
            dense,
            dense_bias,
        };
        let v2 = BodyV2 { v1, corpus: self.corpus.clone() };
        let single = self.sources == SourceFile::single(&self.training, &self.corpus);
        let (version, body) = if self.hearing != 0 || self.params.n_heard() > 0 || !self.heard_logits.is_empty() {
            let v3 = BodyV3 { v2, sources: self.sources.clone(), validation: self.validation.clone() };
            let v4 = BodyV4 { v3, hearing: self.hearing };
            if self.heard_logits.is_empty() {
                (FORMAT_V4, bincode::serde::encode_to_vec(v4, bincode_config()))
            } else {
                let v5 = BodyV5 { v4, heard_logits: self.heard_logits.clone() };
                (FORMAT_VERSION, bincode::serde::encode_to_vec(v5, bincode_config()))
            }
        } else if single && self.validation.is_empty() {
            (FORMAT_V2, bincode::serde::encode_to_vec(&v2, bincode_config()))
        } else {
            let v3 = BodyV3 { v2, sources: self.sources.clone(), validation: self.validation.clone() };
            (FORMAT_V3, bincode::serde::encode_to_vec(&v3, bincode_config()))
        };
        let body = body.expect("plain data encodes");
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Parses and validates the file format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WeightsError> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
                WeightsError::Truncated(format!("{} bytes", bytes.len()))
            } else {
                WeightsError::BadMagic
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(WeightsError::Truncated(format!("{} bytes, the header alone has {HEADER_LEN}", bytes.len())));
        }
        let found = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if !(FORMAT_V1..=FORMAT_VERSION).contains(&found) {
            return Err(WeightsError::Version { found });
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
        let body = &bytes[HEADER_LEN..];
        if (body.len() as u64) < len {
            return Err(WeightsError::Truncated(format!("body of {} bytes, header says {len}", body.len())));
        }
        if len > MAX_BODY_BYTES as u64 {
            return Err(WeightsError::Decode(format!("body of {len} bytes, more than the {MAX_BODY_BYTES} accepted")));
        }
        if body.len() as u64 != len {
            return Err(WeightsError::Decode(format!("{} bytes after the body", body.len() as u64 - len)));
        }
        if crc32fast::hash(body) != crc {
            return Err(WeightsError::Checksum);
        }
        let decode_error = |e: bincode::error::DecodeError| WeightsError::Decode(plain_decode_error(&e));
        let (b, corpus, sources, validation, hearing, heard_logits) = match found {
            FORMAT_V1 => {
                let (b, _): (Body, usize) =
                    bincode::serde::decode_from_slice(body, bincode_config()).map_err(decode_error)?;
                (b, Vec::new(), None, Vec::new(), 0, Vec::new())
            }
            FORMAT_V2 => {
                let (b, _): (BodyV2, usize) =
                    bincode::serde::decode_from_slice(body, bincode_config()).map_err(decode_error)?;
                (b.v1, b.corpus, None, Vec::new(), 0, Vec::new())
            }
            FORMAT_V3 => {
                let (b, _): (BodyV3, usize) =
                    bincode::serde::decode_from_slice(body, bincode_config()).map_err(decode_error)?;
                (b.v2.v1, b.v2.corpus, Some(b.sources), b.validation, 0, Vec::new())
            }
            FORMAT_V4 => {
                let (b, _): (BodyV4, usize) =
                    bincode::serde::decode_from_slice(body, bincode_config()).map_err(decode_error)?;
                (b.v3.v2.v1, b.v3.v2.corpus, Some(b.v3.sources), b.v3.validation, b.hearing, Vec::new())
            }
            _ => {
                let (b, _): (BodyV5, usize) =
                    bincode::serde::decode_from_slice(body, bincode_config()).map_err(decode_error)?;
                let v3 = b.v4.v3;
                (v3.v2.v1, v3.v2.corpus, Some(v3.sources), v3.validation, b.v4.hearing, b.heard_logits)
            }
        };
        let heard = match hearing {
            0 => 0,
            crate::hearing::LAYOUT => crate::hearing::FEATURES,
            other => {
                return Err(WeightsError::Shape(format!(
                    "the model hears features of layout {other}; this build knows layout {}",
                    crate::hearing::LAYOUT
                )));
            }
        };
        let sources = sources.unwrap_or_else(|| SourceFile::single(&b.training, &corpus));
        let (n, h) = (b.n_values as usize, b.hidden as usize);
        // Sizes named as expected vs found, not in ndarray's words.
        let matrix = |what: &str, rows: usize, cols: usize, values: Vec<f32>| {
            let expected = rows.checked_mul(cols).filter(|&e| e == values.len());
            match expected {
                Some(_) => Ok(Array2::from_shape_vec((rows, cols), values).expect("length checked")),
                None => Err(WeightsError::Shape(format!(
                    "the {what} has {} values; {rows} × {cols} expected",
                    values.len()
                ))),
            }
        };
        let params = Params {
            kernel: matrix("input kernel", n.saturating_add(heard), 4 * h, b.kernel)?,
            recurrent: matrix("recurrent kernel", h, 4 * h, b.recurrent)?,
            bias: Array1::from(b.bias),
            dense: matrix("dense kernel", h, n, b.dense)?,
            dense_bias: Array1::from(b.dense_bias),
        };
        let vocabulary = Vocabulary::from_sorted(b.vocabulary)
            .ok_or_else(|| WeightsError::Vocabulary("values are not sorted and distinct".into()))?;
        if corpus.iter().flatten().any(|&t| t as usize >= n) {
            return Err(WeightsError::Vocabulary("a training token is not in the vocabulary".into()));
        }
        if sources.len() != corpus.len() && !corpus.is_empty() {
            return Err(WeightsError::Decode(format!(
                "{} training files for {} token sequences",
                sources.len(),
                corpus.len()
            )));
        }
        let w = Self { params, vocabulary, training: b.training, corpus, sources, validation, hearing, heard_logits };
        w.check_playable()?;
        Ok(w)
    }

    /// Reads and validates a weights file.
    pub fn load(path: &Path) -> Result<Self, WeightsError> {
        if path.is_dir() {
            return Err(WeightsError::Io("is a directory, not a weights file".into()));
        }
        let limit = (HEADER_LEN + MAX_BODY_BYTES) as u64;
        let bytes =
            crate::cli::input::read_bounded(path, limit).map_err(|e| WeightsError::Io(format!("cannot read: {e}")))?;
        Self::from_bytes(&bytes)
    }

    /// Writes the file atomically: a temporary file in the same folder, renamed into
    /// place, so a failure never leaves a half-written file behind.
    pub fn save(&self, path: &Path) -> Result<(), WeightsError> {
        crate::cli::atomic::write(path, &self.to_bytes()).map_err(WeightsError::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample() -> Weights {
        let vocabulary = Vocabulary::from_tokens(&["C,0.250", "R,0.500", "S,0.250,<M2,d-4>"]);
        let params = Params::keras_init(3, 4, &mut rand::rngs::StdRng::seed_from_u64(1));
        let training = TrainingInfo {
            source_name: "x.mid".into(),
            source_sha256: "00".into(),
            epochs: 1,
            seed: 1,
            learning_rate: 0.01,
            batch_size: 32,
            windows: 60,
            window_len: 30,
            losses: vec![1.5],
        };
        let corpus = vec![vec![0, 2, 1, 0]];
        let sources = SourceFile::single(&training, &corpus);
        Weights {
            params,
            vocabulary,
            training,
            corpus,
            sources,
            validation: Vec::new(),
            hearing: 0,
            heard_logits: Vec::new(),
        }
    }

    #[test]
    fn one_file_without_validation_is_written_as_version_2_and_more_as_version_3() {
        let w = sample();
        assert_eq!(w.to_bytes()[8..12], FORMAT_V2.to_le_bytes());
        let mut many = sample();
        many.corpus.push(vec![1, 1, 2]);
        many.sources.push(SourceFile { name: "y.musicxml".into(), sha256: "11".into(), tokens: 3 });
        many.validation = vec![2.5];
        let bytes = many.to_bytes();
        assert_eq!(bytes[8..12], FORMAT_V3.to_le_bytes());
        assert_eq!(Weights::from_bytes(&bytes).unwrap(), many);
    }

    /// A small model that hears, in the masters' grammar.
    fn hearing_sample() -> Weights {
        use crate::grammar::NoteType;
        use crate::grammar::masters::{note_token, rest_token};
        let tokens =
            [note_token(NoteType::Chord, 6, Some((1, 2))), note_token(NoteType::Scale, 3, None), rest_token(12)];
        let vocabulary = Vocabulary::from_tokens(&tokens.iter().map(Token::to_string).collect::<Vec<_>>());
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let params = Params::keras_init_hearing(3, crate::hearing::FEATURES, 4, &mut rng);
        Weights { params, hearing: crate::hearing::LAYOUT, ..sample() }.with_vocabulary(vocabulary)
    }

    impl Weights {
        fn with_vocabulary(self, vocabulary: Vocabulary) -> Self {
            Self { vocabulary, ..self }
        }
    }

    #[test]
    fn a_model_that_hears_is_version_4_or_5_and_its_layout_is_checked() {
        let w = hearing_sample();
        let bytes = w.to_bytes();
        assert_eq!(bytes[8..12], FORMAT_V4.to_le_bytes());
        assert_eq!(Weights::from_bytes(&bytes).unwrap(), w);
        // With styles' voices it is version 5, and they come back as written.
        let n = w.vocabulary.len();
        let voiced = Weights { heard_logits: vec![(crate::hearing::STYLE + 3, vec![0.5; n])], ..w.clone() };
        let bytes = voiced.to_bytes();
        assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
        assert_eq!(Weights::from_bytes(&bytes).unwrap(), voiced);
        // Another layout, or a hearing model whose rows do not match it, is refused.
        let other = Weights { hearing: 99, ..w.clone() };
        let e = Weights::from_bytes(&other.to_bytes()).unwrap_err().to_string();
        assert!(e.contains("layout 99"), "{e}");
        let deaf_rows = Weights { hearing: 0, ..w.clone() };
        assert!(deaf_rows.validate().is_err());
        // A seed-grammar token in a model that hears: another vocabulary.
        let seed_vocab = Vocabulary::from_tokens(&["C,0.250", "R,0.500", "S,0.250,<M2,d-4>"]);
        let e = w.with_vocabulary(seed_vocab).validate().unwrap_err().to_string();
        assert!(e.contains("masters' grammar"), "{e}");
    }

    #[test]
    fn round_trip() {
        let w = sample();
        assert_eq!(Weights::from_bytes(&w.to_bytes()).unwrap(), w);
    }

    #[test]
    fn version_1_files_still_load() {
        let w = sample();
        let [kernel, recurrent, bias, dense, dense_bias] = w.params.slices().map(<[f32]>::to_vec);
        let v1 = Body {
            n_values: 3,
            hidden: 4,
            vocabulary: w.vocabulary.values().to_vec(),
            training: w.training.clone(),
            kernel,
            recurrent,
            bias,
            dense,
            dense_bias,
        };
        let body = bincode::serde::encode_to_vec(&v1, bincode_config()).unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_V1.to_le_bytes());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        bytes.extend_from_slice(&body);
        let read = Weights::from_bytes(&bytes).unwrap();
        assert_eq!(read.params, w.params);
        assert!(read.corpus.is_empty());
        assert_eq!((read.sources[0].name.as_str(), read.sources[0].tokens), ("x.mid", 0));
    }

    /// A length field of 2^40 or 2^63 under a valid checksum is refused, not
    /// allocated (it aborted the process before the decoder had a limit).
    #[test]
    fn huge_length_fields_are_refused_not_allocated() {
        for huge in [1u64 << 40, 1 << 63, u64::MAX] {
            // n_values 3, hidden 4, 3 vocabulary strings, the first claiming `huge` bytes.
            let mut body = vec![3u8, 4, 3, 253];
            body.extend_from_slice(&huge.to_le_bytes());
            body.extend_from_slice(b"C,0.250");
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
            bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
            bytes.extend_from_slice(&body);
            assert!(matches!(Weights::from_bytes(&bytes), Err(WeightsError::Decode(_))), "length {huge}");
        }
    }

    #[test]
    fn refuses_damage() {
        let bytes = sample().to_bytes();
        assert_eq!(Weights::from_bytes(b"GIF89a............................"), Err(WeightsError::BadMagic));
        assert!(matches!(Weights::from_bytes(&bytes[..5]), Err(WeightsError::Truncated(_))));
        assert!(matches!(Weights::from_bytes(&bytes[..30]), Err(WeightsError::Truncated(_))));
        assert!(matches!(Weights::from_bytes(&bytes[..bytes.len() - 1]), Err(WeightsError::Truncated(_))));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x40;
        assert_eq!(Weights::from_bytes(&flipped), Err(WeightsError::Checksum));
        let mut version = bytes.clone();
        version[8] = 9;
        assert_eq!(Weights::from_bytes(&version), Err(WeightsError::Version { found: 9 }));
    }

    #[test]
    fn refuses_mismatched_vocabulary_and_shape() {
        let mut w = sample();
        w.vocabulary = Vocabulary::from_tokens(&["C,0.250", "R,0.500"]);
        assert!(matches!(Weights::from_bytes(&w.to_bytes()), Err(WeightsError::Vocabulary(_))));
        let mut w = sample();
        w.vocabulary = Vocabulary::from_tokens(&["C,0.250", "R,0.500", "hello"]);
        assert!(matches!(Weights::from_bytes(&w.to_bytes()), Err(WeightsError::Vocabulary(_))));
        let mut w = sample();
        w.params.dense_bias = ndarray::Array1::zeros(5);
        assert!(matches!(Weights::from_bytes(&w.to_bytes()), Err(WeightsError::Shape(_))));
    }
}
