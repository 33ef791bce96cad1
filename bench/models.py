"""Model loads per book build: issue 15's first benchmark (prints figures; not a test).

A whole book (default 32 pages) built the way an agent builds it: `snakemake` to the draft
gate, `artfarm review all draft --auto`, `snakemake` to the refine gate, `artfarm review all
refine --auto` and, on every second page, an inpaint fix (so final jobs on the final model and
print jobs on the upscaler meet in one run), then `snakemake` to every page's print art.
The book pins three model tiers: draft checkpoint, final checkpoint (refine, inpaint, print's
low-denoise pass) and a 2× upscaler (print). Each sketch server pays `--load-seconds` for every
loader whose result is not in its cache (ComfyUI's rules: artfarm/sketch/model_cache.py) and
counts the loads; the same build runs side by side under
  * Snakemake's own job order (`ARTFARM_TIER_ORDER=off`) and the default cache,
  * the shipped default: the tier order (rule priorities, artfarm/pipeline/tiers.py) and the
    server launched as `comfyui.cache_lru`'s default says (0: ComfyUI's default cache),
  * Snakemake's own order with the server launched `--cache-lru 64`,
  * the shipped default on 2 servers (leases prefer the server holding a job's models).
Target: at most one load per model tier per server. Job seconds are scaled down (1 step ×
--step-seconds, --load-seconds a load) so the whole bench runs in minutes on 2 cores.

    .venv/bin/python bench/models.py [--pages 32] [--load-seconds 0.5] [--step-seconds 0.02]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from sketch_procs import sketch_servers, stats

from artfarm.documents.settings import ComfyInstall

REPO = Path(__file__).resolve().parents[1]
BOOK_ID = "models_01"
UPSCALER = "2x_bench_upscaler.pth"
CAST = [["bear"], ["fox"], ["bear", "fox"]]
TIERS = 3  # draft checkpoint, final checkpoint, upscaler


@dataclass(frozen=True)
class Setup:
    label: str
    servers: int
    order: bool
    lru: int


SHIPPED_LRU = ComfyInstall().cache_lru  # config's comfyui.cache_lru default
SHIPPED = f"cache_lru {SHIPPED_LRU}" + (" (ComfyUI's default cache)" if not SHIPPED_LRU else "")
SETUPS = [
    Setup("snakemake order, default cache", 1, False, 0),
    Setup(f"shipped default: tier order, {SHIPPED}", 1, True, SHIPPED_LRU),
    Setup("snakemake order, --cache-lru 64", 1, False, 64),
    Setup(f"tier order, {SHIPPED}, 2 servers", 2, True, SHIPPED_LRU),
]


def bookmaker():
    """tests/bookmaker.py: the same small, valid books the pipeline tests use."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module("tests.bookmaker")


def make_project(root: Path, pages: int) -> Path:
    """A project with one `pages`-page book pinning draft, final and upscaler models."""
    maker = bookmaker()
    maker.make_project(root, BOOK_ID)
    book = root / "books" / BOOK_ID
    config = yaml.safe_load((book / "book_config.yaml").read_text())
    config["models"]["upscaler"] = UPSCALER
    maker.write_yaml(book / "book_config.yaml", config)
    for page_dir in (book / "pages").iterdir():
        shutil.rmtree(page_dir)
    for page in range(1, pages + 1):
        maker.write_spec(book, page, maker.spec_for(BOOK_ID, page, CAST[(page - 1) % 3]))
    maker.write_yaml(
        book / "layout" / "book.yaml", maker.layout_for(dict.fromkeys(range(1, pages + 1)))
    )
    maker.lock_placeholder_models(root, book)
    return root


def run(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode not in ok:
        raise SystemExit(
            f"failed ({proc.returncode}): {' '.join(cmd[:8])} …\n{proc.stderr[-3000:]}"
        )
    return proc.stdout


def review(root: Path, env: dict[str, str], *args: str) -> None:
    run([sys.executable, "-m", "artfarm", "review", f"books/{BOOK_ID}", *args], root, env)


def add_fixes(root: Path, env: dict[str, str], pages: int) -> None:
    """Every second page: keep the scripted pick, add one inpaint fix."""
    book = root / "books" / BOOK_ID
    for page in range(2, pages + 1, 2):
        picked = json.loads((book / "pages" / f"{page:04d}" / "review.json").read_text())
        final = picked["refine"]["final"]
        review(root, env, str(page), "refine", "--final", final, "--reject-rest", "weaker",
               "--fix-box", "8", "8", "40", "40", "a paw with four toes",
               "--rationale", "scripted fix")  # fmt: skip


def build(root: Path, setup: Setup, args: argparse.Namespace) -> dict:
    """The whole book through three Snakemake runs and two scripted reviews; the figures."""
    env = {**os.environ, "ARTFARM_CONFIG": str(root / "config" / "config.yaml"),
           "ARTFARM_TIER_ORDER": "on" if setup.order else "off"}  # fmt: skip
    targets = [
        f"books/{BOOK_ID}/pages/{p:04d}/print/manifest.json" for p in range(1, args.pages + 1)
    ]
    slots = 2 * setup.servers
    snakemake = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(root),
                 *targets, "--cores", str(max(2, slots)), "--resources", f"gpu={slots}"]  # fmt: skip
    with sketch_servers(
        root, root / "models", [args.step_seconds] * setup.servers,
        load_seconds=args.load_seconds, cache_lru=setup.lru,
    ) as procs:  # fmt: skip
        urls = [p.url for p in procs]
        config = yaml.safe_load((root / "config" / "config.yaml").read_text())
        config["servers"] = urls
        (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
        began = time.perf_counter()
        run(snakemake, root, env, ok=(0, 75))
        review(root, env, "all", "draft", "--auto")
        run(snakemake, root, env, ok=(0, 75))
        review(root, env, "all", "refine", "--auto")
        add_fixes(root, env, args.pages)
        run(snakemake, root, env)
        wall = time.perf_counter() - began
        per_server = [stats(url) for url in urls]
    return {"setup": setup, "wall": wall, "servers": per_server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=32)
    parser.add_argument("--load-seconds", type=float, default=0.5, help="simulated model load")
    parser.add_argument("--step-seconds", type=float, default=0.02, help="simulated GPU per step")
    args = parser.parse_args()
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="models_bench_") as tmp:
        template = make_project(Path(tmp) / "template", args.pages)
        for i, setup in enumerate(SETUPS):
            print(f"building the book: {setup.label} …", flush=True)
            root = Path(tmp) / f"run{i}"
            shutil.copytree(template, root, symlinks=True)
            results.append(build(root, setup, args))
            servers = results[-1]["servers"]
            print(f"  {results[-1]['wall']:.0f} s, loads per server: "
                  f"{[s['model_loads'] for s in servers]}", flush=True)  # fmt: skip
    print()
    print(f"Model loads per book build — {args.pages} pages, all stages, scripted reviews "
          f"(inpaint fix on every 2nd page), {TIERS} model tiers; load {args.load_seconds} s, "
          f"step {args.step_seconds} s (scaled down)")  # fmt: skip
    rows = [("setup", "loads", "worst model×server", "load time paid", "wall", "target ≤ 1")]
    for r in results:
        servers = r["servers"]
        total = sum(s["loads_total"] for s in servers)
        worst = max((n for s in servers for n in s["model_loads"].values()), default=0)
        paid = total * args.load_seconds
        rows.append((r["setup"].label, str(total), str(worst), f"{paid:.1f} s",
                     f"{r['wall']:.1f} s", "meets" if worst <= 1 else "misses"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip
    print()
    for r in results:
        for n, s in enumerate(r["servers"], start=1):
            loads = ", ".join(f"{k.split(':', 1)[1]} ×{v}" for k, v in s["model_loads"].items())
            print(f"  {r['setup'].label}, server {n}: {s['prompts_accepted']} prompts; {loads}")
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s; load average at the end "
          f"{load} (1 / 5 / 15 min) on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
