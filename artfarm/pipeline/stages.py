"""The stages of one page, as the Snakemake rules run them (`scripts/stage.py`).

    draft   spec → N candidates (one GPU job)            → draft/cNN.png + manifest
    select  review gate → copies of the chosen drafts     → selected/cNN.png + manifest
    refine  each selected draft → variants (a GPU job each) → refine/cNN-vK.png + manifest
    final   review gate → picked variant + inpaint fixes  → final/final.png + manifest
    print   final → 2× print art (one GPU job)             → print/print.png + manifest

Every GPU job goes through `execute`: the render cache first (same request hash → same images,
no GPU time), else a leased server via the ComfyUI client, whose journal lets a killed run
re-attach to its prompt instead of paying for it twice.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from PIL import Image

from artfarm.comfy.client import ComfyClient, RetryPolicy
from artfarm.documents.book import Book
from artfarm.documents.settings import Settings, load_settings
from artfarm.pipeline.lease import lease_server
from artfarm.pipeline.manifest import (
    JobRecord,
    OutputFile,
    StageManifest,
    images_identity,
    read_manifest,
    write_manifest,
)
from artfarm.pipeline.render_cache import RenderCache, place
from artfarm.pipeline.selection import (
    WAIT_MARK,
    WAITING,
    AwaitingReview,
    refine_review_for,
    select_drafts,
)
from artfarm.pipeline.todo import clear_failure, write_failure
from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import CompiledJob, compile_stage
from artfarm.rendering.contenthash import sha256_file
from artfarm.rendering.prompts import compile_prompts


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


def relative(book: Book, path: Path) -> str:
    try:
        return path.resolve().relative_to(book.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def job_record(run: StageRun, job: CompiledJob, record: dict[str, Any] | None, cached: bool):
    spec = run.book.load_spec(run.page)
    prompts = compile_prompts(spec, run.book.style_pack, run.book.bible, run.book.templates_dir)
    return JobRecord(
        stage=job.stage,
        request_hash=job.request_hash,
        request=job.request,
        graph=job.graph,
        inputs={
            title: {"path": relative(run.book, path), "sha256": sha256_file(path)}
            for title, path in job.inputs.items()
        },
        prompts={"positive": prompts.positive, "negative": prompts.negative},
        seeds=job.request.get("seeds", {}),
        models=job.request.get("models", {}),
        run=record,
        from_cache=cached,
    )


def execute(run: StageRun, job: CompiledJob) -> tuple[JobRecord, list[Path]]:
    """Images for `job`: from the render cache when its request was rendered before, else GPU."""
    hit = run.cache.lookup(job.request_hash)
    if hit is not None:
        run.say(f"{job.stage}: {job.request_hash[:12]} restored from the render cache (no GPU)")
        return job_record(run, job, hit.record.get("run"), True), hit.files
    leases = run.settings.runtime_path / "leases"
    with lease_server(run.settings.servers, leases) as url:
        run.say(f"{job.stage}: {job.request_hash[:12]} on {url}")
        journal = run.settings.runtime_path / "journal"
        scratch = run.settings.runtime_path / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        retry = RetryPolicy(total_seconds=run.settings.client.retry_seconds)
        with (
            ComfyClient(url, journal_dir=journal, retry=retry) as client,
            tempfile.TemporaryDirectory(dir=scratch) as tmp,
        ):
            record = client.run(
                job.graph,
                {title: str(path) for title, path in job.inputs.items()},
                tmp,
                job_key=job.request_hash,
                on_progress=lambda value, total, *_: run.say(f"{job.stage}: step {value}/{total}"),
            )
            files = [Path(o.path) for o in record.outputs]
            check_outputs(job, files)
            stored = run.cache.store(
                job.request_hash, files, {"run": record.model_dump(mode="json")}
            )
    run.say(f"{job.stage}: done in {record.timings.wall_seconds:.1f} s")
    return job_record(run, job, record.model_dump(mode="json"), False), stored.files


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


def run_draft(run: StageRun) -> Path:
    job = compile_stage(run.book, run.page, "draft")
    record, files = execute(run, job)
    folder = run.page_dir / "draft"
    outputs = []
    for index, src in enumerate(files, start=1):
        dest = folder / f"c{index:02d}.png"
        place(src, dest)
        outputs.append(output_file(dest, dest.stem))
    record.outputs = [o.id for o in outputs]
    return finish(run, "draft", outputs, [record], folder)


def run_select(run: StageRun) -> Path:
    return select_drafts(run.book, run.page, run.params)


def run_refine(run: StageRun) -> Path:
    selected = read_manifest(run.page_dir / "selected")
    folder = run.page_dir / "refine"
    outputs, jobs = [], []
    for chosen in selected.outputs:
        image = run.page_dir / "selected" / chosen.file
        job = compile_stage(run.book, run.page, "refine", image=image, candidate=chosen.id)
        record, files = execute(run, job)
        ids = []
        for k, src in enumerate(files, start=1):
            dest = folder / f"{chosen.id}-v{k}.png"
            place(src, dest)
            outputs.append(output_file(dest, dest.stem, source=chosen.id))
            ids.append(dest.stem)
        record.outputs = ids
        jobs.append(record)
    return finish(run, "refine", outputs, jobs, folder)


def run_final(run: StageRun) -> Path:
    variants = read_manifest(run.page_dir / "refine")
    review = refine_review_for(run.book, run.page, variants)
    folder = run.page_dir / "final"
    chosen = variants.output(review.final)
    assert chosen is not None  # refine_review_for checked it
    current = run.page_dir / "refine" / chosen.file
    jobs = []
    with tempfile.TemporaryDirectory(dir=folder.parent) as masks:
        for index, fix in enumerate(review.fixes):
            job = compile_stage(
                run.book,
                run.page,
                "inpaint",
                image=current,
                fix=fix,
                fix_index=index,
                source=review.final,
                workdir=Path(masks),
            )
            record, files = execute(run, job)
            record.outputs = [f"fix{index + 1:02d}"]
            jobs.append(record)
            current = files[0]
        dest = folder / "final.png"
        place(current, dest)
    notes = {"final": review.final, "fixes": len(review.fixes), "rationale": review.rationale}
    return finish(
        run, "final", [output_file(dest, "final", source=review.final)], jobs, folder, notes
    )


def run_print(run: StageRun) -> Path:
    final = run.page_dir / "final" / "final.png"
    job = compile_stage(run.book, run.page, "upscale", image=final)
    record, files = execute(run, job)
    folder = run.page_dir / "print"
    dest = folder / "print.png"
    place(files[0], dest)
    record.outputs = ["print"]
    return finish(run, "print", [output_file(dest, "print", source="final")], [record], folder)


STAGES: dict[str, Callable[[StageRun], Path]] = {
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="stage.py", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("book")
    parser.add_argument("page", type=int)
    parser.add_argument("--params", default="", help="the rule's content hash, for the record")
    parser.add_argument("--log", help="append progress here (errors also go to stderr)")
    args = parser.parse_args(argv)
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stderr  # noqa: SIM115
    try:
        run_stage(args.stage, args.book, args.page, params=args.params, log=log)
        return 0
    except AwaitingReview as err:  # the run summary says what waits; the log says why
        for problem in err.problems:
            print(f"{WAIT_MARK}{problem.line()}", file=log)
        return WAITING
    except ArtfarmError as err:
        for problem in err.problems:  # Snakemake shows the log of a failed job
            print(f"error: {problem.line()}", file=log)
        return 1
    finally:
        if log is not sys.stderr:
            log.close()
