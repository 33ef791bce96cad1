"""The request hash changes exactly when the render would: never for ids, always for models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from PIL import Image

from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.modelstore import lock_book
from artfarm.rendering.seeds import derive_seed
from tests.bookfactory import PACK, fresh, make_book, make_store

STAGES = ("draft", "refine", "inpaint", "upscale")


def hashes(book, store, tmp: Path, workflows_dir: Path | None = None) -> dict[tuple, str]:
    from artfarm.documents.review import InpaintFix

    image = tmp / "img.png"
    if not image.exists():
        Image.new("RGB", (64, 64), (90, 120, 60)).save(image)
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "box", "x": 4, "y": 4, "width": 16, "height": 16}, "prompt": "a paw"}
    )
    args = {
        "draft": {},
        "refine": {"image": image, "candidate": "c01"},
        "inpaint": {"image": image, "fix": fix, "fix_index": 0, "workdir": tmp / "masks"},
        "upscale": {"image": image},
    }
    book = fresh(book)
    return {
        (page, stage): compile_stage(
            book, page, stage, store=store, workflows_dir=workflows_dir, **args[stage]
        ).request_hash
        for page in book.page_numbers()
        for stage in STAGES
    }


def changed(before: dict, after: dict) -> set:
    return {k for k in before if before[k] != after[k]}


def test_compiling_twice_gives_the_same_hash(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    assert hashes(book, store, tmp_path) == hashes(book, store, tmp_path)


def test_changing_a_lora_strength_changes_every_page_of_that_pack_and_no_other_book(tmp_path):
    book = make_book(tmp_path / "a", book_id="tiny_01")
    other = make_book(tmp_path / "b", book_id="tiny_02")
    store = make_store(tmp_path, book)
    make_store(tmp_path, other)
    before, other_before = hashes(book, store, tmp_path), hashes(other, store, tmp_path)
    pack = json.loads(json.dumps(PACK))
    pack["loras"][0]["strength_model"] = 0.5
    (book.style_pack.directory / "stylepack.yaml").write_text(yaml.safe_dump(pack))
    assert changed(before, hashes(book, store, tmp_path)) == set(before)
    assert hashes(other, store, tmp_path) == other_before


def test_renumbering_the_templates_node_ids_changes_no_hash(tmp_path):
    from artfarm.rendering.workflow import WORKFLOWS_DIR

    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    renumbered = tmp_path / "workflows"
    for src in WORKFLOWS_DIR.glob("*.json"):
        graph = json.loads(src.read_text())
        new_id = {old: str(100 + 7 * i) for i, old in enumerate(reversed(list(graph)))}
        out = {}
        for old, node in graph.items():
            for name, value in node["inputs"].items():
                if isinstance(value, list):
                    node["inputs"][name] = [new_id[value[0]], value[1]]
            out[new_id[old]] = node
        renumbered.mkdir(exist_ok=True)
        (renumbered / src.name).write_text(json.dumps(out))
    assert hashes(book, store, tmp_path, renumbered) == hashes(book, store, tmp_path)


def test_swapping_the_draft_model_changes_only_drafts(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    before = hashes(book, store, tmp_path)
    (store.root / "checkpoints" / "draft_a.safetensors").write_bytes(b"new draft")
    lock_book(book, store, repin=True)
    assert changed(before, hashes(book, store, tmp_path)) == {
        (p, "draft") for p in book.page_numbers()
    }


def test_swapping_the_final_model_changes_refine_inpaint_and_upscale_only(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    before = hashes(book, store, tmp_path)
    (store.root / "checkpoints" / "final_a.safetensors").write_bytes(b"new final")
    lock_book(book, store, repin=True)
    assert changed(before, hashes(book, store, tmp_path)) == {
        (p, s) for p in book.page_numbers() for s in ("refine", "inpaint", "upscale")
    }


def test_swapping_the_upscaler_changes_only_upscales(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    before = hashes(book, store, tmp_path)
    (store.root / "upscale_models" / "2x_up.pth").write_bytes(b"other upscaler")
    lock_book(book, store, repin=True)
    assert changed(before, hashes(book, store, tmp_path)) == {
        (p, "upscale") for p in book.page_numbers()
    }


def test_a_different_input_image_changes_the_hash_but_not_its_file_name(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    a, b = tmp_path / "a" / "draft.png", tmp_path / "b" / "draft.png"
    for path, colour in ((a, (1, 2, 3)), (b, (4, 5, 6))):
        path.parent.mkdir()
        Image.new("RGB", (64, 64), colour).save(path)
    shutil.copy(a, tmp_path / "a_copy.png")
    job = lambda img: compile_stage(book, 1, "refine", store=store, image=img, candidate="c01")  # noqa: E731
    assert job(a).request_hash != job(b).request_hash
    assert job(a).request_hash == job(tmp_path / "a_copy.png").request_hash


def test_later_stages_use_derived_seeds_that_are_recorded(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    image = tmp_path / "d.png"
    Image.new("RGB", (64, 64)).save(image)
    c1 = compile_stage(book, 1, "refine", store=store, image=image, candidate="c01")
    c2 = compile_stage(book, 1, "refine", store=store, image=image, candidate="c02")
    spec_seed = book.load_spec(1).seed
    assert c1.seed == derive_seed(spec_seed, "refine", "c01") == c1.request["seeds"]["sampler"]
    assert c1.seed != c2.seed and 0 <= c1.seed < 2**64
