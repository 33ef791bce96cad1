"""`artfarm validate`: every class of bad input is reported, with file and field, all at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artfarm.cli import main
from artfarm.validate import validate_book
from tests.bookmaker import edit_spec


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
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["field"] for r in records} == {"seed", "bogus"}
    assert all(set(r) == {"file", "field", "problem", "fix"} for r in records)


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
