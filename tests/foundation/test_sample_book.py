"""The sample book: valid as shipped, and every class of mistake in it is reported at once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.rendering.contenthash import page_content_hash
from tests.bookmaker import edit_spec


def spec_file(book: Path, page: int) -> Path:
    return book / "pages" / f"{page:04d}" / "renderspec.json"


def test_the_sample_book_is_valid(sample_book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(sample_book)]) == 0
    assert len(Book(sample_book).page_numbers()) == 15


def test_one_broken_spec_per_error_class_are_all_listed(
    sample_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sample_book / "bible" / "notes.txt").write_text("not an image")
    os.symlink("/etc/hostname", sample_book / "bible" / "escape.png")
    spec_file(sample_book, 1).write_text('{"book_id": "gingerbear_01",\n  "page": 1\n  "x": 2}')
    edit_spec(sample_book, 2, seed="1234")  # wrong type
    edit_spec(sample_book, 3, mood="cosy")  # unknown key
    edit_spec(sample_book, 4, page=40)  # disagrees with its folder
    edit_spec(
        sample_book,
        5,
        characters=[{"id": "owl", "pose": "perched", "emotion": "wise"}],
        refs={"style": [], "characters": {}},
    )
    edit_spec(sample_book, 6, style_pack="no_such_pack")
    edit_spec(sample_book, 8, refs={"style": ["bible/style_refs/missing.png"], "characters": {}})
    edit_spec(sample_book, 9, refs={"style": ["bible/notes.txt"], "characters": {}})
    edit_spec(sample_book, 10, refs={"style": ["../../../etc/passwd"], "characters": {}})
    edit_spec(sample_book, 11, refs={"style": ["/etc/passwd"], "characters": {}})
    edit_spec(sample_book, 12, refs={"style": ["bible/escape.png"], "characters": {}})
    edit_spec(sample_book, 13, seed=2**64)
    assert main(["validate", str(sample_book), "--json"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[-1]["summary"] and not records[-1]["ok"]
    records = [r for r in records[:-1] if r["severity"] == "error"]
    found = {(Path(r["file"]).parent.name, r["field"]) for r in records}
    assert found >= {
        ("0001", "line 3, column 3"),
        ("0002", "seed"),
        ("0003", "mood"),
        ("0004", "page"),
        ("0005", "characters[0].id"),
        ("0006", "style_pack"),
        ("0008", "refs.style[0]"),
        ("0009", "refs.style[0]"),
        ("0010", "refs.style[0]"),
        ("0011", "refs.style[0]"),
        ("0012", "refs.style[0]"),
        ("0013", "seed"),
    }
    assert all(r["fix"] for r in records)


def test_editing_the_bears_description_changes_only_the_bears_pages(sample_book: Path) -> None:
    def hashes() -> dict[int, str]:
        book = Book(sample_book)
        return {p: page_content_hash(book, book.load_spec(p)) for p in book.page_numbers()}

    bear_pages = {
        p
        for p in Book(sample_book).page_numbers()
        if "bear" in Book(sample_book).load_spec(p).character_ids()
    }
    before = hashes()
    bible = sample_book / "bible" / "characters.yaml"
    bible.write_text(
        bible.read_text().replace("mustard-yellow knitted scarf", "green knitted scarf")
    )
    after = hashes()
    assert {p for p in before if before[p] != after[p]} == bear_pages
    assert bear_pages and bear_pages != set(before)  # some page has no bear
