//! Feel: how a line is played, apart from which notes — the swing of its eighth
//! pairs, where its onsets fall against the beat, its dynamics and its
//! articulation. Read from a performance's own timing: a WJD solo's onsets in
//! seconds and loudness, or a MIDI file's ticks and velocities.

use serde::Serialize;

/// A solo needs at least this many eighth pairs for its swing ratio (the rule
/// of the feel issue's table: a median per solo over at least 20 pairs).
pub const MIN_SWING_PAIRS: usize = 20;
/// An "and" lies within this share of a beat of its grid point to count as one (MIDI).
const AND_WINDOW: (f64, f64) = (0.4, 0.8);
/// A downbeat note lies within this share of a beat of the beat (MIDI).
const DOWNBEAT_WINDOW: f64 = 1.0 / 6.0;
/// Articulation is measured for gaps to the next onset up to this many beats
/// (a note before a long rest has no articulation to speak of).
const ARTICULATION_MAX_GAP: f64 = 2.0;
/// Articulation histogram: bins of 0.1 from 0 to 1.5 (the last holds more).
pub const ARTICULATION_BINS: usize = 16;

/// Where a note sits in its beat, for the timing and articulation measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Place {
    /// On the beat.
    Downbeat,
    /// On the eighth "and" (1/2) or the triplet "and" (2/3).
    And,
    /// Anywhere else.
    Other,
}

/// One note as played.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayedNote {
    /// Index of its beat from the solo's start.
    pub beat: i64,
    /// Its metrical position in the beat (0 ≤ p < 1): the WJD's tatum ÷ division,
    /// or the nearest twelfth of a beat for MIDI.
    pub position: f64,
    /// Its place in the beat by metre: for the WJD, tatum 1 (downbeat), tatum 2
    /// of 2 or 3 of 3 (and); for MIDI, by the nearest twelfth.
    pub place: Place,
    /// True if this beat holds an eighth pair: a note on the beat and one on its
    /// "and" (tatum 2 of 2, or 3 of 3 with none on 2), this note being the "and".
    pub pair_and: bool,
    /// Played onset, seconds.
    pub onset: f64,
    /// When its metrical grid point falls, seconds (the beat's onset plus its
    /// position times the beat's length; for the "and" of an eighth pair, the
    /// straight eighth's, so the swing is in its deviation).
    pub grid_time: f64,
    /// The length of its beat, seconds.
    pub beat_seconds: f64,
    /// Played length, seconds.
    pub duration: f64,
    /// MIDI key.
    pub key: u8,
    /// Velocity (MIDI) or loudness (WJD): compared within a solo.
    pub level: Option<f64>,
    /// Its phrase, where known.
    pub phrase: Option<i64>,
}

/// Mean and standard deviation of onset deviations of one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timing {
    /// Notes measured.
    pub notes: usize,
    /// Mean deviation from the grid point, ms (positive: late, laid back).
    pub mean_ms: f64,
    /// Its standard deviation, ms.
    pub sd_ms: f64,
    /// Mean deviation in fractions of a beat.
    pub mean_beats: f64,
    /// Its standard deviation in fractions of a beat.
    pub sd_beats: f64,
}

/// Everything measured of a solo's feel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Feel {
    /// Eighth pairs found.
    pub swing_pairs: usize,
    /// Median swing ratio of those pairs (long : short), with at least [`MIN_SWING_PAIRS`].
    pub swing: Option<f64>,
    /// Its lower quartile.
    pub swing_q1: Option<f64>,
    /// Its upper quartile.
    pub swing_q3: Option<f64>,
    /// Onset deviation of notes on the beat.
    pub downbeats: Timing,
    /// Onset deviation of notes on an "and".
    pub ands: Timing,
    /// Mean level (velocity or loudness).
    pub level_mean: Option<f64>,
    /// Its standard deviation.
    pub level_sd: Option<f64>,
    /// Pearson correlation of level with pitch.
    pub level_pitch: Option<f64>,
    /// Pearson correlation of level with position in the phrase (0 first note, 1 last).
    pub level_phrase: Option<f64>,
    /// Least-squares slope of the level, as z-scores within the solo, against
    /// pitch in octaves from the solo's mean key (positive: louder up high).
    pub level_pitch_slope: Option<f64>,
    /// The same against position in the phrase, first note 0 to last 1
    /// (negative: softer towards the end).
    pub level_phrase_slope: Option<f64>,
    /// Mean z-scored level on an "and" minus on the beat (positive: accented offbeats).
    pub and_accent: Option<f64>,
    /// Median of length ÷ gap to the next onset, on the beat.
    pub articulation_downbeats: Option<f64>,
    /// The same on an "and".
    pub articulation_ands: Option<f64>,
    /// The same elsewhere.
    pub articulation_other: Option<f64>,
    /// Articulation histogram (bins of 0.1; the last: 1.5 and more).
    pub articulation: Vec<u64>,
}

/// Many solos' feel together: the median of their medians, as the feel
/// issue's table of the WJD is made (a style's median of its solos' medians).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeelCard {
    /// Solos on the card.
    pub solos: usize,
    /// Solos with at least [`MIN_SWING_PAIRS`] eighth pairs.
    pub swing_solos: usize,
    /// Median of their swing ratios.
    pub swing: Option<f64>,
    /// Lower quartile of their swing ratios.
    pub swing_q1: Option<f64>,
    /// Upper quartile.
    pub swing_q3: Option<f64>,
    /// Median of the solos' mean deviation on the beat, ms.
    pub downbeat_ms: Option<f64>,
    /// Median of the solos' mean deviation on the "and", ms.
    pub and_ms: Option<f64>,
    /// Mean correlation of level with pitch.
    pub level_pitch: Option<f64>,
    /// Mean correlation of level with position in the phrase.
    pub level_phrase: Option<f64>,
    /// Median of the solos' median articulation on the beat.
    pub articulation_downbeats: Option<f64>,
    /// Pooled articulation histogram.
    pub articulation: Vec<u64>,
}

impl FeelCard {
    /// The card of these solos' feel.
    pub fn of(feels: &[Feel]) -> Self {
        let swings: Vec<f64> = feels.iter().filter_map(|f| f.swing).collect();
        let q = quartiles(&swings);
        let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let timed = |t: fn(&Feel) -> &Timing| {
            median(&feels.iter().map(t).filter(|t| t.notes > 0).map(|t| t.mean_ms).collect::<Vec<_>>())
        };
        let mut articulation = vec![0; ARTICULATION_BINS];
        for f in feels {
            articulation.iter_mut().zip(&f.articulation).for_each(|(a, b)| *a += b);
        }
        Self {
            solos: feels.len(),
            swing_solos: swings.len(),
            swing: q.map(|q| q.1),
            swing_q1: q.map(|q| q.0),
            swing_q3: q.map(|q| q.2),
            downbeat_ms: timed(|f| &f.downbeats),
            and_ms: timed(|f| &f.ands),
            level_pitch: mean(feels.iter().filter_map(|f| f.level_pitch).collect()),
            level_phrase: mean(feels.iter().filter_map(|f| f.level_phrase).collect()),
            articulation_downbeats: median(&feels.iter().filter_map(|f| f.articulation_downbeats).collect::<Vec<_>>()),
            articulation,
        }
    }
}

/// The median and quartiles of values (the "exclusive" rule: positions
/// (n + 1) · q, linear between neighbours, as Python's `statistics.quantiles`).
pub fn quartiles(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    if n < 2 {
        return Some((median, median, median));
    }
    let at = |q: f64| {
        let pos = (n as f64 + 1.0) * q;
        let j = (pos.floor() as usize).clamp(1, n - 1);
        let frac = pos - j as f64;
        v[j - 1] + (v[j] - v[j - 1]) * frac
    };
    Some((at(0.25), median, at(0.75)))
}

/// Median of values, if any.
pub fn median(values: &[f64]) -> Option<f64> {
    quartiles(values).map(|q| q.1)
}

fn mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

/// Pearson correlation, if both sides vary.
pub fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    let (mx, sx) = mean_sd(&pairs.iter().map(|p| p.0).collect::<Vec<_>>())?;
    let (my, sy) = mean_sd(&pairs.iter().map(|p| p.1).collect::<Vec<_>>())?;
    if sx == 0.0 || sy == 0.0 {
        return None;
    }
    let cov = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / pairs.len() as f64;
    Some(cov / (sx * sy))
}

/// Least-squares slope of y on x, if x varies.
pub fn slope(pairs: &[(f64, f64)]) -> Option<f64> {
    let (mx, sx) = mean_sd(&pairs.iter().map(|p| p.0).collect::<Vec<_>>())?;
    let (my, _) = mean_sd(&pairs.iter().map(|p| p.1).collect::<Vec<_>>())?;
    if sx == 0.0 {
        return None;
    }
    let cov = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / pairs.len() as f64;
    Some(cov / (sx * sx))
}

fn timing(notes: &[&PlayedNote]) -> Timing {
    let ms: Vec<f64> = notes.iter().map(|n| (n.onset - n.grid_time) * 1e3).collect();
    let beats: Vec<f64> = notes.iter().map(|n| (n.onset - n.grid_time) / n.beat_seconds).collect();
    let (mean_ms, sd_ms) = mean_sd(&ms).unwrap_or_default();
    let (mean_beats, sd_beats) = mean_sd(&beats).unwrap_or_default();
    Timing { notes: notes.len(), mean_ms, sd_ms, mean_beats, sd_beats }
}

/// Measures the feel of notes played (in time order).
pub fn measure(notes: &[PlayedNote]) -> Feel {
    let mut f = Feel { articulation: vec![0; ARTICULATION_BINS], ..Feel::default() };
    // Swing: the "and" of each pair against the note on the beat before it.
    let mut ratios = Vec::new();
    for (i, n) in notes.iter().enumerate() {
        if !n.pair_and || i == 0 {
            continue;
        }
        let first = &notes[i - 1];
        if first.beat != n.beat || first.place != Place::Downbeat {
            continue;
        }
        let gap = n.onset - first.onset;
        let rest = n.beat_seconds - gap;
        if gap > 0.0 && rest > 0.0 {
            ratios.push(gap / rest);
        }
    }
    f.swing_pairs = ratios.len();
    if ratios.len() >= MIN_SWING_PAIRS
        && let Some((q1, m, q3)) = quartiles(&ratios)
    {
        (f.swing_q1, f.swing, f.swing_q3) = (Some(q1), Some(m), Some(q3));
    }
    let at = |p: Place| notes.iter().filter(|n| n.place == p).collect::<Vec<_>>();
    f.downbeats = timing(&at(Place::Downbeat));
    f.ands = timing(&at(Place::And));
    // Dynamics.
    let levels: Vec<(f64, &PlayedNote)> = notes.iter().filter_map(|n| n.level.map(|l| (l, n))).collect();
    if let Some((m, sd)) = mean_sd(&levels.iter().map(|x| x.0).collect::<Vec<_>>()) {
        (f.level_mean, f.level_sd) = (Some(m), Some(sd));
    }
    f.level_pitch = correlation(&levels.iter().map(|(l, n)| (*l, n.key as f64)).collect::<Vec<_>>());
    if let (Some(m), Some(sd)) = (f.level_mean, f.level_sd.filter(|&sd| sd > 0.0)) {
        let z = |l: f64| (l - m) / sd;
        let keys: Vec<f64> = levels.iter().map(|(_, n)| n.key as f64).collect();
        let mean_key = keys.iter().sum::<f64>() / keys.len() as f64;
        f.level_pitch_slope =
            slope(&levels.iter().map(|(l, n)| ((n.key as f64 - mean_key) / 12.0, z(*l))).collect::<Vec<_>>());
        let on = |p: Place| {
            let v: Vec<f64> = levels.iter().filter(|(_, n)| n.place == p).map(|(l, _)| z(*l)).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        f.and_accent = on(Place::And).zip(on(Place::Downbeat)).map(|(a, d)| a - d);
    }
    let mut in_phrase: Vec<(f64, f64)> = Vec::new();
    let mut start = 0;
    for i in 1..=notes.len() {
        if i == notes.len() || notes[i].phrase != notes[start].phrase {
            let len = i - start;
            for (k, n) in notes[start..i].iter().enumerate() {
                if let (Some(level), true) = (n.level, len > 1) {
                    in_phrase.push((level, k as f64 / (len - 1) as f64));
                }
            }
            start = i;
        }
    }
    f.level_phrase = correlation(&in_phrase);
    if let (Some(m), Some(sd)) = (f.level_mean, f.level_sd.filter(|&sd| sd > 0.0)) {
        f.level_phrase_slope = slope(&in_phrase.iter().map(|&(l, p)| (p, (l - m) / sd)).collect::<Vec<_>>());
    }
    // Articulation.
    let mut by_place: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for w in notes.windows(2) {
        let gap = w[1].onset - w[0].onset;
        if gap <= 0.0 || gap > ARTICULATION_MAX_GAP * w[0].beat_seconds {
            continue;
        }
        let a = w[0].duration / gap;
        by_place[w[0].place as usize].push(a);
        f.articulation[((a * 10.0).floor().max(0.0) as usize).min(ARTICULATION_BINS - 1)] += 1;
    }
    [f.articulation_downbeats, f.articulation_ands, f.articulation_other] = by_place.map(|v| median(&v));
    f
}

/// Phrases of a line without phrase marks: split at rests of at least `gap` beats.
pub fn phrases_by_rests(starts: &[f64], ends: &[f64], gap: f64) -> Vec<i64> {
    let mut phrase = 0;
    let mut out = Vec::with_capacity(starts.len());
    for i in 0..starts.len() {
        if i > 0 && starts[i] - ends[i - 1] >= gap {
            phrase += 1;
        }
        out.push(phrase);
    }
    out
}

/// A WJD solo's notes as played: metrical places from its tatums, timing against
/// its beat track's beat onsets (without a beat track every deviation reads 0),
/// its loudness and phrases.
pub fn from_wjd(solo: &crate::wjd::Solo) -> Vec<PlayedNote> {
    let beat_of = |n: &crate::wjd::PlayedNote| n.position.floor().to_integer();
    let mut out: Vec<PlayedNote> = Vec::with_capacity(solo.notes.len());
    for (i, n) in solo.notes.iter().enumerate() {
        let position = (n.tatum - 1) as f64 / n.division as f64;
        let place = if n.tatum == 1 {
            Place::Downbeat
        } else if position == 0.5 || (n.division == 3 && n.tatum == 3) {
            Place::And
        } else {
            Place::Other
        };
        // Tatum 2 of 2, or 3 of 3 with nothing on 2 in the same beat.
        let same_beat = |m: &crate::wjd::PlayedNote| beat_of(m) == beat_of(n);
        let on_two = solo.notes[i.saturating_sub(2)..i].iter().any(|m| same_beat(m) && m.tatum == 2);
        let pair_and = (n.division == 2 && n.tatum == 2) || (n.division == 3 && n.tatum == 3 && !on_two);
        // The "and" of a pair is timed from the straight eighth, as `from_beats`
        // times a MIDI pair's (which has no tatums): a triplet-swung "and" is late.
        let grid = if pair_and { 0.5 } else { position };
        out.push(PlayedNote {
            beat: beat_of(n),
            position,
            place,
            pair_and,
            onset: n.onset_seconds,
            grid_time: n.beat_onset.map_or(n.onset_seconds, |b| b + grid * n.beat_seconds),
            beat_seconds: n.beat_seconds,
            duration: n.length * n.beat_seconds,
            key: n.key,
            level: n.loudness,
            phrase: n.phrase,
        });
    }
    out
}

/// A performance's notes (onset and length in beats, key, level) at a tempo,
/// without tatums: a note within a sixth of a beat of a beat is on it (late or
/// early); others sit on the nearest twelfth. A beat holding exactly two notes,
/// the first on it and the second 0.4 to 0.8 of a beat later, is an eighth pair,
/// whose second note is the "and": its grid point is the straight eighth (1/2),
/// as a jazz player writes swung eighths, so its deviation includes the swing.
/// Phrases split at rests of a beat.
pub fn from_beats(notes: &[(f64, f64, u8, Option<f64>)], bpm: f64) -> Vec<PlayedNote> {
    let seconds = 60.0 / bpm;
    let starts: Vec<f64> = notes.iter().map(|n| n.0).collect();
    let ends: Vec<f64> = notes.iter().map(|n| n.0 + n.1).collect();
    let phrases = phrases_by_rests(&starts, &ends, 1.0);
    let mut out: Vec<PlayedNote> = notes
        .iter()
        .zip(phrases)
        .map(|(&(start, length, key, level), phrase)| {
            let nearest = start.round();
            let (beat, position, place) = if (start - nearest).abs() < DOWNBEAT_WINDOW {
                (nearest, 0.0, Place::Downbeat)
            } else {
                let beat = start.floor();
                let position = ((start - beat) * 12.0).round() / 12.0;
                let and = position == 0.5 || (position - 2.0 / 3.0).abs() < 1e-9;
                (beat, position, if and { Place::And } else { Place::Other })
            };
            PlayedNote {
                beat: beat as i64,
                position,
                place,
                pair_and: false,
                onset: start * seconds,
                grid_time: (beat + position) * seconds,
                beat_seconds: seconds,
                duration: length * seconds,
                key,
                level,
                phrase: Some(phrase),
            }
        })
        .collect();
    let mut i = 0;
    while i < out.len() {
        let j = i + out[i..].iter().take_while(|n| n.beat == out[i].beat).count();
        if j - i == 2 && out[i].place == Place::Downbeat {
            let beat_start = out[i].beat as f64 * seconds;
            let d = (out[i + 1].onset - beat_start) / seconds;
            if d >= AND_WINDOW.0 && d < AND_WINDOW.1 {
                let and = &mut out[i + 1];
                and.pair_and = true;
                and.place = Place::And;
                and.position = 0.5;
                and.grid_time = beat_start + 0.5 * seconds;
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_as_python_computes_them() {
        // statistics.quantiles([1, 2, 3, 4, 5, 6, 7, 8], n=4) == [2.25, 4.5, 6.75]
        assert_eq!(quartiles(&[8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), Some((2.25, 4.5, 6.75)));
        assert_eq!(quartiles(&[1.0, 2.0, 3.0]), Some((1.0, 2.0, 3.0)));
        assert_eq!(quartiles(&[]), None);
    }

    #[test]
    fn correlation_signs() {
        assert!((correlation(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]).unwrap() - 1.0).abs() < 1e-12);
        assert!((correlation(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&[(1.0, 1.0), (1.0, 2.0)]), None);
    }
}
