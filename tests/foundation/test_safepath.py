"""The safe-path rules, one by one: what a document may name inside its book, and what not."""

from __future__ import annotations

from pathlib import Path

import pytest

from artfarm.documents.safepath import PathEscape, ensure_inside, resolve_inside


@pytest.mark.parametrize("name", ["a\x00.png", "a\x01.png", "a\x1f.png", "a\x7f.png", "a\n.png"])
def test_control_characters_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PathEscape, match="control characters"):
        resolve_inside(tmp_path, name)


@pytest.mark.parametrize("name", ["a b.png", "a~b.png", "a\x80b.png", "Jürgen.png"])
def test_printable_names_pass(tmp_path: Path, name: str) -> None:
    assert resolve_inside(tmp_path, name) == tmp_path.resolve() / name


def long_name(length: int) -> str:
    """A relative path of exactly `length` characters in folders short enough for any OS."""
    parts, left = [], length
    while left > 100:
        parts.append("d" * 99)
        left -= 100
    parts.append("f" * left)
    name = "/".join(parts)
    assert len(name) == length
    return name


def test_a_path_of_1024_characters_passes_and_1025_is_refused(tmp_path: Path) -> None:
    assert resolve_inside(tmp_path, long_name(1024)) == tmp_path.resolve() / long_name(1024)
    with pytest.raises(PathEscape, match="longer than 1024"):
        resolve_inside(tmp_path, long_name(1025))


@pytest.mark.parametrize("name", ["", " a.png", "a.png ", "/etc/passwd", "~/x", "a\\b", "../x"])
def test_names_that_leave_or_are_blank_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PathEscape):
        resolve_inside(tmp_path, name)


def test_the_book_folder_itself_is_inside(tmp_path: Path) -> None:
    assert resolve_inside(tmp_path, ".") == tmp_path.resolve()
    assert ensure_inside(tmp_path, tmp_path) == tmp_path.resolve()


def test_a_symlink_out_is_refused_by_both(tmp_path: Path) -> None:
    book, outside = tmp_path / "book", tmp_path / "outside"
    book.mkdir()
    outside.mkdir()
    (book / "link").symlink_to(outside)
    with pytest.raises(PathEscape, match="outside the book"):
        resolve_inside(book, "link/x.png")
    with pytest.raises(PathEscape, match="outside the book"):
        ensure_inside(book, book / "link" / "x.png")
    assert ensure_inside(book, book / "pages" / "x.png") == book.resolve() / "pages" / "x.png"
