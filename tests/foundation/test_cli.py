"""The agent-facing commands: schema, new-book, new-page, prompt --json."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from artfarm.cli import main
from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.layout.spec import LayoutSpec
from artfarm.validate import validate_book

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("document", ["renderspec", "review", "book", "stylepack", "bible"])
def test_schema_prints_a_json_schema_that_forbids_unknown_keys(
    document: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", document]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_renderspec_schema_documents_its_fields(capsys: pytest.CaptureFixture[str]) -> None:
    main(["schema", "renderspec"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["seed"]["maximum"] == 2**64 - 1
    assert "description" in schema["properties"]["scene"]


def test_new_book_and_new_page_scaffold_a_book_whose_placeholders_validate_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "style_packs", tmp_path / "style_packs")
    books = tmp_path / "books"
    assert main(["new-book", "fresh_01", "--books", str(books), "--pages", "0"]) == 0
    assert main(["new-page", str(books / "fresh_01")]) == 0
    assert main(["new-page", str(books / "fresh_01"), "5"]) == 0
    book = books / "fresh_01"
    assert sorted(p.name for p in (book / "pages").iterdir()) == ["0001", "0005"]
    found = {(Path(p.file).name, p.field) for p in validate_book(book)}
    assert found == {
        ("characters.yaml", "characters[0].description"),
        ("renderspec.json", "scene"),  # pages 1 and 5
        ("book.yaml", "pages[0].text"),
        ("book.yaml", "pages[1].text"),
        ("models.lock.json", ""),
    }
    assert main(["new-page", str(book), "5"]) == 1
    assert "already has a spec" in capsys.readouterr().err


def test_new_book_writes_a_commented_layout_with_an_entry_per_page(tmp_path: Path) -> None:
    shutil.copytree(REPO / "style_packs", tmp_path / "style_packs")
    books = tmp_path / "books"
    assert main(["new-book", "four_01", "--books", str(books), "--pages", "4"]) == 0
    layout = (books / "four_01" / "layout" / "book.yaml").read_text()
    assert "artfarm schema layout" in layout and "# author:" in layout
    entries = yaml.safe_load(layout)["pages"]
    assert [e["page"] for e in entries] == [1, 2, 3, 4]
    assert sorted(p.name for p in (books / "four_01" / "pages").iterdir()) == [
        "0001",
        "0002",
        "0003",
        "0004",
    ]
    assert main(["new-page", str(books / "four_01")]) == 0
    again = (books / "four_01" / "layout" / "book.yaml").read_text()
    assert again.startswith(layout)  # comments kept, the entry appended
    assert [e["page"] for e in yaml.safe_load(again)["pages"]] == [1, 2, 3, 4, 5]


def test_every_commented_choice_in_a_new_layout_is_valid_once_uncommented(
    tmp_path: Path,
) -> None:
    """The commented keys are the book's choices; uncommenting one must never be an error."""
    shutil.copytree(REPO / "style_packs", tmp_path / "style_packs")
    books = tmp_path / "books"
    assert main(["new-book", "four_01", "--books", str(books), "--pages", "12"]) == 0
    layout = (books / "four_01" / "layout" / "book.yaml").read_text()
    choices = [line[2:] for line in layout.splitlines() if re.match(r"# [a-z_]+: ", line)]
    keys = {yaml.safe_load(line).popitem()[0] for line in choices}
    assert {"title_art", "end_art", "title_focus", "fonts", "folios_on_art", "printer"} <= keys
    spec = LayoutSpec.model_validate(yaml.safe_load("\n".join([*choices, layout])))
    assert spec.end_art == 12 and spec.fonts.measure == 24 and spec.printer.barcode == (2.0, 1.2)


def test_new_page_refuses_a_layout_whose_pages_are_not_last(tiny_book: Path) -> None:
    layout = tiny_book / "layout" / "book.yaml"
    layout.write_text(layout.read_text() + "bleed: 0.125\n")
    assert main(["new-page", str(tiny_book)]) == 1
    assert not (tiny_book / "pages" / "0004").exists()


def test_schema_layout_carries_descriptions_and_a_valid_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "layout"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert all("description" in v for v in schema["properties"].values())
    for definition in schema["$defs"].values():
        assert all("description" in v for v in definition.get("properties", {}).values())
    [example] = schema["examples"]
    spec = LayoutSpec.model_validate(example)
    assert spec.pages[1].spread
    assert "docstring" not in json.dumps(schema)


def test_new_book_refuses_unsafe_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-book", "../evil", "--books", str(tmp_path)]) == 1
    assert "a-z, 0-9 and _" in capsys.readouterr().err


def test_prompt_json_gives_prompts_and_content_hash(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompt", str(tiny_book), "all", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["page"] for r in records] == [1, 2, 3]
    assert all(len(r["content_hash"]) == 64 for r in records)


def test_prompt_for_a_missing_page_is_a_clear_error(
    tiny_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompt", str(tiny_book), "42"]) == 1
    assert "0042/renderspec.json" in capsys.readouterr().err


def test_validate_of_a_missing_book(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "book folder does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["", " a.png", "/abs.png", "~/x.png", "a/../../b.png", "a\\b.png"])
def test_paths_must_stay_inside_the_book(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PathEscape):
        resolve_inside(tmp_path, bad)


def test_a_plain_relative_path_resolves_inside(tmp_path: Path) -> None:
    assert resolve_inside(tmp_path, "bible/x.png") == tmp_path.resolve() / "bible" / "x.png"
