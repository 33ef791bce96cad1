"""Constraints: parametrised forms ("N characters only") and a book's own constraint words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import page_content_hash
from artfarm.rendering.prompts import compile_prompts
from artfarm.validate import validate_book
from tests.bookmaker import edit_spec


def prompts_of(book_dir: Path, page: int):
    book = Book(book_dir)
    return compile_prompts(book.load_spec(page), book.style_pack, book.bible, book.templates_dir)


def add_book_constraints(book_dir: Path, constraints: dict[str, dict[str, str]]) -> None:
    path = book_dir / "book_config.yaml"
    config = yaml.safe_load(path.read_text())
    config["constraints"] = constraints
    path.write_text(yaml.safe_dump(config))


@pytest.mark.parametrize("written", ["3 characters only", "three characters only"])
def test_a_count_form_fills_in_the_number(tiny_book: Path, written: str) -> None:
    edit_spec(tiny_book, 3, constraints=["no text", written])
    prompts = prompts_of(tiny_book, 3)
    assert "exactly three characters" in prompts.positive
    assert "a fourth character" in prompts.negative


def test_an_exact_key_wins_over_a_form(tiny_book: Path) -> None:
    edit_spec(tiny_book, 3, constraints=["two characters only"])
    prompts = prompts_of(tiny_book, 3)
    assert "exactly two characters" in prompts.positive
    assert "third character" in prompts.negative and "a third character" not in prompts.negative


def test_a_book_adds_its_own_constraint_words_and_forms(tiny_book: Path) -> None:
    add_book_constraints(
        tiny_book,
        {
            "no hats": {"negative": "hat, cap, bonnet"},
            "{n} ducks in a row": {"positive": "{n} ducks in a row", "negative": "a {next} duck"},
            "kid-friendly": {"positive": "cosy and gentle"},  # the book's wins over the pack's
        },
    )
    edit_spec(tiny_book, 1, constraints=["no hats", "5 ducks in a row", "kid-friendly"])
    prompts = prompts_of(tiny_book, 1)
    assert "hat, cap, bonnet" in prompts.negative
    assert "five ducks in a row" in prompts.positive and "a sixth duck" in prompts.negative
    assert "cosy and gentle" in prompts.positive
    assert "safe for young children" not in prompts.positive
    assert validate_book(tiny_book) == []


def test_book_constraint_words_are_part_of_the_page_hash(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, constraints=["no text"])
    before = page_content_hash(Book(tiny_book), Book(tiny_book).load_spec(1))
    add_book_constraints(tiny_book, {"no hats": {"negative": "hat"}})
    after = page_content_hash(Book(tiny_book), Book(tiny_book).load_spec(1))
    assert before != after


def test_an_unknown_constraint_lists_the_forms_and_where_to_add_one(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, constraints=["many characters only"])
    with pytest.raises(ArtfarmError) as caught:
        prompts_of(tiny_book, 1)
    [problem] = caught.value.problems
    assert "N characters only" in problem.fix and "book_config.yaml" in problem.fix


def test_the_book_schema_documents_constraints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "book"]) == 0
    described = json.loads(capsys.readouterr().out)["properties"]["constraints"]["description"]
    assert "{n}" in described and "{next}" in described
