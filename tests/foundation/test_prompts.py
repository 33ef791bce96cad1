"""Prompt compilation and the content hash: deterministic, bible-driven, precise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from artfarm.documents.book import Book
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import page_content_hash
from artfarm.rendering.prompts import compile_prompts


def prompts_of(book_dir: Path, page: int):
    book = Book(book_dir)
    return compile_prompts(book.load_spec(page), book.style_pack, book.bible, book.templates_dir)


def hashes(book_dir: Path) -> dict[int, str]:
    book = Book(book_dir)
    return {p: page_content_hash(book, book.load_spec(p)) for p in book.page_numbers()}


def test_characters_are_described_from_the_bible(tiny_book: Path) -> None:
    prompts = prompts_of(tiny_book, 3)
    assert prompts.positive.startswith("test scene number 3 in the meadow.")
    assert "(Bramble:1.2), a big round brown bear in a red knitted scarf" in prompts.positive
    assert "(Pip:1.2), a small orange fox" in prompts.positive
    assert "text, letters, words, watermark, signage" in prompts.negative
    assert "realistic fur, claws" in prompts.negative


def test_prompts_are_one_tidy_line(tiny_book: Path) -> None:
    prompts = prompts_of(tiny_book, 1)
    for text in (prompts.positive, prompts.negative):
        assert "\n" not in text and "  " not in text and ", ," not in text
        assert not text.endswith(",")


def test_prompt_command_prints_the_same_bytes_every_run(tiny_book: Path) -> None:
    def run() -> bytes:
        return subprocess.run(
            [sys.executable, "-m", "artfarm", "prompt", str(tiny_book), "3"],
            capture_output=True,
            check=True,
        ).stdout

    first = run()
    assert b"positive: test scene number 3" in first
    assert run() == first


def test_changing_a_character_changes_only_that_characters_pages(tiny_book: Path) -> None:
    before_hash = hashes(tiny_book)
    before_prompts = {p: prompts_of(tiny_book, p) for p in before_hash}
    bible = tiny_book / "bible" / "characters.yaml"
    bible.write_text(bible.read_text().replace("red knitted scarf", "blue knitted scarf"))
    after_hash = hashes(tiny_book)
    changed = {p for p in before_hash if before_hash[p] != after_hash[p]}
    assert changed == {1, 3}  # the bear is on pages 1 and 3, not on page 2
    assert prompts_of(tiny_book, 2) == before_prompts[2]
    assert "blue knitted scarf" in prompts_of(tiny_book, 1).positive


def test_reference_image_bytes_enter_the_hash(tiny_book: Path) -> None:
    before = hashes(tiny_book)
    fox = tiny_book / "bible" / "character_refs" / "fox.png"
    fox.write_bytes(fox.read_bytes() + b"\0")
    after = hashes(tiny_book)
    assert {p for p in before if before[p] != after[p]} == {2, 3}


def test_touching_files_keeps_the_hash(tiny_book: Path) -> None:
    before = hashes(tiny_book)
    for path in tiny_book.rglob("*"):
        path.touch()
    assert hashes(tiny_book) == before


def test_style_pack_files_enter_every_hash(tiny_book: Path) -> None:
    before = hashes(tiny_book)
    template = tiny_book.parent.parent / "style_packs" / "watercolor_whimsy_v1" / "positive.j2"
    template.write_text(template.read_text() + "\n, extra words")
    after = hashes(tiny_book)
    assert all(before[p] != after[p] for p in before)


def test_book_template_overrides_the_pack(tiny_book: Path) -> None:
    (tiny_book / "prompt_templates").mkdir()
    (tiny_book / "prompt_templates" / "positive.j2").write_text("{{ scene }}, pencil sketch")
    assert prompts_of(tiny_book, 1).positive == "test scene number 1 in the meadow, pencil sketch"


def test_template_naming_a_missing_field_fails_with_file_and_line(tiny_book: Path) -> None:
    (tiny_book / "prompt_templates").mkdir()
    (tiny_book / "prompt_templates" / "positive.j2").write_text(
        "{{ scene }}\n{{ environment.season }}\n"
    )
    with pytest.raises(ArtfarmError) as caught:
        prompts_of(tiny_book, 1)
    [problem] = caught.value.problems
    assert problem.file.endswith("prompt_templates/positive.j2")
    assert problem.field == "line 2"
    assert "season" in problem.problem


def test_template_syntax_error_names_file_and_line(tiny_book: Path) -> None:
    (tiny_book / "prompt_templates").mkdir()
    (tiny_book / "prompt_templates" / "negative.j2").write_text("ok\n{% for x in %}\n")
    with pytest.raises(ArtfarmError) as caught:
        prompts_of(tiny_book, 1)
    [problem] = caught.value.problems
    assert problem.file.endswith("negative.j2") and problem.field == "line 2"


def test_templates_render_in_a_sandbox(tiny_book: Path) -> None:
    (tiny_book / "prompt_templates").mkdir()
    (tiny_book / "prompt_templates" / "positive.j2").write_text(
        "{{ scene.__class__.__mro__[1].__subclasses__() }}"
    )
    with pytest.raises(ArtfarmError) as caught:
        prompts_of(tiny_book, 1)
    assert "unsafe" in caught.value.problems[0].problem or "template error" in str(caught.value)
