"""Phase 0's golden images end to end: real Snakemake, the sketch server, `artfarm review`
and `artfarm next`.

The tiny book's bible declares three golden images: `meadow` (rendered, for every page no
golden image names), `creek` (rendered, page 2 only, the fox in it) and `hills` (hand-made,
the existing bible/style_refs/style_01.png). Its pages name no style reference of their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from artfarm.pipeline.awaiting import WAITING
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, Project, edit_spec, make_pipeline_project
from tests.pipeline.test_sheets_pipeline import planned

pytestmark = pytest.mark.slow

MEADOW = f"{BOOK}/bible/style_refs/meadow.png"
CREEK = f"{BOOK}/bible/style_refs/creek.png"
HILLS = f"{BOOK}/bible/style_refs/style_01.png"
GOLDEN = [
    {
        "id": "meadow",
        "scene": "a sunny meadow of tall grass",
        "render": {"seed": 5, "candidates": 2},
    },
    {
        "id": "creek",
        "scene": "a creek under willows at dusk",
        "characters": ["fox"],
        "pages": [2],
        "render": {"seed": 6, "candidates": 2, "refine_variants": 1},
    },
    {"id": "hills", "scene": "rolling hills", "image": "bible/style_refs/style_01.png"},
]


def set_golden(root: Path, golden: list[dict]) -> None:
    path = root / BOOK / "bible" / "characters.yaml"
    bible = yaml.safe_load(path.read_text())
    bible["style_refs"] = golden
    path.write_text(yaml.safe_dump(bible, sort_keys=False))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    """words → golden images (reviewed) → pages (reviewed) → print, with what was seen."""
    project = make_pipeline_project(tmp_path_factory.mktemp("golden") / "project", server)
    set_golden(project.root, GOLDEN)
    for page in (1, 2, 3):
        characters = project.book.load_spec(page).refs.characters
        edit_spec(project, page, refs={"style": [], "characters": characters})
    hills = project.root / HILLS
    seen: dict = {"project": project, "hills_before": (digest(hills), hills.stat().st_mtime_ns)}
    seen["first"] = project.snakemake(*project.prints())
    seen["first_next"] = project.artfarm("next", BOOK).stdout
    seen["first_drafts"] = sorted(
        p.parent.parent.name for p in (project.root / BOOK).glob("pages/*/draft/manifest.json")
    )
    for stage in ("draft", "refine"):
        review(project, "style:meadow", stage)
        review(project, "style:creek", stage)
        project.snakemake(*project.prints())
    review(project, "all", "draft")
    project.snakemake(*project.prints())
    review(project, "all", "refine")
    seen["last"] = project.snakemake(*project.prints())
    return seen


def test_pages_wait_for_their_golden_images_and_next_lists_them_first(lived) -> None:
    first = lived["first"]
    assert first.returncode == WAITING, first.stderr
    assert "style:meadow: awaiting-draft-review" in first.stderr
    assert lived["first_drafts"] == []  # every page uses a rendered golden image
    heads = [line for line in lived["first_next"].splitlines()[1:] if not line[0].isspace()]
    assert heads[0].startswith("style:meadow: awaiting-draft-review"), heads
    assert heads[1].startswith("style:creek: awaiting-draft-review"), heads
    assert "page 0002: waits-for-sheet: waits for style:creek" in lived["first_next"]


def test_a_golden_image_ends_in_style_refs_with_its_manifest(lived) -> None:
    project: Project = lived["project"]
    assert lived["last"].returncode == 0, lived["last"].stderr
    meadow = project.root / MEADOW
    manifest = yaml.safe_load((meadow.parent / "meadow.manifest.json").read_text())
    assert (manifest["kind"], manifest["sheet"]) == ("style", "meadow")
    assert manifest["outputs"][0]["sha256"] == digest(meadow)
    work = project.root / BOOK / "bible" / "golden" / "meadow"
    assert digest(work / "refine" / f"{manifest['notes']['final']}.png") == digest(meadow)
    drafts = yaml.safe_load((work / "draft" / "manifest.json").read_text())
    assert "a sunny meadow of tall grass" in drafts["jobs"][0]["prompts"]["positive"]
    assert all((project.root / p).is_file() for p in project.prints())


def test_a_hand_made_golden_image_is_used_as_it_is_and_never_written(lived) -> None:
    project: Project = lived["project"]
    hills = project.root / HILLS
    assert (digest(hills), hills.stat().st_mtime_ns) == lived["hills_before"]
    assert not (project.root / BOOK / "bible" / "golden" / "hills").exists()
    forced = project.snakemake("-n", "-f", HILLS)  # even asked for by name, no rule makes it
    assert forced.returncode != 0
    assert "No rule to produce" in forced.stderr + forced.stdout


def test_editing_one_golden_image_re_renders_it_and_exactly_its_pages(lived, tmp_path) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(lived["project"].root, root, symlinks=True)
    project = Project(root, lived["project"].server)
    assert planned(project)[0] == {}  # the finished book plans nothing
    set_golden(root, [GOLDEN[0], dict(GOLDEN[1], scene="a creek in the spring rain"), GOLDEN[2]])
    jobs, text = planned(project)
    assert jobs["sheet_draft"] == ["creek"]
    assert "Params have changed since last execution" in text  # the creek's words
    assert jobs["sheet_final"] == ["creek"]
    for rule in ("draft", "refine", "final", "print_art"):
        assert sorted(jobs[rule]) == ["0002"], rule  # the creek's page, not the meadow's
    assert f"Input files updated by another job: {CREEK}" in text


def test_a_golden_image_no_page_gets_is_never_planned_and_validate_says_so(
    server, tmp_path: Path
) -> None:
    project = make_pipeline_project(tmp_path / "project", server)
    lonely = {"id": "lonely", "scene": "an empty beach", "pages": [2], "render": {"seed": 7}}
    set_golden(project.root, [GOLDEN[0], lonely, GOLDEN[2]])
    for page in (1, 3):  # page 2 keeps its own refs.style, so no page gets `lonely`
        characters = project.book.load_spec(page).refs.characters
        edit_spec(project, page, refs={"style": [], "characters": characters})
    done = project.snakemake("-n", f"{BOOK}/layout/pages.pdf")
    assert done.returncode == 0, done.stderr
    assert "work=golden, item=meadow" in done.stdout  # the golden image pages 1 and 3 use
    assert "lonely" not in done.stdout
    checked = project.artfarm("validate", BOOK)
    assert checked.returncode == 0, checked.stderr
    assert "golden image 'lonely' reaches no page (page 2 it lists names its own" in (
        checked.stderr
    )
    assert "never rendered nor used" in checked.stderr
