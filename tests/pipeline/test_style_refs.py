"""Phase 0's golden images without a server: the bible's style_refs, their jobs, the pages
that use them, their review loop and to-do (the same code path as a character's sheet)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from artfarm.documents.bible import SHEET, STYLE, BibleItem, rendered_item_constraint
from artfarm.documents.book import Book
from artfarm.pipeline.bible_items import (
    ItemRun,
    item_dir,
    item_status,
    parse_item_arg,
    rendered_items,
    review_item_drafts,
    review_item_refine,
    run_item_final,
)
from artfarm.pipeline.manifest import StageManifest, images_identity, write_manifest
from artfarm.pipeline.stages import output_file
from artfarm.pipeline.todo import book_todo
from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import compile_item
from artfarm.rendering.contenthash import page_content_hash
from artfarm.rendering.modelstore import ModelStore
from artfarm.rendering.references import STYLE as STYLE_REF
from artfarm.rendering.references import page_references
from tests.bookmaker import edit_spec, make_project
from tests.pipeline.fakes import paint
from tests.pipeline.test_sheets import render_bear

BOOK = "books/tiny_01"
MEADOW = BibleItem(STYLE, "meadow")

GOLDEN = [
    {
        "id": "meadow",
        "scene": "a sunny meadow of tall grass",
        "render": {"seed": 5, "candidates": 2},
    },
    {
        "id": "creek",
        "scene": "a creek under willows at dusk",
        "characters": ["fox"],
        "pages": [2],
        "render": {"seed": 6, "candidates": 2, "refine_variants": 1},
    },
    {"id": "hills", "scene": "rolling hills", "image": "bible/style_refs/style_01.png"},
]


def with_golden(root: Path, golden: list[dict] | None = None, *, own_style: bool = False) -> Book:
    """The tiny book with golden images; its pages name no style reference of their own."""
    path = root / BOOK / "bible" / "characters.yaml"
    bible = yaml.safe_load(path.read_text())
    bible["style_refs"] = GOLDEN if golden is None else golden
    path.write_text(yaml.safe_dump(bible, sort_keys=False))
    for page in (1, 2, 3):
        spec = yaml.safe_load(
            (root / BOOK / "pages" / f"{page:04d}" / "renderspec.json").read_text()
        )
        refs = dict(spec["refs"], style=["bible/style_refs/style_01.png"] if own_style else [])
        edit_spec(root / BOOK, page, refs=refs)
    return Book(root / BOOK)


@pytest.fixture
def book(tmp_path: Path) -> Book:
    make_project(tmp_path)
    return with_golden(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


def slot(job, title: str) -> dict:
    return next(n for n in job.graph.values() if n["_meta"]["title"] == title)["inputs"]


def bible_error(root: Path, golden: list[dict]) -> str:
    with pytest.raises(ArtfarmError) as err:
        with_golden(root, golden).bible.by_id()
    return str(err.value)


@pytest.mark.parametrize("count", [2, 9])
def test_fewer_than_three_or_more_than_eight_golden_images_is_one_line_naming_the_field(
    tmp_path, count
) -> None:
    make_project(tmp_path)
    golden = [{"id": f"g{i}", "scene": "a quiet wood", "render": {"seed": i}} for i in range(count)]
    message = bible_error(tmp_path, golden)
    assert len(message.splitlines()) == 1
    assert "style_refs" in message and f"{count} golden images" in message
    assert "3–8" in message


def test_a_golden_image_is_hand_made_or_rendered_never_both_and_names_known_characters(
    tmp_path,
) -> None:
    make_project(tmp_path)
    both = [dict(GOLDEN[0], image="bible/style_refs/style_01.png"), *GOLDEN[1:]]
    assert "exactly one of them" in bible_error(tmp_path, both)
    onto_rendered = [
        *GOLDEN[:2],
        {"id": "hills", "scene": "hills", "image": "bible/style_refs/hills.png"},
    ]
    assert "where the pipeline renders golden images" in bible_error(tmp_path, onto_rendered)
    stranger = [dict(GOLDEN[0], characters=["owl"]), *GOLDEN[1:]]
    assert "style_refs[meadow].characters names owl" in bible_error(tmp_path, stranger)


def test_a_golden_image_job_is_a_page_shaped_burst_of_its_scene_words(book, store) -> None:
    job = compile_item(book, MEADOW, "draft", store=store)
    latent = slot(job, "latent")
    assert (latent["width"], latent["height"], latent["batch_size"]) == (64, 80, 2)
    text = slot(job, "positive")["text"]
    assert "a sunny meadow of tall grass" in text
    assert "a small orange fox" not in text  # no character named, none drawn
    creek = slot(compile_item(book, BibleItem(STYLE, "creek"), "draft", store=store), "positive")
    assert "a small orange fox with a white-tipped tail" in creek["text"]
    assert job.request["stage"] == "sheet" and job.seed == 5
    assert job.filename_prefix.startswith("artfarm/tiny_01/golden/meadow/draft/")


def test_only_its_own_words_change_a_golden_images_job(book, store) -> None:
    before = compile_item(book, MEADOW, "draft", store=store).request_hash
    edited = [GOLDEN[0], dict(GOLDEN[1], scene="a creek in the rain"), GOLDEN[2]]
    assert (
        compile_item(
            with_golden(book.root.parent.parent, edited), MEADOW, "draft", store=store
        ).request_hash
        == before
    )
    edited = [dict(GOLDEN[0], scene="a snowy meadow"), *GOLDEN[1:]]
    after = compile_item(with_golden(book.root.parent.parent, edited), MEADOW, "draft", store=store)
    assert after.request_hash != before


def test_a_hand_made_golden_image_compiles_to_no_job(book, store) -> None:
    with pytest.raises(ArtfarmError) as err:
        compile_item(book, BibleItem(STYLE, "hills"), "draft", store=store)
    assert "golden image 'hills' is hand-made" in str(err.value)
    assert "style_refs[hills].render" in str(err.value)


def styles(book: Book, page: int) -> list[str]:
    refs = page_references(book, page)
    return [r.path.relative_to(book.root).as_posix() for r in refs if r.kind == STYLE_REF]


def test_a_page_uses_the_golden_images_that_name_it_else_those_that_name_no_page(book) -> None:
    general = ["bible/style_refs/meadow.png", "bible/style_refs/style_01.png"]
    assert styles(book, 1) == general
    assert styles(book, 2) == ["bible/style_refs/creek.png"]  # creek names page 2
    assert styles(book, 3) == general
    own = with_golden(book.root.parent.parent, own_style=True)
    assert styles(own, 2) == ["bible/style_refs/style_01.png"]  # the spec's refs.style wins


def test_a_pages_content_hash_follows_exactly_the_golden_images_it_uses(book) -> None:
    before = {p: page_content_hash(book, book.load_spec(p)) for p in (1, 2, 3)}
    paint(book.root / "bible" / "style_refs" / "creek.png", 4, (64, 80))
    after = {p: page_content_hash(book, book.load_spec(p)) for p in (1, 2, 3)}
    assert [p for p in before if before[p] != after[p]] == [2]


def test_the_final_rule_matches_only_rendered_golden_images_under_style_refs(
    tmp_path, book
) -> None:
    render_bear(tmp_path)
    constraint = rendered_item_constraint(tmp_path / "books")
    pattern = re.compile(rf"books/[a-z0-9_]+/bible/[a-z_]+/(?:{constraint})\.png$")
    assert pattern.match("books/tiny_01/bible/style_refs/meadow.png")
    assert pattern.match("books/tiny_01/bible/style_refs/creek.png")
    assert pattern.match("books/tiny_01/bible/character_refs/bear.png")
    assert not pattern.match("books/tiny_01/bible/style_refs/style_01.png")  # hand-made
    assert not pattern.match("books/tiny_01/bible/character_refs/meadow.png")
    assert not pattern.match("books/tiny_01/bible/style_refs/bear.png")


def fake_stage(book: Book, item: BibleItem, stage: str, ids: list[str]) -> None:
    folder = item_dir(book, item) / stage
    outputs = [
        output_file(paint(folder / f"{i}.png", n + 1, (64, 80)), i) for n, i in enumerate(ids)
    ]
    manifest = StageManifest(
        stage=stage,
        book_id=book.id,
        page=0,
        sheet=item.id,
        kind=item.kind,
        spec={},
        params="test",
        outputs=outputs,
        images_sha256=images_identity(outputs),
    )
    write_manifest(folder, manifest)


def test_a_golden_image_goes_through_the_sheets_review_loop_to_style_refs(book) -> None:
    from artfarm.documents.settings import load_settings

    fake_stage(book, MEADOW, "draft", ["c01", "c02"])
    review_item_drafts(
        book, MEADOW, selected=["c02"], rejected={"c01": "dull"}, rationale="light", reviewer="t"
    )
    fake_stage(book, MEADOW, "refine", ["c02-v1"])
    review_item_refine(
        book, MEADOW, final="c02-v1", rejected={}, fixes=[], rationale="warm", reviewer="t"
    )
    dest = run_item_final(ItemRun(book, 0, load_settings(), "test", item=MEADOW))
    assert dest == book.root / "bible" / "style_refs" / "meadow.png"
    assert dest.read_bytes() == (item_dir(book, MEADOW) / "refine" / "c02-v1.png").read_bytes()
    manifest = (dest.parent / "meadow.manifest.json").read_text()
    assert '"kind": "style"' in manifest and '"final": "c02-v1"' in manifest
    review = (book.root / "bible" / "golden" / "meadow" / "review.json").read_text()
    assert '"kind": "style"' in review


def test_a_sheets_review_is_not_a_golden_images(book) -> None:
    render_bear(book.root.parent.parent)
    bear = BibleItem(SHEET, "bear")
    fake_stage(book, bear, "draft", ["c01"])
    review_item_drafts(book, bear, selected=["c01"], rejected={}, rationale="fine", reviewer="t")
    moved = item_dir(book, MEADOW)
    moved.mkdir(parents=True)
    (moved / "review.json").write_text((item_dir(book, bear) / "review.json").read_text())
    from artfarm.pipeline.bible_items import load_item_review

    with pytest.raises(ArtfarmError) as err:
        load_item_review(book, MEADOW)
    assert "review is for tiny_01 sheet:bear" in str(err.value)


def test_next_lists_sheets_then_golden_images_and_pages_say_what_they_wait_for(book) -> None:
    book = render_bear(book.root.parent.parent)
    assert [i.label for i in rendered_items(book)] == ["sheet:bear", "style:meadow", "style:creek"]
    todos = book_todo(book)
    assert [(t.sheet, t.page, t.state) for t in todos] == [
        ("sheet:bear", 0, "needs-sheet-drafts"),
        ("style:meadow", 0, "needs-sheet-drafts"),
        ("style:creek", 0, "needs-sheet-drafts"),
        ("", 1, "waits-for-sheet"),
        ("", 2, "waits-for-sheet"),
        ("", 3, "waits-for-sheet"),
    ]
    assert todos[1].detail == "golden image drafts not rendered yet"
    assert todos[3].detail == "waits for sheet:bear, style:meadow (review first)"
    assert todos[4].detail == "waits for style:creek (review first)"
    fake_stage(book, MEADOW, "draft", ["c01"])
    meadow = book_todo(book)[1]
    assert meadow.state == "awaiting-draft-review"
    assert f"artfarm review {book.root} style:meadow draft --select" in meadow.command


def test_item_status_lists_kind_id_state_and_folders(book) -> None:
    fake_stage(book, MEADOW, "draft", ["c01"])
    status = {s.label: s for s in item_status(book)}
    assert list(status) == ["style:meadow", "style:creek"]
    meadow = status["style:meadow"]
    assert (meadow.kind, meadow.id, meadow.state) == (STYLE, "meadow", "awaiting-draft-review")
    assert meadow.folder == book.root / "bible" / "golden" / "meadow"
    assert meadow.image == book.root / "bible" / "style_refs" / "meadow.png"
    assert status["style:creek"].state == "needs-sheet-drafts"
    assert parse_item_arg("style:meadow") == MEADOW
    assert parse_item_arg("sheet:bear") == BibleItem(SHEET, "bear")
    assert parse_item_arg("meadow") is None and parse_item_arg("3") is None


def test_artfarm_review_style_reviews_a_golden_image(book, capsys) -> None:
    from artfarm.cli import main

    fake_stage(book, MEADOW, "draft", ["c01", "c02"])
    args = ["review", str(book.root), "style:meadow", "draft", "--select", "c01"]
    assert main([*args, "--reject-rest", "flat", "--rationale", "good light"]) == 0
    assert (item_dir(book, MEADOW) / "review.json").is_file()
    assert main(["review", str(book.root), "style:hills", "draft", "--auto"]) == 1
    assert "golden image 'hills' is hand-made" in capsys.readouterr().err


def test_validate_names_a_hand_made_golden_image_that_is_missing(book, capsys) -> None:
    import json

    from artfarm.cli import main

    assert main(["validate", str(book.root), "--json"]) == 0
    capsys.readouterr()
    golden = [*GOLDEN[:2], dict(GOLDEN[2], image="bible/style_refs/gone.png")]
    with_golden(book.root.parent.parent, golden)
    assert main(["validate", str(book.root), "--json"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()][:-1]
    errors = [r for r in records if r["severity"] == "error"]
    assert [(r["field"], "does not exist" in r["problem"]) for r in errors] == [
        ("style_refs[2].image", True)
    ]
