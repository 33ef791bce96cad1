"""The board over real HTTP: the token, CSRF checks, saves through `artfarm review`'s code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from artfarm.board.app import check_host
from artfarm.board.auth import HEADER
from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.pipeline.reviewing import load_review
from artfarm.pipeline.todo import write_failure
from artfarm.problems import ArtfarmError
from tests.pipeline.fakes import fake_stage, paint


@pytest.fixture
def book(tiny_book: Path) -> Book:
    book = Book(tiny_book)
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"])
    fake_stage(book, 2, "draft", ["c01", "c02"])
    write_failure(
        book.page_dir(2),
        "refine",
        [
            {
                "file": "workflows/refine.json",
                "field": "",
                "problem": "the server is gone",
                "fix": "start it",
            }
        ],
    )
    return book


@pytest.fixture
def server(book: Book, board_for):
    return board_for(book, book.root.parent.parent)


def client(server, *, token: bool = True) -> httpx.Client:
    """A client that opened the printed URL (so it holds the cookie), or one that did not."""
    http = httpx.Client(base_url=server.base, follow_redirects=True, timeout=30)
    if token:
        assert http.get(server.url).status_code == 200
    return http


def draft_body(etag: str, **changes: object) -> dict[str, object]:
    body = {
        "etag": etag,
        "selected": ["c02"],
        "rejected": {"c01": "weaker staging", "c03": "the fox is cut off"},
        "rationale": "clear focal point",
    }
    return {**body, **changes}


def etag_of(http: httpx.Client, page: int | str) -> str:
    html = http.get(f"/page/{page}").text
    data = html.split('<script type="application/json" id="page-data">')[1].split("</script>")[0]
    return json.loads(data)["etag"]


def test_without_the_token_nothing_is_shown(server) -> None:
    http = client(server, token=False)
    for path in ("/", "/page/1", "/api/status", "/art/1/draft/c01.png"):
        answer = http.get(path)
        assert answer.status_code == 403, path
        assert "token" in answer.text


def test_the_printed_url_sets_a_strict_cookie_and_drops_the_token(server) -> None:
    with httpx.Client(timeout=30) as http:
        answer = http.get(server.url)
        assert answer.status_code == 302
        assert answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_change_without_the_token_is_refused_even_with_the_cookie(server, book: Book) -> None:
    http = client(server)
    answer = http.post("/api/page/1/draft", json=draft_body("none"))
    assert answer.status_code == 403
    assert not book.review_path(1).exists()


def test_a_change_from_another_site_is_refused(server, book: Book) -> None:
    http = client(server)
    headers = {HEADER: server.board.token, "Origin": "http://evil.example"}
    answer = http.post("/api/page/1/draft", json=draft_body("none"), headers=headers)
    assert answer.status_code == 403
    assert not book.review_path(1).exists()


def test_a_save_writes_the_review_through_the_review_code(server, book: Book) -> None:
    http = client(server)
    answer = http.post(
        "/api/page/1/draft", json=draft_body(etag_of(http, 1)), headers={HEADER: server.board.token}
    )
    assert answer.status_code == 200, answer.text
    review = load_review(book, 1)
    assert review is not None and review.draft is not None
    assert review.draft.selected == ["c02"]
    assert review.draft.reviewer == "editor"
    assert answer.json()["etag"] == etag_of(http, 1)


def test_a_save_with_an_older_etag_is_a_conflict_and_writes_nothing(server, book: Book) -> None:
    http = client(server)
    headers = {HEADER: server.board.token}
    loaded = etag_of(http, 1)
    first = http.post("/api/page/1/draft", json=draft_body(loaded), headers=headers)
    assert first.status_code == 200
    saved = book.review_path(1).read_bytes()
    second = http.post(
        "/api/page/1/draft", json=draft_body(loaded, selected=["c01"]), headers=headers
    )
    assert second.status_code == 409
    assert "saved elsewhere" in second.json()["conflict"]
    assert book.review_path(1).read_bytes() == saved
    replace = http.post(
        "/api/page/1/draft",
        json=draft_body(
            second.json()["etag"], selected=["c01"], rejected={"c02": "too dark", "c03": "cut off"}
        ),
        headers=headers,
    )
    assert replace.status_code == 200
    history = book.review_path(1).with_name("review.history.jsonl").read_text()
    assert json.loads(json.loads(history.splitlines()[0])["text"])["draft"]["selected"] == ["c02"]


def test_a_bad_review_gets_the_review_commands_problems(server, book: Book) -> None:
    http = client(server)
    body = draft_body(etag_of(http, 1), rejected={"c01": "weaker staging"})
    answer = http.post("/api/page/1/draft", json=body, headers={HEADER: server.board.token})
    assert answer.status_code == 400
    [line] = answer.json()["problems"]
    assert "draft.rejected" in line and "no reason given for rejecting c03" in line
    assert not book.review_path(1).exists()


def test_a_fix_outside_the_image_is_refused(server, book: Book) -> None:
    http = client(server)
    headers = {HEADER: server.board.token}
    assert http.post(
        "/api/page/1/draft", json=draft_body(etag_of(http, 1)), headers=headers
    ).is_success
    fake_stage(book, 1, "refine", ["c02-v1", "c02-v2"], size=(64, 80))
    body = {
        "etag": etag_of(http, 1),
        "final": "c02-v1",
        "rejected": {"c02-v2": "stiff pose"},
        "fixes": [
            {
                "mask": {"kind": "box", "x": 40, "y": 60, "width": 30, "height": 10},
                "prompt": "a paw",
            }
        ],
        "rationale": "best light",
    }
    answer = http.post("/api/page/1/refine", json=body, headers=headers)
    assert answer.status_code == 400
    assert "box reaches outside the image" in answer.json()["problems"][0]
    body["fixes"][0]["mask"]["x"] = 10
    assert http.post("/api/page/1/refine", json=body, headers=headers).status_code == 200
    review = load_review(book, 1)
    assert review is not None and review.refine is not None
    assert review.refine.fixes[0].mask.x == 10


def test_the_book_view_shows_each_pages_state(server) -> None:
    http = client(server)
    html = http.get("/").text
    assert 'data-state-of="1">waiting for draft review' in html
    assert 'data-state-of="2">refine failed' in html and "the server is gone" in html
    assert 'data-state-of="3">drafts not rendered yet' in html
    status = http.get("/api/status").json()
    assert [p["kind"] for p in status["pages"]] == ["draft-review", "failed", "queued"]


def test_a_running_job_shows_its_progress(server, book: Book) -> None:
    log = book.page_dir(3) / "logs" / "draft.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "[tiny_01 0003] draft: abc on http://127.0.0.1:1\n[tiny_01 0003] draft: step 3/20\n"
    )
    locks = book.root.parent.parent / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("")
    [page] = [p for p in client(server).get("/api/status").json()["pages"] if p["page"] == 3]
    assert page["kind"] == "rendering"
    assert page["progress"][0]["step"] == 3 and page["progress"][0]["total"] == 20
    log.write_text(log.read_text() + "[tiny_01 0003] draft: wrote x in 1 s\n")
    [page] = [p for p in client(server).get("/api/status").json()["pages"] if p["page"] == 3]
    assert page["kind"] == "queued"


def test_images_come_only_from_the_pages_stage_folders(server, book: Book) -> None:
    http = client(server)
    assert http.get("/art/1/draft/c01.png").headers["content-type"] == "image/png"
    for path in (
        "/art/1/draft/..%2Freview.json",
        "/art/1/bible/c01.png",
        "/art/1/draft/.hidden.png",
    ):
        assert http.get(path).status_code == 404, path


def test_a_non_loopback_host_needs_allow_remote() -> None:
    with pytest.raises(ArtfarmError, match="--allow-remote"):
        check_host("0.0.0.0", allow_remote=False)
    check_host("0.0.0.0", allow_remote=True)
    check_host("127.0.0.1", allow_remote=False)


def test_the_command_refuses_a_public_host_in_one_line(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["board", str(book.root), "--host", "0.0.0.0"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: command line: --host:") and "--allow-remote" in line


def test_the_command_prints_a_url_that_opens_the_board(book: Book) -> None:
    command = [sys.executable, "-m", "artfarm", "board", str(book.root), "--port", "0"]
    board = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert board.stdout is not None
        line = board.stdout.readline()
        url = line.split("open ", 1)[1].strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{40,}", url), line
        with httpx.Client(follow_redirects=True, timeout=30) as http:
            assert "Tiny Test Book" in http.get(url).text
    finally:
        board.terminate()
        board.wait(timeout=30)
    assert board.returncode == 0  # SIGTERM stops it as Ctrl-C does (and any build it started)


def test_the_book_view_lays_pages_out_as_spreads_in_reading_order(server) -> None:
    html = client(server).get("/").text
    spreads = [
        re.findall(r'data-page="(\d+)"|<span class="noart">([a-z]+)</span>', chunk)
        for chunk in re.split(r'<div class="spread(?:"| wide")', html)[1:]
    ]
    pages = [[page or kind for page, kind in spread] for spread in spreads]
    # page 1 of the book is a right-hand page alone; then left/right pairs
    assert pages == [["title"], ["1", "2"], ["3", "end"], ["blank"]]


def test_a_page_shows_its_candidates_prompts_spec_and_reviews(server, book: Book) -> None:
    http = client(server)
    headers = {HEADER: server.board.token}
    for chosen in ("c01", "c02"):
        rejected = {c: "not this one" for c in ("c01", "c02", "c03") if c != chosen}
        body = draft_body(etag_of(http, 1), selected=[chosen], rejected=rejected)
        assert http.post("/api/page/1/draft", json=body, headers=headers).is_success
    html = http.get("/page/1").text
    for cid in ("c01", "c02", "c03"):
        assert f'href="/art/1/draft/{cid}.png" target="_blank"' in html  # full size, alone
        assert f'alt="draft {cid}" width="64" height="80"' in html
    assert "(Bramble:1.2), a big round brown bear in a red knitted scarf" in html
    assert "test scene number 1 in the meadow" in html  # the spec
    assert "Reviews (1 current, 1 earlier)" in html
    current, earlier = html.split('id="current-review">')[1], html.split('class="history">')[1]
    assert "&#34;c02&#34;" in current.split("</pre>")[0]
    assert "&#34;c01&#34;" in earlier.split("</pre>")[0].split("selected")[1]


def test_best_art_is_the_final_pick_else_a_selected_draft_else_the_thumbnail(
    server, book: Book
) -> None:
    http = client(server)
    paint(book.page_dir(3) / "thumb" / "thumb.png", 5)  # page 3: no drafts yet, a thumbnail
    paint(book.page_dir(1) / "thumb" / "thumb.png", 6)
    html = http.get("/").text
    assert 'src="/art/3/thumb/thumb.png"' in html
    assert 'src="/art/1/thumb/thumb.png"' in html  # drafts not reviewed: still the thumbnail
    assert http.get("/art/3/thumb/thumb.png").headers["content-type"] == "image/png"
    body = draft_body(etag_of(http, 1))
    assert http.post(
        "/api/page/1/draft", json=body, headers={HEADER: server.board.token}
    ).is_success
    paint(book.page_dir(1) / "selected" / "c02.png", 2)  # what the select job copies
    assert 'src="/art/1/selected/c02.png"' in http.get("/").text
    paint(book.page_dir(1) / "final" / "final.png", 7)
    assert 'src="/art/1/final/final.png"' in http.get("/").text


def test_a_long_lived_board_sees_edited_documents(server, book: Book) -> None:
    http = client(server)
    assert "<h1>Tiny Test Book</h1>" in http.get("/").text
    assert "a big round brown bear" in http.get("/page/1").text
    config = book.config_path.read_text().replace("Tiny Test Book", "Bramble in Winter")
    book.config_path.write_text(config)
    bible = book.characters_path.read_text().replace("big round brown", "small grey")
    book.characters_path.write_text(bible)
    assert "<h1>Bramble in Winter</h1>" in http.get("/").text
    page = http.get("/page/1").text
    assert "a small grey bear" in page and "a big round brown bear" not in page
