#!/usr/bin/env bash
# Side by side on one whole file: sigma against its peers (pzstd, zstd, lz4), as a user runs them.
#
#   scripts/whole_file.sh FILE CONFIG...
#   scripts/whole_file.sh /work/data/linux-6.1.tar sigma-l3-T2 pzstd-1 pzstd-2 zstd-2-T2 lz4-1
#
# CONFIG: sigma-lL-TN (sigma encode -l L -T N), pzstd-L (pzstd -L -p 2), zstd-L-T1
# (--single-thread), zstd-L-T2, lz4-1. Each is run once into a file (for the ratio and as the
# decompressor's input), then compressed and decompressed $R times (default 3) from the page cache
# to /dev/null under /usr/bin/time. Prints a markdown row per config: ratio, wall MB/s (median),
# CPU-seconds user + sys (median), peak RSS (largest). MB = 10^6 bytes of the uncompressed file.
# SIGMA=path picks another sigma binary (default target/release/sigma); TMP_DIR the scratch
# directory (default: the file's directory).
set -euo pipefail
cd "$(dirname "$0")/.."
F=$1; shift
R=${R:-3}
S=${SIGMA:-$PWD/target/release/sigma}
T=$(mktemp -d "${TMP_DIR:-$(dirname "$F")}/whole.XXXXXX")
trap 'rm -rf "$T"' EXIT
raw=$(stat -c %s "$F")
cat "$F" > /dev/null
run() { # label comp-cmd decomp-cmd ext
  local label=$1 comp=$2 decomp=$3 ext=$4
  eval "$comp < \"$F\" > $T/w$ext"
  local size=$(stat -c %s $T/w$ext)
  local ct=() cc=() cr=0 dt=() dc=() dr=0
  for i in $(seq $R); do
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" sh -c "$comp < \"$F\" > /dev/null"
    read e u s m < "$T/time"; ct+=($e); cc+=($(python3 -c "print($u+$s)")); [ $m -gt $cr ] && cr=$m
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" sh -c "$decomp < $T/w$ext > /dev/null"
    read e u s m < "$T/time"; dt+=($e); dc+=($(python3 -c "print($u+$s)")); [ $m -gt $dr ] && dr=$m
  done
  python3 - "$label" $raw $size "${ct[*]}" "${cc[*]}" $cr "${dt[*]}" "${dc[*]}" $dr <<'PY'
import sys, statistics as st
l, raw, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ct=[float(x) for x in sys.argv[4].split()]; cc=[float(x) for x in sys.argv[5].split()]; cr=int(sys.argv[6])
dt=[float(x) for x in sys.argv[7].split()]; dc=[float(x) for x in sys.argv[8].split()]; dr=int(sys.argv[9])
mc, md = st.median(ct), st.median(dt)
print(f"| {l} | {raw/size:.3f} | {raw/1e6/mc:.0f} | {st.median(cc):.2f} | {cr/1024:.0f} | {raw/1e6/md:.0f} | {st.median(dc):.2f} | {dr/1024:.0f} |")
PY
}
echo "| $(basename "$F") | ratio | enc MB/s (wall) | enc CPU-s | enc RSS MiB | dec MB/s (wall) | dec CPU-s | dec RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
for spec in "$@"; do
  case $spec in
    sigma-l*-T*) l=${spec#sigma-l}; t=${l#*-T}; l=${l%-T*}
       run "sigma -l$l -T$t" "$S encode -q -c -l $l -T $t" "$S decode -q -c -T $t" .sigma ;;
    pzstd-*) l=${spec#pzstd-}; run "pzstd -$l -p2" "pzstd -q -c -$l -p 2" "pzstd -q -d -c -p 2" .zst ;;
    zstd-*-T1) l=${spec#zstd-}; l=${l%-T1}; run "zstd -$l --single-thread" "zstd -q -c -$l --single-thread" "zstd -q -d -c" .zst ;;
    zstd-*-T2) l=${spec#zstd-}; l=${l%-T2}; run "zstd -$l -T2" "zstd -q -c -$l -T2" "zstd -q -d -c" .zst ;;
    lz4-1) run "lz4 -1" "lz4 -q -c -1" "lz4 -q -d -c" .lz4 ;;
    *) echo "whole_file.sh: unknown config $spec" >&2; exit 2 ;;
  esac
done
