"""Tiny valid books in a temporary folder, for tests that need a real book on disk.

make_book(tmp_path)  → Book with 2 pages, a small style pack inside the book, 64×64 drafts
make_store(tmp_path, book) → ModelStore holding placeholders for every pin, book locked
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from artfarm.documents.book import Book
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders

SMALL_SIZES = {
    "draft_width": 64,
    "draft_height": 64,
    "final_width": 128,
    "final_height": 128,
    "print_scale": 2.0,
}

PACK = {
    "name": "tiny_pack",
    "description": "test pack",
    "loras": [{"name": "style_a.safetensors", "strength_model": 0.8, "strength_clip": 0.7}],
    "tiers": {
        "draft": {"sampler": "euler_ancestral", "scheduler": "normal", "steps": 4, "cfg": 5.0},
        "refine": {
            "sampler": "dpmpp_2m",
            "scheduler": "karras",
            "steps": 6,
            "cfg": 6.0,
            "denoise": 0.35,
        },
        "inpaint": {
            "sampler": "dpmpp_2m",
            "scheduler": "karras",
            "steps": 6,
            "cfg": 6.0,
            "denoise": 0.6,
            "grow_mask_by": 6,
            "feather": 4,
        },
        "upscale": {
            "sampler": "dpmpp_2m",
            "scheduler": "karras",
            "steps": 4,
            "cfg": 5.0,
            "denoise": 0.2,
            "tile_size": 512,
        },
    },
    "constraints": {
        "no text": {"negative": "text, letters"},
        "kid-friendly": {"positive": "gentle, friendly", "negative": "scary"},
    },
}


def make_book(
    tmp_path: Path,
    book_id: str = "tiny_01",
    pages: int = 2,
    sizes: dict[str, Any] | None = None,
    models: dict[str, Any] | None = None,
    pack: dict[str, Any] | None = None,
) -> Book:
    root = tmp_path / "books" / book_id
    (root / "bible").mkdir(parents=True)
    pack = pack or PACK
    pack_dir = root / "style_packs" / pack["name"]
    pack_dir.mkdir(parents=True)
    (pack_dir / "stylepack.yaml").write_text(yaml.safe_dump(pack, sort_keys=False))
    (pack_dir / "positive.j2").write_text(
        "{{ scene }}, {% for c in characters %}{{ c.description }}, {% endfor %}"
        "{% for w in constraint_positive %}{{ w }}, {% endfor %}storybook watercolor"
    )
    (pack_dir / "negative.j2").write_text(
        "blurry, {% for w in constraint_negative %}{{ w }}, {% endfor %}"
        "{% for w in negative_extra %}{{ w }}, {% endfor %}"
    )
    config = {
        "book_id": book_id,
        "title": "Tiny Book",
        "style_pack": pack["name"],
        "models": models
        or {
            "draft": {"checkpoint": "draft_a.safetensors"},
            "final": {"checkpoint": "final_a.safetensors"},
            "upscaler": "2x_up.pth",
            "loras": ["style_a.safetensors"],
        },
        "sizes": sizes or SMALL_SIZES,
    }
    (root / "book_config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    bible = {
        "characters": [
            {"id": "bear", "name": "Bear", "description": "a round brown bear in a red scarf"}
        ],
        "forbidden": [],
    }
    (root / "bible" / "characters.yaml").write_text(yaml.safe_dump(bible))
    for number in range(1, pages + 1):
        write_spec(Book(root), number)
    return Book(root)


def write_spec(book: Book, number: int, **changes: Any) -> Path:
    spec = {
        "book_id": book.id,
        "page": number,
        "intent": "illustration",
        "scene": f"Bear finds a shiny pebble number {number}",
        "characters": [{"id": "bear", "pose": "kneeling", "emotion": "delighted"}],
        "camera": {"shot": "wide", "angle": "eye level", "lens": "storybook"},
        "environment": {"time": "morning", "weather": "clear", "location": "creek"},
        "constraints": ["no text", "kid-friendly"],
        "style_pack": book.config.style_pack,
        "seed": 1000 + number,
        "candidates": 2,
        "refine_variants": 2,
    }
    spec.update(changes)
    path = book.spec_path(number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=2))
    return path


def make_store(tmp_path: Path, book: Book, lock: bool = True) -> ModelStore:
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    if lock:
        lock_book(book, store)
    return store


def fresh(book: Book) -> Book:
    """The same book without cached documents (after a test edits its files)."""
    return Book(book.root)
