#!/usr/bin/env bash
# Rebuilds the masters' model, weights/wjd.bin, byte for byte from the clone: every
# 4/4 WJD solo with chords (data/wjd) encoded in the masters' grammar, 24 whole
# solos held out for validation, early stopping; the same bytes on any number of
# threads. Release mode; about 3 minutes on 2 cores. Also draws the loss curve
# (docs/wjd-loss.png). The styles' voices are fitted after training (32 rounds).
# Usage: bash scripts/train-wjd.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-weights/wjd.bin}"
cargo build --release --locked --bin train
/usr/bin/time -f "train: %e s wall, %M KB peak" target/release/train --hears data/wjd \
  --val-files 24 --early-stop 4 --epochs 40 \
  --window-len 64 --windows 12000 --hidden 128 --seed 0 --style-voices 32 \
  --out "$out" --loss-png docs/wjd-loss.png --loss-csv target/wjd-loss.csv \
  | grep -v '^data/wjd\|^  '
sha256sum "$out"
