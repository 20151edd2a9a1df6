#!/usr/bin/env bash
# The whole test suite: the Rust tests (library, CLI, reference decoder), then the Python package's
# tests (python/tests: the binding, fsspec, Dask on a LocalCluster) in a virtual environment that
# scripts/test_python.sh builds. Exits non-zero if either fails. This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked
# The Python tests compare with the `sigma` the Rust tests just built, not with whatever
# target/release holds (an older build writes other bytes).
SIGMALANG_TEST_SIGMA="$PWD/target/debug/sigma" bash scripts/test_python.sh
