"""Masks drawn from review boxes and polygons: white repaints, soft edge outside, inside the image."""

from __future__ import annotations

import pytest
from PIL import Image

from artfarm.documents.review import InpaintFix
from artfarm.problems import ArtfarmError
from artfarm.rendering.masks import render_mask


def fix(mask: dict) -> InpaintFix:
    return InpaintFix.model_validate({"mask": mask, "prompt": "a tidy paw"})


BOX = {"kind": "box", "x": 20, "y": 30, "width": 40, "height": 20}


def test_a_box_is_white_inside_and_black_far_outside(tmp_path):
    mask = render_mask(fix(BOX), (100, 100), feather=0, book_root=tmp_path)
    assert mask.mode == "L" and mask.size == (100, 100)
    assert mask.getpixel((40, 40)) == 255 and mask.getpixel((5, 5)) == 0
    assert mask.getbbox() == (20, 30, 61, 51)


def test_feathering_keeps_the_shape_white_and_softens_the_edge_outside_it(tmp_path):
    mask = render_mask(fix(BOX), (100, 100), feather=6, book_root=tmp_path)
    assert mask.getpixel((20, 30)) == 255 and mask.getpixel((60, 50)) == 255
    assert 0 < mask.getpixel((64, 40)) < 255
    assert mask.getpixel((90, 90)) == 0


def test_a_polygon_is_filled(tmp_path):
    poly = {"kind": "polygon", "points": [[10, 10], [90, 10], [50, 90]]}
    mask = render_mask(fix(poly), (100, 100), feather=0, book_root=tmp_path)
    assert mask.getpixel((50, 40)) == 255 and mask.getpixel((10, 80)) == 0


def test_a_box_reaching_outside_the_image_is_refused(tmp_path):
    with pytest.raises(ArtfarmError) as err:
        render_mask(fix({**BOX, "x": 90}), (100, 100), feather=0, book_root=tmp_path)
    assert "outside the 100×100 image" in err.value.problems[0].problem


def test_an_image_mask_must_match_the_image_size(tmp_path):
    Image.new("L", (50, 50), 255).save(tmp_path / "m.png")
    good = render_mask(fix({"kind": "image", "path": "m.png"}), (50, 50), 4, tmp_path)
    assert good.getpixel((0, 0)) == 255
    with pytest.raises(ArtfarmError):
        render_mask(fix({"kind": "image", "path": "m.png"}), (60, 60), 4, tmp_path)


def test_an_image_mask_outside_the_book_is_refused(tmp_path):
    with pytest.raises(ArtfarmError):
        render_mask(fix({"kind": "image", "path": "../m.png"}), (50, 50), 4, tmp_path)


def test_the_same_fix_draws_the_same_bytes(tmp_path):
    from artfarm.rendering.masks import save_mask

    a = save_mask(render_mask(fix(BOX), (100, 100), 4, tmp_path), tmp_path / "a.png")
    b = save_mask(render_mask(fix(BOX), (100, 100), 4, tmp_path), tmp_path / "b.png")
    assert a.read_bytes() == b.read_bytes()
