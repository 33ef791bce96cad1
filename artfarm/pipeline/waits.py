"""A run that stops only at the review gates is a wait, not a crash.

A gate job (`select_drafts`, `final`) whose page waits for a review — none written yet, or a
stale one — writes one `waiting: …` line to its log and exits with `WAITING` (75, EX_TEMPFAIL:
"try again later"). Snakemake still sees a failed job, so nothing downstream runs, `-n` keeps
planning the gate, and the next run after the review picks it up: no marker file can be mistaken
for a finished stage.

What changes is what the user sees. `rules/common.smk` installs `GateWaits` on Snakemake's
logger: it drops the crash report of each waiting job (the CalledProcessError, "Error in rule",
"Exiting because a job execution failed") and counts the jobs that waited and those that really
failed. The `onerror` hook then calls `finish`: the to-do summary of the books the run was asked
for and, when waits were the only failures, exit status `WAITING` — no WorkflowError.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from snakemake_interface_logger_plugins.common import LogEvent

from artfarm.pipeline.awaiting import WAIT_MARK, WAITING

KEEP_GOING_EXIT = "Exiting because a job execution failed"


def log_says_waiting(logs: Iterable[str]) -> bool:
    """True when the job's log (appended to by every run) ends with a wait line."""
    for name in logs:
        path = Path(name)
        if not path.is_file():
            continue
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
        if lines and lines[-1].startswith(WAIT_MARK):
            return True
    return False


class GateWaits(logging.Filter):
    """Drops the crash report of gate jobs that wait for a review; counts waits and failures."""

    def __init__(self) -> None:
        super().__init__("artfarm.waits")
        self.waits = 0
        self.failures = 0

    @property
    def only_waits(self) -> bool:
        return self.waits > 0 and self.failures == 0

    def filter(self, record: logging.LogRecord) -> bool:
        event = getattr(record, "event", None)
        if event == LogEvent.JOB_ERROR:
            if log_says_waiting(getattr(record, "log", None) or []):
                self.waits += 1
                return False
            self.failures += 1
            return True
        text = str(record.msg or "")
        if event == LogEvent.ERROR and f"non-zero exit status {WAITING}." in text:
            return False
        return not (text.startswith(KEEP_GOING_EXIT) and self.only_waits)


def install(logger: logging.Logger) -> GateWaits:
    """One fresh GateWaits on `logger` (an earlier one, from a run in this process, goes)."""
    for old in [f for f in logger.filters if isinstance(f, GateWaits)]:
        logger.removeFilter(old)
    waits = GateWaits()
    logger.addFilter(waits)
    return waits


def books_of_jobs(jobs: Iterable[object]) -> list[str]:
    """The book ids of the run's jobs: the books it was asked for."""
    ids = {getattr(job, "wildcards_dict", {}).get("book") for job in jobs}
    return sorted(i for i in ids if i)


def summary(books_dir: Path, book_ids: Iterable[str]) -> str:
    from artfarm.documents.book import Book
    from artfarm.pipeline.todo import book_summary

    parts = []
    for book_id in book_ids:
        book = Book(books_dir / book_id)
        if book.root.is_dir():
            parts.append(book_summary(book))
    return "\n\n".join(parts)


def finish(waits: GateWaits, books_dir: Path, book_ids: Iterable[str]) -> None:
    """After a stopped run: what waits, book by book; exit WAITING when nothing else failed."""
    text = summary(books_dir, book_ids)
    if text:
        print(text, file=sys.stderr)
    if waits.only_waits:
        print(
            f"\nStopped at the review gates ({waits.waits} job(s) wait for a review; "
            f"exit status {WAITING}). Review, then run the same command again.",
            file=sys.stderr,
        )
        raise SystemExit(WAITING)
