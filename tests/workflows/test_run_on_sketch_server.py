"""Compiled jobs run on the sketch server (real HTTP) and produce the declared images."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from artfarm.comfy.client import ComfyClient
from artfarm.documents.book import Book
from artfarm.documents.review import InpaintFix
from artfarm.rendering.canvas import page_canvas
from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.testing import running_sketch_server
from tests.bookfactory import make_book, make_store

FIX = InpaintFix.model_validate(
    {"mask": {"kind": "box", "x": 8, "y": 8, "width": 40, "height": 30}, "prompt": "a paw"}
)


def run(client: ComfyClient, job, dest: Path) -> list[Path]:
    """One stage as the pipeline runs it: the client uploads the inputs itself."""
    record = client.run(job.graph, job.inputs, dest, job_key=job.request_hash)
    return [Path(o.path) for o in record.outputs]


def assert_declared(job, images: list[Path]) -> None:
    assert len(images) == job.outputs.count
    for path in images:
        with Image.open(path) as img:
            assert img.size == (job.outputs.width, job.outputs.height)


def render_page(book: Book, page: int, store: ModelStore, client: ComfyClient, tmp: Path):
    """draft → refine the first candidate → inpaint the first variant → upscale it."""
    draft = compile_stage(book, page, "draft", store=store)
    drafts = run(client, draft, tmp / "draft")
    assert_declared(draft, drafts)
    refine = compile_stage(book, page, "refine", store=store, image=drafts[0], candidate="c01")
    variants = run(client, refine, tmp / "refine")
    assert_declared(refine, variants)
    inpaint = compile_stage(
        book, page, "inpaint", store=store, image=variants[0], fix=FIX, fix_index=0, workdir=tmp
    )
    fixed = run(client, inpaint, tmp / "inpaint")
    assert_declared(inpaint, fixed)
    upscale = compile_stage(book, page, "upscale", store=store, image=fixed[0])
    printed = run(client, upscale, tmp / "print")
    assert_declared(upscale, printed)
    return printed


def test_every_stage_runs_on_the_sketch_server_with_the_declared_images(tmp_path):
    book = make_book(tmp_path, pages=1)
    store = make_store(tmp_path, book)
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        client = ComfyClient(server.url, journal_dir=tmp_path / "journal")
        [printed] = render_page(book, 1, store, client, tmp_path / "out")
    with Image.open(printed) as img:
        assert img.size == (256, 256)


@pytest.mark.slow
def test_the_sample_book_renders_page_one_at_real_sizes(sample_book, tmp_path):
    book = Book(sample_book)
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        client = ComfyClient(server.url, journal_dir=tmp_path / "journal")
        [printed] = render_page(book, 1, store, client, tmp_path / "out")
    final = page_canvas(book, 1).final  # 8x10 trim + bleed, at 1536×2048's pixel budget
    assert abs(final[0] * final[1] / (1536 * 2048) - 1) < 0.01
    with Image.open(printed) as img:
        assert img.size == (2 * final[0], 2 * final[1])
