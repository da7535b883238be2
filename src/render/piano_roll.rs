//! A piano-roll picture of a solo: notes coloured by what they are against the
//! chord, the musician's notes it answered (if any) in grey outlined in black,
//! chord symbols along the top, bar lines (plotters).

use crate::generate::{BEATS_PER_BAR, Solo};
use crate::grammar::NoteType;
use plotters::prelude::*;
use std::path::Path;

/// Pixels per beat (the picture grows with the piece, up to a limit).
const PX_PER_BEAT: u32 = 36;
const HEIGHT: u32 = 620;
const MIN_WIDTH: u32 = 900;
const MAX_WIDTH: u32 = 8000;

/// The colour of a note type.
fn colour(kind: NoteType) -> RGBColor {
    match kind {
        NoteType::Chord => RGBColor(31, 119, 180),
        NoteType::Scale => RGBColor(44, 160, 44),
        NoteType::Approach => RGBColor(255, 127, 14),
        _ => RGBColor(214, 39, 40),
    }
}

/// The colour of the musician's notes.
const MUSICIAN: RGBColor = RGBColor(150, 150, 150);

/// Draws the solo to a PNG, atomically.
pub fn plot_piano_roll(solo: &Solo, title: &str, path: &Path) -> Result<(), String> {
    plot_piano_roll_with(solo, &crate::feel::render::Performance::STRAIGHT, title, path)
}

/// Draws the solo as played with `feel`: each note where it is played, its colour
/// paler the softer it is (velocity as shade). Straight is [`plot_piano_roll`].
pub fn plot_piano_roll_with(
    solo: &Solo,
    feel: &crate::feel::render::Performance,
    title: &str,
    path: &Path,
) -> Result<(), String> {
    let played = (!feel.is_straight()).then(|| solo.performed(feel));
    let tmp = crate::cli::atomic::temp_beside(path, ".png")?;
    draw(solo, played.as_deref(), title, tmp.path()).map_err(|e| format!("cannot draw the piano roll: {e}"))?;
    crate::cli::atomic::persist(tmp, path)
}

/// A note's colour at `velocity`: mixed toward white, a velocity of 127 at full
/// colour and a velocity of 1 at 30 % of it.
pub fn shade(c: RGBColor, velocity: u8) -> RGBColor {
    let f = 0.3 + 0.7 * (velocity.clamp(1, 127) as f64 - 1.0) / 126.0;
    let mix = |x: u8| (255.0 - (255.0 - x as f64) * f).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Height of a row of chord symbols above the roll, pixels.
const LABEL_ROW: u32 = 17;
/// Space kept between two symbols in a row, pixels.
const LABEL_GAP: f64 = 6.0;
/// Left edge of the plotting area: margin plus the key-label area.
const PLOT_LEFT: f64 = 10.0 + 45.0;
/// Font of the chord symbols.
const LABEL_FONT: (&str, u32) = ("sans-serif", 13);

/// Where a chord symbol goes: its horizontal extent in pixels and its row above
/// the roll (row 0 nearest the notes).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelBox {
    /// The symbol as shown.
    pub text: String,
    /// Left edge, pixels.
    pub x0: f64,
    /// Right edge, pixels.
    pub x1: f64,
    /// Row above the roll.
    pub row: usize,
}

/// The picture's width and the length it shows, in beats.
fn extent(solo: &Solo) -> (u32, f64) {
    // The reference flow's melodies run past its last bar: show them whole.
    let last_note = solo.notes.iter().chain(&solo.call).map(|n| beat(n.start + n.length)).fold(0.0, f64::max);
    let beats = (solo.beats().max(1) as f64).max(last_note.ceil());
    ((beats as u32 * PX_PER_BEAT + 120).clamp(MIN_WIDTH, MAX_WIDTH), beats)
}

/// Lays the chord symbols out in rows above the roll, each at its chord's start,
/// so that no two overlap: a symbol goes into the first row where it clears the
/// one before it (a band of its own per row, never over the notes).
pub fn chord_labels(solo: &Solo) -> Vec<LabelBox> {
    let (width, beats) = extent(solo);
    let plot_width = width as f64 - PLOT_LEFT - 10.0;
    let font = LABEL_FONT.into_font();
    let mut row_ends: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for c in &solo.chords {
        // Δ is the chart symbol for maj.
        let text = c.name.replace("maj", "Δ");
        let x0 = PLOT_LEFT + beat(c.start) / beats * plot_width + 2.0;
        let w = font.box_size(&text).map_or(text.chars().count() as f64 * 8.0, |(w, _)| w as f64);
        let row = match row_ends.iter().position(|&end| end + LABEL_GAP <= x0) {
            Some(r) => r,
            None => {
                row_ends.push(f64::NEG_INFINITY);
                row_ends.len() - 1
            }
        };
        row_ends[row] = x0 + w;
        out.push(LabelBox { text, x0, x1: x0 + w, row });
    }
    out
}

fn draw(
    solo: &Solo,
    played: Option<&[(f64, f64, u8)]>,
    title: &str,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let (width, beats) = extent(solo);
    let labels = chord_labels(solo);
    let rows = labels.iter().map(|l| l.row + 1).max().unwrap_or(0) as u32;
    let height = HEIGHT + rows.saturating_sub(1) * LABEL_ROW;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let keys = solo.notes.iter().chain(&solo.call).map(|n| n.key);
    let keys = keys.chain(solo.chords.iter().flat_map(|c| c.keys.iter().copied()));
    let (lo, hi) = keys.fold((127u8, 0u8), |(lo, hi), k| (lo.min(k), hi.max(k)));
    let (lo, hi) = if lo > hi { (48.0, 84.0) } else { (lo as f64 - 1.0, hi as f64 + 2.0) };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .margin_top(20)
        .set_label_area_size(LabelAreaPosition::Top, rows * LABEL_ROW + 4)
        .x_label_area_size(30)
        .y_label_area_size(45)
        .build_cartesian_2d(0f64..beats, lo..hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(((hi - lo) / 3.0) as usize)
        .y_label_formatter(&|k| crate::theory::symbol::key_name(k.round() as i32))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Chords: light grey blocks behind the melody, their symbols in rows above.
    for c in &solo.chords {
        let (x0, x1) = (beat(c.start), beat(c.start + c.length));
        for &k in &c.keys {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, k as f64), (x1, k as f64 + 0.9)],
                RGBColor(200, 200, 200).filled(),
            )))?;
        }
    }
    let font = LABEL_FONT.into_font().color(&BLACK);
    let plot_top = chart.plotting_area().get_pixel_range().1.start;
    for l in &labels {
        let y = plot_top - ((l.row as u32 + 1) * LABEL_ROW) as i32;
        root.draw(&Text::new(l.text.clone(), (l.x0 as i32, y), font.clone()))?;
    }
    let bars = (beats / BEATS_PER_BAR as f64).ceil() as usize;
    for bar in 0..=bars {
        let x = (bar as i64 * BEATS_PER_BAR) as f64;
        chart.draw_series(std::iter::once(PathElement::new(vec![(x, lo), (x, hi)], BLACK.mix(0.35))))?;
        if bar < bars {
            chart.draw_series(std::iter::once(Text::new(
                format!("{}", bar + 1),
                (x + 0.1, lo + 0.8),
                ("sans-serif", 12).into_font().color(&BLACK.mix(0.6)),
            )))?;
        }
    }
    if !solo.call.is_empty() {
        let fill = MUSICIAN.filled();
        let rect = |n: &crate::generate::SoloNote| {
            [(beat(n.start), n.key as f64), (beat(n.start + n.length) - 0.03, n.key as f64 + 0.9)]
        };
        chart
            .draw_series(solo.call.iter().map(|n| Rectangle::new(rect(n), fill)))?
            .label("the musician")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], fill));
        chart.draw_series(solo.call.iter().map(|n| Rectangle::new(rect(n), BLACK.stroke_width(1))))?;
    }
    for kind in [NoteType::Chord, NoteType::Scale, NoteType::Approach, NoteType::Other] {
        let style = colour(kind).filled();
        chart
            .draw_series(solo.notes.iter().enumerate().filter(|(_, n)| n.kind == kind).map(|(i, n)| {
                let (x0, x1, fill) = match played.and_then(|p| p.get(i)) {
                    Some(&(start, length, velocity)) => (start, start + length, shade(colour(kind), velocity).filled()),
                    None => (beat(n.start), beat(n.start + n.length), style),
                };
                Rectangle::new([(x0, n.key as f64), (x1 - 0.03, n.key as f64 + 0.9)], fill)
            }))?
            .label(kind.describe())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()?;
    root.present()?;
    Ok(())
}

fn beat(b: crate::score::Beats) -> f64 {
    *b.numer() as f64 / *b.denom() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateOptions, changes_from_symbols, generate};
    use crate::improvise::Playing;

    fn solo(symbols: &str, bars: usize) -> Solo {
        let changes = changes_from_symbols(&crate::theory::symbol::parse_changes(symbols, 4).unwrap());
        let options = GenerateOptions {
            bars,
            tempo: 130.0,
            style: Playing::default(),
            seed: 1,
            precision: crate::model::Precision::LIVE,
        };
        generate(&crate::default_weights().unwrap(), &changes, &options)
    }

    #[test]
    fn chord_labels_never_overlap() {
        // Four long symbols a bar, for 32 bars: many rows are needed.
        let dense = "Bbmaj7#11 Abmaj9 G7(#9,b13) C#m7b5 | Ebmaj7/G F#7alt Bm11 E7sus4";
        for s in [solo(dense, 32), solo("Dm7 G7 | Em7 A7 | Dm7 G7 | Cmaj7 A7", 16)] {
            let labels = chord_labels(&s);
            assert_eq!(labels.len(), s.chords.len());
            for (i, a) in labels.iter().enumerate() {
                assert!(a.x1 > a.x0);
                for b in &labels[i + 1..] {
                    let overlap = a.row == b.row && a.x0 < b.x1 + LABEL_GAP && b.x0 < a.x1 + LABEL_GAP;
                    assert!(!overlap, "{a:?} and {b:?} overlap");
                }
            }
        }
        assert!(chord_labels(&solo(dense, 32)).iter().any(|l| l.row >= 1), "the dense changes need rows");
    }

    #[test]
    fn typed_symbols_keep_their_spelling() {
        let s = solo("G#m7 | C#7 | F#maj7 | Abm7 Db7", 4);
        let names: Vec<&str> = s.chords.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["G#m7", "C#7", "F#maj7", "Abm7", "Db7"]);
    }
}
