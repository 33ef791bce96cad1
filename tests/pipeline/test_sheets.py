"""Phase 0 without a server: the sheet job compiled from the bible, its review, gates and to-do."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from artfarm.documents.bible import BibleItem, rendered_item_constraint
from artfarm.documents.book import Book
from artfarm.pipeline.awaiting import AwaitingReview, StaleReview
from artfarm.pipeline.bible_items import (
    ItemRun,
    item_dir,
    load_item_review,
    review_item_drafts,
    review_item_refine,
    run_item_final,
    run_item_select,
)
from artfarm.pipeline.manifest import StageManifest, images_identity, write_manifest
from artfarm.pipeline.stages import output_file
from artfarm.pipeline.todo import book_todo, render_summary
from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import compile_item, compile_stage
from artfarm.rendering.modelstore import ModelStore
from tests.bookmaker import make_project
from tests.pipeline.fakes import paint

BOOK = "books/tiny_01"
BEAR = BibleItem("sheet", "bear")


def render_bear(root: Path, **job: object) -> Book:
    """The tiny project's bear gets a rendered sheet; the fox keeps its hand-made one."""
    path = root / BOOK / "bible" / "characters.yaml"
    bible = yaml.safe_load(path.read_text())
    bible["characters"][0]["sheets"] = []
    bible["characters"][0]["render_sheet"] = {"seed": 7, "candidates": 2, **job}
    path.write_text(yaml.safe_dump(bible, sort_keys=False))
    return Book(root / BOOK)


@pytest.fixture
def book(tmp_path: Path) -> Book:
    make_project(tmp_path)
    return render_bear(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


def edit_character(book: Book, index: int, **fields: object) -> Book:
    bible = yaml.safe_load(book.characters_path.read_text())
    bible["characters"][index].update(fields)
    book.characters_path.write_text(yaml.safe_dump(bible, sort_keys=False))
    return Book(book.root)


def test_a_sheet_job_is_a_landscape_burst_of_the_characters_own_words(book, store) -> None:
    job = compile_item(book, BibleItem("sheet", "bear"), "draft", store=store)
    latent = next(n for n in job.graph.values() if n["_meta"]["title"] == "latent")["inputs"]
    positive = next(n for n in job.graph.values() if n["_meta"]["title"] == "positive")
    negative = next(n for n in job.graph.values() if n["_meta"]["title"] == "negative")
    assert (latent["width"], latent["height"], latent["batch_size"]) == (80, 64, 2)
    text = positive["inputs"]["text"]
    assert "character sheet of Bramble" in text and "front view" in text and "side view" in text
    assert "a big round brown bear in a red knitted scarf" in text
    assert "plain white background" in text
    assert "text" in negative["inputs"]["text"]  # the pack's "no text" words
    assert job.request["stage"] == "sheet" and job.seed == 7
    assert job.filename_prefix.startswith("artfarm/tiny_01/sheets/bear/draft/")


def test_only_the_characters_own_words_change_its_sheet(book, store) -> None:
    before = compile_item(book, BibleItem("sheet", "bear"), "draft", store=store).request_hash
    fox_edited = edit_character(book, 1, description="a small red fox with a green hat")
    assert (
        compile_item(fox_edited, BibleItem("sheet", "bear"), "draft", store=store).request_hash
        == before
    )
    bear_edited = edit_character(book, 0, description="a big round bear in a blue scarf")
    assert (
        compile_item(bear_edited, BibleItem("sheet", "bear"), "draft", store=store).request_hash
        != before
    )


def test_a_hand_made_sheet_compiles_to_no_job(book, store) -> None:
    with pytest.raises(ArtfarmError) as err:
        compile_item(book, BibleItem("sheet", "fox"), "draft", store=store)
    assert "has a hand-made sheet" in str(err.value)
    assert "characters[fox].render_sheet" in str(err.value)


def test_the_bible_refuses_a_sheet_both_hand_made_and_rendered(book) -> None:
    edited = edit_character(book, 0, sheets=["bible/character_refs/bear.png"])
    with pytest.raises(ArtfarmError) as err:
        edited.bible.by_id()
    assert "listed in sheets (hand-made) and rendered" in str(err.value)


def test_the_final_rule_matches_only_the_sheets_each_bible_renders(tmp_path, book) -> None:
    other = tmp_path / "books" / "other_02"
    other.mkdir(parents=True)
    (other / "bible").mkdir()
    fox = {"id": "fox", "name": "Pip", "description": "a fox", "render_sheet": {"seed": 1}}
    (other / "bible" / "characters.yaml").write_text(yaml.safe_dump({"characters": [fox]}))
    constraint = rendered_item_constraint(tmp_path / "books")
    pattern = re.compile(rf"books/[a-z0-9_]+/bible/character_refs/(?:{constraint})\.png$")
    assert pattern.match("books/tiny_01/bible/character_refs/bear.png")
    assert pattern.match("books/other_02/bible/character_refs/fox.png")
    assert not pattern.match("books/tiny_01/bible/character_refs/fox.png")  # hand-made here
    assert not pattern.match("books/other_02/bible/character_refs/bear.png")
    assert rendered_item_constraint(tmp_path / "nothing") == "(?!)"


def fake_sheet_stage(book: Book, stage: str, ids: list[str]) -> StageManifest:
    folder = item_dir(book, BEAR) / stage
    outputs = [
        output_file(paint(folder / f"{i}.png", n + 1, (80, 64)), i) for n, i in enumerate(ids)
    ]
    manifest = StageManifest(
        stage=stage,
        book_id=book.id,
        page=0,
        sheet="bear",
        spec={},
        params="test",
        outputs=outputs,
        images_sha256=images_identity(outputs),
    )
    write_manifest(folder, manifest)
    return manifest


def sheet_run(book: Book) -> ItemRun:
    from artfarm.documents.settings import load_settings

    return ItemRun(book, 0, load_settings(), "test", item=BEAR)


def test_the_sheet_review_has_the_pages_checks_history_and_staleness(book) -> None:
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    with pytest.raises(AwaitingReview) as waiting:
        run_item_select(sheet_run(book))
    assert f"artfarm review {book.root} sheet:bear draft --select" in str(waiting.value)
    with pytest.raises(ArtfarmError) as err:
        review_item_drafts(
            book, BEAR, selected=["c01"], rejected={}, rationale="clear pose", reviewer="t"
        )
    assert "no reason given for rejecting c02" in str(err.value)
    for chosen in ("c01", "c02"):
        review_item_drafts(
            book,
            BEAR,
            selected=[chosen],
            rejected={c: "weaker" for c in ("c01", "c02") if c != chosen},
            rationale="clear pose",
            reviewer="t",
        )
    history = (item_dir(book, BEAR) / "review.history.jsonl").read_text().splitlines()
    assert len(history) == 1
    assert json.loads(json.loads(history[0])["text"])["draft"]["selected"] == ["c01"]
    assert load_item_review(book, BEAR).draft.selected == ["c02"]
    written = run_item_select(sheet_run(book))  # the stage's log line names what it wrote
    assert written == item_dir(book, BEAR) / "selected" / "manifest.json" and written.is_file()
    assert sorted(p.name for p in (item_dir(book, BEAR) / "selected").glob("*.png")) == ["c02.png"]
    fake_sheet_stage(book, "draft", ["c01", "c02", "c03"])  # the drafts changed
    with pytest.raises(StaleReview) as stale:
        run_item_select(sheet_run(book))
    assert "the draft review is stale" in str(stale.value)


def test_the_picked_variant_becomes_the_books_reference_with_its_manifest(book) -> None:
    fake_sheet_stage(book, "draft", ["c01"])
    review_item_drafts(
        book, BEAR, selected=["c01"], rejected={}, rationale="fine faces", reviewer="t"
    )
    fake_sheet_stage(book, "refine", ["c01-v1", "c01-v2"])
    with pytest.raises(AwaitingReview):
        run_item_final(sheet_run(book))
    review_item_refine(
        book,
        BEAR,
        final="c01-v2",
        rejected={"c01-v1": "stiff"},
        fixes=[],
        rationale="best faces",
        reviewer="t",
    )
    dest = run_item_final(sheet_run(book))
    assert dest == book.root / "bible" / "character_refs" / "bear.png"
    variant = item_dir(book, BEAR) / "refine" / "c01-v2.png"
    assert dest.read_bytes() == variant.read_bytes()
    manifest = (dest.parent / "bear.manifest.json").read_text()
    assert '"sheet": "bear"' in manifest and '"final": "c01-v2"' in manifest


def test_a_sheet_takes_no_inpaint_fixes(book) -> None:
    from artfarm.documents.review import InpaintFix

    fake_sheet_stage(book, "draft", ["c01"])
    review_item_drafts(
        book, BEAR, selected=["c01"], rejected={}, rationale="fine faces", reviewer="t"
    )
    fake_sheet_stage(book, "refine", ["c01-v1"])
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "box", "x": 1, "y": 1, "width": 4, "height": 4}, "prompt": "a paw"}
    )
    with pytest.raises(ArtfarmError) as err:
        review_item_refine(
            book,
            BEAR,
            final="c01-v1",
            rejected={},
            fixes=[fix],
            rationale="fine faces",
            reviewer="t",
        )
    assert "a bible item (character sheet or golden image) takes no inpaint fixes" in str(err.value)


def test_next_puts_sheet_reviews_first_and_pages_wait_for_their_sheets(book) -> None:
    todos = book_todo(book)
    assert [(t.sheet, t.page, t.state) for t in todos] == [
        ("sheet:bear", 0, "needs-sheet-drafts"),
        ("", 1, "waits-for-sheet"),  # the bear is on pages 1 and 3
        ("", 2, "needs-drafts"),
        ("", 3, "waits-for-sheet"),
    ]
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    first = book_todo(book)[0]
    assert (first.sheet, first.state) == ("sheet:bear", "awaiting-draft-review")
    assert f"artfarm review {book.root} sheet:bear draft --select" in first.command
    summary = render_summary(book, book_todo(book))
    assert "3 page(s) and 1 bible item(s) need something (1 wait for a review)" in summary
    assert "sheet:bear: awaiting-draft-review" in summary


def test_a_page_draft_compiles_as_before_with_hand_made_sheets(tmp_path, store) -> None:
    make_project(tmp_path)
    job = compile_stage(Book(tmp_path / BOOK), 2, "draft", store=store)
    assert job.stage == "draft"


def test_a_pages_content_hash_counts_its_rendered_sheet_once_it_exists(book) -> None:
    from artfarm.rendering.contenthash import content_inputs, page_content_hash

    (book.root / "bible" / "character_refs" / "bear.png").unlink()  # not rendered yet
    spec, fox_page = book.load_spec(1), book.load_spec(2)  # the bear's page, the fox's
    parts = content_inputs(book, spec)["references"]
    assert parts["bible/character_refs/bear.png"].startswith("pending")
    before, fox_before = page_content_hash(book, spec), page_content_hash(book, fox_page)
    paint(book.root / "bible" / "character_refs" / "bear.png", 3, (80, 64))
    assert page_content_hash(book, spec) != before
    assert page_content_hash(book, fox_page) == fox_before


def test_artfarm_review_on_a_sheet_is_one_line_when_the_sheet_is_not_rendered(book, capsys) -> None:
    from artfarm.cli import main

    assert main(["review", str(book.root), "sheet:Bad", "draft", "--auto"]) == 1
    assert "'sheet:Bad' does not name a bible item" in capsys.readouterr().err
    assert main(["review", str(book.root), "sheet:fox", "draft", "--auto"]) == 1
    err = capsys.readouterr().err
    assert "character 'fox' has a hand-made sheet: nothing to render" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_sheet_waits_for_a_review_of_its_current_images_and_says_if_it_was_automatic(
    book: Book,
) -> None:
    from artfarm.pipeline.bible_items import auto_review_item, is_automatic, waits_for_review

    assert not waits_for_review(book, BEAR, "draft") and is_automatic(book, BEAR, "draft")
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    assert waits_for_review(book, BEAR, "draft")
    review_item_drafts(
        book, BEAR, selected=["c02"], rejected={"c01": "weaker"}, rationale="test", reviewer="t"
    )
    assert not waits_for_review(book, BEAR, "draft") and not is_automatic(book, BEAR, "draft")
    assert waits_for_review(book, BEAR, "refine") is False  # no variants yet
    fake_sheet_stage(book, "refine", ["c02-v1", "c02-v2"])
    assert waits_for_review(book, BEAR, "refine") and is_automatic(book, BEAR, "refine")
    auto_review_item(book, BEAR, "refine")
    assert not waits_for_review(book, BEAR, "refine") and is_automatic(book, BEAR, "refine")
    assert not is_automatic(book, BEAR, "draft")
    review_item_refine(
        book, BEAR, final="c02-v2", rejected={}, fixes=[], rationale="the eyes", reviewer="ada"
    )
    assert not is_automatic(book, BEAR, "refine")  # a person's pick: the demo never redoes it
    fake_sheet_stage(book, "draft", ["c01", "c03"])  # re-rendered: the review is stale
    assert waits_for_review(book, BEAR, "draft")
    fake_sheet_stage(book, "refine", ["c02-v1", "c02-v3"])
    assert waits_for_review(book, BEAR, "refine")


def test_a_new_sheet_selection_drops_the_final_pick_and_the_same_one_keeps_it(
    book: Book,
) -> None:
    from artfarm.pipeline.bible_items import auto_review_item, load_item_review

    with pytest.raises(ArtfarmError, match="drafts are not reviewed yet"):
        review_item_refine(
            book, BEAR, final="c02-v1", rejected={}, fixes=[], rationale="test", reviewer="t"
        )
    fake_sheet_stage(book, "draft", ["c01", "c02"])

    def select(chosen: str) -> None:
        rest = {c: "weaker" for c in ("c01", "c02") if c != chosen}
        review_item_drafts(
            book, BEAR, selected=[chosen], rejected=rest, rationale="test", reviewer="t"
        )

    select("c02")
    fake_sheet_stage(book, "refine", ["c02-v1"])
    auto_review_item(book, BEAR, "refine")
    select("c02")
    kept = load_item_review(book, BEAR)
    assert kept is not None and kept.refine is not None and kept.refine.final == "c02-v1"
    select("c01")
    dropped = load_item_review(book, BEAR)
    assert dropped is not None and dropped.refine is None
