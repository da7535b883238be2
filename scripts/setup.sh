#!/usr/bin/env bash
# Installs what Improv needs on a Debian machine (as root), non-interactively:
# a C toolchain and pkg-config, fontconfig and a font (pictures), a General MIDI
# SoundFont (audio), and Rust if it is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v cc >/dev/null || need+=(build-essential)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl ca-certificates)
for pkg in libfontconfig1-dev fonts-dejavu-core timgm6mb-soundfont; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! command -v cargo >/dev/null; then
  # rust-toolchain.toml pins the version; rustup installs it on first use.
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
