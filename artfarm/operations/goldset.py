"""The gold set of a book: what `artfarm archive` keeps, named as archive members.

Gold is the book as `artfarm prune` would leave it: every file under `books/<id>/` (bible,
specs, reviews and their history, manifests, contact sheets, selected drafts, the picked
variant, finals, print art, layout inputs, PDFs and exports, models.lock.json, uploaded
inputs) except the draft candidates no current review kept, the variants not picked (both
only with `--with-drafts`), job logs and last-failure notes, and hidden files. The style pack
the book uses comes along when it lives outside the book (`style_packs/<name>/`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artfarm.documents.book import Book
from artfarm.operations.prune import Doomed, plan_prune
from artfarm.problems import ArtfarmError

BOOK_PREFIX = "book/"
PACK_PREFIX = "style_packs/"
NOT_GOLD_DIRS = {"logs", "errors"}


@dataclass(frozen=True)
class Member:
    """One file of the archive: its member name and where it is on disk."""

    name: str
    path: Path


@dataclass(frozen=True)
class GoldSet:
    book_id: str
    style_pack: str
    pack_inside_book: bool
    members: list[Member]
    left_out: list[Doomed]


def regular_files(root: Path) -> list[Path]:
    """Every file under `root` in a stable order; a symlink is refused (no escapes, no loops)."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink():
            raise ArtfarmError.single(
                str(path),
                "",
                "is a symlink; an archive holds regular files only",
                "replace the link with a copy of the file",
            )
        if path.is_file():
            found.append(path)
    return found


def is_gold(rel: Path) -> bool:
    parts = rel.parts
    in_page = len(parts) >= 3 and parts[0] == "pages"
    return not (in_page and parts[2] in NOT_GOLD_DIRS) and not (parts and parts[0] in NOT_GOLD_DIRS)


def gold_set(book: Book, *, with_drafts: bool = False) -> GoldSet:
    pack_name = book.config.style_pack
    pack_dir = book.style_pack_dir(pack_name)
    left_out = [] if with_drafts else plan_prune(book, drafts=True, variants=True)[0]
    skip = {d.path.resolve() for d in left_out}
    members = [
        Member(BOOK_PREFIX + path.relative_to(book.root).as_posix(), path)
        for path in regular_files(book.root)
        if is_gold(path.relative_to(book.root)) and path.resolve() not in skip
    ]
    inside = book.root.resolve() in pack_dir.resolve().parents
    if not inside:
        members += [
            Member(f"{PACK_PREFIX}{pack_name}/{path.relative_to(pack_dir).as_posix()}", path)
            for path in regular_files(pack_dir)
        ]
    return GoldSet(book.id, pack_name, inside, members, left_out)
