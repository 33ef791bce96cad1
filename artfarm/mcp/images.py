"""Images for a vision model: PNG, at most 1568 px on the long side.

Vision models scale larger images down anyway (and bill for the pixels first), so the server
sends at most what the model will look at. The file on disk is never changed.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from artfarm.problems import ArtfarmError

LONG_SIDE = 1568


def png_for_model(path: Path, long_side: int = LONG_SIDE) -> tuple[bytes, tuple[int, int]]:
    """The PNG bytes of `path`, downscaled so neither side exceeds `long_side`; and its size."""
    try:
        with Image.open(path) as image:
            image.load()
            picture = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except FileNotFoundError:
        raise ArtfarmError.single(
            str(path), "", "image does not exist yet", "build the stage first (tool `build`)"
        ) from None
    except (UnidentifiedImageError, OSError) as err:
        raise ArtfarmError.single(
            str(path), "", f"not a readable image ({err})", "rebuild it"
        ) from None
    if max(picture.size) > long_side:
        picture.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), picture.size


def png_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
