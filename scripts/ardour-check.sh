#!/usr/bin/env bash
# Improv in a real DAW: loads the built Improv.vst3 in Ardour 7's headless Lua tool
# (ardour7-lua, Dummy backend) and plays a held-chord region (scripts/ardour/check.lua):
# notes from beat 1 on every loop pass, on the grid, no key struck twice or left
# sounding, the same after a quick save and reload, ACE Reasonable Synth fed through
# Improv, and with Improv's Voice on (the synth off) the track heard. RUNS times
# (default 10), each in a fresh scratch session; nothing touches ~/.config or ~/.cache.
#   bash scripts/ardour-check.sh            # builds the release bundle first
#   BUNDLE=path/to/Improv.vst3 RUNS=3 bash scripts/ardour-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}

if ! command -v ardour7-lua >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y ardour >/dev/null
  else
    echo "ardour-check: needs Debian's ardour package (apt-get install ardour, as root)" >&2
    exit 2
  fi
fi
if [ -z "${BUNDLE:-}" ]; then
  cargo xtask bundle improv --release >/dev/null
  BUNDLE=target/bundled/Improv.vst3
fi
[ -d "$BUNDLE" ] || { echo "ardour-check: no bundle at $BUNDLE" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/vst3" "$scratch/config/ardour7/scripts" "$scratch/cache"
cp -r "$BUNDLE" "$scratch/vst3/Improv.vst3"
# Ardour skips a module that is not older than its cache entry: date the copy back.
find "$scratch/vst3" -exec touch -d '1 hour ago' {} +
cp scripts/ardour/tap.lua "$scratch/config/ardour7/scripts/_improv_check_tap.lua"
export XDG_CONFIG_HOME="$scratch/config" XDG_CACHE_HOME="$scratch/cache" VST3_PATH="$scratch/vst3"
# The headless tool sees only what Ardour's VST3 scanner has cached.
LD_LIBRARY_PATH=/usr/lib/ardour7 /usr/lib/ardour7/ardour-vst3-scanner -f "$scratch/vst3/Improv.vst3" >"$scratch/scan.log" 2>&1 \
  || { cat "$scratch/scan.log" >&2; echo "ardour-check: the VST3 scanner failed" >&2; exit 1; }
grep -q "Found Plugin: Improv$" "$scratch/scan.log" || { cat "$scratch/scan.log" >&2; exit 1; }

passed=0
start=$(date +%s)
for run in $(seq 1 "$RUNS"); do
  dir="$scratch/run$run"
  mkdir -p "$dir"
  line="run $run:"
  ok=1
  for phase in build loop reload; do
    if ! CHECK_DIR="$dir" PHASE=$phase timeout 180 ardour7-lua scripts/ardour/check.lua >"$dir/$phase.log" 2>&1; then
      ok=0
    fi
    fig=$(grep -E "^(BUILT|LOOPED|RELOADED|FAIL)" "$dir/$phase.log" | head -1 || true)
    [ -n "$fig" ] || fig="FAIL: $phase ended without a result (exit or crash; see the log)"
    case "$fig" in FAIL*) ok=0 ;; esac
    line="$line $fig;"
    [ $ok = 1 ] || break
  done
  echo "$line"
  [ $ok = 1 ] && passed=$((passed + 1))
  if [ $ok = 0 ]; then grep -v "^\[INFO\]" "$dir"/*.log | tail -20 >&2; fi
done
echo "ardour-check: $passed of $RUNS runs passed in $(( $(date +%s) - start )) s"
[ "$passed" = "$RUNS" ]
