"""Several ComfyUI servers: send the job to the least busy one that answers."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from artfarm.comfy.errors import ServerUnreachable


def queue_remaining(url: str, *, timeout: float = 2.0) -> int | None:
    """GET /prompt's queue_remaining, or None when the server does not answer sensibly."""
    try:
        resp = httpx.get(f"{url.rstrip('/')}/prompt", timeout=timeout, trust_env=False)
        return int(resp.json()["exec_info"]["queue_remaining"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def pick_server(urls: Sequence[str], *, timeout: float = 2.0) -> str:
    """The reachable URL with the shortest queue (first listed wins a tie)."""
    loads = [(queue_remaining(u, timeout=timeout), i, u) for i, u in enumerate(urls)]
    reachable = [(q, i, u) for q, i, u in loads if q is not None]
    if not reachable:
        raise ServerUnreachable(
            f"none of {len(urls)} ComfyUI servers answered GET /prompt",
            server=", ".join(urls),
        )
    return min(reachable)[2].rstrip("/")
