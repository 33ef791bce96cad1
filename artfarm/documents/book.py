"""A book on disk (`books/<book_id>/`) and where each of its documents lives.

    book_config.yaml          title, pinned style pack and models
    bible/characters.yaml     characters; bible/{style_refs,character_refs,palettes}/
    prompt_templates/         optional per-book overrides of the pack's templates
    pages/NNNN/renderspec.json, review.json, draft/, selected/, refine/, final/, print/
    layout/book.yaml          trim, fonts, story text and placement

Style packs are looked up in the book (`style_packs/<name>`) first, then beside `books/`.
`config`, `bible` and `style_pack` are read once and read again only when their file changed
(inode, size, mtime_ns): the board and the MCP server live long and must see an edit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from artfarm.documents.bible import Bible
from artfarm.documents.book_config import BOOK_CONFIG_FILE, BookConfig
from artfarm.documents.reader import load_json_model, load_yaml_model
from artfarm.documents.renderspec import RenderSpec
from artfarm.documents.stylepack import STYLEPACK_FILE, StylePack, load_style_pack
from artfarm.problems import ArtfarmError

PAGE_DIR = re.compile(r"^\d{4}$")
T = TypeVar("T")
Stamp = tuple[int, int, int] | None


def page_folder(page: int) -> str:
    return f"{page:04d}"


@dataclass(frozen=True)
class Book:
    root: Path

    @classmethod
    def open(cls, path: str | Path) -> Book:
        root = Path(path)
        if not root.is_dir():
            raise ArtfarmError.single(
                str(root),
                "",
                "book folder does not exist",
                "create it with `artfarm new-book <id>`",
            )
        return cls(root)

    @property
    def id(self) -> str:
        return self.root.resolve().name

    @property
    def config_path(self) -> Path:
        return self.root / BOOK_CONFIG_FILE

    @property
    def characters_path(self) -> Path:
        return self.root / "bible" / "characters.yaml"

    @property
    def pages_dir(self) -> Path:
        return self.root / "pages"

    @property
    def templates_dir(self) -> Path:
        return self.root / "prompt_templates"

    @property
    def layout_path(self) -> Path:
        return self.root / "layout" / "book.yaml"

    def page_dir(self, page: int) -> Path:
        return self.pages_dir / page_folder(page)

    def spec_path(self, page: int) -> Path:
        return self.page_dir(page) / "renderspec.json"

    def review_path(self, page: int) -> Path:
        return self.page_dir(page) / "review.json"

    def page_numbers(self) -> list[int]:
        """Pages that have a renderspec.json, in order."""
        if not self.pages_dir.is_dir():
            return []
        return sorted(
            int(d.name)
            for d in self.pages_dir.iterdir()
            if PAGE_DIR.match(d.name) and (d / "renderspec.json").is_file()
        )

    def style_pack_candidates(self, name: str) -> list[Path]:
        return [self.root / "style_packs" / name, self.root.parent.parent / "style_packs" / name]

    def style_pack_dir(self, name: str) -> Path:
        for candidate in self.style_pack_candidates(name):
            if os.path.lexists(candidate / STYLEPACK_FILE):  # the reader refuses a non-file
                return candidate
        searched = " or ".join(str(c) for c in self.style_pack_candidates(name))
        raise ArtfarmError.single(
            str(self.config_path),
            "style_pack",
            f"style pack {name!r} does not exist (looked in {searched})",
            "name an existing pack or create its folder with a stylepack.yaml",
        )

    @property
    def config(self) -> BookConfig:
        return self._fresh(
            "config",
            (self.config_path,),
            lambda: load_yaml_model(BookConfig, self.config_path, "book", root=self.root),
        )

    @property
    def bible(self) -> Bible:
        return self._fresh(
            "bible",
            (self.characters_path,),
            lambda: load_yaml_model(Bible, self.characters_path, "bible", root=self.root),
        )

    @property
    def style_pack(self) -> StylePack:
        """The pinned pack as this book sees it: the book's own constraint words added."""
        config = self.config
        directory = self.style_pack_dir(config.style_pack)
        return self._fresh(
            "style_pack",
            (self.config_path, directory / STYLEPACK_FILE),
            lambda: with_book_constraints(load_style_pack(directory), config),
        )

    def _fresh(self, name: str, files: tuple[Path, ...], load: Callable[[], T]) -> T:
        """`load()` again only when one of `files` changed since the last load (or is gone)."""
        cache = self.__dict__.setdefault("_documents", {})
        key = tuple(stamp(f) for f in files)
        kept = cache.get(name)
        if kept is not None and kept[0] == key and None not in key:
            return kept[1]
        value = load()
        cache[name] = (key, value)
        return value

    def load_spec(self, page: int) -> RenderSpec:
        """Load one page's spec, refusing one whose `page` disagrees with its folder."""
        path = self.spec_path(page)
        spec = load_json_model(RenderSpec, path, "renderspec", root=self.root)
        if spec.page != page:
            raise ArtfarmError.single(
                str(path),
                "page",
                f"page is {spec.page} but the folder is {page_folder(page)}",
                f"set page to {page} or move the file to pages/{page_folder(spec.page)}/",
            )
        return spec


def stamp(path: Path) -> Stamp:
    """Which version of a file this is, cheaply: one stat (None when it is not there)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def with_book_constraints(pack: StylePack, config: BookConfig) -> StylePack:
    if not config.constraints:
        return pack
    merged = {**pack.spec.constraints, **config.constraints}
    return StylePack(pack.directory, pack.spec.model_copy(update={"constraints": merged}))
