"""Model families: each family's graphs, its references in them, and the sketch server's
proof that a reference reached the picture (the character takes its sheet's colour)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageDraw

from artfarm.comfy.client import ComfyClient
from artfarm.comfy.objectinfo import validate_graph
from artfarm.documents.book import Book
from artfarm.documents.review import InpaintFix
from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.rendering.reference_board import board_image
from artfarm.sketch.testing import running_sketch_server
from tests.bookmaker import edit_spec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "comfyui"
PINS = {
    "sd15": {"checkpoint": "sd15_{tier}.safetensors"},
    "sdxl": {"checkpoint": "sdxl_{tier}.safetensors", "vae": "sdxl_vae.safetensors"},
    "flux-kontext": {
        "unet": "flux1-kontext-{tier}.safetensors",
        "clip": ["clip_l.safetensors", "t5xxl_fp8.safetensors"],
        "vae": "ae.safetensors",
    },
    "qwen-image-edit-plus": {
        "unet": "qwen_image_edit_2509_{tier}.safetensors",
        "clip": ["qwen_2.5_vl_7b.safetensors"],
        "vae": "qwen_image_vae.safetensors",
    },
}
REFERENCE_FAMILIES = ["flux-kontext", "qwen-image-edit-plus"]
SHEETS = Path("bible") / "character_refs"


def pin_family(book_dir: Path, family: str) -> tuple[Book, ModelStore]:
    """Both tiers of the book on `family`, placeholders in the store, the lock rewritten."""
    config = book_dir / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    for tier in ("draft", "final"):
        pin = json.loads(json.dumps(PINS[family]).replace("{tier}", tier))
        data["models"][tier] = {"family": family, **pin}
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    book = Book(book_dir)
    store = ModelStore(book_dir.parent.parent / "models")
    write_placeholders(book, store)
    lock_book(book, store, repin=True)
    return book, store


def draft(book: Book, store: ModelStore, page: int):
    return compile_stage(book, page, "draft", store=store)


def refine(book: Book, store: ModelStore, page: int, tmp_path: Path):
    image = tmp_path / "c01.png"
    Image.new("RGB", (64, 80), (90, 120, 90)).save(image)
    return compile_stage(book, page, "refine", store=store, image=image, candidate="c01")


@pytest.fixture(scope="module")
def object_info() -> dict:
    return json.loads((FIXTURES / "object_info.json").read_text())


@pytest.mark.parametrize("family", sorted(PINS))
def test_every_familys_graphs_validate_against_the_recorded_object_info(
    tiny_book: Path, tmp_path: Path, family: str, object_info: dict
) -> None:
    book, store = pin_family(tiny_book, family)
    image = tmp_path / "final.png"
    Image.new("RGB", (128, 160), (90, 120, 90)).save(image)
    jobs = [draft(book, store, 3), draft(book, store, 2), refine(book, store, 3, tmp_path)]
    jobs.append(compile_stage(book, 3, "upscale", store=store, image=image))
    fix = InpaintFix.model_validate(
        {"mask": {"kind": "box", "x": 8, "y": 8, "width": 40, "height": 30}, "prompt": "a paw"}
    )
    jobs.append(
        compile_stage(
            book, 3, "inpaint", store=store, image=image, fix=fix, fix_index=0, workdir=tmp_path
        )
    )
    for job in jobs:
        assert validate_graph(job.graph, object_info, check_files=False) == [], job.stage


@pytest.mark.parametrize("family", REFERENCE_FAMILIES)
def test_a_pages_draft_and_refine_carry_its_characters_sheets(
    tiny_book: Path, tmp_path: Path, family: str
) -> None:
    book, store = pin_family(tiny_book, family)
    thumb = compile_stage(book, 1, "thumb", store=store)  # the storyboard's draft too
    for job in (draft(book, store, 1), refine(book, store, 1, tmp_path), thumb):
        assert job.request["references"] == {
            "ref_1": ["character:bear bible/character_refs/bear.png"],
            "ref_2": ["style:style bible/style_refs/style_01.png"],
        }
        assert job.inputs["ref_1"].read_bytes() == (tiny_book / SHEETS / "bear.png").read_bytes()
        assert "ref_3" not in json.dumps(job.graph)  # an empty slot is unplugged


def test_more_references_than_slots_share_the_last_slot_as_a_board(
    tiny_book: Path, tmp_path: Path
) -> None:
    book, store = pin_family(tiny_book, "flux-kontext")
    job = draft(book, store, 3)  # bear, fox, style: two slots
    assert job.request["references"]["ref_2"] == [
        "character:fox bible/character_refs/fox.png",
        "style:style bible/style_refs/style_01.png",
    ]
    with Image.open(job.inputs["ref_2"]) as board:
        sheets = [
            Image.open(tiny_book / SHEETS / "fox.png"),
            Image.open(book.root / "bible/style_refs/style_01.png"),
        ]
        assert board.tobytes() == board_image(sheets).tobytes()
    again = draft(book, store, 3)
    assert again.request_hash == job.request_hash  # the board is deterministic
    Image.new("RGB", (64, 48), (1, 2, 3)).save(tiny_book / SHEETS / "fox.png")
    changed = draft(book, store, 3)
    assert changed.request_hash != job.request_hash  # the board's bytes are in the hash
    assert changed.request["uploads"]["ref_1"] == job.request["uploads"]["ref_1"]


def test_a_page_without_references_runs_the_prompt_alone(tiny_book: Path) -> None:
    book, store = pin_family(tiny_book, "flux-kontext")
    spec = tiny_book / "pages" / "0001" / "renderspec.json"
    data = json.loads(spec.read_text())
    data["refs"] = {"style": [], "characters": {}}
    spec.write_text(json.dumps(data))
    bible = tiny_book / "bible" / "characters.yaml"
    chars = yaml.safe_load(bible.read_text())
    chars["characters"][0]["sheets"] = []
    bible.write_text(yaml.safe_dump(chars))
    job = draft(book, store, 1)
    kinds = {node["class_type"] for node in job.graph.values()}
    assert not kinds & {"LoadImage", "ReferenceLatent", "ImageStitch"}
    assert "references" not in job.request


def test_a_family_without_a_graph_for_a_stage_says_so_in_one_line(tiny_book: Path) -> None:
    book, store = pin_family(tiny_book, "qwen-image-edit-plus")
    with pytest.raises(ArtfarmError) as err:
        compile_stage(book, 1, "draft", store=store, template="variants/draft_ipadapter")
    [problem] = err.value.problems
    assert problem.field == "models.draft.family"
    assert "family qwen-image-edit-plus has no graph for stage draft" in problem.problem


def test_the_sd15_default_graph_takes_no_reference(tiny_book: Path) -> None:
    book, store = pin_family(tiny_book, "sd15")
    job = draft(book, store, 3)
    assert "references" not in job.request and job.inputs == {}


def run(client: ComfyClient, job, dest: Path) -> list[Path]:
    record = client.run(job.graph, job.inputs, dest, job_key=job.request_hash)
    return [Path(o.path) for o in record.outputs]


def uploaded(server, job, slot: str) -> bytes:
    image = job.graph[_slot(job.graph, slot)]["inputs"]["image"]
    return (server.dirs["input"] / image).read_bytes()


def _slot(graph: dict, title: str) -> str:
    return next(nid for nid, node in graph.items() if node["_meta"]["title"] == title)


def colour_share(path: Path, colour: tuple[int, int, int]) -> int:
    """Pixels of `path` close to `colour`."""
    with Image.open(path) as img:
        data = img.convert("RGB").tobytes()
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    return sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, colour, strict=True)) < 30)


MAGENTA = (230, 20, 210)


@pytest.mark.parametrize("family", REFERENCE_FAMILIES)
def test_through_the_sketch_server_the_sheet_reaches_the_picture_and_its_colour_follows(
    tiny_book: Path, tmp_path: Path, family: str
) -> None:
    book, store = pin_family(tiny_book, family)
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        client = ComfyClient(server.url, journal_dir=tmp_path / "journal")
        before = draft(book, store, 1)
        drafts = run(client, before, tmp_path / "before")
        assert uploaded(server, before, "ref_1") == (tiny_book / SHEETS / "bear.png").read_bytes()
        variants = run(client, refine(book, store, 1, tmp_path), tmp_path / "refine")
        assert variants
        sheet = tiny_book / SHEETS / "bear.png"
        Image.new("RGB", (64, 48), "white").save(sheet)
        picture = Image.open(sheet)
        ImageDraw.Draw(picture).ellipse([8, 8, 56, 40], fill=MAGENTA)
        picture.save(sheet)
        after = draft(book, store, 1)
        changed = run(client, after, tmp_path / "after")
        assert uploaded(server, after, "ref_1") == sheet.read_bytes()
    assert after.request_hash != before.request_hash
    assert [p.read_bytes() for p in changed] != [p.read_bytes() for p in drafts]
    assert all(colour_share(p, MAGENTA) == 0 for p in drafts)
    assert all(colour_share(p, MAGENTA) > 0 for p in changed)  # the bear wears its sheet's colour


RED = (200, 40, 40)


def test_a_pinned_redux_model_takes_the_style_reference_and_the_ground_takes_its_colour(
    tiny_book: Path, tmp_path: Path, object_info: dict
) -> None:
    book, store = pin_family(tiny_book, "flux-kontext")
    style = tiny_book / "bible" / "style_refs" / "style_01.png"
    Image.new("RGB", (64, 48), RED).save(style)
    plain = draft(book, store, 1)  # no Redux: the style reference is a ReferenceLatent image
    config = tiny_book / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["models"]["draft"].update(
        style_model="flux1-redux-dev.safetensors", clip_vision="sigclip_vision_384.safetensors"
    )
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    book = Book(tiny_book)
    write_placeholders(book, store)
    lock_book(book, store, repin=True)
    job = draft(book, store, 1)
    assert job.request["references"] == {
        "ref_1": ["character:bear bible/character_refs/bear.png"],
        "redux_ref": ["style:style bible/style_refs/style_01.png"],
    }
    assert job.inputs["redux_ref"].read_bytes() == style.read_bytes()
    kinds = [node["class_type"] for node in job.graph.values()]
    assert "StyleModelApply" in kinds and "ImageStitch" in kinds
    assert validate_graph(job.graph, object_info, check_files=False) == []
    with running_sketch_server(tmp_path, models_dir=store.root) as server:
        client = ComfyClient(server.url, journal_dir=tmp_path / "journal")
        styled = run(client, job, tmp_path / "styled")
        assert uploaded(server, job, "redux_ref") == style.read_bytes()
        unstyled = run(client, plain, tmp_path / "plain")
    assert all(colour_share(p, RED) > 100 for p in styled)  # the ground takes the style's colour
    assert all(colour_share(p, RED) < 10 for p in unstyled)


@pytest.mark.parametrize("family", REFERENCE_FAMILIES)
def test_a_rendered_sheet_runs_on_its_tiers_family(
    tiny_book: Path, tmp_path: Path, family: str, object_info: dict
) -> None:
    from artfarm.documents.bible import SHEET, BibleItem
    from artfarm.rendering.compiler import compile_item

    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    data["characters"][0].update(sheets=[], render_sheet={"seed": 7, "candidates": 2})
    bible.write_text(yaml.safe_dump(data))
    book, store = pin_family(tiny_book, family)
    image = tmp_path / "c01.png"
    Image.new("RGB", (80, 64), (90, 120, 90)).save(image)
    jobs = [
        compile_item(book, BibleItem(SHEET, "bear"), "draft", store=store),
        compile_item(
            book, BibleItem(SHEET, "bear"), "refine", store=store, image=image, candidate="c01"
        ),
    ]
    for job in jobs:
        kinds = {node["class_type"] for node in job.graph.values()}
        assert "UNETLoader" in kinds and "CheckpointLoaderSimple" not in kinds
        assert "references" not in job.request  # a sheet starts from words alone
        assert validate_graph(job.graph, object_info, check_files=False) == []


def test_a_page_whose_rendered_sheet_is_not_approved_yet_says_so_in_one_line(
    tiny_book: Path,
) -> None:
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    data["characters"][0].update(sheets=[], render_sheet={"seed": 7, "candidates": 2})
    bible.write_text(yaml.safe_dump(data))
    edit_spec(tiny_book, 1, refs={"style": [], "characters": {}})
    (tiny_book / SHEETS / "bear.png").unlink()  # Phase 0 has not made it yet
    book, store = pin_family(tiny_book, "flux-kontext")
    with pytest.raises(ArtfarmError) as err:
        draft(book, store, 1)
    [problem] = err.value.problems
    assert problem.file.endswith("0001/renderspec.json") and problem.field == "characters.bear"
    assert "bear's rendered sheet (bible/character_refs/bear.png), not approved yet" in str(
        problem.problem
    )
    assert "artfarm next" in problem.fix


def test_a_page_whose_golden_image_is_not_approved_yet_names_the_golden_image(
    tiny_book: Path,
) -> None:
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    hills = {"id": "hills", "scene": "hills", "image": "bible/style_refs/style_01.png"}
    data["style_refs"] = [
        {"id": "meadow", "scene": "a sunny meadow", "pages": [1], "render": {"seed": 5}},
        hills,
        dict(hills, id="dunes"),
    ]
    bible.write_text(yaml.safe_dump(data))
    characters = {"bear": ["bible/character_refs/bear.png"]}
    edit_spec(tiny_book, 1, refs={"style": [], "characters": characters})
    book, store = pin_family(tiny_book, "flux-kontext")
    with pytest.raises(ArtfarmError) as err:
        draft(book, store, 1)
    [problem] = err.value.problems
    assert problem.file.endswith("0001/renderspec.json") and problem.field == "style_refs.meadow"
    assert problem.problem == (
        "the page uses the golden image (bible/style_refs/meadow.png), not approved yet"
    )
    assert "render and review style:meadow first" in problem.fix
