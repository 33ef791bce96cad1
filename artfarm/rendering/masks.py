"""Inpaint masks drawn by artfarm: white repaints, black keeps.

A review names the area to fix as a box, a polygon (pixels of the judged image) or a mask
image in the book. Box and polygon are drawn with Pillow and get a soft edge `feather` pixels
wide outside the shape, so the repainted area blends in; the shape itself stays fully white.
Shapes must lie inside the image: a box off the edge is a review mistake, not something to clip.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from artfarm.atomic import atomic_path
from artfarm.documents.reader import book_file, load_image, open_image
from artfarm.documents.review import BoxMask, ImageMask, InpaintFix, PolygonMask
from artfarm.problems import ArtfarmError


def shape_points(mask: BoxMask | PolygonMask) -> list[tuple[int, int]]:
    if isinstance(mask, BoxMask):
        x2, y2 = mask.x + mask.width, mask.y + mask.height
        return [(mask.x, mask.y), (x2, mask.y), (x2, y2), (mask.x, y2)]
    return [tuple(p) for p in mask.points]


def check_inside(mask: BoxMask | PolygonMask, size: tuple[int, int], source: str, field: str):
    """Refuse a shape that reaches outside the image it repaints."""
    width, height = size
    outside = [(x, y) for x, y in shape_points(mask) if not (0 <= x <= width and 0 <= y <= height)]
    if outside:
        raise ArtfarmError.single(
            source,
            field,
            f"mask point {outside[0]} lies outside the {width}×{height} image",
            f"keep x in 0..{width} and y in 0..{height} (pixels of the image being fixed)",
        )


def draw_shape(mask: BoxMask | PolygonMask, size: tuple[int, int], feather: int) -> Image.Image:
    """The shape in white on black, with a `feather`-pixel soft edge outside it."""
    hard = Image.new("L", size, 0)
    ImageDraw.Draw(hard).polygon(shape_points(mask), fill=255)
    if feather <= 0:
        return hard
    grown = hard.copy()
    outline = [*shape_points(mask), shape_points(mask)[0]]
    ImageDraw.Draw(grown).line(outline, fill=255, width=2 * feather, joint="curve")
    soft = grown.filter(ImageFilter.GaussianBlur(radius=feather / 2))
    return ImageChops.lighter(soft, hard)


def load_image_mask(
    book_root: Path, mask: ImageMask, size: tuple[int, int], source: str, field: str
) -> Image.Image:
    path = book_file(book_root, mask.path, source=source, field=f"{field}.path")
    with open_image(path, source=source, field=f"{field}.path") as img:
        if img.size != size:
            raise ArtfarmError.single(
                source,
                f"{field}.path",
                f"mask image is {img.size[0]}×{img.size[1]}, the image is {size[0]}×{size[1]}",
                "paint the mask at the size of the image being fixed",
            )
    return load_image(path, source=source, field=f"{field}.path").convert("L")


def render_mask(
    fix: InpaintFix,
    size: tuple[int, int],
    feather: int,
    book_root: Path,
    source: str = "review.json",
    field: str = "refine.fixes[0].mask",
) -> Image.Image:
    """The mask of one fix as an L image at the size of the image it repaints."""
    if isinstance(fix.mask, ImageMask):
        return load_image_mask(book_root, fix.mask, size, source, field)
    check_inside(fix.mask, size, source, field)
    return draw_shape(fix.mask, size, feather)


def save_mask(image: Image.Image, dest: Path) -> Path:
    """PNG without metadata, so equal masks are equal bytes (and equal upload hashes)."""
    with atomic_path(dest) as tmp:
        image.save(tmp, format="PNG", optimize=False)
    return dest
