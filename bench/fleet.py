"""A fleet of servers: issue 15's second benchmark (prints figures; not a test).

A 64-page book's draft stage (one GPU job a page) through real Snakemake against 1, 2 and 4
sketch servers (separate processes), the last of several half as fast (twice the seconds a
step), side by side in one run:
  * wall time against the ideal: all pages' GPU work (the 1-server run's execution time)
    divided over the servers' speeds (1, 1.5, 3.5) — end to end (Snakemake's start-up
    included) and over the render span (first job start → last job end);
  * speed-up over 1 server against the ideal speed-up; target ≥ 0.95 of it;
  * beside the ideal, the best schedule whole jobs allow (the discrete bound: the smallest T
    with Σ floor(T / a job's time on server i) ≥ pages, from each server's measured per-job
    time), and Snakemake's own fixed cost of a real run (a one-rule Snakefile whose one job
    sleeps one job's GPU time, wall − sleep) measured in the same run: a miss splits into what
    whole jobs cost (bound − ideal), our schedule within the span (span − bound), Snakemake's
    start and end, and the rest of ours (wall − span − Snakemake's cost);
  * a server killed (SIGKILL) a quarter of the way through, 4 servers: its jobs finish on the
    others — prompts per server, pages executed twice (target 0), pages rendered.
GPU time is scaled down (8 steps × --step-seconds a job: 2 s at full speed) so the bench takes
about five minutes on a quiet 2-core machine. Shorter jobs measure the 2 cores more than the
fleet: each job process costs CPU (start, imports, compile, client) and the sketch servers draw
on the same cores, so the bench prints the CPU of both beside the headline, and the bound a GPU
box would have (its rendering is off-CPU): max(ideal, jobs' CPU / cores);
the client's retry window is 3 s (config `client.retry_seconds`, 60 s by default) so a dead
server's jobs move on quickly.

    .venv/bin/python bench/fleet.py [--pages 64] [--step-seconds 0.25]
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from bytecode import compile_package
from sketch_procs import Proc, executions, sketch_servers, stats

REPO = Path(__file__).resolve().parents[1]
BOOK_ID = "fleet_01"
STEPS = 8  # style_packs/watercolor_whimsy_v1: tiers.draft.steps
CAST = [["bear"], ["fox"], ["bear", "fox"]]
TARGET = 0.95


@dataclass
class Result:
    label: str
    speeds: list[float]
    wall: float = 0.0
    runs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # url → executions
    accepted: dict[str, int] = field(default_factory=dict)
    killed: str | None = None
    pages_done: int = 0
    moved: int = 0
    jobs_cpu: float = 0.0  # Snakemake and every job process it ran (user + system seconds)
    servers_cpu: float = 0.0  # the sketch servers (drawing: a real GPU box renders off-CPU)

    @property
    def busy(self) -> float:
        """GPU work in full-speed seconds (a half-speed server's time counts half)."""
        total = 0.0
        for speed, runs in zip(self.speeds, self.runs.values(), strict=True):
            total += speed * sum(end - start for start, end in runs)
        return total

    @property
    def span(self) -> float:
        every = [r for runs in self.runs.values() for r in runs]
        return max(e for _, e in every) - min(s for s, _ in every)

    @property
    def executed(self) -> int:
        return sum(len(r) for r in self.runs.values())

    def job_times(self, one_job: float) -> list[float]:
        """Each server's mean execution time a job (one that ran none: `one_job` / its speed)."""
        return [
            statistics.fmean(e - s for s, e in runs) if runs else one_job / speed
            for speed, runs in zip(self.speeds, self.runs.values(), strict=True)
        ]


def whole_job_bound(times: list[float], pages: int) -> tuple[float, list[int]]:
    """The best schedule whole jobs allow: the smallest T with Σ floor(T / tᵢ) ≥ pages (every
    server busy from 0, no job split), and the jobs each server can finish by then."""
    candidates = sorted({k * t for t in times for k in range(1, pages + 1)})
    for end in candidates:
        fits = [math.floor(end / t + 1e-9) for t in times]
        if sum(fits) >= pages:
            return end, fits
    raise ValueError("no schedule")  # unreachable: k = pages on any server fits


def snakemake_fixed_cost(root: Path, job_seconds: float, repeats: int = 3) -> float:
    """Snakemake's own fixed cost of a real run: a one-rule Snakefile whose one job sleeps
    `job_seconds` (one job's GPU time), wall − sleep, the median of `repeats` runs. No pipeline
    run by Snakemake can start and end in less."""
    root.mkdir(parents=True)
    rule = f'rule all:\n    output:\n        "x.txt"\n    shell:\n        "sleep {job_seconds:.3f}; touch {{output}}"\n'
    (root / "Snakefile").write_text(rule)
    walls = []
    for _ in range(repeats):
        (root / "x.txt").unlink(missing_ok=True)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=root, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)  # fmt: skip
        walls.append(time.perf_counter() - began)
    return statistics.median(walls) - job_seconds


def bookmaker():
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module("tests.bookmaker")


def make_project(root: Path, pages: int) -> Path:
    maker = bookmaker()
    maker.make_project(root, BOOK_ID)
    book = root / "books" / BOOK_ID
    for page_dir in (book / "pages").iterdir():
        shutil.rmtree(page_dir)
    for page in range(1, pages + 1):
        spec = maker.spec_for(BOOK_ID, page, CAST[(page - 1) % 3])
        spec["candidates"] = 1
        maker.write_spec(book, page, spec)
    maker.write_yaml(
        book / "layout" / "book.yaml", maker.layout_for(dict.fromkeys(range(1, pages + 1)))
    )
    maker.lock_placeholder_models(root, book)
    return root


def snakemake(root: Path, pages: int, servers: int) -> subprocess.Popen:
    targets = [f"books/{BOOK_ID}/pages/{p:04d}/draft/manifest.json" for p in range(1, pages + 1)]
    env = {**os.environ, "ARTFARM_CONFIG": str(root / "config" / "config.yaml")}
    slots = 2 * servers
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(root),
           *targets, "--cores", str(slots), "--resources", f"gpu={slots}"]  # fmt: skip
    return subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def point_at(root: Path, procs: list[Proc]) -> None:
    path = root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["servers"] = [p.url for p in procs]
    config["client"] = {"retry_seconds": 3}
    path.write_text(yaml.safe_dump(config))


def children_cpu() -> float:
    """CPU seconds of this process's reaped children and theirs (Snakemake and its jobs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def kill_when(procs: list[Proc], victim: Proc, done: int, sm: subprocess.Popen) -> list:
    """Kill `victim` once `done` prompts succeeded fleet-wide; its executions until then."""
    while sm.poll() is None:
        if sum(len(executions(p.url)) for p in procs) >= done:
            before = executions(victim.url)
            victim.kill()
            return before
        time.sleep(0.2)
    raise SystemExit("the book finished before the kill")


def book(tmp: Path, template: Path, label: str, speeds: list[float], args, kill: bool) -> Result:
    root = tmp / label.replace(" ", "_")
    shutil.copytree(template, root, symlinks=True)
    result = Result(label, speeds)
    steps = [args.step_seconds / s for s in speeds]
    with sketch_servers(root, root / "models", steps) as procs:
        point_at(root, procs)
        servers_before = sum(p.cpu_seconds() for p in procs)
        children_before = children_cpu()
        began = time.perf_counter()
        sm = snakemake(root, args.pages, len(procs))
        victim_runs = kill_when(procs, procs[0], args.pages // 4, sm) if kill else None
        out, _ = sm.communicate(timeout=3600)
        result.wall = time.perf_counter() - began
        result.jobs_cpu = children_cpu() - children_before  # Snakemake reaps its jobs
        if not kill:
            result.servers_cpu = sum(p.cpu_seconds() for p in procs) - servers_before
        if sm.returncode != 0:
            raise SystemExit(f"{label}: snakemake failed\n{out[-3000:]}")
        for proc in procs:
            alive = proc.popen.poll() is None
            result.runs[proc.url] = executions(proc.url) if alive else victim_runs or []
            result.accepted[proc.url] = stats(proc.url)["prompts_accepted"] if alive else -1
        result.killed = procs[0].url if kill else None
    pages = root / "books" / BOOK_ID / "pages"
    result.pages_done = sum(1 for p in pages.glob("*/draft/manifest.json"))
    result.moved = sum(
        (p / "logs" / "draft.log").read_text().count("moving to another server")
        for p in pages.iterdir()
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=64)
    parser.add_argument("--step-seconds", type=float, default=0.25, help="full-speed GPU per step")
    args = parser.parse_args()
    started = time.perf_counter()
    print(compile_package(), flush=True)
    fleets = [("1 server", [1.0]), ("2 servers", [1.0, 0.5]), ("4 servers", [1.0, 1, 1, 0.5])]
    with tempfile.TemporaryDirectory(prefix="fleet_bench_") as tmp:
        template = make_project(Path(tmp) / "template", args.pages)
        one_job = STEPS * args.step_seconds
        print(f"Snakemake's fixed cost: one rule, one job sleeping {one_job:g} s …", flush=True)
        args.snakemake_cost = snakemake_fixed_cost(Path(tmp) / "one_rule", one_job)
        results = []
        for label, speeds in fleets:
            print(f"{args.pages} drafts on {label} (speeds {speeds}) …", flush=True)
            results.append(book(Path(tmp), template, label, speeds, args, kill=False))
        print("4 servers, the first killed a quarter of the way …", flush=True)
        killed = book(Path(tmp), template, "4 servers, 1 killed", [1.0, 1, 1, 0.5], args, True)
    report(results, killed, args)
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s; load average at the end "
          f"{load} (1 / 5 / 15 min) on {os.cpu_count()} cores")  # fmt: skip


def report(results: list[Result], killed: Result, args: argparse.Namespace) -> None:
    work = results[0].busy  # all pages' GPU work at full speed
    one = results[0]
    print(f"\nFleet — {args.pages} pages' drafts, {STEPS} steps × {args.step_seconds} s a job at "
          f"full speed (scaled down), half-speed server = 2× the step time, 2 slots a server, "
          f"2 cores; GPU work {work:.1f} s")  # fmt: skip
    rows = [("", *(r.label for r in results))]
    rows.append(("speeds (sum)", *(f"{sum(r.speeds):g}" for r in results)))
    rows.append(("wall time, end to end", *(f"{r.wall:.1f} s" for r in results)))
    rows.append(("ideal (work / speeds)", *(f"{work / sum(r.speeds):.1f} s" for r in results)))
    rows.append(("ideal / wall", *(f"{work / sum(r.speeds) / r.wall:.3f}" for r in results)))
    rows.append(("render span", *(f"{r.span:.1f} s" for r in results)))
    rows.append(("ideal / span", *(f"{work / sum(r.speeds) / r.span:.3f}" for r in results)))
    rows.append(("speed-up (wall) / ideal speed-up",
                 *(f"{one.wall / r.wall:.2f} / {sum(r.speeds):g} = "
                   f"{one.wall / r.wall / sum(r.speeds):.3f}" for r in results)))  # fmt: skip
    rows.append(("speed-up (span) / ideal speed-up",
                 *(f"{one.span / r.span:.2f} / {sum(r.speeds):g} = "
                   f"{one.span / r.span / sum(r.speeds):.3f}" for r in results)))  # fmt: skip
    rows.append(("prompts per server", *("/".join(map(str, r.accepted.values())) for r in results)))
    table(rows)
    bound_report(results, work, args)
    cpu_report(results, work)
    worst = min(one.span / r.span / sum(r.speeds) for r in results[1:])
    worst_wall = min(one.wall / r.wall / sum(r.speeds) for r in results[1:])
    print(f"  speed-up vs ideal, worst fleet: {worst:.3f} over the render span, {worst_wall:.3f} "
          f"end to end (target ≥ {TARGET}: {'meets' if worst >= TARGET else 'misses'} / "
          f"{'meets' if worst_wall >= TARGET else 'misses'})")  # fmt: skip
    twice = killed.executed - args.pages
    per = ", ".join(
        f"{'killed ' if url == killed.killed else ''}{len(runs)} done"
        + (f" of {killed.accepted[url]} accepted" if killed.accepted[url] >= 0 else "")
        for url, runs in killed.runs.items()
    )
    print(f"\nA server killed mid-book (4 servers, SIGKILL after {args.pages // 4} pages):")
    print(f"  pages rendered {killed.pages_done} of {args.pages} (target all); jobs moved to "
          f"another server {killed.moved}; executions per server: {per}")  # fmt: skip
    print(f"  pages executed twice {max(twice, 0)} (target 0); wall {killed.wall:.1f} s vs "
          f"{results[2].wall:.1f} s unharmed")  # fmt: skip


def bound_report(results: list[Result], work: float, args: argparse.Namespace) -> None:
    """Beside the ideal: the best whole jobs allow, and Snakemake's own fixed cost, so a miss
    splits into the schedule's share, ours and Snakemake's."""
    one_job = statistics.fmean(e - s for runs in results[0].runs.values() for s, e in runs)
    cost = args.snakemake_cost
    print(f"\n  What whole jobs and Snakemake allow (Snakemake's fixed cost of a real run: one "
          f"rule, one job sleeping {STEPS * args.step_seconds:g} s, wall − sleep: {cost:.2f} s):")  # fmt: skip
    labels = ["a job's time per server", "best whole-job schedule T", "  its jobs per server",
              "  ideal / T (whole jobs allow)", "  T / span (our schedule)",
              "  (T + Snakemake) / wall", "miss: whole jobs (T − ideal)",
              "  our schedule (span − T)", "  Snakemake's start and end",
              "  ours around the span (wall − span − Snakemake)"]  # fmt: skip
    columns = []
    for r in results:
        times = r.job_times(one_job)
        end, fits = whole_job_bound(times, args.pages)
        ideal = work / sum(r.speeds)
        columns.append([
            "/".join(f"{t:.2f}" for t in times), f"{end:.1f} s", "/".join(map(str, fits)),
            f"{ideal / end:.3f}", f"{end / r.span:.3f}", f"{(end + cost) / r.wall:.3f}",
            f"{end - ideal:.2f} s", f"{r.span - end:.2f} s", f"{cost:.2f} s",
            f"{r.wall - r.span - cost:.2f} s",
        ])  # fmt: skip
    rows = [("", *(r.label for r in results))]
    rows += [(label, *(c[i] for c in columns)) for i, label in enumerate(labels)]
    table(rows)


def cpu_report(results: list[Result], work: float) -> None:
    """Beside the headline: the CPU the 2 cores had to give, and what a GPU box would not pay.

    The ideal counts GPU work only. Here the sketch servers draw on the same cores as the job
    processes; on a GPU box rendering is off-CPU, so only Snakemake and the jobs compete."""
    cores = os.cpu_count() or 1
    print(f"\n  CPU on this machine's {cores} cores (user + system seconds; not in the ideal):")
    rows = [("", *(r.label for r in results))]
    rows.append(("Snakemake + job processes", *(f"{r.jobs_cpu:.1f} s" for r in results)))
    rows.append(("  a job", *(f"{r.jobs_cpu / max(r.executed, 1):.2f} s" for r in results)))
    rows.append(("sketch servers' drawing", *(f"{r.servers_cpu:.1f} s" for r in results)))
    rows.append(("CPU floor: all CPU / cores",
                 *(f"{(r.jobs_cpu + r.servers_cpu) / cores:.1f} s" for r in results)))  # fmt: skip
    rows.append(("GPU-box bound: max(ideal, jobs' CPU / cores)",
                 *(f"{max(work / sum(r.speeds), r.jobs_cpu / cores):.1f} s" for r in results)))  # fmt: skip
    rows.append(("  / wall", *(f"{max(work / sum(r.speeds), r.jobs_cpu / cores) / r.wall:.3f}"
                              for r in results)))  # fmt: skip
    rows.append(("busy CPU share of the wall",
                 *(f"{(r.jobs_cpu + r.servers_cpu) / cores / r.wall:.2f}" for r in results)))  # fmt: skip
    table(rows)


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip


if __name__ == "__main__":
    main()
