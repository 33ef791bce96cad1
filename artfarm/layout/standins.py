"""Print art goes into the PDF after Typst, not through it: Typst lays out small stand-ins.

Typst decodes every raster image it places and keeps all of them decoded until the PDF is
written: 32 pages of 3072×4096 art are 1.2 GB of pixels, only to copy the JPEG bytes into
the PDF unchanged (Typst passes JPEG through). So Typst gets a stand-in per art file — a
small JPEG with the same aspect ratio (so `fit: "cover"` places it the same way, to well
under 0.01 pt) and the same colour mode (so its image dictionary is the same) — and the real
JPEG bytes replace the stand-in's in the finished PDF, one image at a time, with the real
width and height. A printer sees the same images, boxes and fonts as from a direct compile
(tests/layout/test_standins.py compares both, for the interior and the cover).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject, StreamObject

from artfarm.layout.fonts import FontSet
from artfarm.layout.render import compile_template
from artfarm.problems import ArtfarmError

MAX_SIDE = 1024  # a stand-in's aspect is exact up to this many pixels a side, else nearest
_IMAGE_KEYS = {
    "/Type",
    "/Subtype",
    "/Width",
    "/Height",
    "/ColorSpace",
    "/BitsPerComponent",
    "/Filter",
    "/Decode",
    "/Interpolate",
    "/Length",
}


def stand_in_size(width: int, height: int) -> tuple[int, int]:
    """The smallest size with the art's aspect (nearest, past MAX_SIDE), at least 8 px a side."""
    ratio = Fraction(width, height)
    if max(ratio.numerator, ratio.denominator) > MAX_SIDE:  # bound the longer side
        if width >= height:
            ratio = 1 / (1 / ratio).limit_denominator(MAX_SIDE)
        else:
            ratio = ratio.limit_denominator(MAX_SIDE)
    w, h = ratio.numerator, ratio.denominator
    scale = max(1, -(-8 // min(w, h)))
    return w * scale, h * scale


def make_stand_in(art: Path, dest: Path, index: int) -> None:
    """A stand-in JPEG for `art`: same aspect and mode, bytes unique to `index`."""
    with Image.open(art) as img:  # the header only: nothing is decoded
        size, mode, fmt = img.size, img.mode, img.format
    if fmt != "JPEG":  # its bytes go in as they are: only a JPEG stream is one Typst embeds
        raise ArtfarmError.single(
            str(art), "", f"print art in {fmt} format", "report this layout bug"
        )
    if mode not in ("RGB", "L", "CMYK"):
        raise ArtfarmError.single(
            str(art), "", f"print art in colour mode {mode}", "report this layout bug"
        )
    comment = f"artfarm stand-in {index}".encode()
    Image.new(mode, stand_in_size(*size)).save(dest, "JPEG", quality=50, comment=comment)


def stand_in_data(data: dict[str, Any], folder: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """The template data with every art path swapped for a stand-in, and digest → real art.

    Art is any `"art": {"path": …}` record, at any depth: the interior's pages and the
    cover's front and back share the rule.
    """
    real: dict[str, Path] = {}
    made: dict[str, Path] = {}

    def stand_in(path: str) -> str:
        if path not in made:
            made[path] = folder / f"stand-in-{len(made):04d}.jpg"
            make_stand_in(Path(path), made[path], len(made))
            real[_digest(made[path].read_bytes())] = Path(path)
        return str(made[path])

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {k: walk(v) for k, v in value.items() if k != "art"}
        if "art" in value:
            art = value["art"]
            has_path = isinstance(art, dict) and "path" in art
            out["art"] = {**art, "path": stand_in(art["path"])} if has_path else walk(art)
        return {k: out[k] for k in value}  # the data's own key order

    return walk(data), real


def swap_in(laid_out: Path, dest: Path, real: dict[str, Path]) -> None:
    """Write `laid_out` to `dest` with each stand-in's bytes replaced by its real JPEG."""
    reader = PdfReader(laid_out)
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header  # Typst's PDF version, not pypdf's default 1.3
    found: set[str] = set()
    for image in _images(writer):
        digest = _digest(image._data)
        if digest not in real:
            continue
        if digest not in found:
            _fill(image, real[digest])
            found.add(digest)
    missing = sorted(str(p) for d, p in real.items() if d not in found)
    if missing:
        raise ArtfarmError.single(
            str(laid_out),
            "",
            f"Typst did not embed the stand-in of {missing[0]} as a JPEG",
            "report this layout bug",
        )
    with open(dest, "wb") as out:
        writer.write(out)


def _images(writer: PdfWriter) -> list[StreamObject]:
    """Every image XObject of every page, each once (a spread's two halves share one)."""
    seen: set[int] = set()
    images = []
    for page in writer.pages:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources else None
        for ref in xobjects.get_object().values() if xobjects else []:
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image" and id(obj) not in seen:
                seen.add(id(obj))
                images.append(obj)
    return images


def _fill(image: StreamObject, art: Path) -> None:
    if image.get("/Filter") != "/DCTDecode" or set(image) - _IMAGE_KEYS:
        raise ArtfarmError.single(
            str(art), "", f"unexpected image dictionary {sorted(image)}", "report this layout bug"
        )
    with Image.open(art) as img:
        width, height = img.size
    StreamObject.set_data(image, art.read_bytes())  # raw JPEG bytes, as Typst embeds them
    image[NameObject("/Width")] = NumberObject(width)
    image[NameObject("/Height")] = NumberObject(height)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compile_with_stand_ins(
    template: str,
    data: dict[str, Any],
    fonts: FontSet,
    file: str,
    field_of: Callable[[int], str] = lambda page: f"page {page}",
    *,
    output: Path,
) -> None:
    """Lay out `data` with stand-ins in a scratch folder, then write `output` with the real art."""
    with tempfile.TemporaryDirectory(prefix="artfarm-stand-ins-") as tmp:
        folder = Path(tmp)
        laid_data, real = stand_in_data(data, folder)
        laid_out = folder / "laid-out.pdf"
        compile_template(template, laid_data, fonts, file, field_of, output=laid_out)
        swap_in(laid_out, output, real)
