#!/usr/bin/env bash
# The masters' model beside the Metheny model, held against the WJD by the report
# card: 20 seeds × 6 progressions (a ii–V–I, a Bb blues, Autumn Leaves' A section,
# rhythm changes' A, a C minor blues, Giant Steps' first 8 bars), 32 bars at 130 BPM,
# default guidance and --plain, the line written straight (rhythm and grid) and
# with Auto feel (lengths as played). The straight sets are held against the WJD
# twice: as the masters played it, and as training reads it (`--quantize`: the
# masters' onsets on the sixteenth and triplet grids the line itself is held to).
# Release mode; a few minutes on 2 cores.
# Usage: bash scripts/masters-study.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/masters-study}"
cargo build --release --locked --bin improv
progressions=(
  "Dm7 G7 | Cmaj7 | Em7 A7 | Dm7 G7"
  "Bb7 | Eb7 | Bb7 | Bb7 | Eb7 | Eb7 | Bb7 | G7 | Cm7 | F7 | Bb7 G7 | Cm7 F7"
  "Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm7 | Gm7"
  "Bbmaj7 G7 | Cm7 F7 | Dm7 G7 | Cm7 F7 | Fm7 Bb7 | Ebmaj7 Ab7 | Dm7 G7 | Cm7 F7"
  "Cm7 | Fm7 | Cm7 | Cm7 | Fm7 | Fm7 | Cm7 | Cm7 | Ab7 | G7 | Cm7 | G7"
  "Bmaj7 D7 | Gmaj7 Bb7 | Ebmaj7 | Am7 D7 | Gmaj7 Bb7 | Ebmaj7 F#7 | Bmaj7 | Fm7 Bb7"
)
for model in wjd metheny; do
  for run in guided plain auto; do
    mkdir -p "$out/$model-$run"
    rm -f "$out/$model-$run"/*.mid
  done
  for i in "${!progressions[@]}"; do
    for seed in $(seq 1 20); do
      common=(--model "$model" --seed "$seed" --bars 32 --tempo 130 --chords "${progressions[$i]}")
      target/release/improv generate "${common[@]}" --feel straight -o "$out/$model-guided/p$i-s$seed.mid" > /dev/null
      target/release/improv generate "${common[@]}" --feel straight --plain -o "$out/$model-plain/p$i-s$seed.mid" > /dev/null
      target/release/improv generate "${common[@]}" --feel auto -o "$out/$model-auto/p$i-s$seed.mid" > /dev/null
    done
  done
  for run in guided plain auto; do
    echo "== $model model, $run (120 solos) against the WJD as played"
    target/release/improv evaluate "$out/$model-$run"/*.mid --against data/wjd | sed -n '1,60p'
    echo
    # Auto feel is compared as played: quantised, its swing and lay-back are snapped away.
    [ "$run" = auto ] && continue
    echo "== $model model, $run (120 solos) against the WJD as training reads it (--quantize)"
    target/release/improv evaluate "$out/$model-$run"/*.mid --quantize --against data/wjd | sed -n '1,60p'
    echo
  done
done
