"""Draw the sample book's reference images procedurally (deterministic, Pillow only).

    python scripts/make_sample_refs.py [books/gingerbear_01]

Writes, inside the book folder:
    bible/character_refs/bear_sheet_A.png   Bear: front, side, three expressions
    bible/style_refs/style_01..02.png       watercolour vignettes (meadow, night hill)
    bible/palettes/gingerbear_palette.png   the book's named colours

These are stand-ins until real sheets are painted: simple shapes, soft washes, ink outlines.
Gingerbread Boy's sheet is rendered by the pipeline (Phase 0); `gb_sheet()` still draws a
hand-made one: save it and list it in the bible's `sheets:` to use it instead. Likewise the
sunset creek golden image is rendered (`style_refs:`); `style_sunset_creek()` still draws a
hand-made one: save it and name it as the golden image's `image:` to use it instead.
Same Pillow version → same bytes: every random choice comes from a fixed seed.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

W, H = 512, 384
RGB = tuple[int, int, int]
CLEAR = (0, 0, 0, 0)

PAPER: RGB = (244, 233, 216)
INK: RGB = (74, 48, 32)
BEAR_BROWN: RGB = (150, 96, 58)
BEAR_CREAM: RGB = (236, 208, 160)
SCARF: RGB = (226, 178, 62)
SATCHEL: RGB = (96, 140, 72)
COOKIE: RGB = (200, 128, 62)
ICING: RGB = (252, 250, 244)
GUMDROP: RGB = (214, 48, 48)
BOW_BLUE: RGB = (92, 150, 206)
MOSS: RGB = (106, 153, 78)
PINE: RGB = (56, 102, 65)
SKY: RGB = (142, 202, 230)
SUN: RGB = (246, 196, 92)
SUNSET: RGB = (236, 132, 84)
DUSK: RGB = (150, 110, 170)
NIGHT: RGB = (40, 52, 96)
CREEK: RGB = (96, 160, 196)
STONE: RGB = (150, 146, 140)

PALETTE: list[tuple[str, RGB]] = [
    ("bear brown", BEAR_BROWN),
    ("muzzle cream", BEAR_CREAM),
    ("scarf mustard", SCARF),
    ("cookie gold", COOKIE),
    ("icing white", ICING),
    ("gumdrop red", GUMDROP),
    ("bow blue", BOW_BLUE),
    ("moss green", MOSS),
    ("pine green", PINE),
    ("sky blue", SKY),
    ("sunset orange", SUNSET),
    ("dusk purple", DUSK),
    ("night blue", NIGHT),
    ("ink brown", INK),
]


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def soft_noise(rng: random.Random, size: tuple[int, int], cells: tuple[int, int]) -> Image.Image:
    """Low-frequency blotches (L mode): a small random grid scaled up smoothly."""
    small = Image.new("L", cells)
    small.putdata([rng.randrange(150, 256) for _ in range(cells[0] * cells[1])])
    return small.resize(size, Image.Resampling.BICUBIC)


class Painting:
    """Two layers over warm paper: soft washes (blurred, blotchy) and crisp ink lines."""

    def __init__(self, seed: int, background: RGB = PAPER) -> None:
        self.rng = random.Random(seed)
        self.paper = Image.new("RGB", (W, H), background)
        self.paint = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        self.ink = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        self.p = ImageDraw.Draw(self.paint)
        self.i = ImageDraw.Draw(self.ink)

    def ellipse(self, box: tuple[float, float, float, float], fill: RGB, line: int = 2) -> None:
        """Each shape covers the ink of the shapes drawn before it, like paper cut-outs."""
        self.p.ellipse(box, fill=(*fill, 235))
        self.i.ellipse(box, fill=CLEAR, outline=(*INK, 255) if line else None, width=line)

    def polygon(self, points: list[tuple[float, float]], fill: RGB, line: int = 2) -> None:
        self.p.polygon(points, fill=(*fill, 235))
        self.i.polygon(points, fill=CLEAR)
        if line:
            self.i.line([*points, points[0]], fill=(*INK, 255), width=line, joint="curve")

    def rect(self, box: tuple[float, float, float, float], fill: RGB, radius: int = 6) -> None:
        self.p.rounded_rectangle(box, radius=radius, fill=(*fill, 235))
        self.i.rounded_rectangle(box, radius=radius, fill=CLEAR, outline=(*INK, 255), width=2)

    def wash(self, points: list[tuple[float, float]], fill: RGB, alpha: int = 200) -> None:
        """A background wash without an outline."""
        self.p.polygon(points, fill=(*fill, alpha))

    def text(self, xy: tuple[float, float], words: str, size: int = 14, anchor: str = "mm") -> None:
        self.i.text(xy, words, fill=(*INK, 255), font=font(size), anchor=anchor)

    def finish(self) -> Image.Image:
        blotch = soft_noise(self.rng, (W, H), (24, 18))
        paint = self.paint.filter(ImageFilter.GaussianBlur(1.4))
        paint.putalpha(ImageChops.multiply(paint.getchannel("A"), blotch))
        out = self.paper.convert("RGBA")
        grain = soft_noise(self.rng, (W, H), (64, 48)).point(lambda v: 255 - (255 - v) // 8)
        out = Image.composite(out, Image.new("RGBA", (W, H), (*INK, 255)), grain)
        out.alpha_composite(paint)
        out.alpha_composite(self.ink)
        return out.convert("RGB")


# --- Bear ---------------------------------------------------------------------------------


def bear_head(pt: Painting, cx: float, cy: float, s: float, mood: str) -> None:
    r = 30 * s
    for dx in (-0.8, 0.8):
        pt.ellipse(
            (cx + dx * r - 10 * s, cy - r - 6 * s, cx + dx * r + 10 * s, cy - r + 14 * s),
            BEAR_BROWN,
        )
    pt.ellipse((cx - r, cy - r, cx + r, cy + r), BEAR_BROWN)
    pt.ellipse((cx - 14 * s, cy + 2 * s, cx + 14 * s, cy + 22 * s), BEAR_CREAM)
    pt.ellipse((cx - 5 * s, cy + 4 * s, cx + 5 * s, cy + 10 * s), INK, line=0)
    eye_y = cy - 6 * s
    for dx in (-11 * s, 11 * s):
        if mood == "sleepy":
            pt.i.arc(
                (cx + dx - 5 * s, eye_y - 3 * s, cx + dx + 5 * s, eye_y + 5 * s),
                20,
                160,
                fill=(*INK, 255),
                width=2,
            )
        elif mood == "focused":
            pt.i.line(
                (cx + dx - 5 * s, eye_y - 5 * s, cx + dx + 5 * s, eye_y - 3 * s),
                fill=(*INK, 255),
                width=2,
            )
            pt.i.ellipse(
                (cx + dx - 3 * s, eye_y - 2 * s, cx + dx + 3 * s, eye_y + 3 * s), fill=(*INK, 255)
            )
        else:
            pt.i.ellipse(
                (cx + dx - 3 * s, eye_y - 3 * s, cx + dx + 3 * s, eye_y + 3 * s), fill=(*INK, 255)
            )
    mouth = (cx - 7 * s, cy + 8 * s, cx + 7 * s, cy + 18 * s)
    if mood == "focused":
        pt.i.line((cx - 5 * s, cy + 16 * s, cx + 5 * s, cy + 16 * s), fill=(*INK, 255), width=2)
    else:
        pt.i.arc(mouth, 20, 160, fill=(*INK, 255), width=2)


def bear_front(pt: Painting, cx: float, base: float, s: float) -> None:
    top = base - 200 * s
    for dx in (-26, 26):  # legs
        pt.ellipse((cx + (dx - 18) * s, base - 46 * s, cx + (dx + 18) * s, base), BEAR_BROWN)
    pt.ellipse((cx - 56 * s, top + 62 * s, cx + 56 * s, base - 20 * s), BEAR_BROWN)
    pt.ellipse((cx - 32 * s, top + 96 * s, cx + 32 * s, base - 36 * s), BEAR_CREAM)
    for dx in (-1, 1):  # arms
        pt.ellipse(
            (cx + dx * 62 * s - 16 * s, top + 78 * s, cx + dx * 62 * s + 16 * s, top + 150 * s),
            BEAR_BROWN,
        )
    bear_head(pt, cx, top + 38 * s, 1.25 * s, "happy")
    pt.rect((cx - 40 * s, top + 66 * s, cx + 40 * s, top + 82 * s), SCARF)  # scarf
    pt.polygon(
        [
            (cx + 16 * s, top + 78 * s),
            (cx + 34 * s, top + 78 * s),
            (cx + 30 * s, top + 124 * s),
            (cx + 14 * s, top + 120 * s),
        ],
        SCARF,
    )


def bear_side(pt: Painting, cx: float, base: float, s: float) -> None:
    top = base - 200 * s
    pt.ellipse((cx - 30 * s, base - 46 * s, cx + 6 * s, base), BEAR_BROWN)
    pt.ellipse((cx - 50 * s, top + 62 * s, cx + 50 * s, base - 20 * s), BEAR_BROWN)
    pt.ellipse((cx + 10 * s, top + 100 * s, cx + 46 * s, base - 40 * s), BEAR_CREAM)
    pt.ellipse((cx - 4 * s, top + 80 * s, cx + 26 * s, top + 150 * s), BEAR_BROWN)
    hx, hy, r = cx + 6 * s, top + 38 * s, 36 * s
    pt.ellipse((hx - 22 * s, hy - r - 6 * s, hx - 2 * s, hy - r + 16 * s), BEAR_BROWN)
    pt.ellipse((hx - r, hy - r, hx + r, hy + r), BEAR_BROWN)
    pt.ellipse((hx + 18 * s, hy + 2 * s, hx + 52 * s, hy + 26 * s), BEAR_CREAM)
    pt.ellipse((hx + 44 * s, hy + 4 * s, hx + 54 * s, hy + 12 * s), INK, line=0)
    pt.i.ellipse((hx + 10 * s, hy - 10 * s, hx + 16 * s, hy - 4 * s), fill=(*INK, 255))
    pt.i.arc(
        (hx + 26 * s, hy + 10 * s, hx + 44 * s, hy + 22 * s), 20, 140, fill=(*INK, 255), width=2
    )
    pt.rect((cx - 38 * s, top + 66 * s, cx + 38 * s, top + 82 * s), SCARF)
    pt.polygon(
        [
            (cx - 36 * s, top + 70 * s),
            (cx - 70 * s, top + 92 * s),
            (cx - 62 * s, top + 104 * s),
            (cx - 30 * s, top + 80 * s),
        ],
        SCARF,
    )


# --- Gingerbread Boy ----------------------------------------------------------------------


def cookie_outline(cx: float, top: float, s: float) -> list[tuple[float, float]]:
    """A gingerbread-man silhouette as one polygon (head, arms out, two legs)."""
    pts = [
        (0, 0),
        (18, 4),
        (26, 20),
        (20, 36),
        (52, 42),
        (58, 56),
        (48, 66),
        (26, 66),
        (30, 100),
        (40, 128),
        (30, 138),
        (14, 134),
        (0, 108),
    ]
    right = [(cx + x * s, top + y * s) for x, y in pts]
    left = [(cx - x * s, top + y * s) for x, y in reversed(pts[1:-1])]
    return [*right, (cx, top + 108 * s), *left]


def gb_face(pt: Painting, cx: float, cy: float, s: float, mood: str) -> None:
    for dx in (-8 * s, 8 * s):
        if mood == "sleepy":
            pt.i.arc(
                (cx + dx - 4 * s, cy - 3 * s, cx + dx + 4 * s, cy + 4 * s),
                20,
                160,
                fill=(*INK, 255),
                width=2,
            )
        else:
            rr = 4 * s if mood == "surprised" else 3 * s
            pt.i.ellipse((cx + dx - rr, cy - rr, cx + dx + rr, cy + rr), fill=(60, 30, 24, 255))
    if mood == "surprised":
        pt.i.ellipse(
            (cx - 4 * s, cy + 7 * s, cx + 4 * s, cy + 15 * s), outline=(*ICING, 255), width=2
        )
    else:
        pt.i.arc(
            (cx - 9 * s, cy + 2 * s, cx + 9 * s, cy + 14 * s), 20, 160, fill=(*ICING, 255), width=3
        )
    for dx in (-14 * s, 14 * s):  # rosy cheeks
        pt.p.ellipse(
            (cx + dx - 4 * s, cy + 4 * s, cx + dx + 4 * s, cy + 10 * s), fill=(*SUNSET, 200)
        )


def gb_front(pt: Painting, cx: float, base: float, s: float) -> None:
    top = base - 138 * s
    pt.polygon(cookie_outline(cx, top, s), COOKIE)
    pt.ellipse((cx - 26 * s, top, cx + 26 * s, top + 44 * s), COOKIE, line=0)
    pt.i.arc((cx - 26 * s, top, cx + 26 * s, top + 44 * s), 150, 30, fill=(*INK, 255), width=2)
    gb_face(pt, cx, top + 20 * s, s, "happy")
    for dx in (-1, 1):  # icing squiggles at wrists and ankles
        pt.i.line(
            [
                (cx + dx * 44 * s, top + 44 * s),
                (cx + dx * 48 * s, top + 52 * s),
                (cx + dx * 44 * s, top + 60 * s),
            ],
            fill=(*ICING, 255),
            width=3,
        )
        pt.i.line(
            [
                (cx + dx * 22 * s, top + 122 * s),
                (cx + dx * 30 * s, top + 126 * s),
                (cx + dx * 38 * s, top + 122 * s),
            ],
            fill=(*ICING, 255),
            width=3,
        )
    pt.polygon(
        [(cx, top + 48 * s), (cx - 12 * s, top + 42 * s), (cx - 12 * s, top + 54 * s)], BOW_BLUE
    )
    pt.polygon(
        [(cx, top + 48 * s), (cx + 12 * s, top + 42 * s), (cx + 12 * s, top + 54 * s)], BOW_BLUE
    )
    for i in range(3):
        y = top + (62 + i * 14) * s
        pt.ellipse((cx - 5 * s, y - 5 * s, cx + 5 * s, y + 5 * s), GUMDROP)


def gb_side(pt: Painting, cx: float, base: float, s: float) -> None:
    """Side on, a cookie is a thin slab: the sheet shows how flat he is."""
    top = base - 138 * s
    pt.rect((cx - 5 * s, top + 2 * s, cx + 5 * s, top + 42 * s), COOKIE, radius=4)
    pt.rect((cx - 6 * s, top + 42 * s, cx + 6 * s, top + 108 * s), COOKIE, radius=4)
    pt.rect((cx - 5 * s, top + 104 * s, cx + 5 * s, top + 136 * s), COOKIE, radius=4)
    pt.rect((cx - 4 * s, top + 46 * s, cx + 26 * s, top + 58 * s), COOKIE, radius=4)
    pt.ellipse((cx + 4 * s, top + 60 * s, cx + 11 * s, top + 68 * s), GUMDROP)
    pt.ellipse((cx + 4 * s, top + 74 * s, cx + 11 * s, top + 82 * s), GUMDROP)
    pt.polygon(
        [(cx + 6 * s, top + 48 * s), (cx + 16 * s, top + 42 * s), (cx + 16 * s, top + 54 * s)],
        BOW_BLUE,
    )


# --- Sheets -------------------------------------------------------------------------------


def sheet(
    seed: int,
    title: str,
    front: Callable[[Painting, float, float, float], None],
    side: Callable[[Painting, float, float, float], None],
    head: Callable[[Painting, float, float, float, str], None],
    moods: list[str],
    note: str,
) -> Image.Image:
    pt = Painting(seed)
    pt.text((W / 2, 20), title, size=18)
    pt.i.line((24, 300, 360, 300), fill=(*INK, 120), width=1)
    front(pt, 100, 298, 1.0)
    side(pt, 260, 298, 1.0)
    pt.text((100, 318), "front")
    pt.text((260, 318), "side")
    for k, mood in enumerate(moods):
        cy = 80 + k * 96
        head(pt, 440, cy, 0.9, mood)
        pt.text((440, cy + 42), mood, size=12)
    pt.i.line((380, 44, 380, 360), fill=(*INK, 90), width=1)
    pt.text((24, 352), note, size=12, anchor="lm")
    return pt.finish()


def bear_sheet() -> Image.Image:
    def with_height_guide(pt: Painting, cx: float, base: float, s: float) -> None:
        bear_front(pt, cx, base, s)
        guide = base - 70 * s  # Gingerbread Boy is about a third of Bear's height
        for x in range(20, 186, 8):
            pt.i.line((x, guide, x + 4, guide), fill=(*BOW_BLUE, 255), width=2)

    return sheet(
        11,
        "Bear  -  sheet A",
        with_height_guide,
        bear_side,
        bear_head,
        ["happy", "focused", "sleepy"],
        "mustard scarf always on; blue dashes = Gingerbread Boy's height",
    )


def gb_head(pt: Painting, cx: float, cy: float, s: float, mood: str) -> None:
    r = 30 * s
    pt.ellipse((cx - r, cy - r, cx + r, cy + r), COOKIE)
    gb_face(pt, cx, cy - 4 * s, 1.3 * s, mood)


def gb_sheet() -> Image.Image:
    def front(pt: Painting, cx: float, base: float, s: float) -> None:
        gb_front(pt, cx, base, 1.45 * s)

    def side(pt: Painting, cx: float, base: float, s: float) -> None:
        gb_side(pt, cx, base, 1.45 * s)

    return sheet(
        22,
        "Gingerbread Boy  -  sheet B",
        front,
        side,
        gb_head,
        ["excited", "surprised", "sleepy"],
        "flat cookie; 3 red gumdrops, blue bow, white icing at wrists and ankles",
    )


# --- Style vignettes ----------------------------------------------------------------------


def hills(pt: Painting, base: float, amp: float, colour: RGB, phase: float) -> None:
    pts = [
        (x, base - amp * (0.5 + 0.5 * ((x / 97 + phase) % 2 - 1) ** 2))
        for x in range(0, W + 16, 16)
    ]
    pt.wash([(0, H), *pts, (W, H)], colour, 215)


def tree(pt: Painting, x: float, ground: float, h: float, crown: RGB) -> None:
    pt.rect((x - 5, ground - h * 0.5, x + 5, ground), BEAR_BROWN, radius=3)
    pt.ellipse((x - h * 0.3, ground - h, x + h * 0.3, ground - h * 0.38), crown)


def sky(pt: Painting, top: RGB, bottom: RGB, until: float) -> None:
    for y in range(0, int(until), 4):
        t = y / until
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        pt.p.rectangle((0, y, W, y + 4), fill=(*colour, 170))


def style_meadow() -> Image.Image:
    pt = Painting(101)
    sky(pt, SKY, PAPER, 220)
    pt.ellipse((392, 40, 452, 100), SUN, line=0)
    hills(pt, 250, 60, MOSS, 0.2)
    hills(pt, 320, 40, (132, 180, 96), 1.1)
    pt.rect((70, 178, 150, 240), (214, 186, 140))  # cottage
    pt.polygon([(62, 182), (110, 140), (158, 182)], GUMDROP)
    pt.rect((98, 208, 120, 240), BOW_BLUE, radius=3)
    for x in (210, 250, 300, 470):
        tree(pt, x, 262 + (x % 3) * 6, 90 + (x % 40), PINE)
    for k in range(9):
        x, y = 170 + k * 37, 330 + (k * 13) % 30
        pt.i.line((x, y, x, y + 24), fill=(*PINE, 255), width=2)
        pt.ellipse((x - 7, y - 7, x + 7, y + 7), SUN, line=1)
    return pt.finish()


def style_night_hill() -> Image.Image:
    pt = Painting(202, background=(214, 206, 214))
    sky(pt, NIGHT, DUSK, 300)
    pt.ellipse((360, 48, 430, 118), (250, 232, 170), line=0)
    rng = random.Random(7)
    for _ in range(40):
        x, y = rng.randrange(8, W - 8), rng.randrange(8, 200)
        pt.i.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(255, 246, 210, 255))
    hills(pt, 300, 70, PINE, 0.7)
    hills(pt, 350, 30, (48, 80, 60), 1.5)
    for _ in range(12):  # fireflies
        x, y = rng.randrange(40, W - 40), rng.randrange(250, 360)
        pt.p.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(250, 236, 120, 160))
        pt.i.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(255, 250, 200, 255))
    pt.ellipse((232, 270, 280, 300), (244, 200, 110), line=1)  # lantern glow
    pt.rect((248, 262, 264, 290), SCARF, radius=3)
    return pt.finish()


def style_sunset_creek() -> Image.Image:
    pt = Painting(303)
    sky(pt, (246, 170, 110), (250, 214, 150), 200)
    pt.ellipse((226, 130, 306, 210), SUNSET, line=0)
    hills(pt, 210, 40, PINE, 0.4)
    for x in (30, 80, 430, 485):
        tree(pt, x, 230, 130, PINE)
    pt.wash([(0, 250), (W, 230), (W, 320), (0, 340)], CREEK, 220)
    for k in range(6):
        x = 60 + k * 80
        y = 300 - k * 10
        pt.ellipse((x - 26, y - 10, x + 26, y + 12), STONE)
    hills(pt, H, 50, MOSS, 0.1)
    for k in range(7):  # sunset sparkles on the water
        x = 120 + k * 50
        pt.i.line(
            (x, 262 + k % 3 * 12, x + 16, 262 + k % 3 * 12), fill=(252, 226, 160, 255), width=2
        )
    return pt.finish()


def palette_image() -> Image.Image:
    cols, rows = 7, 2
    cell_w, cell_h = W // cols, 120
    image = Image.new("RGB", (W, rows * cell_h), PAPER)
    draw = ImageDraw.Draw(image)
    for k, (name, colour) in enumerate(PALETTE):
        x, y = (k % cols) * cell_w, (k // cols) * cell_h
        draw.rounded_rectangle(
            (x + 6, y + 8, x + cell_w - 6, y + 84), 8, fill=colour, outline=INK, width=2
        )
        draw.text((x + cell_w / 2, y + 100), name, fill=INK, font=font(11), anchor="mm")
    return image


def save(image: Image.Image, path: Path, colours: int = 64) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    quantized = image.quantize(colours, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    quantized.save(path, optimize=True)
    print(f"{path}  {path.stat().st_size // 1024} KiB")


def main(argv: list[str]) -> int:
    book = Path(argv[1]) if len(argv) > 1 else Path("books/gingerbear_01")
    bible = book / "bible"
    save(bear_sheet(), bible / "character_refs" / "bear_sheet_A.png")
    save(style_meadow(), bible / "style_refs" / "style_01.png")
    save(style_night_hill(), bible / "style_refs" / "style_02.png")
    save(palette_image(), bible / "palettes" / "gingerbear_palette.png", colours=32)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
