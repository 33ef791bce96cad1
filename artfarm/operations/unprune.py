"""`artfarm unprune books/<id> PAGE`: bring back the images `artfarm prune` deleted from a page.

Each image comes from the render cache when its job's entry is still there, else its job is
run again from the manifest alone, as `artfarm replay` does: the graph exactly as submitted,
the uploaded inputs from the book's input store (checked by sha256 first). Either way the
bytes must hash to the sha256 the manifest recorded, so a review's judged hash stays true;
otherwise nothing is written and the line says why (a different server, model or node
version no longer draws the same image).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from artfarm.comfy.client import ComfyClient, RetryPolicy
from artfarm.comfy.credentials import request_headers
from artfarm.documents.book import Book
from artfarm.documents.settings import Settings
from artfarm.pipeline.input_store import stored_input
from artfarm.pipeline.lease import lease_server
from artfarm.pipeline.manifest import MANIFEST, JobRecord, OutputFile, read_manifest
from artfarm.pipeline.pruned import image_path, read_pruned
from artfarm.pipeline.render_cache import RenderCache, place
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import sha256_file

STAGES = ("draft", "refine")


def job_inputs(book: Book, job: JobRecord, where: str) -> dict[str, str]:
    """The files the job uploaded, from the book's input store, each checked by sha256."""
    return {
        title: str(stored_input(book.root, record, f"{where}: inputs.{title}"))
        for title, record in job.inputs.items()
    }


def rerender(
    settings: Settings, graph: dict, inputs: dict[str, str], key: str, dest: Path
) -> list[Path]:
    """Run the stored graph on a leased server; the images land in `dest`."""
    retry = RetryPolicy(total_seconds=settings.client.retry_seconds)
    with lease_server(settings.server_urls, settings.runtime_path / "leases") as url:
        journal = settings.runtime_path / "journal"
        headers = request_headers(settings, url)
        with ComfyClient(url, journal_dir=journal, retry=retry, headers=headers) as client:
            record = client.run(graph, inputs, dest, job_key=key)
    return [Path(o.path) for o in record.outputs]


def cached_images(settings: Settings, job: JobRecord) -> list[Path]:
    hit = RenderCache(settings.runtime_path / "cache").lookup(job.request_hash)
    return hit.files if hit is not None else []


def mismatch(files: list[Path], job: JobRecord, gone: dict[str, OutputFile]) -> str | None:
    """The first pruned image whose bytes `files` do not hold, as a problem text."""
    for image_id, output in gone.items():
        index = job.outputs.index(image_id)
        got = sha256_file(files[index]) if index < len(files) else "nothing"
        if got != output.sha256:
            return f"{image_id}: made again, sha256 {got[:12]}…, recorded {output.sha256[:12]}…"
    return None


def bring_back(
    book: Book, settings: Settings, stage_dir: Path, job: JobRecord, gone: dict[str, OutputFile]
) -> str:
    """Put the job's pruned images back, all or none (each must hash as recorded); says how.

    The render cache first; else (or if its files are not the recorded bytes) one new run of
    the stored graph, under its own journal key so it is not the old prompt's history."""
    where = str(stage_dir / MANIFEST)
    files, source = cached_images(settings, job), "from the render cache"
    scratch = settings.runtime_path / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        if not files or mismatch(files, job, gone):
            inputs = job_inputs(book, job, where)
            key = f"unprune:{job.request_hash}"
            files = rerender(settings, job.graph, inputs, key, Path(tmp))
            source = "re-rendered from the manifest"
        problem = mismatch(files, job, gone)
        if problem:
            raise ArtfarmError.single(
                where,
                "outputs",
                f"{problem}: no longer the same image",
                "the server, a model or a node changed; review the images there are, "
                "or re-render the page's stage and review again",
            )
        for image_id, output in gone.items():
            place(files[job.outputs.index(image_id)], image_path(stage_dir, output.file, where))
    return source


def unprune_page(
    book: Book, page: int, settings: Settings, say: Callable[[str], None] = print
) -> int:
    """Every pruned image of one page, back in place; returns how many."""
    count = 0
    for stage in STAGES:
        stage_dir = book.page_dir(page) / stage
        if not (stage_dir / MANIFEST).is_file():
            continue
        manifest = read_manifest(stage_dir)
        pruned = read_pruned(stage_dir, manifest)
        for job in manifest.jobs:
            gone = {o.id: o for o in manifest.outputs if o.id in pruned and o.id in job.outputs}
            if gone:
                source = bring_back(book, settings, stage_dir, job, gone)
                say(f"{stage_dir}: {', '.join(sorted(gone))} back, {source} (sha256 checked)")
                count += len(gone)
    return count
