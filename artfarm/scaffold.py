"""`artfarm new-book` and `artfarm new-page`: start documents that already validate."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from artfarm.atomic import write_json, write_text
from artfarm.documents.book import Book
from artfarm.documents.renderspec import BOOK_ID_PATTERN
from artfarm.documents.stylepack import load_style_pack
from artfarm.problems import ArtfarmError

# Scaffold text that must be replaced before rendering (`artfarm validate` names each one left).
PLACEHOLDER_SCENE = "describe what happens on this page in one line"
PLACEHOLDER_DESCRIPTION = "describe the main character in the words every prompt should use"
PLACEHOLDER_TEXT = "write the story text of this page"
PLACEHOLDERS = (PLACEHOLDER_SCENE, PLACEHOLDER_DESCRIPTION, PLACEHOLDER_TEXT)

BOOK_FOLDERS = (
    "bible/style_refs",
    "bible/character_refs",
    "bible/palettes",
    "prompt_templates",
    "pages",
    "layout",
    "exports/print",
    "exports/web",
)


def new_book(books_dir: Path, book_id: str, style_pack: str, title: str | None = None) -> Book:
    if not re.fullmatch(BOOK_ID_PATTERN, book_id):
        raise ArtfarmError.single(
            book_id, "book_id", "book ids use a-z, 0-9 and _ only", "choose e.g. 'my_book_01'"
        )
    root = books_dir / book_id
    if root.exists():
        raise ArtfarmError.single(
            str(root), "", "the book already exists", "choose another id or edit that book"
        )
    pack = load_style_pack(Book(root).style_pack_dir(style_pack))
    for folder in BOOK_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    config = {
        "book_id": book_id,
        "title": title or book_id.replace("_", " ").title(),
        "style_pack": style_pack,
        "models": {
            "draft": {"checkpoint": "sketch_draft_v1.safetensors"},
            "final": {"checkpoint": "sketch_final_v1.safetensors"},
            "upscaler": None,
            "loras": [lora.name for lora in pack.spec.loras],
        },
    }
    write_text(root / "book_config.yaml", yaml.safe_dump(config, sort_keys=False))
    bible = {
        "characters": [
            {
                "id": "hero",
                "name": "Hero",
                "description": PLACEHOLDER_DESCRIPTION,
                "sheets": [],
            }
        ],
        "forbidden": [],
    }
    write_text(root / "bible" / "characters.yaml", yaml.safe_dump(bible, sort_keys=False))
    layout = {"title": config["title"], "pages": []}
    write_text(root / "layout" / "book.yaml", yaml.safe_dump(layout, sort_keys=False))
    return Book(root)


def next_page_number(book: Book) -> int:
    pages = book.page_numbers()
    return (pages[-1] + 1) if pages else 1


def new_page(book: Book, page: int | None = None) -> Path:
    number = page if page is not None else next_page_number(book)
    if not 1 <= number <= 9999:
        raise ArtfarmError.single(str(number), "page", "pages are 1..9999", "choose another number")
    path = book.spec_path(number)
    if path.exists():
        raise ArtfarmError.single(
            str(path), "", "this page already has a spec", "edit it, or pick another page number"
        )
    config = book.config
    first = book.bible.characters[0].id if book.bible.characters else None
    spec = {
        "book_id": book.id,
        "page": number,
        "intent": "illustration",
        "scene": PLACEHOLDER_SCENE,
        "characters": [{"id": first, "pose": "standing", "emotion": "happy"}] if first else [],
        "camera": {"shot": "wide", "angle": "eye level", "lens": "storybook"},
        "environment": {"time": "morning", "weather": "clear", "location": "meadow"},
        "constraints": [],
        "style_pack": config.style_pack,
        "refs": {"style": [], "characters": {}},
        "seed": 1000 + number,
    }
    write_json(path, spec)
    return path
