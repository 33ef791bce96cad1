"""Build small, valid books on disk for tests: real files, real folders, nothing mocked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent

CHARACTERS = [
    {
        "id": "bear",
        "name": "Bramble",
        "description": "a big round brown bear in a red knitted scarf",
        "negative": "realistic fur, claws",
        "sheets": ["bible/character_refs/bear.png"],
    },
    {
        "id": "fox",
        "name": "Pip",
        "description": "a small orange fox with a white-tipped tail",
        "sheets": ["bible/character_refs/fox.png"],
    },
]

PAGES = {
    1: ["bear"],
    2: ["fox"],
    3: ["bear", "fox"],
}


def picture(path: Path, color: str, size: tuple[int, int] = (64, 48)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).ellipse([8, 8, size[0] - 8, size[1] - 8], fill=color)
    image.save(path)


def spec_for(book_id: str, page: int, characters: list[str]) -> dict[str, Any]:
    return {
        "book_id": book_id,
        "page": page,
        "intent": "illustration",
        "scene": f"test scene number {page} in the meadow",
        "characters": [{"id": c, "pose": "standing", "emotion": "happy"} for c in characters],
        "camera": {"shot": "wide", "angle": "eye level", "lens": "storybook"},
        "environment": {"time": "morning", "weather": "clear", "location": "meadow"},
        "constraints": ["no text", "kid-friendly"],
        "style_pack": "watercolor_whimsy_v1",
        "refs": {
            "style": ["bible/style_refs/style_01.png"],
            "characters": {c: [f"bible/character_refs/{c}.png"] for c in characters},
        },
        "seed": 1000 + page,
        "candidates": 2,
        "refine_variants": 1,
    }


def write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_spec(book: Path, page: int, spec: dict[str, Any]) -> Path:
    path = book / "pages" / f"{page:04d}" / "renderspec.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path


def edit_spec(book: Path, number: int, **fields: Any) -> Path:
    """Change top-level fields of one page's spec on disk (the way an agent edits it)."""
    path = book / "pages" / f"{number:04d}" / "renderspec.json"
    spec = json.loads(path.read_text(encoding="utf-8"))
    spec.update(fields)
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path


def layout_for(pages: dict[int, list[str]]) -> dict[str, Any]:
    return {
        "title": "Tiny Test Book",
        "pages": [{"page": p, "text": f"Words for page {p}."} for p in sorted(pages)],
    }


def make_project(root: Path, book_id: str = "tiny_01") -> Path:
    """A project folder: style_packs copied from the repo, one small book with real images."""
    shutil.copytree(REPO / "style_packs", root / "style_packs")
    book = root / "books" / book_id
    write_yaml(
        book / "book_config.yaml",
        {
            "book_id": book_id,
            "title": "Tiny Test Book",
            "style_pack": "watercolor_whimsy_v1",
            "models": {
                "draft": {"checkpoint": "sketch_draft_v1.safetensors"},
                "final": {"checkpoint": "sketch_final_v1.safetensors"},
                "upscaler": None,
                "loras": ["watercolor_whimsy_v1.safetensors"],
            },
            "sizes": {
                "draft_width": 64,
                "draft_height": 80,
                "final_width": 128,
                "final_height": 160,
            },
        },
    )
    write_yaml(book / "bible" / "characters.yaml", {"characters": CHARACTERS, "forbidden": []})
    picture(book / "bible" / "character_refs" / "bear.png", "saddlebrown")
    picture(book / "bible" / "character_refs" / "fox.png", "darkorange")
    picture(book / "bible" / "style_refs" / "style_01.png", "lightblue")
    for page, characters in PAGES.items():
        write_spec(book, page, spec_for(book_id, page, characters))
    write_yaml(book / "layout" / "book.yaml", layout_for(PAGES))
    lock_placeholder_models(root, book)
    return root


def lock_placeholder_models(root: Path, book: Path) -> None:
    """The project's own settings and model store, with the book's pins locked (as validate
    and the pipeline require); placeholder bytes are deterministic, so any store agrees."""
    from artfarm.documents.book import Book
    from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders

    write_yaml(root / "config" / "config.yaml", {"models_dir": "models", "runtime_dir": "runtime"})
    store = ModelStore(root / "models")
    write_placeholders(Book(book), store)
    lock_book(Book(book), store)
