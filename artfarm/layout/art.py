"""Page art for layout: find it, crop it to the page's bled area, and save it as a JPEG.

Typst re-encodes PNG (slow, huge PDFs) but passes JPEG through untouched, so every image is
converted once, here: centred 'cover' crop to the target box, sRGB, 4:4:4 chroma, and a
sidecar `.json` beside it recording the source and the effective resolution, and the grey
sample text placement measures (`.samples/NNNN.png`, see samples.py). A JPEG whose sidecar
matches the source file (size, mtime) and the box is reused, not re-encoded.

Where converted art goes (inside the book):
    exports/print/NNNN.jpg   print art (q95, full resolution) — layout/pages.pdf, cover
    exports/web/NNNN.jpg     ≈150 ppi (q80), scaled from the print JPEG — exports/web/book.pdf, PNGs
    layout/proof_art/NNNN.jpg ≈150 ppi (q85) of the best art that exists — layout/proof.pdf
    layout/storyboard_art/NNNN.jpg ≈100 ppi (q80) — layout/storyboard.pdf (see storyboard.py)
Cover art from a path (not a page number) is saved as `cover-front.jpg` / `cover-back.jpg`.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageCms

from artfarm.atomic import atomic_path, write_json
from artfarm.documents.reader import read_json
from artfarm.layout.focus import Focus, window
from artfarm.layout.geometry import PT_PER_IN, effective_ppi
from artfarm.layout.samples import grey_sample, remove_sample
from artfarm.problems import ArtfarmError

Source = Literal["print", "final", "selected", "thumb"]
SIDECAR_VERSION = 1
Image.MAX_IMAGE_PIXELS = 400_000_000  # 2× upscaled spreads are big but trusted local files


@dataclass(frozen=True)
class Variant:
    """One output flavour: where its JPEGs go, how good they are, what art it may use."""

    name: Literal["print", "proof", "web", "storyboard"]
    folder: str
    quality: int
    max_ppi: float | None  # downscale to this; None keeps every pixel
    sources: tuple[Source, ...]
    via_print: bool = False  # scale down the print JPEG (same crop) instead of the source


PRINT = Variant("print", "exports/print", 95, None, ("print",))
PROOF = Variant("proof", "layout/proof_art", 85, 150, ("print", "final", "selected"))
WEB = Variant("web", "exports/web", 80, 150, ("print",), via_print=True)


@dataclass(frozen=True)
class PreparedArt:
    path: Path
    source: Path
    kind: str  # print | final | selected | file
    ppi: float  # effective resolution of the source at this box (before any downscale)
    pixels: tuple[int, int]  # size of the source


def page_dir(book_root: Path, page: int) -> Path:
    return book_root / "pages" / f"{page:04d}"


def find_art(book_root: Path, page: int, sources: tuple[Source, ...]) -> tuple[Path, Source] | None:
    """The best art that exists for a page, in the order the variant allows."""
    folder = page_dir(book_root, page)
    for source in sources:
        if source == "selected":
            drafts = sorted((folder / "selected").glob("*.png"))
            if drafts:
                return drafts[0], source
            continue
        path = folder / source / f"{source}.png"
        if path.is_file():
            return path, source
    return None


def scene_line(book_root: Path, page: int) -> str:
    """The page's `scene` from renderspec.json, for a proof placeholder (blank if unreadable)."""
    try:
        data = read_json(page_dir(book_root, page) / "renderspec.json", root=book_root)
    except ArtfarmError:
        return ""
    scene = data.get("scene") if isinstance(data, dict) else None
    return scene if isinstance(scene, str) else ""


def prepare(
    source: Path,
    dest: Path,
    box_w: float,
    box_h: float,
    variant: Variant,
    kind: str,
    focus: Focus = "middle",
) -> PreparedArt:
    """Crop `source` to the box's aspect and save it as `dest` (JPEG) unless already current.

    Page art is rendered at its page's shape, so its crop is centred; a vignette's window
    onto it is placed by `focus` (layout/focus.py).
    """
    stat = source.stat()
    key = {
        "version": SIDECAR_VERSION,
        "source": str(source.resolve()),
        "source_bytes": stat.st_size,
        "source_mtime_ns": stat.st_mtime_ns,
        "box_pt": [round(box_w, 3), round(box_h, 3)],
        "quality": variant.quality,
        "max_ppi": variant.max_ppi,
    }
    if focus != "middle":
        key["focus"] = focus  # centred crops keep the key they always had
    sidecar = dest.with_suffix(".json")
    cached = _read_sidecar(sidecar)
    if cached and cached.get("key") == key and dest.is_file():
        return PreparedArt(dest, source, kind, cached["ppi"], tuple(cached["pixels"]))
    with Image.open(source) as img:
        pixels = img.size
        ppi = effective_ppi(*pixels, box_w, box_h)
        scale = variant.max_ppi / ppi if variant.max_ppi and ppi > variant.max_ppi else 1.0
        if scale < 1 and img.format == "JPEG":
            # Let the JPEG decoder scale by 1/2, 1/4 or 1/8, never below the final size:
            # a fraction of the decoding work, and the resize below is still a downscale.
            img.draft(img.mode, (math.ceil(pixels[0] * scale), math.ceil(pixels[1] * scale)))
        rgb = to_srgb(img)
    cropped = crop_cover(rgb, box_w / box_h, focus)
    if scale < 1:
        # The final size comes from the crop in source pixels, however the decoder scaled.
        crop_w, crop_h = cover_size(*pixels, box_w / box_h)
        size = (max(1, round(crop_w * scale)), max(1, round(crop_h * scale)))
        cropped = cropped.resize(size, Image.Resampling.LANCZOS)
    with atomic_path(dest) as tmp:
        cropped.save(tmp, "JPEG", quality=variant.quality, subsampling=0, optimize=True)
    del rgb, cropped
    grey_sample(dest)  # made now, in the per-page job, not by every layout run (samples.py)
    write_json(sidecar, {"key": key, "ppi": ppi, "pixels": list(pixels), "kind": kind})
    return PreparedArt(dest, source, kind, ppi, pixels)


def _read_sidecar(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cover_size(w: int, h: int, aspect: float) -> tuple[int, int]:
    """Size of the largest region of a w×h image with the given width/height ratio."""
    if w / h > aspect:
        return max(1, round(h * aspect)), h
    return w, max(1, round(w / aspect))


def crop_fraction(image_aspect: float, box_aspect: float) -> float:
    """How much of an image a 'cover' fit into a box of another aspect cuts away (0–1)."""
    return 1 - min(image_aspect, box_aspect) / max(image_aspect, box_aspect)


def crop_cover(img: Image.Image, aspect: float, focus: Focus = "middle") -> Image.Image:
    """The largest region with the given width/height ratio (what fit: 'cover' shows),
    centred, or placed by `focus`."""
    w, h = img.size
    new_w, new_h = cover_size(w, h, aspect)
    if focus == "middle":
        left, top = (w - new_w) // 2, (h - new_h) // 2
    else:
        left, top = window(img, new_w, new_h, focus)
    return img.crop((left, top, left + new_w, top + new_h))


_SRGB = ImageCms.createProfile("sRGB")


def to_srgb(img: Image.Image) -> Image.Image:
    """8-bit sRGB without alpha: embedded ICC profiles converted, transparency over white."""
    profile = img.info.get("icc_profile")
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        base = Image.new("RGB", rgba.size, "white")
        base.paste(rgba, mask=rgba.getchannel("A"))
        img = base
    elif img.mode.startswith("I"):
        img = img.point(lambda v: v / 257).convert("L")
    if img.mode != "RGB" and not (img.mode == "CMYK" and profile):
        img = img.convert("RGB")
    if profile:
        try:
            src = ImageCms.ImageCmsProfile(_bytes_io(profile))
            img = ImageCms.profileToProfile(img, src, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            img = img.convert("RGB")
    else:
        img.load()
    return img


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def ppi_fix(box_w_pt: float, box_h_pt: float, min_ppi: int) -> str:
    """What size the art must have to reach `min_ppi` at this box."""
    need_w = round(box_w_pt / PT_PER_IN * min_ppi)
    need_h = round(box_h_pt / PT_PER_IN * min_ppi)
    return f"provide art of at least {need_w}×{need_h} px (run the print upscale)"


def remove_stale(folder: Path, keep: set[str]) -> None:
    """Drop JPEGs (and sidecars) of pages no longer in the book, so exports mirror the book."""
    if not folder.is_dir():
        return
    for path in folder.glob("*.jpg"):
        if path.name not in keep:
            for stale in (path, path.with_suffix(".json")):
                if stale.exists():
                    os.remove(stale)
            remove_sample(path)
