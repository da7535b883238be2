#!/usr/bin/env bash
# Is the style heard by the model? The masters' model with --style traditional,
# swing, cool and bebop, with --plain and with the default guidance, over 20 seeds
# × 6 progressions (as scripts/masters-study.sh), 32 bars at 130 BPM, the line
# straight; each style's solos held against the WJD's solos of the four styles by
# `improv evaluate --styles` (notes per bar, H1, sixteenth/eighth/triplet gap shares,
# each scaled by its spread over the WJD's solos), against the WJD as played and as
# training reads it (`--quantize`). Release mode; about 3 minutes.
# Usage: bash scripts/style-study.sh [OUT_DIR] [extra generate flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/style-study}"
shift || true
extra=("$@")
cargo build --release --locked --bin improv 2>/dev/null
progressions=(
  "Dm7 G7 | Cmaj7 | Em7 A7 | Dm7 G7"
  "Bb7 | Eb7 | Bb7 | Bb7 | Eb7 | Eb7 | Bb7 | G7 | Cm7 | F7 | Bb7 G7 | Cm7 F7"
  "Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm7 | Gm7"
  "Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Ebmaj7 Ab7 | Dm7 G7 | Cm7 F7"
  "Cm7 | Fm7 | Cm7 | Cm7 | Fm7 | Fm7 | Cm7 | Cm7 | Ab7 | G7 | Cm7 | G7"
  "Bmaj7 D7 | Gmaj7 Bb7 | Ebmaj7 | Am7 D7 | Gmaj7 Bb7 | Ebmaj7 F#7 | Bmaj7 | Fm7 Bb7"
)
styles=(traditional swing cool bebop)
seeds="${SEEDS:-20}"
heard=0
for run in plain guided; do
  flag=(); [ "$run" = plain ] && flag=(--plain)
  for style in "${styles[@]}"; do
    dir="$out/$run-$style"
    mkdir -p "$dir"; rm -f "$dir"/*.mid
    for i in "${!progressions[@]}"; do
      for seed in $(seq 1 "$seeds"); do
        target/release/improv generate --model wjd --style "$style" --seed "$seed" --bars 32 --tempo 130 \
          --feel straight "${flag[@]}" "${extra[@]}" --chords "${progressions[$i]}" -o "$dir/p$i-s$seed.mid" > /dev/null
      done
    done
  done
  for reading in played learned; do
    quantize=(); [ "$reading" = learned ] && quantize=(--quantize)
    right=0
    for style in "${styles[@]}"; do
      echo "== $run, --style $style, against the WJD as $reading"
      report=$(target/release/improv evaluate "$out/$run-$style"/*.mid "${quantize[@]}" --against data/wjd \
        --styles traditional,swing,cool,bebop)
      echo "$report" | sed -n '/^Nearest style/,$p'
      nearest=$(echo "$report" | sed -n 's/^  nearest: //p')
      [ "$nearest" = "$style" ] && right=$((right + 1))
    done
    echo "== $run, as $reading: $right of 4 styles nearest their own WJD solos"
    echo
    [ "$reading" = played ] && [ "$right" -ge 3 ] && heard=$((heard + 1))
  done
done
echo "styles heard (3 of 4 nearest their own, as played) in $heard of 2 runs"
