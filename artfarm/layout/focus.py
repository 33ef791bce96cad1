"""Where a window of another shape sits on a picture: over its detail, not blindly centred.

A vignette (the title and end pages' picture) is a landscape window onto portrait page art,
so it shows well under half of the picture. Centred, it cuts the heads of characters standing
in the upper half and keeps a band of calm sky or floor. Picture-book art puts its detail
(faces, outlines, small things) on the characters and keeps the background calm, so the
window goes where the picture's edges are densest: measured on a small grey copy, so it costs
milliseconds on print-size art and does not depend on which server drew the picture.

`focus` lets a person overrule it: "top", "middle" (the centred crop) or "bottom".
"""

from __future__ import annotations

from typing import Literal

from PIL import Image, ImageFilter

Focus = Literal["auto", "top", "middle", "bottom"]
FOCUSES: tuple[str, ...] = ("auto", "top", "middle", "bottom")

SAMPLE_SIDE = 192  # the detail map's longer side, in pixels
CENTRE_MARGIN = 0.05  # the centred window stays unless another holds this much more detail


def window(img: Image.Image, new_w: int, new_h: int, focus: Focus = "auto") -> tuple[int, int]:
    """(left, top) of a new_w × new_h window inside img, placed by `focus`."""
    w, h = img.size
    slack_x, slack_y = w - new_w, h - new_h
    if slack_x <= 0 and slack_y <= 0:
        return 0, 0
    vertical = slack_y > 0  # a 'cover' crop cuts one direction only
    slack = slack_y if vertical else slack_x
    if focus == "auto":
        fraction = _densest(img, new_w / w if not vertical else new_h / h, vertical)
    else:
        fraction = {"top": 0.0, "middle": 0.5, "bottom": 1.0}[focus]
    offset = round(slack * fraction)
    return (0, offset) if vertical else (offset, 0)


def _densest(img: Image.Image, share: float, vertical: bool) -> float:
    """Where (0 = start, 1 = end of the slack) the window of `share` holds the most edges."""
    profile = _edge_profile(img, vertical)
    length = len(profile)
    span = max(1, min(length, round(share * length)))
    positions = length - span
    if positions <= 0:
        return 0.5
    sums = [sum(profile[:span])]
    for start in range(1, positions + 1):
        sums.append(sums[-1] - profile[start - 1] + profile[start + span - 1])
    centre = positions // 2
    best = max(range(len(sums)), key=lambda i: (sums[i], -abs(i - centre)))
    if sums[best] <= sums[centre] * (1 + CENTRE_MARGIN):
        return 0.5
    return best / positions


def _edge_profile(img: Image.Image, vertical: bool) -> list[float]:
    """Mean edge strength of each row (vertical) or column of a small grey copy."""
    grey = img.convert("L")
    grey.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BOX)
    edges = grey.filter(ImageFilter.FIND_EDGES)
    w, h = edges.size
    edges = edges.crop((1, 1, w - 1, h - 1))  # the filter's own frame is not detail
    w, h = edges.size
    line = edges.resize((1, h) if vertical else (w, 1), Image.Resampling.BOX)
    return [float(v) for v in line.tobytes()]  # one byte a pixel: mode L
