"""One quick look at every configured server before a run pays for anything.

Without it, a run whose render jobs meet a dead server learns it job by job, each after the
client's retry budget. A run that will submit graphs asks each server for /system_stats once,
all at the same time, a few seconds at most; every server that does not answer (or refuses the
credentials) is one line naming it and `config/config.yaml`, before any job starts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from artfarm.comfy.client import ComfyClient, RetryPolicy
from artfarm.comfy.credentials import request_headers
from artfarm.comfy.errors import ComfyError
from artfarm.comfy.service import servers_in_use
from artfarm.documents.settings import Settings
from artfarm.problems import ArtfarmError, Problem

LOOK_SECONDS = 3.0
SETTINGS_FILE = "config/config.yaml"


def server_problems(settings: Settings, *, seconds: float = LOOK_SECONDS) -> list[Problem]:
    """A problem per server in use that does not answer ComfyUI's API within `seconds`."""
    urls = servers_in_use(settings)
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        looks = list(pool.map(lambda url: look(settings, url, seconds), urls))
    return [problem for problem in looks if problem is not None]


def look(settings: Settings, url: str, seconds: float) -> Problem | None:
    """None when `url` answers /system_stats like ComfyUI; else the line that names it."""
    index, _ = settings.server_entry(url)
    field = f"servers[{index}]" if index >= 0 else "servers"
    try:
        headers = request_headers(settings, url)
        retry = RetryPolicy(total_seconds=min(1.0, seconds))
        with ComfyClient(url, retry=retry, http_timeout=seconds, headers=headers) as client:
            client.health()
    except ComfyError as exc:
        said = exc.message if url in exc.message else f"{url}: {exc.message}"
        return Problem(SETTINGS_FILE, field, said, exc.fix)
    except ArtfarmError as exc:  # a header whose secret is missing
        first = exc.problems[0]
        return Problem(SETTINGS_FILE, first.field or field, first.problem, first.fix)
    return None
