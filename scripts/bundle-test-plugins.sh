#!/usr/bin/env bash
# Builds the debug plugin bundles the host tests load, into target/test-bundles/:
#   alloc-check/  nice-plug's assert_process_allocs: an allocation in process() aborts
#                 (with IMPROV_TEST_ALLOCATE_IN_PROCESS set it allocates there on
#                 purpose: the tests' proof that the check can fail)
# (`cargo xtask bundle` always writes target/bundled/, so it is copied away.)
set -euo pipefail
cd "$(dirname "$0")/.."
for variant in alloc-check; do
  cargo xtask bundle improv --features "$variant" >/dev/null
  rm -rf "target/test-bundles/$variant"
  mkdir -p "target/test-bundles/$variant"
  cp -r target/bundled/Improv.clap target/bundled/Improv.vst3 "target/test-bundles/$variant/"
done
