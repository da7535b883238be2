//! Reading a MusicXML document into parts: the melody line (one voice, ties
//! joined, chords reduced to their top note, grace notes dropped) and the chord
//! symbols, at exact offsets in quarter notes.

use super::harmony::{Degree, DegreeKind, Harmony};
use crate::score::{Beats, ChordEvent, Element, line_with_rests, quantize};
use num_traits::{CheckedAdd, CheckedSub};
use roxmltree::{Document, Node, ParsingOptions};
use std::io::Read;

/// Largest MusicXML text read (a whole big-band score is a few MB).
pub const MAX_XML_BYTES: usize = 32 << 20;
/// Largest element count roxmltree builds (bounds memory on a hostile file).
const MAX_NODES: u32 = 4_000_000;
/// `<divisions>` accepted: exporters use 1 to 10,080; more is a broken file.
const MAX_DIVISIONS: i64 = 1 << 20;
/// Velocity given to notes (MusicXML notes rarely carry one).
const DEFAULT_VELOCITY: u8 = 90;
/// Tempo when the sheet sets none.
const DEFAULT_BPM: f64 = 120.0;

/// Why a MusicXML file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// The file is not well-formed XML (or not a readable `.mxl` archive).
    #[error("not readable MusicXML: {0}")]
    Xml(String),
    /// Well-formed, but not a partwise or timewise score.
    #[error("not a MusicXML score (the root element is <{0}>)")]
    NotAScore(String),
    /// Bigger than Improv reads.
    #[error("{0} bytes of MusicXML, more than the {MAX_XML_BYTES} read")]
    TooBig(usize),
    /// `score-timewise` is valid MusicXML but rare; it is not read.
    #[error("a timewise MusicXML score; save it as partwise (every editor writes partwise)")]
    Timewise,
    /// The meter changes; Improv reads one meter per file.
    #[error("the time signature changes in bar {bar} ({from} → {to}); Improv reads one meter per file")]
    MeterChange {
        /// Measure number as printed.
        bar: String,
        /// First meter.
        from: String,
        /// New meter.
        to: String,
    },
    /// A value that no notation program writes.
    #[error("measure {bar}: {what}")]
    Bad {
        /// Measure number as printed.
        bar: String,
        /// What is wrong.
        what: String,
    },
}

/// One `<part>`: its melody line and chord symbols.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetPart {
    /// The part's `id`.
    pub id: String,
    /// `<part-name>` from the part list (may be empty).
    pub name: String,
    /// The melody: notes and rests in order, offsets quantised as MIDI import does.
    pub melody: Vec<Element>,
    /// Chord symbols in order, each lasting to the next (or to the end).
    pub chords: Vec<ChordEvent>,
    /// Measures in the part.
    pub bars: usize,
}

impl SheetPart {
    /// A readable label: `P1 "Lead Sheet"`.
    pub fn label(&self) -> String {
        let id = crate::cli::message::printable(&self.id);
        if self.name.trim().is_empty() {
            id
        } else {
            format!("{id} \"{}\"", crate::cli::message::printable(self.name.trim()))
        }
    }

    /// Notes (not rests) in the melody.
    pub fn notes(&self) -> usize {
        self.melody.iter().filter(|e| !e.is_rest()).count()
    }
}

/// A MusicXML score reduced to what Improv learns from.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadSheet {
    /// Parts in file order.
    pub parts: Vec<SheetPart>,
    /// Quarter notes per bar (the first `<time>`; 4 if none).
    pub beats_per_bar: Beats,
    /// The first `<sound tempo>` (120 if none).
    pub bpm: f64,
    /// `<divisions>` of the first part (per quarter note).
    pub divisions: i64,
    /// What was left out or simplified, for the user.
    pub remarks: Vec<String>,
}

/// True if the bytes look like MusicXML: XML text (after a BOM and blanks) or a
/// zip archive (`.mxl`).
pub fn is_musicxml(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = text.trim_ascii_start();
    text.starts_with(b"<") || bytes.starts_with(b"PK\x03\x04")
}

/// The XML text of a `.musicxml` file, or of the score inside an `.mxl` archive
/// (named by `META-INF/container.xml`, else its first `.xml`/`.musicxml` entry).
fn xml_text(bytes: &[u8]) -> Result<String, SheetError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        if bytes.len() > MAX_XML_BYTES {
            return Err(SheetError::TooBig(bytes.len()));
        }
        return String::from_utf8(bytes.to_vec()).map_err(|_| SheetError::Xml("not UTF-8 text".into()));
    }
    let zip_error = |e: zip::result::ZipError| SheetError::Xml(format!("a broken .mxl archive ({e})"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_error)?;
    let read_entry = |archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str| {
        let entry = archive.by_name(name).map_err(zip_error)?;
        let mut text = String::new();
        entry
            .take(MAX_XML_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| SheetError::Xml(format!("{name} in the .mxl archive: {e}")))?;
        if text.len() > MAX_XML_BYTES {
            return Err(SheetError::TooBig(text.len()));
        }
        Ok(text)
    };
    let has_container = archive.file_names().any(|n| n == "META-INF/container.xml");
    let from_container =
        has_container.then(|| read_entry(&mut archive, "META-INF/container.xml").ok()).flatten().and_then(|c| {
            let doc = Document::parse(&c).ok()?;
            let path = doc.descendants().find(|n| n.has_tag_name("rootfile"))?.attribute("full-path")?.to_string();
            Some(path)
        });
    let name = match from_container {
        Some(n) => n,
        None => archive
            .file_names()
            .filter(|n| !n.starts_with("META-INF/") && (n.ends_with(".xml") || n.ends_with(".musicxml")))
            .min()
            .map(str::to_string)
            .ok_or_else(|| SheetError::Xml("the .mxl archive holds no score".into()))?,
    };
    read_entry(&mut archive, &name)
}

fn child<'a>(node: Node<'a, 'a>, name: &str) -> Option<Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn child_text<'a>(node: Node<'a, 'a>, name: &str) -> Option<&'a str> {
    child(node, name).and_then(|c| c.text()).map(str::trim)
}

/// Pitch class of a `<step>` (one letter).
fn step_pc(step: &str) -> Option<i32> {
    let mut letters = step.chars();
    letters.next().filter(|_| letters.next().is_none()).and_then(crate::theory::symbol::natural_pc)
}

/// A rounded semitone alteration (`<alter>` may be a decimal such as -0.5).
fn alter(node: Node, name: &str) -> i32 {
    child_text(node, name)
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|a| a.is_finite())
        .map_or(0, |a| a.round().clamp(-3.0, 3.0) as i32)
}

impl LeadSheet {
    /// Parses MusicXML bytes (text or `.mxl`).
    pub fn parse(bytes: &[u8]) -> Result<Self, SheetError> {
        let text = xml_text(bytes)?;
        let options = ParsingOptions { allow_dtd: true, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
        let doc = Document::parse_with_options(&text, options).map_err(|e| SheetError::Xml(e.to_string()))?;
        let root = doc.root_element();
        match root.tag_name().name() {
            "score-partwise" => {}
            "score-timewise" => return Err(SheetError::Timewise),
            other => return Err(SheetError::NotAScore(other.to_string())),
        }
        let names: Vec<(String, String)> = root
            .descendants()
            .filter(|n| n.has_tag_name("score-part"))
            .map(|n| {
                (n.attribute("id").unwrap_or("").to_string(), child_text(n, "part-name").unwrap_or("").to_string())
            })
            .collect();
        let mut sheet = LeadSheet {
            parts: Vec::new(),
            beats_per_bar: Beats::from_integer(4),
            bpm: DEFAULT_BPM,
            divisions: 1,
            remarks: Vec::new(),
        };
        let mut meter: Option<(i64, i64)> = None;
        let mut tempo: Option<f64> = None;
        let mut counts = Counts::default();
        for (index, part) in root.children().filter(|n| n.has_tag_name("part")).enumerate() {
            let id = part.attribute("id").unwrap_or("").to_string();
            let name = names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or_default();
            let mut reader = PartReader::new(&mut meter, &mut tempo, &mut counts);
            reader.read(part)?;
            if index == 0 {
                sheet.divisions = reader.first_divisions.unwrap_or(1);
            }
            let (melody, chords) = reader.finish();
            sheet.parts.push(SheetPart {
                id: if id.is_empty() { format!("P{}", index + 1) } else { id },
                name,
                melody,
                chords,
                bars: part.children().filter(|n| n.has_tag_name("measure")).count(),
            });
        }
        if let Some((beats, beat_type)) = meter {
            sheet.beats_per_bar = Beats::new(beats * 4, beat_type);
        }
        sheet.bpm = tempo.unwrap_or(DEFAULT_BPM);
        sheet.remarks = counts.remarks();
        Ok(sheet)
    }
}

/// What the reader left out, counted over the whole file.
#[derive(Default)]
struct Counts {
    grace: usize,
    cue: usize,
    other_voices: usize,
    chord_tones: usize,
    repeats: usize,
    unknown_chords: Vec<String>,
    pickup: bool,
}

impl Counts {
    fn remarks(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |n: usize, what: &str| {
            if n > 0 {
                out.push(format!("{n} {what}"));
            }
        };
        say(self.grace, "grace note(s) dropped");
        say(self.cue, "cue note(s) taken as rests");
        say(self.other_voices, "note(s) of other voices left out (the melody is the first voice)");
        say(self.chord_tones, "lower note(s) of melody chords left out (the top note is the melody)");
        say(self.repeats, "repeat barline(s) ignored (repeated sections are played once)");
        if self.pickup {
            out.push("a pickup bar placed before the first downbeat".into());
        }
        if !self.unknown_chords.is_empty() {
            out.push(format!("chord symbols not understood and skipped: {}", self.unknown_chords.join(", ")));
        }
        out
    }
}

/// Walks one part's measures with a time cursor.
struct PartReader<'m> {
    meter: &'m mut Option<(i64, i64)>,
    tempo: &'m mut Option<f64>,
    counts: &'m mut Counts,
    divisions: i64,
    first_divisions: Option<i64>,
    /// Least common multiple of every `<divisions>` so far: every offset is a
    /// multiple of 1 / this, kept under [`MAX_DIVISIONS`] so rational arithmetic on
    /// offsets can never overflow.
    common: i64,
    /// Current position and the bar being read.
    pos: Beats,
    bar: String,
    /// The voice taken as the melody (the first one met).
    voice: Option<String>,
    /// Melody notes: (onset, length, key or rest); ties are merged as they come.
    line: Vec<(Beats, Beats, Option<u8>)>,
    harmonies: Vec<(Beats, ChordEvent)>,
    /// Onset of the last note read (a `<chord/>` note starts there).
    last_onset: Beats,
    /// Shift applied to every offset so that a pickup ends on the first downbeat.
    shift: Beats,
    end: Beats,
}

impl<'m> PartReader<'m> {
    fn new(meter: &'m mut Option<(i64, i64)>, tempo: &'m mut Option<f64>, counts: &'m mut Counts) -> Self {
        let zero = Beats::from_integer(0);
        Self {
            meter,
            tempo,
            counts,
            divisions: 1,
            first_divisions: None,
            common: 1,
            pos: zero,
            bar: String::new(),
            voice: None,
            line: Vec::new(),
            harmonies: Vec::new(),
            last_onset: zero,
            shift: zero,
            end: zero,
        }
    }

    fn bad(&self, what: impl Into<String>) -> SheetError {
        SheetError::Bad { bar: self.bar.clone(), what: what.into() }
    }

    fn beats_per_bar(&self) -> Beats {
        self.meter.map_or(Beats::from_integer(4), |(b, t)| Beats::new(b * 4, t))
    }

    /// A `<duration>` (or `<offset>`) in quarter notes.
    fn length(&self, node: Node, name: &str) -> Result<Option<Beats>, SheetError> {
        let Some(text) = child_text(node, name) else { return Ok(None) };
        let units: f64 = text.parse().map_err(|_| self.bad(format!("<{name}> {text:?} is not a number")))?;
        if !units.is_finite() || units.abs() > (MAX_DIVISIONS * 64) as f64 {
            return Err(self.bad(format!("<{name}> {text} is out of range")));
        }
        Ok(Some(Beats::new(units.round() as i64, self.divisions)))
    }

    fn advance(&mut self, by: Beats) -> Result<(), SheetError> {
        self.pos = self.pos.checked_add(&by).ok_or_else(|| self.bad("the timing is too fine to follow"))?;
        if self.pos < Beats::from_integer(0) {
            return Err(self.bad("<backup> goes back past the start"));
        }
        if self.pos > self.beats_per_bar() * crate::score::MAX_BARS as i64 {
            return Err(self.bad(format!("the part runs past {} bars", crate::score::MAX_BARS)));
        }
        self.end = self.end.max(self.pos);
        Ok(())
    }

    fn read(&mut self, part: Node) -> Result<(), SheetError> {
        for (index, measure) in part.children().filter(|n| n.has_tag_name("measure")).enumerate() {
            self.bar = measure.attribute("number").unwrap_or("?").to_string();
            let start = self.pos;
            self.end = start;
            for item in measure.children().filter(Node::is_element) {
                match item.tag_name().name() {
                    "attributes" => self.attributes(item)?,
                    "note" => self.note(item)?,
                    "backup" => {
                        let by = self.length(item, "duration")?.unwrap_or_default();
                        self.pos = self.pos.checked_sub(&by).ok_or_else(|| self.bad("the timing is too fine"))?;
                        if self.pos < start {
                            return Err(self.bad("<backup> goes back before the measure"));
                        }
                    }
                    "forward" => {
                        let by = self.length(item, "duration")?.unwrap_or_default();
                        self.advance(by)?;
                    }
                    "harmony" => self.harmony(item)?,
                    "direction" | "sound" => self.sound(item),
                    "barline" if child(item, "repeat").is_some() => self.counts.repeats += 1,
                    _ => {}
                }
            }
            let length = self.end - start;
            let full = self.beats_per_bar();
            if index == 0 && length > Beats::from_integer(0) && length < full {
                // A pickup: it ends on the first downbeat of bar 2.
                self.shift = full - length;
                self.counts.pickup = true;
            }
            self.pos = self.end.max(start);
        }
        Ok(())
    }

    fn attributes(&mut self, node: Node) -> Result<(), SheetError> {
        if let Some(text) = child_text(node, "divisions") {
            let d = text.parse::<f64>().ok().filter(|d| d.is_finite() && d.fract() == 0.0);
            match d.map(|d| d as i64) {
                Some(d) if (1..=MAX_DIVISIONS).contains(&d) => {
                    let common = self.common / gcd(self.common, d) * d;
                    if common > MAX_DIVISIONS {
                        return Err(self.bad(format!(
                            "<divisions> changes to {d}: with the earlier values the timing is too fine to follow"
                        )));
                    }
                    self.common = common;
                    self.divisions = d;
                    self.first_divisions.get_or_insert(d);
                }
                _ => return Err(self.bad(format!("<divisions> {text:?} is not a count from 1 to {MAX_DIVISIONS}"))),
            }
        }
        if let Some(time) = child(node, "time") {
            let (Some(b), Some(t)) = (child_text(time, "beats"), child_text(time, "beat-type")) else {
                return Ok(()); // senza-misura: keep the meter
            };
            let meter = match (b.parse::<i64>(), t.parse::<i64>()) {
                (Ok(b), Ok(t)) if (1..=64).contains(&b) && [1, 2, 4, 8, 16, 32].contains(&t) => (b, t),
                _ => return Err(self.bad(format!("time signature {b}/{t} is not one Improv reads"))),
            };
            match *self.meter {
                None => *self.meter = Some(meter),
                Some(m) if m == meter => {}
                Some(m) => {
                    return Err(SheetError::MeterChange {
                        bar: self.bar.clone(),
                        from: format!("{}/{}", m.0, m.1),
                        to: format!("{}/{}", meter.0, meter.1),
                    });
                }
            }
        }
        Ok(())
    }

    fn sound(&mut self, node: Node) {
        let sound = if node.has_tag_name("sound") { Some(node) } else { child(node, "sound") };
        if let Some(t) = sound.and_then(|s| s.attribute("tempo")).and_then(|t| t.parse::<f64>().ok())
            && self.tempo.is_none()
            && t.is_finite()
            && (10.0..=400.0).contains(&t)
        {
            *self.tempo = Some(t);
        }
    }

    fn note(&mut self, node: Node) -> Result<(), SheetError> {
        if child(node, "grace").is_some() {
            self.counts.grace += 1;
            return Ok(());
        }
        let in_chord = child(node, "chord").is_some();
        let duration = self.length(node, "duration")?.unwrap_or_default();
        if duration < Beats::from_integer(0) {
            return Err(self.bad("a note with a negative duration"));
        }
        // A chord member starts with the previous note, which already moved the cursor.
        let onset = if in_chord { self.last_onset } else { self.pos };
        if !in_chord {
            self.last_onset = onset;
            self.advance(duration)?;
        }
        let voice = child_text(node, "voice").unwrap_or("1").to_string();
        if self.voice.get_or_insert_with(|| voice.clone()) != &voice {
            self.counts.other_voices += 1;
            return Ok(());
        }
        let cue = child(node, "cue").is_some();
        self.counts.cue += usize::from(cue);
        let key = match child(node, "pitch") {
            Some(p) if !cue => {
                let step = child_text(p, "step").and_then(step_pc).ok_or_else(|| self.bad("a pitch without a step"))?;
                let octave: i32 = child_text(p, "octave")
                    .and_then(|o| o.parse().ok())
                    .filter(|o| (-1..=9).contains(o))
                    .ok_or_else(|| self.bad("a pitch without an octave from -1 to 9"))?;
                let midi = (octave + 1) * 12 + step + alter(p, "alter");
                Some(u8::try_from(midi).ok().filter(|&k| k < 128).ok_or_else(|| self.bad("a pitch outside MIDI"))?)
            }
            _ => None,
        };
        let ties = |kind: &str| node.children().any(|t| t.has_tag_name("tie") && t.attribute("type") == Some(kind));
        if in_chord {
            if let (Some(k), Some(last)) = (key, self.line.last_mut()) {
                self.counts.chord_tones += 1;
                if last.0 == onset && last.2.is_some_and(|l| k > l) {
                    last.2 = Some(k);
                }
            }
            return Ok(());
        }
        if duration == Beats::from_integer(0) {
            return Ok(());
        }
        // A tie continues the previous note of the same pitch that ends here.
        if ties("stop")
            && key.is_some()
            && let Some(last) = self.line.last_mut().filter(|l| l.2 == key && l.0 + l.1 == onset)
        {
            last.1 += duration;
            return Ok(());
        }
        self.line.push((onset, duration, key));
        Ok(())
    }

    fn harmony(&mut self, node: Node) -> Result<(), SheetError> {
        let offset = self.length(node, "offset")?.unwrap_or_default();
        let at = self.pos.checked_add(&offset).ok_or_else(|| self.bad("the timing is too fine to follow"))?;
        let pc = |n: Option<Node>, step: &str, alt: &str| {
            n.and_then(|n| child_text(n, step).and_then(step_pc).map(|s| (s + alter(n, alt)).rem_euclid(12)))
        };
        let kind_node = child(node, "kind");
        let kind = kind_node.and_then(|k| k.text()).map_or("", str::trim).to_string();
        let Some(root) = pc(child(node, "root"), "root-step", "root-alter") else {
            // `<function>` or `<numeral>` symbols have no root to play over.
            if kind != "none" {
                self.counts.unknown_chords.push(format!("bar {} (no root)", self.bar));
            }
            return Ok(());
        };
        let degrees = node
            .children()
            .filter(|d| d.has_tag_name("degree"))
            .filter_map(|d| {
                let value = child_text(d, "degree-value")?.parse::<i32>().ok()?;
                let kind = match child_text(d, "degree-type")? {
                    "add" => DegreeKind::Add,
                    "alter" => DegreeKind::Alter,
                    "subtract" => DegreeKind::Subtract,
                    _ => return None,
                };
                Some(Degree { value, alter: alter(d, "degree-alter"), kind })
            })
            .collect();
        let harmony = Harmony {
            root,
            kind,
            text: kind_node.and_then(|k| k.attribute("text")).map(str::to_string),
            degrees,
            bass: pc(child(node, "bass"), "bass-step", "bass-alter"),
        };
        match harmony.to_symbol() {
            Ok(Some(symbol)) => {
                let event = ChordEvent {
                    offset: at,
                    duration: Beats::from_integer(0),
                    keys: symbol.voicing(),
                    name: Some(symbol.text),
                };
                self.harmonies.push((at, event));
            }
            Ok(None) => {}
            Err(why) => self.counts.unknown_chords.push(format!("bar {} ({why})", self.bar)),
        }
        Ok(())
    }

    /// The melody (rests filling gaps, adjacent rests merged, offsets quantised)
    /// and the chords (each lasting to the next), shifted past a pickup.
    fn finish(self) -> (Vec<Element>, Vec<ChordEvent>) {
        let shift = self.shift;
        let mut line = self.line;
        line.sort_by_key(|n| n.0);
        let melody = line_with_rests(
            line.into_iter().map(|(onset, duration, key)| (onset + shift, onset + duration + shift, key)),
            DEFAULT_VELOCITY,
        );
        let mut harmonies = self.harmonies;
        harmonies.sort_by_key(|h| h.0);
        let last = self.pos + shift;
        let mut chords: Vec<ChordEvent> = Vec::with_capacity(harmonies.len());
        for (i, (at, event)) in harmonies.iter().enumerate() {
            let at = quantize(*at + shift);
            let next = harmonies.get(i + 1).map_or(last, |h| quantize(h.0 + shift));
            chords.push(ChordEvent { offset: at, duration: (next - at).max(Beats::from_integer(0)), ..event.clone() });
        }
        (melody, chords)
    }
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
