"""`artfarm validate`: every class of bad input is reported, with file and field, all at once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.rendering.prompts import compile_prompts
from artfarm.rendering.tokens import TEXT_TOKENS, count_tokens
from artfarm.scaffold import PLACEHOLDER_DESCRIPTION, PLACEHOLDER_SCENE, PLACEHOLDER_TEXT
from artfarm.validate import book_warnings, validate_book
from tests.bookmaker import edit_spec
from tests.pipeline.fakes import fake_stage


def spec_path(book: Path, page: int) -> Path:
    return book / "pages" / f"{page:04d}" / "renderspec.json"


def fields(book: Path) -> set[tuple[str, str]]:
    return {(Path(p.file).name, p.field) for p in validate_book(book)}


def test_the_tiny_book_is_valid(tiny_book: Path) -> None:
    assert validate_book(tiny_book) == []


def test_invalid_json_is_reported_with_line_and_column(tiny_book: Path) -> None:
    spec_path(tiny_book, 2).write_text('{\n  "book_id": "tiny_01",\n  "page": 2,,\n}')
    [problem] = validate_book(tiny_book)
    assert problem.file.endswith("0002/renderspec.json")
    assert problem.field == "line 3, column 13"
    assert "invalid JSON" in problem.problem


def test_wrong_types_name_the_field(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, candidates="many", camera={"shot": 3, "angle": "x", "lens": "y"})
    found = fields(tiny_book)
    assert ("renderspec.json", "candidates") in found
    assert ("renderspec.json", "camera.shot") in found


def test_unknown_keys_are_errors_not_dropped(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, colour_mood="sunny")
    [problem] = validate_book(tiny_book)
    assert problem.field == "colour_mood"
    assert "remove this key" in problem.fix


def test_page_number_must_agree_with_folder(tiny_book: Path) -> None:
    edit_spec(tiny_book, 2, page=7)
    [problem] = validate_book(tiny_book)
    assert problem.field == "page"
    assert "folder is 0002" in problem.problem


def test_character_missing_from_bible(tiny_book: Path) -> None:
    owl = [{"id": "owl", "pose": "perched", "emotion": "wise"}]
    edit_spec(tiny_book, 1, characters=owl, refs={"style": [], "characters": {}})
    [problem] = validate_book(tiny_book)
    assert problem.field == "characters[0].id"
    assert "owl" in problem.problem and "bear" in problem.fix


def test_references_for_a_character_not_on_the_page(tiny_book: Path) -> None:
    edit_spec(tiny_book, 2, characters=[])
    [problem] = validate_book(tiny_book)
    assert "refs.characters names fox" in problem.problem


def test_style_pack_that_does_not_exist(tiny_book: Path) -> None:
    edit_spec(tiny_book, 3, style_pack="oil_paint_v9")
    [problem] = validate_book(tiny_book)
    assert problem.field == "style_pack"
    config = tiny_book / "book_config.yaml"
    config.write_text(config.read_text().replace("watercolor_whimsy_v1", "oil_paint_v9", 1))
    problems = validate_book(tiny_book)
    assert any("does not exist" in p.problem and p.field == "style_pack" for p in problems)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("bible/style_refs/nope.png", "does not exist"),
        ("../../../etc/passwd", "must not contain '..'"),
        ("/etc/passwd", "must be relative"),
        ("bible/notes.txt", "not a readable image"),
        ("bible/escape.png", "outside the book"),
    ],
)
def test_bad_reference_images(tiny_book: Path, ref: str, expected: str) -> None:
    (tiny_book / "bible" / "notes.txt").write_text("not an image")
    outside = tiny_book.parent.parent / "outside.png"
    outside.write_bytes((tiny_book / "bible/style_refs/style_01.png").read_bytes())
    os.symlink(outside, tiny_book / "bible" / "escape.png")
    edit_spec(tiny_book, 1, refs={"style": [ref], "characters": {}})
    [problem] = validate_book(tiny_book)
    assert problem.field == "refs.style[0]"
    assert expected in problem.problem


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_seeds_outside_the_64_bit_range(tiny_book: Path, seed: int) -> None:
    edit_spec(tiny_book, 1, seed=seed)
    [problem] = validate_book(tiny_book)
    assert problem.field == "seed"


def test_the_largest_seed_is_fine(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, seed=2**64 - 1)
    assert validate_book(tiny_book) == []


def test_unknown_constraint_names_the_known_ones(tiny_book: Path) -> None:
    edit_spec(tiny_book, 2, constraints=["no text", "make it pop"])
    [problem] = validate_book(tiny_book)
    assert problem.field == "constraints"
    assert "'make it pop'" in problem.problem and "kid-friendly" in problem.fix


def test_every_problem_is_listed_at_once_and_exit_code_is_1(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_path(tiny_book, 1).write_text("{ nope")
    edit_spec(tiny_book, 2, page=9, seed=-5)
    edit_spec(tiny_book, 3, style_pack="missing_pack", extra_field=1)
    assert main(["validate", str(tiny_book)]) == 1
    err = capsys.readouterr().err
    assert "0001/renderspec.json: line 1" in err
    assert "0002/renderspec.json: seed" in err
    assert "0003/renderspec.json: extra_field" in err
    assert "Traceback" not in err


def test_json_output_is_one_record_per_problem(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(tiny_book, 1, seed=-1, bogus=True)
    assert main(["validate", str(tiny_book), "--json"]) == 1
    *records, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    errors = [r for r in records if r["severity"] == "error"]
    assert {r["field"] for r in errors} == {"seed", "bogus"}
    assert all(set(r) == {"file", "field", "problem", "fix", "severity"} for r in records)
    assert summary == {
        "summary": True,
        "book": str(tiny_book),
        "ok": False,
        "problems": 2,
        "warnings": len(records) - 2,
    }


def test_bible_problems_are_reported(tiny_book: Path) -> None:
    bible = tiny_book / "bible" / "characters.yaml"
    bible.write_text(bible.read_text().replace("bible/character_refs/fox.png", "../fox.png"))
    [problem] = validate_book(tiny_book)
    assert problem.field == "characters[1].sheets[0]"


def test_invalid_yaml_is_reported_with_line(tiny_book: Path) -> None:
    (tiny_book / "book_config.yaml").write_text("book_id: tiny_01\ntitle: [unclosed\n")
    problems = validate_book(tiny_book)
    assert any(p.field.startswith("line ") and "invalid YAML" in p.problem for p in problems)


def test_a_hand_written_review_is_validated_too(tiny_book: Path) -> None:
    review = tiny_book / "pages" / "0001" / "review.json"
    review.write_text(json.dumps({"book_id": "tiny_01", "page": 1, "draft": {"selected": []}}))
    found = {p.field for p in validate_book(tiny_book)}
    assert "draft.selected" in found and "draft.rationale" in found


def test_console_script_shows_no_traceback_for_user_errors(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, seed="lots")
    done = subprocess.run(
        [sys.executable, "-m", "artfarm", "validate", str(tiny_book)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "0001/renderspec.json: seed" in done.stderr
    assert "Traceback" not in done.stderr


def test_layout_pages_must_have_a_spec(tiny_book: Path) -> None:
    layout = tiny_book / "layout" / "book.yaml"
    layout.write_text(layout.read_text() + "- page: 7\n  text: A page nobody planned.\n")
    [problem] = validate_book(tiny_book)
    assert problem.field == "pages[3].page"
    assert "0007/renderspec.json" in problem.problem


# ---------------------------------------------------------------- what the pipeline would refuse


def test_scaffold_placeholders_left_are_named(tiny_book: Path) -> None:
    edit_spec(tiny_book, 2, scene=PLACEHOLDER_SCENE)
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    data["characters"][1]["description"] = PLACEHOLDER_DESCRIPTION
    bible.write_text(yaml.safe_dump(data))
    layout = tiny_book / "layout" / "book.yaml"
    layout.write_text(layout.read_text().replace("Words for page 3.", PLACEHOLDER_TEXT))
    assert fields(tiny_book) == {
        ("renderspec.json", "scene"),
        ("characters.yaml", "characters[1].description"),
        ("book.yaml", "pages[2].text"),
    }


def test_a_spec_without_a_layout_page_is_a_problem(tiny_book: Path) -> None:
    layout = tiny_book / "layout" / "book.yaml"
    data = yaml.safe_load(layout.read_text())
    data["pages"] = data["pages"][:2]
    layout.write_text(yaml.safe_dump(data))
    [problem] = validate_book(tiny_book)
    assert problem.file.endswith("0003/renderspec.json")
    assert "no entry in layout/book.yaml" in problem.problem and "- page: 3" in problem.fix


def test_models_not_locked_is_a_problem(tiny_book: Path) -> None:
    (tiny_book / "models.lock.json").unlink()
    [problem] = validate_book(tiny_book)
    assert problem.file.endswith("models.lock.json")
    assert "artfarm models lock --book" in problem.fix


def test_a_stale_model_lock_is_a_problem(tiny_book: Path) -> None:
    model = tiny_book.parent.parent / "models" / "checkpoints" / "sketch_final_v1.safetensors"
    model.write_bytes(b"another model under the pinned name")
    [problem] = validate_book(tiny_book)
    assert problem.field == "checkpoints/sketch_final_v1.safetensors"
    assert "--repin" in problem.fix


def review_data(draft_sha: str, **draft: object) -> dict[str, object]:
    judged = {
        "drafts_sha256": draft_sha,
        "rationale": "clear staging",
        "reviewer": "test",
        "reviewed_at": "2026-01-01T00:00:00Z",
    }
    return {"book_id": "tiny_01", "page": 1, "draft": {**judged, **draft}}


def write_review(book: Path, data: dict[str, object]) -> None:
    (book / "pages" / "0001" / "review.json").write_text(json.dumps(data))


def test_review_problems_the_gates_raise_are_reported(tiny_book: Path) -> None:
    book = Book(tiny_book)
    drafts = fake_stage(book, 1, "draft", ["c01", "c02", "c03"])
    write_review(tiny_book, review_data(drafts.images_sha256, selected=["c07"], rejected={}))
    found = {(p.field, p.problem) for p in validate_book(tiny_book)}
    assert ("draft.selected[0]", "c07 is not a draft of this page") in found
    assert ("draft.rejected", "no reason given for rejecting c01, c02, c03") in found


def test_a_stale_review_is_reported(tiny_book: Path) -> None:
    book = Book(tiny_book)
    drafts = fake_stage(book, 1, "draft", ["c01", "c02"])
    write_review(
        tiny_book, review_data(drafts.images_sha256, selected=["c01"], rejected={"c02": "dull"})
    )
    assert validate_book(tiny_book) == []
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"])  # re-rendered after the review
    [problem] = validate_book(tiny_book)
    assert problem.field == "draft.drafts_sha256" and "stale" in problem.problem


def test_a_mask_outside_the_image_is_reported(tiny_book: Path) -> None:
    book = Book(tiny_book)
    drafts = fake_stage(book, 1, "draft", ["c01"])
    fake_stage(book, 1, "selected", ["c01"])
    variants = fake_stage(book, 1, "refine", ["c01-v1"], size=(64, 80))
    data = review_data(drafts.images_sha256, selected=["c01"])
    data["refine"] = {
        "variants_sha256": variants.images_sha256,
        "final": "c01-v1",
        "fixes": [
            {
                "mask": {"kind": "box", "x": 60, "y": 10, "width": 40, "height": 10},
                "prompt": "a paw with four toes",
            }
        ],
        "rationale": "best light",
        "reviewer": "test",
        "reviewed_at": "2026-01-01T00:00:00Z",
    }
    write_review(tiny_book, data)
    [problem] = validate_book(tiny_book)
    assert problem.field == "refine.fixes[0].mask"


def test_a_spread_on_a_right_hand_page_is_reported(tiny_book: Path) -> None:
    layout = tiny_book / "layout" / "book.yaml"
    data = yaml.safe_load(layout.read_text())
    data["pages"][1]["spread"] = True  # title (1), page 1 (2), page 2 would start on 3
    layout.write_text(yaml.safe_dump(data))
    [problem] = validate_book(tiny_book)
    assert problem.field == "pages[1].spread" and "left-hand" in problem.fix


def test_text_that_cannot_fit_is_reported_without_any_art(tiny_book: Path) -> None:
    layout = tiny_book / "layout" / "book.yaml"
    long_text = " ".join(["The fox ran all the way round the meadow and back again."] * 30)
    data = yaml.safe_load(layout.read_text())
    data["pages"][1]["text"] = long_text
    data["fonts"] = {"size": 40, "min_size": 40}
    layout.write_text(yaml.safe_dump(data))
    assert not list(tiny_book.glob("pages/*/print"))
    [problem] = validate_book(tiny_book)
    assert problem.field == "pages[1].text" and "does not fit" in problem.problem


def clip_warnings(book: Path) -> list:
    return [w for w in book_warnings(book) if "CLIP's 77-token window" in w.problem]


def test_a_prompt_past_the_clip_window_is_a_warning_naming_the_words(tiny_book: Path) -> None:
    edit_spec(tiny_book, 1, scene="the bear waves hello")
    assert not any("waves hello" in w.problem for w in book_warnings(tiny_book))
    edit_spec(tiny_book, 1, scene="the bear waves hello " * 18 + "the bear waves goodbye")
    [warning] = clip_warnings(tiny_book)  # page 1's prompt is now the longest
    assert warning.file.endswith("0001/renderspec.json") and warning.field == "prompt.positive"
    # the scene opens the prompt: its 76th token opens the second window
    assert "page 1's second window opens at: goodbye" in warning.problem
    assert validate_book(tiny_book) == []  # a warning does not fail validation


def test_prompts_past_the_clip_window_are_one_line_for_the_book_naming_the_longest(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [warning] = clip_warnings(tiny_book)  # the tiny book's words run to ~82, ~82, ~105
    assert warning.file.endswith("0003/renderspec.json") and warning.field == "prompt.positive"
    assert warning.problem.startswith("pages 1–3: prompts run past CLIP's 77-token window")
    assert "(models.draft: sd15, models.final: sd15)" in warning.problem
    assert "page 3's positive prompt, is ~105 tokens, 2 windows" in warning.problem
    assert "nothing is cut, but later words weigh less" in warning.problem
    assert f"`artfarm prompt {tiny_book} 3`" in warning.fix
    edit_spec(tiny_book, 2, scene="a hill", characters=[], refs={"style": [], "characters": {}})
    edit_spec(tiny_book, 1, scene="the fox hops " * 29 + "and naps")
    [warning] = clip_warnings(tiny_book)
    assert warning.problem.startswith("pages 1, 3: prompts run past")  # page 2 fits now
    tokens = count_tokens(Book.open(tiny_book).load_spec(1).scene).tokens  # the scene alone
    longest = re.search(
        r"page 1's positive prompt, is ~(\d+) tokens, (\d) windows", warning.problem
    )
    assert longest and int(longest[1]) > tokens > TEXT_TOKENS
    assert int(longest[2]) == -(-int(longest[1]) // TEXT_TOKENS)
    assert main(["validate", str(tiny_book)]) == 0
    assert capsys.readouterr().err.count("token window") == 1  # one line, not one per prompt


def test_the_sample_books_prompts_take_several_windows_even_without_descriptions(
    sample_book: Path,
) -> None:
    """Why the sample book keeps its words: the style pack's, scenes' and constraints' words
    alone pass the window, so shortening its characters could not make the warning go."""
    book = Book.open(sample_book)
    bible = book.bible
    terse = [c.model_copy(update={"description": c.id}) for c in bible.characters]
    bible = bible.model_copy(update={"characters": terse})
    for page in book.page_numbers():
        prompts = compile_prompts(book.load_spec(page), book.style_pack, bible, book.templates_dir)
        assert count_tokens(prompts.positive).tokens > TEXT_TOKENS * 1.5, page
        assert count_tokens(prompts.negative).tokens > TEXT_TOKENS * 1.5, page
    [warning] = clip_warnings(sample_book)  # its words as written: one line for 15 pages
    assert warning.problem.startswith("pages 1–15: prompts run past")


def test_the_clip_window_is_checked_only_when_a_tier_reads_the_prompt_through_clip(
    tiny_book: Path,
) -> None:
    edit_spec(tiny_book, 1, scene="the bear waves hello " * 18 + "the bear waves goodbye")
    config = tiny_book / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    flux = {
        "family": "flux-kontext",
        "unet": "flux1-kontext.safetensors",
        "clip": ["clip_l.safetensors", "t5xxl_fp8.safetensors"],
        "vae": "ae.safetensors",
    }
    data["models"]["draft"] = flux
    config.write_text(yaml.safe_dump(data))
    [warning] = clip_warnings(tiny_book)  # final: sd15
    assert "(models.final: sd15)" in warning.problem
    data["models"]["final"] = flux  # T5 reads the whole prompt
    config.write_text(yaml.safe_dump(data))
    assert clip_warnings(tiny_book) == []


def test_the_packs_loras_must_be_pinned_only_when_a_tier_chains_them(tiny_book: Path) -> None:
    config = tiny_book / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["models"]["loras"] = []
    config.write_text(yaml.safe_dump(data))

    def lora_problems() -> list:
        return [p for p in validate_book(tiny_book) if p.field == "loras[0].name"]

    [problem] = lora_problems()  # sd15 tiers chain the pack's LoRA
    assert "is not pinned by the book" in problem.problem
    for tier in ("draft", "final"):
        data["models"][tier] = {
            "family": "qwen-image-edit-plus",
            "unet": f"qwen_{tier}.safetensors",
            "clip": ["qwen_2.5_vl_7b.safetensors"],
            "vae": "qwen_image_vae.safetensors",
        }
    config.write_text(yaml.safe_dump(data))
    assert lora_problems() == []  # no graph of theirs takes a LoRA


def test_json_ends_with_a_summary_record_when_all_is_well(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tiny_book), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[-1]["summary"] is True and records[-1]["ok"] is True
    assert records[-1]["problems"] == 0
    assert all(r["severity"] == "warning" for r in records[:-1])


def refs_warnings(book: Path) -> list:
    return [w for w in book_warnings(book) if "reference image(s)" in w.problem]


def test_refs_a_pages_model_family_cannot_use_are_one_warning_for_the_book(
    tiny_book: Path,
) -> None:
    [warning] = refs_warnings(tiny_book)  # every page names its sheets and a style image
    assert warning.file.endswith("book_config.yaml") and warning.field == "models"
    assert warning.problem.startswith("pages 1–3 have 7 reference image(s) ")
    assert "models.draft: sd15, models.final: sd15" in warning.problem
    no_refs = {"style": [], "characters": {}}
    edit_spec(tiny_book, 2, refs=no_refs)  # its characters' bible sheets remain its refs
    [warning] = refs_warnings(tiny_book)
    assert warning.problem.startswith("pages 1–3 have 6 reference image(s)")
    edit_spec(tiny_book, 2, refs=no_refs, characters=[])
    [warning] = refs_warnings(tiny_book)
    assert warning.problem.startswith("pages 1, 3 have 5 reference image(s)")
    edit_spec(tiny_book, 1, refs=no_refs, characters=[])
    [warning] = refs_warnings(tiny_book)
    assert warning.problem.startswith("page 3 has 3 reference image(s)")
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    style = tiny_book / "bible" / "style_refs"
    data["style_refs"] = []
    for i in range(3):
        shutil.copy(style / "style_01.png", style / f"golden_{i}.png")
        image = f"bible/style_refs/golden_{i}.png"
        data["style_refs"].append(
            {"id": f"g{i}", "scene": "a meadow", "image": image, "pages": [1]}
        )
    bible.write_text(yaml.safe_dump(data))
    [warning] = refs_warnings(tiny_book)  # page 1's golden images count, though it names none
    assert warning.problem.startswith("pages 1, 3 have 6 reference image(s)")  # 3 + 3
    config = tiny_book / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    for tier in ("draft", "final"):
        data["models"][tier] = {
            "family": "qwen-image-edit-plus",
            "unet": f"qwen_{tier}.safetensors",
            "clip": ["qwen_2.5_vl_7b.safetensors"],
            "vae": "qwen_image_vae.safetensors",
        }
    config.write_text(yaml.safe_dump(data))
    assert refs_warnings(tiny_book) == []


def test_a_golden_image_listing_a_page_the_book_lacks_is_a_warning_naming_it(
    tiny_book: Path,
) -> None:
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    style = tiny_book / "bible" / "style_refs"
    data["style_refs"] = []
    for i, pages in enumerate(([1, 2], [3, 9, 10], [])):
        shutil.copy(style / "style_01.png", style / f"golden_{i}.png")
        image = f"bible/style_refs/golden_{i}.png"
        data["style_refs"].append(
            {"id": f"g{i}", "scene": "a hill", "image": image, "pages": pages}
        )
    bible.write_text(yaml.safe_dump(data))
    [warning] = [w for w in book_warnings(tiny_book) if w.field.endswith(".pages")]
    assert warning.field == "style_refs[1].pages"
    assert "'g1' lists pages 9–10" in warning.problem and "(it has pages 1–3)" in warning.problem
    assert main(["validate", str(tiny_book)]) == 0  # a warning: the book still renders


def unused_golden(book: Path) -> dict[str, str]:
    """The golden images `book_warnings` says no page gets: field -> problem."""
    found = book_warnings(book)
    return {w.field: w.problem for w in found if "reaches no page" in w.problem}


def test_a_golden_image_no_page_gets_is_a_warning_naming_it_and_why(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bible = tiny_book / "bible" / "characters.yaml"
    data = yaml.safe_load(bible.read_text())
    data["style_refs"] = [
        {"id": "dawn", "scene": "a meadow at dawn", "pages": [1, 2], "render": {"seed": 5}},
        {"id": "noon", "scene": "a hill", "image": "bible/style_refs/style_01.png"},
        {"id": "dusk", "scene": "a creek", "image": "bible/style_refs/style_01.png", "pages": [3]},
    ]
    bible.write_text(yaml.safe_dump(data))
    found = unused_golden(tiny_book)  # every tiny page names its own refs.style
    assert found == {
        "style_refs[0]": "golden image 'dawn' reaches no page (pages 1–2 it lists name their "
        "own refs.style): it is never rendered nor used",
        "style_refs[1]": "golden image 'noon' reaches no page (it lists no page and every page "
        "names its own refs.style or gets the golden images that list it): it is never used",
        "style_refs[2]": "golden image 'dusk' reaches no page (page 3 it lists names its own "
        "refs.style): it is never used",
    }
    assert main(["validate", str(tiny_book)]) == 0  # a warning: the book still renders
    err = capsys.readouterr().err
    assert "warning: " + str(bible) + ": style_refs[0]: golden image 'dawn'" in err
    assert "remove refs.style from those pages' specs, or remove this golden image" in err
    characters = {"bear": ["bible/character_refs/bear.png"]}
    edit_spec(tiny_book, 1, refs={"style": [], "characters": characters})
    assert set(unused_golden(tiny_book)) == {"style_refs[1]", "style_refs[2]"}  # 1 gets dawn
    edit_spec(tiny_book, 3, refs={"style": [], "characters": {}})
    assert set(unused_golden(tiny_book)) == {"style_refs[1]"}  # every page gets a named one
    data["style_refs"][2]["pages"] = []
    bible.write_text(yaml.safe_dump(data))
    assert unused_golden(tiny_book) == {}  # page 3 gets noon and dusk
    for page in (1, 2, 3):
        spec_path(tiny_book, page).unlink()
    assert unused_golden(tiny_book) == {}  # a book with no pages yet: nothing to say
