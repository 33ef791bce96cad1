"""Typography a picture-book designer accepts by default: short read-aloud lines, panels no
wider than their words, no folios on full-bleed art unless asked."""

from __future__ import annotations

from pypdf import PdfReader

from artfarm.cli import main
from artfarm.layout.art import PRINT
from artfarm.layout.fonts import SHIPPED_REGULAR
from artfarm.layout.interior import placements, prepare_pages
from artfarm.layout.job import open_job

from .conftest import small_layout
from .figures import text_boxes

LONG = " ".join(["Bear and the boy walked on and on, up the hill and down again."] * 3)


def build(book):
    assert main(["layout", str(book), "pages"]) == 0
    return PdfReader(book / "layout" / "pages.pdf")


def story_runs(reader, index):
    return text_boxes(reader.pages[index], SHIPPED_REGULAR, 0)


def test_lines_stay_within_the_measure(make_book):
    wide = {"width": 4, "height": 2}  # a landscape page: the top region is 3.5 in wide
    fonts = {"size": 9, "min_size": 6, "title_size": 14}
    for measure, longest_at_most in ((10, 10 * 9), (40, 40 * 9)):
        spec = small_layout(
            pages=1, trim=wide, fonts={**fonts, "measure": measure}, order=["story"]
        )
        spec["printer"] = {"min_pages": 2, "min_ppi": 100}  # small art: fast
        spec["pages"][0].update(text=LONG, placement="top", style="plain")
        reader = build(make_book(spec))
        widths = [box.w for _, box in story_runs(reader, 0)]
        assert len(widths) >= 2
        assert max(widths) <= longest_at_most + 1
        if measure == 40:  # the region, not the measure, bounds the line then
            assert max(widths) > 10 * 9 + 20


def test_a_short_text_gets_a_panel_as_wide_as_its_words(make_book):
    spec = small_layout(pages=1, trim={"width": 4, "height": 3}, order=["story"])
    spec["printer"] = {"min_pages": 2, "min_ppi": 100}
    spec["pages"][0].update(text="Hop!", placement="top")
    book = make_book(spec, art_size=(840, 640))
    job = open_job(book)
    arts, _ = prepare_pages(job, PRINT)
    choice = placements(job, arts)[1]
    safe = job.geometry.safe_box(True)
    assert choice.rect.w < safe.w / 3  # not the whole top band
    (run,) = [box for text, box in story_runs(build(book), 0) if text == "Hop!"]
    assert choice.rect.x <= run.x and run.x + run.w <= choice.rect.x + choice.rect.w + 1


def folio_runs(reader):
    """Page numbers printed, once each (a folio is drawn twice: its halo, then its letters)."""
    runs = [t for p in reader.pages for t, _ in text_boxes(p, SHIPPED_REGULAR, 0) if t.isdigit()]
    return list(dict.fromkeys(runs))


def test_folios_stay_off_full_bleed_art_unless_asked(make_book):
    assert folio_runs(build(make_book(small_layout(pages=2, page_numbers=True)))) == []
    on_art = build(make_book(small_layout(pages=2, folios_on_art=True)))
    assert folio_runs(on_art) == ["2", "3"]  # after the title page: story pages 2 and 3
    off = build(make_book(small_layout(pages=2, folios_on_art=True, page_numbers=False)))
    assert folio_runs(off) == []


def test_a_side_column_is_flush_left_unless_the_page_says_otherwise(make_book):
    text = "Swish, swish, went the grass, and on they went, up the long hill to the top."
    for align, flush in ((None, True), ("center", False)):
        spec = small_layout(pages=1, order=["story"])
        spec["pages"][0].update(text=text, placement="right")
        if align:
            spec["pages"][0]["align"] = align
        runs = story_runs(build(make_book(spec)), 0)
        assert len(runs) >= 3  # one run per line in the narrow column
        starts = {round(box.x, 1) for _, box in runs}
        assert (len(starts) == 1) is flush, starts
