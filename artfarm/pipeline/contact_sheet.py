"""Contact sheets: all candidates of a stage in one image an agent (a vision model) can read.

Big ids on every tile, the scene line on top, the character reference sheets beside the grid,
and never more than 2048 px on the long side (what vision models take without downscaling).
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from artfarm.atomic import write_bytes
from artfarm.documents.book import Book
from artfarm.documents.reader import book_file, load_image
from artfarm.layout.fonts import pillow_font
from artfarm.pipeline.manifest import read_manifest
from artfarm.rendering.references import character_sheets

MAX_SIDE = 2048
HEADER = 96
SIDEBAR = 300
PAD = 12


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """The shipped font (Pillow's default lacks most non-ASCII letters)."""
    return pillow_font(size)


def grid_shape(count: int) -> tuple[int, int]:
    cols = min(4, max(1, math.ceil(math.sqrt(count))))
    return cols, math.ceil(count / cols)


def tile_size(count: int, aspect: float) -> tuple[int, int]:
    """Largest tile that keeps the whole sheet within MAX_SIDE."""
    cols, rows = grid_shape(count)
    width = (MAX_SIDE - SIDEBAR - PAD * (cols + 1)) // cols
    height = int(width / aspect)
    max_height = (MAX_SIDE - HEADER - PAD * (rows + 1)) // rows
    if height > max_height:
        height = max_height
        width = int(height * aspect)
    return width, height


def label(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int) -> None:
    """White text on a dark box: readable over any art."""
    face = font(size)
    left, top, right, bottom = draw.textbbox(xy, text, font=face)
    draw.rectangle([left - 6, top - 4, right + 6, bottom + 4], fill=(20, 20, 20))
    draw.text(xy, text, font=face, fill=(255, 255, 255))


def make_contact_sheet(
    images: list[tuple[str, Path]],
    scene: str,
    references: list[tuple[str, Path]],
    dest: Path,
) -> Path:
    """`images` and `references` are (label, path) pairs; writes a PNG at `dest` atomically."""
    if not images:
        raise ValueError("a contact sheet needs at least one image")
    with Image.open(images[0][1]) as first:
        aspect = first.width / first.height
    cols, rows = grid_shape(len(images))
    tile_w, tile_h = tile_size(len(images), aspect)
    width = PAD + cols * (tile_w + PAD) + SIDEBAR
    height = HEADER + PAD + rows * (tile_h + PAD)
    sheet = Image.new("RGB", (width, height), (245, 242, 235))
    draw = ImageDraw.Draw(sheet)
    draw.multiline_text(
        (PAD, PAD),
        "\n".join(textwrap.wrap(scene, 90)[:3]),
        font=font(24),
        fill=(20, 20, 20),
        spacing=4,
    )
    id_size = max(24, tile_h // 8)
    for index, (name, path) in enumerate(images):
        x = PAD + (index % cols) * (tile_w + PAD)
        y = HEADER + PAD + (index // cols) * (tile_h + PAD)
        with Image.open(path) as image:
            sheet.paste(image.convert("RGB").resize((tile_w, tile_h), Image.LANCZOS), (x, y))
        label(draw, (x + 10, y + 8), name, id_size)
    paste_references(sheet, draw, references, x0=width - SIDEBAR + PAD, y0=HEADER + PAD)
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", optimize=False, compress_level=6)
    return write_bytes(dest, buffer.getvalue())


def paste_references(
    sheet: Image.Image, draw: ImageDraw.ImageDraw, refs: list[tuple[str, Path]], x0: int, y0: int
) -> None:
    width = SIDEBAR - 2 * PAD
    y = y0
    for name, path in refs:
        thumb = load_image(path).convert("RGB")
        thumb.thumbnail((width, 360))
        if y + thumb.height + 40 > sheet.height:
            break
        draw.text((x0, y), name, font=font(20), fill=(20, 20, 20))
        sheet.paste(thumb, (x0, y + 28))
        y += thumb.height + 40


def page_sheet(book: Book, page: int, stage: str) -> Path:
    """The contact sheet of a page's drafts or refined variants, with its character refs."""
    folder = book.page_dir(page) / stage
    manifest = read_manifest(folder)
    spec = book.load_spec(page)
    entries = book.bible.by_id()
    references = []
    bible = str(book.characters_path)
    for cid in spec.character_ids():
        for sheet in character_sheets(book, cid)[:1] if cid in entries else []:
            relative = sheet.relative_to(book.root).as_posix()
            path = book_file(book.root, relative, source=bible, field=f"{cid}.sheets[0]")
            references.append((entries[cid].name, path))
    images = [(o.id, folder / o.file) for o in manifest.outputs]
    return make_contact_sheet(images, spec.scene, references, folder / "contact_sheet.png")
