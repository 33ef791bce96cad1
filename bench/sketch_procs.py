"""Sketch servers as separate processes for the benches (models.py, fleet.py): start on free
127.0.0.1 ports, read their counters, kill one on purpose, always stop them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: no proxy


@dataclass
class Proc:
    url: str
    popen: subprocess.Popen
    step_seconds: float

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (its drawing, HTTP, bookkeeping)."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """Die as a killed ComfyUI does: no goodbye, queue and history gone."""
        os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(30)


@contextlib.contextmanager
def sketch_servers(
    root: Path, models: Path, step_seconds: list[float], **flags: float
) -> Iterator[list[Proc]]:
    """One `artfarm sketch-server` per entry of `step_seconds`; `flags` become --name value."""
    procs: list[Proc] = []
    extra = [a for k, v in flags.items() for a in (f"--{k.replace('_', '-')}", str(v))]
    try:
        for i, step in enumerate(step_seconds):
            port = free_port()
            cmd = [sys.executable, "-m", "artfarm", "sketch-server", "--port", str(port),
                   "--root", str(root / f"server{i}"), "--models", str(models),
                   "--step-seconds", str(step), *extra]  # fmt: skip
            popen = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
            procs.append(Proc(f"http://127.0.0.1:{port}", popen, step))
        for proc in procs:
            wait_for(proc.url)
        yield procs
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.popen.terminate()
                proc.popen.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            stats(url)
            return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def get(url: str) -> Any:
    with LOCAL.open(url, timeout=10) as reply:
        return json.load(reply)


def stats(url: str) -> dict[str, Any]:
    """The sketch server's own counters (GET /sketch/stats; no ComfyUI has it)."""
    return get(f"{url}/sketch/stats")


def executions(url: str) -> list[tuple[float, float]]:
    """(start, end) epoch seconds of every successful prompt in the server's history."""
    found = []
    for entry in get(f"{url}/history").values():
        if entry["status"]["status_str"] != "success":
            continue
        stamps = {name: data["timestamp"] / 1000 for name, data in entry["status"]["messages"]}
        found.append((stamps["execution_start"], stamps["execution_success"]))
    return found
