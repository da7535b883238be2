//! The two CSV tables of a WJD solo as MeloSpyGUI exports them — the melody (a
//! row per note) and the beat track (a row per beat) — read by header name, every
//! value checked, so a damaged or hostile file is refused with its line number.

use crate::score::MAX_BARS;

/// Why a WJD table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WjdError {
    /// Not readable as CSV (the csv crate's reason, with its line).
    #[error("not a readable CSV table: {0}")]
    Csv(String),
    /// A column the table needs is not in its header.
    #[error("no {column:?} column (the {table} has: {header})")]
    MissingColumn {
        /// The column's name.
        column: &'static str,
        /// "melody" or "beat track".
        table: &'static str,
        /// The header found, shortened.
        header: String,
    },
    /// A value out of range or not a number.
    #[error("line {line}: {what}")]
    Bad {
        /// 1-based line of the file (the header is line 1).
        line: u64,
        /// What is wrong.
        what: String,
    },
    /// A header and no rows.
    #[error("the {0} has a header and no rows")]
    Empty(&'static str),
    /// The solo's beat track was refused.
    #[error("its beat track: {0}")]
    InBeatTrack(Box<WjdError>),
    /// A beat track given where a melody was expected.
    #[error("a WJD beat track, not a melody: name the solo's melody file (NAME.csv beside NAME_beattrack.csv)")]
    BeatTrackGiven,
}

/// Most tatums a WJD beat is divided into (the database uses up to 36).
pub const MAX_DIVISION: i64 = 64;
/// Most beats per bar read (the database has 1 to 9).
pub const MAX_PERIOD: i64 = 16;
/// Longest note read, in seconds (a held note in a ballad lasts a few seconds).
const MAX_NOTE_SECONDS: f64 = 600.0;
/// The latest onset read, in seconds (the longest WJD solo is under 20 minutes).
const MAX_ONSET_SECONDS: f64 = 36_000.0;

/// One row of a melody table: a note with its metrical position.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    /// 1-based line in the file.
    pub line: u64,
    /// Onset in seconds, as played.
    pub onset: f64,
    /// Duration in seconds, as played.
    pub duration: f64,
    /// Beats in this bar.
    pub period: i64,
    /// Tatums in this beat.
    pub division: i64,
    /// Bar, 0 = the solo's first (negative: a pickup).
    pub bar: i64,
    /// Beat in the bar, 1-based.
    pub beat: i64,
    /// Tatum in the beat, 1-based.
    pub tatum: i64,
    /// Length of this beat in seconds.
    pub beat_duration: f64,
    /// The time signature as written (`4/4`), quotes removed.
    pub signature: String,
    /// MIDI key.
    pub pitch: u8,
    /// Loudness (maximum), where measured.
    pub loud_max: Option<f64>,
    /// Loudness (median), where measured.
    pub loud_median: Option<f64>,
    /// Phrase number.
    pub phrase_id: Option<i64>,
    /// True on a phrase's first note.
    pub phrase_begin: bool,
    /// The chord symbol sounding (`NC` = none), if the table has the column.
    pub chord: Option<String>,
}

/// One row of a beat track.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatRow {
    /// 1-based line in the file.
    pub line: u64,
    /// Onset in seconds.
    pub onset: f64,
    /// Beats in this bar.
    pub period: i64,
    /// Bar, as in the melody.
    pub bar: i64,
    /// Beat in the bar, 1-based.
    pub beat: i64,
    /// The time signature as written, quotes removed.
    pub signature: String,
    /// The chord symbol of this beat (`NC` = none).
    pub chord: String,
    /// MIDI key of the bass, where annotated.
    pub bass: Option<u8>,
}

/// The first line of a CSV text: its column names, quotes and BOM removed.
fn header_names(bytes: &[u8]) -> Vec<String> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let line = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = &line[..line.len().min(4096)];
    String::from_utf8_lossy(line).trim().split(',').map(|c| c.trim().trim_matches('"').to_string()).collect()
}

/// True if the bytes start like a WJD table (melody or beat track): a CSV header
/// naming `onset`, `bar` and `beat`.
pub fn is_wjd_table(bytes: &[u8]) -> bool {
    let names = header_names(bytes);
    ["onset", "bar", "beat"].iter().all(|n| names.iter().any(|c| c == n))
}

/// True if the table is a beat track: a WJD header with `chord` and no `pitch`.
pub fn is_beat_track(bytes: &[u8]) -> bool {
    let names = header_names(bytes);
    is_wjd_table(bytes) && !names.iter().any(|c| c == "pitch") && names.iter().any(|c| c == "chord")
}

/// Column positions by name, and the rows of a table.
struct Table {
    header: Vec<String>,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    table: &'static str,
}

impl Table {
    fn open(bytes: &[u8], table: &'static str) -> Result<Self, WjdError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes).to_vec();
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(std::io::Cursor::new(bytes));
        let header = reader.headers().map_err(|e| WjdError::Csv(e.to_string()))?;
        let header = header.iter().map(|h| h.trim().to_string()).collect();
        Ok(Self { header, reader, table })
    }

    fn column(&self, name: &'static str) -> Result<usize, WjdError> {
        self.optional(name).ok_or_else(|| {
            let joined = self.header.join(",");
            let short: String = crate::cli::message::printable(&joined).chars().take(160).collect();
            WjdError::MissingColumn { column: name, table: self.table, header: short }
        })
    }

    fn optional(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Every record read by `read`, with its line; a header alone is refused.
    fn rows<T>(&mut self, mut read: impl FnMut(&Row) -> Result<T, WjdError>) -> Result<Vec<T>, WjdError> {
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        while self.reader.read_record(&mut record).map_err(|e| WjdError::Csv(e.to_string()))? {
            let line = record.position().map_or(0, |p| p.line());
            rows.push(read(&Row { record: &record, line })?);
        }
        if rows.is_empty() {
            return Err(WjdError::Empty(self.table));
        }
        Ok(rows)
    }
}

/// A field of a record, read by the rules of one column.
struct Row<'r> {
    record: &'r csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    fn bad(&self, what: impl Into<String>) -> WjdError {
        WjdError::Bad { line: self.line, what: what.into() }
    }

    fn text(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("").trim()
    }

    fn number(&self, column: usize, name: &str) -> Result<f64, WjdError> {
        let t = self.text(column);
        t.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
            let shown: String = crate::cli::message::printable(t).chars().take(24).collect();
            self.bad(format!("{name} {shown:?} is not a finite number"))
        })
    }

    fn optional_number(&self, column: Option<usize>) -> Option<f64> {
        column.and_then(|c| self.text(c).parse::<f64>().ok()).filter(|x| x.is_finite())
    }

    /// A whole number in `range` (written as `3` or `3.0`).
    fn whole(&self, column: usize, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, WjdError> {
        let x = self.number(column, name)?;
        if x.fract() != 0.0 || x < *range.start() as f64 || x > *range.end() as f64 {
            return Err(self.bad(format!(
                "{name} {} is not a whole number from {} to {}",
                crate::cli::message::printable(self.text(column)),
                range.start(),
                range.end()
            )));
        }
        Ok(x as i64)
    }

    fn seconds(&self, column: usize, name: &str, max: f64) -> Result<f64, WjdError> {
        let x = self.number(column, name)?;
        if !(0.0..=max).contains(&x) {
            return Err(self.bad(format!("{name} {x} s is outside 0 to {max} s")));
        }
        Ok(x)
    }

    fn signature(&self, column: Option<usize>) -> String {
        column.map_or_else(String::new, |c| self.text(c).trim_matches(['"', '\'']).to_string())
    }
}

/// Bars read before and after the first: the bar limit, and a pickup of a few bars.
fn bar_range() -> std::ops::RangeInclusive<i64> {
    -64..=MAX_BARS as i64
}

/// Reads a melody table.
pub fn read_melody(bytes: &[u8]) -> Result<Vec<NoteRow>, WjdError> {
    if is_beat_track(bytes) {
        return Err(WjdError::BeatTrackGiven);
    }
    let mut t = Table::open(bytes, "melody")?;
    let c = |name| t.column(name);
    let (onset, duration, period, division) = (c("onset")?, c("duration")?, c("period")?, c("division")?);
    let (bar, beat, tatum, beat_duration, pitch) =
        (c("bar")?, c("beat")?, c("tatum")?, c("beat_duration")?, c("pitch")?);
    let signature = t.optional("signature");
    let (loud_max, loud_median) = (t.optional("loud_max"), t.optional("loud_median"));
    let (phrase_id, phrase_begin, chord) = (t.optional("phrase_id"), t.optional("phrase_begin"), t.optional("chord"));
    t.rows(|r| {
        let line = r.line;
        let period_v = r.whole(period, "period", 1..=MAX_PERIOD)?;
        let division_v = r.whole(division, "division", 1..=MAX_DIVISION)?;
        Ok(NoteRow {
            line,
            onset: r.seconds(onset, "onset", MAX_ONSET_SECONDS)?,
            duration: r.seconds(duration, "duration", MAX_NOTE_SECONDS)?,
            period: period_v,
            division: division_v,
            bar: r.whole(bar, "bar", bar_range())?,
            beat: r.whole(beat, "beat", 1..=period_v)?,
            tatum: r.whole(tatum, "tatum", 1..=division_v)?,
            beat_duration: {
                let d = r.seconds(beat_duration, "beat_duration", 60.0)?;
                if d <= 0.0 {
                    return Err(r.bad("beat_duration 0 s: a beat must have a length"));
                }
                d
            },
            signature: r.signature(signature),
            pitch: r.whole(pitch, "pitch", 0..=127)? as u8,
            loud_max: r.optional_number(loud_max),
            loud_median: r.optional_number(loud_median),
            phrase_id: r.optional_number(phrase_id).map(|x| x as i64),
            phrase_begin: r.optional_number(phrase_begin).is_some_and(|x| x == 1.0),
            chord: chord.map(|c| r.text(c).to_string()),
        })
    })
}

/// Reads a beat track.
pub fn read_beats(bytes: &[u8]) -> Result<Vec<BeatRow>, WjdError> {
    let mut t = Table::open(bytes, "beat track")?;
    let c = |name| t.column(name);
    let (onset, period, bar, beat, chord) = (c("onset")?, c("period")?, c("bar")?, c("beat")?, c("chord")?);
    let (signature, bass) = (t.optional("signature"), t.optional("bass"));
    t.rows(|r| {
        let line = r.line;
        let period_v = r.whole(period, "period", 1..=MAX_PERIOD)?;
        Ok(BeatRow {
            line,
            onset: r.seconds(onset, "onset", MAX_ONSET_SECONDS)?,
            period: period_v,
            bar: r.whole(bar, "bar", bar_range())?,
            beat: r.whole(beat, "beat", 1..=period_v)?,
            signature: r.signature(signature),
            chord: r.text(chord).to_string(),
            bass: r.optional_number(bass).filter(|b| (0.0..=127.0).contains(b)).map(|b| b as u8),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,loud_max,loud_median,phrase_id,phrase_begin,chorus_id,chord,form,idea\n";

    #[test]
    fn a_melody_row_is_read_by_header_name() {
        let text = format!("{HEADER}10.34,0.14,4,4,0,2,3,0.29,\"\"\"4/4\"\"\",65,0.13,66.5,1,1,-1,Bb6,I1,quote:?\n");
        let rows = read_melody(text.as_bytes()).unwrap();
        let r = &rows[0];
        assert_eq!((r.period, r.division, r.bar, r.beat, r.tatum, r.pitch), (4, 4, 0, 2, 3, 65));
        assert_eq!((r.signature.as_str(), r.chord.as_deref(), r.phrase_begin, r.line), ("4/4", Some("Bb6"), true, 2));
    }

    #[test]
    fn hostile_values_are_refused_with_their_line() {
        let row = |fields: &str| format!("{HEADER}{fields}\n");
        let cases = [
            ("10.3,0.1,4,4,1000000000,1,1,0.3,4/4,65,0,0,1,1,-1,C,A,x", "bar"),
            ("NaN,0.1,4,4,0,1,1,0.3,4/4,65,0,0,1,1,-1,C,A,x", "onset"),
            ("10.3,0.1,4,4,0,1,5,0.3,4/4,65,0,0,1,1,-1,C,A,x", "tatum"),
            ("10.3,0.1,4,0,0,1,1,0.3,4/4,65,0,0,1,1,-1,C,A,x", "division"),
            ("10.3,0.1,4,4,0,1,1,0,4/4,65,0,0,1,1,-1,C,A,x", "beat_duration"),
            ("10.3,0.1,4,4,0,1,1,0.3,4/4,300,0,0,1,1,-1,C,A,x", "pitch"),
            ("10.3,inf,4,4,0,1,1,0.3,4/4,65,0,0,1,1,-1,C,A,x", "duration"),
        ];
        for (fields, what) in cases {
            let e = read_melody(row(fields).as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("line 2: ") && e.contains(what), "{e}");
        }
        assert!(matches!(read_melody(row("1,2,3").as_bytes()), Err(WjdError::Csv(_))));
        assert_eq!(read_melody(HEADER.as_bytes()), Err(WjdError::Empty("melody")));
        let missing = read_melody(b"onset,bar,beat\n1,0,1\n").unwrap_err().to_string();
        assert!(missing.starts_with("no \"duration\" column"), "{missing}");
        let beats = b"onset,duration,period,division,bar,beat,signature,chord,form,chorus_id,bass\n";
        assert_eq!(read_melody(beats), Err(WjdError::BeatTrackGiven));
    }
}
