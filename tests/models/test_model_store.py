"""The model store: standard folders, hashes cached by size+mtime, the book's lock and its refusals."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.modelstore import (
    FOLDERS,
    ModelRef,
    ModelStore,
    book_pins,
    lock_book,
    lock_path,
    write_placeholders,
)
from tests.bookfactory import make_book, make_store


def png(path):
    from PIL import Image

    Image.new("RGB", (128, 128)).save(path)
    return path


def test_placeholders_create_every_pinned_model_and_never_overwrite_a_real_one(tmp_path):
    book = make_book(tmp_path)
    store = ModelStore(tmp_path / "models")
    (store.root / "checkpoints").mkdir(parents=True)
    real = store.root / "checkpoints" / "draft_a.safetensors"
    real.write_bytes(b"real weights")
    written = write_placeholders(book, store)
    assert real.read_bytes() == b"real weights" and real not in written
    assert {r.key for r in store.files()} == {r.key for r in book_pins(book).values()}
    assert all((store.root / f).is_dir() for f in FOLDERS)


def test_locking_a_book_records_the_sha256_of_each_pin(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    lock = json.loads(lock_path(book).read_text())
    assert set(lock["models"]) == {
        "checkpoints/draft_a.safetensors",
        "checkpoints/final_a.safetensors",
        "upscale_models/2x_up.pth",
        "loras/style_a.safetensors",
    }
    import hashlib

    path = store.path(ModelRef("loras", "style_a.safetensors"))
    assert (
        lock["models"]["loras/style_a.safetensors"] == hashlib.sha256(path.read_bytes()).hexdigest()
    )


def test_a_second_hash_run_reads_the_cache_not_the_file(tmp_path):
    store = ModelStore(tmp_path / "models")
    store.ensure_folders()
    path = store.root / "checkpoints" / "m.safetensors"
    path.write_bytes(b"a" * 1000)
    ref = ModelRef("checkpoints", "m.safetensors")
    seen = []
    store.hashes([ref], progress=lambda *a: seen.append(a))
    store.hashes([ref], progress=lambda *a: seen.append(a))
    assert len(seen) == 1


def test_a_changed_file_of_the_same_size_is_hashed_again(tmp_path):
    store = ModelStore(tmp_path / "models")
    store.ensure_folders()
    path = store.root / "checkpoints" / "m.safetensors"
    path.write_bytes(b"a" * 1000)
    ref = ModelRef("checkpoints", "m.safetensors")
    first = store.sha256(ref)
    path.write_bytes(b"b" * 1000)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert store.sha256(ref) != first


def test_compiling_with_a_pinned_model_missing_from_the_store_is_refused(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    (store.root / "loras" / "style_a.safetensors").unlink()
    with pytest.raises(ArtfarmError) as err:
        compile_stage(book, 1, "draft", store=store)
    [problem] = err.value.problems
    assert "loras/style_a.safetensors, which is not in the model store" in problem.problem


def test_compiling_with_a_model_whose_hash_left_the_lock_is_refused_with_the_repin_command(
    tmp_path,
):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    locked = json.loads(lock_path(book).read_text())["models"]["checkpoints/final_a.safetensors"]
    (store.root / "checkpoints" / "final_a.safetensors").write_bytes(b"silently upgraded")
    assert compile_stage(book, 1, "draft", store=store)  # drafts do not use the final model
    with pytest.raises(ArtfarmError) as err:
        compile_stage(book, 1, "upscale", store=store, image=png(tmp_path / "f.png"))
    [problem] = err.value.problems
    assert f"the book pins checkpoints/final_a.safetensors sha256 {locked}, the file has" in (
        problem.problem
    )
    assert "--repin" in problem.fix


def test_locking_again_after_a_swap_needs_repin(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    (store.root / "checkpoints" / "draft_a.safetensors").write_bytes(b"another")
    with pytest.raises(ArtfarmError):
        lock_book(book, store)
    assert lock_book(book, store, repin=True)["checkpoints/draft_a.safetensors"]


def test_a_book_without_a_lock_is_told_to_lock(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book, lock=False)
    with pytest.raises(ArtfarmError) as err:
        compile_stage(book, 1, "draft", store=store)
    assert all("artfarm models lock --book" in p.fix for p in err.value.problems)


def test_a_lora_the_pack_uses_but_the_book_does_not_pin_is_refused(tmp_path):
    models = {
        "draft": {"checkpoint": "draft_a.safetensors"},
        "final": {"checkpoint": "final_a.safetensors"},
        "loras": [],
    }
    book = make_book(tmp_path, models=models)
    store = make_store(tmp_path, book)
    with pytest.raises(ArtfarmError) as err:
        compile_stage(book, 1, "draft", store=store)
    assert err.value.problems[0].field == "models.loras"


def test_extra_model_paths_points_comfyui_at_every_standard_folder(tmp_path):
    store = ModelStore(tmp_path / "models")
    dest = store.write_extra_model_paths(tmp_path / "runtime" / "extra_model_paths.yaml")
    section = yaml.safe_load(dest.read_text())["artfarm"]
    assert section["base_path"] == str(store.root.resolve())
    assert {k for k in section if k not in ("base_path", "is_default")} == set(FOLDERS)
