"""The board in a real headless Chromium: review by clicking and by keyboard, draw a fix, build.

The acceptance of issue 13: open a rendered book, review a page by clicking, draw a box, save;
the review passes the pipeline's gate (real Snakemake goes on); a conflicting save is refused
and nothing is lost; a request without the token is refused.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from artfarm.documents.bible import SHEET, BibleItem
from artfarm.documents.book import Book
from artfarm.documents.review import BoxMask, ImageMask, InpaintFix, PolygonMask
from artfarm.pipeline.bible_items import load_item_review
from artfarm.pipeline.manifest import read_manifest
from artfarm.pipeline.reviewing import load_review, review_drafts, review_refine
from artfarm.sketch.testing import running_sketch_server
from tests.board.conftest import screenshot
from tests.pipeline.fakes import fake_stage, paint
from tests.pipeline.project import BOOK, edit_spec, make_pipeline_project
from tests.pipeline.test_sheets import fake_sheet_stage, render_bear

BEAR = BibleItem(SHEET, "bear")

pytestmark = pytest.mark.slow

BUILD_MS = 600_000


@pytest.fixture(scope="module")
def sketch(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


def expect():
    from playwright.sync_api import expect

    return expect


def ready(tab) -> None:
    """Wait until the board's script has wired the page (before that, keys do nothing)."""
    tab.wait_for_selector("body[data-ready]", state="attached")


def build_from_the_board(tab, base: str, number: int) -> None:
    """Click "Build the book" and wait until that build ends (it stops at the next review)."""
    tab.goto(base + "/")
    ready(tab)
    tab.click("#start-build")
    expect()(tab.locator("#build-state")).to_have_text(
        f"build {number} stopped at the reviews: pages wait for you", timeout=BUILD_MS
    )
    tab.reload()
    ready(tab)


def give_page_3_a_rendered_golden_image(project) -> None:
    """Page 3 uses the golden image `dusk`, which the pipeline renders: the board's bible row
    then has an item waiting for review (and the README's picture shows one)."""
    style = project.root / BOOK / "bible" / "style_refs"
    hand_made = []
    for name in ("hills", "dunes"):
        shutil.copy(style / "style_01.png", style / f"hand_{name}.png")
        image = f"bible/style_refs/hand_{name}.png"
        hand_made.append({"id": name, "scene": name, "image": image, "pages": [3]})
    dusk = {"id": "dusk", "scene": "a meadow at dusk", "pages": [3], "render": {"seed": 9}}
    path = project.root / BOOK / "bible" / "characters.yaml"
    bible = yaml.safe_load(path.read_text())
    bible["style_refs"] = [dusk, *hand_made]
    path.write_text(yaml.safe_dump(bible, sort_keys=False))
    characters = project.book.load_spec(3).refs.characters
    edit_spec(project, 3, refs={"style": [], "characters": characters})


def test_a_person_reviews_the_book_in_the_browser(
    tmp_path: Path, sketch, board_for, context, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_pipeline_project(tmp_path / "project", sketch)
    monkeypatch.setenv("ARTFARM_CONFIG", str(project.root / "config" / "config.yaml"))
    give_page_3_a_rendered_golden_image(project)
    book = project.book
    board = board_for(book, project.root)
    tab = context.new_page()
    tab.goto(board.url)
    expect()(tab).to_have_url(board.base + "/")  # the token left the address bar

    build_from_the_board(tab, board.base, 1)
    for subject in ("1", "2", "style:dusk"):
        expect()(tab.locator(f'[data-state-of="{subject}"]')).to_have_text(
            "waiting for draft review"
        )
    expect()(tab.locator('[data-state-of="3"]')).to_have_text("waits for style:dusk (review first)")

    # page 1 by clicking
    tab.click('a.tile[data-page="1"]')
    ready(tab)
    expect()(tab.locator("h1")).to_contain_text("Page 1")
    expect()(tab.locator(".prompt").first).to_contain_text("Bramble")
    tab.click('#draft-form figure[data-id="c02"] button.select')
    tab.fill("#draft-form input.rest", "weaker staging")
    tab.fill("#draft-form textarea.rationale", "clear focal point")
    tab.click("#draft-form button.save")
    expect()(tab.locator("#message")).to_have_text("Saved the draft review.")
    ready(tab)
    review = load_review(book, 1)
    assert review is not None and review.draft is not None
    assert review.draft.selected == ["c02"] and review.draft.rejected == {"c01": "weaker staging"}
    assert review.draft.reviewer == "editor" and not review.draft.automatic

    # page 2 with the keyboard only: next waiting page, select the first, reject the rest
    tab.keyboard.press("n")
    expect()(tab).to_have_url(board.base + "/page/2")
    ready(tab)
    tab.keyboard.press("1")
    tab.keyboard.press("s")
    tab.keyboard.press("2")
    tab.keyboard.press("x")
    tab.keyboard.type("the fox is cut off")
    tab.keyboard.press("Escape")
    tab.keyboard.press("r")
    tab.keyboard.type("the fox reads best")
    tab.keyboard.press("Control+Enter")
    expect()(tab.locator("#message")).to_have_text("Saved the draft review.")
    ready(tab)
    review = load_review(book, 2)
    assert review is not None and review.draft is not None
    assert review.draft.selected == ["c01"]
    assert review.draft.rejected == {"c02": "the fox is cut off"}
    tab.keyboard.press("p")
    expect()(tab).to_have_url(board.base + "/page/1")

    # page 3's golden image by the agent, then the board's build renders the variants
    assert project.artfarm("review", BOOK, "style:dusk", "draft", "--auto").returncode == 0
    build_from_the_board(tab, board.base, 2)
    for subject in ("1", "2", "style:dusk"):
        expect()(tab.locator(f'[data-state-of="{subject}"]')).to_have_text(
            "waiting for the final pick"
        )
    expect()(tab.locator('[data-state-of="3"]')).to_have_text("waits for style:dusk (review first)")
    expect()(tab.locator('a.tile[data-page="style:dusk"] img')).to_be_visible()
    screenshot(tab, "board-book.png", full_page=True)  # the bible row and the spreads

    # page 1: pick the final variant and draw a box with its prompt
    tab.click('a.tile[data-page="1"]')
    ready(tab)
    [variant] = read_manifest(book.page_dir(1) / "refine").outputs
    tab.click(f'#refine-form figure[data-id="{variant.id}"] button.select')
    tab.locator("#fix-canvas").scroll_into_view_if_needed()
    canvas = tab.locator("#fix-canvas").bounding_box()
    assert canvas is not None
    tab.mouse.move(canvas["x"] + canvas["width"] * 0.25, canvas["y"] + canvas["height"] * 0.5)
    tab.mouse.down()
    tab.mouse.move(
        canvas["x"] + canvas["width"] * 0.75, canvas["y"] + canvas["height"] * 0.75, steps=8
    )
    tab.mouse.up()
    tab.fill(".fix-prompt", "a paw with four toes")
    tab.fill("#refine-form textarea.rationale", "best light")
    tab.evaluate("window.scrollTo(0, 0)")
    screenshot(tab, "board-page.png")
    tab.click("#refine-form button.save")
    expect()(tab.locator("#message")).to_have_text("Saved the final pick.")
    review = load_review(book, 1)
    assert review is not None and review.refine is not None
    assert review.refine.final == variant.id
    [fix] = review.refine.fixes
    assert isinstance(fix.mask, BoxMask) and fix.prompt == "a paw with four toes"
    box = fix.mask
    assert abs(box.x - variant.width * 0.25) <= 2 and abs(box.y - variant.height * 0.5) <= 2
    assert (
        abs(box.width - variant.width * 0.5) <= 2 and abs(box.height - variant.height * 0.25) <= 2
    )

    # the pipeline's gate takes the board's reviews: real Snakemake goes on to print
    for subject in ("2", "style:dusk"):
        assert project.artfarm("review", BOOK, subject, "refine", "--auto").returncode == 0
    for stage in ("draft", "refine"):  # page 3, once its golden image is approved
        project.snakemake(*project.prints())
        assert project.artfarm("review", BOOK, "3", stage, "--auto").returncode == 0
    done = project.snakemake(*project.prints())
    assert done.returncode == 0, done.stderr
    final = read_manifest(book.page_dir(1) / "final")
    assert "inpaint" in {job.stage for job in final.jobs}
    tab.goto(board.base + "/")
    ready(tab)
    for subject in ("1", "2", "3", "style:dusk"):
        expect()(tab.locator(f'[data-state-of="{subject}"]')).to_have_text("done")


@pytest.fixture
def reviewed_book(tiny_book: Path) -> Book:
    book = Book(tiny_book)
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"])
    return book


def test_a_second_tab_saving_over_a_newer_review_gets_a_conflict_and_loses_nothing(
    reviewed_book: Book, board_for, context
) -> None:
    book = reviewed_book
    board = board_for(book, book.root.parent.parent)
    first, second = context.new_page(), context.new_page()
    first.goto(board.url)
    for tab in (first, second):
        tab.goto(board.base + "/page/1")
        ready(tab)
    for tab, chosen in ((first, "c01"), (second, "c02")):
        tab.click(f'#draft-form figure[data-id="{chosen}"] button.select')
        tab.fill("#draft-form input.rest", f"not as good as {chosen}")
        tab.fill("#draft-form textarea.rationale", f"{chosen} reads best")
    first.click("#draft-form button.save")
    expect()(first.locator("#message")).to_have_text("Saved the draft review.")
    saved = book.review_path(1).read_bytes()
    second.click("#draft-form button.save")
    expect()(second.locator("#message")).to_contain_text("saved elsewhere")
    assert book.review_path(1).read_bytes() == saved
    expect()(second.locator("#draft-form textarea.rationale")).to_have_value("c02 reads best")
    second.click("#replace")
    expect()(second.locator("#message")).to_have_text("Saved the draft review.")
    review = load_review(book, 1)
    assert review is not None and review.draft is not None and review.draft.selected == ["c02"]
    history = book.review_path(1).with_name("review.history.jsonl").read_text()
    assert json.loads(json.loads(history)["text"])["draft"]["selected"] == ["c01"]
    second.reload()
    expect()(second.locator("pre.history")).to_contain_text("c01 reads best")


def test_without_the_token_the_browser_gets_nothing(
    reviewed_book: Book, board_for, context
) -> None:
    board = board_for(reviewed_book, reviewed_book.root.parent.parent)
    tab = context.new_page()
    answer = tab.goto(board.base + "/page/1")
    assert answer is not None and answer.status == 403
    expect()(tab.locator("body")).to_contain_text("token")
    tab.goto(board.url)  # now with the cookie, but a change still needs the token itself
    ready(tab)
    status = tab.evaluate(
        """async () => (await fetch('/api/page/1/draft', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({etag: 'none', selected: ['c01'], rationale: 'forged'})})).status"""
    )
    assert status == 403
    assert not reviewed_book.review_path(1).exists()


def test_a_polygon_is_drawn_by_clicks_and_a_mask_image_fix_is_kept(
    reviewed_book: Book, board_for, context
) -> None:
    book = reviewed_book
    review_drafts(
        book, 1, selected=["c01"], rejected={"c02": "too dark", "c03": "cut off"},
        rationale="clear staging", reviewer="agent",
    )  # fmt: skip
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    paint(book.root / "masks" / "paw.png", 1, (128, 160))
    review_refine(
        book, 1, final="c01-v1", rejected={"c01-v2": "stiff pose"},
        fixes=[InpaintFix(mask=ImageMask(path="masks/paw.png"), prompt="a paw with four toes")],
        rationale="best light", reviewer="agent",
    )  # fmt: skip
    board = board_for(book, book.root.parent.parent)
    tab = context.new_page()
    tab.goto(board.url)
    tab.goto(board.base + "/page/1")
    ready(tab)
    expect()(tab.locator(".fixes li").first).to_contain_text("mask image masks/paw.png")
    tab.click('.tool[data-tool="polygon"]')
    tab.locator("#fix-canvas").scroll_into_view_if_needed()
    canvas = tab.locator("#fix-canvas").bounding_box()
    assert canvas is not None
    for fx, fy in ((0.25, 0.25), (0.75, 0.25), (0.5, 0.75)):
        tab.mouse.click(canvas["x"] + canvas["width"] * fx, canvas["y"] + canvas["height"] * fy)
    tab.keyboard.press("Enter")
    tab.locator(".fix-prompt").nth(1).fill("a tree stump")
    tab.click("#refine-form button.save")
    expect()(tab.locator("#message")).to_have_text("Saved the final pick.")
    review = load_review(book, 1)
    assert review is not None and review.refine is not None
    kept, drawn = review.refine.fixes
    assert isinstance(kept.mask, ImageMask) and kept.mask.path == "masks/paw.png"
    assert isinstance(drawn.mask, PolygonMask) and drawn.prompt == "a tree stump"
    for (x, y), (fx, fy) in zip(
        drawn.mask.points, ((0.25, 0.25), (0.75, 0.25), (0.5, 0.75)), strict=True
    ):
        assert abs(x - 128 * fx) <= 2 and abs(y - 160 * fy) <= 2


def test_a_character_sheet_is_reviewed_in_the_browser_without_fixes(
    project: Path, board_for, context
) -> None:
    book = render_bear(project)
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    fake_stage(book, 2, "draft", ["c01", "c02"])  # the fox's page waits too
    board = board_for(book, project)
    tab = context.new_page()
    tab.goto(board.url)
    ready(tab)
    expect()(tab.locator('[data-state-of="sheet:bear"]')).to_have_text("waiting for draft review")
    tab.keyboard.press("n")  # the sheet comes first: pages wait for it
    expect()(tab).to_have_url(board.base + "/page/sheet:bear")
    ready(tab)
    expect()(tab.locator(".prompt").first).to_contain_text("character sheet of Bramble")
    tab.click('#draft-form figure[data-id="c02"] button.select')
    tab.fill("#draft-form input.rest", "stiff")
    tab.fill("#draft-form textarea.rationale", "clear side view")
    tab.click("#draft-form button.save")
    expect()(tab.locator("#message")).to_have_text("Saved the draft review.")
    review = load_item_review(book, BEAR)
    assert review is not None and review.draft is not None
    assert review.draft.selected == ["c02"] and review.draft.rejected == {"c01": "stiff"}

    fake_sheet_stage(book, "refine", ["c02-v1", "c02-v2"])
    tab.reload()
    ready(tab)
    tab.click('#refine-form figure[data-id="c02-v2"] button.select')
    assert tab.locator("#fix-canvas").count() == 0  # nothing to draw on a sheet
    tab.fill("#refine-form input.rest", "muddy")
    tab.fill("#refine-form textarea.rationale", "best faces")
    tab.click("#refine-form button.save")
    expect()(tab.locator("#message")).to_have_text("Saved the final pick.")
    review = load_item_review(book, BEAR)
    assert review is not None and review.refine is not None
    assert review.refine.final == "c02-v2" and review.refine.fixes == []
    tab.keyboard.press("n")  # on to the next subject waiting: page 2
    expect()(tab).to_have_url(board.base + "/page/2")
