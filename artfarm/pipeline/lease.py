"""Leases on ComfyUI servers: one lock file per server queue slot.

Snakemake's `gpu` resource bounds how many render jobs run at once (servers × slots); inside a
job the lease says which server it talks to. Two slots per server keep the next job already
queued on the server while the current one runs, so the GPU never waits for a process start.

Model residency: each server's `<tag>.models` file names the models of the last job leased to
it (what its cache holds once its queue drains). Among the free slots of the same rank, a job
takes the server holding most of its models, so a second tier's jobs do not make every server
switch models; it never waits for such a server while another has a free slot.

A server down: a job whose server stopped answering (the client's retry window ran out) marks
it down (`<tag>.down`) and moves to another server; new leases skip it for `DOWN_SECONDS`, or
until a run's start finds every server answering (`clear_down_marks`). When every server is
marked down, leases ignore the marks (a job then fails naming its server, as before).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from artfarm.atomic import write_text
from artfarm.problems import ArtfarmError

SLOTS_PER_SERVER = 2
DOWN_SECONDS = 300.0


def _tag(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _slot_file(folder: Path, url: str, slot: int) -> Path:
    return folder / f"{_tag(url)}.{slot}.lock"


def _models_file(folder: Path, url: str) -> Path:
    return folder / f"{_tag(url)}.models"


def _down_file(folder: Path, url: str) -> Path:
    return folder / f"{_tag(url)}.down"


def mark_down(folder: Path, url: str) -> None:
    """`url` stopped answering: leases skip it for a while."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text(_down_file(folder, url), f"{url}\n")


def is_down(folder: Path, url: str) -> bool:
    try:
        return time.time() - _down_file(folder, url).stat().st_mtime < DOWN_SECONDS
    except OSError:
        return False


def clear_down_marks(folder: Path) -> None:
    """Every server answered (a run's start): none is down any more."""
    for mark in folder.glob("*.down"):
        mark.unlink(missing_ok=True)


def up_servers(servers: list[str], folder: Path) -> list[str]:
    """The servers not marked down; all of them when every one is."""
    up = [url for url in servers if not is_down(folder, url)]
    return up or list(servers)


def resident_models(folder: Path, url: str) -> frozenset[str]:
    """The models of the last job leased to `url` (empty when unknown)."""
    try:
        return frozenset(_models_file(folder, url).read_text().split("\n")) - {""}
    except OSError:
        return frozenset()


def by_residency(servers: list[str], folder: Path, models: frozenset[str]) -> list[str]:
    """`servers` with those holding most of `models` first (stable: config order otherwise)."""
    if not models:
        return list(servers)
    held = {url: len(models & resident_models(folder, url)) for url in servers}
    return sorted(servers, key=lambda url: -held[url])


@contextlib.contextmanager
def lease_server(
    servers: list[str],
    folder: Path,
    *,
    slots: int = SLOTS_PER_SERVER,
    wait: float = 3600.0,
    models: Iterable[str] = (),
) -> Iterator[str]:
    """Hold a free slot on one of `servers` for the duration of the block; yields its URL.
    `models`: the model files the job loads, to prefer a server that has them loaded."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = frozenset(models)
    deadline = time.monotonic() + wait
    while True:
        ranked = by_residency(up_servers(servers, folder), folder, wanted)
        for slot in range(slots):  # slot-major: spread jobs over servers before queueing
            for url in ranked:
                fd = os.open(_slot_file(folder, url, slot), os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{os.getpid()} {url}\n".encode())
                    if wanted:
                        write_text(_models_file(folder, url), "\n".join(sorted(wanted)) + "\n")
                    yield url
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
        if time.monotonic() > deadline:
            raise ArtfarmError.single(
                str(folder),
                "servers",
                f"no free server slot after {wait:.0f} s",
                "raise the number of servers in config/config.yaml or lower --resources gpu",
            )
        time.sleep(0.05)
