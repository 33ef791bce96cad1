"""What a ComfyUI server can do, read from the `comfyui_version` in its /system_stats.

The client asks each server once and then speaks the best API it has:
- jobs API (`GET /api/jobs/{id}`: queued, running or finished in one answer) — late 2025,
  certainly in v0.10.0; waiting and re-attaching use it instead of /queue + an empty /history,
  which cannot tell "running" from "unknown" or from "dropped past the 10,000-entry cap";
- cancel endpoint (`POST /api/jobs/{id}/cancel`, atomic) — v0.26.0; older servers get
  `/interrupt` with the prompt_id when it runs, `/queue` delete when it waits;
- prompt_id validation (canonical lowercase UUID, else 400 `invalid_prompt_id`) — v0.25.0.
  artfarm always sends such ids; the flag says the server would refuse anything else.

Versions between 0.3.64 (no jobs API) and 0.10.0 are not pinned down by the facts we have:
for those the client asks the server (an unknown job id answers JSON 404 only where the jobs
API exists) — see `ComfyClient.capabilities`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

JOBS_API_SURE = (0, 10, 0)
JOBS_API_NEVER = (0, 3, 64)  # newest version seen without it
CANCEL_ENDPOINT = (0, 26, 0)
UUID_PROMPT_IDS = (0, 25, 0)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """'0.36.0', 'v0.3.64', '0.26.1-rc1' → (major, minor, patch); None when it is not one."""
    match = re.match(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


@dataclass(frozen=True)
class Capabilities:
    """One server's API features; `probe_jobs` when only asking the server can tell."""

    version: str
    jobs_api: bool
    cancel_endpoint: bool
    uuid_prompt_ids: bool
    probe_jobs: bool = False

    @property
    def api(self) -> str:
        """Short name for reports: which waiting/cancelling path the client uses."""
        if self.cancel_endpoint:
            return "jobs API + cancel endpoint"
        if self.jobs_api:
            return "jobs API + /interrupt, /queue delete"
        return "/queue + /history, /interrupt, /queue delete"


def capabilities_of(version: str) -> Capabilities:
    """Capabilities from a `comfyui_version`; an unreadable version gets the oldest API."""
    parsed = parse_version(version)
    if parsed is None:
        return Capabilities(version, False, False, False)
    return Capabilities(
        version=version,
        jobs_api=parsed >= JOBS_API_SURE,
        cancel_endpoint=parsed >= CANCEL_ENDPOINT,
        uuid_prompt_ids=parsed >= UUID_PROMPT_IDS,
        probe_jobs=JOBS_API_NEVER < parsed < JOBS_API_SURE,
    )
