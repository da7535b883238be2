#!/usr/bin/env bash
# The whole test suite: formatting, lints, docs, the debug plugin bundles the host
# tests load, then unit, integration, golden, property and plugin-host tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
bash scripts/bundle-test-plugins.sh
cargo test --workspace --locked
