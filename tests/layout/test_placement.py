"""Text placement over the art: busy regions planted in synthetic art, real Typst measuring."""

import json
from pathlib import Path

from PIL import Image, ImageDraw

from artfarm.cli import main
from artfarm.layout.art import PRINT
from artfarm.layout.geometry import Box
from artfarm.layout.interior import placements, prepare_pages, shown_box
from artfarm.layout.job import open_job
from artfarm.layout.placement import ASKED_BUSY, BUSY, busyness, grey_sample

from .conftest import small_layout

SIZE = (638, 675)  # the page box's aspect (2.125 × 2.25 in): no crop, trim maps linearly


DARK, LIGHT = (40, 30, 20), (250, 240, 200)


def planted(path: Path, busy: tuple[float, float, float, float], dark=DARK, light=LIGHT) -> None:
    """A flat sky-blue picture with a checkerboard 'character' over a fraction box of it."""
    img = Image.new("RGB", SIZE, (170, 205, 235))
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = (round(v * s) for v, s in zip(busy, SIZE * 2, strict=True))
    for x in range(x0, x1, 20):
        for y in range(y0, y1, 20):
            if (x // 20 + y // 20) % 2:
                draw.rectangle([x, y, x + 19, y + 19], fill=dark)
            else:
                draw.rectangle([x, y, x + 19, y + 19], fill=light)
    img.save(path)


def book_with(make_book, busy, pages=None, constraints=None):
    spec = small_layout(pages=1)
    if pages:
        spec["pages"] = pages
    root = make_book(spec)
    folder = root / "pages" / "0001"
    planted(folder / "print" / "print.png", busy)
    if constraints:
        (folder / "renderspec.json").write_text(
            json.dumps({"scene": "Bear", "constraints": constraints})
        )
    return root


def choice_and_art(root):
    job = open_job(root)
    arts, _ = prepare_pages(job, PRINT)
    choice = placements(job, arts)[1]
    page = next(p for p in job.plan.pages if p.story and p.story.page == 1)
    return job, choice, shown_box(job, page, arts[1].box)


def overlap(a: Box, b: Box) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(0.0, w) * max(0.0, h)


def fraction_box(art: Box, busy) -> Box:
    x0, y0, x1, y1 = busy
    return Box(art.x + x0 * art.w, art.y + y0 * art.h, (x1 - x0) * art.w, (y1 - y0) * art.h)


def preflight(root):
    assert main(["layout", str(root), "pages"]) == 0
    report = json.loads((root / "layout" / "preflight.json").read_text())
    return [f for f in report["findings"] if f["severity"] == "warning" and f["page"] == 1]


def test_auto_text_avoids_a_busy_bottom_and_lands_on_the_calm_top(make_book):
    busy = (0.0, 0.45, 1.0, 1.0)
    _, choice, art = choice_and_art(book_with(make_book, busy))
    assert choice.placement == "top" and not choice.pinned
    assert overlap(choice.rect, fraction_box(art, busy)) == 0
    assert choice.busy["top"] < BUSY <= choice.busy["bottom"]


def test_auto_text_avoids_a_busy_top(make_book):
    busy = (0.0, 0.0, 1.0, 0.55)
    _, choice, art = choice_and_art(book_with(make_book, busy))
    assert choice.placement == "bottom"
    assert overlap(choice.rect, fraction_box(art, busy)) == 0


def test_auto_text_finds_the_one_calm_side(make_book):
    busy = (0.0, 0.0, 0.45, 1.0)  # calm only on the right: top and bottom both cross the figure
    _, choice, art = choice_and_art(book_with(make_book, busy))
    assert choice.placement == "right"
    assert overlap(choice.rect, fraction_box(art, busy)) == 0


def test_the_specs_calm_space_wins_while_the_art_there_is_calm(make_book):
    root = book_with(make_book, (0.0, 0.0, 0.0, 0.0), constraints=["calm space at the top"])
    faint = (0.0, 0.0, 1.0, 0.4)  # a soft pattern in the sky: calm, yet not flat
    planted(root / "pages/0001/print/print.png", faint, (165, 200, 230), (180, 214, 242))
    _, choice, _ = choice_and_art(root)
    assert choice.candidates[0] == "top" and not choice.pinned
    assert 0 < choice.busy["top"] < BUSY and choice.busy["bottom"] < choice.busy["top"]
    assert choice.placement == "top"


def test_a_calm_space_the_art_does_not_leave_loses_to_a_calm_one(make_book):
    busy = (0.0, 0.45, 1.0, 1.0)  # the model drew the figure where the spec asked for calm
    root = book_with(make_book, busy, constraints=["calm space at the bottom"])
    _, choice, art = choice_and_art(root)
    assert choice.candidates[0] == "bottom" and choice.placement == "top"
    assert overlap(choice.rect, fraction_box(art, busy)) == 0
    assert not [w for w in preflight(root) if w["field"] == "pages[0].placement"]


def test_the_specs_calm_space_keeps_text_over_some_detail_and_says_so(make_book):
    """Busyness sees edges, not characters: clouds in the sky asked for stay the text's place
    (the figures stand elsewhere); preflight names the page and the spec's request."""
    for style in ("outline", "panel"):
        pages = [{"page": 1, "text": "Page 1 text.", "style": style}]
        root = book_with(
            make_book, (0.0, 0.0, 0.0, 0.0), pages=pages, constraints=["calm space at the top"]
        )
        clouds = (0.0, 0.0, 1.0, 0.4)
        planted(root / "pages/0001/print/print.png", clouds, (150, 185, 215), (200, 225, 245))
        _, choice, _ = choice_and_art(root)
        assert BUSY <= choice.busy["top"] < ASKED_BUSY and choice.busy["bottom"] < BUSY
        assert choice.placement == "top" and choice.asked == ("top",)
        warnings = [w for w in preflight(root) if w["field"] == "pages[0].placement"]
        if style == "panel":  # the panel dims the clouds behind the letters: no warning
            assert warnings == []
            continue
        (warning,) = warnings
        assert warning["problem"].startswith("page 1: text at 'top' sits over busy art")
        assert "calm space its renderspec asked for" in warning["problem"]
        assert "style: panel" in warning["fix"]


def test_a_pinned_placement_is_respected_and_warned_about(make_book):
    busy = (0.0, 0.45, 1.0, 1.0)
    pages = [{"page": 1, "text": "Page 1 text.", "placement": "bottom"}]
    root = book_with(make_book, busy, pages=pages)
    _, choice, art = choice_and_art(root)
    assert choice.pinned and choice.placement == "bottom"
    assert overlap(choice.rect, fraction_box(art, busy)) > 0
    (warning,) = [w for w in preflight(root) if w["field"] == "pages[0].placement"]
    assert warning["problem"].startswith("page 1: text at 'bottom' sits over busy art")
    assert "'top' is calm" in warning["problem"]


def test_calm_art_gives_no_placement_warning(make_book):
    root = book_with(make_book, (0.0, 0.0, 0.0, 0.0))
    assert not [w for w in preflight(root) if w["field"] == "pages[0].placement"]


def test_text_that_shrinks_is_a_warning_naming_the_page_and_the_size(make_book):
    long = " ".join(["The bear walked on and on through the tall wet grass."] * 3)
    pages = [{"page": 1, "text": long, "placement": "over"}]
    root = book_with(make_book, (0.0, 0.0, 0.0, 0.0), pages=pages)
    _, choice, _ = choice_and_art(root)
    assert 6 < choice.size < 9
    (warning,) = [w for w in preflight(root) if w["field"] == "pages[0].text"]
    assert (
        warning["problem"] == f"page 1: text shrank from 9 to {choice.size:g} pt to fit at 'over'"
    )


def test_auto_prefers_a_placement_where_the_text_keeps_its_size(make_book):
    poem = "\n".join(["Hop.", "Skip.", "Jump.", "Run.", "Stop.", "Sleep."])
    pages = [{"page": 1, "text": poem}]
    root = book_with(make_book, (0.0, 0.0, 0.0, 0.0), pages=pages)
    _, choice, _ = choice_and_art(root)
    assert choice.fits["bottom"].size < 9  # the default first choice would shrink it ...
    assert choice.placement in ("left", "right") and choice.size == 9  # ... a side does not


def test_busyness_is_zero_on_flat_art_and_high_on_a_pattern(tmp_path):
    path = tmp_path / "art.png"
    planted(path, (0.0, 0.5, 1.0, 1.0))
    sample = grey_sample(path)
    art = Box(0, 0, 100, 100)
    assert busyness(sample, art, Box(0, 0, 100, 45)) == 0
    assert busyness(sample, art, Box(0, 55, 100, 45)) >= 3 * BUSY
