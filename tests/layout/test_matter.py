"""Front and back matter from the book's own pictures: title and end vignettes, in order."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader

from artfarm.cli import main

from .conftest import small_layout


def build(book):
    assert main(["layout", str(book), "pages"]) == 0
    return PdfReader(book / "layout" / "pages.pdf")


def image_of(page) -> Image.Image:
    (only,) = page.images
    return Image.open(io.BytesIO(only.data))


def test_the_title_page_shows_the_cover_art_and_the_end_page_a_chosen_page(make_book):
    book = make_book(small_layout(pages=3, end_art=3))
    pages = build(book).pages
    assert "Tiny Bear" in pages[0].extract_text() and len(pages[0].images) == 1
    title = image_of(pages[0])
    assert title.width > title.height  # a landscape window onto the portrait art
    end = next(p for p in pages if "The End" in p.extract_text())
    assert len(end.images) == 1
    # the vignettes come from the named pages: cover art = page 1, end art = page 3
    page1 = Image.open(book / "pages/0001/print/print.png").convert("RGB")
    page3 = Image.open(book / "pages/0003/print/print.png").convert("RGB")
    for vignette, source, other in ((title, page1, page3), (image_of(end), page3, page1)):
        colour = vignette.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        near = source.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        far = other.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
        assert sum(abs(a - b) for a, b in zip(colour, near, strict=True)) < sum(
            abs(a - b) for a, b in zip(colour, far, strict=True)
        )


def test_matter_pages_without_pictures_when_asked(make_book):
    book = make_book(small_layout(pages=2, title_art="none"))
    pages = build(book).pages
    assert "Tiny Bear" in pages[0].extract_text() and not pages[0].images
    assert not any(p.images for p in pages if "The End" in p.extract_text())  # end_art: none


def test_matter_pages_follow_the_order(make_book):
    spec = small_layout(pages=2, dedication="For you.", order=["story", "dedication", "end"])
    pages = build(make_book(spec)).pages
    texts = [" ".join(p.extract_text().split()) for p in pages]
    assert "Page 1 text." in texts[0] and "For you." in texts[2] and "The End" in texts[3]
    assert not any("Tiny Bear" in t and "Test Author" in t for t in texts)  # no title page


def test_a_title_picture_outside_the_book_is_one_line_naming_the_field(make_book, capsys):
    book = make_book(small_layout(pages=2, title_art="../../elsewhere.png"))
    assert main(["layout", str(book), "pages"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "title_art" in err[0] and "Traceback" not in err[0]
