//! Pictures and sound of the model's work: the training loss curve, the piano
//! roll of a solo, and its audio through a SoundFont.

mod loss_plot;
mod piano_roll;
mod wav;

pub use loss_plot::plot_loss;
pub use piano_roll::{LabelBox, chord_labels, plot_piano_roll, plot_piano_roll_with, shade};
pub use wav::{
    DEFAULT_PEAK_DBFS, Font, Level, MAX_RENDER_SECONDS, MIN_PEAK_DBFS, SAMPLE_RATE, SOUNDFONT_DIRS, TAIL_SECONDS,
    check_render_length, find_soundfont, render_wav,
};
