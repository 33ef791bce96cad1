"""The whole sample book as `make demo` makes it (sketch server, real Snakemake, the scripted
reviewer), looked at page by page: no story text sits over a character, on any page.

Where the characters are comes from the sketch drawing itself (tests/layout/figures.py:
the reviewed draft is drawn again and must match the stored one pixel for pixel); where the
text is comes from the PDF. Nothing is pinned in layout/book.yaml: placement is `auto`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from artfarm.documents.book import Book
from artfarm.layout.fonts import SHIPPED_REGULAR
from artfarm.layout.geometry import Box
from artfarm.layout.job import open_job
from artfarm.pipeline.awaiting import WAITING
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.testing import running_sketch_server
from tests.layout.figures import figures_on_page, overlaps, text_boxes
from tests.pipeline.project import REPO, Project, write_config

pytestmark = pytest.mark.slow

BOOK = "books/gingerbear_01"


def copy_sample_book(root: Path) -> Book:
    """The repo's sample book as checked in (a demo's outputs in this checkout are left out)."""
    shutil.copytree(REPO / "style_packs", root / "style_packs")
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", BOOK],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    return Book(root / BOOK)


def union(boxes: list[Box]) -> Box:
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def grow(box: Box, by: float) -> Box:
    return Box(box.x - by, box.y - by, box.w + 2 * by, box.h + 2 * by)


def test_no_text_sits_over_a_character_on_any_page_of_the_sample_book(tmp_path: Path) -> None:
    root = tmp_path / "project"
    book = copy_sample_book(root)
    layout = yaml.safe_load((book.root / "layout" / "book.yaml").read_text())
    assert all(p.get("placement", "auto") == "auto" for p in layout["pages"])
    with running_sketch_server(tmp_path, models_dir=tmp_path / "models") as server:
        write_config(root, server.url, server.models_dir)
        store = ModelStore(server.models_dir)
        write_placeholders(book, store)
        lock_book(book, store)
        project = Project(root, server)
        target = f"{BOOK}/layout/pages.pdf"
        for _ in range(6):  # the bible's sheets, then the pages: each waits at its two gates
            run = project.snakemake(target, timeout=3600)
            if run.returncode == 0:
                break
            assert run.returncode == WAITING, run.stderr
            for stage in ("draft", "refine"):  # as make demo: the scripted reviewer
                project.artfarm("review", BOOK, "all", stage, "--auto")
        assert run.returncode == 0, run.stderr
    job = open_job(book.root)
    pdf = PdfReader(book.root / "layout" / "pages.pdf")
    checked, over = [], []
    for planned in job.plan.pages:
        story = planned.story
        if story is None or not story.text.strip():
            continue
        figures = figures_on_page(book.root, story.page, job.geometry.art_box(planned.recto))
        runs = text_boxes(pdf.pages[planned.number - 1], SHIPPED_REGULAR, 0)
        assert runs, f"page {story.page}: no text found in the PDF"
        words = " ".join(text for text, _ in runs)
        assert story.text.split()[0] in words
        size = job.spec.fonts.size
        inset = 0.45 * size + 4 if story.style == "panel" else 0.08 * size + 1
        block = grow(union([box for _, box in runs]), inset)  # the panel (or halo) and its text
        checked.append(story.page)
        over += [(story.page, figure) for figure in figures if overlaps(block, figure)]
    assert checked == [p["page"] for p in layout["pages"]]
    assert not over, f"text over a character: {over}"
