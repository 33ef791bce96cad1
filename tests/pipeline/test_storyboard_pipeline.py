"""`snakemake books/<id>/layout/storyboard.pdf` on the sketch server: thumbnails, then better art."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from artfarm.pipeline.awaiting import WAITING
from artfarm.pipeline.manifest import read_manifest
from artfarm.sketch.testing import running_sketch_server
from tests.layout.test_storyboard import drawn_images
from tests.pipeline.project import BOOK, Project, make_pipeline_project

pytestmark = pytest.mark.slow

STORYBOARD = f"{BOOK}/layout/storyboard.pdf"
TRIM, BLEED = 8.5 * 72, 0.125 * 72  # the tiny book's layout keeps the default trim


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


def spread_project(root: Path, server) -> Project:
    """The tiny book with story page 1 as a spread: title | 2–3 | 4 5 | end."""
    project = make_pipeline_project(root, server)
    layout = project.root / BOOK / "layout" / "book.yaml"
    spec = yaml.safe_load(layout.read_text())
    spec["pages"][0]["spread"] = True
    layout.write_text(yaml.safe_dump(spec, sort_keys=False))
    return project


def sheet_texts(project: Project) -> list[str]:
    return [p.extract_text() for p in PdfReader(project.root / STORYBOARD).pages]


def test_a_fresh_books_storyboard_renders_thumbnails_only(tmp_path: Path, server) -> None:
    project = spread_project(tmp_path / "project", server)
    planned = {rule: sorted(pages) for rule, pages in project.planned_jobs(STORYBOARD).items()}
    assert planned == {"thumb": ["0001", "0002", "0003"], "storyboard": [""]}
    before = project.submissions()
    done = project.snakemake(STORYBOARD)
    assert done.returncode == 0, done.stderr
    assert project.submissions() - before == 3  # one cheap job per page, no draft burst
    for page in (1, 2, 3):
        assert not (project.page(page) / "draft").exists()
        manifest = read_manifest(project.page(page) / "thumb")
        assert manifest.stage == "thumb" and manifest.ids() == ["thumb"]
        assert manifest.jobs[0].request["outputs"]["count"] == 1
        assert manifest.jobs[0].run is not None  # provenance: the server's run record
    with Image.open(project.page(1) / "thumb" / "thumb.png") as spread_thumb:
        assert spread_thumb.width > 1.8 * spread_thumb.height  # the canvas of two pages
    reader = PdfReader(project.root / STORYBOARD)
    texts = sheet_texts(project)
    assert len(texts) == 4  # title | spread 2–3 | 4 5 | end
    assert "Tiny Test Book" in texts[0]
    assert "Words for page 1." in texts[1] and "story page 1 · thumbnail" in texts[1]
    assert "Words for page 2." in texts[2] and "Words for page 3." in texts[2]
    assert "end" in texts[3]
    [spread] = drawn_images(reader, reader.pages[1])  # one picture across the fold
    # a thumbnail is a few dozen pixels: its crop to the box's shape may round a pixel off,
    # and Typst then scales it to cover the box fully (the overhang is clipped)
    assert 2 * TRIM + 2 * BLEED - 0.1 < spread[0] < (2 * TRIM + 2 * BLEED) * 1.05
    assert len(drawn_images(reader, reader.pages[2])) == 2
    with Image.open(project.root / BOOK / "layout" / "storyboard.png") as overview:
        sheet_w, sheet_h = 2 * TRIM + 72, TRIM + 72 + 2 * 0.08 * TRIM
        assert overview.size == (1568, round(sheet_h / sheet_w * 1568))  # 2 × 2 openings
    assert project.planned_jobs(STORYBOARD) == {}  # up to date

    shutil.rmtree(project.page(3) / "thumb")  # gone, with the storyboard: the cache has it
    (project.root / STORYBOARD).unlink()
    done = project.snakemake(STORYBOARD)
    assert done.returncode == 0, done.stderr
    assert project.submissions() - before == 3
    assert "restored from the render cache" in (project.page(3) / "logs/thumb.log").read_text()


def test_a_final_pick_replaces_the_thumbnail_and_rebuilds_the_storyboard(
    tmp_path: Path, server
) -> None:
    project = spread_project(tmp_path / "project", server)
    assert project.snakemake(STORYBOARD).returncode == 0
    final = f"{BOOK}/pages/0002/final/final.png"
    assert project.snakemake(final).returncode == WAITING
    assert project.artfarm("review", BOOK, "2", "draft", "--auto").returncode == 0
    assert project.snakemake(final).returncode == WAITING
    assert project.artfarm("review", BOOK, "2", "refine", "--auto").returncode == 0
    done = project.snakemake(final)
    assert done.returncode == 0, done.stderr
    assert project.planned_jobs(STORYBOARD) == {"storyboard": [""]}  # no render: art exists
    done = project.snakemake(STORYBOARD)
    assert done.returncode == 0, done.stderr
    assert "story page 2 · final art" in sheet_texts(project)[2]
    assert "story page 3 · thumbnail" in sheet_texts(project)[2]
    sidecar = project.root / BOOK / "layout" / "storyboard_art" / "0002.json"
    assert json.loads(sidecar.read_text())["key"]["source"].endswith("pages/0002/final/final.png")
