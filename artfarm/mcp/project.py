"""The project an MCP server serves: its root folder, its books, and the Snakefile that builds them.

The server runs from the project root (the folder holding `books/` and `config/`), like the
CLI, so every path it prints reads the same as the CLI's. A book is named by its id and
always resolved to `books/<id>`: a tool argument can never point outside the project.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import artfarm
from artfarm.documents.book import Book
from artfarm.documents.renderspec import BOOK_ID_PATTERN
from artfarm.documents.settings import SETTINGS_ENV, SETTINGS_FILE
from artfarm.problems import ArtfarmError

BOOKS_DIR = Path("books")


def default_snakefile(root: Path) -> Path:
    """The project's own Snakefile, else the one shipped beside the artfarm package."""
    own = root / "Snakefile"
    if own.is_file():
        return own
    return Path(artfarm.__file__).resolve().parent.parent / "Snakefile"


@dataclass(frozen=True)
class Project:
    root: Path
    snakefile: Path

    @classmethod
    def open(cls, root: Path, snakefile: Path | None = None) -> Project:
        root = root.resolve()
        if not root.is_dir():
            raise ArtfarmError.single(
                str(root), "", "project folder does not exist", "pass --root with your project"
            )
        snakefile = (snakefile or default_snakefile(root)).resolve()
        if not snakefile.is_file():
            raise ArtfarmError.single(
                str(snakefile), "", "no Snakefile here", "pass --snakefile with artfarm's Snakefile"
            )
        return cls(root, snakefile)

    def book(self, book_id: str) -> Book:
        """`books/<book_id>` under the root (relative, as the CLI prints it), if it exists."""
        if not re.match(BOOK_ID_PATTERN, book_id):
            raise ArtfarmError.single(
                "tool arguments",
                "book",
                f"{book_id!r} is not a book id",
                "use e.g. 'gingerbear_01'",
            )
        relative = BOOKS_DIR / book_id
        if not (self.root / relative).is_dir():
            known = ", ".join(self.book_ids()) or "none yet"
            raise ArtfarmError.single(str(relative), "", "no such book", f"use one of: {known}")
        return Book(relative)

    def book_ids(self) -> list[str]:
        books = self.root / BOOKS_DIR
        if not books.is_dir():
            return []
        return sorted(
            p.name for p in books.iterdir() if p.is_dir() and re.match(BOOK_ID_PATTERN, p.name)
        )

    def snakemake_argv(self, *args: str) -> list[str]:
        """Snakemake by this Python, on this project: an argv list, never a shell string."""
        return [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(self.snakefile),
            "-d",
            str(self.root),
            *args,
        ]

    def environment(self) -> dict[str, str]:
        """The environment for Snakemake: the project's settings file, wherever we were started."""
        env = dict(os.environ)
        settings = self.root / SETTINGS_FILE
        if SETTINGS_ENV not in env and settings.is_file():
            env[SETTINGS_ENV] = str(settings)
        return env
