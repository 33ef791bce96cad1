"""Wait on a condition, never on the clock: the one place tests may pause.

On a shared 2-core machine a fixed sleep is either too short (a flaky test) or too long (a slow
one), and an elapsed-time bound measures the machine, not the code. Tests poll the state they
need (a file, the server's queue, an event) and fail, naming it, only after a generous timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

GENEROUS = 120.0


def wait_until(condition: Callable[[], T], what: str, timeout: float = GENEROUS) -> T:
    """The first truthy value of `condition()`; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    pace = 0.005
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(pace)
        pace = min(pace * 2, 0.1)
