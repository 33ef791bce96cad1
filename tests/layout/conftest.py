"""A tiny book on disk for layout tests: small trim so real Typst runs stay fast."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image, ImageDraw

SMALL_TRIM = {"width": 2, "height": 2}  # 2.125 × 2.25 in with bleed: 638 × 675 px at 300 ppi


def art(path: Path, size: tuple[int, int], colour: tuple[int, int, int] = (200, 120, 60)) -> Path:
    """A simple picture with lines, so crops and scaling are visible when looked at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], max(8, size[0] // 12)):
        draw.line(
            [(x, 0), (size[0] - x, size[1])], fill=(250, 250, 240), width=max(2, size[0] // 200)
        )
    img.save(path)
    return path


def small_layout(pages: int = 4, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "title": "Tiny Bear",
        "author": "Test Author",
        "trim": SMALL_TRIM,
        "safe_margin": 0.2,
        "gutter": 0.1,
        "fonts": {"size": 9, "min_size": 6, "title_size": 14},
        "printer": {"min_pages": 8},
        "pages": [{"page": n, "text": f"Page {n} text."} for n in range(1, pages + 1)],
        "cover": {"art": 1, "back_text": "A small story."},
    }
    spec.update(overrides)
    return spec


@pytest.fixture
def make_book(tmp_path: Path) -> Callable[..., Path]:
    """Write books/tiny with a layout spec and print art for every page (or as told)."""

    def make(
        spec: dict[str, Any] | None = None,
        art_size: tuple[int, int] = (720, 960),
        with_art: bool = True,
    ) -> Path:
        root = tmp_path / "books" / "tiny"
        spec = spec or small_layout()
        (root / "layout").mkdir(parents=True, exist_ok=True)
        (root / "layout" / "book.yaml").write_text(
            yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
        )
        for i, page in enumerate(spec.get("pages", [])):
            folder = root / "pages" / f"{page['page']:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "renderspec.json").write_text(
                json.dumps({"scene": f"Bear on page {page['page']}"})
            )
            if with_art:
                size = art_size if not page.get("spread") else (art_size[0] * 2, art_size[1])
                art(folder / "print" / "print.png", size, (60 + 40 * i % 200, 120, 180))
        return root

    return make
