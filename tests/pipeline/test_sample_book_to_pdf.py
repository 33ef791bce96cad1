"""The sample book, cut to three pages, from its words to `layout/pages.pdf` through the real
top-level Snakefile (Gingerbread Boy's rendered sheet first, then draft, review gates, refine,
final, print, layout, preflight) on a sketch server, reviewed the way `make demo` does:
`artfarm review --auto` at each gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from artfarm.documents.book import Book
from artfarm.pipeline.awaiting import WAITING
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import REPO, Project, write_config

pytestmark = pytest.mark.slow

BOOK = "books/gingerbear_01"
PAGES = (1, 2, 3)


def cut_sample_book(root: Path, pages: tuple[int, ...] = PAGES) -> Book:
    """The repo's sample book with `pages` only (specs, layout text, bible, pins)."""
    shutil.copytree(REPO / "style_packs", root / "style_packs")
    book_dir = root / BOOK
    shutil.copytree(REPO / BOOK, book_dir, ignore=shutil.ignore_patterns("exports", "layout"))
    for page in book_dir.glob("pages/*"):
        if int(page.name) not in pages:
            shutil.rmtree(page)
    layout = yaml.safe_load((REPO / BOOK / "layout" / "book.yaml").read_text())
    layout["pages"] = [p for p in layout["pages"] if p["page"] in pages]
    layout["cover"]["art"] = pages[0]  # the cover and end page show pages the cut keeps
    layout["end_art"] = pages[-1]
    (book_dir / "layout").mkdir()
    (book_dir / "layout" / "book.yaml").write_text(yaml.safe_dump(layout, allow_unicode=True))
    return Book(book_dir)


def test_the_sample_book_goes_from_specs_to_a_print_ready_pdf(tmp_path: Path) -> None:
    root = tmp_path / "project"
    book = cut_sample_book(root)
    layout = yaml.safe_load((book.root / "layout" / "book.yaml").read_text())
    with running_sketch_server(tmp_path, models_dir=tmp_path / "models") as server:
        write_config(root, server.url, server.models_dir)
        store = ModelStore(server.models_dir)
        write_placeholders(book, store)
        lock_book(book, store)
        project = Project(root, server)
        target = f"{BOOK}/layout/pages.pdf"
        for stage in ("draft", "refine"):  # Phase 0: every page uses Gingerbread Boy's sheet
            waiting = project.snakemake(target, timeout=1800)
            assert waiting.returncode == WAITING, waiting.stderr
            assert (
                f"sheet:gingerbread: awaiting-{'draft-review' if stage == 'draft' else 'final-pick'}"
                in waiting.stderr
            )
            assert not list(book.root.glob("pages/*/draft/manifest.json"))  # pages wait
            assert project.artfarm("review", BOOK, "all", stage, "--auto").returncode == 0
        assert (book.root / "bible" / "character_refs" / "gingerbread.png").exists() is False
        first = project.snakemake(target, timeout=1800)
        assert first.returncode == WAITING, first.stderr  # every page waits for its drafts
        assert (book.root / "bible" / "character_refs" / "gingerbread.manifest.json").is_file()
        assert project.artfarm("review", BOOK, "all", "draft", "--auto").returncode == 0
        second = project.snakemake(target, timeout=1800)
        assert second.returncode == WAITING, second.stderr  # ... then for its final pick
        assert project.artfarm("review", BOOK, "all", "refine", "--auto").returncode == 0
        done = project.snakemake(target, timeout=1800)
        assert done.returncode == 0, done.stderr
        # the sheet's draft and refine, then each page's draft, refine and print
        assert len(server.stats.prompts_accepted) == 2 + 3 * len(PAGES)
    pdf = PdfReader(root / target)
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert layout["title"] in text
    for entry in layout["pages"]:
        assert " ".join(entry["text"].split()[:6]) in text, entry["page"]
    assert len(pdf.pages) % 2 == 0
    for page in pdf.pages:
        assert page.trimbox != page.mediabox  # bleed around a trim box
    fonts = {
        font["/BaseFont"]
        for page in pdf.pages
        for font in (page["/Resources"].get_object().get("/Font") or {}).values()
        for font in [font.get_object()]
    }
    assert fonts and all("Atkinson" in str(f) for f in fonts)
    images = sum(len(page.images) for page in pdf.pages)
    assert images >= len(PAGES)  # the art of every story page is in the PDF
    preflight = json.loads((book.root / "layout" / "preflight.json").read_text())
    assert preflight["ok"] is True, preflight
