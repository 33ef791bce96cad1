"""img2img on the sketch server: the same picture, refined, never a new staging.

Real img2img at a denoise below 1 keeps the composition and re-renders details, more of them
the higher the denoise. The sketch stand-in does the same with whole-image Pillow operations
whose strength grows with denoise and whose randomness comes from the seed: a soft wobble of
the outlines (a smooth mesh warp of a few pixels at most), crisper outlines, a slight tone and
colour drift, a low-frequency watercolour wash and a paper/brush grain. Nothing is drawn anew,
so the figures stay where the draft put them, and batch items (or other
seeds) differ visibly but slightly. All sizes are relative to the image; every step is one
Pillow call over the image (no per-pixel Python), so a 3072×4096 pass takes about a second.
"""

from __future__ import annotations

import random

from PIL import Image, ImageChops, ImageFilter

from artfarm.sketch.drawing import item_rng

WOBBLE = 0.004  # largest outline shift at denoise 1, as a fraction of the short side
DRIFT_GAIN, DRIFT_OFFSET = 0.06, 10.0  # per-channel tone/colour drift at denoise 1
WASH = 30.0  # amplitude (0..255) of the low-frequency colour wash at denoise 1
GRAIN = 0.16  # paper grain and brush streak contrast at denoise 1


def refine(image: Image.Image, seed: int, denoise: float) -> Image.Image:
    """`image` re-rendered at `denoise` (0..1) with seed-driven detail changes."""
    strength = min(1.0, max(0.0, denoise))
    rng = item_rng("refine", seed)
    img = image.convert("RGB")
    if strength <= 0:
        return img.copy()
    img = _wobble(img, rng, strength)
    img = Image.blend(img, img.filter(ImageFilter.SHARPEN), strength)
    img = _drift(img, rng, strength)
    img = ImageChops.add(img, _wash(img.size, rng, strength), 1.0, -128)
    grain = _grain(img.size, rng, strength)
    return ImageChops.add(img, Image.merge("RGB", (grain, grain, grain)), 1.0, -128)


def _noise(rng: random.Random, size: tuple[int, int], mode: str = "L") -> Image.Image:
    w, h = max(2, size[0]), max(2, size[1])
    return Image.frombytes(mode, (w, h), rng.randbytes(w * h * len(mode)))


def _centred(img: Image.Image, amplitude: float) -> Image.Image:
    """Map uniform 0..255 noise to 128 ± amplitude."""
    k = amplitude / 128
    return img.point([round(128 + (v - 128) * k) for v in range(256)] * len(img.getbands()))


def _wobble(img: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """A smooth warp: grid points shifted by up to WOBBLE·strength of the short side."""
    w, h = img.size
    amp = min(w, h) * WOBBLE * strength
    if amp < 0.3:
        return img
    cols, rows = 8, max(2, round(8 * h / w))
    grid = [[(w * i / cols, h * j / rows) for i in range(cols + 1)] for j in range(rows + 1)]
    for j in range(1, rows):
        for i in range(1, cols):
            x, y = grid[j][i]
            grid[j][i] = (x + rng.uniform(-amp, amp), y + rng.uniform(-amp, amp))
    data = []
    for j in range(rows):
        for i in range(cols):
            box = (round(w * i / cols), round(h * j / rows),
                   round(w * (i + 1) / cols), round(h * (j + 1) / rows))  # fmt: skip
            nw, sw, se, ne = grid[j][i], grid[j + 1][i], grid[j + 1][i + 1], grid[j][i + 1]
            data.append((box, (*nw, *sw, *se, *ne)))
    return img.transform(img.size, Image.Transform.MESH, data, Image.Resampling.BILINEAR)


def _drift(img: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    lut: list[int] = []
    for _ in range(3):
        gain = 1 + rng.uniform(-DRIFT_GAIN, DRIFT_GAIN) * strength
        offset = rng.uniform(-DRIFT_OFFSET, DRIFT_OFFSET) * strength
        lut += [min(255, max(0, round(v * gain + offset))) for v in range(256)]
    return img.point(lut)


def _wash(size: tuple[int, int], rng: random.Random, strength: float) -> Image.Image:
    """Blotches about a third of the short side wide, in colour, centred on 128."""
    w, h = size
    cell = max(1, min(w, h) // 3)
    small = _centred(_noise(rng, (w // cell + 2, h // cell + 2), "RGB"), WASH * strength)
    return small.resize(size, Image.Resampling.BICUBIC)


def _grain(size: tuple[int, int], rng: random.Random, strength: float) -> Image.Image:
    """Paper grain (fine, soft) plus brush streaks (stretched sideways), centred on 128."""
    w, h = size
    amplitude = 128 * GRAIN * strength
    fine = _noise(rng, (w // 2, h // 2)).resize(size, Image.Resampling.BILINEAR)
    streaks = _noise(rng, (w // 24, h // 4)).resize(size, Image.Resampling.BICUBIC)
    return _centred(ImageChops.add(fine, streaks, 2.0), amplitude)
