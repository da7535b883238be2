//! Improv without a DAW: the plugin as a program (JACK, ALSA or a dummy backend).
//! `cargo run --release --features standalone --bin improv-standalone -- --help`

fn main() {
    nice_plug::prelude::nice_export_standalone::<improv::plugin::Improv>();
}
