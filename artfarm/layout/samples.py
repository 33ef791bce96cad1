"""Small grey copies of the page art (what text placement measures), kept beside each JPEG.

Decoding a print JPEG is the slow part of choosing text placements: even at 1/8 scale the
decoder reads every byte, ~0.3 s for a noisy 3072×4096 page, 9 s for 32 pages on every
layout run. The sample is made once, when the art step writes the JPEG (that job decodes
anyway), and stored as `<folder>/.samples/NNNN.png` with the JPEG's size and mtime; a sample
whose JPEG changed is made again. The cached sample is the same image `grey_sample` computes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from PIL import Image, PngImagePlugin

from artfarm.atomic import atomic_path

SAMPLE_PX = 256  # long side of the grey copy the busyness is measured on
_KEY = "artfarm-sample-of"
_VERSION = 1


def sample_path(jpeg: Path) -> Path:
    return jpeg.parent / ".samples" / f"{jpeg.stem}.png"


def grey_sample(path: Path) -> Image.Image:
    """A small grey copy of the art: busyness is about shapes a reader sees, not pixels."""
    key = _key(path)
    cached = _read(sample_path(path), key)
    if cached is not None:
        return cached
    sample = decode_sample(path)
    _write(sample, sample_path(path), key)
    return sample


def decode_sample(path: Path) -> Image.Image:
    with Image.open(path) as img:
        img.draft("L", (SAMPLE_PX, SAMPLE_PX))
        grey = img.convert("L")
    grey.thumbnail((SAMPLE_PX, SAMPLE_PX), Image.Resampling.BOX)
    return grey


def remove_sample(jpeg: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(sample_path(jpeg))


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{_VERSION} {stat.st_size} {stat.st_mtime_ns}"


def _read(path: Path, key: str) -> Image.Image | None:
    try:
        with Image.open(path) as img:
            if img.info.get(_KEY) != key or img.mode != "L":
                return None
            img.load()
            return img.copy()
    except (OSError, ValueError):
        return None


def _write(sample: Image.Image, path: Path, key: str) -> None:
    """Best effort: a read-only folder only costs the decode again next time."""
    info = PngImagePlugin.PngInfo()
    info.add_text(_KEY, key)
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        with atomic_path(path) as tmp:
            sample.save(tmp, "PNG", pnginfo=info)
