"""Which test runs which line of the mutated module: so a mutant runs only the tests that reach it.

Loaded two ways in the mutation script's scratch copy, never in a work tree:
- as a pytest plugin (`-p bench.mutation_trace`): with ARTFARM_MUTATION_TRACE=<folder> it records,
  per test, the lines of ARTFARM_MUTATION_FILE that ran and how long the test took; with
  ARTFARM_MUTATION_SELECT=<json list of node ids> it runs only those tests, in that order.
- from the scratch copy's `sitecustomize.py`, in every Python process a test starts (the CLI,
  Snakemake and its jobs): lines run there count for the test that was running when it started
  (ARTFARM_MUTATION_TEST, inherited through the environment).
Each process writes one JSON file into the trace folder when it exits.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

_TRACER: Tracer | None = None


class Tracer:
    """Line events of one file only: every other frame is left untraced (cheap)."""

    def __init__(self, target: str, test: str) -> None:
        self.target = os.path.realpath(target)
        self.known: dict[str, bool] = {}
        self.hits: dict[str, set[int]] = {}
        self.durations: dict[str, float] = {}
        self.current = self.hits.setdefault(test, set())

    def start(self) -> None:
        sys.settrace(self._call)
        threading.settrace(self._call)

    def switch(self, test: str) -> None:
        self.current = self.hits.setdefault(test, set())

    def _call(self, frame: Any, event: str, arg: Any) -> Any:
        name = frame.f_code.co_filename
        match = self.known.get(name)
        if match is None:
            match = self.known[name] = os.path.realpath(name) == self.target
        return self._line if match else None

    def _line(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            self.current.add(frame.f_lineno)
        return self._line

    def write(self, folder: str) -> None:
        data = {
            # "": lines run outside any test (imports, session fixtures): no test owns them
            "tests": {test: sorted(lines) for test, lines in self.hits.items()},
            "durations": self.durations,
        }
        path = Path(folder) / f"{os.getpid()}-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(data), encoding="utf-8")


def trace_process() -> None:
    """Called from sitecustomize: trace this process when the mutation script asked for it."""
    global _TRACER
    folder, target = (
        os.environ.get("ARTFARM_MUTATION_TRACE"),
        os.environ.get("ARTFARM_MUTATION_FILE"),
    )
    if not folder or not target or _TRACER is not None:
        return
    _TRACER = Tracer(target, os.environ.get("ARTFARM_MUTATION_TEST", ""))
    _TRACER.start()
    atexit.register(_TRACER.write, folder)


def load_traces(folder: Path) -> tuple[dict[str, set[int]], dict[str, float]]:
    """Every process's record merged: lines per test id, and each test's duration."""
    lines: dict[str, set[int]] = {}
    durations: dict[str, float] = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for test, hit in data["tests"].items():
            lines.setdefault(test, set()).update(hit)
        durations.update(data["durations"])
    return lines, durations


# ------------------------------------------------------------------------ pytest plugin hooks


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    chosen = os.environ.get("ARTFARM_MUTATION_SELECT")
    if not chosen:
        return
    order = {test: n for n, test in enumerate(json.loads(Path(chosen).read_text()))}
    keep = sorted((i for i in items if i.nodeid in order), key=lambda i: order[i.nodeid])
    dropped = [i for i in items if i.nodeid not in order]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


def pytest_runtest_protocol(item: Any, nextitem: Any) -> None:
    os.environ["ARTFARM_MUTATION_TEST"] = item.nodeid
    if _TRACER is not None:
        _TRACER.switch(item.nodeid)
        _TRACER.durations[item.nodeid] = time.perf_counter()


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    if _TRACER is not None and nodeid in _TRACER.durations:
        _TRACER.durations[nodeid] = time.perf_counter() - _TRACER.durations[nodeid]
        _TRACER.switch("")
