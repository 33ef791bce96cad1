"""Prune, archive and restore a book rendered by real Snakemake on the sketch server."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from artfarm.pipeline.manifest import read_manifest
from artfarm.pipeline.reviewing import load_review
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import (
    BOOK,
    Project,
    edit_spec,
    make_pipeline_project,
    write_config,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, server) -> Project:
    """The tiny book taken to print/ and layout/proof.pdf, with automatic reviews."""
    project = make_pipeline_project(tmp_path_factory.mktemp("rendered") / "project", server)
    for page in project.book.page_numbers():
        edit_spec(project, page, candidates=3, refine_variants=2)
    targets = [*project.prints(), f"{BOOK}/layout/proof.pdf"]
    assert project.snakemake(*targets).returncode != 0  # waits for the draft reviews
    assert project.artfarm("review", BOOK, "all", "draft", "--auto").returncode == 0
    project.snakemake(*targets)
    assert project.artfarm("review", BOOK, "all", "refine", "--auto").returncode == 0
    done = project.snakemake(*targets)
    assert done.returncode == 0, done.stderr
    # The proof took the best art there was when the run began; once more with the print art.
    assert project.snakemake(*targets).returncode == 0
    assert project.planned_jobs(*targets) == {}
    return project


@pytest.fixture
def project(rendered: Project, tmp_path: Path) -> Project:
    """A copy of the rendered project (mtimes kept; the render cache keeps its own copies)."""
    root = tmp_path / "project"
    shutil.copytree(rendered.root, root, symlinks=True)
    return Project(root, rendered.server)


def targets(project: Project) -> list[str]:
    return [*project.prints(), f"{BOOK}/layout/proof.pdf"]


def not_kept(project: Project) -> list[Path]:
    """Draft candidates the reviews did not select and variants they did not pick."""
    paths = []
    for page in project.book.page_numbers():
        review = load_review(project.book, page)
        assert review is not None and review.draft and review.refine
        drafts = read_manifest(project.page(page) / "draft")
        variants = read_manifest(project.page(page) / "refine")
        paths += [
            project.page(page) / "draft" / o.file
            for o in drafts.outputs
            if o.id not in review.draft.selected
        ]
        paths += [
            project.page(page) / "refine" / o.file
            for o in variants.outputs
            if o.id != review.refine.final
        ]
    return paths


def not_log(name: str) -> bool:
    """Job logs, last-failure notes and hidden files (caches such as layout's grey samples)
    are not gold: the archive leaves them out (operations/goldset.py)."""
    parts = name.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    return parts[0] != "logs" and not (len(parts) > 3 and parts[2] in {"logs", "errors"})


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_prune_frees_the_unkept_images_and_the_pipeline_plans_nothing(project: Project) -> None:
    doomed = not_kept(project)
    assert len(doomed) == 9  # every page has unselected drafts and unpicked variants
    expected = sum(p.stat().st_size for p in doomed)
    manifests = {p: p.read_bytes() for p in project.root.joinpath(BOOK).rglob("manifest.json")}
    before = project.submissions()

    done = project.artfarm("prune", BOOK)

    assert done.returncode == 0, done.stderr
    assert f"deleted {len(doomed)} file(s), {expected / 2**20:.1f} MiB freed" in done.stdout
    assert not any(p.exists() for p in doomed)
    assert {p: p.read_bytes() for p in manifests} == manifests  # byte for byte
    for page in project.book.page_numbers():
        review = load_review(project.book, page)
        assert review and review.draft and review.refine
        for cid in review.draft.selected:
            assert (project.page(page) / "draft" / f"{cid}.png").is_file()
            assert (project.page(page) / "selected" / f"{cid}.png").is_file()
        assert (project.page(page) / "refine" / f"{review.refine.final}.png").is_file()
        record = json.loads((project.page(page) / "draft" / "pruned.json").read_text())
        drafts = read_manifest(project.page(page) / "draft")
        assert record["images_sha256"] == drafts.images_sha256
        for cid, gone in record["pruned"].items():
            assert gone["sha256"] == drafts.output(cid).sha256
    assert project.planned_jobs(*targets(project)) == {}
    again = project.snakemake(*targets(project))
    assert again.returncode == 0, again.stderr
    assert project.submissions() == before
    assert "deleted 0 file(s)" in project.artfarm("prune", BOOK).stdout


def test_a_page_with_a_stale_review_keeps_every_image(project: Project) -> None:
    edit_spec(project, 2, scene="the fox naps under a big oak tree")
    project.snakemake(*project.prints())  # new drafts for page 2; its review is now stale
    drafts = read_manifest(project.page(2) / "draft")
    assert load_review(project.book, 2).draft.drafts_sha256 != drafts.images_sha256

    assert project.artfarm("prune", BOOK).returncode == 0

    assert all((project.page(2) / "draft" / o.file).is_file() for o in drafts.outputs)
    assert not (project.page(2) / "draft" / "pruned.json").exists()
    assert not any(p.exists() for p in not_kept(project) if "/0002/" not in str(p))


def test_prune_frees_a_file_only_when_its_last_hard_link_goes(project: Project) -> None:
    doomed = not_kept(project)
    cache_link = project.root / "runtime" / "cache" / "extra" / "out_00.png"
    cache_link.parent.mkdir(parents=True)
    os.link(doomed[0], cache_link)
    held = doomed[0].stat().st_size
    freed = sum(p.stat().st_size for p in doomed) - held

    done = project.artfarm("prune", BOOK, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert all(p.exists() for p in doomed)
    assert f"would delete {len(doomed)} file(s), {freed / 2**20:.1f} MiB freed" in done.stdout
    assert f"{held / 2**20:.1f} MiB more stay on disk as hard links" in done.stdout

    assert project.artfarm("prune", BOOK).returncode == 0
    assert cache_link.is_file() and cache_link.stat().st_nlink == 1


def test_drafts_only_keeps_the_variants(project: Project) -> None:
    done = project.artfarm("prune", BOOK, "--drafts")
    assert done.returncode == 0, done.stderr
    variants = [p for p in not_kept(project) if p.parent.name == "refine"]
    assert variants and all(p.exists() for p in variants)


def test_after_a_prune_the_gates_still_judge_and_a_pruned_pick_is_refused(
    project: Project,
) -> None:
    assert project.artfarm("prune", BOOK).returncode == 0
    wanted = next(p for p in not_kept(project) if p.parent.name == "draft")
    page = int(wanted.parent.parent.name)

    again = project.artfarm(
        "review", BOOK, str(page), "draft", "--select", wanted.stem, "--reject-rest", "weaker",
        "--rationale", "second thoughts",
    )  # fmt: skip
    assert again.returncode == 1
    [line] = again.stderr.strip().splitlines()
    assert f"draft.selected[0]: {wanted.stem} was pruned" in line
    assert f"artfarm unprune {BOOK} {page}" in line

    # A hand-written review picking it: the gate refuses with the same line, nothing crashes.
    review_path = project.page(page) / "review.json"
    review = json.loads(review_path.read_text())
    kept = review["draft"]["selected"][0]
    review["draft"]["selected"] = [wanted.stem]
    review["draft"]["rejected"] = {kept: "changed my mind"}
    del review["refine"]
    review_path.write_text(json.dumps(review))
    run = project.snakemake(*project.prints())
    assert run.returncode != 0
    assert f"{wanted.stem} was pruned" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr

    # An edited spec: new drafts, the old review is stale, the gate says so (nothing pruned).
    edit_spec(project, 2, scene="the fox naps under a big oak tree")
    run = project.snakemake(*project.prints())
    assert "review is stale" in run.stderr + run.stdout
    assert all((project.page(2) / "draft" / o.file).is_file()
               for o in read_manifest(project.page(2) / "draft").outputs)  # fmt: skip


def test_archive_delete_restore_gives_the_gold_back_and_plans_nothing(
    project: Project, tmp_path: Path
) -> None:
    book = project.root / BOOK
    pack = project.root / "style_packs" / "watercolor_whimsy_v1"
    out = tmp_path / "tiny.tar.gz"
    done = project.artfarm("archive", BOOK, str(out))
    assert done.returncode == 0, done.stderr
    doomed = {p.relative_to(book).as_posix() for p in not_kept(project)}
    gold = {k: v for k, v in digests(book).items() if k not in doomed and not_log(k)}
    pack_digests = digests(pack)
    mtimes = {p: p.stat().st_mtime_ns for p in book.rglob("*") if p.is_file()}

    shutil.rmtree(book)
    shutil.rmtree(pack)
    shutil.rmtree(project.root / ".snakemake")  # as on another machine
    done = project.artfarm("restore", str(out), BOOK)
    assert done.returncode == 0, done.stderr

    restored = digests(book)
    assert {k: restored.get(k) for k in gold} == gold
    assert digests(pack) == pack_digests
    for path, mtime in mtimes.items():
        if path.exists():
            assert path.stat().st_mtime_ns == mtime
    assert not [p for p in (project.root / "books").iterdir() if p.name.startswith(".")]
    assert project.planned_jobs(*targets(project)) == {}

    # What the archive left out is marked pruned: a review wanting it gets the one line.
    wanted = next(iter(sorted(doomed)))
    assert not (book / wanted).exists()
    page = int(wanted.split("/")[1])
    stage = wanted.split("/")[2]
    record = json.loads((book / "pages" / f"{page:04d}" / stage / "pruned.json").read_text())
    assert Path(wanted).stem in record["pruned"]


def test_archive_with_drafts_restores_every_image(project: Project, tmp_path: Path) -> None:
    book = project.root / BOOK
    out = tmp_path / "tiny.tar.gz"
    assert project.artfarm("archive", BOOK, str(out), "--with-drafts").returncode == 0
    before = {k: v for k, v in digests(book).items() if not_log(k)}
    shutil.rmtree(book)
    assert project.artfarm("restore", str(out), BOOK).returncode == 0
    after = digests(book)
    assert {k: after.get(k) for k in before} == before


def first_pruned_draft(project: Project) -> tuple[Path, int, str]:
    wanted = next(p for p in not_kept(project) if p.parent.name == "draft")
    sha = hashlib.sha256(wanted.read_bytes()).hexdigest()
    return wanted, int(wanted.parent.parent.name), sha


def test_unprune_brings_a_draft_back_from_the_cache_and_the_review_may_pick_it(
    project: Project,
) -> None:
    wanted, page, sha = first_pruned_draft(project)
    assert project.artfarm("prune", BOOK).returncode == 0
    before = project.submissions()

    done = project.artfarm("unprune", BOOK, str(page))

    assert done.returncode == 0, done.stderr
    assert "from the render cache" in done.stdout
    assert hashlib.sha256(wanted.read_bytes()).hexdigest() == sha
    assert project.submissions() == before
    review = project.artfarm(
        "review", BOOK, str(page), "draft", "--select", wanted.stem, "--reject-rest", "weaker",
        "--rationale", "second thoughts",
    )  # fmt: skip
    assert review.returncode == 0, review.stderr
    run = project.snakemake(*project.prints())
    assert "Traceback" not in run.stderr
    assert read_manifest(project.page(page) / "selected").ids() == [wanted.stem]
    assert (project.page(page) / "selected" / wanted.name).is_file()


def test_unprune_without_the_cache_re_renders_from_the_manifest_identically(
    project: Project,
) -> None:
    wanted, page, sha = first_pruned_draft(project)
    assert project.artfarm("prune", BOOK).returncode == 0
    shutil.rmtree(project.root / "runtime" / "cache")
    before = project.submissions()

    done = project.artfarm("unprune", BOOK, str(page))

    assert done.returncode == 0, done.stderr
    assert "re-rendered from the manifest" in done.stdout
    jobs = 0  # one new run per job with a pruned image: the draft burst, the refine of c01
    for stage in ("draft", "refine"):
        pruned = json.loads((project.page(page) / stage / "pruned.json").read_text())["pruned"]
        jobs += sum(1 for job in read_manifest(project.page(page) / stage).jobs
                    if set(job.outputs) & set(pruned))  # fmt: skip
    assert jobs == 2
    assert project.submissions() == before + jobs
    assert hashlib.sha256(wanted.read_bytes()).hexdigest() == sha
    assert project.planned_jobs(*targets(project)) == {}


def test_unprune_refuses_an_image_that_no_longer_renders_the_same(
    project: Project, tmp_path: Path
) -> None:
    wanted, page, _ = first_pruned_draft(project)
    assert project.artfarm("prune", BOOK).returncode == 0
    shutil.rmtree(project.root / "runtime" / "cache")
    models = project.server.models_dir
    # Another server that writes its PNGs without the workflow metadata: other bytes.
    with running_sketch_server(tmp_path / "other", models_dir=models, metadata=False) as other:
        write_config(project.root, other.url, models)
        done = project.artfarm("unprune", BOOK, str(page))
        assert len(other.stats.prompts_accepted) == 1

    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "no longer the same image" in line and f"{wanted.stem}: made again" in line
    assert not wanted.exists()
    again = project.artfarm("review", BOOK, str(page), "draft", "--select", wanted.stem,
                            "--reject-rest", "weaker", "--rationale", "still wanted")  # fmt: skip
    assert again.returncode == 1 and "was pruned" in again.stderr


def test_after_a_restore_in_the_same_project_an_edited_spec_still_rerenders_its_page(
    project: Project, tmp_path: Path
) -> None:
    """Snakemake's records of the book's outputs (.snakemake/) still fit the restored files."""
    out = tmp_path / "tiny.tar.gz"
    assert project.artfarm("archive", BOOK, str(out)).returncode == 0
    shutil.rmtree(project.root / BOOK)
    assert project.artfarm("restore", str(out), BOOK).returncode == 0
    assert project.planned_jobs(*targets(project)) == {}

    edit_spec(project, 2, scene="the fox naps under a big oak tree")

    planned = project.planned_jobs(*project.prints())
    assert {page for pages in planned.values() for page in pages} == {"0002"}
    assert "draft" in planned
