"""What a finished job leaves behind: JSON-serialisable records of server, timings and files."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ServerInfo(BaseModel):
    """GET /system_stats, reduced to what a render record needs."""

    model_config = ConfigDict(extra="forbid")

    url: str
    version: str = Field(description="comfyui_version reported by the server")
    devices: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def vram_free(self) -> int:
        return sum(int(d.get("vram_free") or 0) for d in self.devices)


class FetchedImage(BaseModel):
    """One output image copied from the server to a local file."""

    model_config = ConfigDict(extra="forbid")

    path: str
    sha256: str
    size: int
    node: str
    filename: str = Field(description="name on the server (may be an OLD file on a cached rerun)")
    subfolder: str = ""
    type: str = "output"


class Submission(BaseModel):
    """One id a job was sent under (the journal's attempt), with why."""

    model_config = ConfigDict(extra="forbid")

    prompt_id: str
    submitted_at: float = Field(description="client clock (epoch s), before the request")
    reason: str = Field(description='"first" or "resubmitted: <why>"')
    accepted_at: float | None = Field(None, description="client clock: the server queued it")


class Timings(BaseModel):
    """queued_at ≤ started_at ≤ finished_at, whether the run re-attached or not."""

    model_config = ConfigDict(extra="forbid")

    queued_at: float = Field(
        description="epoch s the server queued it: its create_time where it reports one, "
        "else the client's clock at acceptance, clamped to started_at"
    )
    started_at: float | None = Field(None, description="server clock: execution_start")
    finished_at: float | None = Field(None, description="server clock: execution end")
    server_seconds: float | None = Field(None, description="finished - started, server side")
    wall_seconds: float = Field(description="whole run() on the client, upload to fetch")


class RunRecord(BaseModel):
    """Everything about one job run through `ComfyClient.run`."""

    model_config = ConfigDict(extra="forbid")

    job_key: str
    prompt_id: str
    prompt_ids: list[str] = Field(description="every prompt_id this job was given, in order")
    submissions: list[Submission] = Field(
        default_factory=list, description="each id with when and why it was sent"
    )
    server: ServerInfo
    vram_free_before: int
    vram_free_after: int
    timings: Timings
    outputs: list[FetchedImage]
    uploads: dict[str, str] = Field(default_factory=dict, description="title → server name")
    reattached: bool = Field(False, description="joined a prompt a previous run had submitted")
    resubmitted: bool = Field(False, description="the server lost the prompt; sent again")
    cached: bool = Field(False, description="server executed nothing; outputs are old files")
