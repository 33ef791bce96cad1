"""figure_boxes: where the sketch drawing puts each character, exactly (layout tests use it)."""

from __future__ import annotations

import dataclasses

import pytest
from PIL import Image, ImageChops

from artfarm.sketch.drawing import draw_scene, figure_boxes
from artfarm.sketch.scene import read_scene

SCENES = [
    "a meadow at noon; (Bear:1.2) and (Gingerbread Boy:1.2), wide shot",
    "the hill at night; (Bear:1.2), medium shot",
    "the creek at sunset in the rain; (Pip:1.1), (Bear:1.2), (Owl:1.2), close-up",
]


@pytest.mark.parametrize("prompt", SCENES)
@pytest.mark.parametrize("seed", [1, 77, 2718281])
def test_every_figure_pixel_lies_in_a_box_and_every_box_is_tight(prompt: str, seed: int) -> None:
    scene = read_scene(prompt)
    w, h = 240, 320
    drawn = draw_scene(scene, seed, w, h)
    bare = draw_scene(dataclasses.replace(scene, characters=()), seed, w, h)
    boxes = figure_boxes(scene, seed, w, h)
    assert len(boxes) == len(scene.characters)
    changed = ImageChops.difference(drawn, bare).convert("L").point(lambda v: 255 if v else 0)
    outside = changed.copy()
    for left, top, right, bottom in boxes:
        outside.paste(0, (max(0, left), max(0, top), min(w, right), min(h, bottom)))
    assert outside.getbbox() is None  # no figure pixel outside the boxes
    for left, top, right, bottom in boxes:  # each box hugs a figure: pixels near each edge
        inside = changed.crop((max(0, left), max(0, top), min(w, right), min(h, bottom)))
        found = inside.getbbox()
        assert found is not None
        # Limbs are padded by half their stroke; an uncapped stroke's end may stop short of it.
        slack = 3 + 0.05 * max(inside.width, inside.height)
        assert found[0] <= slack and found[1] <= slack
        assert found[2] >= inside.width - slack and found[3] >= inside.height - slack


def test_the_boxes_follow_the_seed() -> None:
    scene = read_scene(SCENES[0])
    assert figure_boxes(scene, 1, 240, 320) != figure_boxes(scene, 2, 240, 320)
    assert isinstance(draw_scene(scene, 1, 24, 32), Image.Image)


@pytest.mark.parametrize("side", ["top", "bottom", "left", "right"])
@pytest.mark.parametrize("shot", ["wide", "medium", "close-up"])
def test_figures_stand_clear_of_the_side_the_prompt_keeps_open(side: str, shot: str) -> None:
    where = "on the" if side in ("left", "right") else "at the"
    prompt = (
        f"a meadow at noon. (Bear:1.2), (Gingerbread Boy:1.2), {shot} shot, "
        f"quiet open area {where} {side} of the picture for story text"
    )
    scene = read_scene(prompt)
    assert scene.calm == side
    w, h = 300, 400
    for seed in range(12):
        boxes = figure_boxes(scene, seed, w, h)
        assert len(boxes) == 2
        for left, top, right, bottom in boxes:
            assert left >= -1 and top >= -1 and right <= w + 1 and bottom <= h + 1
            if side == "top":
                assert top >= 0.36 * h - 2
            elif side == "bottom":
                assert bottom <= (1 - 0.34) * h + 2
            elif side == "left":
                assert left >= 0.46 * w - 2
            else:
                assert right <= (1 - 0.46) * w + 2


def test_without_an_open_area_the_figures_may_stand_anywhere() -> None:
    scene = read_scene("a meadow at noon. (Bear:1.2), close-up")
    assert scene.calm is None
    tops = {figure_boxes(scene, seed, 300, 400)[0][1] for seed in range(12)}
    assert min(tops) < 0.36 * 400  # a close-up reaches into the top band
