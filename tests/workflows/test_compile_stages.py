"""Every template compiles for every page and passes the recorded server's validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from artfarm.comfy.objectinfo import validate_graph
from artfarm.documents.book import Book
from artfarm.documents.review import InpaintFix
from artfarm.rendering.canvas import page_canvas
from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from tests.bookfactory import make_book, make_store
from tests.workflows.objectinfo_patch import recorded, with_store

OBJECT_INFO = recorded()


def png(path: Path, size: tuple[int, int]) -> Path:
    Image.new("RGB", size, (200, 180, 150)).save(path)
    return path


def all_stages(book: Book, page: int, store: ModelStore, tmp: Path):
    sizes = book.config.sizes
    draft = png(tmp / f"draft{page}.png", (sizes.draft_width, sizes.draft_height))
    final = png(tmp / f"final{page}.png", (sizes.final_width, sizes.final_height))
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "box", "x": 8, "y": 8, "width": 32, "height": 24}, "prompt": "a paw"}
    )
    yield compile_stage(book, page, "draft", store=store)
    yield compile_stage(book, page, "refine", store=store, image=draft, candidate="c01")
    yield compile_stage(
        book, page, "inpaint", store=store, image=final, fix=fix, fix_index=0, workdir=tmp
    )
    yield compile_stage(book, page, "upscale", store=store, image=final)
    yield compile_stage(book, page, "thumb", store=store)


def assert_valid(job, store):
    errors = validate_graph(job.graph, with_store(OBJECT_INFO, store, job.graph))
    assert errors == [], [e.line() for e in errors]


def test_every_stage_of_a_tiny_book_passes_the_recorded_servers_validation(tmp_path):
    book = make_book(tmp_path, pages=2)
    store = make_store(tmp_path, book)
    for page in book.page_numbers():
        for job in all_stages(book, page, store, tmp_path):
            assert_valid(job, store)


def test_every_stage_of_every_sample_book_page_passes_validation(sample_book, tmp_path):
    book = Book(sample_book)
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    assert len(book.page_numbers()) >= 10
    for page in book.page_numbers():
        for job in all_stages(book, page, store, tmp_path):
            assert_valid(job, store)


def test_draft_renders_the_specs_candidates_at_draft_size_with_the_spec_seed(tmp_path):
    book = make_book(tmp_path)
    job = compile_stage(book, 1, "draft", store=make_store(tmp_path, book))
    spec = book.load_spec(1)
    assert (job.outputs.count, job.outputs.width, job.outputs.height) == (2, 64, 64)
    assert job.seed == spec.seed == job.request["seeds"]["sampler"]
    assert job.filename_prefix == f"artfarm/tiny_01/0001/draft/{job.request_hash[:16]}"


def test_thumb_is_one_small_cheap_candidate_on_the_draft_model(sample_book, tmp_path):
    book = Book(sample_book)
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    draft = compile_stage(book, 1, "draft", store=store)
    thumb = compile_stage(book, 1, "thumb", store=store)
    assert thumb.outputs.count == 1 and thumb.request["outputs"]["count"] == 1
    ratio = (
        thumb.outputs.width * thumb.outputs.height / (draft.outputs.width * draft.outputs.height)
    )
    assert 1 / 12 < ratio < 1 / 7  # about a ninth of the draft's area
    assert (thumb.outputs.width, thumb.outputs.height) == page_canvas(book, 1).thumb
    sampler = next(n for n in thumb.graph.values() if n["class_type"] == "KSampler")["inputs"]
    assert sampler["steps"] == 4  # half the pack's 8 draft steps
    assert thumb.request["models"] == draft.request["models"]
    assert thumb.request_hash != draft.request_hash and thumb.seed != draft.seed


def test_a_packs_own_thumb_tier_sets_the_thumbnails_steps(sample_book, tmp_path):
    import yaml

    pack = sample_book.parent.parent / "style_packs" / "watercolor_whimsy_v1" / "stylepack.yaml"
    data = yaml.safe_load(pack.read_text())
    data["tiers"]["thumb"] = {"sampler": "euler", "steps": 3, "cfg": 4.0}
    pack.write_text(yaml.safe_dump(data))
    book = Book(sample_book)
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    thumb = compile_stage(book, 1, "thumb", store=store)
    sampler = next(n for n in thumb.graph.values() if n["class_type"] == "KSampler")["inputs"]
    assert (sampler["steps"], sampler["sampler_name"], sampler["cfg"]) == (3, "euler", 4.0)


def test_refine_scales_the_draft_to_final_size_and_repeats_it_per_variant(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    job = compile_stage(
        book, 1, "refine", store=store, image=png(tmp_path / "d.png", (64, 64)), candidate="c01"
    )
    kinds = {n["class_type"]: n["inputs"] for n in job.graph.values()}
    assert kinds["ImageScale"]["width"] == 128 and kinds["RepeatLatentBatch"]["amount"] == 2
    assert kinds["CheckpointLoaderSimple"]["ckpt_name"] == "final_a.safetensors"
    assert kinds["KSampler"]["denoise"] == 0.35
    assert set(job.inputs) == {"init_image"}


def test_refine_adds_a_controlnet_branch_when_the_pack_names_one(tmp_path):
    from tests.bookfactory import PACK

    pack = {**PACK, "controlnet": {"model": "tile.safetensors", "strength": 0.5}}
    models = {
        "draft": {"checkpoint": "draft_a.safetensors"},
        "final": {"checkpoint": "final_a.safetensors"},
        "loras": ["style_a.safetensors"],
        "controlnet": "tile.safetensors",
    }
    book = make_book(tmp_path, pack=pack, models=models)
    store = make_store(tmp_path, book)
    job = compile_stage(
        book, 1, "refine", store=store, image=png(tmp_path / "d.png", (64, 64)), candidate="c01"
    )
    classes = [n["class_type"] for n in job.graph.values()]
    assert "ControlNetApplyAdvanced" in classes
    assert "controlnet/tile.safetensors" in job.request["models"]
    assert_valid(job, store)


def test_upscale_without_a_pinned_upscaler_resizes_then_runs_a_low_denoise_pass(tmp_path):
    models = {
        "draft": {"checkpoint": "draft_a.safetensors"},
        "final": {"checkpoint": "final_a.safetensors"},
        "loras": ["style_a.safetensors"],
    }
    book = make_book(tmp_path, models=models)
    store = make_store(tmp_path, book)
    job = compile_stage(book, 1, "upscale", store=store, image=png(tmp_path / "f.png", (128, 128)))
    classes = {n["class_type"] for n in job.graph.values()}
    assert "UpscaleModelLoader" not in classes and "ImageUpscaleWithModel" not in classes
    assert {"ImageScale", "VAEDecodeTiled", "KSampler"} <= classes
    assert (job.outputs.width, job.outputs.height) == (256, 256)
    assert_valid(job, store)


def test_upscale_at_book_size_reaches_at_least_3072_by_4096(sample_book, tmp_path):
    book = Book(sample_book)
    store = ModelStore(tmp_path / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    final = png(tmp_path / "final.png", (1536, 2048))
    job = compile_stage(book, 1, "upscale", store=store, image=final)
    assert job.outputs.width >= 3072 and job.outputs.height >= 4096
    assert "upscale_models/2x_sketch_upscaler.pth" in job.request["models"]


def test_inpaint_prompt_is_the_fix_plus_global_constraints_and_the_page_negative(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "polygon", "points": [[1, 1], [60, 5], [30, 70]]}, "prompt": "a paw"}
    )
    image = png(tmp_path / "f.png", (128, 128))
    job = compile_stage(
        book, 1, "inpaint", store=store, image=image, fix=fix, fix_index=1, workdir=tmp_path
    )
    texts = {n["_meta"]["title"]: n["inputs"].get("text") for n in job.graph.values()}
    draft = compile_stage(book, 1, "draft", store=store)
    draft_texts = {n["_meta"]["title"]: n["inputs"].get("text") for n in draft.graph.values()}
    assert texts["positive"] == "a paw, gentle, friendly"
    assert texts["negative"] == draft_texts["negative"]
    assert job.inputs["mask"].is_file()
    assert job.seed != book.load_spec(1).seed


@pytest.mark.parametrize("stage", ["draft", "refine", "inpaint", "upscale", "thumb"])
def test_the_save_prefix_is_unique_per_job(tmp_path, stage):
    book = make_book(tmp_path, pages=2)
    store = make_store(tmp_path, book)
    jobs = [j for p in (1, 2) for j in all_stages(book, p, store, tmp_path) if j.stage == stage]
    assert len({j.filename_prefix for j in jobs}) == 2
