"""A vignette's window sits over the picture's detail (its characters), or where book.yaml says."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageStat
from pypdf import PdfReader

from artfarm.cli import main
from artfarm.layout.focus import window

from .conftest import small_layout


def calm_with_figure(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    """A smooth sky-to-grass gradient with one busy 'character' (fine stripes) inside box."""
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        draw.line([(0, y), (w, y)], fill=(120 + 60 * y // h, 170, 220 - 90 * y // h))
    left, top, right, bottom = box
    for x in range(left, right, 6):
        draw.line([(x, top), (x, bottom)], fill=(40, 20, 10), width=2)
    draw.ellipse(box, outline=(0, 0, 0), width=3)
    return img


@pytest.mark.parametrize(
    ("figure_top", "expected_top"),
    [(40, "near the top"), (560, "near the bottom")],
)
def test_the_window_goes_over_the_figure(figure_top, expected_top):
    img = calm_with_figure((600, 800), (200, figure_top, 400, figure_top + 200))
    new_w, new_h = 600, 450
    left, top = window(img, new_w, new_h)
    assert left == 0
    assert top <= figure_top and figure_top + 200 <= top + new_h  # the whole figure is inside
    centred = (800 - new_h) // 2
    assert not (centred <= figure_top and figure_top + 200 <= centred + new_h)  # centre cut it


def test_calm_art_keeps_the_centred_window():
    img = calm_with_figure((600, 800), (0, 0, 0, 0))  # no figure: the gradient alone
    assert window(img, 600, 450) == (0, 175)


def test_a_wide_picture_slides_sideways():
    img = calm_with_figure((1200, 600), (950, 200, 1150, 400))
    left, top = window(img, 450, 600)
    assert top == 0 and left <= 950 and left + 450 >= 1150


@pytest.mark.parametrize(("focus", "top"), [("top", 0), ("middle", 175), ("bottom", 350)])
def test_focus_overrules_the_detail(focus, top):
    img = calm_with_figure((600, 800), (200, 560, 400, 760))
    assert window(img, 600, 450, focus) == (0, top)


def end_vignette(book) -> Image.Image:
    assert main(["layout", str(book), "pages"]) == 0
    end = next(
        p for p in PdfReader(book / "layout" / "pages.pdf").pages if "The End" in p.extract_text()
    )
    (only,) = end.images
    return Image.open(io.BytesIO(only.data)).convert("L")


def stripes_in(img: Image.Image) -> float:
    """How busy the picture is: the figure's stripes make a high spread of grey values."""
    return ImageStat.Stat(img).stddev[0]


def test_the_end_page_shows_the_figure_a_centred_crop_would_cut(make_book):
    book = make_book(small_layout(pages=2, end_art=2))
    calm_with_figure((720, 960), (260, 30, 460, 250)).save(book / "pages/0002/print/print.png")
    auto = stripes_in(end_vignette(book))
    text = (book / "layout" / "book.yaml").read_text("utf-8")
    (book / "layout" / "book.yaml").write_text(text + "end_focus: middle\n", "utf-8")
    centred = stripes_in(end_vignette(book))
    assert auto > 2 * centred  # the detail-placed window holds the figure; the centred one not


def test_an_unknown_focus_is_one_line_naming_the_field(make_book, capsys):
    book = make_book(small_layout(pages=2, title_focus="face"))
    assert main(["layout", str(book), "pages"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "title_focus" in err[0] and "Traceback" not in err[0]
