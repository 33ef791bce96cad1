"""Stage manifests (`pages/NNNN/<stage>/manifest.json`): the provenance of every artifact.

A manifest is written last and atomically, so its presence means the stage finished. It holds
the spec as used, every GPU job (exact graph submitted, prompts, seeds, model hashes, server,
prompt_id, timings, VRAM) and every output's file name, sha256 and size. Downstream rules depend
on manifests (small JSON, compared by checksum) rather than on the large images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from artfarm.atomic import write_json
from artfarm.documents.reader import load_json_model
from artfarm.rendering.contenthash import sha256_json

Stage = Literal["thumb", "draft", "selected", "refine", "final", "print"]
MANIFEST = "manifest.json"


class OutputFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Candidate or variant id: c03, c03-v1, final, print.")
    file: str = Field(description="File name inside the stage folder.")
    sha256: str
    size: int
    width: int
    height: int
    source: str | None = Field(default=None, description="Id of the image this one came from.")


class JobRecord(BaseModel):
    """One ComfyUI job (or its cached twin): everything needed to run it again."""

    model_config = ConfigDict(extra="forbid")

    stage: str
    request_hash: str
    request: dict[str, Any]
    graph: dict[str, Any] = Field(
        description="The exact API graph POSTed (key order kept); upload names as submitted."
    )
    inputs: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="title → {path: inputs/sha256/<hash>.png inside the book, sha256, name "
        "it was uploaded under}: every uploaded file, stored so the job replays.",
    )
    prompts: dict[str, str] = Field(default_factory=dict)
    seeds: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, Any] = Field(default_factory=dict)
    run: dict[str, Any] | None = Field(
        default=None, description="The client's RunRecord: server, prompt_id, timings, VRAM."
    )
    from_cache: bool = Field(default=False, description="Restored from the render cache.")
    outputs: list[str] = Field(default_factory=list, description="Output ids, in order.")


class StageManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    book_id: str
    page: int
    spec: dict[str, Any] = Field(description="The renderspec as used.")
    params: str = Field(description="The content hash this stage was made for (rule param).")
    jobs: list[JobRecord] = Field(default_factory=list)
    outputs: list[OutputFile]
    images_sha256: str = Field(description="Identity of the outputs: what a review judges.")
    notes: dict[str, Any] = Field(default_factory=dict)
    sheet: str | None = Field(
        default=None, description="The item's id, for a rendered bible item (page 0)."
    )
    kind: str | None = Field(
        default=None, description="The bible item's kind (sheet or style); none for a page."
    )

    def output(self, output_id: str) -> OutputFile | None:
        return next((o for o in self.outputs if o.id == output_id), None)

    def ids(self) -> list[str]:
        return [o.id for o in self.outputs]


def images_identity(outputs: list[OutputFile]) -> str:
    """Hash of (id, sha256) pairs: same images → same identity, whatever the timings."""
    return sha256_json([[o.id, o.sha256] for o in outputs])


def manifest_path(stage_dir: Path) -> Path:
    return stage_dir / MANIFEST


def read_manifest(stage_dir: Path) -> StageManifest:
    return load_json_model(StageManifest, manifest_path(stage_dir), "manifest")


def write_manifest(stage_dir: Path, manifest: StageManifest) -> Path:
    # Key order kept: the graph is re-submitted as written, and ComfyUI stores it in the PNG.
    return write_json(manifest_path(stage_dir), manifest.model_dump(mode="json"), sort_keys=False)
