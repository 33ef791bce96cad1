"""Every bad input is one line naming the file, the page, the field and the fix."""

import json

import pytest

from artfarm.cli import main

from .conftest import small_layout


def error_lines(capsys, book, target="pages"):
    assert main(["layout", str(book), target]) == 1
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("error:")]
    assert lines
    return lines


def test_an_unknown_font_names_the_field_and_the_available_families(make_book, capsys):
    book = make_book(small_layout(fonts={"family": "Comic Sans MS"}))
    (line,) = error_lines(capsys, book)
    assert "fonts.family" in line and "'Comic Sans MS' is not available" in line
    assert "Atkinson Hyperlegible" in line and "fix:" in line


def test_a_character_the_font_lacks_names_the_page_and_the_character(make_book, capsys):
    spec = small_layout()
    spec["pages"][1]["text"] = "Bear saw a snowman ☃ and said 你好."
    (line,) = error_lines(capsys, make_book(spec))
    assert "pages[1].text" in line and "page 2:" in line
    assert "U+2603" in line and "U+4F60" in line and "fix: replace those characters" in line


def test_text_that_cannot_fit_names_each_page_and_its_overflow(make_book, capsys):
    spec = small_layout()
    spec["pages"][0]["text"] = "A very long sentence that goes on and on. " * 30
    spec["pages"][2]["text"] = "Another long one. " * 60
    lines = error_lines(capsys, make_book(spec))
    assert len(lines) == 2
    assert "pages[0].text: page 1: text does not fit" in lines[0] and "pt too tall" in lines[0]
    assert "pages[2].text: page 3" in lines[1] and "fix: shorten the text" in lines[1]


def test_missing_print_art_names_the_file_and_the_page(make_book, capsys):
    book = make_book()
    (book / "pages/0003/print/print.png").unlink()
    (line,) = error_lines(capsys, book)
    assert "pages/0003/print/print.png" in line and "page 3: print art is missing" in line


def test_art_below_300_ppi_says_how_many_pixels_are_needed(make_book, capsys):
    book = make_book(art_size=(300, 318))  # the page's shape (2.125 × 2.25 in), too few pixels
    lines = error_lines(capsys, book)
    assert len(lines) == 4
    assert "page 1: art is 141 ppi" in lines[0] and "below 300" in lines[0]
    assert "at least 638×675 px" in lines[0]


def test_a_spread_on_a_right_hand_page_is_refused(make_book, capsys):
    spec = small_layout()
    spec["pages"][1]["spread"] = True  # title 1, story 2, the spread would start on 3
    (line,) = error_lines(capsys, make_book(spec))
    assert "pages[1].spread" in line and "right-hand page 3" in line


def test_errors_come_as_json_records_with_json(make_book, capsys):
    book = make_book(small_layout(fonts={"family": "Nope"}))
    assert main(["layout", str(book), "pages", "--json"]) == 1
    record = json.loads(capsys.readouterr().out.splitlines()[0])
    assert record["field"] == "fonts.family" and record["fix"]


@pytest.mark.parametrize("target", ["pages", "cover"])
def test_a_failed_build_leaves_no_pdf(make_book, capsys, target):
    book = make_book(art_size=(100, 100))
    assert main(["layout", str(book), target]) == 1
    assert not (book / "layout" / f"{target}.pdf").exists()
