"""A real project for end-to-end runs: a tiny book, a sketch server, real Snakemake."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from artfarm.documents.book import Book
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.server import SketchServer
from tests import bookmaker
from tests.bookmaker import make_project

REPO = Path(__file__).resolve().parents[2]
BOOK = "books/tiny_01"


@dataclass
class Project:
    root: Path
    server: SketchServer

    @property
    def book(self) -> Book:
        return Book(self.root / BOOK)

    def page(self, page: int) -> Path:
        return self.root / BOOK / "pages" / f"{page:04d}"

    def prints(self) -> list[str]:
        return [f"{BOOK}/pages/{p:04d}/print/print.png" for p in self.book.page_numbers()]

    def snakemake(
        self, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(self.root),
            *args,
        ]
        env = {
            **os.environ,
            **(env or {}),
            "ARTFARM_CONFIG": str(self.root / "config" / "config.yaml"),
        }
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root, env=env
        )

    def artfarm(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "ARTFARM_CONFIG": str(self.root / "config" / "config.yaml")}
        return subprocess.run(
            [sys.executable, "-m", "artfarm", *args],
            capture_output=True,
            text=True,
            cwd=self.root,
            env=env,
        )

    def submissions(self) -> int:
        return len(self.server.stats.prompts_accepted)

    def planned_jobs(self, *targets: str) -> dict[str, list[str]]:
        """Rule → pages of the jobs a dry run plans ("" for a job of the whole book)."""
        done = self.snakemake("-n", *(targets or self.prints()))
        assert done.returncode == 0, done.stderr + done.stdout
        jobs: dict[str, list[str]] = {}
        rule = None
        for line in (done.stdout + done.stderr).splitlines():
            line = line.strip()
            if line.startswith(("rule ", "localrule ")):
                rule = line.split()[1].rstrip(":")
            elif line.startswith("wildcards:") and rule:
                page = line.split("page=")[1].split(",")[0] if "page=" in line else ""
                jobs.setdefault(rule, []).append(page)
                rule = None
        return jobs


def write_config(root: Path, server_url: str, models: Path) -> None:
    config = {"servers": [server_url], "models_dir": str(models), "runtime_dir": "runtime"}
    path = root / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))


def make_pipeline_project(root: Path, server: SketchServer) -> Project:
    """The project's model store is the server's models folder, as on one GPU box."""
    make_project(root)
    write_config(root, server.url, server.models_dir)
    book = Book(root / BOOK)
    store = ModelStore(server.models_dir)
    write_placeholders(book, store)
    lock_book(book, store)
    return Project(root, server)


def edit_spec(project: Project, page: int, **changes: object) -> None:
    bookmaker.edit_spec(project.root / BOOK, page, **changes)
