"""`artfarm new-book` and `artfarm new-page`: a complete skeleton with nothing to guess.

new-book writes every document a book needs (config, bible, layout/book.yaml with an entry
per page, a spec per page), commented where a choice is to be made. The words only the
author can write are left as the `PLACEHOLDERS` below, and `artfarm validate` names each one
still there. new-page adds a spec and the page's entry in layout/book.yaml.
"""

from __future__ import annotations

import json
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


LAYOUT_HEAD = """\
# How the book is set: trim, bleed, fonts, and the story text of every page.
# Every key with its description and a full example: `artfarm schema layout`.
# Lengths are inches, or strings with a unit ("3mm", "0.125in").
title: {title}
# author: Your Name
trim: 8.5x8.5          # 8.5x8.5 | 8x10 | 8.5x11 | 8x8 | 10x8 | {{width: 210mm, height: 210mm}}
bleed: 0.125           # art beyond the trim on every outer edge
# dedication: For everyone who reads this.
# order: [title, copyright, dedication, story, end]   # copyright lists the pinned models
# cover: {{art: 1, back_text: A line about the book.}}
# title_art: 1         # title page picture: a page number (default: the cover art) | none
# end_art: 12          # end page picture (default: none)
# title_focus: auto    # where a vignette's window sits: auto (the detail) | top | middle | bottom
# fonts: {{size: 22, measure: 24, leading: 0.65}}   # points; line length and gap in em
# folios_on_art: false # page numbers on full-bleed art
# printer: {{min_ppi: 300, barcode: [2.0, 1.2]}}   # barcode area in inches ([0, 0]: none)
#
# Story pages in reading order; each page's art comes from pages/NNNN/.
# `artfarm new-page` adds an entry here. A spread (spread: true) spans two facing pages
# and must start on a left-hand page.
pages:
"""
LAYOUT_ENTRY = """\
  - page: {page}
    text: {text}
    placement: auto  # auto (calmest part of the art) | top | bottom | left | right | over
"""


def new_book(
    books_dir: Path,
    book_id: str,
    style_pack: str,
    title: str | None = None,
    pages: int = 1,
) -> Book:
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
    head = LAYOUT_HEAD.format(title=json.dumps(config["title"], ensure_ascii=False))
    write_text(root / "layout" / "book.yaml", head)
    book = Book(root)
    for number in range(1, pages + 1):
        new_page(book, number)
    return book


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
    add_layout_entry(book, number)
    write_json(path, spec)
    return path


def add_layout_entry(book: Book, page: int) -> None:
    """Append the page's entry to layout/book.yaml, keeping its comments; `pages` must be last."""
    path = book.layout_path
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    data = yaml.safe_load(text) if text.strip() else {}
    if not isinstance(data, dict):
        data = {}
    listed = data.get("pages") or []
    if any(isinstance(e, dict) and e.get("page") == page for e in listed):
        return
    if data and list(data)[-1] != "pages":
        raise ArtfarmError.single(
            str(path),
            "pages",
            f"cannot add page {page}: `pages:` is not the last key of the file",
            f"add `- page: {page}` with its text to pages by hand (or move pages: to the end)",
        )
    text = re.sub(r"(?m)^pages:\s*\[\s*\]\s*$", "pages:", text)
    if "pages" not in data:
        text = text.rstrip("\n") + "\npages:\n" if text.strip() else "pages:\n"
    entry = LAYOUT_ENTRY.format(page=page, text=PLACEHOLDER_TEXT)
    write_text(path, text.rstrip("\n") + "\n" + entry)
