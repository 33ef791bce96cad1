"""How fast each server renders, learned from the jobs it ran: leases pick where a job ends first.

A job's cost is what its compiled graph already says: the sampler steps times the megapixels
and count of the images it makes. A server's speed is seconds per cost unit, smoothed over its
jobs, kept per job kind (stage and models: a checkpoint's step costs what it costs) and over all
kinds (for a kind the server has not run yet). One small JSON file a server in the lease folder,
rewritten atomically under a lock; a file that does not parse is ignored (as if unknown).

A sample taken right after another kind ran on the server may include a model load: it counts
only until a sample of the same kind run after the same kind replaces it. Once a kind's clean
rate is known, what such a job took beyond it is the server's load time (smoothed too): a
lease adds it to a job's time on a server that does not hold the job's models.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artfarm.atomic import write_json

SMOOTHING = 0.3  # weight of a new sample in the running mean
ALL = "*"  # the key of the mean over every kind


def job_cost(graph: Mapping[str, Any], count: int, width: int, height: int) -> float:
    """Sampler steps × megapixels × images: the GPU work a graph asks for (≥ a tiny floor)."""
    steps = sum(
        node["inputs"]["steps"]
        for node in graph.values()
        if isinstance(node, dict) and isinstance(node.get("inputs", {}).get("steps"), int)
    )
    return max(steps, 1) * max(count, 1) * width * height / 1e6


def job_kind(stage: str, models: Iterable[str]) -> str:
    """Jobs of one kind cost the same per unit on one server: the stage and its model files."""
    digest = hashlib.sha256("\n".join(sorted(models)).encode()).hexdigest()[:12]
    return f"{stage}:{digest}"


@dataclass(frozen=True)
class Rate:
    """Seconds per cost unit; `clean`: measured after a job of the same kind (no model load)."""

    seconds_per_unit: float
    jobs: int
    clean: bool


@dataclass(frozen=True)
class ServerSpeed:
    """One server's rates by job kind (and `ALL`), the kind it ran last, and what loading a
    job's models costs it (a job after another kind ran longer than its clean rate says)."""

    rates: dict[str, Rate] = field(default_factory=dict)
    last_kind: str = ""
    load_seconds: float | None = None

    def seconds_per_unit(self, kind: str) -> float | None:
        rate = self.rates.get(kind) or self.rates.get(ALL)
        return rate.seconds_per_unit if rate else None


def read_speed(path: Path) -> ServerSpeed:
    """The speeds in `path`; unknown (empty) when it is missing or not what we write."""
    try:
        data = json.loads(path.read_text())
        rates = {
            str(k): Rate(float(v["seconds_per_unit"]), int(v["jobs"]), bool(v["clean"]))
            for k, v in data["rates"].items()
        }
        last = str(data.get("last_kind", ""))
        load = data.get("load_seconds")
        load = None if load is None else float(load)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return ServerSpeed()
    if not all(
        math.isfinite(r.seconds_per_unit) and r.seconds_per_unit > 0 for r in rates.values()
    ):
        return ServerSpeed()
    if load is not None and not (math.isfinite(load) and load >= 0):
        load = None
    return ServerSpeed(rates, last, load)


def updated(speed: ServerSpeed, kind: str, cost: float, seconds: float) -> ServerSpeed:
    """`speed` after a job of `kind` and `cost` ran `seconds` on the server."""
    clean = speed.last_kind == kind
    sample = seconds / cost
    rates = dict(speed.rates)
    for key in (kind, ALL):
        rates[key] = _blend(rates.get(key), sample, clean)
    return ServerSpeed(rates, kind, _load(speed, kind, cost, seconds))


def _load(speed: ServerSpeed, kind: str, cost: float, seconds: float) -> float | None:
    """The load estimate after this job: a job after another kind, beside its clean rate."""
    rate = speed.rates.get(kind)
    if not speed.last_kind or speed.last_kind == kind or rate is None or not rate.clean:
        return speed.load_seconds
    extra = max(seconds - cost * rate.seconds_per_unit, 0.0)
    if speed.load_seconds is None:
        return extra
    return (1 - SMOOTHING) * speed.load_seconds + SMOOTHING * extra


def _blend(old: Rate | None, sample: float, clean: bool) -> Rate:
    if old is None or (clean and not old.clean):
        return Rate(sample, 1, clean)
    if old.clean and not clean:  # a load inflates it: keep the clean mean
        return old
    mean = (1 - SMOOTHING) * old.seconds_per_unit + SMOOTHING * sample
    return Rate(mean, old.jobs + 1, old.clean)


def record_run(path: Path, kind: str, cost: float, seconds: float) -> None:
    """Learn from one job's execution time; concurrent writers take turns (a lock file)."""
    if cost <= 0 or not math.isfinite(seconds) or seconds <= 0:
        return
    with locked(path.with_name(path.name + ".lock")):
        speed = updated(read_speed(path), kind, cost, seconds)
        write_json(path, _as_json(speed))


def _as_json(speed: ServerSpeed) -> dict[str, Any]:
    rates = {
        k: {"seconds_per_unit": r.seconds_per_unit, "jobs": r.jobs, "clean": r.clean}
        for k, r in speed.rates.items()
    }
    return {"rates": rates, "last_kind": speed.last_kind, "load_seconds": speed.load_seconds}


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing): it frees itself if we are killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
