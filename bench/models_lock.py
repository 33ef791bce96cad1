"""Benchmark `artfarm models lock`: 3 sparse model files of 2 GB, first run vs cached second run.

    .venv/bin/python bench/models_lock.py [--size-gb 2] [--files 3] [--dir bench/out/models_lock]

Prints first-run throughput (MB/s, every byte hashed) and second-run time (target < 1 s: only
size and mtime are checked). Not a test: figures depend on the disk and the CPU.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from artfarm.rendering.modelstore import ModelStore, ProgressBar


def make_sparse(path: Path, size: int) -> None:
    """A sparse file: `size` bytes of zeros that take no disk space (the hash still reads them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)
        fh.seek(size // 2)
        fh.write(path.name.encode())  # distinct content per file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("bench/out/models_lock"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    store = ModelStore(args.dir / "models")
    store.ensure_folders()
    size = int(args.size_gb * 1e9)
    for i in range(args.files):
        make_sparse(store.root / "checkpoints" / f"model_{i}.safetensors", size)
    refs = store.files()
    total_mb = size * len(refs) / 1e6

    started = time.perf_counter()
    store.hashes(refs, ProgressBar())
    first = time.perf_counter() - started

    started = time.perf_counter()
    store.hashes(refs)
    second = time.perf_counter() - started

    print(f"files: {len(refs)} × {args.size_gb:g} GB (sparse)")
    print(f"first run:  {first:.2f} s, {total_mb / first:.0f} MB/s")
    print(
        f"second run: {second * 1000:.1f} ms (target < 1000 ms) — {'OK' if second < 1 else 'SLOW'}"
    )
    shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
