"""Serve a started server in the foreground until Ctrl-C or `kill` (SIGTERM), then stop it.

The board and the sketch server share this so both stop the same way: SIGTERM is turned into
the KeyboardInterrupt Ctrl-C raises, and `stop()` always runs (a build the board started is
cancelled, the sketch server's worker is joined).
"""

from __future__ import annotations

import signal
import threading
from typing import Protocol


class Stoppable(Protocol):
    def stop(self) -> None: ...


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_stopped(server: Stoppable) -> int:
    """Block until Ctrl-C or SIGTERM, stop the server, exit status 0."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background shell ignores it
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
