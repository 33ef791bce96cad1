"""`artfarm prune`: delete draft candidates no review kept and refine variants not picked.

What stays: every manifest (byte for byte: Snakemake recorded its checksum, and downstream
rules compare it), contact sheets, selected drafts, the picked variant, finals, print art,
reviews and their history. Beside each pruned stage's manifest, `pruned.json` records every
deleted file (id, sha256, size, when) for the images the manifest describes; the manifest
itself still lists each output's sha256, so a review's recorded hash never goes stale.

Only pages whose review is current are pruned: a page waiting for (or needing) a re-review
keeps every image. Bytes are freed only when no other hard link remains (the render cache
keeps one per output until `artfarm cache prune`), counted by inode and st_nlink.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artfarm.documents.book import Book
from artfarm.pipeline.manifest import MANIFEST, OutputFile, StageManifest, read_manifest
from artfarm.pipeline.pruned import image_path, record_pruned
from artfarm.pipeline.reviewing import load_review
from artfarm.problems import ArtfarmError


@dataclass(frozen=True)
class Doomed:
    """One image to delete: where it is and what its manifest says about it."""

    stage_dir: Path
    manifest: StageManifest
    output: OutputFile

    @property
    def path(self) -> Path:
        return self.stage_dir / self.output.file


@dataclass
class PruneReport:
    files: list[Path] = field(default_factory=list)
    freed: int = 0
    still_linked: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self, dry_run: bool) -> str:
        verb = "would delete" if dry_run else "deleted"
        text = f"{verb} {len(self.files)} file(s), {mib(self.freed)} freed"
        if self.still_linked:
            text += (
                f"; {mib(self.still_linked)} more stay on disk as hard links in the render cache"
                " (`artfarm cache prune` frees them)"
            )
        return text


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def stage_doomed(stage_dir: Path, judged: str, keep: set[str]) -> list[Doomed]:
    """Outputs of a stage whose images are the ones the review judged, minus those it kept."""
    if not (stage_dir / MANIFEST).is_file():
        return []
    manifest = read_manifest(stage_dir)
    if manifest.images_sha256 != judged:
        return []  # stale review: the agent must look at every image again
    where = str(stage_dir / MANIFEST)
    return [
        Doomed(stage_dir, manifest, o)
        for o in manifest.outputs
        if o.id not in keep and image_path(stage_dir, o.file, where).is_file()
    ]


def page_doomed(book: Book, page: int, *, drafts: bool, variants: bool) -> list[Doomed]:
    review = load_review(book, page)
    if review is None:
        return []
    page_dir = book.page_dir(page)
    doomed: list[Doomed] = []
    if drafts and review.draft is not None:
        judged, keep = review.draft.drafts_sha256, set(review.draft.selected)
        doomed += stage_doomed(page_dir / "draft", judged, keep)
    if variants and review.refine is not None:
        judged, keep = review.refine.variants_sha256, {review.refine.final}
        doomed += stage_doomed(page_dir / "refine", judged, keep)
    return doomed


def plan_prune(book: Book, *, drafts: bool, variants: bool) -> tuple[list[Doomed], list[str]]:
    """Every image to delete, and one line per page left alone because its review is broken."""
    doomed: list[Doomed] = []
    skipped: list[str] = []
    for page in book.page_numbers():
        try:
            doomed += page_doomed(book, page, drafts=drafts, variants=variants)
        except ArtfarmError as err:
            skipped += [f"kept page {page:04d}: {p.line()}" for p in err.problems]
    return doomed, skipped


def bytes_freed(paths: list[Path]) -> tuple[int, int]:
    """(freed, still linked elsewhere): an inode is freed once all its links are deleted."""
    inodes: dict[tuple[int, int], list[Any]] = {}
    for path in paths:
        stat = path.stat()
        entry = inodes.setdefault((stat.st_dev, stat.st_ino), [0, stat.st_nlink, stat.st_size])
        entry[0] += 1
    freed = sum(size for count, links, size in inodes.values() if count >= links)
    held = sum(size for count, links, size in inodes.values() if count < links)
    return freed, held


def prune_book(
    book: Book, *, drafts: bool = True, variants: bool = True, dry_run: bool = False
) -> PruneReport:
    doomed, skipped = plan_prune(book, drafts=drafts, variants=variants)
    report = PruneReport(files=[d.path for d in doomed], skipped=skipped)
    report.freed, report.still_linked = bytes_freed(report.files)
    if dry_run:
        return report
    by_stage: dict[Path, list[Doomed]] = {}
    for d in doomed:
        by_stage.setdefault(d.stage_dir, []).append(d)
    for stage_dir, items in by_stage.items():
        record_pruned(stage_dir, items[0].manifest, [d.output for d in items])
        for d in items:
            os.unlink(d.path)
    return report
