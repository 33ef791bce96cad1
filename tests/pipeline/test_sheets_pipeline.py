"""Phase 0 end to end: real Snakemake, the sketch server, `artfarm review` and `artfarm next`.

The tiny book's bear gets a rendered sheet (its words → sheet job → review → refine → final
→ bible/character_refs/bear.png); the fox keeps its hand-made sheet, named as a rendered one
would be (bible/character_refs/fox.png), and a second book renders a fox of its own.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from artfarm.pipeline.awaiting import WAITING
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, Project, edit_spec, make_pipeline_project

pytestmark = pytest.mark.slow

SHEET = f"{BOOK}/bible/sheets/bear"
BEAR = f"{BOOK}/bible/character_refs/bear.png"
FOX = f"{BOOK}/bible/character_refs/fox.png"


def edit_bible(root: Path, book: str, change) -> None:
    path = root / book / "bible" / "characters.yaml"
    bible = yaml.safe_load(path.read_text())
    change({c["id"]: c for c in bible["characters"]})
    path.write_text(yaml.safe_dump(bible, sort_keys=False))


def render_the_bear(characters: dict) -> None:
    characters["bear"]["sheets"] = []
    characters["bear"]["render_sheet"] = {"seed": 7, "candidates": 2, "refine_variants": 1}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sheet_project(root: Path, server) -> Project:
    project = make_pipeline_project(root, server)
    edit_bible(project.root, BOOK, render_the_bear)
    (project.root / BEAR).unlink()
    for page in (1, 2, 3):  # the pages use the bible's sheets, not refs of their own
        edit_spec(project, page, refs={"style": ["bible/style_refs/style_01.png"]})
    other = project.root / "books" / "other_01"  # renders a fox: never this book's fox
    shutil.copytree(project.root / BOOK, other)
    edit_bible(project.root, "books/other_01", lambda c: c["fox"].update(sheets=[]))
    edit_bible(project.root, "books/other_01", lambda c: c["fox"].update(render_sheet={"seed": 3}))
    return project


def review(project: Project, target: str, stage: str) -> None:
    done = project.artfarm("review", BOOK, target, stage, "--auto")
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


@pytest.fixture(scope="module")
def lived(tmp_path_factory: pytest.TempPathFactory, server) -> dict:
    """The whole life: words → sheet (reviewed) → pages (reviewed) → print, with what was seen."""
    project = sheet_project(tmp_path_factory.mktemp("sheets") / "project", server)
    fox_before = (digest(project.root / FOX), (project.root / FOX).stat().st_mtime_ns)
    seen: dict = {"project": project, "fox_before": fox_before}
    first = project.snakemake(*project.prints())
    seen["first"] = first
    seen["first_next"] = project.artfarm("next", BOOK).stdout
    seen["first_drafts"] = sorted(
        p.parent.parent.name for p in (project.root / BOOK).glob("pages/*/draft/manifest.json")
    )
    review(project, "sheet:bear", "draft")
    review(project, "2", "draft")
    project.snakemake(*project.prints())
    review(project, "sheet:bear", "refine")
    review(project, "2", "refine")
    project.snakemake(*project.prints())
    review(project, "all", "draft")  # pages 1 and 3 now have drafts; the rest keep theirs
    project.snakemake(*project.prints())
    review(project, "all", "refine")
    seen["last"] = project.snakemake(*project.prints())
    return seen


def test_pages_wait_for_the_sheet_they_use_and_next_lists_the_sheet_first(lived) -> None:
    first = lived["first"]
    assert first.returncode == WAITING, first.stderr
    assert "sheet:bear: awaiting-draft-review" in first.stderr
    assert lived["first_drafts"] == ["0002"]  # the fox's page only: 1 and 3 use the bear
    lines = lived["first_next"].splitlines()
    assert lines[1].startswith("sheet:bear: awaiting-draft-review"), lines
    assert "page 0001: waits-for-sheet: waits for sheet:bear" in lived["first_next"]


def test_the_sheet_ends_as_the_books_reference_with_its_manifest(lived) -> None:
    project: Project = lived["project"]
    assert lived["last"].returncode == 0, lived["last"].stderr
    bear = project.root / BEAR
    manifest = yaml.safe_load((bear.parent / "bear.manifest.json").read_text())
    assert manifest["sheet"] == "bear" and manifest["outputs"][0]["sha256"] == digest(bear)
    variant = project.root / SHEET / "refine" / f"{manifest['notes']['final']}.png"
    assert digest(variant) == digest(bear)
    drafts = yaml.safe_load((project.root / SHEET / "draft" / "manifest.json").read_text())
    assert "a big round brown bear" in drafts["jobs"][0]["prompts"]["positive"]
    assert all((project.root / p).is_file() for p in project.prints())


def test_a_hand_made_sheet_is_used_as_it_is_and_never_overwritten(lived) -> None:
    project: Project = lived["project"]
    fox = project.root / FOX
    assert (digest(fox), fox.stat().st_mtime_ns) == lived["fox_before"]
    assert not (project.root / BOOK / "bible" / "sheets" / "fox").exists()
    forced = project.snakemake("-n", "-f", FOX)  # even asked for by name, no rule makes it
    assert forced.returncode != 0
    assert "No rule to produce" in forced.stderr + forced.stdout
    other = project.snakemake("-n", "books/other_01/bible/character_refs/fox.png")
    assert "sheet_final" in other.stdout  # the book that renders its fox does


def planned(project: Project) -> dict[str, list[str]]:
    done = project.snakemake("-n", *project.prints())
    assert done.returncode == 0, done.stderr
    jobs: dict[str, list[str]] = {}
    rule = None
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith(("rule ", "localrule ")):
            rule = line.split()[1].rstrip(":")
        elif line.startswith("wildcards:") and rule:
            who = dict(part.split("=") for part in line.split(":", 1)[1].strip().split(", "))
            jobs.setdefault(rule, []).append(who.get("page") or who["item"])
            rule = None
    return jobs, done.stdout


def test_editing_one_character_re_renders_its_sheet_and_exactly_its_pages(lived, tmp_path) -> None:
    root = tmp_path / "project"
    shutil.copytree(lived["project"].root, root, symlinks=True)
    project = Project(root, lived["project"].server)
    assert planned(project)[0] == {}  # the finished book plans nothing
    edit_bible(
        root,
        BOOK,
        lambda c: c["bear"].update(description="a big round brown bear in a green knitted hat"),
    )
    jobs, text = planned(project)
    assert jobs["sheet_draft"] == ["bear"]
    assert "Params have changed since last execution" in text  # the bear's words
    assert jobs["sheet_final"] == ["bear"]
    for rule in ("draft", "refine", "final", "print_art"):
        assert sorted(jobs[rule]) == ["0001", "0003"], rule  # the bear's pages, not the fox's
    assert f"Input files updated by another job: {BEAR}" in text
