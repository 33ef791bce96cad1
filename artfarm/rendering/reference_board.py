"""One reference board from several sheets: side by side, same height, white gutters.

When a family takes fewer reference images than a page has, the rest share one slot as a
board. The board is a pure function of the sheets' pixels (no dates, no metadata), saved
under a name made from their bytes, so the same sheets give the same board bytes and the
request hash (which covers every uploaded byte) changes exactly when a sheet does.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from artfarm.atomic import write_bytes
from artfarm.documents.reader import load_image
from artfarm.rendering.contenthash import sha256_file, sha256_json

GUTTER = 16  # white pixels between sheets (the sketch server finds the sheets by them)
MAX_HEIGHT = 1024


def board_image(sheets: list[Image.Image]) -> Image.Image:
    """The sheets scaled to one height (the tallest, at most MAX_HEIGHT), left to right."""
    height = min(MAX_HEIGHT, max(s.height for s in sheets))
    scaled = [
        s.convert("RGB").resize(
            (max(1, round(s.width * height / s.height)), height), Image.Resampling.LANCZOS
        )
        for s in sheets
    ]
    width = sum(s.width for s in scaled) + GUTTER * (len(scaled) - 1)
    board = Image.new("RGB", (width, height), "white")
    x = 0
    for sheet in scaled:
        board.paste(sheet, (x, 0))
        x += sheet.width + GUTTER
    return board


def write_board(paths: list[Path], folder: Path, *, source: str, field: str) -> Path:
    """The board of `paths` as a PNG in `folder`, named by the sheets' bytes (kept if present)."""
    key = sha256_json([sha256_file(p) for p in paths])[:16]
    dest = folder / f"board-{key}.png"
    if dest.is_file():
        return dest
    sheets = [load_image(p, source=source, field=field) for p in paths]
    buffer = io.BytesIO()
    board_image(sheets).save(buffer, format="PNG")
    write_bytes(dest, buffer.getvalue())
    return dest
