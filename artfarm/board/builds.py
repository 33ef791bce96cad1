"""One build of the book at a time, started from the board and watched from it.

The board runs `python -m snakemake <book>/layout/pages.pdf` as an argv list (no shell) in the
project root, its output going to `runtime/board/build.log`. It never starts a second while one
runs, and Snakemake's own lock on the project refuses a build while any other Snakemake (the
agent's, another board's) works there: that build ends at once, its log saying so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from artfarm.pipeline.awaiting import WAITING

TAIL_LINES = 40


def outcome(number: int, code: int | None) -> str:
    """How the board's latest build (numbered from 1) went, in the board's words."""
    if number == 0:
        return "no build started from this board"
    if code is None:
        return f"build {number} running…"
    if code == 0:
        return f"build {number} finished: every page is printed"
    if code == WAITING:
        return f"build {number} stopped at the reviews: pages wait for you"
    return f"build {number} failed (exit {code}): see its log"


class BuildBusy(Exception):
    """A build started from this board is still running."""


@dataclass
class BuildRunner:
    root: Path  # project root: Snakemake's working directory (its lock lives there)
    snakefile: Path
    target: str  # relative to root, e.g. books/<id>/layout/pages.pdf
    log_path: Path

    def __post_init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._started = 0.0
        self._number = 0
        self._lock = threading.Lock()

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(self.snakefile),
            "--directory",
            str(self.root),
            self.target,
        ]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def busy(self) -> bool:
        """A build runs here: ours, or any Snakemake holding the project's lock."""
        locks = self.root / ".snakemake" / "locks"
        return self.running or (locks.is_dir() and any(locks.iterdir()))

    def start(self) -> None:
        with self._lock:
            if self.running:
                raise BuildBusy("a build of this book is already running; watch it below")
            self._close_log()
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed when the build ends)
            self._started = time.time()
            self._number += 1
            self._process = subprocess.Popen(
                self.argv(),
                cwd=self.root,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=os.environ.copy(),
            )

    def status(self) -> dict[str, Any]:
        process = self._process
        code = None if process is None else process.poll()
        if process is not None and code is not None:
            self._close_log()
        return {
            "running": process is not None and code is None,
            "number": self._number,
            "outcome": outcome(self._number, code),
            "started": self._started or None,
            "returncode": code,
            "command": " ".join(self.argv()[2:]),
            "tail": self.tail(),
        }

    def tail(self) -> list[str]:
        if not self.log_path.is_file():
            return []
        with open(self.log_path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 16_000))
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        return lines[-TAIL_LINES:]

    def stop(self, timeout: float = 60.0) -> None:
        """Ask a running build to stop as Ctrl-C would (Snakemake then releases its lock)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
