"""The cover wrap as a printer needs it: spine text only above the printer's threshold, the
barcode area clear of art and text, the blurb above it."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader

from artfarm.cli import main
from artfarm.layout.art import PROOF
from artfarm.layout.cover import cover_data, spine_width
from artfarm.layout.fonts import SHIPPED_REGULAR
from artfarm.layout.geometry import PT_PER_IN, Box
from artfarm.layout.job import open_job
from artfarm.layout.preflight import Report
from artfarm.layout.render import compile_template

from .conftest import small_layout
from .figures import overlaps, text_boxes

LONG_BLURB = " ".join(["Bear and the boy walk up the hill to see the stars."] * 14)


def cover_book(make_book, **printer):
    spec = small_layout(
        trim={"width": 5, "height": 5},
        printer={"min_pages": 8, "min_ppi": 100, **printer},  # small art, fast
        cover={"art": 1, "back_art": 2, "back_text": LONG_BLURB},
    )
    return make_book(spec)


@pytest.mark.parametrize("above", [True, False])
def test_spine_text_only_when_the_spine_reaches_the_printers_threshold(make_book, above):
    book = cover_book(make_book)
    spine_in = spine_width(open_job(book)) / PT_PER_IN
    threshold = spine_in * (0.98 if above else 1.02)
    book = cover_book(make_book, min_spine_text_in=round(threshold, 6))
    assert main(["layout", str(book), "cover"]) == 0
    text = PdfReader(book / "layout/cover.pdf").pages[0].extract_text()
    assert ("Tiny Bear — Test Author" in text) is above


def test_the_barcode_area_is_clear_of_art_and_text(make_book):
    book = cover_book(make_book, barcode=[2.0, 1.2])
    job = open_job(book)
    data = cover_data(job, PROOF, Report("tiny"))
    bc = data["back"]["barcode"]
    assert (bc["w"], bc["h"]) == pytest.approx((2.0 * PT_PER_IN, 1.2 * PT_PER_IN))
    assert data["back"]["art"] is not None  # art under the whole back cover
    png = compile_template("cover.typ", data, job.fonts, job.spec_file, fmt="png", ppi=72)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    bleed = job.geometry.bleed
    region = image.crop(
        (
            round(bc["x"] + bleed) + 1,
            round(bc["y"] + bleed) + 1,
            round(bc["x"] + bc["w"] + bleed) - 1,
            round(bc["y"] + bc["h"] + bleed) - 1,
        )
    )
    assert ImageStat.Stat(region).extrema == [(255, 255)] * 3  # white, nothing drawn in it
    around = image.crop((0, 0, round(bc["x"]), image.height))
    assert ImageStat.Stat(around).stddev[0] > 5  # the back art is there beside it
    assert main(["layout", str(book), "cover"]) == 0
    page = PdfReader(book / "layout/cover.pdf").pages[0]
    runs = text_boxes(page, SHIPPED_REGULAR, 0)
    assert any("Bear and the boy" in text for text, _ in runs)
    barcode = Box(bc["x"], bc["y"], bc["w"], bc["h"])
    assert not [text for text, box in runs if overlaps(box, barcode)]


def test_no_barcode_area_when_the_printer_needs_none(make_book):
    book = cover_book(make_book, barcode=[0, 0])
    assert cover_data(open_job(book), PROOF, Report("tiny"))["back"]["barcode"] is None
