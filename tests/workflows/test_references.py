"""A page's references: its characters' sheets (the spec's own refs first), then its style."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from artfarm.documents.book import Book
from artfarm.problems import ArtfarmError
from artfarm.rendering.references import Reference, character_sheets, page_references
from tests.bookmaker import edit_spec, picture

REFS = Path("bible/character_refs")


def test_a_page_gets_its_characters_refs_in_spec_order_then_its_style(tiny_book: Path) -> None:
    book = Book(tiny_book)
    assert page_references(book, 3) == [
        Reference("character", "bear", tiny_book / REFS / "bear.png"),
        Reference("character", "fox", tiny_book / REFS / "fox.png"),
        Reference("style", "style", tiny_book / "bible/style_refs/style_01.png"),
    ]
    assert [r.id for r in page_references(book, 2)] == ["fox", "style"]


def test_without_spec_refs_a_character_gets_the_bibles_sheets(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, refs={"style": [], "characters": {}})
    book = Book(tiny_book)
    assert page_references(book, 1) == [
        Reference("character", "bear", tiny_book / REFS / "bear.png")
    ]
    assert character_sheets(book, "bear") == [tiny_book / REFS / "bear.png"]
    assert character_sheets(book, "nobody") == []


def test_the_specs_own_refs_replace_the_bibles_sheet(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, refs={"style": [], "characters": {"bear": ["bible/pose.png"]}})
    assert [r.path for r in page_references(Book(tiny_book), 1)] == [tiny_book / "bible/pose.png"]


def test_a_sheet_not_rendered_yet_is_still_a_reference(tiny_book: Path) -> None:
    (tiny_book / REFS / "fox.png").unlink()
    assert tiny_book / REFS / "fox.png" in [r.path for r in page_references(Book(tiny_book), 2)]


def test_a_relative_book_root_gives_relative_paths_for_the_rules(
    tiny_book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_book.parent.parent)
    refs = page_references(Book(Path("books/tiny_01")), 2)
    assert [str(r.path) for r in refs] == [
        "books/tiny_01/bible/character_refs/fox.png",
        "books/tiny_01/bible/style_refs/style_01.png",
    ]


def test_a_sheet_outside_the_book_is_one_line_naming_the_bible(tiny_book: Path) -> None:
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    data["characters"][1]["sheets"] = ["../fox.png"]
    bible.write_text(yaml.safe_dump(data))
    edit_spec(tiny_book, 2, refs={"style": [], "characters": {}})
    with pytest.raises(ArtfarmError) as err:
        page_references(Book(tiny_book), 2)
    [problem] = err.value.problems
    assert problem.file == str(bible) and problem.field == "characters[fox].sheets"
    assert "'..'" in problem.problem


def test_a_pages_content_hash_follows_exactly_its_references(tiny_book: Path) -> None:
    from artfarm.rendering.contenthash import content_inputs, page_content_hash

    picture(tiny_book / "bible" / "pose.png", "purple")
    edit_spec(
        tiny_book,
        1,
        refs={
            "style": ["bible/style_refs/style_01.png"],
            "characters": {"bear": ["bible/pose.png"]},
        },
    )
    book = Book(tiny_book)
    spec = book.load_spec(1)
    hashed = content_inputs(book, spec)["references"]
    used = [r.path.relative_to(tiny_book).as_posix() for r in page_references(book, 1)]
    assert sorted(hashed) == sorted(used) == ["bible/pose.png", "bible/style_refs/style_01.png"]
    before = page_content_hash(book, spec)
    picture(tiny_book / REFS / "bear.png", "green")  # the bible's sheet: page 1 does not use it
    assert page_content_hash(book, spec) == before
    picture(tiny_book / "bible" / "pose.png", "orange")  # the sheet page 1 does use
    assert page_content_hash(book, spec) != before
