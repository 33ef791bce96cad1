"""Provenance that replays: manifests hold the graph the server ran and every input it was
given, `artfarm graph` prints that graph before the run, `artfarm replay` re-runs it to the byte.

One page of the tiny book goes through all four workflows (draft, refine, an inpaint fix, print)
on a real sketch server via real Snakemake.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from artfarm.atomic import canonical_json
from artfarm.pipeline.manifest import read_manifest
from artfarm.rendering.contenthash import sha256_file
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, Project, make_pipeline_project

pytestmark = pytest.mark.slow

STAGES = ("draft", "refine", "final", "print")
TARGET = f"{BOOK}/pages/0001/print/print.png"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, server) -> Project:
    """Page 1 rendered to print/, with one inpaint fix in its refine review."""
    project = make_pipeline_project(tmp_path_factory.mktemp("prov") / "project", server)
    assert project.snakemake(TARGET).returncode != 0  # stops at the draft review
    assert project.artfarm("review", BOOK, "1", "draft", "--auto").returncode == 0
    assert project.snakemake(TARGET).returncode != 0  # stops at the refine review
    [first, *_] = read_manifest(project.page(1) / "refine").ids()
    review = project.artfarm(
        "review", BOOK, "1", "refine", "--final", first, "--reject-rest", "weaker",
        "--fix-box", "20", "30", "40", "50", "a paw with four toes", "--rationale", "best",
    )  # fmt: skip
    assert review.returncode == 0, review.stderr
    done = project.snakemake(TARGET)
    assert done.returncode == 0, done.stderr
    return project


def jobs_of(project: Project) -> list[tuple[str, object]]:
    found = []
    for stage in STAGES:
        manifest = read_manifest(project.page(1) / stage)
        found += [(stage, job) for job in manifest.jobs]
    return found


def test_every_stage_ran_a_job_with_an_uploaded_input(rendered: Project) -> None:
    kinds = [job.stage for _, job in jobs_of(rendered)]
    assert kinds == ["draft", "refine", "inpaint", "upscale"]
    [(_, inpaint)] = [(s, j) for s, j in jobs_of(rendered) if j.stage == "inpaint"]
    assert set(inpaint.inputs) == {"init_image", "mask"}


def test_each_manifest_graph_is_the_prompt_the_server_recorded(rendered: Project) -> None:
    for stage, job in jobs_of(rendered):
        prompt_id = job.run["prompt_id"]
        body = httpx.get(f"{rendered.server.url}/history/{prompt_id}", timeout=10).json()
        _number, pid, graph, _extra, _outputs = body[prompt_id]["prompt"]
        assert pid == prompt_id
        assert graph == job.graph, stage
        assert list(json.dumps(graph)) == list(json.dumps(job.graph)), f"{stage}: key order"


def test_every_input_is_stored_in_the_book_under_its_uploaded_name(rendered: Project) -> None:
    book = rendered.root / BOOK
    for stage, job in jobs_of(rendered):
        titles = {n["_meta"]["title"]: n for n in job.graph.values()}
        for title, record in job.inputs.items():
            assert record["path"].startswith("inputs/sha256/"), (stage, record)
            stored = book / record["path"]
            assert sha256_file(stored) == record["sha256"]
            assert titles[title]["inputs"]["image"] == record["name"]
            assert record["name"] == job.run["uploads"][title]


def test_no_manifest_names_a_temporary_path(rendered: Project) -> None:
    for stage in STAGES:
        text = (rendered.page(1) / stage / "manifest.json").read_text()
        assert "runtime/tmp" not in text and "/tmp/tmp" not in text, stage
        for job in read_manifest(rendered.page(1) / stage).jobs:
            assert all("path" not in o for o in job.run["outputs"])


def test_artfarm_graph_prints_the_graph_each_manifest_records(rendered: Project) -> None:
    for stage in STAGES:
        [job] = read_manifest(rendered.page(1) / stage).jobs
        shown = rendered.artfarm("graph", BOOK, "1", stage)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == canonical_json(job.graph, sort_keys=False), stage


def test_graph_before_the_run_is_the_graph_the_run_records(server, tmp_path: Path) -> None:
    project = make_pipeline_project(tmp_path / "project", server)
    before = project.artfarm("graph", BOOK, "2", "draft")
    assert before.returncode == 0, before.stderr
    project.snakemake(f"{BOOK}/pages/0002/draft/manifest.json")
    [job] = read_manifest(project.page(2) / "draft").jobs
    assert before.stdout == canonical_json(job.graph, sort_keys=False)


def test_replay_of_every_stage_is_identical_on_the_same_server(rendered: Project) -> None:
    """The server still holds the last prompt's results in its cache (print's, then each
    replay's): replay must clear it, else it would compare the old files with themselves."""
    for stage in ("print", "print", *STAGES):
        manifest = rendered.page(1) / stage / "manifest.json"
        done = rendered.artfarm("replay", str(manifest), "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        result = json.loads(done.stdout)
        assert result["identical"] is True
        for job in result["jobs"]:
            assert job["got"] == job["expected"] and job["got"] and not job["cached"]


def test_replay_on_a_fresh_server_uploads_the_stored_inputs(
    rendered: Project, tmp_path: Path
) -> None:
    with running_sketch_server(tmp_path, models_dir=rendered.server.models_dir) as fresh:
        for stage in ("refine", "final", "print"):
            manifest = rendered.page(1) / stage / "manifest.json"
            done = rendered.artfarm("replay", str(manifest), "--server", fresh.url)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "1 output(s) identical" in done.stdout or "output(s) identical" in done.stdout


def test_replay_names_each_output_that_differs(rendered: Project, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(rendered.root, copy, symlinks=True)
    path = copy / BOOK / "pages" / "0001" / "draft" / "manifest.json"
    data = json.loads(path.read_text())
    data["jobs"][0]["run"]["outputs"][1]["sha256"] = "0" * 64
    path.write_text(json.dumps(data))
    done = Project(copy, rendered.server).artfarm("replay", str(path))
    assert done.returncode == 1
    [line] = [x for x in done.stderr.splitlines() if "≠" in x]
    assert "output c02: sha256" in line and "recorded 0000000000000000" in line
    assert "Traceback" not in done.stderr


def test_replay_refuses_a_stored_input_that_changed(rendered: Project, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(rendered.root, copy, symlinks=True)
    manifest = read_manifest(copy / BOOK / "pages" / "0001" / "final")
    stored = copy / BOOK / manifest.jobs[0].inputs["mask"]["path"]
    stored.write_bytes(b"not the mask")
    done = Project(copy, rendered.server).artfarm(
        "replay", str(copy / BOOK / "pages" / "0001" / "final" / "manifest.json")
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "inputs.mask" in line and "restore the file" in line
