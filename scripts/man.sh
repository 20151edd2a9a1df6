#!/usr/bin/env bash
# Writes the man page, docs/sigma.1, from the command-line definitions (a test checks it is
# current). Install it with: install -Dm644 docs/sigma.1 /usr/local/share/man/man1/sigma.1
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --quiet --bin sigma
tmp=$(mktemp docs/.sigma.1.XXXXXX)
trap 'rm -f "$tmp"' EXIT
target/debug/sigma manpage > "$tmp"
mv "$tmp" docs/sigma.1
trap - EXIT
echo "wrote docs/sigma.1"
