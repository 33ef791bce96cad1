"""ComfyUI v0.36's jobs API over the sketch server's queue and history.

`GET /api/jobs/{id}` folds the queue and the history into one job: pending, in_progress, or a
terminal state (completed, failed, cancelled) derived from the history's messages, as
ComfyUI's comfy_execution/jobs.py does. The field names follow that source; the sketch server
fills only the ones a client of artfarm's kind reads (no preview summaries of other media).
"""

from __future__ import annotations

import uuid
from typing import Any

PENDING, IN_PROGRESS = "pending", "in_progress"
COMPLETED, FAILED, CANCELLED = "completed", "failed", "cancelled"
ALL_STATES = (PENDING, IN_PROGRESS, COMPLETED, FAILED, CANCELLED)


def is_canonical_uuid(value: Any) -> bool:
    """v0.25+ accepts a client-chosen prompt_id only as a canonical lowercase hyphenated UUID."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def invalid_prompt_id() -> dict[str, Any]:
    """The 400 body v0.36 answers for a prompt_id that is not a canonical UUID."""
    error = {
        "type": "invalid_prompt_id",
        "message": "prompt_id must be a valid UUID",
        "details": "prompt_id must be a UUID string in canonical lowercase hyphenated form; "
        "omit it to let the server generate one",
        "extra_info": {},
    }
    return {"error": error, "node_errors": {}}


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def queued_job(item: list[Any], status: str, *, detail: bool) -> dict[str, Any]:
    """A queue item ([number, id, graph, extra, outputs]) as a pending/in_progress job."""
    number, prompt_id, prompt, extra, _ = item
    job = _prune({
        "id": prompt_id, "status": status, "priority": number,
        "create_time": extra.get("create_time"), "outputs_count": 0,
        "previewable_outputs_count": 0,
    })  # fmt: skip
    if detail:
        job["workflow"] = {"prompt": prompt, "extra_data": extra}
    return job


def finished_job(prompt_id: str, entry: dict[str, Any], *, detail: bool) -> dict[str, Any]:
    """A history entry as a completed, failed or cancelled job."""
    number, _, prompt, extra, _ = entry["prompt"]
    status_info = entry.get("status") or {}
    start = end = error = None
    interrupted = False
    for name, data in status_info.get("messages", []):
        if name == "execution_start":
            start = data.get("timestamp")
        elif name in ("execution_success", "execution_error", "execution_interrupted"):
            end = data.get("timestamp")
            error = data if name == "execution_error" else error
            interrupted = interrupted or name == "execution_interrupted"
    state = COMPLETED
    if status_info.get("status_str") == "error":
        state = CANCELLED if interrupted else FAILED
    outputs = entry.get("outputs") or {}
    count = sum(len(v.get("images", [])) for v in outputs.values() if isinstance(v, dict))
    job = _prune({
        "id": prompt_id, "status": state, "priority": number,
        "create_time": extra.get("create_time"), "execution_start_time": start,
        "execution_end_time": end, "execution_error": error, "outputs_count": count,
        "previewable_outputs_count": count,
    })  # fmt: skip
    if detail:
        job["outputs"] = outputs
        job["execution_status"] = status_info
        job["workflow"] = {"prompt": prompt, "extra_data": extra}
    return job


def find_job(
    prompt_id: str, queue: dict[str, Any], history: dict[str, Any]
) -> dict[str, Any] | None:
    """One job with its details: history first (a finished job), then running, then pending."""
    if prompt_id in history:
        return finished_job(prompt_id, history[prompt_id], detail=True)
    for key, state in (("queue_running", IN_PROGRESS), ("queue_pending", PENDING)):
        for item in queue.get(key, []):
            if item[1] == prompt_id:
                return queued_job(item, state, detail=True)
    return None


def list_jobs(
    queue: dict[str, Any], history: dict[str, Any], states: list[str] | None
) -> dict[str, Any]:
    """GET /api/jobs: every job, newest first, optionally filtered by state (no paging)."""
    jobs = [queued_job(i, IN_PROGRESS, detail=False) for i in queue.get("queue_running", [])]
    jobs += [queued_job(i, PENDING, detail=False) for i in queue.get("queue_pending", [])]
    jobs += [finished_job(pid, e, detail=False) for pid, e in history.items()]
    if states:
        jobs = [j for j in jobs if j["status"] in states]
    jobs.sort(key=lambda j: j.get("create_time", 0), reverse=True)
    pagination = {"offset": 0, "limit": None, "total": len(jobs), "has_more": False}
    return {"jobs": jobs, "pagination": pagination}
