"""The job journal: which prompt_id a job was given, written BEFORE the prompt is sent.

A killed or crashed run re-reads its job's entry and re-attaches to that prompt instead of
paying for it again; a prompt the server lost (restart) is re-submitted once under a new id,
and the entry says so (every id with its reason). States: submitting (id written, request
maybe sent) → submitted (the server queued it) → done | failed | cancelled, or lost. One small JSON file per job key, replaced atomically on every change.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artfarm.atomic import write_json


@dataclass
class Attempt:
    prompt_id: str
    submitted_at: float  # client clock, written before the request is sent
    reason: str  # "first" | "resubmitted: <why>"
    accepted_at: float | None = None  # client clock, once the server queued it


@dataclass
class JobEntry:
    job_key: str
    server: str
    graph_sha256: str
    state: str = "new"  # submitting | submitted | done | failed | cancelled | lost
    attempts: list[Attempt] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    @property
    def prompt_id(self) -> str | None:
        return self.attempts[-1].prompt_id if self.attempts else None

    @property
    def resubmitted(self) -> bool:
        return len(self.attempts) > 1


def graph_sha256(graph: dict) -> str:
    return hashlib.sha256(json.dumps(graph, sort_keys=True).encode()).hexdigest()


class Journal:
    """Job entries in one folder; `None` folder means an in-memory journal (no re-attach)."""

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder is not None else None
        self._memory: dict[str, JobEntry] = {}

    def _path(self, job_key: str) -> Path:
        assert self.folder is not None
        name = hashlib.sha256(job_key.encode()).hexdigest()[:32]
        return self.folder / f"{name}.json"

    def load(self, job_key: str) -> JobEntry | None:
        if self.folder is None:
            return self._memory.get(job_key)
        return _read(self._path(job_key))

    def save(self, entry: JobEntry) -> None:
        if self.folder is None:
            self._memory[entry.job_key] = entry
            return
        write_json(self._path(entry.job_key), asdict(entry))

    def in_flight(self) -> list[JobEntry]:
        """Entries whose prompt may still be queued or running (for `artfarm comfyui cancel`)."""
        if self.folder is None:
            entries = list(self._memory.values())
        else:
            read = (_read(path) for path in sorted(self.folder.glob("*.json")))
            entries = [e for e in read if e is not None]
        return [e for e in entries if e.prompt_id and e.state in ("submitting", "submitted")]

    def record_attempt(self, entry: JobEntry, prompt_id: str, reason: str) -> None:
        """Write the prompt_id down before the request that uses it is sent."""
        entry.attempts.append(Attempt(prompt_id, time.time(), reason))
        entry.state = "submitting"
        entry.events.append(f"{reason}: {prompt_id}")
        self.save(entry)

    def mark(self, entry: JobEntry, state: str, event: str | None = None) -> None:
        entry.state = state
        if event:
            entry.events.append(event)
        self.save(entry)


def _read(path: Path) -> JobEntry | None:
    """One entry file; None when it is missing or not an entry (a half-written file never is)."""
    try:
        raw = json.loads(path.read_text())
        attempts = [Attempt(**a) for a in raw.pop("attempts", [])]
        return JobEntry(**raw, attempts=attempts)
    except (FileNotFoundError, ValueError, TypeError):
        return None
