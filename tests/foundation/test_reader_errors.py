"""The reader's error lines quote what went wrong, cut short, and keep the caller's field.

These close the reader's last mutation survivors (bench/mutation.py): the 80-character cut of
a parser's or Pillow's own words, the fallback wording of a YAML error without a `problem`,
and the field a caller names surviving a refusal from the safe-path guard.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError
from pydantic import TypeAdapter, ValidationError

from artfarm.documents.reader import open_image, problems_from_validation, read_json, read_yaml
from artfarm.documents.review import InpaintFix
from artfarm.problems import ArtfarmError, Problem

HUGE_INT = "1" * 5000  # past Python's 4300-digit int conversion limit: a long ValueError


def refusal(call) -> Problem:
    with pytest.raises(ArtfarmError) as caught:
        call()
    [problem] = caught.value.problems
    return problem


def int_conversion_error() -> str:
    with pytest.raises(ValueError) as caught:
        int(HUGE_INT)
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "read", "kind"),
    [
        ("big.json", f"[{HUGE_INT}]", read_json, "JSON"),
        ("big.yaml", f"a: {HUGE_INT}\n", read_yaml, "YAML"),
    ],
)
def test_a_parser_value_error_is_quoted_to_80_characters(
    tmp_path: Path, name: str, text: str, read, kind: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    message = int_conversion_error()
    assert len(message) > 80
    problem = refusal(lambda: read(path))
    assert problem.problem == f"invalid {kind}: {message[:80]}"


def test_a_yaml_error_without_a_problem_says_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "control.yaml"
    path.write_text("a: b\x01c\n")
    problem = refusal(lambda: read_yaml(path))
    assert problem.problem.startswith("invalid YAML: unacceptable character #x0001")
    assert "\n" not in problem.problem


def test_an_unreadable_image_quotes_pillow_to_80_characters(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 120 + ".png")  # Pillow's message names the path: long
    path.write_bytes(b"not an image at all")
    with pytest.raises(UnidentifiedImageError) as pillow:
        Image.open(path)
    assert len(str(pillow.value)) > 80
    problem = refusal(lambda: open_image(path))
    assert problem.problem == f"not a readable image ({str(pillow.value)[:80]})"


@pytest.mark.parametrize("source", [None, "pages/0001/renderspec.json"])
def test_a_missing_image_keeps_the_field_its_caller_named(tmp_path: Path, source) -> None:
    problem = refusal(
        lambda: open_image(tmp_path / "gone.png", source=source, field="refs.style[0]")
    )
    assert problem.field == "refs.style[0]"
    assert problem.problem.endswith("file does not exist")
    assert problem.file == (source or str(tmp_path / "gone.png"))


@pytest.mark.parametrize(
    ("mask", "field"),
    [
        ({"kind": "box", "x": -1, "y": 0, "width": 5, "height": 5}, "mask.x"),
        ({"kind": "polygon", "points": [[0, 0], [1, 1], [2, 2]]}, "mask"),
        ({"kind": "image", "path": 5}, "mask.path"),
    ],
)
def test_a_mask_error_names_the_field_as_written_without_the_mask_kind(mask, field) -> None:
    """pydantic puts the union member ('box') into the location; the file has no such key."""
    with pytest.raises(ValidationError) as caught:
        InpaintFix.model_validate({"mask": mask, "prompt": "a paw"})
    [problem] = problems_from_validation(caught.value, "review.json", "review")
    assert problem.field == field


def test_a_value_that_fits_no_member_is_reported_beside_other_fields_errors() -> None:
    """A union's 'wrong type' error is dropped only for the member that got further at the
    same place, never because some other field has a deeper error."""
    fixes = [
        {"mask": 5, "prompt": "a paw"},
        {"mask": {"kind": "box", "x": -1, "y": 0, "width": 5, "height": 5}, "prompt": "an ear"},
    ]
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(list[InpaintFix]).validate_python(fixes)
    problems = problems_from_validation(caught.value, "review.json", "review")
    assert [p.field for p in problems] == ["[0].mask", "[1].mask.x"]
    assert "valid dictionary" in problems[0].problem
