"""Images for a vision model: PNG, at most 1568 px on the long side.

Vision models scale larger images down anyway (and bill for the pixels first), so the server
sends at most what the model will look at. Images are read through the guarded reader
(inside the book, a regular file, a bounded size); the file on disk is never changed.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from artfarm.documents.reader import load_image
from artfarm.problems import ArtfarmError

LONG_SIDE = 1568


def png_for_model(
    path: Path, root: Path, long_side: int = LONG_SIDE
) -> tuple[bytes, tuple[int, int]]:
    """The PNG bytes of `path` (read through the guarded reader, inside `root`), downscaled so
    neither side exceeds `long_side`; and the size sent."""
    if not path.is_file():
        raise ArtfarmError.single(
            str(path), "", "image does not exist yet", "build the stage first (tool `build`)"
        )
    with load_image(path, root=root) as image:
        picture = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if max(picture.size) > long_side:
        picture.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), picture.size


def png_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
