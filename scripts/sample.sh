#!/usr/bin/env bash
# Builds sigma and runs the main job on a sample: encode a ~64 MB tarball of real files (headers,
# docs and binaries from this machine) on every core, decode it back, compare, verify, show info.
# Usage: scripts/sample.sh [SAMPLE_FILE]   (without an argument the sample is built in target/sample)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
sigma=target/release/sigma
dir=target/sample
mkdir -p "$dir"
sample=${1:-$dir/sample.tar}
if [ ! -f "$sample" ]; then
    echo "building sample from /usr/include, /usr/share/doc and /usr/bin ..." >&2
    tar cf - /usr/include /usr/share/doc /usr/bin 2>/dev/null | head -c 64000000 > "$sample" || true
    if [ ! -s "$sample" ]; then
        # No such directories: fall back to this repository's sources repeated.
        for _ in $(seq 200); do cat src/*.rs src/*/*.rs; done > "$sample"
    fi
fi
rm -f "$dir/out.sigma" "$dir/out.raw"
"$sigma" encode "$sample" -o "$dir/out.sigma"
"$sigma" decode "$dir/out.sigma" -o "$dir/out.raw"
cmp "$sample" "$dir/out.raw" && echo "roundtrip: byte-identical" >&2
"$sigma" verify "$dir/out.sigma"
"$sigma" info "$dir/out.sigma"
