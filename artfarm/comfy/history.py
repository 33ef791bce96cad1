"""Read ComfyUI's history entries and WebSocket messages into small typed values.

The history entry is the authoritative result of a prompt; socket messages only drive progress
and tell the client when to look. Anything malformed becomes `BadServerReply`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from artfarm.comfy.errors import BadServerReply

TERMINAL_EVENTS = ("execution_success", "execution_error", "execution_interrupted")


@dataclass(frozen=True)
class OutputImage:
    """One image a node produced, addressed as /view wants it."""

    node: str
    filename: str
    subfolder: str
    type: str


@dataclass
class HistoryEntry:
    """A finished (succeeded, failed or interrupted) prompt as GET /history/{id} reports it."""

    prompt_id: str
    status: str  # success | error | interrupted
    completed: bool
    outputs: list[OutputImage]
    started_ms: int | None
    finished_ms: int | None
    cached_nodes: list[str]
    error: dict[str, Any] | None = None
    interrupted: dict[str, Any] | None = None
    graph: dict[str, Any] = field(default_factory=dict)
    created_ms: int | None = None  # extra_data.create_time: when the server queued it (2025-11+)

    @property
    def execution_seconds(self) -> float | None:
        if self.started_ms is None or self.finished_ms is None:
            return None
        return (self.finished_ms - self.started_ms) / 1000.0

    @property
    def fully_cached(self) -> bool:
        """True when the server executed nothing: the outputs are OLD files."""
        return bool(self.graph) and set(self.cached_nodes) >= set(self.graph)


def _require(cond: bool, what: str) -> None:
    if not cond:
        raise BadServerReply(f"malformed history entry: {what}")


def parse_outputs(outputs: Any) -> list[OutputImage]:
    _require(isinstance(outputs, dict), "outputs is not an object")
    images: list[OutputImage] = []
    for node_id, out in outputs.items():
        for img in (out or {}).get("images", []) or []:
            _require(isinstance(img, dict) and "filename" in img, f"image of node {node_id}")
            images.append(
                OutputImage(
                    node=str(node_id),
                    filename=str(img["filename"]),
                    subfolder=str(img.get("subfolder", "")),
                    type=str(img.get("type", "output")),
                )
            )
    return images


def parse_history_entry(prompt_id: str, entry: Any) -> HistoryEntry:
    """One value of the GET /history/{id} object."""
    _require(isinstance(entry, dict), "entry is not an object")
    status = entry.get("status") or {}
    _require(isinstance(status, dict), "status is not an object")
    messages = status.get("messages") or []
    started = finished = None
    cached: list[str] = []
    error = interrupted = None
    for item in messages:
        _require(isinstance(item, list | tuple) and len(item) == 2, "status message")
        event, data = item
        data = data or {}
        if event == "execution_start":
            started = data.get("timestamp")
        elif event == "execution_cached":
            cached = [str(n) for n in data.get("nodes", [])]
        elif event in TERMINAL_EVENTS:
            finished = data.get("timestamp")
            if event == "execution_error":
                error = data
            elif event == "execution_interrupted":
                interrupted = data
    state = str(status.get("status_str", ""))
    if interrupted is not None:
        state = "interrupted"
    prompt = entry.get("prompt") or []
    graph = prompt[2] if isinstance(prompt, list) and len(prompt) > 2 else {}
    extra = prompt[3] if isinstance(prompt, list) and len(prompt) > 3 else {}
    created = extra.get("create_time") if isinstance(extra, dict) else None
    return HistoryEntry(
        prompt_id=prompt_id,
        status=state,
        completed=bool(status.get("completed", False)),
        outputs=parse_outputs(entry.get("outputs") or {}),
        started_ms=started,
        finished_ms=finished,
        cached_nodes=cached,
        error=error,
        interrupted=interrupted,
        graph=graph if isinstance(graph, dict) else {},
        created_ms=created if isinstance(created, int) else None,
    )


def parse_history_reply(prompt_id: str, body: Any) -> HistoryEntry | None:
    """GET /history/{id}: `{}` (unknown/queued/running) → None, else the entry."""
    if not isinstance(body, dict):
        raise BadServerReply("GET /history did not return an object")
    if prompt_id not in body:
        return None
    return parse_history_entry(prompt_id, body[prompt_id])


@dataclass(frozen=True)
class WsEvent:
    """One text frame of /ws: type, data and the prompt it concerns (if any)."""

    type: str
    data: dict[str, Any]

    @property
    def prompt_id(self) -> str | None:
        return self.data.get("prompt_id")

    def ends(self, prompt_id: str) -> bool:
        """True when this frame says the prompt is over (history now holds its entry)."""
        if self.prompt_id != prompt_id:
            return False
        if self.type in TERMINAL_EVENTS:
            return True
        return self.type == "executing" and self.data.get("node") is None


def parse_ws_message(frame: str | bytes) -> WsEvent | None:
    """A text frame → WsEvent; binary frames (previews) → None."""
    if isinstance(frame, bytes):
        return None
    try:
        msg = json.loads(frame)
    except ValueError as exc:
        raise BadServerReply(f"WebSocket frame is not JSON: {frame[:80]!r}") from exc
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise BadServerReply(f"WebSocket frame without a type: {frame[:80]!r}")
    data = msg.get("data")
    return WsEvent(msg["type"], data if isinstance(data, dict) else {})


def queue_states(body: Any) -> dict[str, str]:
    """GET /queue → {prompt_id: "in_progress" | "pending"}, in the jobs API's words."""
    if not isinstance(body, dict):
        raise BadServerReply("GET /queue did not return an object")
    states: dict[str, str] = {}
    for key, state in (("queue_pending", "pending"), ("queue_running", "in_progress")):
        for item in body.get(key, []) or []:
            if isinstance(item, list) and len(item) > 1:
                states[str(item[1])] = state
    return states


def entry_state(entry: HistoryEntry) -> str:
    """A history entry's outcome in the jobs API's words: completed, failed or cancelled."""
    if entry.interrupted is not None:
        return "cancelled"
    return "completed" if entry.status == "success" else "failed"


JOB_WAITING = ("pending", "in_progress")
JOB_TERMINAL = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class JobView:
    """GET /api/jobs/{id} (v0.36): where the job is, and its result once it has one."""

    prompt_id: str
    state: str  # pending | in_progress | completed | failed | cancelled
    create_ms: int | None
    entry: HistoryEntry | None  # set for terminal states

    @property
    def waiting(self) -> bool:
        return self.state in JOB_WAITING


def parse_job_reply(prompt_id: str, body: Any) -> JobView:
    """One job of the jobs API; a terminal job becomes the same HistoryEntry /history gives."""
    if not isinstance(body, dict) or body.get("status") not in JOB_WAITING + JOB_TERMINAL:
        raise BadServerReply(f"GET /api/jobs/{{id}} is not a job: {str(body)[:120]}")
    state = str(body["status"])
    create = body.get("create_time")
    entry = None
    if state in JOB_TERMINAL:
        workflow = body.get("workflow") or {}
        _require(isinstance(workflow, dict), "job workflow is not an object")
        as_history = {
            "prompt": [body.get("priority"), prompt_id, workflow.get("prompt") or {},
                       workflow.get("extra_data") or {}, []],
            "outputs": body.get("outputs") or {},
            "status": body.get("execution_status") or {},
        }  # fmt: skip
        entry = parse_history_entry(prompt_id, as_history)
        if state == "completed":
            entry.status = "success"  # a null status in history counts as completed there
        if state == "cancelled" and entry.interrupted is None:
            entry.interrupted = {}
        if state == "failed" and entry.error is None:
            entry.error = body.get("execution_error") or {}
    return JobView(prompt_id, state, create if isinstance(create, int) else None, entry)
