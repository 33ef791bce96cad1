"""What a review judges: a page, or a bible item the pipeline renders (a character sheet or
a golden image).

`artfarm review`, the board and the MCP tools name a subject the same way: a page number (`7`),
`sheet:<character id>` or `style:<golden image id>`. Each subject knows its work folder (draft/, review.json, selected/,
refine/, logs/), what it waits for (the to-do records of `artfarm next`), its best art so far,
the words it is rendered from, and writes its reviews through the same code with the same
checks and history. Only `ItemSubject` and `bible_subjects` call pipeline/bible_items.py, so
the bible's rendered items reach every caller from here.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel

from artfarm.documents.bible import BibleItem
from artfarm.documents.book import Book
from artfarm.documents.reader import load_json_model
from artfarm.documents.safepath import resolve_inside
from artfarm.layout.art import find_art
from artfarm.pipeline.bible_items import (
    NOUN,
    auto_review_item,
    item_dir,
    load_item_review,
    one_item_todo,
    parse_item_arg,
    rendered_items,
    rendered_manifest_path,
    rendered_path,
    review_item_drafts,
    review_item_refine,
)
from artfarm.pipeline.manifest import MANIFEST, StageManifest, read_manifest
from artfarm.pipeline.reviewing import (
    auto_review_drafts,
    auto_review_refine,
    load_review,
    review_drafts,
    review_refine,
)
from artfarm.pipeline.todo import Todo, page_todo
from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import item_entry, item_spec
from artfarm.rendering.prompts import Prompts, compile_prompts

SUBJECT_PATTERN = r"^(sheet|style):[a-z][a-z0-9_]*$"
SUBJECT_HELP = (
    "sheet:<character id> (a character sheet the bible renders) or style:<id> (a golden image)"
)
BEST_ART = ("final", "selected", "thumb")  # the storyboard's order (layout.storyboard)


class PageSubject:
    """A page of the book (pages/NNNN/)."""

    kind = "page"
    takes_fixes = True

    def __init__(self, book: Book, page: int) -> None:
        self.book, self.page = book, page
        self.folder = book.page_dir(page)

    @property
    def key(self) -> str:
        return str(self.page)

    @property
    def label(self) -> str:
        return f"page {self.page}"

    @property
    def review_path(self) -> Path:
        return self.book.review_path(self.page)

    def todo(self) -> list[Todo]:
        return page_todo(self.book, self.page)

    def load_review(self) -> BaseModel | None:
        return load_review(self.book, self.page)

    def best_art(self) -> tuple[str, str] | None:
        """(stage folder, file name): the final pick, else a selected draft, else the
        thumbnail, else the first draft."""
        found = find_art(self.book.root, self.page, BEST_ART)
        if found is not None:
            path, source = found
            return source, path.name
        return first_draft(self.folder)

    def art_path(self, stage: str, name: str) -> Path:
        """An image of one of the page's stage folders (PathEscape when it leaves the book)."""
        return resolve_inside(self.book.root, f"pages/{self.page:04d}/{stage}/{name}")

    def stage_manifest(self, stage: str) -> tuple[StageManifest, Path]:
        """A stage's manifest and the folder its images are in."""
        return read_manifest(self.folder / stage), self.folder / stage

    def prompts(self) -> Prompts:
        spec = self.book.load_spec(self.page)
        return compile_prompts(spec, self.book.style_pack, self.book.bible, self.book.templates_dir)

    def words(self) -> tuple[str, str]:
        """(document name, its text): what the page is rendered from."""
        return "renderspec.json", self.book.spec_path(self.page).read_text(encoding="utf-8")

    def auto(self, stage: str) -> Path:
        auto = auto_review_drafts if stage == "draft" else auto_review_refine
        return auto(self.book, self.page)

    def drafts(self, **review) -> Path:
        return review_drafts(self.book, self.page, **review)

    def refine(self, **review) -> Path:
        return review_refine(self.book, self.page, **review)


class ItemSubject:
    """A bible item the pipeline renders (bible/sheets/<id>/ or bible/golden/<id>/): no inpaint
    fixes. `kind` is the item's: "sheet" or "style"."""

    takes_fixes = False

    def __init__(self, book: Book, item: BibleItem) -> None:
        item_entry(book, item)  # one line when the bible does not render it
        self.book, self.item = book, item
        self.kind = item.kind
        self.folder = item_dir(book, item)

    @property
    def key(self) -> str:
        return self.item.label

    @property
    def label(self) -> str:
        return self.key

    @property
    def review_path(self) -> Path:
        return self.folder / "review.json"

    def todo(self) -> list[Todo]:
        return one_item_todo(self.book, self.item)

    def load_review(self) -> BaseModel | None:
        return load_item_review(self.book, self.item)

    def best_art(self) -> tuple[str, str] | None:
        """The approved image (placed with its manifest), else a selected draft, else the
        first draft."""
        placed = rendered_manifest_path(self.book, self.item).is_file()
        if placed and rendered_path(self.book, self.item).is_file():
            return "final", f"{self.item.id}.png"
        chosen = sorted((self.folder / "selected").glob("*.png"))
        if chosen:
            return "selected", chosen[0].name
        return first_draft(self.folder)

    def art_path(self, stage: str, name: str) -> Path:
        if stage == "final":  # the approved image; never another item's file
            if name != f"{self.item.id}.png":
                return self.folder / "final" / name  # does not exist: a 404
            return resolve_inside(self.book.root, self.item.rendered)  # a link out: refused
        return resolve_inside(self.book.root, f"{self.item.folder}/{stage}/{name}")

    def stage_manifest(self, stage: str) -> tuple[StageManifest, Path]:
        noun = NOUN[self.item.kind]
        if stage == "print":
            raise ArtfarmError.single(
                str(self.folder), "image", f"a {noun} has no print art", "ask for its final"
            )
        if stage != "final":
            return read_manifest(self.folder / stage), self.folder / stage
        path = rendered_manifest_path(self.book, self.item)
        if not path.is_file():
            raise ArtfarmError.single(
                str(path), "", f"the {noun} has no final pick yet", "review its variants first"
            )
        manifest = load_json_model(StageManifest, path, "manifest", root=self.book.root)
        return manifest, path.parent

    def prompts(self) -> Prompts:
        spec = item_spec(self.book, self.item)
        return compile_prompts(spec, self.book.style_pack, self.book.bible, self.book.templates_dir)

    def words(self) -> tuple[str, str]:
        entry = item_entry(self.book, self.item)
        text = yaml.safe_dump(entry.model_dump(mode="json", exclude_defaults=True), sort_keys=False)
        return f"bible/characters.yaml ({self.item.id})", text

    def auto(self, stage: str) -> Path:
        return auto_review_item(self.book, self.item, stage)

    def drafts(self, **review) -> Path:
        return review_item_drafts(self.book, self.item, **review)

    def refine(self, **review) -> Path:
        return review_item_refine(self.book, self.item, **review)


Subject = PageSubject | ItemSubject


def first_draft(folder: Path) -> tuple[str, str] | None:
    drafts = folder / "draft"
    if not (drafts / MANIFEST).is_file():
        return None
    try:
        outputs = read_manifest(drafts).outputs
    except ArtfarmError:
        return None
    return ("draft", outputs[0].file) if outputs else None


def bible_subjects(book: Book) -> list[Subject]:
    """The bible's rendered items: character sheets, then golden images, each in the bible's
    order (none while it is unreadable)."""
    try:
        return [ItemSubject(book, item) for item in rendered_items(book)]
    except ArtfarmError:
        return []  # validate and `next` name the broken bible


def bible_subject(book: Book, name: str) -> Subject:
    """The bible item `name` names (`sheet:<id>`, `style:<id>`), or one line saying what to
    write."""
    item = parse_item_arg(name)
    if item is None:
        raise ArtfarmError.single(
            str(book.characters_path),
            "subject",
            f"{name[:40]!r} does not name a rendered bible item",
            f"write {SUBJECT_HELP}",
        )
    return ItemSubject(book, item)
