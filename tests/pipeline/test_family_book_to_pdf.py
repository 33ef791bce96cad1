"""A diffusion-family book end to end through the real Snakefile on a sketch server: the sample
book cut to two pages, its draft tier on flux-kontext (two reference slots: the rest share a
board) and its final tier on qwen-image-edit-plus (three slots), from Gingerbread Boy's words
to his rendered sheet, drafts, review, refine, an inpaint fix, final, print and pages.pdf."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageDraw

from artfarm.pipeline.awaiting import WAITING
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.rendering.reference_board import board_image
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import Project, write_config
from tests.pipeline.test_sample_book_to_pdf import BOOK, cut_sample_book

pytestmark = pytest.mark.slow

PAGES = (1, 2)
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
BEAR = "character:bear bible/character_refs/bear_sheet_A.png"
GINGERBREAD = "character:gingerbread bible/character_refs/gingerbread.png"
STYLE = "style:style bible/style_refs/style_01.png"
MAGENTA = (230, 20, 210)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


def class_types(job: dict) -> set[str]:
    return {node["class_type"] for node in job["graph"].values()}


def magenta_pixels(path: Path) -> int:
    data = pixels(path)
    return sum(
        1
        for i in range(0, len(data), 3)
        if sum(abs(a - b) for a, b in zip(data[i : i + 3], MAGENTA, strict=True)) < 30
    )


def check_references(book_root: Path, job: dict, expected: dict[str, list[str]]) -> None:
    """The request names each slot's images; the uploaded bytes are those images (a slot of
    several: the board of them, by pixels), and the stored input has the recorded hash."""
    assert job["request"]["references"] == expected, job["stage"]
    for slot, names in expected.items():
        paths = [book_root / name.split(" ", 1)[1] for name in names]
        stored = book_root / job["inputs"][slot]["path"]
        assert sha256(stored) == job["inputs"][slot]["sha256"] == job["request"]["uploads"][slot]
        if len(paths) == 1:
            assert job["request"]["uploads"][slot] == sha256(paths[0]), slot
        else:
            sheets = [Image.open(p) for p in paths]
            assert pixels(stored) == board_image(sheets).tobytes(), slot


def review_refine_with_a_fix(project: Project, page: int) -> None:
    """Pick the first variant and ask for one inpaint fix (the final stage runs it)."""
    variants = [
        o["id"] for o in manifest(project.root / BOOK / f"pages/{page:04d}/refine")["outputs"]
    ]
    done = project.artfarm(
        "review", BOOK, str(page), "refine", "--final", variants[0],
        "--reject-rest", "weaker light", "--fix-box", "40", "40", "200", "160",
        "a small bird on the fence", "--rationale", "clear staging",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_flux_kontext_and_qwen_book_goes_from_words_to_pages_pdf(tmp_path: Path) -> None:
    root = tmp_path / "project"
    book = cut_sample_book(root, PAGES)
    config = book.root / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["models"]["draft"], data["models"]["final"] = FLUX, QWEN
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    target = f"{BOOK}/layout/pages.pdf"
    with running_sketch_server(tmp_path, models_dir=tmp_path / "models") as server:
        write_config(root, server.url, server.models_dir)
        store = ModelStore(server.models_dir)
        write_placeholders(book, store)  # empty stand-ins named as the pins, then locked
        lock_book(book, store)
        project = Project(root, server)
        for stage in ("draft", "refine"):  # Phase 0: Gingerbread Boy's sheet from his words
            waiting = project.snakemake(target, timeout=1800)
            assert waiting.returncode == WAITING, waiting.stderr
            assert "sheet:gingerbread: awaiting-" in waiting.stderr
            assert project.artfarm("review", BOOK, "all", stage, "--auto").returncode == 0
        first = project.snakemake(target, timeout=1800)
        assert first.returncode == WAITING, first.stderr  # the pages wait for their drafts
        assert project.artfarm("review", BOOK, "all", "draft", "--auto").returncode == 0
        second = project.snakemake(target, timeout=1800)
        assert second.returncode == WAITING, second.stderr  # ... then for the final pick
        review_refine_with_a_fix(project, 1)
        assert project.artfarm("review", BOOK, "2", "refine", "--auto").returncode == 0
        done = project.snakemake(target, timeout=1800)
        assert done.returncode == 0, done.stderr
        assert (root / target).is_file()
        again = project.snakemake("-n", target)
        assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr

        sheet_dir = book.root / "bible" / "sheets" / "gingerbread"
        for stage, family in (("draft", "UNETLoader"), ("refine", "TextEncodeQwenImageEditPlus")):
            [job] = manifest(sheet_dir / stage)["jobs"]
            assert family in class_types(job) and "references" not in job["request"]
        for page in PAGES:
            folder = book.root / "pages" / f"{page:04d}"
            [draft] = manifest(folder / "draft")["jobs"]  # flux: bear | board(gingerbread, style)
            assert {"ReferenceLatent", "ImageStitch", "DualCLIPLoader"} <= class_types(draft)
            check_references(book.root, draft, {"ref_1": [BEAR], "ref_2": [GINGERBREAD, STYLE]})
            for refine in manifest(folder / "refine")["jobs"]:  # qwen: one image a slot
                assert "TextEncodeQwenImageEditPlus" in class_types(refine)
                check_references(
                    book.root, refine, {"ref_1": [BEAR], "ref_2": [GINGERBREAD], "ref_3": [STYLE]}
                )
            for job in (draft, *manifest(folder / "refine")["jobs"]):  # no pack LoRA here
                assert "LoraLoader" not in class_types(job)
            [upscale] = manifest(folder / "print")["jobs"]
            assert {"UNETLoader", "CLIPLoader", "UpscaleModelLoader"} <= class_types(upscale)
            assert "CheckpointLoaderSimple" not in class_types(upscale)
        inpaints = manifest(book.root / "pages/0001/final")["jobs"]
        assert [j["stage"] for j in inpaints] == ["inpaint"]
        assert {"TextEncodeQwenImageEditPlus", "SetLatentNoiseMask"} <= class_types(inpaints[0])
        assert "CheckpointLoaderSimple" not in class_types(inpaints[0])

        # Colour follows the sheet: Bear's sheet turns magenta → exactly the drafts re-render,
        # Bear is drawn in it, and the pages wait at their (now stale) draft reviews.
        drafts = {p: sorted(book.root.glob(f"pages/{p:04d}/draft/c*.png")) for p in PAGES}
        assert all(magenta_pixels(p) == 0 for files in drafts.values() for p in files)
        sheet = book.root / "bible" / "character_refs" / "bear_sheet_A.png"
        with Image.open(sheet) as old:
            size = old.size
        magenta = Image.new("RGB", size, "white")
        ImageDraw.Draw(magenta).ellipse([20, 20, size[0] - 20, size[1] - 20], fill=MAGENTA)
        magenta.save(sheet)
        planned = project.planned_jobs(target)
        assert sorted(planned["draft"]) == [f"{p:04d}" for p in PAGES]
        assert not [rule for rule in planned if rule.startswith("sheet_")]
        sheet_before = manifest(sheet_dir / "refine")
        redrawn = project.snakemake(target, timeout=1800)
        assert redrawn.returncode == WAITING, redrawn.stderr
        assert manifest(sheet_dir / "refine") == sheet_before  # Bear's sheet is hand-made
    for page in PAGES:
        [draft] = manifest(book.root / "pages" / f"{page:04d}" / "draft")["jobs"]
        assert draft["request"]["uploads"]["ref_1"] == sha256(sheet)
        files = sorted(book.root.glob(f"pages/{page:04d}/draft/c*.png"))
        assert files and all(magenta_pixels(p) > 0 for p in files)
