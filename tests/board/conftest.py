"""The board under test: a real server on a free loopback port, and a real headless Chromium.

Browser tests fail (never skip) when Chromium or Playwright is missing — CI installs both
(`.ci/run`). A local run without them may skip, with the reason, when ARTFARM_SKIP_BROWSER=1.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from artfarm.board.app import Board, BoardServer
from artfarm.board.auth import new_token
from artfarm.board.builds import BuildRunner
from artfarm.documents.book import Book

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SHOTS = os.environ.get("ARTFARM_BOARD_SCREENSHOTS")  # a folder: save the README's pictures


def start_board(book: Book, root: Path, snakefile: Path | None = None) -> BoardServer:
    builds = BuildRunner(
        root,
        snakefile or REPO / "Snakefile",
        f"books/{book.id}/layout/pages.pdf",
        root / "runtime" / "board" / "build.log",
    )
    return BoardServer(Board(book, builds, new_token(), "editor")).start()


@pytest.fixture
def board_for():
    """Start boards for books; every one is stopped after the test."""
    started: list[BoardServer] = []

    def start(book: Book, root: Path, snakefile: Path | None = None) -> BoardServer:
        started.append(start_board(book, root, snakefile))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def need_browser() -> None:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if not missing:
        return
    why = "browser tests need " + " and ".join(missing)
    if os.environ.get("ARTFARM_SKIP_BROWSER") == "1":
        pytest.skip(why + "; skipped because ARTFARM_SKIP_BROWSER=1")
    pytest.fail(why + "; .ci/run installs both", pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser) -> Iterator:
    """A fresh browser profile (no cookies) per test; failing pages' console goes to stderr."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    ctx.set_default_timeout(30_000)
    ctx.on("weberror", lambda error: print(f"page error: {error.error}", file=sys.stderr))
    try:
        yield ctx
    finally:
        ctx.close()


def screenshot(page, name: str, full_page: bool = False) -> None:
    """Save a README picture (a small palette PNG) when ARTFARM_BOARD_SCREENSHOTS names a folder;
    `full_page` takes the whole page, not only what the window shows."""
    if SHOTS:
        path = Path(SHOTS) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(io.BytesIO(page.screenshot(full_page=full_page))) as shot:
            shot.convert("RGB").quantize(colors=128).save(path, optimize=True)
