"""The hostile-input suite: a project whose book sits beside a canary it must never leak.

Every case runs an entry point (in-process where the process boundary does not matter) on
one bad input and checks the same things: the exit code or HTTP status, one short line per
problem naming the file, no traceback, no byte of the canary in any output, and nothing
written outside the book.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from artfarm.cli import main
from tests.bookmaker import make_project

CANARY = "CANARY-5b1e-do-not-leak"
LINE_LIMIT = 300


@dataclass
class Hostile:
    """A project folder (the current directory) with books/tiny_01 and a canary outside it."""

    root: Path
    outside: Path
    capsys: pytest.CaptureFixture[str]

    @property
    def book(self) -> Path:
        return Path("books/tiny_01")

    def canary(self, suffix: str = ".yaml") -> Path:
        """A file outside the book, valid in its format, holding the canary."""
        path = self.outside / f"secret{suffix}"
        if path.exists():
            return path
        if suffix == ".json":
            path.write_text(f'{{"{CANARY}": "{CANARY}", "scene": "{CANARY}"}}\n')
        elif suffix == ".png":
            from PIL import Image

            Image.new("RGB", (64, 48), "red").save(path, pnginfo=_png_text())
        else:
            path.write_text(f"{CANARY}: {CANARY}\ntitle: {CANARY}\nservers: ['{CANARY}']\n")
        return path

    def run(self, *argv: str) -> Result:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return Result(code, out, err)


def _png_text():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("secret", CANARY)
    return info


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return [line for line in (self.out + self.err).splitlines() if line.strip()]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and mtime: to prove nothing was written there."""
    found = {}
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(dirpath) / name
            st = p.lstat()
            found[str(p)] = (st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Iterator[Hostile]:
    root = make_project(tmp_path / "project")
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("ARTFARM_CONFIG", raising=False)
    env = Hostile(root, outside, capsys)
    env.canary(".yaml")
    env.canary(".json")
    env.canary(".png")
    before = snapshot(outside)
    yield env
    assert snapshot(outside) == before, "something was written outside the book"


def assert_refused(result: Result, names: str, code: int = 1) -> None:
    """The exit code, one short line per problem naming the file, no traceback, no canary."""
    text = result.out + result.err
    assert result.code == code, text[-2000:]
    assert "Traceback" not in text
    assert CANARY not in text
    errors = [line for line in result.lines() if line.startswith("error:")] or result.lines()
    assert errors, "no problem was reported"
    for line in errors:
        assert len(line) <= LINE_LIMIT, f"{len(line)} chars: {line[:400]}"
    assert any(names in line for line in errors), f"no line names {names}: {errors}"


Check = Callable[[Result, str], None]
