"""The render rules' params, computed as Snakemake computes them while it builds the DAG: each
is the content hash of what its job depends on, names its sources, waits as `pending` for
what is not there yet, and never raises (a broken spec gives an `invalid:` value)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from PIL import Image

from artfarm.atomic import write_json
from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.pipeline import dagparams
from artfarm.pipeline.selection import select_drafts
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from tests.bookmaker import edit_spec, make_project
from tests.pipeline.fakes import fake_stage
from tests.pipeline.project import BOOK, write_config

PENDING = dagparams.PENDING
SOURCES = [
    "renderspec.json",
    "style_pack",
    "templates",
    "bible",
    "refs",
    "models",
    "inputs",
    "canvas",
]


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Book:
    root = make_project(tmp_path / "project")
    write_config(root, "http://127.0.0.1:1", root / "models")
    book = Book(root / BOOK)
    store = ModelStore(root / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    monkeypatch.chdir(root)
    monkeypatch.setenv("ARTFARM_CONFIG", str(root / "config" / "config.yaml"))
    return book


def param(compute, page: int) -> str:
    """The value Snakemake would get for `books/tiny_01/pages/<page>`: a fresh process's."""
    dagparams.open_book.cache_clear()
    return compute(SimpleNamespace(book="tiny_01", page=f"{page:04d}"))


def parts(value: str) -> dict[str, str]:
    return dict(part.split(":", 1) for part in value.split())


def review(book: Book, *args: str) -> None:
    assert main(["review", str(book.root), *args]) == 0


def test_a_draft_request_names_its_sources_and_changes_only_with_that_page(book: Book) -> None:
    first = param(dagparams.draft_request, 1)
    assert list(parts(first)) == [*SOURCES, "request"]
    assert all(len(parts(first)[name]) == 10 for name in SOURCES)  # short, the request in full
    assert len(parts(first)["request"]) == 64
    assert param(dagparams.draft_request, 1) == first  # the same bytes, the same value
    other = param(dagparams.draft_request, 2)
    edit_spec(book.root, 1, scene="the bear naps under an oak")
    edited = param(dagparams.draft_request, 1)
    changed = {k for k, v in parts(edited).items() if parts(first)[k] != v}
    assert changed == {"renderspec.json", "request"}
    assert param(dagparams.draft_request, 2) == other


def test_a_page_made_a_spread_names_its_canvas_as_what_changed(book: Book) -> None:
    first = param(dagparams.draft_request, 2)
    layout = yaml.safe_load(book.layout_path.read_text())
    layout["pages"][1]["spread"] = True
    book.layout_path.write_text(yaml.safe_dump(layout))
    spread = param(dagparams.draft_request, 2)
    changed = {k for k, v in parts(spread).items() if parts(first)[k] != v}
    assert changed == {"canvas", "request"}


def test_a_broken_spec_gives_an_invalid_value_instead_of_raising(book: Book) -> None:
    edit_spec(book.root, 1, seed=-3)
    broken = param(dagparams.draft_request, 1)
    assert broken.startswith("invalid:") and len(broken) == len("invalid:") + 16
    edit_spec(book.root, 1, seed=-4)
    assert param(dagparams.draft_request, 1) not in (broken, PENDING)


def test_the_draft_selection_follows_the_review(book: Book) -> None:
    fake_stage(book, 1, "draft", ["c01", "c02"])
    assert param(dagparams.draft_selection, 1) == PENDING
    review(book, "1", "draft", "--select", "c01", "--reject-rest", "weaker", "--rationale", "fine")
    chosen = param(dagparams.draft_selection, 1)
    assert chosen != PENDING
    review(book, "1", "draft", "--select", "c01", "--reject-rest", "weaker", "--rationale", "fine!")
    assert param(dagparams.draft_selection, 1) == chosen  # the words changed, not the choice
    review(book, "1", "draft", "--select", "c02", "--reject-rest", "weaker", "--rationale", "fine")
    assert param(dagparams.draft_selection, 1) != chosen


def select(book: Book, *ids: str) -> None:
    args = [a for cid in ids for a in ("--select", cid)]
    review(book, "1", "draft", *args, "--reject-rest", "weaker", "--rationale", "good staging")
    select_drafts(book, 1, "p")


def test_the_refine_request_waits_for_the_selection_and_covers_each_selected_draft(
    book: Book,
) -> None:
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"])
    assert param(dagparams.refine_request, 1) == PENDING
    select(book, "c01")
    one = param(dagparams.refine_request, 1)
    assert list(parts(one)) == [*SOURCES, "request"]
    select(book, "c01", "c03")
    two = param(dagparams.refine_request, 1).split(" | ")
    assert len(two) == 2 and two[0] == one and two[1] != one


def refine_pick(book: Book, final: str, *fix: str) -> None:
    review(book, "1", "refine", "--final", final, "--reject-rest", "stiff", "--rationale",
           "best light", *fix)  # fmt: skip


def test_the_final_recipe_follows_the_pick_and_its_fixes(book: Book) -> None:
    fake_stage(book, 1, "draft", ["c01", "c02"])
    select(book, "c01")
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    assert param(dagparams.final_recipe, 1) == PENDING
    refine_pick(book, "c01-v1")
    plain = param(dagparams.final_recipe, 1)
    refine_pick(book, "c01-v2")
    assert param(dagparams.final_recipe, 1) not in (plain, PENDING)
    refine_pick(book, "c01-v2", "--fix-box", "8", "8", "40", "40", "a paw with four toes")
    fixed = param(dagparams.final_recipe, 1)
    refine_pick(book, "c01-v2", "--fix-box", "8", "8", "40", "40", "a paw with five toes")
    five = param(dagparams.final_recipe, 1)
    assert five not in (fixed, plain)
    variant = book.page_dir(1) / "refine" / "c01-v2.png"
    Image.new("RGB", (128, 160), (9, 99, 199)).save(variant)  # the picked image itself changed
    assert param(dagparams.final_recipe, 1) != five  # seen through its inpaint request
    (book.page_dir(1) / "refine" / "manifest.json").unlink()  # the fix is hashed without it
    assert param(dagparams.final_recipe, 1) not in (fixed, PENDING)


def test_the_print_request_waits_for_the_final_art_and_follows_its_bytes(book: Book) -> None:
    assert param(dagparams.print_request, 1) == PENDING
    final = book.page_dir(1) / "final" / "final.png"
    final.parent.mkdir(parents=True)
    Image.new("RGB", (128, 160), (200, 120, 40)).save(final)
    first = param(dagparams.print_request, 1)
    assert list(parts(first)) == [*SOURCES, "request"]
    Image.new("RGB", (128, 160), (40, 120, 200)).save(final)
    second = param(dagparams.print_request, 1)
    changed = {k for k, v in parts(second).items() if parts(first)[k] != v}
    assert changed == {"inputs", "request"}


def test_a_pages_references_enter_its_hash_and_no_other_pages(
    book: Book,
) -> None:
    pose = book.root / "bible" / "character_refs" / "bear_pose.png"
    Image.new("RGB", (48, 48), (90, 60, 30)).save(pose)
    edit_spec(
        book.root, 1, refs={"style": [], "characters": {"bear": [str(pose.relative_to(book.root))]}}
    )
    before = {page: parts(param(dagparams.draft_request, page)) for page in (1, 2)}
    Image.new("RGB", (48, 48), (91, 60, 30)).save(pose)  # the spec's own character ref
    after = {page: parts(param(dagparams.draft_request, page)) for page in (1, 2)}
    assert after[1]["refs"] != before[1]["refs"] and after[2] == before[2]
    sheet = book.root / "bible" / "character_refs" / "bear.png"  # the bible's sheet of the bear
    Image.new("RGB", (64, 48), (1, 2, 3)).save(sheet)  # page 1's own ref replaces it
    last = {page: parts(param(dagparams.draft_request, page)) for page in (1, 2)}
    assert last == after
    edit_spec(book.root, 1, refs={"style": [], "characters": {}})  # now the bible's sheet
    Image.new("RGB", (64, 48), (1, 2, 4)).save(sheet)
    sheeted = parts(param(dagparams.draft_request, 1))
    Image.new("RGB", (64, 48), (1, 2, 5)).save(sheet)
    assert parts(param(dagparams.draft_request, 1))["refs"] != sheeted["refs"]
    assert parts(param(dagparams.draft_request, 2)) == after[2]  # page 2 has only the fox


def test_the_books_own_constraint_words_count_as_part_of_its_style_pack(book: Book) -> None:
    config = book.root / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["constraints"] = {"cosy": {"positive": "warm lamplight"}}
    config.write_text(yaml.safe_dump(data))
    before = parts(param(dagparams.draft_request, 2))
    data["constraints"]["cosy"]["positive"] = "soft candlelight"
    config.write_text(yaml.safe_dump(data))
    after = parts(param(dagparams.draft_request, 2))
    assert after["style_pack"] != before["style_pack"]  # the reason a dry run would print
    assert after["renderspec.json"] == before["renderspec.json"]


def test_a_long_lived_process_sees_the_lock_edited_and_replaced(book: Book) -> None:
    """The lock is read once per file version: never a stale one after an edit or a swap."""
    lock = book.root / "models.lock.json"
    pinned = json.loads(lock.read_text())
    first = param(dagparams.draft_request, 1)  # the book stays open from here on
    again = SimpleNamespace(book="tiny_01", page="0001")
    key = sorted(pinned["models"])[0]
    wrong = {**pinned, "models": {**pinned["models"], key: "0" * 64}}
    write_json(lock, wrong)  # same size, a new file (as `artfarm models lock` writes it)
    assert dagparams.draft_request(again).startswith("invalid:")
    write_json(lock, pinned)
    assert dagparams.draft_request(again) == first
    lock.write_text(json.dumps({**pinned, "models": {}}))  # edited in place, another size
    assert dagparams.draft_request(again).startswith("invalid:")
