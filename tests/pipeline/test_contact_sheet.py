"""Contact sheets, read back from the image itself: every candidate with its id, the scene line,
the character sheets, at most 2048 px on the long side.

Each candidate is painted in its own colour, so its tile is found by colour; the id label, the
scene line and the character names are compared with the same text drawn alone (found by its
pixels, wherever the sheet puts it), so a missing, doubled or mislabelled tile fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from artfarm.documents.book import Book
from artfarm.pipeline.contact_sheet import MAX_SIDE, font, label, page_sheet
from artfarm.pipeline.manifest import StageManifest, images_identity, write_manifest
from artfarm.pipeline.stages import output_file

PAPER = (245, 242, 235)
INK = (20, 20, 20)
IDS = [f"c{i:02d}" for i in range(1, 13)]


def colour_of(index: int) -> tuple[int, int, int]:
    return (30 + 17 * index, 200 - 11 * index, 60 + 13 * index)


def solid_stage(book: Book, page: int, ids: list[str], size: tuple[int, int]) -> None:
    """A draft folder whose candidate n is one flat colour: its tile is findable by colour."""
    folder = book.page_dir(page) / "draft"
    folder.mkdir(parents=True, exist_ok=True)
    outputs = []
    for n, cid in enumerate(ids):
        Image.new("RGB", size, colour_of(n)).save(folder / f"{cid}.png")
        outputs.append(output_file(folder / f"{cid}.png", cid))
    manifest = StageManifest(
        stage="draft",
        book_id=book.id,
        page=page,
        spec=book.load_spec(page).model_dump(mode="json"),
        params="test",
        outputs=outputs,
        images_sha256=images_identity(outputs),
    )
    write_manifest(folder, manifest)


def where(image: Image.Image, colour: tuple[int, int, int]) -> tuple[int, int, int, int] | None:
    """Bounding box of the pixels of exactly `colour`."""
    bands = [band.point(lambda v, c=c: 255 if v == c else 0) for band, c in zip(image.split(), colour, strict=True)]  # fmt: skip
    mask = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
    return mask.getbbox()


def inked(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """`image` cropped to what is drawn on `background`."""
    box = ImageChops.difference(image, Image.new("RGB", image.size, background)).getbbox()
    assert box is not None, "nothing drawn there"
    return image.crop(box)


def same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def drawn_text(text: str, size: int) -> Image.Image:
    canvas = Image.new("RGB", (40 * len(text) + 60, 2 * size + 60), PAPER)
    ImageDraw.Draw(canvas).text((20, 20), text, font=font(size), fill=INK)
    return inked(canvas, PAPER)


def drawn_label(text: str, size: int) -> Image.Image:
    canvas = Image.new("RGB", (40 * len(text) + 60, 2 * size + 60), PAPER)
    label(ImageDraw.Draw(canvas), (20, 20), text, size)
    return inked(canvas, PAPER)


def shows_text(crop: Image.Image, text: str, draw=drawn_text) -> bool:
    """Whether `crop` is exactly `text` at some font size (the sheet picks the size)."""
    return any(same(crop, draw(text, size)) for size in range(12, 160))


@pytest.fixture
def sheet(tiny_book: Path) -> Image.Image:
    book = Book(tiny_book)
    solid_stage(book, 3, IDS, size=(768, 1024))
    with Image.open(page_sheet(book, 3, "draft")) as image:
        return image.convert("RGB")


def tiles(sheet: Image.Image) -> dict[str, tuple[int, int, int, int]]:
    found = {cid: where(sheet, colour_of(n)) for n, cid in enumerate(IDS)}
    return {cid: box for cid, box in found.items() if box}


def test_contact_sheet_fits_a_vision_model_with_tiles_big_enough_to_judge(sheet) -> None:
    assert max(sheet.size) <= MAX_SIDE
    for left, top, right, bottom in tiles(sheet).values():
        assert right - left >= 300 and bottom - top >= 300


def test_contact_sheet_shows_every_candidate_once_with_its_big_id(sheet) -> None:
    found = tiles(sheet)
    assert sorted(found) == IDS
    boxes = list(found.values())
    for i, a in enumerate(boxes):  # twelve separate tiles, none drawn over another
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    for n, (cid, box) in enumerate(found.items()):
        tile = sheet.crop(box)
        ink = where(tile, INK)
        assert ink is not None, f"{cid} has no id label"
        label_crop = inked(tile.crop((0, 0, ink[2] + 6, ink[3] + 6)), colour_of(n))
        assert shows_text(label_crop, cid, drawn_label), f"the tile of {cid} is not labelled {cid}"
        assert label_crop.height >= (box[3] - box[1]) // 12  # big enough to read at a glance


def test_contact_sheet_shows_the_scene_line_on_top(sheet, tiny_book: Path) -> None:
    scene = Book(tiny_book).load_spec(3).scene
    first_tile = min(box[1] for box in tiles(sheet).values())
    header = inked(sheet.crop((0, 0, sheet.width, first_tile)), PAPER)
    assert shows_text(header, scene)


def test_contact_sheet_shows_each_characters_reference_sheet_and_name(
    sheet, tiny_book: Path
) -> None:
    right_of_tiles = max(box[2] for box in tiles(sheet).values())
    sidebar = sheet.crop((right_of_tiles, 0, sheet.width, sheet.height))
    for cid, name in (("bear", "Bramble"), ("fox", "Pip")):
        with Image.open(tiny_book / "bible" / "character_refs" / f"{cid}.png") as ref:
            ref = ref.convert("RGB")
        body = ref.getpixel((ref.width // 2, ref.height // 2))
        in_ref, in_sheet = where(ref, body), where(sidebar, body)
        assert in_ref and in_sheet, f"{cid}'s reference sheet is missing"
        left, top = in_sheet[0] - in_ref[0], in_sheet[1] - in_ref[1]
        shown = sidebar.crop((left, top, left + ref.width, top + ref.height))
        assert same(shown, ref), f"{cid}'s reference sheet is altered"
        caption = inked(sidebar.crop((left, top - 28, sidebar.width, top)), PAPER)
        assert shows_text(caption, name), f"{cid}'s sheet is not captioned {name}"
