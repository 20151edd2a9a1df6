#!/usr/bin/env bash
# Codec-only comparison, single thread: sigma levels 1-9 against zstd, lz4 and xz on the first
# $MB MB of each corpus file. Prints a markdown table (ratio, compress and decompress MB/s) and
# writes an SVG plot of ratio against compression speed ($OUT_SVG, default docs/levels.svg).
#
#   scripts/levels.sh                  # corpus from scripts/corpus.sh in /work/data/corpus
#   MB=8 REPS=1 scripts/levels.sh      # quicker
#   FILES="src.tar" scripts/levels.sh  # some corpus files only
#   LEVELS="1 3" PEERS=no REPS=7 OUT_SVG=/tmp/l.svg scripts/levels.sh   # some sigma levels only
#   ZSTD_LEVELS="1 3 19" scripts/levels.sh   # fewer zstd levels (default 1–7, 9, 12, 15, 19)
#
# sigma figures are the plain-loop rows of `sigma bench` (codec + checksums, one thread, the
# fastest of $REPS runs: `encode_mb_s_best` / `decode_mb_s_best`); the peers use their own
# benchmark modes (`zstd -bN -iREPS --single-thread`, `lz4 -b1 -iREPS`), which also report their
# fastest run, and xz is timed once with /usr/bin/time (to /dev/null).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS_DIR=${CORPUS_DIR:-/work/data/corpus}
MB=${MB:-20}
REPS=${REPS:-3}
OUT_SVG=${OUT_SVG:-docs/levels.svg}
FILES=${FILES:-"src.tar bin.tar logs.txt mixed.tar"}
LEVELS=${LEVELS:-"1 2 3 4 5 6 7 8 9"}
PEERS=${PEERS:-yes}
# zstd's curve: enough of its levels to tell which side of it each sigma level falls.
ZSTD_LEVELS=${ZSTD_LEVELS:-"1 2 3 4 5 6 7 9 12 15 19"}
cargo build --release --quiet
[ -f "$CORPUS_DIR/src.tar" ] || scripts/corpus.sh "$CORPUS_DIR" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows="$tmp/rows.tsv"
for f in $FILES; do
    in="$tmp/$f"
    head -c $((MB * 1000000)) "$CORPUS_DIR/$f" > "$in"
    for l in $LEVELS; do
        echo "levels.sh: $f sigma -l$l" >&2
        target/release/sigma bench "$in" -T1 -l "$l" --repeat "$REPS" --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
r = [x for x in d['results'] if x['mode'] == 'loop'][0]
print('$f\tsigma -l$l\t%.3f\t%.1f\t%.1f' % (r['ratio'], r['encode_mb_s_best'], r['decode_mb_s_best']))" >> "$rows"
    done
    [ "$PEERS" = yes ] || continue
    for z in $ZSTD_LEVELS; do
        echo "levels.sh: $f zstd -$z" >&2
        zstd -b$z -i"$REPS" --single-thread "$in" 2>&1 | tr '\r' '\n' | grep 'MB/s,' | tail -1 |
            sed -E "s/.*\(x([0-9.]+)\), *([0-9.]+) MB\/s, *([0-9.]+) MB\/s.*/$f\tzstd -$z\t\1\t\2\t\3/" >> "$rows"
    done
    echo "levels.sh: $f lz4 -1" >&2
    lz4 -b1 -i"$REPS" "$in" 2>&1 | tr '\r' '\n' | grep 'MB/s ,' | tail -1 |
        sed -E "s/.*\(([0-9.]+)\), *([0-9.]+) MB\/s *, *([0-9.]+) MB\/s.*/$f\tlz4 -1\t\1\t\2\t\3/" >> "$rows"
    if command -v xz > /dev/null; then
        echo "levels.sh: $f xz -1" >&2
        c=$( { /usr/bin/time -f %e xz -1 -T1 -c "$in" > "$tmp/x.xz"; } 2>&1 )
        d=$( { /usr/bin/time -f %e xz -d -c "$tmp/x.xz" > /dev/null; } 2>&1 )
        python3 -c "import os; s=os.path.getsize('$in'); print('$f\txz -1\t%.3f\t%.1f\t%.1f' % (s/os.path.getsize('$tmp/x.xz'), s/1e6/max($c,0.001), s/1e6/max($d,0.001)))" >> "$rows"
    fi
done
python3 - "$rows" "$OUT_SVG" "$MB" <<'PY'
import sys, math, collections
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1]) if l.strip()]
out_svg, mb = sys.argv[2], sys.argv[3]
by_file = collections.OrderedDict()
for f, tool, ratio, c, d in rows:
    by_file.setdefault(f, []).append((tool, float(ratio), float(c), float(d)))
print(f"Single thread, first {mb} MB of each corpus file; MB/s of uncompressed bytes.\n")
for f, rs in by_file.items():
    print(f"### `{f}`\n\n| codec | ratio | compress MB/s | decompress MB/s |\n|---|---:|---:|---:|")
    for tool, r, c, d in rs:
        print(f"| {tool} | {r:.3f} | {c:.1f} | {d:.1f} |")
    print()
# SVG: one panel per file, x = log10(compress MB/s), y = ratio; sigma levels joined by a line.
W, H, PW, PH, M = 1000, 760, 450, 320, 50
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W/2}" y="20" text-anchor="middle" font-size="14">Ratio against single-thread compression speed (first {mb} MB of each corpus file)</text>']
colors = {'sigma': '#c0392b', 'zstd': '#2471a3', 'lz4': '#229954', 'xz': '#7d3c98'}
for i, (f, rs) in enumerate(by_file.items()):
    ox, oy = 40 + (i % 2) * (PW + 60), 40 + (i // 2) * (PH + 50)
    xs = [math.log10(max(c, 0.1)) for _, _, c, _ in rs]
    ys = [r for _, r, _, _ in rs]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = 0.0, max(ys) * 1.1
    X = lambda v: ox + M + (math.log10(max(v, 0.1)) - x0) / (x1 - x0) * (PW - M - 10)
    Y = lambda v: oy + PH - 30 - (v - y0) / (y1 - y0) * (PH - 50)
    svg.append(f'<rect x="{ox+M}" y="{oy+20}" width="{PW-M-10}" height="{PH-50}" fill="none" stroke="#999"/>')
    svg.append(f'<text x="{ox+PW/2}" y="{oy+14}" text-anchor="middle" font-size="13">{f}</text>')
    for e in range(x0, x1 + 1):
        x = ox + M + (e - x0) / (x1 - x0) * (PW - M - 10)
        svg.append(f'<line x1="{x}" y1="{oy+20}" x2="{x}" y2="{oy+PH-30}" stroke="#eee"/><text x="{x}" y="{oy+PH-16}" text-anchor="middle">{10**e:g}</text>')
    for k in range(0, 6):
        v = y0 + (y1 - y0) * k / 5
        svg.append(f'<text x="{ox+M-5}" y="{Y(v)+4}" text-anchor="end">{v:.1f}</text>')
    svg.append(f'<text x="{ox+PW/2}" y="{oy+PH-2}" text-anchor="middle">compress MB/s (log scale)</text>')
    svg.append(f'<text x="{ox+12}" y="{oy+PH/2}" transform="rotate(-90 {ox+12} {oy+PH/2})" text-anchor="middle">ratio</text>')
    sig = [(c, r, t) for t, r, c, _ in rs if t.startswith('sigma')]
    svg.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (colors['sigma'], ' '.join(f'{X(c)},{Y(r)}' for c, r, _ in sig)))
    for t, r, c, _ in rs:
        col = colors[t.split()[0]]
        svg.append(f'<circle cx="{X(c)}" cy="{Y(r)}" r="3.5" fill="{col}"/><text x="{X(c)+5}" y="{Y(r)-5}" fill="{col}" font-size="9">{t.replace("sigma ", "")}</text>')
lx = 40
for name, col in colors.items():
    svg.append(f'<circle cx="{lx}" cy="{H-15}" r="4" fill="{col}"/><text x="{lx+8}" y="{H-11}">{name}</text>')
    lx += 80
svg.append('</svg>')
open(out_svg, 'w').write('\n'.join(svg))
print(f"Plot: `{out_svg}`")
PY
