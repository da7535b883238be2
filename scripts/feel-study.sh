#!/usr/bin/env bash
# Auto feel against the masters: the masters' model over 4 progressions × SEEDS
# seeds (default 20), 32 bars, with every style's learned feel at 120, 180 and
# 240 BPM, measured beside the WJD's solos of the style at a comparable tempo
# (swing quartiles, velocity spread and its correlations, articulation overlap).
# Prints the table and fails on a miss. Release mode; a few minutes on 2 cores.
# Usage: [SEEDS=N] bash scripts/feel-study.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --locked --test feel_study -- --ignored --nocapture auto_feel_plays_as_the_masters
