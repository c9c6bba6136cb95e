"""Benchmark: S3 server access logs → Arrow (parse_s3access), and `vigil ingest` of them.

Generates records from a few request templates varied with numpy (times, addresses, request
IDs, keys, sizes) into objects named as AWS's partitioned layout names them, in a temporary
directory. Measures (a) parse_s3access over every object in a child process, one thread and
two (as ingest's two workers), and (b) `vigil ingest --type s3access` when the command
accepts that type. Prints records/s and peak RSS.

    python benchmarks/ingest_s3access.py [--records 10000000] [--per-file 500000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common import machine

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
REQUESTERS = [OWNER, "arn:aws:iam::123456789012:user/alice", "-", "svc:logging.s3.amazonaws.com"]
# operation, key, request-uri, user-agent
TEMPLATES = [
    ("REST.GET.OBJECT", "photos/2024/cat%20{n}.jpg", '"GET /photos/2024/cat%20{n}.jpg HTTP/1.1"'),
    ("REST.PUT.OBJECT", "uploads/report-{n}.pdf", '"PUT /uploads/report-{n}.pdf HTTP/1.1"'),
    ("REST.HEAD.OBJECT", "data/part-{n}.parquet", '"HEAD /data/part-{n}.parquet HTTP/1.1"'),
    ("REST.GET.BUCKET", "-", '"GET /?list-type=2&prefix=logs%2F HTTP/1.1"'),
    ("BATCH.DELETE.OBJECT", "tmp/{n}.txt", "-"),
    ("S3.EXPIRE.OBJECT", "old/{n}.gz", "-"),
]
AGENTS = ['"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64"', '"S3Console/0.4"', '"-"']
TAIL = (
    "- Q2xhc3NpY0hvc3RJZEV4YW1wbGVGb3JWaWdpbA== SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader "
    "amzn-s3-demo-bucket1.s3.us-east-1.amazonaws.com TLSv1.2 - - us-east-1"
)


def _hex(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    digits = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)[rng.integers(0, 16, (n, width))]
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(digits.tobytes())])


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def records(rng: np.random.Generator, n: int, day: np.datetime64) -> bytes:
    """`n` records of one day, as one object's bytes."""
    which = rng.integers(0, len(TEMPLATES), n)
    number = _text(rng.integers(0, 100_000, n))
    sec = np.sort(rng.integers(0, 86_400, n)) + day.astype("datetime64[s]").astype(np.int64)
    times = pc.strftime(pa.array(sec, pa.timestamp("s")), format="[%d/%b/%Y:%H:%M:%S +0000]")
    octets = [_text(rng.integers(1, 255, n)) for _ in range(4)]
    ip = pc.binary_join_element_wise(*octets, ".")
    op, key, uri = (pa.array([t[i] for t in TEMPLATES]).take(pa.array(which)) for i in range(3))
    key = pc.replace_substring(key, "{n}", "")
    key = pc.binary_join_element_wise(key, number, "")  # a varied key: "photos/…jpg123"
    uri = pc.replace_substring(uri, "{n}", "x")
    status = pa.array(np.array(["200", "200", "200", "404", "403", "204"])[which])
    size = _text(rng.integers(0, 10_000_000, n))
    total, turn = _text(rng.integers(1, 5000, n)), _text(rng.integers(1, 100, n))
    requester = pa.array(REQUESTERS).take(pa.array(rng.integers(0, len(REQUESTERS), n)))
    agent = pa.array(AGENTS).take(pa.array(rng.integers(0, len(AGENTS), n)))
    lines = pc.binary_join_element_wise(
        OWNER, "amzn-s3-demo-bucket1", times, ip, requester, _hex(rng, n, 16), op, key, uri,
        status, "-", size, size, total, turn, '"-"', agent, TAIL, "",  # "": the newline
        " ",
    )  # fmt: skip
    lines = pc.replace_substring_regex(lines, " $", "\n")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    body: bytes = lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]
    return body


def generate(root: Path, total: int, per_file: int) -> list[Path]:
    rng = np.random.default_rng(7)
    files = []
    start = np.datetime64("2026-11-02")
    for i, first in enumerate(range(0, total, per_file)):
        day = start + np.timedelta64(i // 4, "D")
        ymd = str(day)
        y, m, d = ymd.split("-")
        unique = "".join(rng.choice(list("0123456789ABCDEF"), 16))
        path = root / "logs/123456789012/us-east-1/amzn-s3-demo-bucket1" / y / m / d
        path.mkdir(parents=True, exist_ok=True)
        out = path / f"{ymd}-00-00-00-{unique}"
        out.write_bytes(records(rng, min(per_file, total - first), day))
        files.append(out)
    return files


def parse_only(root: Path, threads: int) -> None:
    """Child mode: parse every object, print records and seconds as JSON."""
    from vigil.formats.s3_access import parse_s3access

    files = sorted(p for p in root.rglob("*") if p.is_file())

    def one(path: Path) -> int:
        result = parse_s3access(path.read_bytes(), str(path))
        assert not result.rejects, result.rejects[:3]
        return int(result.table.num_rows)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        rows = sum(pool.map(one, files))
    print(json.dumps({"records": rows, "seconds": time.perf_counter() - began}))


def child(args: list[str]) -> tuple[dict[str, float], int]:
    """Run a child; its JSON and its peak RSS (each child is measured alone)."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return json.loads(done.stdout.strip().splitlines()[-1]), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--per-file", type=int, default=500_000)
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        parse_only(args.parse_only, args.threads)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "objects"
        began = time.perf_counter()
        files = generate(root, args.records, args.per_file)
        size = sum(f.stat().st_size for f in files)
        print(f"generated {args.records:,} records in {len(files)} objects "
              f"({size / 1e6:,.0f} MB) in {time.perf_counter() - began:.1f} s")  # fmt: skip
        print(f"\nS3 access logs — {machine()}")
        for threads in (1, 2):
            out, peak = child([__file__, "--parse-only", str(root), "--threads", str(threads)])
            rate = out["records"] / out["seconds"]
            print(f"  parse_s3access, {threads} thread(s): {rate:>12,.0f} records/s   "
                  f"{out['seconds']:.2f} s, peak RSS so far {peak / 2**20:,.0f} MiB")  # fmt: skip
        ingest(root, args.records, Path(tmp) / "home")


def ingest(root: Path, total: int, home: Path) -> None:
    vigil = Path(sys.executable).parent / "vigil"
    wide = {**os.environ, "COLUMNS": "400"}  # the help's choices wrap at narrow widths
    helptext = subprocess.run(
        [vigil, "ingest", "--help"], capture_output=True, text=True, env=wide
    ).stdout
    if "s3access" not in helptext:
        print("  vigil ingest: --type s3access is not accepted yet; skipped")
        return
    began = time.perf_counter()
    cmd = [str(vigil), "--home", str(home), "ingest", str(root), "--type", "s3access", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(f"  vigil ingest (wall, incl. start-up): {total / seconds:>12,.0f} records/s   "
          f"{seconds:.2f} s, peak RSS so far {peak / 2**20:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
