#!/usr/bin/env bash
# Writes the man page, docs/sigma.1, from the command-line definitions (a test checks it is
# current). Install it with: install -Dm644 docs/sigma.1 /usr/local/share/man/man1/sigma.1
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --locked --quiet --bin sigma -- manpage > docs/sigma.1
echo "wrote docs/sigma.1"
