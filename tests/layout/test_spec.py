from pathlib import Path

import pytest

from artfarm.layout.spec import LayoutSpec, load_layout_spec
from artfarm.problems import ArtfarmError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ArtfarmError) as err:
        load_layout_spec(path)
    return [p.line() for p in err.value.problems]


def test_a_minimal_spec_gets_print_defaults_and_the_shipped_font():
    spec = LayoutSpec(title="A Book")
    assert (spec.trim.width, spec.trim.height, spec.bleed) == (8.5, 8.5, 0.125)
    assert spec.fonts.family == "Atkinson Hyperlegible"
    assert spec.order == ["title", "dedication", "story", "end"]


def test_the_scaffolded_spec_loads(tmp_path):
    assert load_layout_spec(write(tmp_path, "title: New Book\npages: []\n")).pages == []


@pytest.mark.parametrize(
    ("trim", "size"),
    [
        ("8x10", (8, 10)),
        ("10x8", (10, 8)),
        ("8.5x11", (8.5, 11)),
        ("{width: 210mm, height: 297mm}", (8.2677, 11.6929)),
    ],
)
def test_trim_presets_and_custom_sizes_with_units(tmp_path, trim, size):
    spec = load_layout_spec(write(tmp_path, f"title: T\ntrim: {trim}\nbleed: 3mm\n"))
    assert (round(spec.trim.width, 4), round(spec.trim.height, 4)) == size
    assert round(spec.bleed, 4) == 0.1181


def test_every_problem_is_reported_at_once_with_field_and_fix(tmp_path):
    lines = problems_of(
        write(
            tmp_path,
            "title: T\ntrim: 9x9\nfonts: {colour: red}\npages:\n  - {page: 1, placement: middle}\n",
        )
    )
    assert len(lines) == 3
    assert any("trim: " in line and "8.5x8.5" in line for line in lines)
    assert any("fonts.colour" in line and "remove this key" in line for line in lines)
    assert any("pages[0].placement" in line for line in lines)


def test_invalid_yaml_names_line_and_column(tmp_path):
    (line,) = problems_of(write(tmp_path, "title: T\n  bad: [\n"))
    assert "line 2, column" in line and "invalid YAML" in line


def test_a_page_listed_twice_is_an_error(tmp_path):
    (line,) = problems_of(write(tmp_path, "title: T\npages: [{page: 1}, {page: 1}]\n"))
    assert "pages[1].page" in line and "twice" in line


@pytest.mark.parametrize("field", ["cover.art", "cover.back_art", "title_art", "end_art"])
def test_art_naming_a_page_the_book_lacks_is_an_error(tmp_path, field):
    parent, _, key = field.rpartition(".")
    setting = f"{parent}: {{{key}: 7}}" if parent else f"{key}: 7"
    text = f"title: T\n{setting}\npages: [{{page: 1}}, {{page: 2}}]\n"
    (line,) = problems_of(write(tmp_path, text))
    assert f"{field}: page 7 is not a story page of this book (pages: 1, 2)" in line
    kept = text.replace(": 7", ": 2")
    assert load_layout_spec(write(tmp_path, kept)).pages[1].page == 2  # a page it has is fine
