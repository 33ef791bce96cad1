"""Storyboard sketches with Pillow: sky and ground by time of day, weather marks, one figure
per character (its colour derived from its name, the same on every page) placed and posed by
the seed, clear of the side the prompt keeps open for text.

No text is drawn into the art, at any stage: art goes to print, and the notes say no text in
the art. Candidate ids, the scene line and the characters' names are on the contact sheets.
Everything is derived from (scene, seed, size), so the same inputs give the same pixels; all
sizes are relative to the image, so a 64 px test tile and a 3072×4096 print both work.
"""

from __future__ import annotations

import hashlib
import math
import random

from PIL import Image, ImageDraw

from artfarm.sketch.scene import Scene

# sky top, sky bottom, ground, sun/moon colour, sun height (0 horizon .. 1 top), is night
PALETTES: dict[str, tuple[tuple[int, int, int], ...] | tuple] = {
    "dawn": ((70, 80, 140), (250, 180, 160), (90, 110, 80), (255, 200, 170), 0.1, False),
    "sunrise": ((90, 120, 190), (255, 190, 120), (100, 130, 80), (255, 210, 120), 0.15, False),
    "morning": ((120, 180, 240), (210, 235, 250), (110, 170, 90), (255, 245, 200), 0.5, False),
    "noon": ((60, 140, 235), (170, 215, 250), (100, 175, 80), (255, 255, 220), 0.9, False),
    "afternoon": ((90, 160, 230), (200, 225, 245), (115, 165, 85), (255, 240, 190), 0.65, False),
    "golden hour": ((230, 170, 90), (255, 215, 140), (150, 140, 70), (255, 200, 90), 0.25, False),
    "sunset": ((120, 70, 140), (250, 130, 80), (110, 90, 70), (255, 120, 60), 0.08, False),
    "dusk": ((50, 50, 110), (170, 110, 150), (60, 70, 70), (240, 200, 200), 0.05, False),
    "evening": ((40, 50, 100), (120, 110, 160), (55, 70, 65), (230, 230, 210), 0.6, True),
    "night": ((10, 15, 45), (35, 45, 90), (30, 40, 45), (235, 235, 210), 0.75, True),
    "midnight": ((3, 5, 25), (20, 25, 60), (20, 25, 30), (220, 220, 200), 0.85, True),
}
Box = tuple[int, int, int, int]
FIGURE_HEIGHT = {"extreme wide": 0.14, "wide": 0.26, "medium": 0.46, "close-up": 0.8}
# Share of the picture kept free of figures on the side a prompt keeps calm for text.
CALM_BAND = {"top": 0.36, "bottom": 0.34, "left": 0.46, "right": 0.46}


def item_rng(*parts: object) -> random.Random:
    """A deterministic RNG from any parts (seed, batch index, prompt...)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    """A vertical gradient, built on a 1-px column and stretched (fast at any size)."""
    w, h = size
    column = Image.new("RGB", (1, 256))
    column.putdata(
        [
            tuple(round(t + (b - t) * i / 255) for t, b in zip(top, bottom, strict=True))
            for i in range(256)
        ]
    )
    return column.resize((w, h), Image.Resampling.BILINEAR)


Colour = tuple[int, int, int]


def draw_scene(
    scene: Scene,
    seed: int,
    width: int,
    height: int,
    colours: list[Colour] | None = None,
    ground: Colour | None = None,
) -> Image.Image:
    """The storyboard sketch of one candidate (one batch item: pass a per-item seed).

    `colours[i]` paints the i-th character (its sheet's dominant colour, when the graph gave
    the sampler reference images); a character without one gets its name's colour. `ground`
    (a style reference's dominant colour, through Redux) replaces the time of day's ground."""
    return _staged(scene, seed, width, height, colours or [], ground)[0]


def figure_boxes(scene: Scene, seed: int, width: int, height: int) -> list[Box]:
    """Where `draw_scene` draws each character: (left, top, right, bottom) pixels as Pillow
    crops them (right and bottom exclusive), in the order of the scene's characters.

    The same drawing, so the boxes are exact (colours change no position); the layout's tests
    use them to check that no story text sits over a character (refine and upscale keep the
    figures where they are).
    """
    return _staged(scene, seed, width, height, [], None)[1]


def _staged(
    scene: Scene,
    seed: int,
    width: int,
    height: int,
    colours: list[Colour],
    ground: Colour | None,
) -> tuple[Image.Image, list[Box]]:
    rng = item_rng("scene", seed, scene.caption)
    top, bottom, lawn, sun, sun_h, night = PALETTES.get(scene.time_of_day, PALETTES["afternoon"])
    ground = ground or lawn
    horizon = int(height * rng.uniform(0.55, 0.7))
    img = gradient((width, horizon), top, bottom)
    canvas = Image.new("RGB", (width, height), ground)
    canvas.paste(img, (0, 0))
    draw = ImageDraw.Draw(canvas)
    unit = min(width, height)
    _sky(draw, rng, width, horizon, unit, sun, sun_h, night)
    _ground(draw, rng, width, height, horizon, ground)
    _weather(draw, rng, scene.weather, width, height, unit)
    boxes = _figures(draw, rng, scene, width, height, horizon, unit, colours)
    return canvas, boxes


def _sky(draw, rng, width, horizon, unit, sun, sun_h, night) -> None:
    r = unit * 0.06
    cx = width * rng.uniform(0.15, 0.85)
    cy = horizon - (horizon - r) * sun_h
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=sun)
    if night:
        for _ in range(24):
            x, y = rng.uniform(0, width), rng.uniform(0, horizon * 0.8)
            s = max(1, unit // 200)
            draw.rectangle((x, y, x + s, y + s), fill=(240, 240, 220))
    else:
        for _ in range(rng.randint(1, 3)):
            x, y = rng.uniform(0, width), rng.uniform(horizon * 0.1, horizon * 0.5)
            w, h = unit * rng.uniform(0.12, 0.25), unit * rng.uniform(0.04, 0.07)
            draw.ellipse((x - w, y - h, x + w, y + h), fill=(250, 250, 252))


def _ground(draw, rng, width, height, horizon, ground) -> None:
    darker = tuple(max(0, c - 25) for c in ground)
    points = [(0, horizon)]
    steps = 8
    for i in range(steps + 1):
        points.append((width * i / steps, horizon - height * 0.05 * rng.random()))
    points += [(width, height), (0, height)]
    draw.polygon(points, fill=darker)
    draw.rectangle((0, horizon + height * 0.04, width, height), fill=ground)


def _weather(draw, rng, weather, width, height, unit) -> None:
    if weather == "rain":
        length, line = unit * 0.05, max(1, unit // 300)
        for _ in range(80):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            draw.line((x, y, x - length * 0.3, y + length), fill=(170, 190, 230), width=line)
    elif weather == "snow":
        for _ in range(90):
            x, y, r = rng.uniform(0, width), rng.uniform(0, height), max(1, unit * 0.006)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255))
    elif weather == "fog":
        for i in range(4):
            y = height * (0.35 + 0.12 * i)
            draw.rectangle((0, y, width, y + height * 0.03), fill=(205, 210, 215))


def _figures(draw, rng, scene, width, height, horizon, unit, colours) -> list[Box]:
    names = scene.characters or ()
    boxes: list[Box] = []
    fig_h = height * FIGURE_HEIGHT.get(scene.shot, 0.46)
    n = max(1, len(names))
    x0, y0, x1, y1 = open_area(scene.calm, width, height)
    for i, name in enumerate(names):
        place = min(1.0, max(0.0, (i + 0.5) / n + rng.uniform(-0.3, 0.3) / n))
        base = min(height * 0.97, horizon + (height - horizon) * rng.uniform(0.3, 0.8))
        if scene.calm is None:
            cx, size = width * min(0.92, max(0.08, place)), fig_h
        else:  # smaller if need be, and standing clear of the calm band
            base = min(base, y1 - height * 0.02)  # feet and their stroke above it
            size = min(fig_h, (base - y0) * 0.92, (x1 - x0) / n / 0.75)
            half = 0.34 * size + 1
            cx = x0 + half + (x1 - x0 - 2 * half) * place
        paint = item_rng("colour", name)
        colour = tuple(paint.randint(40, 220) for _ in range(3))
        if i < len(colours):
            colour = colours[i]
        boxes.append(_figure(draw, rng, cx, base, size, colour, unit))
    return boxes


def open_area(calm: str | None, width: int, height: int) -> tuple[float, float, float, float]:
    """Where figures may stand (left, top, right, bottom): the picture without the band the
    prompt keeps calm for text, as a model asked for "quiet open area at the top" would."""
    band = CALM_BAND.get(calm or "", 0.0)
    x0, y0, x1, y1 = 0.0, 0.0, float(width), float(height)
    if calm == "top":
        y0 = height * band
    elif calm == "bottom":
        y1 = height * (1 - band)
    elif calm == "left":
        x0 = width * band
    elif calm == "right":
        x1 = width * (1 - band)
    return x0, y0, x1, y1


def _figure(draw, rng, cx, base, fig_h, colour, unit) -> Box:
    """Draw one stick figure standing on `base`; its bounding box, outlines included."""
    line = max(1, int(fig_h / 18))
    head = fig_h * 0.13
    neck = base - fig_h + 2 * head
    hip = base - fig_h * 0.42
    draw.ellipse((cx - head, neck - 2 * head, cx + head, neck), fill=colour, outline=(20, 20, 20))
    draw.line((cx, neck, cx, hip), fill=colour, width=line * 2)
    xs, ys = [cx - head, cx + head], [neck - 2 * head, base]
    for side in (-1, 1):
        arm = math.radians(rng.uniform(-60, 80))
        length = fig_h * 0.3
        shoulder = neck + fig_h * 0.05
        ax = cx + side * length * math.cos(arm)
        ay = shoulder + length * math.sin(arm)
        draw.line((cx, shoulder, ax, ay), fill=colour, width=line)
        leg = math.radians(rng.uniform(60, 110))
        lx = cx + side * fig_h * 0.42 * math.cos(leg)
        draw.line((cx, hip, lx, base), fill=colour, width=line)
        xs += [ax, lx]
        ys += [ay]
    pad = line / 2 + 1  # half the stroke width, and one pixel of anti-aliasing
    return (
        math.floor(min(xs) - pad),
        math.floor(min(ys) - pad),
        math.ceil(max(xs) + pad),
        math.ceil(max(ys) + pad),
    )


def draw_fix(img: Image.Image, scene: Scene, seed: int, box: tuple[int, int, int, int]) -> None:
    """An inpaint redraw inside `box` (in place): the prompt's figures, or a patch of colour."""
    rng = item_rng("fix", seed, scene.caption)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = box
    bw, bh = right - left, bottom - top
    unit = min(img.size)
    if scene.characters:
        n = len(scene.characters)
        base = bottom - bh * 0.15
        for i, name in enumerate(scene.characters):
            cx = left + bw * (i + 0.5) / n
            paint = item_rng("colour", name)
            colour = tuple(paint.randint(40, 220) for _ in range(3))
            _figure(draw, rng, cx, base, bh * 0.7, colour, unit)
    else:  # no figure named: a soft patch in a colour of the prompt (never its words)
        paint = item_rng("patch", scene.caption)
        colour = tuple(paint.randint(60, 230) for _ in range(3))
        draw.ellipse(
            (left + bw * 0.1, top + bh * 0.1, right - bw * 0.1, bottom - bh * 0.1), fill=colour
        )


# ------------------------------------------------------------------ reference sheets

SHEET_HEIGHT = 64  # sheets are read at this height: colours, not detail


def reference_colours(images: list[Image.Image], count: int) -> list[Colour]:
    """The dominant colour of each sheet found in `images`, left to right, at most `count`.

    A reference image may hold several sheets (a board, or images stitched by the graph):
    sheets are the runs of columns that differ from the image's background (its corner
    colour), so a board of bear | fox gives the bear's colour, then the fox's.
    """
    found: list[Colour] = []
    for image in images:
        if len(found) >= count:
            break
        small = image.convert("RGB")
        width = max(1, round(small.width * SHEET_HEIGHT / max(1, small.height)))
        small = small.resize((width, SHEET_HEIGHT), Image.Resampling.NEAREST)
        found.extend(_sheet_colours(small))
    return found[:count]


def _near(a: Colour, b: Colour) -> bool:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) <= 60


def _sheet_colours(image: Image.Image) -> list[Colour]:
    background = image.getpixel((0, 0))
    pixels = image.load()
    columns = [
        [pixels[x, y] for y in range(image.height) if not _near(pixels[x, y], background)]
        for x in range(image.width)
    ]
    runs: list[list[Colour]] = []
    current: list[Colour] = []
    for column in [*columns, []]:
        if column:
            current.extend(column)
        elif current:
            runs.append(current)
            current = []
    if not runs:
        return [background]
    return [_dominant(run) for run in runs]


def _dominant(pixels: list[Colour]) -> Colour:
    """The mean of the most common colour bucket (32 levels a channel): robust to outlines."""
    buckets: dict[Colour, list[Colour]] = {}
    for p in pixels:
        buckets.setdefault((p[0] // 32, p[1] // 32, p[2] // 32), []).append(p)
    top = max(buckets.values(), key=len)
    return tuple(round(sum(c[i] for c in top) / len(top)) for i in range(3))  # type: ignore[return-value]
