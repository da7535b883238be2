//! A piano-roll picture of a solo: notes coloured by what they are against the
//! chord, chord symbols along the top, bar lines (plotters).

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

/// Draws the solo to a PNG, atomically.
pub fn plot_piano_roll(solo: &Solo, title: &str, path: &Path) -> Result<(), String> {
    let tmp = crate::atomic::temp_beside(path, ".png")?;
    draw(solo, title, tmp.path()).map_err(|e| format!("cannot draw the piano roll: {e}"))?;
    crate::atomic::persist(tmp, path)
}

fn draw(solo: &Solo, title: &str, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // The reference flow's melodies run past its last bar: show them whole.
    let last_note = solo.notes.iter().map(|n| beat(n.start + n.length)).fold(0.0, f64::max);
    let beats = (solo.beats().max(1) as f64).max(last_note.ceil());
    let width = (beats as u32 * PX_PER_BEAT + 120).clamp(MIN_WIDTH, MAX_WIDTH);
    let root = BitMapBackend::new(path, (width, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let keys = solo.notes.iter().map(|n| n.key).chain(solo.chords.iter().flat_map(|c| c.keys.iter().copied()));
    let (lo, hi) = keys.fold((127u8, 0u8), |(lo, hi), k| (lo.min(k), hi.max(k)));
    let (lo, hi) = if lo > hi { (48.0, 84.0) } else { (lo as f64 - 1.0, hi as f64 + 2.0) };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .margin_top(40)
        .x_label_area_size(30)
        .y_label_area_size(45)
        .build_cartesian_2d(0f64..beats, lo..hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc("bar")
        .y_labels(((hi - lo) / 3.0) as usize)
        .y_label_formatter(&|k| crate::theory::symbol::key_name(k.round() as i32))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Chords: light grey blocks behind the melody, with their symbols on top.
    for (i, c) in solo.chords.iter().enumerate() {
        let (x0, x1) = (beat(c.start), beat(c.start + c.length));
        for &k in &c.keys {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, k as f64), (x1, k as f64 + 0.9)],
                RGBColor(200, 200, 200).filled(),
            )))?;
        }
        chart.draw_series(std::iter::once(Text::new(
            // Δ is the chart symbol for maj (and plotters clips the descender of "j").
            c.name.replace("maj", "Δ"),
            // Alternate rows, so neighbouring symbols do not overwrite each other.
            (x0 + 0.05, hi - 0.2 - (i % 2) as f64 * 1.2),
            ("sans-serif", 13).into_font().color(&BLACK),
        )))?;
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
    for kind in [NoteType::Chord, NoteType::Scale, NoteType::Approach, NoteType::Other] {
        let style = colour(kind).filled();
        chart
            .draw_series(solo.notes.iter().filter(|n| n.kind == kind).map(|n| {
                let (x0, x1) = (beat(n.start), beat(n.start + n.length));
                Rectangle::new([(x0, n.key as f64), (x1 - 0.03, n.key as f64 + 0.9)], style)
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
