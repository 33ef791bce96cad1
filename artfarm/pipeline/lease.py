"""Leases on ComfyUI servers: one lock file per server queue slot.

Snakemake's `gpu` resource bounds how many render jobs run at once (servers × slots); inside a
job the lease says which server it talks to. Two slots per server keep the next job already
queued on the server while the current one runs, so the GPU never waits for a process start.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from artfarm.problems import ArtfarmError

SLOTS_PER_SERVER = 2


def _slot_file(folder: Path, url: str, slot: int) -> Path:
    tag = hashlib.sha256(url.encode()).hexdigest()[:12]
    return folder / f"{tag}.{slot}.lock"


@contextlib.contextmanager
def lease_server(
    servers: list[str], folder: Path, *, slots: int = SLOTS_PER_SERVER, wait: float = 3600.0
) -> Iterator[str]:
    """Hold a free slot on one of `servers` for the duration of the block; yields its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for slot in range(slots):  # slot-major: spread jobs over servers before queueing
            for url in servers:
                fd = os.open(_slot_file(folder, url, slot), os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{os.getpid()} {url}\n".encode())
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
