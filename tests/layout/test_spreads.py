"""Spreads and art shapes in the laid-out PDF (real Typst, read back with pypdf): one image
runs on across the fold, text stays out of the gutter, cropped art is named."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pypdf import PdfReader
from pypdf.generic import ContentStream

from artfarm.cli import main
from artfarm.layout.art import PRINT
from artfarm.layout.geometry import PT_PER_IN, Box
from artfarm.layout.interior import build_interior, placements, prepare_pages
from artfarm.layout.job import open_job
from artfarm.layout.placement import gutter_findings

from .conftest import small_layout

BLEED = 0.125 * PT_PER_IN
TRIM = 2 * PT_PER_IN  # small_layout's 2 × 2 in trim
GUTTER = 0.1 * PT_PER_IN


@dataclass(frozen=True)
class Placed:
    """An image as a PDF page draws it: its pixels and its box on the media (points)."""

    name: str
    pixels: tuple[int, int]
    x: float
    y: float
    w: float
    h: float


def multiply(a: list[float], b: list[float]) -> list[float]:
    """PDF matrix product a × b ([a b c d e f] row-vector convention)."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def placed_images(reader: PdfReader, index: int) -> list[Placed]:
    """Every image XObject drawn on a page, with the box the current matrix gives it."""
    page = reader.pages[index]
    xobjects = page["/Resources"].get("/XObject", {})
    stream = ContentStream(page.get_contents(), reader)
    ctm, stack, found = [1.0, 0, 0, 1.0, 0, 0], [], []
    for operands, op in stream.operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = multiply([float(v) for v in operands], ctm)
        elif op == b"Do":
            image = xobjects[operands[0]].get_object()
            if image.get("/Subtype") != "/Image":
                continue
            x0, y0 = ctm[4], ctm[5]
            x1, y1 = ctm[0] + ctm[2] + ctm[4], ctm[1] + ctm[3] + ctm[5]
            found.append(
                Placed(
                    str(operands[0]),
                    (int(image["/Width"]), int(image["/Height"])),
                    min(x0, x1),
                    min(y0, y1),
                    abs(x1 - x0),
                    abs(y1 - y0),
                )
            )
    return found


def text_runs(reader: PdfReader, index: int) -> list[tuple[str, float]]:
    """Each shown text run on a page and the media x where it starts."""
    runs: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text.strip(), multiply(list(tm), list(cm))[4]))

    reader.pages[index].extract_text(visitor_text=visit)
    return runs


def spread_book(make_book, art_size=(720, 960), **page):
    """Title on 1, story page 1 on 2, page 3 on 3, page 2 a spread on 4–5 (a left-hand start)."""
    spec = small_layout(pages=3)
    spec["order"] = ["title", "story", "end"]
    spec["pages"] = [
        {"page": 1, "text": "One."},
        {"page": 3, "text": "Three."},
        {"page": 2, "text": "Across the creek they went.", "spread": True, **page},
    ]
    return make_book(spec, art_size=art_size)


def build(book, target="pages"):
    assert main(["layout", str(book), target]) == 0
    return PdfReader(book / "layout" / f"{target}.pdf")


def assert_continuous(reader: PdfReader, verso: int) -> Placed:
    """The two pages draw one image; the left page's fold and the right page's fold (its
    x = 0 on the trim) fall on the same column of it, so the halves join without a seam."""
    [left] = placed_images(reader, verso)
    [right] = placed_images(reader, verso + 1)
    assert left.pixels == right.pixels and left.w == right.w and left.h == right.h
    assert left.pixels[0] > left.pixels[1]  # landscape
    fold_in_left = BLEED + TRIM - left.x  # the left page's media: bleed, then its trim
    fold_in_right = 0.0 - right.x  # the right page binds on its left edge: trim starts at 0
    assert abs(fold_in_left - fold_in_right) < 0.01
    # 'cover' centres the image on its box, a fraction of a point wider (whole pixels)
    over = (left.w - (2 * TRIM + 2 * BLEED)) / 2
    assert abs(over) < 0.5
    assert abs(fold_in_left - (BLEED + TRIM + over)) < 0.01  # the art starts at the left bleed
    return left


def test_a_spreads_right_half_continues_the_left_half_across_the_fold(make_book):
    book = spread_book(make_book, art_size=(720, 960))  # the spread's art: 1440 × 960
    reader = build(book)
    placed = assert_continuous(reader, 3)
    assert placed.pixels[0] == 1440  # every column of the art, cropped top and bottom only


def test_the_proof_shows_a_spread_as_a_spread(make_book):
    book = spread_book(make_book)
    reader = build(book, "proof")
    placed = assert_continuous(reader, 3)
    assert placed.pixels[0] < 1440  # the proof's ≈150 ppi copy of the same landscape art


def test_a_spreads_text_keeps_out_of_the_gutter(make_book):
    book = spread_book(
        make_book, text_side="right", placement="left"
    )  # as near the fold as it goes
    reader = build(book)
    assert text_runs(reader, 3) == []  # the left half carries no text
    runs = text_runs(reader, 4)
    assert runs and all(x >= GUTTER for _, x in runs), runs
    report = build_interior(open_job(book), PRINT, book / "layout" / "check.pdf")
    assert [f for f in report.findings if "gutter" in f.problem] == []


def test_a_text_box_reaching_into_the_gutter_is_an_error_naming_the_page(make_book):
    book = spread_book(make_book, text_side="left", placement="right")
    job = open_job(book)
    arts, _ = prepare_pages(job, PRINT)
    choice = placements(job, arts)[2]
    assert gutter_findings(job, choice, "pages[2]") == []
    crossing = Box(TRIM - 20, choice.rect.y, 40, choice.rect.h)  # over the fold at x = TRIM
    moved = replace(choice, rects={**choice.rects, choice.placement: crossing})
    [finding] = gutter_findings(job, moved, "pages[2]")
    assert finding.severity == "error" and finding.page == 2
    assert "page 2:" in finding.problem and "gutter of the left-hand page" in finding.problem
    assert finding.field == "pages[2].placement" and "set placement: left" in finding.fix


def test_art_of_another_shape_is_a_warning_naming_the_page_and_how_much_is_cut(make_book):
    spec = small_layout(pages=2)
    book = make_book(spec, art_size=(720, 960))  # 3:4 art in 2.125 × 2.25 in: 21 % cut
    job = open_job(book)
    _, findings = prepare_pages(job, PRINT)
    crops = [f for f in findings if "cropped" in f.problem]
    assert [(f.severity, f.page) for f in crops] == [("warning", 1), ("warning", 2)]
    assert "page 1: 21% of the art is cropped" in crops[0].problem
    assert "render page 1 again" in crops[0].fix


def test_art_at_its_layout_shape_is_not_warned_about(make_book):
    spec = small_layout(pages=2)
    # 2.125 × 2.25 in at 320 ppi: 680 × 720; 1 px off on a side is far below 2 %
    book = make_book(spec, art_size=(681, 720))
    _, findings = prepare_pages(open_job(book), PRINT)
    assert [f for f in findings if "cropped" in f.problem] == []


def test_low_resolution_art_of_another_shape_is_told_to_render_again_not_to_upscale(make_book):
    """Portrait art on a spread: cropped to a strip, too few pixels; the print upscale already
    ran, so the fix is a render at the spread's shape."""
    book = spread_book(make_book, art_size=(150, 400))  # the spread's art: 300 × 400
    _, findings = prepare_pages(open_job(book), PRINT)
    [low] = [f for f in findings if f.page == 2 and f.severity == "error"]
    assert "page 2: art is" in low.problem and "below 300" in low.problem
    assert "render page 2 again" in low.fix and "upscale" not in low.fix
