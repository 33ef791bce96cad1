"""`artfarm review` with contradictory flags and hostile fixes: one line each, naming the field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from artfarm.documents.book import Book
from tests.hostile.conftest import Hostile, assert_refused
from tests.pipeline.fakes import fake_stage

B = "books/tiny_01"
DRAFT = [B, "1", "draft", "--rationale", "clear focal point"]
REFINE = [B, "1", "refine", "--final", "c01-v1", "--rationale", "best light"]


@pytest.fixture
def reviewable(hostile: Hostile) -> Hostile:
    """Page 1 with drafts reviewed and refined variants waiting for their review."""
    book = Book.open(B)
    fake_stage(book, 1, "draft", ["c01", "c02"])
    assert hostile.run("review", *DRAFT, "--select", "c01", "--reject-rest", "weaker").code == 0
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    return hostile


CONTRADICTORY = {
    "refine_select": ([B, "1", "refine", "--select", "c01", "--final", "c01-v1"], "--select"),
    "draft_final": ([B, "1", "draft", "--select", "c01", "--final", "c01-v1"], "--final"),
    "draft_fix_box": (
        [*DRAFT, "--select", "c01", "--fix-box", "1", "1", "2", "2", "a paw"],
        "--fix-box",
    ),
    "draft_fix_polygon": (
        [*DRAFT, "--select", "c01", "--fix-polygon", "0,0 9,0 9,9", "a paw"],
        "--fix-polygon",
    ),
    "draft_fix_mask": ([*DRAFT, "--select", "c01", "--fix-mask", "m.png", "a paw"], "--fix-mask"),
    "auto_select": ([B, "1", "draft", "--auto", "--select", "c01"], "--select"),
    "auto_final": ([B, "1", "refine", "--auto", "--final", "c01-v1"], "--final"),
    "auto_reject": ([B, "1", "draft", "--auto", "--reject", "c02", "dull"], "--reject"),
    "auto_reject_rest": ([B, "1", "draft", "--auto", "--reject-rest", "dull"], "--reject-rest"),
    "auto_rationale": ([B, "1", "draft", "--auto", "--rationale", "because"], "--rationale"),
    "auto_fix": ([B, "1", "refine", "--auto", "--fix-box", "1", "1", "2", "2", "paw"], "--fix-box"),
}


@pytest.mark.parametrize("case", CONTRADICTORY)
def test_contradictory_flags_are_errors(reviewable: Hostile, case: str) -> None:
    argv, flag = CONTRADICTORY[case]
    review = Path(B, "pages/0001/review.json").read_bytes()
    result = reviewable.run("review", *argv)
    assert_refused(result, "command line")
    assert any(flag in line for line in result.lines())
    assert Path(B, "pages/0001/review.json").read_bytes() == review  # nothing written


FIXES = {
    "negative_x": (["--fix-box", "-1", "0", "5", "5", "a paw"], "--fix-box #1 mask.x"),
    "zero_width": (["--fix-box", "0", "0", "0", "5", "a paw"], "--fix-box #1 mask.width"),
    "not_integers": (["--fix-box", "a", "0", "5", "5", "a paw"], "--fix-box #1"),
    "huge_integer": (["--fix-box", "9" * 5000, "0", "5", "5", "a paw"], "--fix-box #1"),
    "outside": (["--fix-box", "100", "100", "500", "500", "a paw"], "refine.fixes[0].mask"),
    "long_prompt": (["--fix-box", "1", "1", "5", "5", "p" * 100_000], "--fix-box #1 prompt"),
    "short_prompt": (["--fix-box", "1", "1", "5", "5", "p"], "--fix-box #1 prompt"),
    "line_polygon": (["--fix-polygon", "0,0 5,5 10,10", "a paw"], "--fix-polygon #1 mask"),
    "point_polygon": (["--fix-polygon", "3,3 3,3 3,3", "a paw"], "--fix-polygon #1 mask"),
    "two_points": (["--fix-polygon", "0,0 5,5", "a paw"], "--fix-polygon #1 mask.points"),
    "bad_points": (["--fix-polygon", "0,0 5;5 1,9", "a paw"], "--fix-polygon #1"),
    "polygon_outside": (["--fix-polygon", "0,0 900,0 0,900", "a paw"], "refine.fixes[0].mask"),
    "mask_absolute": (["--fix-mask", "/etc/passwd", "a paw"], "refine.fixes[0].mask.path"),
    "mask_dotdot": (
        ["--fix-mask", "../../../outside/secret.yaml", "a paw"],
        "refine.fixes[0].mask.path",
    ),
    "mask_not_image": (["--fix-mask", "book_config.yaml", "a paw"], "refine.fixes[0].mask.path"),
    "mask_missing": (["--fix-mask", "nope.png", "a paw"], "refine.fixes[0].mask.path"),
    "mask_symlink_out": (["--fix-mask", "link.png", "a paw"], "refine.fixes[0].mask.path"),
    "mask_fifo": (["--fix-mask", "fifo.png", "a paw"], "refine.fixes[0].mask.path"),
    "mask_bomb": (["--fix-mask", "bomb.png", "a paw"], "refine.fixes[0].mask.path"),
    "mask_control_chars": (["--fix-mask", "a\x1b[2J.png", "a paw"], "refine.fixes[0].mask.path"),
}


@pytest.mark.parametrize("case", FIXES)
def test_a_bad_fix_names_its_field(reviewable: Hostile, case: str) -> None:
    argv, field = FIXES[case]
    book = Path(B)
    (book / "link.png").symlink_to(reviewable.canary(".png"))
    os.mkfifo(book / "fifo.png")
    (book / "bomb.png").write_bytes(bomb_png(60000, 60000))
    review = (book / "pages/0001/review.json").read_bytes()
    result = reviewable.run("review", *REFINE, "--reject-rest", "stiff pose", *argv)
    assert_refused(result, "review.json" if field.startswith("refine.") else "command line")
    assert any(field in line for line in result.lines()), result.lines()
    assert (book / "pages/0001/review.json").read_bytes() == review


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height pixels (the data is a few bytes)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
