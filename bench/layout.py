"""Benchmark the layout step: 32 pages of noisy 3072×4096 art → print and web PDFs.

Prints wall time, peak RSS and PDF sizes against the targets of issues 6 and 15 (2 cores):
print ≤ 10 s, ≤ 1.5 GB RSS, PDF ≤ 1.05 × the sum of the JPEG art; web ≤ 15 MB. Beside it, in
the same run, the same interior compiled directly by Typst with the real art (the way before
issue 15: Typst decodes every image) for comparison. Art conversion (PNG → JPEG, one
Snakemake job per page) is timed separately.

    .venv/bin/python bench/layout.py [--pages 32] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from PIL import Image, ImageChops

WIDTH, HEIGHT = 3072, 4096


def noisy_art(path: Path, seed: int) -> None:
    """Soft colour fields plus grain: as hard to compress as painted, upscaled illustration."""
    rng = random.Random(seed)
    small = Image.new("RGB", (WIDTH // 64, HEIGHT // 64))
    small.putdata(
        [tuple(rng.randrange(256) for _ in range(3)) for _ in range(small.width * small.height)]
    )
    base = small.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
    grain = Image.merge("RGB", [Image.effect_noise((WIDTH, HEIGHT), 9 + c) for c in range(3)])
    noisy = ImageChops.add(base, grain, scale=1.0, offset=-128)
    path.parent.mkdir(parents=True, exist_ok=True)
    noisy.save(path, compress_level=1)


def make_book(root: Path, pages: int) -> None:
    for n in range(1, pages + 1):
        noisy_art(root / f"pages/{n:04d}/print/print.png", n)
    spec = {
        "title": "Benchmark Bear",
        "author": "bench/layout.py",
        "pages": [
            {"page": n, "text": f"Page {n}: Bear walked a little further."}
            for n in range(1, pages + 1)
        ],
        "cover": {"art": 1, "back_art": 2, "back_text": "Thirty-two noisy pages."},
    }
    (root / "layout").mkdir(parents=True, exist_ok=True)
    (root / "layout/book.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


DIRECT = """
import sys
from pathlib import Path
from artfarm.layout.art import PRINT
from artfarm.layout.interior import interior_data, prepare_pages
from artfarm.layout.job import open_job
from artfarm.layout.render import compile_template
job = open_job(sys.argv[1])
arts, _ = prepare_pages(job, PRINT)
data = interior_data(job, arts, PRINT, bleed=True)
del arts
compile_template("interior.typ", data, job.fonts, job.spec_file, job.field_of, output=Path(sys.argv[2]))
"""


COVER_DIRECT = """
import sys
from pathlib import Path
from artfarm.layout.art import PRINT
from artfarm.layout.cover import cover_data
from artfarm.layout.job import open_job
from artfarm.layout.preflight import Report
from artfarm.layout.render import compile_template
job = open_job(sys.argv[1])
data = cover_data(job, PRINT, Report("bench"))
compile_template("cover.typ", data, job.fonts, job.spec_file, output=Path(sys.argv[2]))
"""


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024 / 1024


def run_one(cmd: list[str]) -> tuple[float, float]:
    """Each measured step in its own interpreter, so RSS peaks do not mix."""
    wrapper = [sys.executable, __file__, "--measure", "--", *cmd]
    out = subprocess.run(wrapper, check=True, capture_output=True, text=True).stdout.split()
    return float(out[-2]), float(out[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=32)
    parser.add_argument("--keep", type=Path, help="build the book here and keep it")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("cmd", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        wall, rss = timed(args.cmd)
        print(f"{wall:.3f} {rss:.3f}")
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="artfarm-bench-"))
    root = base / "books" / "bench"
    t0 = time.perf_counter()
    make_book(root, args.pages)
    print(
        f"generated {args.pages} noisy {WIDTH}×{HEIGHT} PNGs in {time.perf_counter() - t0:.1f} s ({root})"
    )
    cli = [sys.executable, "-m", "artfarm", "layout", str(root)]
    start = time.perf_counter()
    for n in range(1, args.pages + 1):
        subprocess.run([*cli, "art", "--page", str(n)], check=True, stdout=subprocess.DEVNULL)
    convert = time.perf_counter() - start
    print(
        f"art PNG→JPEG q95 4:4:4: {convert:.1f} s total, {convert / args.pages:.2f} s per page (parallel jobs in Snakemake)"
    )
    jpeg_sum = sum(p.stat().st_size for p in (root / "exports/print").glob("[0-9]*.jpg"))
    wall, rss = run_one([*cli, "pages"])
    pdf = (root / "layout/pages.pdf").stat().st_size
    ok = lambda good: "OK" if good else "MISSED"  # noqa: E731
    print(
        f"print pages.pdf: {wall:.1f} s [{ok(wall <= 10)} ≤ 10 s], peak RSS {rss:.2f} GB [{ok(rss <= 1.5)} ≤ 1.5 GB]"
    )
    print(
        f"  PDF {pdf / 1e6:.1f} MB vs JPEG art {jpeg_sum / 1e6:.1f} MB = {pdf / jpeg_sum:.3f}× [{ok(pdf <= 1.05 * jpeg_sum)} ≤ 1.05×]"
    )
    direct = base / "direct.pdf"
    d_wall, d_rss = run_one([sys.executable, "-c", DIRECT, str(root), str(direct)])
    print(
        f"  beside it, Typst placing the real art (before issue 15): {d_wall:.1f} s, "
        f"peak RSS {d_rss:.2f} GB, PDF {direct.stat().st_size / 1e6:.1f} MB"
    )
    direct.unlink()
    wall, rss = run_one([*cli, "web"])
    web = (root / "exports/web/book.pdf").stat().st_size
    print(
        f"web book.pdf + PNGs: {wall:.1f} s, peak RSS {rss:.2f} GB, PDF {web / 1e6:.1f} MB [{ok(web <= 15e6)} ≤ 15 MB]"
    )
    wall, rss = run_one([*cli, "cover"])
    print(
        f"cover.pdf: {wall:.1f} s, peak RSS {rss:.2f} GB, {(root / 'layout/cover.pdf').stat().st_size / 1e6:.1f} MB"
    )
    direct = base / "direct-cover.pdf"
    d_wall, d_rss = run_one([sys.executable, "-c", COVER_DIRECT, str(root), str(direct)])
    print(
        f"  beside it, Typst placing the cover's two real images: {d_wall:.1f} s, "
        f"peak RSS {d_rss:.2f} GB, PDF {direct.stat().st_size / 1e6:.1f} MB"
    )
    direct.unlink()


if __name__ == "__main__":
    main()
