#!/usr/bin/env bash
# The Weimar Jazz Database checks on the whole corpus (CI reads every fourth solo):
# all 456 solos read or refused and counted, every chord symbol parsed, the two
# halves compared; train over the folder (one epoch); and today's Metheny-model
# solos over four common progressions held against the masters by the report card.
# Release mode; about 5 minutes on 2 cores. Usage: bash scripts/wjd-check.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/wjd-check}"
mkdir -p "$out/guided" "$out/plain"
cargo build --release --locked --bin improv --bin train
IMPROV_WJD_FULL=1 cargo test --release --locked --test wjd_corpus -- --nocapture --test-threads 1 2>&1 \
  | grep -E "^(test |[0-9]+ (files|distinct)|halves)"
echo
echo "== train data/wjd (one epoch)"
/usr/bin/time -f "train: %e s, %M KB peak" target/release/train data/wjd --epochs 1 --out "$out/wjd-1-epoch.bin" | tail -4
echo
progressions=(
  "Dm7 G7 | Cmaj7 | Em7 A7 | Dm7 G7"
  "Bb7 | Eb7 | Bb7 | Bb7 | Eb7 | Eb7 | Bb7 | G7 | Cm7 | F7 | Bb7 G7 | Cm7 F7"
  "Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm7 | Gm7"
  "Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7"
)
for i in "${!progressions[@]}"; do
  for seed in $(seq 1 20); do
    target/release/improv generate --feel straight --seed "$seed" --bars 32 --tempo 130 --chords "${progressions[$i]}" \
      -o "$out/guided/p${i}-s${seed}.mid" > /dev/null
    target/release/improv generate --feel straight --plain --seed "$seed" --bars 32 --tempo 130 --chords "${progressions[$i]}" \
      -o "$out/plain/p${i}-s${seed}.mid" > /dev/null
  done
done
echo "== 80 guided Metheny-model solos against the WJD"
target/release/improv evaluate "$out"/guided/*.mid --against data/wjd
echo
echo "== the same seeds with --plain"
target/release/improv evaluate "$out"/plain/*.mid --against data/wjd
