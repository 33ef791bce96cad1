"""GrowMask and ImageCompositeMasked behave like ComfyUI's (comfy_extras/nodes_mask.py)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from artfarm.sketch.catalog import object_info, recorded_schemas
from artfarm.sketch.nodes import NODES
from tests.workflows.objectinfo_patch import recorded


def grow(mask: Image.Image, expand: int, tapered: bool = True) -> Image.Image:
    [result] = NODES["GrowMask"](None, mask=[mask], expand=expand, tapered_corners=tapered)[
        "result"
    ][0]
    return result


def composite(destination, source, x=0, y=0, resize_source=False, mask=None):
    return NODES["ImageCompositeMasked"](
        None, destination=destination, source=source, x=x, y=y,
        resize_source=resize_source, mask=mask,
    )["result"][0]  # fmt: skip


def dot(size=(21, 21), at=(10, 10)) -> Image.Image:
    mask = Image.new("L", size, 0)
    mask.putpixel(at, 255)
    return mask


@pytest.mark.parametrize("node", ["GrowMask", "ImageCompositeMasked"])
def test_the_schemas_are_the_recorded_ones_and_listed_by_the_server(node):
    assert recorded_schemas()[node] == recorded()[node]
    assert node in object_info(None, None)


def test_tapered_corners_grow_a_diamond_and_square_corners_a_square():
    diamond = grow(dot(), 3)
    assert diamond.getbbox() == (7, 7, 14, 14)
    assert diamond.getpixel((10, 7)) == 255 and diamond.getpixel((9, 8)) == 255
    assert diamond.getpixel((8, 8)) == 0 and diamond.getpixel((7, 10)) == 255
    assert sum(1 for v in diamond.tobytes() if v) == 25  # |dx| + |dy| <= 3
    square = grow(dot(), 3, tapered=False)
    assert square.getbbox() == (7, 7, 14, 14)
    assert sum(1 for v in square.tobytes() if v) == 49


def test_grow_keeps_soft_values_and_a_negative_expand_shrinks():
    soft = Image.new("L", (9, 1), 0)
    soft.putpixel((4, 0), 128)
    assert list(grow(soft, 2).tobytes()) == [0, 0, 128, 128, 128, 128, 128, 0, 0]
    block = Image.new("L", (20, 20), 0)
    ImageDraw.Draw(block).rectangle((5, 5, 14, 14), fill=255)
    assert grow(block, -2).getbbox() == (7, 7, 13, 13)
    assert grow(block, 0).tobytes() == block.tobytes()


def test_growing_at_the_image_edge_neither_wraps_nor_leaks():
    corner = dot((10, 10), (0, 0))
    grown = grow(corner, 2)
    assert grown.getbbox() == (0, 0, 3, 3)
    full = Image.new("L", (10, 10), 255)
    assert grow(full, -1).getbbox() == (0, 0, 10, 10)  # outside the image never erodes


def test_composite_keeps_the_destination_where_the_mask_is_zero_and_blends_where_soft():
    dest = Image.effect_noise((32, 24), 60).convert("RGB")
    src = Image.new("RGB", (32, 24), (250, 10, 10))
    mask = Image.new("L", (32, 24), 0)
    ImageDraw.Draw(mask).rectangle((8, 8, 20, 16), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(2))
    [out] = composite([dest], [src], mask=[mask])
    assert out.size == dest.size
    keep = mask.point(lambda v: 255 if v == 0 else 0)
    changed = ImageChops.difference(out, dest).convert("L").point(lambda v: 255 if v else 0)
    assert ImageChops.multiply(changed, keep).getbbox() is None
    assert out.tobytes() == Image.composite(src, dest, mask).tobytes()


def test_composite_pastes_at_an_offset_clipped_to_the_destination():
    dest = Image.new("RGB", (16, 16), (0, 0, 0))
    src = Image.new("RGB", (8, 8), (255, 255, 255))
    [out] = composite([dest], [src], x=12, y=4)
    assert out.size == (16, 16)
    assert out.getbbox() == (12, 4, 16, 12)
    [whole] = composite([dest], [src])
    assert whole.getbbox() == (0, 0, 8, 8)


def test_composite_scales_the_mask_to_the_source_and_resize_source_to_the_destination():
    dest = Image.new("RGB", (20, 20), (0, 0, 0))
    src = Image.new("RGB", (10, 10), (255, 255, 255))
    left_half = Image.new("L", (20, 20), 0)
    left_half.paste(255, (0, 0, 10, 20))
    [out] = composite([dest], [src], mask=[left_half])  # mask squeezed onto the 10×10 source
    assert out.getbbox()[2:] in ((5, 10), (6, 10))  # (6: Pillow's bilinear smooths the edge)
    assert out.getpixel((3, 5)) == (255, 255, 255) and out.getpixel((7, 5)) == (0, 0, 0)
    [stretched] = composite([dest], [src], resize_source=True, mask=[left_half])
    assert stretched.getbbox() == (0, 0, 10, 20)


def test_composite_keeps_the_destinations_batch_and_repeats_the_source():
    dests = [Image.new("RGB", (8, 8), (i * 40, 0, 0)) for i in range(3)]
    src = [Image.new("RGB", (8, 8), (0, 200, 0))]
    half = Image.new("L", (8, 8), 0)
    half.paste(255, (0, 0, 4, 8))
    out = composite(dests, src, mask=[half])
    assert len(out) == 3
    assert [img.getpixel((6, 0)) for img in out] == [(0, 0, 0), (40, 0, 0), (80, 0, 0)]
    assert all(img.getpixel((1, 0)) == (0, 200, 0) for img in out)
