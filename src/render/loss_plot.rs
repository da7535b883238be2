//! The training loss curve as a PNG (plotters).

use plotters::prelude::*;
use std::path::Path;

/// Size of the loss-curve picture in pixels.
const SIZE: (u32, u32) = (900, 500);

/// Draws the training loss per epoch, with other curves beside it (Keras' on the
/// reference data, the validation loss).
/// Writes `path` through a temporary file, so a failure leaves nothing behind.
pub fn plot_loss(losses: &[f32], others: &[(&str, &[f32])], title: &str, path: &Path) -> Result<(), String> {
    let tmp = crate::cli::atomic::temp_beside(path, ".png")?;
    draw(losses, others, title, tmp.path()).map_err(|e| format!("cannot draw the loss curve: {e}"))?;
    crate::cli::atomic::persist(tmp, path)
}

fn draw(losses: &[f32], others: &[(&str, &[f32])], title: &str, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let epochs = others.iter().map(|r| r.1.len()).fold(losses.len(), usize::max).max(1);
    let top = losses.iter().chain(others.iter().flat_map(|r| r.1.iter())).copied().fold(1.0f32, f32::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(1f32..epochs as f32, 0f32..top * 1.05)?;
    chart.configure_mesh().x_desc("epoch").y_desc("loss per window (sum of its cross-entropies)").draw()?;
    let ours = losses.iter().enumerate().map(|(i, &l)| (i as f32 + 1.0, l));
    chart
        .draw_series(LineSeries::new(ours, BLUE.stroke_width(2)))?
        .label(if others.is_empty() { "Improv" } else { "Improv (training)" })
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    for (&(name, curve), colour) in others.iter().zip([RED.mix(0.7), RGBColor(0, 140, 60).mix(0.9)].into_iter().cycle())
    {
        let pts = curve.iter().enumerate().map(|(i, &l)| (i as f32 + 1.0, l));
        chart
            .draw_series(LineSeries::new(pts, colour.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    // Loss curves start high on the left and fall: the lower left is where they are not.
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()?;
    root.present()?;
    Ok(())
}
