"""`artfarm sketch-server` in the foreground: it serves until Ctrl-C or `kill`, then stops cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["kill", "ctrl_c"])
def test_the_sketch_server_stops_cleanly_on_a_signal(tmp_path: Path, stop: signal.Signals) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "artfarm", "sketch-server", "--port", "0", "--root", str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = server.stderr.readline()
        url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner)
        assert url, banner
        wait_until(
            lambda: httpx.get(f"{url[1]}/system_stats").status_code == 200, "the server answers"
        )
        server.send_signal(stop)
        assert server.wait(timeout=60) == 0
        assert "Traceback" not in server.stderr.read()
    finally:
        server.kill()
        server.wait()
