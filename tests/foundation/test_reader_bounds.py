"""The guarded reader's limits, each tried on both sides of its bound.

Nesting 64 deep reads, 65 is refused (JSON, YAML flow and YAML block style); a document of
exactly 1 MiB reads, one byte more is refused, and so is a file that grows past the limit
after its size was checked; 200,000 values read, one more is refused; an image header of
8192×8192 pixels passes, one row more is refused before any pixel is decoded; a referenced
file of 256 MiB passes, one byte more is refused; quoted input is cut to 60 characters.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from artfarm.documents.reader import (
    book_file,
    image_size,
    json_depth,
    load_image,
    parse_model,
    read_bytes,
    read_json,
    read_yaml,
)
from artfarm.problems import ArtfarmError


def _refusal(call, *args, **kwargs) -> str:
    with pytest.raises(ArtfarmError) as raised:
        call(*args, **kwargs)
    (problem,) = raised.value.problems
    return problem.line()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("reader", [read_json, read_yaml])
def test_flow_nesting_64_deep_reads_and_65_is_refused(tmp_path: Path, reader) -> None:
    ok = _write(tmp_path, "ok.json", "[" * 64 + "]" * 64)
    assert json_depth(ok.read_text()) == 64
    value = reader(ok)
    for _ in range(63):
        value = value[0]
    assert value == []
    deep = _write(tmp_path, "deep.json", "[" * 65 + "]" * 65)
    line = _refusal(reader, deep)
    assert str(deep) in line and "nested 65 levels deep, more than the limit of 64" in line


def test_block_style_yaml_nesting_64_deep_reads_and_65_is_refused(tmp_path: Path) -> None:
    def block(levels: int) -> str:
        return "".join(f"{'  ' * n}k{n}:\n" for n in range(levels - 1)) + "  " * levels + "x: 1\n"

    value = read_yaml(_write(tmp_path, "ok.yaml", block(64)))
    for n in range(63):
        value = value[f"k{n}"]
    assert value == {"x": 1}
    line = _refusal(read_yaml, _write(tmp_path, "deep.yaml", block(65)))
    assert "nested 65 levels deep" in line


def test_brackets_inside_strings_are_not_nesting(tmp_path: Path) -> None:
    text = json.dumps({"scene": "[" * 200 + '\\"{{{' + "{" * 200})
    assert json_depth(text) == 1
    assert read_json(_write(tmp_path, "spec.json", text))["scene"].startswith("[[[")
    assert json_depth('[{"a": [1, {"b": []}]}, []]') == 5


def test_a_document_of_exactly_the_byte_limit_reads_and_one_byte_more_is_refused(
    tmp_path: Path,
) -> None:
    limit = 1 << 20
    body = '{"scene": "' + "x" * (limit - 13) + '"}'
    path = _write(tmp_path, "spec.json", body)
    assert len(read_bytes(path)) == limit and len(read_json(path)["scene"]) == limit - 13
    path.write_text(body + " ")
    line = _refusal(read_json, path)
    assert f"file is {limit + 1} bytes, more than the limit of {limit}" in line


def test_a_file_that_holds_more_than_its_size_says_is_refused_after_reading() -> None:
    status = Path("/proc/self/status")  # a regular file whose stat size is 0
    assert status.stat().st_size == 0
    assert len(read_bytes(status, max_bytes=4096)) > 100
    line = _refusal(read_bytes, status, max_bytes=10)
    assert "file is more than the limit of 10 bytes" in line


def test_200000_values_read_and_one_more_is_refused(tmp_path: Path) -> None:
    # the list itself counts: 199,999 zeros are 200,000 values
    ok = _write(tmp_path, "ok.json", "[" + ",".join(["0"] * 199_999) + "]")
    assert len(read_json(ok)) == 199_999
    many = _write(tmp_path, "many.json", "[" + ",".join(["0"] * 200_000) + "]")
    assert "holds more than 200000 values (aliases expanded)" in _refusal(read_json, many)


def test_keys_count_as_values_and_yaml_aliases_count_once_per_use(tmp_path: Path) -> None:
    def mappings(count: int) -> str:  # each {"a": 0} is three values: mapping, key, value
        return "[" + ",".join(['{"a":0}'] * count) + "]"

    path = _write(tmp_path, "keys.json", mappings(66_667))  # 200,002 values with the list
    assert "more than 200000 values" in _refusal(read_json, path)
    path.write_text(mappings(66_666))  # 199,999
    assert len(read_json(path)) == 66_666
    alias = (
        "a: &a [" + ", ".join(["x"] * 1000) + "]\n" + "".join(f"b{n}: *a\n" for n in range(199))
    )  # 200 uses of 1,001 values: 200,200 values written in 1,200 words
    assert "aliases expanded" in _refusal(read_yaml, _write(tmp_path, "alias.yaml", alias))


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width×height: enough for Pillow to open it lazily."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b""))
    return path


def test_an_image_of_8192_by_8192_passes_the_header_check_and_one_row_more_is_refused(
    tmp_path: Path,
) -> None:
    assert image_size(_png_header(tmp_path / "ok.png", 8192, 8192)) == (8192, 8192)
    big = _png_header(tmp_path / "big.png", 8192, 8193)
    line = _refusal(image_size, big)
    assert "image is 8192×8193, more than the limit of 67108864 pixels" in line
    assert "use a smaller image" in line
    line = _refusal(load_image, big, source="spec.json", field="refs.style[0]")
    assert line.startswith("spec.json: refs.style[0]: big.png: image is 8192×8193")


def test_a_referenced_file_of_256_mib_passes_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / "ref.png", "wb") as fh:
        fh.truncate(256 << 20)  # sparse: no disk used
    assert book_file(tmp_path, "ref.png", source="spec.json", field="refs.style[0]").is_file()
    with open(tmp_path / "ref.png", "r+b") as fh:
        fh.truncate((256 << 20) + 1)
    line = _refusal(book_file, tmp_path, "ref.png", source="spec.json", field="refs.style[0]")
    assert line.startswith("spec.json: refs.style[0]: 'ref.png': file is 268435457 bytes")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int
    scene: str


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("a" * 58, "'" + "a" * 58 + "'"),  # a repr of 60 characters is quoted whole
        ("a" * 59, "'" + "a" * 58 + "…"),  # 61: cut to 59 and an ellipsis
        ("b" * 5000, "'" + "b" * 58 + "…"),
    ],
)
def test_quoted_input_is_cut_to_60_characters(value: str, quoted: str) -> None:
    line = _refusal(parse_model, _Spec, {"page": value, "scene": "s"}, "spec.json", "renderspec")
    assert line.startswith("spec.json: page: ")
    assert f"(got {quoted})" in line
    assert len(quoted) <= 60


def test_missing_fields_and_whole_mappings_are_not_quoted() -> None:
    with pytest.raises(ArtfarmError) as raised:
        parse_model(_Spec, {"page": {"x": 1}, "extra": 5}, "spec.json", "renderspec")
    lines = sorted(p.line() for p in raised.value.problems)
    assert [ln.split(" (fix")[0] for ln in lines] == [
        "spec.json: extra: Extra inputs are not permitted (got 5)",
        "spec.json: page: Input should be a valid integer",
        "spec.json: scene: Field required",
    ]
    assert "artfarm schema renderspec" in lines[0]


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_an_image_past_pillows_bomb_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    # 1.6 G pixels: past Pillow's limit even where artfarm.layout.art raised it to 400 M
    bomb = _png_header(tmp_path / "bomb.png", 40000, 40000)
    line = _refusal(load_image, bomb, source="spec.json", field="refs.style[0]")
    assert line.startswith(
        "spec.json: refs.style[0]: bomb.png: image is larger than 67108864 pixels"
    )


def test_refused_and_unreadable_images_leave_no_file_open(tmp_path: Path) -> None:
    big = _png_header(tmp_path / "big.png", 8192, 8193)
    broken = _png_header(tmp_path / "broken.png", 4, 4)  # a header, then no pixels
    before = _open_descriptors()
    _refusal(image_size, big)
    line = _refusal(load_image, broken, source="spec.json", field="refs.style[0]")
    assert line.startswith("spec.json: refs.style[0]: broken.png: not a readable image (")
    assert line.endswith("(fix: use a PNG or JPEG)")
    assert _open_descriptors() == before


def test_a_parser_error_is_cut_to_80_characters(tmp_path: Path) -> None:
    path = _write(tmp_path, "spec.json", '{"page": ' + "9" * 20_000 + "}")
    line = _refusal(read_json, path)
    message = line.split("invalid JSON: ", 1)[1].split(" (fix: ")[0]
    assert len(message) == 80 and "9999" not in message


def test_a_file_that_cannot_be_looked_at_is_one_line_naming_it(tmp_path: Path) -> None:
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    line = _refusal(read_bytes, loop)
    assert line.startswith(f"{loop}: cannot be read (") and "(fix: check the file)" in line


class BoxMask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    box: list[int]


class PolygonMask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    polygon: list[list[int]]


class MaskReview(BaseModel):
    mask: BoxMask | PolygonMask


def test_a_value_that_fits_no_member_of_a_union_is_one_problem_at_its_own_field() -> None:
    with pytest.raises(ArtfarmError) as raised:
        parse_model(MaskReview, {"mask": "nope"}, "review.json", "review")
    (problem,) = raised.value.problems
    assert problem.field == "mask" and "(got 'nope')" in problem.problem  # no model names


def test_a_loaded_image_has_its_pixels_and_keeps_no_file_open(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (8, 6), (10, 200, 30)).save(tmp_path / "ref.png")
    before = _open_descriptors()
    img = load_image(tmp_path / "ref.png", source="spec.json", field="refs.style[0]")
    assert _open_descriptors() == before
    assert img.size == (8, 6) and img.getpixel((7, 5)) == (10, 200, 30)


def test_yaml_flow_nesting_far_past_the_bound_is_measured_before_parsing(tmp_path: Path) -> None:
    deep = _write(tmp_path, "deep.yaml", "[" * 100_000 + "]" * 100_000)
    line = _refusal(read_yaml, deep)
    assert "nested 100000 levels deep, more than the limit of 64" in line


def test_nesting_after_a_closed_sibling_still_counts(tmp_path: Path) -> None:
    flow = "[[], {}, " + "[" * 64 + "]" * 64 + "]"  # 65 deep, after two closed siblings
    assert json_depth(flow) == 65
    assert "nested 65 levels deep" in _refusal(read_json, _write(tmp_path, "a.json", flow))
    block = "a: [1]\nb: {x: 1}\nc:\n" + "".join(f"{'  ' * n}  k{n}:\n" for n in range(63))
    block += "  " * 64 + "  x: 1\n"  # c, then 64 more mappings: 65 deep after siblings
    assert "nested 65 levels deep" in _refusal(read_yaml, _write(tmp_path, "b.yaml", block))


def test_a_yaml_syntax_error_names_its_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "book.yaml", "title: ok\npages: [1, 2\nauthor: x\n")
    with pytest.raises(ArtfarmError) as raised:
        read_yaml(path)
    (problem,) = raised.value.problems
    assert problem.field == "line 3, column 7" and problem.problem.startswith("invalid YAML: ")


def test_an_unreadable_image_without_a_document_names_the_image_itself(tmp_path: Path) -> None:
    broken = _png_header(tmp_path / "broken.png", 4, 4)
    line = _refusal(load_image, broken)
    assert line.startswith(f"{broken}: not a readable image (")
