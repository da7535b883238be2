//! Improv without a DAW: the plugin as a program (JACK, ALSA or a dummy backend).
//! `cargo run --release --features standalone --bin improv-standalone -- --help`;
//! It is Improv Instrument: its own voice is on, so it is heard on a sound card with
//! no synth behind it. `--demo` starts it on the built-in progression, so it plays with no MIDI input
//! (with `--backend dummy`, silently, for a look at the editor); `--demo-trade`
//! does the same with Listen set to Trade.

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--demo" || a == "--demo-trade") {
        let trade = args.remove(i) == "--demo-trade";
        improv::plugin::params::DEMO_DEFAULTS.store(true, std::sync::atomic::Ordering::Relaxed);
        improv::plugin::params::DEMO_TRADE.store(trade, std::sync::atomic::Ordering::Relaxed);
    }
    nice_plug::prelude::nice_export_standalone_with_args::<improv::plugin::ImprovInstrument, _>(args);
}
