#!/usr/bin/env python3
"""Encode throughput of sigmalang.dask.encode on a LocalCluster against `sigma encode -T2`.

    target/pyenv/bin/python scripts/dask_bench.py [--input FILE] [--size 2G] [--rounds 3]

Builds the input when it is missing: a tar of /usr (real binaries, libraries and text) cut to
--size bytes, in /tmp (never in the repository). Runs --rounds interleaved rounds of the following,
each after a read of the input (so every run starts with it in the page cache):

    cli-T2   sigma encode -T2 -f -l LEVEL -o OUT INPUT       (the one-machine baseline)
    cli-T1   sigma encode -T1 -f -l LEVEL -o OUT INPUT
    dask-1w  sigmalang.dask.encode(INPUT, OUT, client, level=LEVEL)
             on LocalCluster(n_workers=1, threads_per_worker=1, processes=True)
    dask-2w  the same on LocalCluster(n_workers=2, threads_per_worker=1, processes=True)

timing the wall clock of each encode (a cluster is started before its encode and closed after it;
its start is not timed but printed), checking every output, byte for byte, against a first
(untimed) `sigma encode -T2`, and printing the median MB/s (10^6 bytes of input per second) of
each and the ratio dask-2w / cli-T2 (target >= 0.90). --json FILE writes every timing.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Quiet clusters: the workers of a cluster being closed may log a lost heartbeat; only errors.
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")


def parse_size(s: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper().rstrip("IB")
    return int(float(s[:-1]) * units[s[-1]]) if s and s[-1] in units else int(s)


def build_input(path: Path, size: int) -> None:
    """A tar of /usr cut to `size` bytes (sorted names, so the same machine gives the same file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    print(f"building {path} ({size} bytes) from a tar of /usr ...", flush=True)
    with open(tmp, "wb") as out:
        tar = subprocess.Popen(
            ["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-cf", "-", "/usr"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        left = size
        assert tar.stdout is not None
        while left > 0:
            b = tar.stdout.read(min(left, 8 << 20))
            if not b:
                break
            out.write(b)
            left -= len(b)
        tar.kill()
        tar.wait()
    if left > 0:
        sys.exit(f"/usr gave only {size - left} bytes; ask for a smaller --size")
    os.replace(tmp, path)


def warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(64 << 20):
            pass


def run_cli(sigma: str, threads: int, level: int, src: Path, out: Path) -> float:
    cmd = [sigma, "encode", f"-T{threads}", "-f", "-l", str(level), "-o", str(out), str(src)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def run_dask(
    workers: int, level: int, src: Path, out: Path, parts: int | None, threads: int = 1
) -> tuple[float, float, int]:
    import distributed

    import sigmalang.dask as sd

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    # every worker imports sigmalang before the clock starts, as on a running cluster
    client.run(lambda: __import__("sigmalang.dask") and None)
    start = time.perf_counter() - t0
    try:
        t = time.perf_counter()
        stats = sd.encode(
            str(src), str(out), client=client, level=level, parts=parts, threads=threads
        )
        wall = time.perf_counter() - t
    finally:
        client.close()
        cluster.close()
    return wall, start, int(stats["parts"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=Path("/tmp/sigma-dask-bench/usr.tar"))
    ap.add_argument("--size", default="2G", help="size of the input built when missing")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--level", type=int, default=3)
    ap.add_argument("--parts", type=int, default=None, help="parts for dask (default: its own)")
    ap.add_argument(
        "--task-threads",
        type=int,
        default=1,
        help="codec threads per dask task (sigmalang.dask.encode's threads=)",
    )
    ap.add_argument("--sigma", default=str(ROOT / "target" / "release" / "sigma"))
    ap.add_argument("--out-dir", type=Path, default=Path("/tmp/sigma-dask-bench"))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--only", default="cli-T2,cli-T1,dask-1w,dask-2w")
    args = ap.parse_args()

    if not os.access(args.sigma, os.X_OK):
        sys.exit(f"{args.sigma} missing: cargo build --release --locked")
    if not args.input.exists():
        build_input(args.input, parse_size(args.size))
    size = args.input.stat().st_size
    args.out_dir.mkdir(parents=True, exist_ok=True)
    warm(args.input)
    ref = args.out_dir / "ref.sigma"
    only = args.only.split(",")
    run_cli(args.sigma, 2, args.level, args.input, ref)  # the reference bytes (untimed)
    print(
        f"input {args.input}: {size} bytes; {os.cpu_count()} CPUs; level {args.level}; "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    times: dict[str, list[float]] = {k: [] for k in only}
    for r in range(args.rounds):
        for name in only:
            out = args.out_dir / f"{name}.sigma"
            warm(args.input)  # each run starts with the input in the page cache
            if name.startswith("cli-T"):
                wall = run_cli(args.sigma, int(name[5:]), args.level, args.input, out)
                note = ""
            else:
                wall, start, parts = run_dask(
                    int(name[5:-1]), args.level, args.input, out, args.parts, args.task_threads
                )
                note = f"  (cluster start {start:.1f}s, {parts} parts)"
            if not filecmp.cmp(out, ref, shallow=False):
                sys.exit(f"{name}: output differs from `sigma encode -T2`")
            note += "  identical to the CLI's output"
            out.unlink()
            times[name].append(wall)
            print(
                f"round {r + 1} {name:8s} {wall:7.2f} s  {size / wall / 1e6:7.1f} MB/s{note}",
                flush=True,
            )
        print(f"  (load average after round {r + 1}: {os.getloadavg()[0]:.2f})", flush=True)

    print("\nmedian of", args.rounds, "rounds:")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"  {k:8s} {v:7.2f} s  {size / v / 1e6:7.1f} MB/s")
    if "dask-2w" in med and "cli-T2" in med:
        ratio = med["cli-T2"] / med["dask-2w"]
        print(
            f"  dask-2w / cli-T2 throughput: {ratio:.3f} (target >= 0.90: "
            f"{'met' if ratio >= 0.90 else 'NOT met'})"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"input": str(args.input), "bytes": size, "level": args.level, "times": times},
                indent=1,
            )
        )
    ref.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
