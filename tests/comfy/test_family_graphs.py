"""Every family's compiled graphs, POSTed to a server's own /prompt validation: the sketch
server, or the real ComfyUI ARTFARM_COMFYUI_URL names (its model folders must hold files
named as the pins below — empty stand-ins do: validation checks names, and the queued job,
which would fail loading them, is cancelled at once)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from PIL import Image

from artfarm.comfy.client import ComfyClient
from artfarm.comfy.doctor import MODEL_LISTS, listed_models
from artfarm.documents.bible import SHEET, BibleItem
from artfarm.documents.book import Book
from artfarm.documents.review import InpaintFix
from artfarm.rendering.compiler import CompiledJob, compile_item, compile_stage
from artfarm.rendering.modelstore import ModelStore, book_pins, lock_book, write_placeholders
from artfarm.sketch.testing import running_sketch_server
from tests.bookmaker import make_project
from tests.comfy.conftest import REAL_URL, quick_client

FLUX = {
    "family": "flux-kontext",
    "unet": "flux1-dev-kontext_fp8_scaled.safetensors",
    "clip": ["clip_l.safetensors", "t5xxl_fp8_e4m3fn_scaled.safetensors"],
    "vae": "ae.safetensors",
}
QWEN = {
    "family": "qwen-image-edit-plus",
    "unet": "qwen_image_edit_2509_fp8_e4m3fn.safetensors",
    "clip": ["qwen_2.5_vl_7b_fp8_scaled.safetensors"],
    "vae": "qwen_image_vae.safetensors",
}
REDUX = {
    **FLUX,
    "style_model": "flux1-redux-dev.safetensors",
    "clip_vision": "sigclip_vision_patch14_384.safetensors",
}
SD15 = {"family": "sd15", "checkpoint": "sd15_draft.safetensors"}
SDXL = {"family": "sdxl", "checkpoint": "sdxl_base.safetensors", "vae": "sdxl_vae.safetensors"}
UPSCALER = "2x_sketch_upscaler.pth"
TIERS = {  # draft tier, final tier
    "flux-kontext": (FLUX, FLUX),
    "qwen-image-edit-plus": (QWEN, QWEN),
    "flux-kontext+redux": (REDUX, REDUX),
    "flux-kontext→qwen": (FLUX, QWEN),
    "sd15": (SD15, SD15),
    "sdxl": (SDXL, SDXL),
}


def pinned_book(root: Path, store: ModelStore, draft: dict, final: dict) -> Book:
    """The tiny book on these tiers, its bear's sheet rendered (Phase 0), pins locked."""
    make_project(root)
    book_dir = root / "books" / "tiny_01"
    bible = book_dir / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    data["characters"][0].update(sheets=[], render_sheet={"seed": 7, "candidates": 2})
    bible.write_text(yaml.safe_dump(data))
    config = book_dir / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["models"].update(draft=draft, final=final, upscaler=UPSCALER)
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    book = Book(book_dir)
    write_placeholders(book, store)
    lock_book(book, store)
    return book


def stage_jobs(book: Book, store: ModelStore, tmp: Path) -> dict[str, Callable[[], CompiledJob]]:
    """Every stage the pipeline compiles: pages with two and three references, sheets."""
    image, draft = tmp / "final.png", tmp / "c01.png"
    Image.new("RGB", (130, 162), (90, 120, 90)).save(image)  # not a multiple of 8
    Image.new("RGB", (64, 80), (90, 120, 90)).save(draft)
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "box", "x": 8, "y": 8, "width": 40, "height": 30}, "prompt": "a paw"}
    )
    return {
        "draft p1": lambda: compile_stage(book, 1, "draft", store=store),
        "draft p3": lambda: compile_stage(book, 3, "draft", store=store),
        "thumb p3": lambda: compile_stage(book, 3, "thumb", store=store),
        "refine p3": lambda: compile_stage(
            book, 3, "refine", store=store, image=draft, candidate="c01"
        ),
        "inpaint": lambda: compile_stage(
            book, 3, "inpaint", store=store, image=image, fix=fix, fix_index=0, workdir=tmp
        ),
        "upscale": lambda: compile_stage(book, 3, "upscale", store=store, image=image),
        "sheet draft": lambda: compile_item(book, BibleItem(SHEET, "bear"), "draft", store=store),
        "sheet refine": lambda: compile_item(
            book, BibleItem(SHEET, "bear"), "refine", store=store, image=draft, candidate="c01"
        ),
    }


@pytest.fixture
def server_and_store(tmp_path: Path) -> Iterator[tuple[str, ModelStore]]:
    """The real server with a local store beside it (the lock's hashes), or a sketch server
    reading that store."""
    store = ModelStore(tmp_path / "models")
    if REAL_URL:
        yield REAL_URL.rstrip("/"), store
        return
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        yield server.url, store


def unlisted_pins(client: ComfyClient, book: Book) -> list[str]:
    info = client.object_info(refresh=True)
    return [
        ref.key
        for ref in book_pins(book).values()
        if ref.folder in MODEL_LISTS and ref.name not in (listed_models(info, ref.folder) or [])
    ]


@pytest.mark.parametrize("tiers", sorted(TIERS))
def test_every_stage_graph_of_a_family_passes_the_servers_own_validation(
    server_and_store: tuple[str, ModelStore], tmp_path: Path, tiers: str
) -> None:
    url, store = server_and_store
    book = pinned_book(tmp_path / "project", store, *TIERS[tiers])
    with quick_client(url, tmp_path) as client:
        missing = unlisted_pins(client, book)
        if REAL_URL and missing:
            pytest.skip(f"put files named {', '.join(missing)} in the server's model folders")
        assert missing == []
        for name, make in stage_jobs(book, store, tmp_path).items():
            job = make()
            for path in job.inputs.values():
                client.upload(path)
            prompt_id = client.submit(job.graph)  # a refused graph raises GraphRejected
            client.cancel(prompt_id)  # stand-in weights: never let it run
            assert prompt_id, name
