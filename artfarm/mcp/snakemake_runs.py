"""Snakemake for the agent: the dry run as a plan (which jobs, per page, and why), and a build.

Both run Snakemake as a subprocess with an argv list, from the project root, exactly as a
person would type `snakemake [-n] books/<id>/<target>`. The dry run's job blocks (rule,
wildcards, reason, output) are parsed into per-page jobs; the build streams Snakemake's log
and turns its "N of M steps done" lines into progress. After a build the agent gets the
same summary Snakemake prints when it stops: `artfarm next`'s to-do list.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.streams.buffered import BufferedByteReceiveStream

from artfarm.documents.book import Book
from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.mcp.project import Project
from artfarm.pipeline.todo import book_todo, render_summary
from artfarm.problems import ArtfarmError, Problem

JOB_START = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
STEPS_DONE = re.compile(r"^(\d+) of (\d+) steps \(\d+%\) done$")
TOTAL = re.compile(r"^total\s+(\d+)$")
TAIL_LINES = 40
STOP_SECONDS = 60
Progress = Callable[[float, float | None, str], Awaitable[None]]


@dataclass
class PlannedJob:
    rule: str
    reason: str = ""
    output: list[str] = field(default_factory=list)
    wildcards: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason, "output": self.output}


def target_path(book: Book, target: str) -> str:
    """`books/<id>/<target>`, refusing a target that leaves the book."""
    try:
        resolve_inside(book.root.resolve(), target)
    except PathEscape as err:
        raise ArtfarmError.single(
            "tool arguments",
            "target",
            str(err),
            "name a file inside the book, e.g. layout/pages.pdf",
        ) from None
    return f"{book.root.as_posix()}/{target}"


def parse_dry_run(text: str) -> list[PlannedJob]:
    """The job blocks of `snakemake -n`: one per job, with its rule, reason, outputs, wildcards."""
    jobs: list[PlannedJob] = []
    for raw in text.splitlines():
        line = raw.strip()
        started = JOB_START.match(line)
        if started:
            jobs.append(PlannedJob(started.group(1)))
            continue
        if not jobs or ": " not in line:
            continue
        key, _, value = line.partition(": ")
        if key == "reason":
            jobs[-1].reason = value
        elif key == "output":
            jobs[-1].output = [v.strip() for v in value.split(",")]
        elif key == "wildcards":
            pairs = (item.split("=", 1) for item in value.split(", ") if "=" in item)
            jobs[-1].wildcards = {k.strip(): v.strip() for k, v in pairs}
    return jobs


def plan_record(target: str, jobs: list[PlannedJob]) -> dict[str, Any]:
    """Jobs grouped by page ("book" for jobs of the whole book), with counts per rule."""
    pages: dict[str, list[dict[str, Any]]] = {}
    counts: dict[str, int] = {}
    for job in jobs:
        pages.setdefault(job.wildcards.get("page", "book"), []).append(job.record())
        counts[job.rule] = counts.get(job.rule, 0) + 1
    return {
        "target": target,
        "jobs": len(jobs),
        "counts": counts,
        "pages": dict(sorted(pages.items())),
    }


def plan_text(plan: dict[str, Any]) -> str:
    if not plan["jobs"]:
        return f"{plan['target']}: nothing to do; every file is up to date"
    lines = [f"{plan['target']}: {plan['jobs']} job(s) would run"]
    for page, jobs in plan["pages"].items():
        where = "book" if page == "book" else f"page {page}"
        lines += [f"{where}: {job['rule']} ({job['reason']})" for job in jobs]
    return "\n".join(lines)


def failure(target: str, output: str, what: str) -> ArtfarmError:
    """Snakemake's own one-line problems if it printed any, else the end of its log."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    problems = [line.removeprefix("error: ") for line in lines if "(fix: " in line]
    if problems:
        return ArtfarmError(
            Problem(target, "", line, "see the fix named in the line") for line in problems
        )
    if any("cannot be locked" in line or "LockException" in line for line in lines):
        return ArtfarmError.single(
            target,
            "",
            "another Snakemake holds the project's lock (or one was killed)",
            "wait for it; if none runs, run `snakemake --unlock` in the project once",
        )
    tail = " | ".join(lines[-3:]) if lines else "no output"
    return ArtfarmError.single(target, "", f"{what} failed: {tail}", "read the log lines quoted")


def dry_run(project: Project, book: Book, target: str) -> dict[str, Any]:
    """`snakemake -n` for one target of a book, parsed into a plan."""
    path = target_path(book, target)
    done = subprocess.run(
        project.snakemake_argv("-n", path),
        capture_output=True,
        text=True,
        cwd=project.root,
        env=project.environment(),
        check=False,
    )
    output = done.stdout + "\n" + done.stderr
    if done.returncode != 0:
        raise failure(path, output, "the dry run")
    return plan_record(path, parse_dry_run(output))


class BuildSlots:
    """One build per book at a time: a second call is refused at once, not queued."""

    def __init__(self) -> None:
        self.running: set[str] = set()

    def claim(self, book: Book) -> None:
        if book.id in self.running:
            raise ArtfarmError.single(
                str(book.root),
                "",
                "a build of this book is already running",
                "wait for it to finish (tool `next` shows what is done so far)",
            )
        self.running.add(book.id)

    def release(self, book: Book) -> None:
        self.running.discard(book.id)


@dataclass
class BuildLog:
    """What a build printed: progress counted from its log, and the last lines kept."""

    total: int | None = None
    done: int = -1
    running: str = ""
    tail: list[str] = field(default_factory=list)

    def read(self, line: str) -> bool:
        """Take one log line; True when it moved the progress forward."""
        self.tail = [*self.tail[-(TAIL_LINES - 1) :], line]
        text = line.strip()
        if match := TOTAL.match(text):
            self.total = int(match.group(1))
            return self.bump(0)
        if match := JOB_START.match(text):
            self.running = match.group(1)
        elif text.startswith("wildcards:") and "page=" in text and self.running:
            self.running += f" page {text.split('page=')[1].split(',')[0]}"
        elif match := STEPS_DONE.match(text):
            self.total = int(match.group(2))
            return self.bump(int(match.group(1)))
        return False

    def bump(self, done: int) -> bool:
        if done <= self.done:
            return False
        self.done = done
        return True

    def message(self) -> str:
        text = f"{self.done} of {self.total} steps done"
        return f"{text}; last started: {self.running}" if self.running else text


async def build(project: Project, book: Book, target: str, progress: Progress) -> dict[str, Any]:
    """Run Snakemake for `target`; progress per finished step; the to-do summary at the end."""
    path = target_path(book, target)
    log = BuildLog()
    process = await anyio.open_process(
        project.snakemake_argv(path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=project.root,
        env=project.environment(),
        start_new_session=True,  # its own process group: a cancel reaches the jobs too
    )
    try:
        await follow(process, log, progress)
        code = await process.wait()
    except BaseException:
        await stop(process)
        raise
    await process.aclose()
    todos = book_todo(book)
    return {
        "target": path,
        "ok": code == 0,
        "exit_code": code,
        "steps_done": max(log.done, 0),
        "steps_total": log.total,
        "summary": render_summary(book, todos),
        "todo": [todo.record() for todo in todos],
        "log_tail": [] if code == 0 else log.tail,
    }


async def follow(process: anyio.abc.Process, log: BuildLog, progress: Progress) -> None:
    assert process.stdout is not None
    stream = BufferedByteReceiveStream(process.stdout)
    while True:
        try:
            raw = await stream.receive_until(b"\n", 1 << 20)
        except (anyio.EndOfStream, anyio.IncompleteRead):
            return
        if log.read(raw.decode("utf-8", "replace")):
            await progress(log.done, log.total, log.message())


async def stop(process: anyio.abc.Process) -> None:
    """A cancelled build is a Ctrl-C: SIGINT to Snakemake and its jobs (its process group).

    Snakemake then stops its jobs and marks their outputs incomplete; a job takes its prompt
    off the server. Whatever still runs after STOP_SECONDS is killed.
    """
    with anyio.CancelScope(shield=True):
        for signal_number in (signal.SIGINT, signal.SIGKILL):
            if process.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal_number)
            with anyio.move_on_after(STOP_SECONDS):
                await process.wait()
        await process.aclose()
