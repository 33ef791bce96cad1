"""Fixtures shared by every test area: a project folder with a small valid book in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.bookmaker import lock_placeholder_models, make_project

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tmp project root holding style_packs/ and books/tiny_01 (3 pages, 2 characters)."""
    return make_project(tmp_path / "project")


@pytest.fixture
def tiny_book(project: Path) -> Path:
    return project / "books" / "tiny_01"


@pytest.fixture
def sample_book(tmp_path: Path) -> Path:
    """A copy of the sample book with the repo's style packs beside it, safe to break."""
    root = tmp_path / "sample"
    shutil.copytree(REPO / "style_packs", root / "style_packs")
    shutil.copytree(REPO / "books" / "gingerbear_01", root / "books" / "gingerbear_01")
    lock_placeholder_models(root, root / "books" / "gingerbear_01")  # as `make demo` does
    return root / "books" / "gingerbear_01"
