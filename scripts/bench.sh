#!/usr/bin/env bash
# ΣLANG end-to-end benchmark: the `sigma` CLI against zstd, lz4, pigz/gzip and xz on a real corpus.
#
#   scripts/bench.sh                 # full run (3 repetitions, 4 x 100 MB corpus; tens of minutes)
#   QUICK=1 scripts/bench.sh         # smoke test: 1 repetition, 4 x 8 MB corpus, 64 MB size table
#
# It builds `cargo build --release`, builds the corpus with scripts/corpus.sh when it is missing,
# then prints markdown tables to stdout (progress goes to stderr) and saves them to $RESULTS:
#
#   1. per corpus file: sigma at -T1 and -T$(nproc) for levels 1, 3 and 9, and the peers
#      zstd -1 -T0, zstd -3 -T0, zstd -1 --single-thread, pzstd -1/-2/-3 -p$(nproc), lz4 -1,
#      pigz -6 (gzip -6 when pigz is
#      missing) and xz -1 -T0 (on the first $XZ_MB MB only): ratio, compress and decompress MB/s,
#      peak RSS of each;
#   2. sigma encode/decode throughput and peak RSS by input size (inputs made by concatenating the
#      corpus files; sizes that do not fit in the free disk space are skipped);
#   3. thread scaling of sigma encode/decode at the default level on all corpus files concatenated:
#      MB/s, speed-up and efficiency, plus an SVG plot written to $OUT_SVG; and the machine's
#      ceiling: as many independent -T1 runs at once as the largest thread count (at most nproc).
#
# Method: every input is read once before it is timed, so it is in the page cache. Each
# configuration is first run once untimed writing its compressed file into a temporary directory
# on the corpus's disk (that run gives the ratio and the input of the decompress timings, and the
# decompressed output is checked against the input's sha256); then compression and decompression
# are each timed $REPS times writing to /dev/null (every tool here can write to stdout), and the
# median wall time is reported. MB/s = input bytes / 10^6 / seconds (the uncompressed size for both
# directions). Peak RSS is the largest `/usr/bin/time -f %M` of the timed runs (the kernel's
# wait4 rusage when /usr/bin/time is missing). Ratio = uncompressed / compressed bytes.
#
# Environment (defaults in brackets; QUICK=1 changes the ones marked *):
#   QUICK=1           smoke test
#   CORPUS_DIR        corpus directory [/work/data/corpus; * /work/data/corpus-quick]
#   CORPUS_MB         size of each corpus file when it has to be built [100; * 8]
#   RESULTS           markdown results file [/work/data/bench-results.md; * …-quick.md]
#   OUT_SVG           thread-scaling plot [docs/scaling.svg; * /work/data/scaling-quick.svg]
#   REPS              timed repetitions per measurement [3; * 1]
#   LEVELS            sigma levels for table 1 ["1 3 9"]
#   SIZES             input sizes for table 2 ["256M 1G", plus 4G when BIG=1; * "64M"]
#   BIG=1             add 4G to SIZES
#   THREADS           thread counts for table 3, e.g. "1,2,4,8,16" [1..nproc]
#   XZ_MB             xz only compresses the first XZ_MB MB of each corpus file [32; * 8]
#   BENCH_TMP         where temporary files go [the corpus directory's parent]
# Needs: the Rust toolchain, python3 (standard library only). Optional peers: zstd, pzstd, lz4,
# pigz or gzip, xz; a missing one is skipped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

export QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    export CORPUS_DIR=${CORPUS_DIR:-/work/data/corpus-quick}
    export CORPUS_MB=${CORPUS_MB:-8}
    export RESULTS=${RESULTS:-/work/data/bench-results-quick.md}
    export OUT_SVG=${OUT_SVG:-/work/data/scaling-quick.svg}
    export REPS=${REPS:-1}
    export SIZES=${SIZES:-64M}
    export XZ_MB=${XZ_MB:-8}
else
    export CORPUS_DIR=${CORPUS_DIR:-/work/data/corpus}
    export CORPUS_MB=${CORPUS_MB:-100}
    export RESULTS=${RESULTS:-/work/data/bench-results.md}
    export OUT_SVG=${OUT_SVG:-$ROOT/docs/scaling.svg}
    export REPS=${REPS:-3}
    if [[ ${BIG:-0} == 1 ]]; then
        export SIZES=${SIZES:-"256M 1G 4G"}
    else
        export SIZES=${SIZES:-"256M 1G"}
    fi
    export XZ_MB=${XZ_MB:-32}
fi
export LEVELS=${LEVELS:-"1 3 9"}
export THREADS=${THREADS:-}
export BENCH_TMP=${BENCH_TMP:-$(dirname "$CORPUS_DIR")}
export ROOT

command -v python3 >/dev/null || { echo "bench.sh: python3 is required" >&2; exit 1; }

echo "bench.sh: cargo build --release" >&2
cargo build --release --bin sigma >&2
export SIGMA=$ROOT/target/release/sigma

for f in src.tar bin.tar logs.txt mixed.tar; do
    if [[ ! -s $CORPUS_DIR/$f ]]; then
        echo "bench.sh: building the corpus in $CORPUS_DIR ($CORPUS_MB MB per file)" >&2
        CORPUS_MB=$CORPUS_MB "$ROOT/scripts/corpus.sh" "$CORPUS_DIR" >&2
        break
    fi
done

mkdir -p "$(dirname "$RESULTS")" "$(dirname "$OUT_SVG")" "$BENCH_TMP"

exec python3 - <<'PY'
import hashlib, os, platform, shutil, statistics, subprocess, sys, tempfile, time

E = os.environ
ROOT, SIGMA, CORPUS = E["ROOT"], E["SIGMA"], E["CORPUS_DIR"]
REPS = max(1, int(E["REPS"]))
QUICK = E["QUICK"] == "1"
LEVELS = [int(x) for x in E["LEVELS"].replace(",", " ").split()]
XZ_BYTES = int(float(E["XZ_MB"]) * 1e6)
NPROC = os.cpu_count() or 1
FILES = ["src.tar", "bin.tar", "logs.txt", "mixed.tar"]
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
MiB = 1 << 20


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:].upper(), 1)
    return int(float(s[:-1] if mult > 1 else s) * mult)


SIZES = [(s, parse_size(s)) for s in E["SIZES"].split()]
if E["THREADS"].strip():
    THREADS = sorted({int(x) for x in E["THREADS"].replace(",", " ").split()})
else:
    THREADS = list(range(1, NPROC + 1))

TMP = tempfile.mkdtemp(prefix="sigma-bench.", dir=E["BENCH_TMP"])
results = open(E["RESULTS"], "w")


def emit(line=""):
    print(line, flush=True)
    results.write(line + "\n")
    results.flush()


def log(msg):
    print(f"bench.sh: {msg}", file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip()
    except OSError:
        return ""


class Failed(Exception):
    pass


def run(cmd, out=None):
    """Runs cmd (stdout to the file `out`, else /dev/null); returns (seconds, peak RSS in KiB)."""
    rss_file = os.path.join(TMP, "rss")
    full = [TIME, "-f", "%M", "-o", rss_file] + cmd if TIME else cmd
    err_path = os.path.join(TMP, "stderr")
    with open(out or os.devnull, "wb") as o, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=o, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        msg = open(err_path, errors="replace").read().strip()
        raise Failed(f"`{' '.join(cmd)}` exited {p.returncode}: {msg[-500:]}")
    rss = ru.ru_maxrss
    if TIME:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
    return dt, rss


def run_together(cmds):
    """Starts every command at once (stdout to /dev/null); returns the wall seconds until the
    last has ended."""
    with open(os.devnull, "wb") as o:
        t0 = time.perf_counter()
        ps = [subprocess.Popen(c, stdin=subprocess.DEVNULL, stdout=o,
                               stderr=subprocess.DEVNULL) for c in cmds]
        codes = [p.wait() for p in ps]
        dt = time.perf_counter() - t0
    if any(codes):
        raise Failed(f"`{' '.join(cmds[0])}` exited {max(codes)} when run {len(cmds)} at once")
    return dt


def digest_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            h.update(chunk)
    return h.hexdigest()


def digest_stdout(cmd):
    h = hashlib.sha256()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    while chunk := p.stdout.read(4 * MiB):
        h.update(chunk)
    if p.wait() != 0:
        raise Failed(f"`{' '.join(cmd)}` exited {p.returncode}")
    return h.hexdigest()


def warm(path):
    with open(path, "rb") as f:
        while f.read(16 * MiB):
            pass


_digests = {}


def measure(inp, comp, decomp, ext):
    """comp(path) and decomp(path) give commands writing to stdout. Returns a dict or raises."""
    raw = os.path.getsize(inp)
    if inp not in _digests:
        _digests[inp] = digest_of(inp)
    packed = os.path.join(TMP, "packed" + ext)
    try:
        run(comp(inp), out=packed)  # untimed: the compressed file for ratio and decompression
        size = os.path.getsize(packed)
        if digest_stdout(decomp(packed)) != _digests[inp]:
            raise Failed(f"`{' '.join(decomp(packed))}` did not give the input back")
        c = [run(comp(inp)) for _ in range(REPS)]
        d = [run(decomp(packed)) for _ in range(REPS)]
    finally:
        if os.path.exists(packed):
            os.remove(packed)
    ct = statistics.median(t for t, _ in c)
    dt = statistics.median(t for t, _ in d)
    return {
        "raw": raw, "packed": size, "ratio": raw / size,
        "c_mbs": raw / 1e6 / ct, "d_mbs": raw / 1e6 / dt,
        "c_rss": max(r for _, r in c) / 1024, "d_rss": max(r for _, r in d) / 1024,
    }


def sigma_cmds(threads, level=None):
    lv = ["-l", str(level)] if level is not None else []
    comp = lambda p: [SIGMA, "encode", p, "-c", "-q", "-T", str(threads)] + lv
    decomp = lambda p: [SIGMA, "decode", p, "-c", "-q", "-T", str(threads)]
    return comp, decomp


def peers():
    """(label, threads shown, comp, decomp, ext, prefix_only) for every installed peer."""
    have = lambda t: shutil.which(t) is not None
    out = []
    if have("zstd"):
        for lv, mt, label in [(1, ["-T0"], "zstd -1 -T0"), (3, ["-T0"], "zstd -3 -T0"),
                              (1, ["--single-thread"], "zstd -1 --single-thread")]:
            out.append((label, "all" if mt == ["-T0"] else "1",
                        lambda p, lv=lv, mt=mt: ["zstd", f"-{lv}", *mt, "-c", "-q", p],
                        lambda p: ["zstd", "-d", "-c", "-q", p], ".zst", False))
    if have("pzstd"):
        # Independent frames, like sigma's segments: the fair peer for parallel decode.
        for lv in (1, 2, 3):
            out.append((f"pzstd -{lv} -p{NPROC}", str(NPROC),
                        lambda p, lv=lv: ["pzstd", f"-{lv}", "-p", str(NPROC), "-c", "-q", p],
                        lambda p: ["pzstd", "-d", "-p", str(NPROC), "-c", "-q", p], ".zst",
                        False))
    if have("lz4"):
        out.append(("lz4 -1", "1", lambda p: ["lz4", "-1", "-c", "-q", p],
                    lambda p: ["lz4", "-d", "-c", "-q", p], ".lz4", False))
    if have("pigz"):
        out.append(("pigz -6", str(NPROC), lambda p: ["pigz", "-6", "-c", "-p", str(NPROC), p],
                    lambda p: ["pigz", "-d", "-c", p], ".gz", False))
    elif have("gzip"):
        out.append(("gzip -6 (no pigz)", "1", lambda p: ["gzip", "-6", "-c", p],
                    lambda p: ["gzip", "-d", "-c", p], ".gz", False))
    if have("xz"):
        out.append(("xz -1 -T0 †", "all", lambda p: ["xz", "-1", "-T0", "-c", "-q", p],
                    lambda p: ["xz", "-d", "-c", "-q", p], ".xz", True))
    return out


def version(tool):
    if not shutil.which(tool):
        return f"{tool}: not installed"
    v = sh(f"{tool} --version 2>&1 | head -n1") or "?"
    return v.replace("|", "/").strip("* ").replace(", by Yann Collet", "")


def fmt_row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(head, rows, align=None):
    emit(fmt_row(head))
    emit("|" + "|".join((align or ["---:"] * len(head))[i] for i in range(len(head))) + "|")
    for r in rows:
        emit(fmt_row(r))
    emit()


def concat(path, size):
    """Writes `size` bytes made of the corpus files, repeated in order."""
    srcs = [os.path.join(CORPUS, f) for f in FILES]
    left = size
    with open(path, "wb") as out:
        while left > 0:
            for s in srcs:
                with open(s, "rb") as f:
                    while left > 0 and (chunk := f.read(min(16 * MiB, left))):
                        out.write(chunk)
                        left -= len(chunk)
                if left == 0:
                    break


# ------------------------------------------------------------------------------------- header
try:
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-") or platform.processor()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    rev = sh(f"git -C {ROOT} rev-parse --short HEAD") or "?"
    if sh(f"git -C {ROOT} status --porcelain -- src cli Cargo.toml Cargo.lock"):
        rev += " (+ uncommitted changes)"
    emit("# ΣLANG benchmark results" + (" (QUICK smoke test: not for publication)" if QUICK else ""))
    emit()
    emit(f"* date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, commit {rev}")
    emit(f"* machine: {cpu.strip()}, {NPROC} logical CPUs, {mem}, Linux {platform.release()}")
    emit(f"* {sh(SIGMA + ' --version')}; {sh('rustc -V')}")
    emit(f"* peers: {'; '.join(version(t) for t in ['zstd', 'lz4', 'pigz', 'gzip', 'xz'])}")
    emit(f"* {REPS} timed repetition(s), median wall time; inputs in the page cache; output to "
         f"/dev/null; MB = 10^6 bytes; MB/s of uncompressed bytes in both directions; ratio = "
         f"uncompressed / compressed; RSS = peak resident set (MiB)")
    emit()
    emit("Corpus (`scripts/corpus.sh`):")
    emit()
    rows = []
    for f in FILES:
        p = os.path.join(CORPUS, f)
        rows.append([f"`{f}`", f"{os.path.getsize(p):,}", f"`{digest_of(p)[:16]}…`"])
    table(["file", "bytes", "sha256"], rows, ["---", "---:", "---"])

    # --------------------------------------------------------------------- 1. vs peers per file
    emit("## 1. sigma vs peers, per corpus file")
    emit()
    sig_threads = sorted({1, NPROC})
    for f in FILES:
        inp = os.path.join(CORPUS, f)
        warm(inp)
        emit(f"### `{f}` ({os.path.getsize(inp) / 1e6:.0f} MB)")
        emit()
        rows = []

        def add(label, threads, m):
            rows.append([label, threads, f"{m['ratio']:.3f}", f"{m['c_mbs']:.0f}",
                         f"{m['d_mbs']:.0f}", f"{m['c_rss']:.1f}", f"{m['d_rss']:.1f}"])

        for level in LEVELS:
            for t in sig_threads:
                label = f"sigma -l{level}" + (" (default)" if level == 3 else "")
                log(f"{f}: {label} -T{t}")
                try:
                    c, d = sigma_cmds(t, level)
                    add(label, t, measure(inp, c, d, ".sigma"))
                except Failed as e:
                    log(f"FAILED {e}")
                    rows.append([label, t, "failed", "", "", "", ""])
        xz_note = None
        for label, threads, c, d, ext, prefix_only in peers():
            src = inp
            if prefix_only and os.path.getsize(inp) > XZ_BYTES:
                src = os.path.join(TMP, "prefix")
                with open(inp, "rb") as i, open(src, "wb") as o:
                    o.write(i.read(XZ_BYTES))
                xz_note = f"† on the first {XZ_BYTES / 1e6:.0f} MB of the file only (set XZ_MB)"
            log(f"{f}: {label}")
            try:
                add(label, threads, measure(src, c, d, ext))
            except Failed as e:
                log(f"FAILED {e}")
                rows.append([label, threads, "failed", "", "", "", ""])
            if src != inp:
                os.remove(src)
                _digests.pop(src, None)
        table(["tool", "threads", "ratio", "comp MB/s", "decomp MB/s", "comp RSS MiB",
               "decomp RSS MiB"], rows, ["---", "---:", "---:", "---:", "---:", "---:", "---:"])
        if xz_note:
            emit(xz_note)
            emit()

    # --------------------------------------------------------------------------- 2. by size
    emit("## 2. sigma by input size (default settings: level 3, 4 MiB segments, all threads)")
    emit()
    emit("Inputs are the corpus files concatenated in order and repeated up to the size.")
    emit()
    rows = []
    for label, size in SIZES:
        free = shutil.disk_usage(TMP).free
        need = 2 * size + 512 * MiB  # input + encoded (at most the input plus framing) + margin
        if need > free:
            log(f"size {label}: skipped, needs {need / 2**30:.1f} GiB free, has {free / 2**30:.1f}")
            rows.append([label, "skipped: not enough free disk space", "", "", "", ""])
            continue
        path = os.path.join(TMP, f"concat-{label}")
        log(f"size {label}: writing the input")
        concat(path, size)
        warm(path)
        log(f"size {label}: sigma encode/decode")
        try:
            c, d = sigma_cmds(0)
            m = measure(path, c, d, ".sigma")
            rows.append([label, f"{m['ratio']:.3f}", f"{m['c_mbs']:.0f}", f"{m['c_rss']:.1f}",
                         f"{m['d_mbs']:.0f}", f"{m['d_rss']:.1f}"])
        except Failed as e:
            log(f"FAILED {e}")
            rows.append([label, "failed", "", "", "", ""])
        finally:
            os.remove(path)
            _digests.pop(path, None)
    table(["input", "ratio", "encode MB/s", "encode RSS MiB", "decode MB/s", "decode RSS MiB"],
          rows)

    # --------------------------------------------------------------------- 3. thread scaling
    scale_in = os.path.join(TMP, "scaling-input")
    total = sum(os.path.getsize(os.path.join(CORPUS, f)) for f in FILES)
    concat(scale_in, total)
    warm(scale_in)
    emit(f"## 3. sigma thread scaling (level 3, 4 MiB segments; all corpus files concatenated, "
         f"{total / 1e6:.0f} MB)")
    emit()
    points = []
    for t in THREADS:
        log(f"scaling: -T{t}")
        try:
            c, d = sigma_cmds(t)
            m = measure(scale_in, c, d, ".sigma")
            points.append((t, m["c_mbs"], m["d_mbs"]))
        except Failed as e:
            log(f"FAILED {e}")
    # The machine's own ceiling: as many independent single-thread runs at once as the largest
    # thread count measured (at most the CPUs). They share nothing but the hardware (caches,
    # memory bandwidth, clock), so their aggregate speed-up bounds what any parallel pipeline can
    # reach here.
    ceiling = None
    n_ceil = min(max(THREADS), NPROC)
    if points and points[0][0] == 1 and n_ceil > 1:
        log(f"scaling: {n_ceil} independent -T1 runs at once")
        try:
            c, d = sigma_cmds(1)
            packed = os.path.join(TMP, "ceiling.sigma")
            run(c(scale_in), out=packed)
            ct = statistics.median(run_together([c(scale_in)] * n_ceil) for _ in range(REPS))
            dt = statistics.median(run_together([d(packed)] * n_ceil) for _ in range(REPS))
            os.remove(packed)
            raw = os.path.getsize(scale_in)
            ceiling = (n_ceil, n_ceil * raw / 1e6 / ct, n_ceil * raw / 1e6 / dt)
        except Failed as e:
            log(f"FAILED {e}")
    os.remove(scale_in)
    rows = []
    if points:
        t0, c0, d0 = points[0]
        for t, c, d in points:
            su_c, su_d = c / c0, d / d0
            ideal = t / t0
            note = " (more threads than CPUs)" if t > NPROC else ""
            rows.append([f"{t}{note}", f"{c:.0f}", f"{su_c:.2f}x", f"{su_c / ideal:.0%}",
                         f"{d:.0f}", f"{su_d:.2f}x", f"{su_d / ideal:.0%}"])
    if ceiling:
        n, c, d = ceiling
        c0, d0 = points[0][1], points[0][2]
        rows.append([f"{n} × 1 (independent runs at once)", f"{c:.0f}", f"{c / c0:.2f}x",
                     f"{c / c0 / n:.0%}", f"{d:.0f}", f"{d / d0:.2f}x", f"{d / d0 / n:.0%}"])
    table(["threads", "encode MB/s", "speed-up", "efficiency", "decode MB/s", "speed-up",
           "efficiency"], rows)
    if points:
        t0 = points[0][0]
        emit(f"Speed-up is relative to the first row ({t0} thread{'s' if t0 > 1 else ''}); "
             f"efficiency = speed-up / (threads / {t0}).")
    if ceiling:
        emit(f"The last row is this machine's ceiling: {ceiling[0]} separate `sigma -T1` "
             f"processes started together, MB/s = their bytes / the wall time until the last "
             f"ends. They share only the hardware (caches, memory bandwidth, clock), so one "
             f"process with that many threads cannot expect to scale better.")
    emit()

    # --------------------------------------------------------------------------------- SVG
    def nice_step(span, n=6):
        raw = span / n
        mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
        for m in (1, 2, 5, 10):
            if raw <= m * mag:
                return m * mag
        return 10 * mag

    def svg(points, path):
        W, H, L, R, T, B = 720, 440, 70, 180, 50, 55
        pw, ph = W - L - R, H - T - B
        ts = [p[0] for p in points]
        t0, c0 = points[0][0], points[0][1]
        ideal = [(t, c0 * t / t0) for t in ts]
        ymax_data = 1.04 * max([p[1] for p in points] + [p[2] for p in points]
                               + [v for _, v in ideal])
        ystep = nice_step(ymax_data)
        ymax = ystep * (int(ymax_data / ystep) + 1)
        xmin, xmax = 0, max(ts) + 1
        X = lambda t: L + (t - xmin) / (xmax - xmin) * pw
        Y = lambda v: T + ph - v / ymax * ph
        o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{L + pw / 2}" y="22" text-anchor="middle" font-size="15" '
             f'font-weight="bold">sigma throughput vs threads</text>',
             f'<text x="{L + pw / 2}" y="38" text-anchor="middle" fill="#555">'
             f'{total / 1e6:.0f} MB corpus, level 3, {NPROC} CPUs{", QUICK" if QUICK else ""}, '
             f'{time.strftime("%Y-%m-%d")}</text>']
        v = 0.0
        while v <= ymax + 1e-9:
            o.append(f'<line x1="{L}" y1="{Y(v):.1f}" x2="{L + pw}" y2="{Y(v):.1f}" '
                     f'stroke="#e4e4e4"/>')
            o.append(f'<text x="{L - 8}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
            v += ystep
        xstep = max(1, int(nice_step(xmax, 8)))
        for t in range(0, int(xmax) + 1, xstep):
            o.append(f'<line x1="{X(t):.1f}" y1="{T + ph}" x2="{X(t):.1f}" y2="{T + ph + 5}" '
                     f'stroke="black"/>')
            o.append(f'<text x="{X(t):.1f}" y="{T + ph + 19}" text-anchor="middle">{t}</text>')
        o.append(f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="black"/>')
        o.append(f'<text x="{L + pw / 2}" y="{H - 12}" text-anchor="middle">threads (-T)</text>')
        o.append(f'<text transform="translate(18 {T + ph / 2}) rotate(-90)" '
                 f'text-anchor="middle">MB/s (uncompressed)</text>')
        series = [("ideal encode (linear)", ideal, "#999999", ' stroke-dasharray="6 4"'),
                  ("encode", [(p[0], p[1]) for p in points], "#1f77b4", ""),
                  ("decode", [(p[0], p[2]) for p in points], "#ff7f0e", "")]
        for i, (name, pts, color, dash) in enumerate(series):
            line = " ".join(f"{X(t):.1f},{Y(v):.1f}" for t, v in pts)
            o.append(f'<polyline points="{line}" fill="none" stroke="{color}" '
                     f'stroke-width="2"{dash}/>')
            if not dash:
                for t, v in pts:
                    o.append(f'<circle cx="{X(t):.1f}" cy="{Y(v):.1f}" r="3.5" fill="{color}">'
                             f'<title>{name}: {t} threads, {v:.0f} MB/s</title></circle>')
            ly = T + 14 + 20 * i
            o.append(f'<line x1="{L + pw + 15}" y1="{ly}" x2="{L + pw + 40}" y2="{ly}" '
                     f'stroke="{color}" stroke-width="2"{dash}/>')
            o.append(f'<text x="{L + pw + 46}" y="{ly + 4}">{name}</text>')
        o.append("</svg>")
        with open(path, "w") as f:
            f.write("\n".join(o) + "\n")

    if points:
        svg(points, E["OUT_SVG"])
        emit(f"Plot: `{E['OUT_SVG']}`")
        log(f"wrote {E['OUT_SVG']}")
    log(f"wrote {E['RESULTS']}")
finally:
    shutil.rmtree(TMP, ignore_errors=True)
PY
