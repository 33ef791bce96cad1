"""No text in sketch art (it goes to print); names on contact sheets in the shipped font."""

from __future__ import annotations

from PIL import Image, ImageChops

from artfarm.pipeline.contact_sheet import font
from artfarm.sketch.drawing import PALETTES, draw_fix, draw_scene
from artfarm.sketch.scene import read_scene

PROMPT = "Jürgen and Mia wave at the pond, morning, clear weather; (Jürgen:1.2), (Mia:1.2)"
OLD_TEXT_PAPER = {(255, 255, 245), (255, 255, 240)}  # the caption banner and the name labels


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {c for _, c in image.getcolors(maxcolors=1 << 24)}


def test_a_sketch_has_no_caption_banner_footer_or_labels() -> None:
    scene = read_scene(PROMPT)
    assert scene.caption and scene.characters
    image = draw_scene(scene, 7, 300, 400)
    assert not colours(image) & OLD_TEXT_PAPER
    sky_top = PALETTES[scene.time_of_day][0]
    assert image.getpixel((0, 0)) == sky_top or image.getpixel((299, 0)) == sky_top


def test_an_inpaint_fix_without_figures_draws_no_words() -> None:
    image = Image.new("RGB", (200, 200), (90, 140, 90))
    draw_fix(image, read_scene("a shiny red apple on the grass"), 3, (50, 50, 150, 150))
    changed = ImageChops.difference(image, Image.new("RGB", (200, 200), (90, 140, 90)))
    assert changed.getbbox() is not None
    assert len(colours(image)) == 2  # the ground and one solid patch: no anti-aliased letters


def test_names_on_contact_sheets_use_the_shipped_font_with_umlauts() -> None:
    face = font(40)

    def glyph(text: str) -> bytes:
        return bytes(face.getmask(text))

    assert glyph("ü") != glyph("u")
    assert glyph("ü") != glyph("\uffff")  # not the missing-glyph box
    assert face.getname()[0] == "Atkinson Hyperlegible"
