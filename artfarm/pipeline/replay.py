"""`artfarm replay`: run a stage again from its manifest alone and compare the bytes.

Each job's recorded graph is submitted as it stands, its inputs uploaded from the book's input
store under the names the graph already holds. A server answers an identical prompt from its
node cache with the OLD files, which would prove nothing: the replay first asks it to drop its
cache (POST /free), and a prompt that still comes back fully cached is tried once more, then
reported as "served from cache". Every output's sha256 is compared with the one recorded.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artfarm.comfy.client import ComfyClient
from artfarm.comfy.records import RunRecord
from artfarm.pipeline.input_store import stored_input
from artfarm.pipeline.manifest import JobRecord, StageManifest
from artfarm.problems import ArtfarmError

TRIES = 2  # a fully cached answer means the server had not yet applied /free: once more


@dataclass
class JobReplay:
    """One job's replay: where it ran, the sha256s recorded and got, and what differed."""

    index: int
    stage: str
    server: str
    prompt_id: str = ""
    expected: list[str] = field(default_factory=list)
    got: list[str] = field(default_factory=list)
    cached: bool = False
    differences: list[str] = field(default_factory=list)


@dataclass
class Replay:
    manifest: str
    jobs: list[JobReplay]

    @property
    def identical(self) -> bool:
        return bool(self.jobs) and not any(j.differences for j in self.jobs)

    def lines(self) -> list[str]:
        return [line for job in self.jobs for line in job.differences]

    def as_json(self) -> str:
        return json.dumps(
            {
                "manifest": self.manifest,
                "identical": self.identical,
                "jobs": [asdict(j) for j in self.jobs],
            },
            indent=2,
        )


def book_root_of(manifest_path: Path) -> Path:
    """books/<id>/pages/NNNN/<stage>/manifest.json → books/<id>."""
    return manifest_path.resolve().parents[3]


def recorded_outputs(manifest: StageManifest, job: JobRecord) -> list[str]:
    """The sha256 of each image the job produced, in the server's order."""
    if job.run and job.run.get("outputs"):
        return [str(o["sha256"]) for o in job.run["outputs"]]
    return [o.sha256 for o in manifest.outputs if o.id in job.outputs]


def replay_manifest(
    path: Path, manifest: StageManifest, server: str, headers: dict[str, str] | None = None
) -> Replay:
    """Replay every job of `manifest` on `server` (see module doc); a difference is a line of
    the result, not an error."""
    root = book_root_of(path)
    if not manifest.jobs:
        raise ArtfarmError.single(
            str(path),
            "jobs",
            "this stage ran no GPU job (nothing to replay)",
            "replay the manifest of a draft, refine, final (with fixes) or print stage",
        )
    jobs = [
        replay_job(path, root, manifest, index, job, server, headers)
        for index, job in enumerate(manifest.jobs, start=1)
    ]
    return Replay(str(path), jobs)


def replay_job(
    path: Path,
    root: Path,
    manifest: StageManifest,
    index: int,
    job: JobRecord,
    url: str,
    headers: dict[str, str] | None = None,
) -> JobReplay:
    result = JobReplay(index, job.stage, url, expected=recorded_outputs(manifest, job))
    label = f"{path}: job {index} ({job.stage})"
    inputs = {
        title: stored_input(root, record, f"{path}: jobs[{index - 1}].inputs.{title}")
        for title, record in job.inputs.items()
    }
    with ComfyClient(url, headers=headers) as client, tempfile.TemporaryDirectory() as tmp:
        record = None
        for attempt in range(TRIES):
            client.free()
            record = client.run(
                job.graph, inputs, Path(tmp) / str(attempt), job_key=f"replay:{uuid.uuid4()}"
            )
            if not record.cached:
                break
    assert record is not None
    result.prompt_id, result.cached = record.prompt_id, record.cached
    result.got = [o.sha256 for o in record.outputs]
    result.differences = differences(label, job, record, result)
    return result


def differences(label: str, job: JobRecord, record: RunRecord, result: JobReplay) -> list[str]:
    """One line per thing that is not as recorded."""
    lines = []
    if record.cached:
        lines.append(
            f"{label}: served from the server's cache, nothing executed "
            "(fix: restart the server, then replay again)"
        )
    for title, name in record.uploads.items():
        recorded = job.inputs.get(title, {}).get("name")
        if recorded and name != recorded:
            lines.append(
                f"{label}: input {title} was uploaded as {name}, the graph names {recorded}"
            )
    if len(result.got) != len(result.expected):
        lines.append(
            f"{label}: {len(result.got)} output(s), the manifest records {len(result.expected)}"
        )
    ids = job.outputs or [str(i) for i in range(1, len(result.expected) + 1)]
    for k, (want, got) in enumerate(zip(result.expected, result.got, strict=False)):
        if want != got:
            name = ids[k] if k < len(ids) else str(k + 1)
            lines.append(f"{label}: output {name}: sha256 {got[:16]}… ≠ recorded {want[:16]}…")
    return lines
