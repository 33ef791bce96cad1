"""The agent-facing commands: schema, new-book, new-page, prompt --json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from artfarm.cli import main
from artfarm.documents.safepath import PathEscape, resolve_inside
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
    assert main(["new-book", "fresh_01", "--books", str(books)]) == 0
    assert main(["new-page", str(books / "fresh_01")]) == 0
    assert main(["new-page", str(books / "fresh_01"), "5"]) == 0
    book = books / "fresh_01"
    assert sorted(p.name for p in (book / "pages").iterdir()) == ["0001", "0005"]
    found = {(Path(p.file).name, p.field) for p in validate_book(book)}
    assert found == {
        ("characters.yaml", "characters[0].description"),
        ("renderspec.json", "scene"),  # pages 1 and 5
        ("renderspec.json", "page"),  # not in layout/book.yaml yet
        ("models.lock.json", ""),
    }
    assert main(["new-page", str(book), "5"]) == 1
    assert "already has a spec" in capsys.readouterr().err


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
