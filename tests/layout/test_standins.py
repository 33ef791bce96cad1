"""Print art swapped in after Typst: a printer sees what a direct compile gives (real Typst),
for the interior and the cover wrap."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream, StreamObject

from artfarm.cli import main
from artfarm.layout.art import PRINT
from artfarm.layout.cover import cover_data
from artfarm.layout.interior import interior_data, prepare_pages
from artfarm.layout.job import LayoutJob, open_job
from artfarm.layout.preflight import Report, page_fonts
from artfarm.layout.render import compile_template
from artfarm.layout.standins import compile_with_stand_ins, stand_in_size
from artfarm.problems import ArtfarmError

from .conftest import small_layout

TOLERANCE_PT = 0.01


def print_data(job: LayoutJob) -> dict[str, Any]:
    arts, _ = prepare_pages(job, PRINT)
    return interior_data(job, arts, PRINT, bleed=True)


def multiply(a: list[float], b: list[float]) -> list[float]:
    """PDF matrix product a × b (a applied first)."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def drawn_images(page: Any, reader: PdfReader) -> list[tuple[str, list[float]]]:
    """(image digest, transformation matrix) of every image a page draws, in drawing order."""
    xobjects = page["/Resources"].get("/XObject", {})
    stack, ctm, drawn = [], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], []
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = multiply([float(v) for v in operands], ctm)
        elif op == b"Do":
            image = xobjects[operands[0]].get_object()
            if image.get("/Subtype") == "/Image":
                drawn.append((hashlib.sha256(image._data).hexdigest(), ctm))
    return drawn


def resolved(value: Any) -> Any:
    """A PDF value with references followed (object numbers differ between writers)."""
    value = value.get_object() if hasattr(value, "get_object") else value
    if isinstance(value, StreamObject):
        return {"stream": hashlib.sha256(value._data).hexdigest(), **resolved(dict(value))}
    if isinstance(value, dict):
        return {str(k): resolved(v) for k, v in value.items() if k != "/Length"}
    if isinstance(value, list):
        return [resolved(v) for v in value]
    return str(value)


def printers_view(pdf: Path) -> list[dict[str, Any]]:
    """Per page: boxes, fonts, each image's dictionary and bytes, and where it is drawn."""
    reader = PdfReader(pdf)
    view = []
    for page in reader.pages:
        images = {}
        for ref in page["/Resources"].get("/XObject", {}).values():
            image = ref.get_object()
            keys = {k: resolved(v) for k, v in image.items() if k != "/Length"}
            images[hashlib.sha256(image._data).hexdigest()] = keys
        view.append(
            {
                "boxes": [
                    [round(float(v), 3) for v in page[name]]
                    for name in ("/MediaBox", "/TrimBox", "/BleedBox")
                    if name in page
                ],
                "fonts": sorted(page_fonts(page)),
                "images": images,
                "drawn": drawn_images(page, reader),
            }
        )
    return view


def assert_same_view(direct: list[dict[str, Any]], swapped: list[dict[str, Any]]) -> None:
    assert len(direct) == len(swapped)
    for before, after in zip(direct, swapped, strict=True):
        assert after["boxes"] == before["boxes"]
        assert after["fonts"] == before["fonts"]
        assert after["images"] == before["images"]
        assert [d for d, _ in after["drawn"]] == [d for d, _ in before["drawn"]]
        for (_, m_after), (_, m_before) in zip(after["drawn"], before["drawn"], strict=True):
            assert all(abs(a - b) <= TOLERANCE_PT for a, b in zip(m_after, m_before, strict=True))


def test_a_printer_sees_the_same_pdf_as_from_a_direct_compile(make_book, tmp_path):
    spec = small_layout(pages=3)
    spec["order"] = ["title", "story", "end"]
    spec["pages"][2]["spread"] = True  # one image drawn on two pages
    book = make_book(spec, art_size=(1031, 1373))  # crops without an exact fraction ≤ 1024
    job = open_job(book)
    data = print_data(job)
    direct, swapped = tmp_path / "direct.pdf", tmp_path / "swapped.pdf"
    compile_template("interior.typ", data, job.fonts, job.spec_file, job.field_of, output=direct)
    compile_with_stand_ins(
        "interior.typ", data, job.fonts, job.spec_file, job.field_of, output=swapped
    )
    before, after = printers_view(direct), printers_view(swapped)
    assert PdfReader(swapped).pdf_header == PdfReader(direct).pdf_header  # the PDF version
    assert PdfReader(swapped).metadata == PdfReader(direct).metadata
    assert_same_view(before, after)
    art = {hashlib.sha256(p.read_bytes()).hexdigest() for p in book.glob("exports/print/*.jpg")}
    shown = {digest for page in after for digest, _ in page["drawn"]}
    assert shown == art and len(art) == 3  # the real JPEG bytes, every page's art


def test_the_cover_wrap_shows_a_printer_the_same_pdf_as_a_direct_compile(make_book, tmp_path):
    spec = small_layout(
        trim={"width": 5, "height": 5},
        printer={"min_pages": 8, "min_ppi": 100},
        cover={"art": 1, "back_art": 2, "back_text": "Bear walks up the hill."},
    )
    book = make_book(spec, art_size=(1031, 1373))
    job = open_job(book)
    data = cover_data(job, PRINT, Report(book.name))
    direct, swapped = tmp_path / "direct.pdf", tmp_path / "swapped.pdf"
    compile_template("cover.typ", data, job.fonts, job.spec_file, output=direct)
    compile_with_stand_ins("cover.typ", data, job.fonts, job.spec_file, output=swapped)
    before, after = printers_view(direct), printers_view(swapped)
    assert PdfReader(swapped).pdf_header == PdfReader(direct).pdf_header
    assert_same_view(before, after)
    art = {hashlib.sha256(Path(data[side]["art"]["path"]).read_bytes()).hexdigest()
           for side in ("front", "back")}  # fmt: skip
    [page] = after
    assert {digest for digest, _ in page["drawn"]} == art and len(art) == 2


def test_layout_cover_writes_the_real_art_not_the_stand_ins(make_book):
    spec = small_layout(
        trim={"width": 5, "height": 5},
        printer={"min_pages": 8, "min_ppi": 100},
        cover={"art": 1, "back_art": 2},
    )
    book = make_book(spec)
    assert main(["layout", str(book), "cover"]) == 0
    [page] = printers_view(book / "layout" / "cover.pdf")
    sides = (book / "exports" / "print").glob("cover-*.jpg")
    art = {hashlib.sha256(p.read_bytes()).hexdigest() for p in sides}
    assert len(art) == 2 and {digest for digest, _ in page["drawn"]} == art


def test_art_that_is_no_jpeg_is_refused_before_it_could_go_in_as_one(tmp_path):
    from artfarm.layout.standins import make_stand_in

    png = tmp_path / "art.png"
    Image.new("RGB", (30, 40)).save(png)
    with pytest.raises(ArtfarmError, match="PNG format"):
        make_stand_in(png, tmp_path / "s.jpg", 0)


def test_a_stand_in_has_the_arts_aspect_exactly_when_small_enough_else_within_2e_6():
    assert stand_in_size(3072, 4096) == (9, 12)
    for size in ((3072, 3117), (3073, 4099), (4099, 2053)):  # no exact fraction ≤ 1024
        w, h = stand_in_size(*size)
        assert max(w, h) <= 1024 and abs((w / h) / (size[0] / size[1]) - 1) < 2e-6
    assert min(stand_in_size(6000, 10)) >= 8


def test_stand_ins_keep_the_colour_mode_so_the_image_dictionary_matches(make_book, tmp_path):
    from artfarm.layout.standins import make_stand_in

    grey = tmp_path / "grey.jpg"
    Image.new("L", (300, 400), 128).save(grey)
    make_stand_in(grey, tmp_path / "s.jpg", 0)
    with Image.open(tmp_path / "s.jpg") as img:
        assert img.mode == "L" and img.size == (9, 12)
