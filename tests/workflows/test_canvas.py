"""A page's art size follows its place in the layout (rendering/canvas.py), through the compiler."""

from __future__ import annotations

import pytest
import yaml
from PIL import Image

from artfarm.documents.book import Book
from artfarm.layout.geometry import Geometry, effective_ppi
from artfarm.layout.spec import load_layout_spec
from artfarm.problems import ArtfarmError
from artfarm.rendering.canvas import page_canvas
from artfarm.rendering.compiler import compile_stage
from tests.bookfactory import make_book, make_store

DEFAULT_SIZES = {"print_scale": 2.0}  # book_config.yaml's defaults: 768×1024 draft
SIZES = {"draft_width": 96, "draft_height": 128, "final_width": 192, "final_height": 256}


def write_layout(book: Book, trim: str | dict, bleed: float, spread_pages=(), pages=(1, 2)):
    layout = {
        "title": "Tiny Book",
        "trim": trim,
        "bleed": bleed,
        "pages": [{"page": p, "text": "Hi.", "spread": p in spread_pages} for p in pages],
    }
    book.layout_path.parent.mkdir(parents=True, exist_ok=True)
    book.layout_path.write_text(yaml.safe_dump(layout, sort_keys=False))


def fresh(book: Book) -> Book:
    return Book(book.root)


def assert_budget(size: tuple[int, int], area: int, aspect: float) -> None:
    w, h = size
    assert w % 8 == 0 and h % 8 == 0
    assert abs(w * h / area - 1) < 0.08, (size, area)
    assert abs(w / h / aspect - 1) < 0.05, (size, aspect)


def test_without_a_layout_the_canvas_is_the_book_config_sizes(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    canvas = page_canvas(book, 1)
    assert (canvas.draft, canvas.final, canvas.pages) == ((96, 128), (192, 256), 1)
    assert canvas.aspect == pytest.approx(0.75)
    assert canvas.source == "book_config.yaml sizes"


def test_a_page_without_a_layout_entry_keeps_the_sizes_and_says_so(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    write_layout(book, "8.5x8.5", 0.125, pages=(2,))
    assert page_canvas(book, 1).draft == (96, 128)
    assert page_canvas(book, 1).source == "book_config.yaml sizes"
    assert page_canvas(book, 2).source == "layout/book.yaml pages[0]"


def test_a_square_trim_gets_square_art_of_the_same_pixel_budget(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    write_layout(book, "8x8", 0.0)
    canvas = page_canvas(book, 2)
    assert canvas.aspect == pytest.approx(1.0)
    assert canvas.draft[0] == canvas.draft[1] and canvas.final[0] == canvas.final[1]
    assert_budget(canvas.draft, 96 * 128, 1.0)
    assert_budget(canvas.final, 192 * 256, 1.0)
    assert canvas.source == "layout/book.yaml pages[1]"


def test_the_aspect_is_the_art_box_trim_plus_bleed(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    write_layout(book, "8x10", 0.125)
    canvas = page_canvas(book, 1)
    # one page: outer bleed only on the width (none at the fold), bleed top and bottom
    assert canvas.aspect == pytest.approx(8.125 / 10.25)
    assert_budget(canvas.final, 192 * 256, 8.125 / 10.25)


def test_a_spread_is_one_landscape_canvas_of_two_pages_budget(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    write_layout(book, "8.5x8.5", 0.125, spread_pages=(2,))
    canvas = page_canvas(book, 2)
    aspect = (2 * 8.5 + 2 * 0.125) / (8.5 + 2 * 0.125)
    assert canvas.pages == 2 and canvas.aspect == pytest.approx(aspect)
    assert canvas.draft[0] > canvas.draft[1]
    assert_budget(canvas.draft, 2 * 96 * 128, aspect)
    assert_budget(canvas.final, 2 * 192 * 256, aspect)
    assert page_canvas(book, 1).pages == 1


def test_the_thumbnail_is_a_ninth_of_the_draft_and_never_below_64_px(tmp_path):
    big = {"draft_width": 768, "draft_height": 1024, "final_width": 1536, "final_height": 2048}
    book = make_book(tmp_path, sizes=big)
    canvas = page_canvas(book, 1)
    assert canvas.draft == (768, 1024)
    assert_budget(canvas.thumb, 768 * 1024 // 9, 0.75)
    small = page_canvas(make_book(tmp_path, "tiny_02", sizes=SIZES), 1)
    assert min(small.thumb) == 64 and small.thumb[1] > small.thumb[0]


def test_an_edited_layout_is_read_again_and_changes_the_request_hash(tmp_path):
    book = make_book(tmp_path, sizes=DEFAULT_SIZES)  # big enough that a small bleed shows
    store = make_store(tmp_path, book)
    write_layout(book, "8x8", 0.0)
    assert page_canvas(book, 1).aspect == pytest.approx(1.0)
    square = compile_stage(book, 1, "draft", store=store)
    write_layout(book, "8x10", 0.0)
    assert page_canvas(fresh(book), 1).aspect == pytest.approx(0.8)
    portrait = compile_stage(fresh(book), 1, "draft", store=store)
    assert portrait.request_hash != square.request_hash
    write_layout(book, "8x10", 0.125)
    bled = compile_stage(fresh(book), 1, "draft", store=store)
    assert page_canvas(fresh(book), 1).aspect == pytest.approx(8.125 / 10.25)
    assert bled.request_hash != portrait.request_hash
    assert (portrait.outputs.width, portrait.outputs.height) == (792, 992)
    assert (bled.outputs.width, bled.outputs.height) == (792, 1000)


def test_draft_and_refine_render_at_the_canvas_and_the_hash_covers_it(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    store = make_store(tmp_path, book)
    write_layout(book, "8.5x8.5", 0.125)
    draft = compile_stage(book, 2, "draft", store=store)
    canvas = page_canvas(book, 2)
    latent = next(n for n in draft.graph.values() if n["class_type"] == "EmptyLatentImage")
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == canvas.draft
    assert (draft.outputs.width, draft.outputs.height) == canvas.draft
    image = tmp_path / "draft.png"
    Image.new("RGB", canvas.draft, "tan").save(image)
    refine = compile_stage(book, 2, "refine", store=store, image=image, candidate="c01")
    assert (refine.outputs.width, refine.outputs.height) == canvas.final
    write_layout(book, "8.5x8.5", 0.125, spread_pages=(2,))
    spread = compile_stage(fresh(book), 2, "draft", store=store)
    assert spread.request_hash != draft.request_hash
    assert spread.outputs.width > spread.outputs.height
    assert (spread.outputs.width, spread.outputs.height) == page_canvas(fresh(book), 2).draft


def test_inpaint_and_upscale_follow_their_input_image_not_the_canvas(tmp_path):
    from artfarm.documents.review import InpaintFix

    book = make_book(tmp_path, sizes=SIZES)
    store = make_store(tmp_path, book)
    write_layout(book, "8.5x8.5", 0.125, spread_pages=(2,))
    final = tmp_path / "final.png"
    Image.new("RGB", (400, 200), "tan").save(final)
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "box", "x": 8, "y": 8, "width": 32, "height": 24}, "prompt": "a paw"}
    )
    inpaint = compile_stage(
        book, 2, "inpaint", store=store, image=final, fix=fix, fix_index=0, workdir=tmp_path
    )
    assert (inpaint.outputs.width, inpaint.outputs.height) == (400, 200)
    upscale = compile_stage(book, 2, "upscale", store=store, image=final)
    assert (upscale.outputs.width, upscale.outputs.height) == (800, 400)


def test_a_spread_at_the_default_sizes_prints_above_300_ppi(tmp_path):
    """The default budget (768×1024 draft, 1536×2048 final, ×2 print) is enough for a spread."""
    book = make_book(tmp_path, sizes=DEFAULT_SIZES)
    write_layout(book, "8.5x8.5", 0.125, spread_pages=(2,))
    canvas = page_canvas(book, 2)
    box = Geometry.of(load_layout_spec(book.layout_path)).art_box(recto=False, spread=True)
    printed = [round(side * book.config.sizes.print_scale) for side in canvas.final]
    assert effective_ppi(*printed, box.w, box.h) >= 300


def test_a_broken_layout_stops_the_render_with_its_own_line(tmp_path):
    book = make_book(tmp_path, sizes=SIZES)
    store = make_store(tmp_path, book)
    write_layout(book, "8x8", 0.0)
    book.layout_path.write_text(book.layout_path.read_text().replace("trim: 8x8", "trim: 9x9"))
    with pytest.raises(ArtfarmError) as err:
        compile_stage(fresh(book), 1, "draft", store=store)
    [problem] = err.value.problems
    assert problem.file.endswith("layout/book.yaml") and problem.field == "trim"
    assert "unknown trim preset '9x9'" in problem.problem
