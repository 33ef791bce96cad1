"""Keep paths named in specs and reviews inside their book: no `..`, no absolute paths, no symlink escapes."""

from __future__ import annotations

from pathlib import Path, PurePosixPath


class PathEscape(ValueError):
    """A document named a path outside the folder it must stay in."""


def resolve_inside(root: Path, relative: str) -> Path:
    """Resolve `relative` against `root`, refusing anything that lands outside `root`.

    Symlinks are followed before the check, so a link pointing out of the book is caught too.
    """
    if not relative or relative.strip() != relative:
        raise PathEscape("path is empty or has leading/trailing spaces")
    if any(ord(c) < 32 or ord(c) == 127 for c in relative) or len(relative) > 1024:
        raise PathEscape("path has control characters or is longer than 1024 characters")
    pure = PurePosixPath(relative)
    if pure.is_absolute() or relative.startswith("~") or "\\" in relative:
        raise PathEscape("path must be relative to the book folder (no leading /, ~ or \\)")
    if ".." in pure.parts:
        raise PathEscape("path must not contain '..'")
    root_real = root.resolve()
    target = (root_real / pure).resolve()
    if target != root_real and root_real not in target.parents:
        raise PathEscape("path resolves outside the book folder (a symlink pointing out?)")
    return target


def ensure_inside(root: Path, path: Path) -> Path:
    """The real location of `path`, refusing one that leaves `root` (through a symlink or `..`).

    For files the program itself names (book_config.yaml, pages/0001/review.json): the name
    is trusted, the file system is not.
    """
    root_real = root.resolve()
    target = path.resolve()
    if target != root_real and root_real not in target.parents:
        raise PathEscape("it resolves outside the book folder (a symlink pointing out?)")
    return target
