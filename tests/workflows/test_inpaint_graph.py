"""Inpaint is a low-disruption fix: only the drawn (feathered) mask may change, byte for byte.

The default graph encodes the image as is, limits the sampler to the grown mask with
SetLatentNoiseMask at the tier's denoise and pastes the decoded result over the original
through the feathered mask (ImageCompositeMasked). The VAEEncodeForInpaint graph is a variant
for inpainting checkpoints, run at denoise 1.0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from artfarm.comfy.client import ComfyClient
from artfarm.comfy.objectinfo import validate_graph
from artfarm.documents.book import Book
from artfarm.documents.review import InpaintFix
from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.drawing import draw_scene
from artfarm.sketch.scene import read_scene
from artfarm.sketch.testing import running_sketch_server
from tests.bookfactory import PACK, make_book, make_store
from tests.workflows.objectinfo_patch import recorded, with_store
from tests.workflows.test_run_on_sketch_server import run
from tests.workflows.test_template_slots import edited_workflows, node, problems_of

OBJECT_INFO = recorded()
BOX = InpaintFix.model_validate(
    {"mask": {"kind": "box", "x": 30, "y": 40, "width": 36, "height": 28}, "prompt": "a red kite"}
)
POLYGON = InpaintFix.model_validate(
    {
        "mask": {"kind": "polygon", "points": [[20, 20], [90, 30], [60, 80]]},
        "prompt": "a red kite",
    }
)


def scene(path: Path, size: tuple[int, int]) -> Path:
    """A busy picture, so any pixel a graph touches would show."""
    draw_scene(read_scene("Bear and boy cross a creek at sunset"), 5, *size).save(path)
    return path


def by_class(graph) -> dict[str, tuple[str, dict]]:
    return {n["class_type"]: (nid, n["inputs"]) for nid, n in graph.items()}


def inpaint(book, store, image, fix=BOX, **kw):
    return compile_stage(book, 1, "inpaint", store=store, image=image, fix=fix, fix_index=0, **kw)


def assert_valid(job, store) -> None:
    errors = validate_graph(job.graph, with_store(OBJECT_INFO, store, job.graph))
    assert errors == [], [e.line() for e in errors]


def test_the_default_graph_samples_the_grown_mask_and_composites_through_the_drawn_one(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    job = inpaint(book, store, scene(tmp_path / "f.png", (128, 128)), workdir=tmp_path)
    nodes = by_class(job.graph)
    assert "VAEEncodeForInpaint" not in nodes
    load, _ = nodes["LoadImage"]
    mask, _ = nodes["LoadImageMask"]
    grow, grow_in = nodes["GrowMask"]
    assert grow_in == {"mask": [mask, 0], "expand": 6, "tapered_corners": True}
    encode, encode_in = nodes["VAEEncode"]
    assert encode_in["pixels"] == [load, 0]
    noise, noise_in = nodes["SetLatentNoiseMask"]
    assert noise_in == {"samples": [encode, 0], "mask": [grow, 0]}
    sampler, sampler_in = nodes["KSampler"]
    assert sampler_in["latent_image"] == [noise, 0] and sampler_in["denoise"] == 0.6
    decode, decode_in = nodes["VAEDecode"]
    assert decode_in["samples"] == [sampler, 0]
    composite, composite_in = nodes["ImageCompositeMasked"]
    assert composite_in == {
        "destination": [load, 0],
        "source": [decode, 0],
        "x": 0,
        "y": 0,
        "resize_source": False,
        "mask": [mask, 0],
    }
    assert nodes["SaveImage"][1]["images"] == [composite, 0]
    assert (job.outputs.width, job.outputs.height) == (128, 128)
    assert_valid(job, store)


def test_the_sample_books_inpaint_uses_the_packs_grow_and_denoise_and_validates(
    sample_book, tmp_path
):
    book = Book(sample_book)
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    tier = book.style_pack.spec.tiers.inpaint
    job = inpaint(book, store, scene(tmp_path / "f.png", (1536, 2048)), workdir=tmp_path)
    nodes = by_class(job.graph)
    assert nodes["GrowMask"][1]["expand"] == tier.grow_mask_by == 16
    assert nodes["KSampler"][1]["denoise"] == tier.denoise == 0.6
    assert (job.outputs.width, job.outputs.height) == (1536, 2048)
    assert_valid(job, store)


def test_a_fix_denoise_overrides_the_tier(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    fix = InpaintFix.model_validate({**BOX.model_dump(), "denoise": 0.45})
    job = inpaint(book, store, scene(tmp_path / "f.png", (128, 128)), fix, workdir=tmp_path)
    assert by_class(job.graph)["KSampler"][1]["denoise"] == 0.45


def outside_changes(original: Path, result: Path, mask: Path) -> Image.Image:
    """Where the result differs from the original and the drawn mask is 0 (black: keep)."""
    with Image.open(original) as a, Image.open(result) as b, Image.open(mask) as m:
        assert a.size == b.size == m.size
        changed = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
        keep = m.convert("L").point(lambda v: 255 if v == 0 else 0)
        return ImageChops.multiply(changed.point(lambda v: 255 if v else 0), keep)


@pytest.mark.parametrize(
    ("fix", "size"),
    [(BOX, (128, 128)), (POLYGON, (128, 128)), (BOX, (124, 100))],
    ids=["box", "polygon", "size-not-a-multiple-of-8"],
)
def test_on_the_sketch_server_only_the_masked_pixels_change(tmp_path, fix, size):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    original = scene(tmp_path / "final.png", size)
    job = inpaint(book, store, original, fix, workdir=tmp_path / "masks")
    assert by_class(job.graph)["KSampler"][1]["denoise"] < 1.0
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        client = ComfyClient(server.url, journal_dir=tmp_path / "journal")
        [result] = run(client, job, tmp_path / "out")
    mask = job.inputs["mask"]
    assert outside_changes(original, result, mask).getbbox() is None
    with Image.open(original) as a, Image.open(result) as b:
        assert b.size == size == (job.outputs.width, job.outputs.height)
        inside = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox()
    assert inside is not None, "the fix changed nothing"
    with Image.open(mask) as m:
        drawn = m.getbbox()
    assert drawn is not None
    assert drawn[0] <= inside[0] and drawn[1] <= inside[1]
    assert inside[2] <= drawn[2] and inside[3] <= drawn[3]


def test_a_size_not_a_multiple_of_8_stretches_the_decoded_image_back_to_the_mask(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    even = inpaint(book, store, scene(tmp_path / "a.png", (128, 128)), workdir=tmp_path)
    odd = inpaint(book, store, scene(tmp_path / "b.png", (124, 100)), workdir=tmp_path)
    assert by_class(even.graph)["ImageCompositeMasked"][1]["resize_source"] is False
    assert by_class(odd.graph)["ImageCompositeMasked"][1]["resize_source"] is True
    assert (odd.outputs.width, odd.outputs.height) == (124, 100)
    assert_valid(odd, store)


def test_the_inpaint_model_variant_encodes_for_inpaint_at_denoise_one(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    image = scene(tmp_path / "f.png", (124, 100))
    job = inpaint(book, store, image, template="variants/inpaint_model", workdir=tmp_path)
    nodes = by_class(job.graph)
    assert {"GrowMask", "ImageCompositeMasked", "SetLatentNoiseMask"}.isdisjoint(nodes)
    encode, encode_in = nodes["VAEEncodeForInpaint"]
    assert encode_in["grow_mask_by"] == PACK["tiers"]["inpaint"]["grow_mask_by"]
    assert encode_in["mask"] == [nodes["LoadImageMask"][0], 0]
    assert nodes["KSampler"][1]["latent_image"] == [encode, 0]
    assert nodes["KSampler"][1]["denoise"] == 1.0
    assert (job.outputs.width, job.outputs.height) == (120, 96)
    assert job.template.name == "inpaint_model.json"
    assert_valid(job, store)
    default = inpaint(book, store, image, workdir=tmp_path)
    assert default.request_hash != job.request_hash
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        client = ComfyClient(server.url, journal_dir=tmp_path / "journal")
        [result] = run(client, job, tmp_path / "out")
    with Image.open(result) as img:
        assert img.size == (120, 96)


@pytest.mark.parametrize("title", ["grow_mask", "composite"])
def test_an_inpaint_template_that_lost_a_slot_title_names_the_file_and_the_title(tmp_path, title):
    folder = edited_workflows(
        tmp_path, "inpaint", lambda g: node(g, title)["_meta"].update(title="Some Node")
    )
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    with pytest.raises(ArtfarmError) as err:
        inpaint(
            book, store, scene(tmp_path / "f.png", (128, 128)), workflows_dir=folder,
            workdir=tmp_path,
        )  # fmt: skip
    [(file, field, problem)] = problems_of(err)
    assert (file, field) == ("inpaint.json", title)
    assert f"no node titled {title!r}" in problem
