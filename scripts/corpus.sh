#!/usr/bin/env bash
# Builds the ΣLANG benchmark corpus from this machine's own files.
#
#   scripts/corpus.sh [DIR]          # DIR defaults to /work/data/corpus
#
# Four files, each made of real data (nothing synthetic), each capped to a size in MB:
#
#   src.tar    text and source: /usr/include, /usr/share/perl*, the Python stdlib sources under
#              /usr/lib/python3*, and the Rust toolchain's text if present (lib/rustlib/src from
#              the rust-src component, share/doc: sources, HTML, Markdown, JS of the docs of
#              `rustc --print sysroot`). Files with a NUL byte in their first 8 KiB are left out.
#                                                                        cap: $CORPUS_SRC_MB
#   bin.tar    ELF executables and shared libraries from /usr/bin and /usr/lib/x86_64-linux-gnu.
#                                                                        cap: $CORPUS_BIN_MB
#   logs.txt   real log-like text, concatenated: text files of /var/log (gzip-compressed ones
#              decompressed) then the changelogs and NEWS files of /usr/share/doc (decompressed,
#              like zcat would).                                         cap: $CORPUS_LOGS_MB
#   mixed.tar  a slice of the file system as a backup would see it: /etc, /usr/bin, /usr/include,
#              /usr/lib, /usr/share, every kind of file (text, ELF, already-compressed .gz/.png …).
#                                                                        cap: $CORPUS_MIXED_MB
#
# Every cap defaults to $CORPUS_MB, which defaults to 100. Example, a 10 MB smoke-test corpus:
#
#   CORPUS_MB=10 scripts/corpus.sh /tmp/corpus-small
#
# Reproducibility. The same machine (same installed packages) always gives byte-identical files:
#   * candidate files are listed per source group and sorted by path (byte order); symlinks are not
#     followed, unreadable files are skipped;
#   * when a group holds more than its share of the cap, files are picked by systematic sampling
#     over the sorted list (a file is taken when the bytes taken so far are below the group's share
#     of the bytes seen so far), so the sample spans the whole tree instead of its first letters;
#     the shares are split evenly between groups, a small group's unused share going to the others;
#   * no single file contributes more than 1/16 of a file's cap (longer ones are cut), and the last
#     file is cut so each output is its cap (tar files: to within 10 KiB, tar's record padding);
#   * tar members have mtime 0, uid/gid 0, owner root, GNU format: only content, names and modes
#     matter.
# Files that change on their own (/var/log) make logs.txt drift over time; everything else only
# changes when packages are installed or removed. Rebuild with: rm -rf DIR && scripts/corpus.sh DIR
# (scripts/bench.sh builds it when missing). Sizes and sha256 sums are printed at the end and
# written to DIR/SHA256SUMS.
set -euo pipefail

DIR=${1:-/work/data/corpus}
MB=${CORPUS_MB:-100}
export CORPUS_SRC_MB=${CORPUS_SRC_MB:-$MB}
export CORPUS_BIN_MB=${CORPUS_BIN_MB:-$MB}
export CORPUS_LOGS_MB=${CORPUS_LOGS_MB:-$MB}
export CORPUS_MIXED_MB=${CORPUS_MIXED_MB:-$MB}
RUST_SYSROOT=$(rustc --print sysroot 2>/dev/null || true)
export RUST_SYSROOT

command -v python3 >/dev/null || { echo "corpus.sh: python3 is required" >&2; exit 1; }
mkdir -p "$DIR"

python3 - "$DIR" <<'PY'
import glob, gzip, io, os, stat, sys, tarfile

out_dir = sys.argv[1]
MIB = 1 << 20
SYSROOT = os.environ.get("RUST_SYSROOT", "")


def walk(root, keep=lambda p: True):
    """Regular files under root (no symlinks), sorted by path bytes."""
    found = []
    if not os.path.isdir(root):
        return found
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in ("__pycache__", ".git")]
        for name in filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
                continue
            if not os.access(p, os.R_OK) or not keep(p):
                continue
            found.append((p, st.st_size))
    found.sort(key=lambda e: os.fsencode(e[0]))
    return found


def head(p, n):
    try:
        with open(p, "rb") as f:
            return f.read(n)
    except OSError:
        return None


def is_text(p):
    b = head(p, 8192)
    return b is not None and b"\0" not in b


def is_elf(p):
    return head(p, 4) == b"\x7fELF"


TEXT_EXT = (".h", ".hpp", ".hh", ".c", ".cc", ".rs", ".py", ".pm", ".pl", ".pod", ".t", ".txt",
            ".md", ".html", ".css", ".js", ".toml", ".json", ".rst", ".inc", ".def", ".in", ".am")


def text_files(root, exts=None):
    return walk(root, lambda p: (exts is None or p.endswith(exts)) and is_text(p))


def dedupe(files):
    seen, out = set(), []
    for p, s in files:
        rp = os.path.realpath(p)
        if rp not in seen:
            seen.add(rp)
            out.append((p, s))
    return out


def sample(files, budget, cost):
    """Systematic sample of a sorted file list, about `budget` bytes of `cost`, spread over it."""
    total = sum(cost(s) for _, s in files)
    if total <= budget:
        return list(files)
    picked, taken, seen = [], 0, 0
    for p, s in files:
        seen += cost(s)
        if taken < budget * seen / total:
            picked.append((p, s))
            taken += cost(s)
    return picked


def allot(groups, cap, cost=lambda s: s):
    """Splits cap between groups evenly (a group smaller than its share passes the rest on) and
    samples each group; then appends every file not picked, group by group, as a reserve that
    fills what rounding left over. Returns one ordered list of (path, size)."""
    sizes = {name: sum(cost(s) for _, s in files) for name, files in groups}
    shares, left, open_ = {}, cap, [name for name, _ in groups if sizes[name] > 0]
    while open_:
        even = left / len(open_)
        small = [n for n in open_ if sizes[n] <= even]
        if not small:
            for n in open_:
                shares[n] = even
            break
        for n in small:
            shares[n] = sizes[n]
            left -= sizes[n]
            open_.remove(n)
    picked, reserve = [], []
    for name, files in groups:
        chosen = sample(files, shares.get(name, 0), cost)
        ids = {p for p, _ in chosen}
        picked += chosen
        reserve += [(p, s) for p, s in files if p not in ids]
    return picked + reserve


def make_tar(path, groups, cap):
    per_file = max(cap // 16, 64 << 10)
    cost = lambda s: min(s, per_file) + 512
    tmp = path + ".tmp"
    written, members = 0, 0
    with open(tmp, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for p, size in allot(groups, cap, cost):
                # A member costs its header block, plus GNU long-name blocks for names >= 100 bytes.
                name = p.lstrip("/")
                nlen = len(name.encode())
                overhead = 512 + (0 if nlen < 100 else 512 + (nlen + 512) // 512 * 512)
                room = cap - 1024 - written - overhead  # 1024: the end-of-archive blocks
                if room < 512:
                    if room < -2048:
                        continue  # a long name does not fit: a shorter one may
                    break
                n = min(size, per_file, room - room % 512)
                try:
                    with open(p, "rb") as f:
                        data = f.read(n)
                    mode = os.lstat(p).st_mode & 0o755
                except OSError:
                    continue
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                ti.mtime = 0
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = "root"
                ti.mode = mode
                tar.addfile(ti, io.BytesIO(data))
                written += overhead + (len(data) + 511) // 512 * 512
                members += 1
    os.replace(tmp, path)
    return members


def read_text(p, limit):
    try:
        if p.endswith(".gz"):
            with gzip.open(p, "rb") as f:
                data = f.read(limit)
        else:
            with open(p, "rb") as f:
                data = f.read(limit)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    return None if b"\0" in data[:8192] else data


def make_logs(path, groups, cap):
    per_file = max(cap // 16, 64 << 10)
    tmp, written, members = path + ".tmp", 0, 0
    with open(tmp, "wb") as out:
        # Sizes on disk are compressed sizes for .gz (about 1/4 of the text): sample for 4x the
        # cap in disk bytes, then append in order until the cap is reached.
        for p, _ in allot(groups, cap // 4, lambda s: min(s, per_file)):
            if written >= cap:
                break
            data = read_text(p, min(per_file, cap - written))
            if not data:
                continue
            if not data.endswith(b"\n") and written + len(data) < cap:
                data += b"\n"
            out.write(data)
            written += len(data)
            members += 1
    os.replace(tmp, path)
    return members


def mb(name):
    return int(float(os.environ[name]) * MIB)


py_src = []
for d in sorted(glob.glob("/usr/lib/python3*")):
    py_src += text_files(d, (".py",))
perl = []
for d in sorted(glob.glob("/usr/share/perl*")):
    perl += text_files(d, (".pm", ".pl", ".pod", ".t", ".pmc", ".ph"))
# Not ~/.cargo/registry/src: it changes whenever cargo unpacks a crate, the corpus would drift.
rust = []
if SYSROOT:
    rust += text_files(os.path.join(SYSROOT, "lib/rustlib/src"), TEXT_EXT)
    rust += text_files(os.path.join(SYSROOT, "share/doc"), TEXT_EXT)
src_groups = [
    ("include", text_files("/usr/include")),
    ("perl", perl),
    ("python", py_src),
    ("rust", rust),
]

bin_groups = [
    ("usr-bin", walk("/usr/bin", is_elf)),
    ("usr-lib", dedupe(walk("/usr/lib/x86_64-linux-gnu", is_elf))),
]

def log_like(p):
    b = os.path.basename(p).lower()
    return b.startswith(("changelog", "news", "history", "changes"))

logs_groups = [
    ("var-log", walk("/var/log", lambda p: "/journal/" not in p)),
    ("doc-changelogs", walk("/usr/share/doc", log_like)),
]

mixed_groups = [(r, walk(r)) for r in ("/etc", "/usr/bin", "/usr/include", "/usr/lib", "/usr/share")]

jobs = [
    ("src.tar", lambda p: make_tar(p, src_groups, mb("CORPUS_SRC_MB"))),
    ("bin.tar", lambda p: make_tar(p, bin_groups, mb("CORPUS_BIN_MB"))),
    ("logs.txt", lambda p: make_logs(p, logs_groups, mb("CORPUS_LOGS_MB"))),
    ("mixed.tar", lambda p: make_tar(p, mixed_groups, mb("CORPUS_MIXED_MB"))),
]
for name, make in jobs:
    n = make(os.path.join(out_dir, name))
    print(f"corpus.sh: {name}: {n} files", file=sys.stderr)
PY

cd "$DIR"
sha256sum src.tar bin.tar logs.txt mixed.tar > SHA256SUMS
printf '%-10s %12s  %s\n' file bytes sha256
while read -r sum name; do
    printf '%-10s %12d  %s\n' "$name" "$(stat -c %s "$name")" "$sum"
done < SHA256SUMS
