"""`<stage>/pruned.json`: which images `artfarm prune` deleted from a stage, beside its manifest.

The manifest is never rewritten (Snakemake recorded its checksum; downstream rules compare
it), so the mark lives here: id, file, sha256, size and when, for the images the manifest's
`images_sha256` names. A re-render of the stage makes an old record void. Reviews consult it:
picking a pruned image is refused with the command that brings it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from artfarm.atomic import canonical_json, write_bytes
from artfarm.documents.book import Book
from artfarm.documents.reader import load_json_model
from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.pipeline.manifest import MANIFEST, OutputFile, StageManifest, read_manifest
from artfarm.problems import ArtfarmError, Problem

PRUNED = "pruned.json"


class PrunedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str
    sha256: str
    size: int
    pruned_at: str


class PrunedRecord(BaseModel):
    """`<stage>/pruned.json`: what was deleted from the images `images_sha256` names."""

    model_config = ConfigDict(extra="forbid")

    stage: str
    images_sha256: str
    pruned: dict[str, PrunedFile]


def pruned_path(stage_dir: Path) -> Path:
    return stage_dir / PRUNED


def image_path(stage_dir: Path, name: str, where: str) -> Path:
    """An image named by a manifest or record: a plain file name in the stage folder, no more
    (a tampered or hostile one must not make prune delete, or unprune write, elsewhere)."""
    try:
        path = resolve_inside(stage_dir, name)
    except PathEscape as err:
        raise ArtfarmError.single(
            where, "file", f"{name!r}: {err}", "re-render the stage"
        ) from None
    if path.parent != stage_dir.resolve():
        raise ArtfarmError.single(
            where, "file", f"{name!r} is not a file of this stage folder", "re-render the stage"
        )
    return path


def read_pruned(stage_dir: Path, manifest: StageManifest) -> dict[str, PrunedFile]:
    """Ids pruned from the images this manifest describes (a re-render makes the record void)."""
    path = pruned_path(stage_dir)
    if not path.is_file():
        return {}
    record = load_json_model(PrunedRecord, path, "pruned", root=stage_dir)
    if record.images_sha256 != manifest.images_sha256:
        return {}
    return {
        i: f
        for i, f in record.pruned.items()
        if not image_path(stage_dir, f.file, str(path)).exists()
    }


def merged_record(
    stage_dir: Path, manifest: StageManifest, outputs: list[OutputFile]
) -> PrunedRecord:
    """The stage's record with `outputs` added (an archive writes it for what it leaves out)."""
    path = pruned_path(stage_dir)
    old: dict[str, PrunedFile] = {}
    if path.is_file():
        record = load_json_model(PrunedRecord, path, "pruned", root=stage_dir)
        if record.images_sha256 == manifest.images_sha256:
            old = record.pruned
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    new = {
        o.id: PrunedFile(file=o.file, sha256=o.sha256, size=o.size, pruned_at=when) for o in outputs
    }
    return PrunedRecord(
        stage=manifest.stage, images_sha256=manifest.images_sha256, pruned={**old, **new}
    )


def record_bytes(record: PrunedRecord) -> bytes:
    return canonical_json(record.model_dump(mode="json")).encode("utf-8")


def record_pruned(stage_dir: Path, manifest: StageManifest, outputs: list[OutputFile]) -> None:
    """Written before anything is deleted: an interrupted prune leaves a true record."""
    write_bytes(pruned_path(stage_dir), record_bytes(merged_record(stage_dir, manifest, outputs)))


def pruned_problem(
    book: Book, page: int, stage: str, image_id: str, file: str, field_name: str
) -> Problem | None:
    """A review may not pick an image that was pruned: say so, and how to bring it back."""
    stage_dir = book.page_dir(page) / stage
    if not (stage_dir / MANIFEST).is_file():
        return None
    gone = read_pruned(stage_dir, read_manifest(stage_dir)).get(image_id)
    if gone is None:
        return None
    return Problem(
        file,
        field_name,
        f"{image_id} was pruned on {gone.pruned_at} (`artfarm prune`)",
        f"bring it back with `artfarm unprune {book.root} {page}` "
        "(render cache, else re-rendered from its manifest and checked by sha256), then review",
    )
