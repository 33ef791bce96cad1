"""The storyboard built by real Typst from art placed by hand: openings, spreads, best art, PNG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from artfarm.cli import main
from artfarm.layout.job import open_job
from artfarm.layout.storyboard import storyboard_art_paths

from .conftest import small_layout

IN = 72.0
TRIM = 2 * IN  # the small trim, 2 × 2 in
BLEED = 0.125 * IN
THUMB = (40, 200, 90)  # a flat green, so a pixel tells whose art it is
FINAL = (200, 40, 40)


def solid(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (64, 80)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def spread_book(make_book) -> Path:
    """Story page 1 is a spread (physical pages 2–3); every page has a thumbnail only."""
    spec = small_layout()
    spec["pages"][0]["spread"] = True
    book = make_book(spec, with_art=False)
    for page in range(1, 5):
        solid(book / f"pages/{page:04d}/thumb/thumb.png", THUMB)
    return book


def drawn_images(reader: PdfReader, page) -> list[tuple[float, float]]:
    """(width, height) in points of every image the page draws, from its content stream."""
    xobjects = page["/Resources"].get("/XObject") or {}
    stack, ctm, sizes = [], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            a, b, c, d, e, f = (float(x) for x in operands)
            ctm = [
                a * ctm[0] + b * ctm[2],
                a * ctm[1] + b * ctm[3],
                c * ctm[0] + d * ctm[2],
                c * ctm[1] + d * ctm[3],
                e * ctm[0] + f * ctm[2] + ctm[4],
                e * ctm[1] + f * ctm[3] + ctm[5],
            ]
        elif operator == b"Do" and xobjects[operands[0]].get_object()["/Subtype"] == "/Image":
            sizes.append((abs(ctm[0]), abs(ctm[3])))
    return sizes


def test_openings_in_reading_order_with_the_spread_across_the_fold(make_book):
    book = spread_book(make_book)
    assert main(["layout", str(book), "storyboard"]) == 0
    reader = PdfReader(book / "layout/storyboard.pdf")
    # title | spread 2–3 | 4 5 | 6 7 | 8 (a blank page evens the count)
    assert len(reader.pages) == 5
    texts = [page.extract_text() for page in reader.pages]
    assert "Tiny Bear" in texts[0] and "title" in texts[0]
    assert "Page 1 text." in texts[1] and "2" in texts[1] and "3" in texts[1]
    assert "Page 2 text." in texts[2] and "Page 3 text." in texts[2]
    assert "Page 4 text." in texts[3] and "end" in texts[3]
    assert "blank" in texts[4]
    for page in reader.pages:
        assert float(page.mediabox.width) == 2 * TRIM + 2 * 36
    spread = drawn_images(reader, reader.pages[1])
    assert len(spread) == 1  # one picture across both pages
    assert abs(spread[0][0] - (2 * TRIM + 2 * BLEED)) < 0.1
    pair = drawn_images(reader, reader.pages[2])
    assert len(pair) == 2 and all(abs(w - (TRIM + BLEED)) < 0.1 for w, _ in pair)


def test_each_page_shows_its_best_art_final_then_selected_then_thumbnail(make_book):
    book = spread_book(make_book)
    final = solid(book / "pages/0002/final/final.png", FINAL)
    selected = solid(book / "pages/0003/selected/c02.png", FINAL)
    solid(book / "pages/0004/draft/c01.png", FINAL)  # not reviewed: nobody chose it
    paths = storyboard_art_paths(open_job(book))
    assert paths == [
        book / "pages/0001/thumb/thumb.png",
        final,
        selected,
        book / "pages/0004/thumb/thumb.png",
    ]
    assert main(["layout", str(book), "storyboard"]) == 0
    texts = [p.extract_text() for p in PdfReader(book / "layout/storyboard.pdf").pages]
    assert "story page 2 · final art" in texts[2]
    assert "story page 3 · selected draft" in texts[2]
    assert "story page 4 · thumbnail" in texts[3]


def test_a_page_without_any_art_needs_its_thumbnail(make_book):
    book = make_book(with_art=False)
    job = open_job(book)
    assert storyboard_art_paths(job) == [
        book / f"pages/{n:04d}/thumb/thumb.png" for n in range(1, 5)
    ]


def test_a_layout_page_without_a_spec_is_a_placeholder_not_a_render(make_book, capsys):
    book = spread_book(make_book)
    (book / "pages/0003/renderspec.json").unlink()
    (book / "pages/0003/thumb/thumb.png").unlink()
    assert book / "pages/0003/thumb/thumb.png" not in storyboard_art_paths(open_job(book))
    assert main(["layout", str(book), "storyboard"]) == 0
    warning = capsys.readouterr().err
    assert "page 3: no art yet" in warning and "artfarm new-page books/tiny 3" in warning
    texts = [p.extract_text() for p in PdfReader(book / "layout/storyboard.pdf").pages]
    assert "story page 3 · no art yet" in texts[2] and "no art yet" in texts[2]


def test_the_overview_is_one_deterministic_image_of_every_opening_in_a_grid(make_book):
    book = spread_book(make_book)
    assert main(["layout", str(book), "storyboard"]) == 0
    png = book / "layout/storyboard.png"
    first = png.read_bytes()
    with Image.open(png) as image:
        # 5 openings of 360 × 239 pt → 2 columns × 3 rows, the long side 1568 px
        assert image.size == (1568, round(3 * 239.04 / 720 * 1568))
        scale = 1568 / 720
        rgb = image.convert("RGB")

        def at(x_pt: float, y_pt: float) -> tuple[int, int, int]:
            return rgb.getpixel((round(x_pt * scale), round(y_pt * scale)))

        fold_x, middle_y = 360 + 36 + TRIM, 36 + TRIM / 2  # the spread: column 2, row 1
        for dx in (-20, 20):  # the same art on both sides of the fold
            assert all(
                abs(a - b) < 20 for a, b in zip(at(fold_x + dx, middle_y), THUMB, strict=True)
            )
        assert at(36 + TRIM / 2, middle_y) == (255, 255, 255)  # no page left of page 1
    assert main(["layout", str(book), "storyboard"]) == 0
    assert png.read_bytes() == first


def test_next_suggests_the_storyboard_for_a_fresh_book_until_it_exists(tiny_book, capsys):
    assert main(["next", str(tiny_book)]) == 0
    hint = f"snakemake {tiny_book / 'layout' / 'storyboard.pdf'}"
    assert hint in capsys.readouterr().out
    (tiny_book / "layout" / "storyboard.pdf").write_bytes(b"%PDF-")
    assert main(["next", str(tiny_book)]) == 0
    assert hint not in capsys.readouterr().out
