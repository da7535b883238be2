#!/usr/bin/env bash
# Renders the piano rolls of the six progressions of the musicality study (seed 1,
# 16 bars, default guidance) into docs/progressions/, to look at after any change
# to what Improv plays or how it is drawn.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin improv
out=docs/progressions
mkdir -p "$out"
improv=./target/release/improv
render() { "$improv" generate --seed 1 --bars 16 -o /tmp/improv-pictures.mid --png "$out/$1.png" "${@:2}" >/dev/null; }
render reference-changes
render ii-V-I-in-C --chords "Dm7 | G7 | Cmaj7 | Cmaj7"
render ii-V-I-in-F-sharp --chords "G#m7 | C#7 | F#maj7 | F#maj7"
render Bb-blues --chords "Bb7 | Eb7 | Bb7 | Bb7 | Eb7 | Eb7 | Bb7 | G7 | Cm7 | F7 | Bb7 | F7"
render autumn-leaves-A --chords "Cm7 | F7 | Bbmaj7 | Ebmaj7 | Am7b5 | D7 | Gm6 | Gm6"
render two-chords-a-bar --chords "Dm7 G7 | Em7 A7 | Dm7 G7 | Cmaj7 A7"
rm -f /tmp/improv-pictures.mid
echo "wrote $(ls "$out" | wc -l) pictures in $out"
