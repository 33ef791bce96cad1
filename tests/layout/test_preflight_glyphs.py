"""Preflight checks every text the book prints against the face it is drawn in.

Titles, the end line, the front and spine text are set bold; the rest regular. A family whose
bold file lacks a character the regular file has must be refused exactly where bold text uses
it, and every text field is checked, not only the story pages.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont

from artfarm.layout.fonts import SHIPPED_FONT_DIR, FontSet
from artfarm.layout.job import open_job
from artfarm.layout.preflight import text_findings
from tests.layout.conftest import small_layout

BOLD = {"title", "end_text", "cover.front_text", "cover.spine_text"}
ALL = BOLD | {
    "subtitle",
    "author",
    "dedication",
    "cover.back_text",
    "copyright.holder",
    "copyright.note",
    "pages[0].text",
    "pages[1].text",
}


def _texts(text: str) -> dict[str, Any]:
    layout = small_layout(pages=2)
    layout.update(title=text, subtitle=text, author=text, dedication=text, end_text=text)
    layout["cover"].update(front_text=text, back_text=text, spine_text=text)
    layout["copyright"] = {"holder": text, "note": text}
    for page in layout["pages"]:
        page["text"] = text
    return layout


@pytest.fixture
def family_without_bold_e_acute(tmp_path: Path) -> FontSet:
    """'Mut': the shipped regular file, and the shipped bold with é (U+00E9) taken out."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    regular = folder / "Mut-Regular.ttf"
    shutil.copyfile(SHIPPED_FONT_DIR / "AtkinsonHyperlegible-Regular.ttf", regular)
    bold = TTFont(SHIPPED_FONT_DIR / "AtkinsonHyperlegible-Bold.ttf")
    keep = set(bold.getBestCmap()) - {0xE9}
    cutter = subset.Subsetter(subset.Options())
    cutter.populate(unicodes=keep)
    cutter.subset(bold)
    bold.save(folder / "Mut-Bold.ttf")
    assert 0xE9 in TTFont(regular).getBestCmap()
    return FontSet((folder,), "Mut", (regular, folder / "Mut-Bold.ttf"))


def _fields(make_book: Any, text: str, fonts: FontSet | None = None) -> set[str]:
    job = open_job(make_book(_texts(text)))
    if fonts is not None:
        job = replace(job, fonts=fonts)
    return {f.field for f in text_findings(job)}


def test_every_printed_text_is_checked_for_glyphs(make_book: Any) -> None:
    assert _fields(make_book, "Snow ☃") == ALL  # U+2603: in no face of the shipped family
    assert _fields(make_book, "Snow") == set()


def test_bold_texts_are_checked_against_the_bold_face_and_the_rest_the_regular(
    make_book: Any, family_without_bold_e_acute: FontSet
) -> None:
    assert _fields(make_book, "Café", family_without_bold_e_acute) == BOLD
