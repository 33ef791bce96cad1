"""Builds from the board: real Snakemake, one at a time, watched through the status API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from artfarm.board.auth import HEADER
from artfarm.documents.book import Book
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

# A stand-in pipeline whose one job waits until the test lets it finish.
SNAKEFILE = """
rule pdf:
    output: "books/{book}/layout/pages.pdf"
    shell: "while [ ! -f release ]; do sleep 0.1; done; echo building {wildcards.book}; touch {output}"
"""


def stand_in_pipeline(folder: Path) -> Path:
    """A Snakefile and its workflow profile (as the project's), in `folder`."""
    (folder / "profiles" / "default").mkdir(parents=True)
    (folder / "profiles" / "default" / "config.yaml").write_text("cores: 1\n")
    snakefile = folder / "Snakefile"
    snakefile.write_text(SNAKEFILE)
    return snakefile


def test_one_build_at_a_time_started_and_watched_from_the_board(
    tiny_book: Path, board_for, tmp_path: Path
) -> None:
    root = tiny_book.parent.parent
    snakefile = stand_in_pipeline(tmp_path)
    server = board_for(Book(tiny_book), root, snakefile)
    http = httpx.Client(base_url=server.base, follow_redirects=True, timeout=30)
    http.get(server.url)
    token = {HEADER: server.board.token}
    assert http.post("/api/build").status_code == 403
    first = http.post("/api/build", headers=token)
    assert first.status_code == 200 and first.json()["build"]["running"]
    second = http.post("/api/build", headers=token)
    assert second.status_code == 409 and "already running" in second.json()["error"]
    (root / "release").write_text("")
    wait_until(lambda: not http.get("/api/status").json()["build"]["running"], "the build to end")
    build = http.get("/api/status").json()["build"]
    assert build["returncode"] == 0, build["tail"]
    assert any("building tiny_01" in line for line in build["tail"])
    assert (tiny_book / "layout" / "pages.pdf").is_file()


def test_a_build_while_another_snakemake_works_there_stops_at_once(
    tiny_book: Path, board_for, tmp_path: Path
) -> None:
    root = tiny_book.parent.parent
    snakefile = stand_in_pipeline(tmp_path)
    target = "books/tiny_01/layout/pages.pdf"
    command = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(root), target]
    agent = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        locks = root / ".snakemake" / "locks"
        wait_until(lambda: locks.is_dir() and any(locks.iterdir()), "the other Snakemake's lock")
        server = board_for(Book(tiny_book), root, snakefile)
        http = httpx.Client(base_url=server.base, follow_redirects=True, timeout=30)
        http.get(server.url)
        assert http.post("/api/build", headers={HEADER: server.board.token}).status_code == 200
        wait_until(lambda: not server.board.builds.running, "the refused build to end")
        build = http.get("/api/status").json()["build"]
        assert build["returncode"] != 0
        assert any("cannot be locked" in line for line in build["tail"]), build["tail"]
    finally:
        (root / "release").write_text("")
        agent.wait(timeout=120)
    assert agent.returncode == 0
