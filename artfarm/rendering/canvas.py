"""The pixel size of a page's art, from the shape of its place in the layout.

Art is generated at the aspect of the box it fills on the printed page (trim + bleed, see
`layout.geometry.Geometry.art_box`), so the layout crops nothing: a square trim gets square
art, a spread one landscape canvas across both pages. The pixel budget stays the book's
(`book_config.yaml sizes`: draft_width × draft_height pixels per page, resp. final), times
the number of pages the art covers. A page without a layout entry (or a book without
layout/book.yaml) keeps the aspect of `sizes` itself, and `Canvas.source` says so.

Draft and refine take their sizes from here; inpaint and upscale follow their input image.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from artfarm.documents.book import Book
from artfarm.layout.geometry import Geometry
from artfarm.layout.spec import LayoutSpec, load_layout_spec

THUMB_AREA_FRACTION = 1 / 9  # a storyboard thumbnail: a third of the draft on each side
THUMB_MIN_SIDE = 64


@dataclass(frozen=True)
class Canvas:
    aspect: float  # width / height of the art's place in the layout
    pages: int  # 1, or 2 for a spread
    draft: tuple[int, int]  # (w, h) pixels, multiples of 8
    final: tuple[int, int]  # refine output size
    thumb: tuple[int, int]  # storyboard thumbnail size (small, cheap)
    source: str  # e.g. "layout/book.yaml pages[3]" or "book_config.yaml sizes"


def page_canvas(book: Book, page: int) -> Canvas:
    """The canvas of `page`: its layout box's aspect, the book's pixel budget per page."""
    sizes = book.config.sizes
    aspect, pages, source = _layout_shape(book, page)
    if aspect is None:
        aspect = sizes.draft_width / sizes.draft_height
    draft = fit(sizes.draft_width * sizes.draft_height * pages, aspect)
    final = fit(sizes.final_width * sizes.final_height * pages, aspect)
    return Canvas(aspect, pages, draft, final, thumb_size(draft, aspect), source)


def fit(area: float, aspect: float) -> tuple[int, int]:
    """About `area` pixels at width/height `aspect`, each side a multiple of 8."""
    width = _multiple_of_8(math.sqrt(area * aspect))
    return width, _multiple_of_8(width / aspect)


def thumb_size(draft: tuple[int, int], aspect: float) -> tuple[int, int]:
    """About a ninth of the draft's area, never below THUMB_MIN_SIDE on its short side."""
    area = draft[0] * draft[1] * THUMB_AREA_FRACTION
    short = min(math.sqrt(area * aspect), math.sqrt(area / aspect))
    if short < THUMB_MIN_SIDE:
        area *= (THUMB_MIN_SIDE / short) ** 2
    width, height = fit(area, aspect)
    return max(width, THUMB_MIN_SIDE), max(height, THUMB_MIN_SIDE)


def _layout_shape(book: Book, page: int) -> tuple[float | None, int, str]:
    """(aspect, pages, source) from layout/book.yaml; no aspect when the page has no entry."""
    path = book.layout_path
    fallback = (None, 1, f"{book.config_path.name} sizes")
    if not path.is_file():
        return fallback
    spec = _load_layout(path, *_stat_key(path))
    index = next((i for i, p in enumerate(spec.pages) if p.page == page), None)
    if index is None:
        return fallback
    spread = spec.pages[index].spread
    box = Geometry.of(spec).art_box(recto=True, spread=spread)
    return box.w / box.h, 2 if spread else 1, f"layout/book.yaml pages[{index}]"


def _stat_key(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


@lru_cache(maxsize=32)
def _load_layout(path: Path, *_stat: int) -> LayoutSpec:
    """The layout, read once per file version (Snakemake asks for every page's canvas)."""
    return load_layout_spec(path)


def _multiple_of_8(value: float) -> int:
    return max(8, round(value / 8) * 8)
