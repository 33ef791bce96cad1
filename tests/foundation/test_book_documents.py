"""A Book reads its config, bible and style pack once per file version (long-lived processes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from artfarm.documents.book import Book
from artfarm.problems import ArtfarmError


def test_documents_are_read_again_only_when_their_file_changed(tiny_book: Path) -> None:
    book = Book(tiny_book)
    bible, config, pack = book.bible, book.config, book.style_pack
    assert book.bible is bible and book.config is config and book.style_pack is pack
    text = book.characters_path.read_text()
    book.characters_path.write_text(text.replace("Bramble", "Brambl"))  # shorter: a new size
    assert book.bible is not bible and book.bible.by_id()["bear"].name == "Brambl"
    assert book.config is config and book.style_pack is pack


def test_a_rewrite_of_the_same_size_is_seen_by_its_mtime(tiny_book: Path) -> None:
    book = Book(tiny_book)
    assert book.config.title == "Tiny Test Book"
    before = os.stat(book.config_path)
    book.config_path.write_text(book.config_path.read_text().replace("Tiny", "Tidy"))
    os.utime(book.config_path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert book.config.title == "Tidy Test Book"


def test_the_style_pack_follows_the_book_constraints_and_its_own_file(tiny_book: Path) -> None:
    book = Book(tiny_book)
    assert "snowy" not in book.style_pack.spec.constraints
    text = book.config_path.read_text() + "constraints:\n  snowy: {positive: snow}\n"
    book.config_path.write_text(text)
    assert book.style_pack.spec.constraints["snowy"].positive == "snow"
    pack_file = book.style_pack.directory / "stylepack.yaml"
    pack = book.style_pack
    pack_file.write_text(pack_file.read_text() + "\n")
    assert book.style_pack is not pack and "snowy" in book.style_pack.spec.constraints


def test_a_removed_document_is_an_error_not_the_old_copy(tiny_book: Path) -> None:
    book = Book(tiny_book)
    assert book.bible.characters
    book.characters_path.unlink()
    with pytest.raises(ArtfarmError):
        assert book.bible is None  # never reached: the reader raises
