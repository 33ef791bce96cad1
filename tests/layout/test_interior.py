"""The print interior, compiled by real Typst from generated art, read back with pypdf."""

import pytest
from pypdf import PdfReader

from artfarm.cli import main
from artfarm.layout.job import open_job

from .conftest import small_layout

IN = 72.0


def build(book, target="pages"):
    assert main(["layout", str(book), target]) == 0
    return book / "layout" / f"{target}.pdf"


def test_the_interior_has_title_dedication_story_and_end_pages_padded_to_even(make_book):
    book = make_book(small_layout(pages=3, dedication="For you."))
    reader = PdfReader(build(book))
    assert len(reader.pages) == 6  # title, dedication, 3 story, end
    text = [p.extract_text() for p in reader.pages]
    assert "Tiny Bear" in text[0] and "For you." in text[1] and "The End" in text[5]
    book2 = make_book(small_layout(pages=2))
    assert len(PdfReader(build(book2)).pages) == 4


def test_pages_are_trim_plus_outer_bleed_and_carry_the_trim_box(make_book):
    reader = PdfReader(build(make_book()))
    for number, page in enumerate(reader.pages, start=1):
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (2.125 * IN, 2.25 * IN)
        trim = page.trimbox
        assert (float(trim.width), float(trim.height)) == (2 * IN, 2 * IN)
        outer_left = number % 2 == 0  # left-hand pages bleed on the left
        assert float(trim.left) == (0.125 * IN if outer_left else 0)


def test_art_is_embedded_as_jpeg_at_print_resolution(make_book):
    reader = PdfReader(build(make_book()))
    page = reader.pages[1]
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    jpeg = next(i for i in images if i.get("/Filter") == "/DCTDecode")
    ppi = min(jpeg["/Width"] / 2.125, jpeg["/Height"] / 2.25)
    assert ppi >= 300


def test_fonts_are_embedded_and_are_the_chosen_family(make_book):
    from artfarm.layout.preflight import page_fonts

    reader = PdfReader(build(make_book()))
    fonts = {f for page in reader.pages for f in page_fonts(page)}
    assert fonts and all(embedded for _, embedded in fonts)
    assert all("AtkinsonHyperlegible" in name for name, _ in fonts)


def test_two_compiles_give_identical_bytes(make_book):
    book = make_book()
    first = build(book).read_bytes()
    (book / "exports" / "print" / "0001.jpg").unlink()  # even re-encoded art is identical
    assert build(book).read_bytes() == first


def test_a_spread_starts_on_a_left_page_and_shows_one_image_across_the_fold(make_book):
    spec = small_layout(pages=2)
    spec["order"] = ["title", "story", "end"]
    spec["pages"][1]["spread"] = True
    spec["pages"].insert(1, {"page": 3, "text": "filler"})  # title 1, story 2-3, spread 4-5
    book = make_book(spec)
    reader = PdfReader(build(book))
    left, right = reader.pages[3], reader.pages[4]

    def xobjects(p):
        return {x.get_object()["/Width"] for x in p["/Resources"]["/XObject"].values()}

    assert xobjects(left) == xobjects(right)


def test_the_sidecar_records_source_and_resolution(make_book):
    book = make_book()
    build(book)
    import json

    sidecar = json.loads((book / "exports" / "print" / "0001.json").read_text())
    assert sidecar["ppi"] >= 300 and sidecar["key"]["source"].endswith("print.png")


@pytest.mark.slow
def test_print_size_art_on_an_8_5_inch_square_book_is_above_350_ppi(make_book):
    spec = small_layout(pages=2)
    for key in ("trim", "safe_margin", "gutter", "fonts"):
        spec.pop(key)
    book = make_book(spec, art_size=(3072, 4096))
    reader = PdfReader(build(book))
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == (
        621,
        630,
    )
    job = open_job(book)
    assert job.plan.pages[1].kind == "story"
    import json

    assert json.loads((book / "exports/print/0001.json").read_text())["ppi"] == pytest.approx(
        356.2, abs=0.1
    )
