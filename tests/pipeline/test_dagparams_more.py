"""The DAG params added with the storyboard, references and rendered sheets: each names its
sources, waits as `pending`, follows what its job depends on, and never raises."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from artfarm.documents.bible import BibleItem
from artfarm.documents.book import Book
from artfarm.pipeline import dagparams
from artfarm.pipeline.bible_items import review_item_drafts, review_item_refine
from artfarm.rendering.contenthash import sha256_json
from tests.pipeline.test_dagparams import PENDING, SOURCES, param, parts
from tests.pipeline.test_dagparams import book as book
from tests.pipeline.test_sheets import edit_character, fake_sheet_stage, render_bear

BEAR = BibleItem("sheet", "bear")
SHEET_SOURCES = ["bible", "forbidden", "models", "inputs", "request"]


def sheet_param(compute, character: str = "bear") -> str:
    """The value Snakemake would get for the sheet rules of `character`: a fresh process's."""
    dagparams.open_book.cache_clear()
    return compute(SimpleNamespace(book="tiny_01", work="sheets", item=character))


@pytest.fixture
def sheet_book(book: Book) -> Book:
    return render_bear(book.root.parent.parent)


def test_the_thumb_request_names_its_sources_and_is_not_the_drafts(book: Book) -> None:
    thumb = parts(param(dagparams.thumb_request, 1))
    draft = parts(param(dagparams.draft_request, 1))
    assert list(thumb) == [*SOURCES, "request"]
    assert thumb["renderspec.json"] == draft["renderspec.json"]
    assert thumb["request"] != draft["request"]
    assert parts(param(dagparams.thumb_request, 2))["request"] != thumb["request"]


def test_a_broken_spec_gives_every_page_param_an_invalid_value(book: Book) -> None:
    book.spec_path(1).write_text("{ not json")
    for compute in (dagparams.thumb_request, dagparams.draft_request):
        assert param(compute, 1).startswith("invalid:")
    assert dagparams.page_reference_paths("tiny_01", 1) == []
    assert dagparams.page_reference_paths("tiny_01", 3) != []  # the other pages go on


def test_reference_paths_are_the_pages_sheets_then_its_style(book: Book) -> None:
    dagparams.open_book.cache_clear()
    names = [Path(p).name for p in dagparams.page_reference_paths("tiny_01", 3)]
    assert names == ["bear.png", "fox.png", "style_01.png"]


def test_rendered_sheet_paths_are_the_sheets_the_bible_renders(sheet_book: Book) -> None:
    dagparams.open_book.cache_clear()
    assert dagparams.rendered_sheet_paths("tiny_01") == {
        str(Path("books/tiny_01") / "bible" / "character_refs" / "bear.png")
    }
    sheet_book.characters_path.write_text("characters: [")
    dagparams.open_book.cache_clear()
    assert dagparams.rendered_sheet_paths("tiny_01") == set()


def test_the_sheet_draft_request_follows_the_characters_words_only(sheet_book: Book) -> None:
    first = parts(sheet_param(dagparams.sheet_draft_request))
    assert list(first) == SHEET_SOURCES and len(first["request"]) == 64
    assert sheet_param(dagparams.sheet_draft_request) == " ".join(
        f"{k}:{v}" for k, v in first.items()
    )
    edit_character(sheet_book, 0, description="a big blue bear in a red hat")
    second = parts(sheet_param(dagparams.sheet_draft_request))
    changed = {k for k in SHEET_SOURCES if first[k] != second[k]}
    assert changed == {"bible", "request"}


def test_a_hand_made_characters_sheet_params_are_invalid_not_raised(sheet_book: Book) -> None:
    assert sheet_param(dagparams.sheet_draft_request, "fox").startswith("invalid:")


def test_sheet_params_wait_as_pending_then_follow_the_review(sheet_book: Book) -> None:
    for compute in (
        dagparams.sheet_selection,
        dagparams.sheet_refine_request,
        dagparams.sheet_final_recipe,
    ):
        assert sheet_param(compute) == PENDING
    fake_sheet_stage(sheet_book, "draft", ["c01", "c02"])

    def pick(chosen: str) -> str:
        review_item_drafts(
            sheet_book,
            BEAR,
            selected=[chosen],
            rejected={c: "not the one" for c in ("c01", "c02") if c != chosen},
            rationale="test",
            reviewer="test",
        )
        return sheet_param(dagparams.sheet_selection)

    one = pick("c01")
    assert one != PENDING and len(one) == 64
    assert pick("c02") != one
    assert pick("c01") == one
    assert sheet_param(dagparams.sheet_final_recipe) == PENDING  # no refine review yet
    assert sheet_param(dagparams.sheet_refine_request) == PENDING  # not selected yet


def test_the_sheet_refine_and_final_values_follow_the_selection_and_the_final_pick(
    sheet_book: Book,
) -> None:
    fake_sheet_stage(sheet_book, "selected", ["c01"])
    one = sheet_param(dagparams.sheet_refine_request)
    assert one != PENDING and list(parts(one)) == SHEET_SOURCES
    fake_sheet_stage(sheet_book, "selected", ["c01", "c02"])
    two = sheet_param(dagparams.sheet_refine_request)
    assert two.split(" | ")[0] == one and len(two.split(" | ")) == 2
    fake_sheet_stage(sheet_book, "draft", ["c01", "c02"])
    review_item_drafts(
        sheet_book,
        BEAR,
        selected=["c01"],
        rejected={"c02": "weaker"},
        rationale="test",
        reviewer="t",
    )
    variants = fake_sheet_stage(sheet_book, "refine", ["c01-v1", "c01-v2"])

    def final(chosen: str) -> str:
        review_item_refine(
            sheet_book,
            BEAR,
            final=chosen,
            rejected={v: "weaker" for v in ("c01-v1", "c01-v2") if v != chosen},
            fixes=[],
            rationale="test",
            reviewer="t",
        )
        return sheet_param(dagparams.sheet_final_recipe)

    first = final("c01-v1")
    assert first == sha256_json({"judged": variants.images_sha256, "final": "c01-v1"})
    assert final("c01-v2") != first and final("c01-v1") == first


def test_a_page_wildcard_that_is_no_number_is_an_invalid_value(book: Book) -> None:
    dagparams.open_book.cache_clear()
    value = dagparams.draft_request(SimpleNamespace(book="tiny_01", page="first"))
    assert value == "invalid:ValueError"


def test_a_page_without_a_spec_is_an_invalid_value_not_an_error(book: Book) -> None:
    assert param(dagparams.draft_request, 9).startswith("invalid:")


def test_one_process_sees_a_spec_edited_between_two_params(book: Book) -> None:
    dagparams.open_book.cache_clear()
    wildcards = SimpleNamespace(book="tiny_01", page="0001")
    first = dagparams.draft_request(wildcards)
    assert dagparams.draft_request(wildcards) == first
    spec = book.spec_path(1)
    spec.write_text(spec.read_text().replace("test scene number 1", "a fox naps by the pond"))
    assert (
        parts(dagparams.draft_request(wildcards))["renderspec.json"]
        != parts(first)["renderspec.json"]
    )


def test_sheet_values_are_short_named_hashes(sheet_book: Book) -> None:
    named = parts(sheet_param(dagparams.sheet_draft_request))
    assert all(len(named[k]) == 10 for k in SHEET_SOURCES[:-1])
    invalid = sheet_param(dagparams.sheet_draft_request, "fox")
    assert len(invalid) == len("invalid:") + 16
