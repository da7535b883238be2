#!/usr/bin/env bash
# Sets everything up and runs the main job: bundles the Improv plugin (CLAP and
# VST3, in target/bundled/) and improvises a demo solo from the embedded weights
# (solo.mid, solo.wav, solo.png in this folder).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
cargo xtask bundle improv --release
cargo build --release --locked
./target/release/improv generate -o solo.mid --wav solo.wav --png solo.png
