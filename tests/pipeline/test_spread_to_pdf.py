"""Issue 10's page shapes end to end: the sample book (pages 1-3) on a square trim, page 2 made
a spread, through the real Snakefile on a sketch server at the book's real sizes. The spread's
art is one landscape image across the fold at print resolution, its halves join, its text stays
out of the gutter, and no page's art is cropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from artfarm.layout.geometry import PT_PER_IN
from artfarm.pipeline.awaiting import WAITING
from artfarm.rendering.canvas import page_canvas
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.testing import running_sketch_server
from tests.layout.test_spreads import placed_images, text_runs
from tests.pipeline.project import Project, write_config
from tests.pipeline.test_sample_book_to_pdf import BOOK, cut_sample_book

pytestmark = pytest.mark.slow

TRIM, BLEED, GUTTER = 8.5 * PT_PER_IN, 0.125 * PT_PER_IN, 0.25 * PT_PER_IN


def test_a_spread_is_landscape_art_across_the_gutter_at_print_resolution(tmp_path: Path) -> None:
    root = tmp_path / "project"
    book = cut_sample_book(root)
    layout = yaml.safe_load(book.layout_path.read_text())
    layout.update(trim="8.5x8.5", bleed=0.125, gutter=0.25)
    [entry] = [p for p in layout["pages"] if p["page"] == 2]
    entry.update(spread=True, text_side="right", placement="left")  # text next to the fold
    book.layout_path.write_text(yaml.safe_dump(layout, allow_unicode=True))
    with running_sketch_server(tmp_path, models_dir=tmp_path / "models") as server:
        write_config(root, server.url, server.models_dir)
        store = ModelStore(server.models_dir)
        write_placeholders(book, store)
        lock_book(book, store)
        project = Project(root, server)
        target = f"{BOOK}/layout/pages.pdf"
        # Phase 0 (the character sheet the pages use), then the pages: two gates each
        for stage in ("draft", "refine", "draft", "refine"):
            waiting = project.snakemake(target, timeout=2400)
            assert waiting.returncode == WAITING, waiting.stderr
            assert project.artfarm("review", BOOK, "all", stage, "--auto").returncode == 0
        done = project.snakemake(target, timeout=2400)
        assert done.returncode == 0, done.stderr

    canvas = page_canvas(book, 2)
    assert canvas.pages == 2 and canvas.final[0] > 1.9 * canvas.final[1]
    with Image.open(book.page_dir(2) / "print" / "print.png") as art:
        assert art.size == (2 * canvas.final[0], 2 * canvas.final[1])
    with Image.open(book.page_dir(1) / "print" / "print.png") as art:
        assert abs(art.size[0] / art.size[1] - 8.625 / 8.75) < 0.01  # a square trim's art

    pdf = PdfReader(root / target)  # title 1, dedication 2, page 1 on 3, the spread on 4-5
    [left] = placed_images(pdf, 3)
    [right] = placed_images(pdf, 4)
    assert left.pixels == right.pixels and left.w == right.w
    assert left.pixels[0] > 1.9 * left.pixels[1]  # landscape, across both pages
    assert left.pixels[0] / (left.w / PT_PER_IN) >= 300  # ppi across the whole spread
    assert left.pixels[1] / (left.h / PT_PER_IN) >= 300
    assert abs((BLEED + TRIM - left.x) - (0.0 - right.x)) < 0.01  # one fold column on both
    assert text_runs(pdf, 3) == []
    runs = text_runs(pdf, 4)
    assert runs and all(x >= GUTTER for _, x in runs), runs

    preflight = json.loads((book.root / "layout" / "preflight.json").read_text())
    assert preflight["ok"] is True, preflight
    problems = [f["problem"] for f in preflight["findings"]]
    assert not [p for p in problems if "cropped" in p or "gutter" in p], problems
