//! Pictures and sound of the model's work: the training loss curve, piano rolls, audio.

mod loss_plot;

pub use loss_plot::plot_loss;
