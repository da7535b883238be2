//! Feel learned from the masters: for each WJD style (and for all solos), the
//! swing of eighth pairs as a line in tempo, the lay-back of the beat and the
//! "and", the dynamics (louder up high, softer at a phrase's end, accented
//! offbeats) and the articulation — medians and least-squares fits over the
//! solos' own measures, nothing tuned by hand. `improv feel DIR` fits and writes
//! the table; `weights/feel.json` is the one fitted on `data/wjd`.

use super::measure::{Feel, median, quartiles};
use serde::{Deserialize, Serialize};

/// Tempo the swing line is centred on, BPM (the WJD's solos run from about 50 to 350).
pub const CENTRE_BPM: f64 = 160.0;
/// Rhythm feels the players play straight: their solos do not teach swing.
pub const STRAIGHT_FEELS: [&str; 2] = ["LATIN", "FUNK"];

/// One solo's feel with what is known of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SoloFeel {
    /// Its style label (`BEBOP`, …; empty if unknown).
    pub style: String,
    /// Its rhythm feel label (`SWING`, `LATIN`, …).
    pub rhythm_feel: String,
    /// Its mean tempo, BPM.
    pub tempo: f64,
    /// What was measured.
    pub feel: Feel,
}

impl SoloFeel {
    /// True if its rhythm feel is one played straight (LATIN, FUNK and their mixes).
    pub fn straight(&self) -> bool {
        STRAIGHT_FEELS.iter().any(|s| self.rhythm_feel.contains(s))
    }
}

/// The feel of one style, learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleFeel {
    /// The style label, or `ALL`.
    pub style: String,
    /// Solos of the style.
    pub solos: usize,
    /// Of those, solos with a swing ratio (20+ eighth pairs, not a straight feel).
    pub swing_solos: usize,
    /// Slowest and fastest of those, BPM.
    pub tempo_range: (f64, f64),
    /// Swing ratio at [`CENTRE_BPM`] on the Theil–Sen line through the solos'
    /// median ratios against tempo.
    pub swing_at_centre: f64,
    /// Its change per 100 BPM (negative: swing falls with tempo).
    pub swing_per_100_bpm: f64,
    /// The solos' median ratio and quartiles.
    pub swing_median: f64,
    /// Lower quartile.
    pub swing_q1: f64,
    /// Upper quartile.
    pub swing_q3: f64,
    /// Median over solos of the mean delay of notes on the beat, in beats.
    pub beat_delay: f64,
    /// The same on the "and" (from the straight eighth: the swing is in it), in beats.
    pub and_delay: f64,
    /// Mean over solos of the level's slope per octave above the solo's mean key, in sd.
    pub pitch_slope: f64,
    /// Mean over solos of the level's slope from a phrase's first note to its last, in sd.
    pub phrase_slope: f64,
    /// Mean over solos of the "and" accent (z on the "and" minus on the beat), in sd.
    pub and_accent: f64,
    /// Median articulation (length ÷ gap) on the beat.
    pub articulation_beat: f64,
    /// On the "and".
    pub articulation_and: f64,
    /// Elsewhere.
    pub articulation_other: f64,
    /// The articulation's distribution: the mean over solos of each solo's share of
    /// notes in each tenth (0–0.1, …, 1.4–1.5, 1.5 and over; as `improv evaluate`).
    #[serde(default)]
    pub articulation_shares: Vec<f64>,
}

impl StyleFeel {
    /// The swing ratio this style plays at a tempo: its line, kept inside the
    /// range of ratios its solos play (a line is not extrapolated past them).
    pub fn swing_at(&self, bpm: f64) -> f64 {
        let line = self.swing_at_centre + self.swing_per_100_bpm * (bpm - CENTRE_BPM) / 100.0;
        line.clamp(self.swing_q1.min(self.swing_median), self.swing_q3.max(self.swing_median))
    }
}

/// The learned feel of every style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeelTable {
    /// Where it was learned from.
    pub source: String,
    /// `ALL` first, then each style in name order.
    pub styles: Vec<StyleFeel>,
}

impl FeelTable {
    /// The feel of a style (case-insensitive), else of all solos.
    pub fn style(&self, name: &str) -> &StyleFeel {
        self.styles.iter().find(|s| s.style.eq_ignore_ascii_case(name)).unwrap_or(&self.styles[0])
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 }
}

/// The Theil–Sen line through points: the median of the slopes between every
/// two points, and the median of y − slope · x as the intercept. A few solos
/// far out (a ratio of 2.5 in a ballad) do not tilt it as they tilt least squares.
pub fn theil_sen(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let mut slopes = Vec::with_capacity(points.len() * points.len() / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            if b.0 != a.0 {
                slopes.push((b.1 - a.1) / (b.0 - a.0));
            }
        }
    }
    let slope = median(&slopes)?;
    let intercept = median(&points.iter().map(|(x, y)| y - slope * x).collect::<Vec<_>>())?;
    Some((slope, intercept))
}

fn style_feel(name: &str, solos: &[&SoloFeel]) -> StyleFeel {
    let swinging: Vec<(f64, f64)> =
        solos.iter().filter(|s| !s.straight()).filter_map(|s| s.feel.swing.map(|r| (s.tempo, r))).collect();
    let ratios: Vec<f64> = swinging.iter().map(|x| x.1).collect();
    let (q1, m, q3) = quartiles(&ratios).unwrap_or((1.0, 1.0, 1.0));
    let (per_bpm, intercept) = theil_sen(&swinging).unwrap_or((0.0, m));
    let at_centre = intercept + per_bpm * CENTRE_BPM;
    let tempos = swinging.iter().map(|x| x.0);
    let tempo_range = (tempos.clone().fold(f64::INFINITY, f64::min), tempos.fold(0.0, f64::max));
    let med = |f: fn(&Feel) -> Option<f64>| median(&solos.iter().filter_map(|s| f(&s.feel)).collect::<Vec<_>>());
    let avg = |f: fn(&Feel) -> Option<f64>| mean(&solos.iter().filter_map(|s| f(&s.feel)).collect::<Vec<_>>());
    StyleFeel {
        style: name.to_string(),
        solos: solos.len(),
        swing_solos: swinging.len(),
        tempo_range: if swinging.is_empty() { (0.0, 0.0) } else { tempo_range },
        swing_at_centre: at_centre,
        swing_per_100_bpm: per_bpm * 100.0,
        swing_median: m,
        swing_q1: q1,
        swing_q3: q3,
        beat_delay: med(|f| (f.downbeats.notes > 0).then_some(f.downbeats.mean_beats)).unwrap_or(0.0),
        and_delay: med(|f| (f.ands.notes > 0).then_some(f.ands.mean_beats)).unwrap_or(0.0),
        pitch_slope: avg(|f| f.level_pitch_slope),
        phrase_slope: avg(|f| f.level_phrase_slope),
        and_accent: avg(|f| f.and_accent),
        articulation_beat: med(|f| f.articulation_downbeats).unwrap_or(1.0),
        articulation_and: med(|f| f.articulation_ands).unwrap_or(1.0),
        articulation_other: med(|f| f.articulation_other).unwrap_or(1.0),
        articulation_shares: articulation_shares(solos),
    }
}

/// The mean over solos of each solo's articulation histogram as shares.
fn articulation_shares(solos: &[&SoloFeel]) -> Vec<f64> {
    let mut sum = [0.0; super::ARTICULATION_BINS];
    let mut counted = 0;
    for s in solos {
        let total: u64 = s.feel.articulation.iter().sum();
        if total == 0 {
            continue;
        }
        counted += 1;
        for (a, &c) in sum.iter_mut().zip(&s.feel.articulation) {
            *a += c as f64 / total as f64;
        }
    }
    sum.iter().map(|a| if counted > 0 { a / counted as f64 } else { 0.0 }).collect()
}

/// Fits the table: all solos, then each style with at least one solo.
pub fn fit(solos: &[SoloFeel], source: &str) -> FeelTable {
    let all: Vec<&SoloFeel> = solos.iter().collect();
    let mut styles = vec![style_feel("ALL", &all)];
    let mut names: Vec<&str> = solos.iter().map(|s| s.style.as_str()).filter(|s| !s.is_empty()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let of: Vec<&SoloFeel> = solos.iter().filter(|s| s.style == name).collect();
        styles.push(style_feel(name, &of));
    }
    FeelTable { source: source.to_string(), styles }
}

/// Every WJD solo under a folder, in name order, with its feel measured from
/// its onsets and loudness and its style, rhythm feel and tempo from `meta.csv`
/// (solos of every metre count: feel does not need the bars). Files that are not
/// WJD melody tables, or cannot be read, are passed over.
pub fn read_solos(dir: &std::path::Path) -> Vec<(String, SoloFeel)> {
    use rayon::prelude::*;
    let files: Vec<std::path::PathBuf> = crate::training_set::find_files(&[dir.to_path_buf()])
        .into_iter()
        .filter(|f| f.1.is_none())
        .map(|f| f.0)
        .collect();
    files
        .par_iter()
        .filter_map(|path| {
            let bytes = crate::corpus::read_music(path).ok()?;
            if crate::corpus::Format::of(&bytes) != crate::corpus::Format::WjdCsv || crate::wjd::is_beat_track(&bytes) {
                return None;
            }
            let solo = crate::corpus::wjd_solo(path, &bytes).ok()?;
            let feel = super::measure::measure(&super::measure::from_wjd(&solo));
            let meta = solo.meta.clone().unwrap_or_default();
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Some((
                name,
                SoloFeel {
                    style: meta.style,
                    rhythm_feel: meta.rhythm_feel,
                    tempo: meta.tempo.unwrap_or(solo.bpm),
                    feel,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solo(style: &str, tempo: f64, swing: f64) -> SoloFeel {
        let feel = Feel { swing: Some(swing), ..Feel::default() };
        SoloFeel { style: style.into(), rhythm_feel: "SWING".into(), tempo, feel }
    }

    #[test]
    fn swing_falls_with_tempo_on_a_fitted_line() {
        // Ratio 1.5 at 100 BPM falling 0.1 per 50 BPM, one solo far off the line
        // (which Theil–Sen ignores), and a straight Latin solo left out.
        let mut solos: Vec<SoloFeel> =
            (0..5).map(|i| solo("BEBOP", 100.0 + 50.0 * i as f64, 1.5 - 0.1 * i as f64)).collect();
        solos.push(SoloFeel { rhythm_feel: "LATIN".into(), ..solo("BEBOP", 200.0, 1.0) });
        let table = fit(&solos, "test");
        let bebop = table.style("bebop");
        assert_eq!((bebop.solos, bebop.swing_solos), (6, 5));
        assert!((bebop.swing_per_100_bpm + 0.2).abs() < 1e-9, "{}", bebop.swing_per_100_bpm);
        assert!((bebop.swing_at(160.0) - 1.38).abs() < 1e-9);
        // Past its solos' tempi the line stops at their quartiles.
        assert!((bebop.swing_at(1000.0) - bebop.swing_q1).abs() < 1e-9);
        assert_eq!(table.style("no such style").style, "ALL");
    }
}
