"""The stages of one page, as the Snakemake rules run them (`scripts/stage.py`).

    draft   spec → N candidates (one GPU job)            → draft/cNN.png + manifest
    select  review gate → copies of the chosen drafts     → selected/cNN.png + manifest
    refine  each selected draft → variants (a GPU job each) → refine/cNN-vK.png + manifest
    final   review gate → picked variant + inpaint fixes  → final/final.png + manifest
    print   final → 2× print art (one GPU job)             → print/print.png + manifest
    thumb   spec → one cheap storyboard thumbnail (GPU job) → thumb/thumb.png + manifest

Every GPU job goes through `execute`: the render cache first (same request hash → same images,
no GPU time), else a leased server via the ComfyUI client, whose journal lets a killed run
re-attach to its prompt instead of paying for it twice.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from PIL import Image

from artfarm.comfy.errors import ServerUnreachable
from artfarm.documents.book import Book
from artfarm.documents.settings import Settings, load_settings
from artfarm.pipeline.awaiting import AwaitingReview
from artfarm.pipeline.input_store import store_input
from artfarm.pipeline.lease import is_down, learn, lease_slot, mark_down
from artfarm.pipeline.manifest import (
    JobRecord,
    OutputFile,
    StageManifest,
    images_identity,
    read_manifest,
    write_manifest,
)
from artfarm.pipeline.render_cache import RenderCache, place
from artfarm.pipeline.server_speeds import job_cost, job_kind
from artfarm.pipeline.todo import clear_failure, write_failure
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import sha256_file

if TYPE_CHECKING:  # each stage imports the heavy parts it uses, when it runs (job_scripts.py)
    from artfarm.comfy.records import RunRecord
    from artfarm.documents.review import RefineReview
    from artfarm.rendering.compiler import CompiledJob
    from artfarm.rendering.prompts import Prompts


@dataclass
class StageRun:
    """What one stage invocation needs: the page, settings, cache, and where progress goes."""

    book: Book
    page: int
    settings: Settings
    params: str = ""
    log: TextIO = field(default=sys.stderr)

    @property
    def page_dir(self) -> Path:
        return self.book.page_dir(self.page)

    @property
    def cache(self) -> RenderCache:
        return RenderCache(self.settings.runtime_path / "cache")

    def say(self, text: str) -> None:
        print(f"[{self.book.id} {self.page:04d}] {text}", file=self.log, flush=True)

    def prompts(self) -> Prompts:
        """The prompts the manifest records for this run's jobs."""
        from artfarm.rendering.prompts import compile_prompts

        spec = self.book.load_spec(self.page)
        return compile_prompts(spec, self.book.style_pack, self.book.bible, self.book.templates_dir)


def job_record(
    run: StageRun, job: CompiledJob, record: dict[str, Any] | None, cached: bool
) -> JobRecord:
    """The manifest's record of one job: the graph as submitted, every input stored in the book."""
    prompts = run.prompts()
    uploads = (record or {}).get("uploads") or {}
    return JobRecord(
        stage=job.stage,
        request_hash=job.request_hash,
        request=job.request,
        graph=submitted_graph(job.graph, uploads if not cached else {}),
        inputs={title: store_input(run.book.root, path) for title, path in job.inputs.items()},
        prompts={"positive": prompts.positive, "negative": prompts.negative},
        seeds=job.request.get("seeds", {}),
        models=job.request.get("models", {}),
        run=without_local_paths(record),
        from_cache=cached,
    )


def without_local_paths(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """The run record minus where the client downloaded each output (a temporary folder):
    an output is known by its server name, sha256 and size, and by the file the stage made."""
    if record is None:
        return None
    record = copy.deepcopy(record)
    for output in record.get("outputs", []):
        output.pop("path", None)
    return record


def submitted_graph(graph: dict[str, Any], uploads: dict[str, str]) -> dict[str, Any]:
    """The compiled graph with the names the server gave the uploads (the same, unless the
    server renamed one): what the client POSTed, in the compiler's key order."""
    graph = copy.deepcopy(graph)
    for node in graph.values():
        title = (node.get("_meta") or {}).get("title")
        if title in uploads and "image" in node.get("inputs", {}):
            node["inputs"]["image"] = uploads[title]
    return graph


def execute(run: StageRun, job: CompiledJob) -> tuple[JobRecord, list[Path]]:
    """Images for `job`: from the render cache when its request was rendered before, else GPU.

    A server that stops answering (the client's retry window ran out) is marked down and the
    job moves to another server; its prompt died with the server, so nothing runs twice."""
    hit = run.cache.lookup(job.request_hash)
    if hit is not None:
        run.say(f"{job.stage}: {job.request_hash[:12]} restored from the render cache (no GPU)")
        return job_record(run, job, hit.record.get("run"), True), hit.files
    from artfarm.comfy.service import servers_in_use  # a cache hit never needs a server

    leases = run.settings.runtime_path / "leases"
    servers = servers_in_use(run.settings)
    models = job.request.get("models", {})
    cost = job_cost(job.graph, job.outputs.count, job.outputs.width, job.outputs.height)
    kind = job_kind(job.stage, models)
    while True:
        with lease_slot(servers, leases, models=models, cost=cost, kind=kind) as lease:
            url = lease.url
            try:
                record, files = render_on(run, job, url, lease.progress)
                learn_speed(leases, url, kind, cost, record)
                break
            except ServerUnreachable as err:
                if all(u == url or is_down(leases, u) for u in servers):
                    raise
                mark_down(leases, url)
                run.say(f"{job.stage}: {err.one_line()} — moving to another server")
    run.say(f"{job.stage}: done in {record.timings.wall_seconds:.1f} s")
    return job_record(run, job, record.model_dump(mode="json"), False), files


def learn_speed(leases: Path, url: str, kind: str, cost: float, record: RunRecord) -> None:
    """The server's execution time of a job it really ran teaches the leases its speed."""
    seconds = record.timings.server_seconds
    if seconds and not (record.cached or record.reattached or record.resubmitted):
        learn(leases, url, kind, cost, seconds)


def render_on(
    run: StageRun, job: CompiledJob, url: str, progress: Callable[[float], None] | None = None
) -> tuple[RunRecord, list[Path]]:
    """The job on the leased server `url`; its images stored in the render cache. `progress`
    hears the share of sampling done (the lease tells other jobs how much this one still needs)."""
    from artfarm.comfy.client import ComfyClient, RetryPolicy
    from artfarm.comfy.credentials import request_headers

    def on_step(value: int, total: int, *_: object) -> None:
        run.say(f"{job.stage}: step {value}/{total}")
        if progress is not None and total > 0:
            progress(value / total)

    run.say(f"{job.stage}: {job.request_hash[:12]} on {url}")
    journal = run.settings.runtime_path / "journal"
    scratch = run.settings.runtime_path / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    retry = RetryPolicy(total_seconds=run.settings.client.retry_seconds)
    with (
        ComfyClient(
            url, journal_dir=journal, retry=retry, headers=request_headers(run.settings, url)
        ) as client,
        tempfile.TemporaryDirectory(dir=scratch) as tmp,
    ):
        record = client.run(
            job.graph,
            {title: str(path) for title, path in job.inputs.items()},
            tmp,
            job_key=job.request_hash,
            on_progress=on_step,
        )
        files = [Path(o.path) for o in record.outputs]
        check_outputs(job, files)
        stored = run.cache.store(job.request_hash, files, {"run": record.model_dump(mode="json")})
    return record, stored.files


def check_outputs(job: CompiledJob, files: list[Path]) -> None:
    """The server must return what the graph declares: count and size."""
    want = job.outputs
    sizes = []
    for path in files:
        with Image.open(path) as image:
            sizes.append(image.size)
    if len(files) != want.count or any(s != (want.width, want.height) for s in sizes):
        raise ArtfarmError.single(
            str(job.template),
            "outputs",
            f"the server returned {len(files)} image(s) {sorted(set(sizes))}, "
            f"expected {want.count} of {want.width}×{want.height}",
            "check the workflow template and the server's nodes",
        )


def output_file(path: Path, output_id: str, source: str | None = None) -> OutputFile:
    with Image.open(path) as image:
        width, height = image.size
    return OutputFile(
        id=output_id,
        file=path.name,
        sha256=sha256_file(path),
        size=path.stat().st_size,
        width=width,
        height=height,
        source=source,
    )


def finish(
    run: StageRun,
    stage: str,
    outputs: list[OutputFile],
    jobs: list[JobRecord],
    folder: Path,
    notes: dict[str, Any] | None = None,
) -> Path:
    for stray in folder.glob("*.png"):
        if stray.name not in {o.file for o in outputs} and stray.name != "contact_sheet.png":
            stray.unlink()
    manifest = StageManifest(
        stage=stage,  # type: ignore[arg-type]
        book_id=run.book.id,
        page=run.page,
        spec=run.book.load_spec(run.page).model_dump(mode="json"),
        params=run.params,
        jobs=jobs,
        outputs=outputs,
        images_sha256=images_identity(outputs),
        notes=notes or {},
    )
    return write_manifest(folder, manifest)


def compile_job(book: Book, page: int, stage: str, **inputs: Any) -> CompiledJob:
    """The compiler's job, the compiler imported on first use (the select stage never is)."""
    from artfarm.rendering.compiler import compile_stage

    return compile_stage(book, page, stage, **inputs)


def draft_jobs(book: Book, page: int) -> list[CompiledJob]:
    return [compile_job(book, page, "draft")]


def thumb_jobs(book: Book, page: int) -> list[CompiledJob]:
    return [compile_job(book, page, "thumb")]


def refine_jobs(book: Book, page: int) -> list[tuple[str, CompiledJob]]:
    """One refine job per selected draft, with the draft's id."""
    selected = read_manifest(book.page_dir(page) / "selected")
    return [
        (
            chosen.id,
            compile_job(
                book,
                page,
                "refine",
                image=book.page_dir(page) / "selected" / chosen.file,
                candidate=chosen.id,
            ),
        )
        for chosen in selected.outputs
    ]


def print_jobs(book: Book, page: int) -> list[CompiledJob]:
    return [compile_job(book, page, "upscale", image=book.page_dir(page) / "final" / "final.png")]


def final_jobs(
    book: Book, page: int, masks: Path, produce: Callable[[CompiledJob], Path]
) -> tuple[list[CompiledJob], Path, RefineReview]:
    """The inpaint jobs of the picked variant, one per review fix, each on the previous result.

    `produce` gives a job's output image (render it, or find it in the render cache), which is
    the next job's input; returns the jobs, the last image and the review.
    """
    from artfarm.pipeline.selection import refine_review_for

    variants = read_manifest(book.page_dir(page) / "refine")
    review = refine_review_for(book, page, variants)
    chosen = variants.output(review.final)
    assert chosen is not None  # refine_review_for checked it
    current = book.page_dir(page) / "refine" / chosen.file
    jobs = []
    for index, fix in enumerate(review.fixes):
        job = compile_job(
            book,
            page,
            "inpaint",
            image=current,
            fix=fix,
            fix_index=index,
            source=review.final,
            workdir=masks,
        )
        jobs.append(job)
        current = produce(job)
    return jobs, current, review


class NotRendered(Exception):
    """A job's input is an earlier job's output that is not rendered (or cached) yet."""


def planned_jobs(
    book: Book, page: int, stage: str, cache: RenderCache, masks: Path
) -> list[CompiledJob]:
    """The jobs `stage` would submit now, compiled exactly as a run compiles them.

    Inpaint fix k works on fix k-1's output: it is taken from the render cache; the jobs
    compiled up to the first one whose input is not rendered yet are returned.
    """
    if stage == "draft":
        return draft_jobs(book, page)
    if stage == "thumb":
        return thumb_jobs(book, page)
    if stage == "refine":
        return [job for _, job in refine_jobs(book, page)]
    if stage == "print":
        return print_jobs(book, page)
    if stage != "final":
        raise ArtfarmError.single(
            "stage", stage, "not a stage with GPU jobs", "use thumb, draft, refine, final or print"
        )
    compiled: list[CompiledJob] = []

    def produce(job: CompiledJob) -> Path:
        compiled.append(job)
        hit = cache.lookup(job.request_hash)
        if hit is None:
            raise NotRendered(len(compiled))
        return hit.files[0]

    with contextlib.suppress(NotRendered):
        final_jobs(book, page, masks, produce)
    return compiled


def run_draft(run: StageRun) -> Path:
    [job] = draft_jobs(run.book, run.page)
    record, files = execute(run, job)
    folder = run.page_dir / "draft"
    outputs = []
    for index, src in enumerate(files, start=1):
        dest = folder / f"c{index:02d}.png"
        place(src, dest)
        outputs.append(output_file(dest, dest.stem))
    record.outputs = [o.id for o in outputs]
    return finish(run, "draft", outputs, [record], folder)


def run_thumb(run: StageRun) -> Path:
    [job] = thumb_jobs(run.book, run.page)
    record, files = execute(run, job)
    folder = run.page_dir / "thumb"
    dest = folder / "thumb.png"
    place(files[0], dest)
    record.outputs = ["thumb"]
    return finish(run, "thumb", [output_file(dest, "thumb")], [record], folder)


def run_select(run: StageRun) -> Path:
    from artfarm.pipeline.selection import select_drafts

    return select_drafts(run.book, run.page, run.params)


def run_refine(run: StageRun) -> Path:
    folder = run.page_dir / "refine"
    outputs, jobs = [], []
    for candidate, job in refine_jobs(run.book, run.page):
        record, files = execute(run, job)
        ids = []
        for k, src in enumerate(files, start=1):
            dest = folder / f"{candidate}-v{k}.png"
            place(src, dest)
            outputs.append(output_file(dest, dest.stem, source=candidate))
            ids.append(dest.stem)
        record.outputs = ids
        jobs.append(record)
    return finish(run, "refine", outputs, jobs, folder)


def run_final(run: StageRun) -> Path:
    folder = run.page_dir / "final"
    records: list[JobRecord] = []

    def produce(job: CompiledJob) -> Path:
        record, files = execute(run, job)
        record.outputs = [f"fix{len(records) + 1:02d}"]
        records.append(record)
        return files[0]

    with tempfile.TemporaryDirectory(dir=folder.parent) as masks:
        _, current, review = final_jobs(run.book, run.page, Path(masks), produce)
        dest = folder / "final.png"
        place(current, dest)
    notes = {"final": review.final, "fixes": len(review.fixes), "rationale": review.rationale}
    return finish(
        run, "final", [output_file(dest, "final", source=review.final)], records, folder, notes
    )


def run_print(run: StageRun) -> Path:
    [job] = print_jobs(run.book, run.page)
    record, files = execute(run, job)
    folder = run.page_dir / "print"
    dest = folder / "print.png"
    place(files[0], dest)
    record.outputs = ["print"]
    return finish(run, "print", [output_file(dest, "print", source="final")], [record], folder)


STAGES: dict[str, Callable[[StageRun], Path]] = {
    "thumb": run_thumb,
    "draft": run_draft,
    "select": run_select,
    "refine": run_refine,
    "final": run_final,
    "print": run_print,
}


def run_stage(
    stage: str,
    book_dir: str | Path,
    page: int,
    *,
    params: str = "",
    log: TextIO | None = None,
    settings: Settings | None = None,
) -> Path:
    book = Book.open(book_dir)
    run = StageRun(book, page, settings or load_settings(), params, log or sys.stderr)
    began = time.monotonic()
    try:
        path = STAGES[stage](run)
    except AwaitingReview:
        clear_failure(run.page_dir, stage)  # waiting is not failing
        raise
    except ArtfarmError as err:
        write_failure(run.page_dir, stage, [p.record() for p in err.problems])
        raise
    clear_failure(run.page_dir, stage)
    run.say(f"{stage}: wrote {path} in {time.monotonic() - began:.2f} s")
    return path
