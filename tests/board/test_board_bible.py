"""The bible's rendered items on the board: sheets first in the book view, reviewed in the page
view through the sheet's own review code (no inpaint fixes), their art served from the book."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from artfarm.board.auth import HEADER
from artfarm.documents.bible import SHEET, BibleItem
from artfarm.documents.book import Book
from artfarm.pipeline.bible_items import load_item_review, rendered_path, run_item_final
from tests.board.test_board_http import client, etag_of
from tests.pipeline.test_sheets import fake_sheet_stage, render_bear, sheet_run
from tests.pipeline.test_style_refs import MEADOW, fake_stage, with_golden

BEAR = BibleItem(SHEET, "bear")


@pytest.fixture
def book(project: Path) -> Book:
    return render_bear(project)


@pytest.fixture
def server(book: Book, board_for):
    return board_for(book, book.root.parent.parent)


def save(http: httpx.Client, server, stage: str, body: dict) -> httpx.Response:
    body = {"etag": etag_of(http, "sheet:bear"), **body}
    headers = {HEADER: server.board.token}
    return http.post(f"/api/page/sheet:bear/{stage}", json=body, headers=headers)


def test_the_book_view_shows_the_bibles_sheets_first_with_their_state(server, book) -> None:
    http = client(server)
    html = http.get("/").text
    assert html.index('data-page="sheet:bear"') < html.index('data-page="1"')
    assert 'data-state-of="sheet:bear">drafts not rendered yet' in html
    assert 'data-page="sheet:fox"' not in html  # the fox's sheet is hand-made
    assert 'data-state-of="1">waits for sheet:bear (review first)' in html  # names the sheet
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    html = http.get("/").text
    assert 'data-state-of="sheet:bear">waiting for draft review' in html
    assert 'src="/art/sheet:bear/draft/c01.png"' in html
    assert http.get("/art/sheet:bear/draft/c01.png").headers["content-type"] == "image/png"
    [sheet] = http.get("/api/status").json()["bible"]
    assert (sheet["subject"], sheet["kind"]) == ("sheet:bear", "draft-review")


def test_a_sheet_is_reviewed_in_the_page_view_through_the_sheets_review_code(server, book) -> None:
    http = client(server)
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    page = http.get("/page/sheet:bear").text
    assert "character sheet of Bramble" in page  # its compiled prompt
    assert "bible/characters.yaml (bear)" in page and "render_sheet" in page
    assert 'href="/art/sheet:bear/draft/c02.png"' in page
    answer = save(http, server, "draft", {"selected": ["c02"], "rationale": "clear side view"})
    assert answer.status_code == 400
    assert "no reason given for rejecting c01" in answer.json()["problems"][0]
    body = {"selected": ["c02"], "rejected": {"c01": "stiff"}, "rationale": "clear side view"}
    assert save(http, server, "draft", body).status_code == 200
    review = load_item_review(book, BEAR)
    assert review is not None and review.draft is not None
    assert review.draft.selected == ["c02"] and review.draft.reviewer == "editor"

    fake_sheet_stage(book, "refine", ["c02-v1", "c02-v2"])
    page = http.get("/page/sheet:bear").text
    assert 'data-state-of="sheet:bear">waiting for the final pick' in page
    assert 'id="fix-canvas"' not in page and "sheet:bear takes no inpaint fixes" in page
    fix = {"mask": {"kind": "box", "x": 1, "y": 1, "width": 4, "height": 4}, "prompt": "a paw"}
    body = {"final": "c02-v1", "rejected": {"c02-v2": "muddy"}, "rationale": "best faces"}
    refused = save(http, server, "refine", {**body, "fixes": [fix]})
    assert refused.status_code == 400
    assert (
        "a bible item (character sheet or golden image) takes no inpaint fixes"
        in refused.json()["problems"][0]
    )
    assert save(http, server, "refine", body).status_code == 200
    run_item_final(sheet_run(book))
    html = http.get("/").text
    assert 'src="/art/sheet:bear/final/bear.png"' in html
    assert 'data-state-of="sheet:bear">done' in html
    served = http.get("/art/sheet:bear/final/bear.png").content
    assert served == rendered_path(book, BEAR).read_bytes()
    history = http.get("/page/sheet:bear").text
    assert "Reviews (1 current, 1 earlier)" in history


def test_only_the_bibles_rendered_items_open_and_only_their_own_files(server, book) -> None:
    http = client(server)
    fake_sheet_stage(book, "draft", ["c01"])
    for path in ("/page/sheet:fox", "/page/sheet:nobody", "/page/style", "/page/sheet:Bear"):
        assert http.get(path).status_code == 404, path
    for path in (
        "/art/sheet:bear/final/fox.png",  # another character's (hand-made) sheet
        "/art/sheet:bear/draft/..%2Freview.json",
        "/art/sheet:fox/draft/c01.png",
    ):
        assert http.get(path).status_code == 404, path
    outside = book.root.parent.parent / "secret.png"
    outside.write_bytes(rendered_path(book, BEAR).read_bytes())
    rendered_path(book, BEAR).unlink()
    rendered_path(book, BEAR).symlink_to(outside)  # the approved sheet, linked out of the book
    assert http.get("/art/sheet:bear/final/bear.png").status_code == 404
    headers = {HEADER: server.board.token}
    body = {"etag": "none", "selected": ["c01"], "rationale": "x"}
    assert http.post("/api/page/sheet:fox/draft", json=body, headers=headers).status_code == 404


def test_golden_images_follow_the_sheets_and_are_reviewed_the_same_way(project: Path, board_for):
    render_bear(project)
    book = with_golden(project)
    fake_stage(book, MEADOW, "draft", ["c01", "c02"])
    server = board_for(book, project)
    http = client(server)
    html = http.get("/").text
    order = [html.index(f'data-page="{key}"') for key in ("sheet:bear", "style:meadow", "1")]
    assert order == sorted(order)
    assert 'data-state-of="style:creek">drafts not rendered yet' in html
    assert 'data-page="style:hills"' not in html  # hand-made
    assert 'data-state-of="style:meadow">waiting for draft review' in html
    page = http.get("/page/style:meadow").text
    assert "a sunny meadow of tall grass" in page  # its compiled prompt and its words
    assert 'href="/art/style:meadow/draft/c02.png"' in page
    assert http.get("/art/style:meadow/draft/c02.png").headers["content-type"] == "image/png"
    body = {
        "etag": etag_of(http, "style:meadow"),
        "selected": ["c01"],
        "rejected": {"c02": "dull light"},
        "rationale": "warm light",
    }
    headers = {HEADER: server.board.token}
    assert http.post("/api/page/style:meadow/draft", json=body, headers=headers).is_success
    review = load_item_review(book, MEADOW)
    assert review is not None and review.draft is not None and review.draft.selected == ["c01"]
    statuses = {s["subject"]: s["kind"] for s in http.get("/api/status").json()["bible"]}
    assert statuses == {"sheet:bear": "queued", "style:meadow": "queued", "style:creek": "queued"}
