"""Real Snakemake runs of the pipeline against the sketch server: the product's heart."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from PIL import Image

from artfarm.comfy.client import ComfyClient
from artfarm.pipeline.awaiting import WAITING
from artfarm.pipeline.manifest import read_manifest
from artfarm.rendering.canvas import page_canvas
from artfarm.rendering.modelstore import ModelStore, lock_book
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, REPO, Project, edit_spec, make_pipeline_project
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

RENDER_RULES = {"draft", "refine", "final", "print_art"}
CRASH_MARKERS = ("Error in rule", "CalledProcessError", "WorkflowError", "Traceback", "Exiting")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


def new_project(root: Path, server) -> Project:
    return make_pipeline_project(root, server)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, server) -> Project:
    """The tiny book taken all the way to print/, with automatic reviews."""
    project = new_project(tmp_path_factory.mktemp("rendered") / "project", server)
    first = project.snakemake(*project.prints())
    assert first.returncode != 0  # stops at the draft reviews
    assert project.artfarm("review", BOOK, "all", "draft", "--auto").returncode == 0
    project.snakemake(*project.prints())
    assert project.artfarm("review", BOOK, "all", "refine", "--auto").returncode == 0
    done = project.snakemake(*project.prints())
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture
def project(rendered: Project, tmp_path: Path) -> Project:
    """A copy of the rendered project (mtimes kept), so each test may change it."""
    root = tmp_path / "project"
    shutil.copytree(rendered.root, root, symlinks=True)
    return Project(root, rendered.server)


def test_a_fresh_book_renders_drafts_and_stops_with_a_review_summary(
    tmp_path: Path, server
) -> None:
    project = new_project(tmp_path / "project", server)
    shutil.copytree(project.root / BOOK, project.root / "books" / "other_01")  # not asked for
    done = project.snakemake(*project.prints())
    assert done.returncode == WAITING, done.stderr
    assert "3 page(s) need something (3 wait for a review)" in done.stderr
    assert "artfarm review books/tiny_01 2 draft --select" in done.stderr
    assert "Stopped at the review gates (3 job(s) wait for a review; exit status 75)" in (
        done.stderr
    )
    for page in (1, 2, 3):
        assert (project.page(page) / "draft" / "contact_sheet.png").is_file()
        assert not (project.page(page) / "selected").exists()
        assert not (project.page(page) / "review.json").exists()
    assert [m for m in CRASH_MARKERS if m in done.stderr] == []
    assert "other_01" not in done.stderr
    dry = project.snakemake("-n", *project.prints())  # the gates are still planned
    assert dry.returncode == 0 and "select_drafts" in dry.stdout + dry.stderr


def test_after_both_reviews_every_page_reaches_print(rendered: Project) -> None:
    book = rendered.book
    for page in (1, 2, 3):
        final = page_canvas(book, page).final  # the layout's 8.5x8.5 + bleed: nearly square
        with Image.open(rendered.page(page) / "print" / "print.png") as image:
            assert image.size == tuple(
                round(side * book.config.sizes.print_scale) for side in final
            )
        manifest = read_manifest(rendered.page(page) / "print")
        [job] = manifest.jobs
        assert job.run is not None and job.run["prompt_id"]
        assert job.models and job.graph and job.prompts["positive"]


def test_a_rerun_with_nothing_changed_plans_no_job(project: Project) -> None:
    assert project.planned_jobs() == {}


def test_touching_every_file_runs_no_gpu_job(project: Project) -> None:
    before = project.submissions()
    for path in (project.root / "books").rglob("*"):
        os.utime(path)
    done = project.snakemake(*project.prints())
    assert done.returncode == 0, done.stderr
    assert project.submissions() == before
    assert not RENDER_RULES & set(project.planned_jobs())


def test_a_plain_copy_of_the_book_renders_nothing_new(project: Project, tmp_path: Path) -> None:
    book = project.root / BOOK
    shutil.copytree(book, tmp_path / "copy")
    shutil.rmtree(book)
    shutil.copytree(tmp_path / "copy", book)  # same bytes, new mtimes
    before = project.submissions()
    done = project.snakemake(*project.prints())
    assert done.returncode == 0, done.stderr
    assert project.submissions() == before


def test_a_moved_checkout_and_interpreter_plan_no_job(project: Project, tmp_path: Path) -> None:
    """Params hold no path of the checkout or its Python: a moved clone re-runs nothing."""
    pages = project.book.page_numbers()
    targets = [*project.prints(), *(f"{BOOK}/exports/print/{p:04d}.jpg" for p in pages)]
    built = project.snakemake(*targets)
    assert built.returncode == 0, built.stderr
    moved = tmp_path / "moved"
    moved.mkdir()
    for part in ("Snakefile", "rules", "scripts", "config", "profiles", "environment.yml"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, moved / part)
        else:
            shutil.copy2(source, moved / part)
    venv = tmp_path / "venv"
    venv.symlink_to(sys.prefix, target_is_directory=True)  # the same packages, another path
    command = [str(venv / "bin" / "python"), "-m", "snakemake", "-s", str(moved / "Snakefile")]
    env = {**os.environ, "ARTFARM_CONFIG": str(project.root / "config" / "config.yaml")}
    dry = subprocess.run(
        [*command, "-d", str(project.root), "-n", *targets],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project.root,
        env=env,
    )
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout + dry.stderr


def test_editing_one_scene_rerenders_that_page_only_and_its_review_goes_stale(
    project: Project,
) -> None:
    edit_spec(project, 2, scene="the fox naps under a big oak tree")
    planned = project.planned_jobs()
    assert {page for pages in planned.values() for page in pages} == {"0002"}
    assert "draft" in planned
    dry = project.snakemake("-n", *project.prints())
    reasons = [line for line in (dry.stdout + dry.stderr).splitlines() if "reason:" in line]
    [draft_reason] = [r for r in reasons if "Params have changed" in r]
    before, now = draft_reason.split("before: ")[1].split(" now: ")
    changed = {part.split(":")[0] for part in set(now.split()) - set(before.split())}
    assert changed == {"'renderspec.json", "request"}  # the reason names the changed spec
    before = project.submissions()
    done = project.snakemake(*project.prints())
    assert done.returncode == WAITING, done.stderr  # a stale review waits, it is no crash
    assert project.submissions() == before + 1  # one new draft burst, nothing else
    assert "1 page(s) need something (1 wait for a review)" in done.stderr
    assert "page 0002: stale-draft-review: the draft review is stale" in done.stderr
    assert [m for m in CRASH_MARKERS if m in done.stderr] == []
    assert not (project.page(2) / "errors" / "select.json").exists()
    assert json.loads((project.page(2) / "review.json").read_text())["draft"]


def test_changing_one_sheet_rerenders_exactly_the_pages_that_use_it(project: Project) -> None:
    bear = project.root / BOOK / "bible" / "character_refs" / "bear.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(bear)
    planned = project.planned_jobs()
    assert sorted(planned["draft"]) == ["0001", "0003"]  # the bear's pages; page 2 is the fox's
    assert {page for pages in planned.values() for page in pages} == {"0001", "0003"}
    dry = project.snakemake("-n", *project.prints())
    reasons = [line for line in (dry.stdout + dry.stderr).splitlines() if "reason:" in line]
    [before, now] = reasons[0].split("before: ")[1].split(" now: ")
    changed = {part.split(":")[0] for part in set(now.split()) - set(before.split())}
    assert "refs" in changed  # the reason names the changed references


def test_a_pages_sheets_are_inputs_of_its_draft_job(project: Project) -> None:
    """So Snakemake orders a page after the sheets it uses (a rule that renders one runs first)."""
    (project.root / BOOK / "bible" / "character_refs" / "fox.png").unlink()
    (project.page(2) / "draft" / "manifest.json").unlink()
    dry = project.snakemake("-n", f"{BOOK}/pages/0002/draft/manifest.json")
    assert dry.returncode != 0
    assert "Missing input files for rule draft" in dry.stdout + dry.stderr
    assert "bible/character_refs/fox.png" in dry.stdout + dry.stderr


def test_a_stale_final_review_is_refused_naming_the_page_and_its_review_is_kept(
    project: Project,
) -> None:
    """The refine variants change after the final pick: no final or print from that pick."""
    edit_spec(project, 1, refine_variants=2)
    assert project.planned_jobs()["refine"] == ["0001"]
    review = (project.page(1) / "review.json").read_bytes()
    printed = (project.page(1) / "print" / "print.png").read_bytes()
    before = project.submissions()
    done = project.snakemake(*project.prints())
    assert done.returncode == WAITING, done.stderr  # a stale review waits, it is no crash
    assert project.submissions() == before + 1  # the new refine burst; no inpaint, no upscale
    assert "page 0001: stale-final-review: the final review is stale" in done.stderr
    assert "the refine review is stale" in (project.page(1) / "logs" / "final.log").read_text()
    assert not (project.page(1) / "final" / "manifest.json").exists()  # no final from it
    assert (project.page(1) / "review.json").read_bytes() == review
    assert (project.page(1) / "print" / "print.png").read_bytes() == printed
    todo = [
        json.loads(line) for line in project.artfarm("next", BOOK, "--json").stdout.splitlines()
    ]
    assert [t["state"] for t in todo] == ["stale-final-review"]


def test_swapping_the_final_model_rerenders_refine_and_later_but_no_draft(
    project: Project,
) -> None:
    store = ModelStore(project.server.models_dir)
    final = store.root / "checkpoints" / "sketch_final_v1.safetensors"
    original = final.read_bytes()
    try:
        final.write_bytes(b"a better final model")
        refused = project.snakemake(*project.prints())
        assert refused.returncode != 0
        assert "sha256" in refused.stderr and "--repin" in refused.stderr
        lock_book(project.book, store, repin=True)
        planned = project.planned_jobs()
    finally:
        final.write_bytes(original)
    assert "draft" not in planned
    assert sorted(planned["refine"]) == ["0001", "0002", "0003"]


def test_reverting_a_spec_restores_images_from_the_cache(project: Project) -> None:
    drafts = project.page(3) / "draft" / "c01.png"
    original = drafts.read_bytes()
    spec = project.page(3) / "renderspec.json"
    saved = spec.read_text()
    edit_spec(project, 3, seed=99)
    project.snakemake(f"{BOOK}/pages/0003/draft/manifest.json")
    assert drafts.read_bytes() != original
    before = project.submissions()
    spec.write_text(saved)
    done = project.snakemake(*project.prints())
    assert done.returncode == 0, done.stderr
    assert project.submissions() == before
    assert drafts.read_bytes() == original


def test_adding_the_final_pick_rerenders_no_draft_or_refine(project: Project) -> None:
    assert (
        project.artfarm(
            "review",
            BOOK,
            "1",
            "refine",
            "--final",
            "c01-v1",
            "--rationale",
            "steadier pose",
            "--fix-box",
            "8",
            "8",
            "40",
            "40",
            "a brighter sky",
        ).returncode
        == 0
    )
    planned = project.planned_jobs()
    assert set(planned) == {"final", "print_art"}
    assert planned["final"] == ["0001"]


def test_changing_the_draft_selection_rerenders_that_pages_refine_and_later(
    project: Project,
) -> None:
    assert (
        project.artfarm(
            "review",
            BOOK,
            "3",
            "draft",
            "--select",
            "c02",
            "--reject-rest",
            "less clear",
            "--rationale",
            "better staging",
        ).returncode
        == 0
    )
    planned = project.planned_jobs()
    assert "draft" not in planned
    assert {page for pages in planned.values() for page in pages} == {"0003"}
    assert "refine" in planned


def test_a_stage_reruns_from_its_manifest_alone_to_identical_bytes(
    rendered: Project, tmp_path: Path
) -> None:
    manifest = read_manifest(rendered.page(1) / "draft")
    [job] = manifest.jobs
    with (
        running_sketch_server(tmp_path, models_dir=rendered.server.models_dir) as fresh,
        ComfyClient(fresh.url) as client,
    ):
        record = client.run(job.graph, {}, tmp_path / "again")
    again = [Path(o.path).read_bytes() for o in record.outputs]
    originals = [(rendered.page(1) / "draft" / o.file).read_bytes() for o in manifest.outputs]
    assert again == originals


def test_an_invalid_spec_fails_its_job_with_one_clear_line(project: Project) -> None:
    edit_spec(project, 1, seed=-3)
    done = project.snakemake(f"{BOOK}/pages/0001/draft/manifest.json")
    assert done.returncode == 1  # a real failure, not a wait
    assert "Error in rule draft" in done.stderr
    assert "0001/renderspec.json: seed" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_server_that_is_down_is_named_in_the_error(project: Project, tmp_path: Path) -> None:
    config = project.root / "config" / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings.update(servers=["http://127.0.0.1:9"], client={"retry_seconds": 0.5})
    config.write_text(yaml.safe_dump(settings))
    edit_spec(project, 1, seed=4242)
    done = project.snakemake(f"{BOOK}/pages/0001/draft/manifest.json")
    assert done.returncode != 0
    assert "127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def add_dead_server(project: Project) -> None:
    config = project.root / "config" / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["servers"] = [*settings["servers"], "http://127.0.0.1:9"]
    config.write_text(yaml.safe_dump(settings))


def test_a_run_that_renders_names_a_dead_server_before_any_job_starts(project: Project) -> None:
    add_dead_server(project)
    edit_spec(project, 1, seed=4243)
    before = project.submissions()
    done = project.snakemake(f"{BOOK}/pages/0001/draft/manifest.json")
    assert done.returncode == 1
    named = [line for line in done.stderr.splitlines() if "127.0.0.1:9" in line]
    assert len(named) == 1, done.stderr
    assert named[0].startswith("error: config/config.yaml: servers[1]: ")
    assert "(fix: " in named[0]
    assert "rule draft" not in done.stderr + done.stdout  # no job started
    assert project.submissions() == before
    assert "Traceback" not in done.stderr
    again = project.snakemake(f"{BOOK}/pages/0001/draft/manifest.json")  # the lock was released
    assert again.returncode == 1 and "cannot be locked" not in again.stderr


def test_a_run_that_renders_nothing_needs_no_server(project: Project) -> None:
    add_dead_server(project)
    (project.page(1) / "draft" / "contact_sheet.png").unlink()
    done = project.snakemake(f"{BOOK}/pages/0001/draft/contact_sheet.png")
    assert done.returncode == 0, done.stderr
    assert (project.page(1) / "draft" / "contact_sheet.png").is_file()


def test_a_file_system_fault_in_a_render_job_is_one_line_naming_the_path(project: Project) -> None:
    cache = project.root / "runtime" / "cache"
    shutil.rmtree(cache)
    cache.write_text("not a folder: the render cache cannot be written\n")
    edit_spec(project, 1, seed=4244)
    done = project.snakemake(f"{BOOK}/pages/0001/draft/manifest.json")
    assert done.returncode == 1
    named = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(named) == 1, done.stderr
    assert str(cache) in named[0] and "(fix: free space or fix permissions" in named[0]
    assert "Traceback" not in done.stderr
    assert not (project.page(1) / "draft" / "manifest.json").exists()


def point_at(project: Project, url: str) -> None:
    config = project.root / "config" / "config.yaml"
    config.write_text(config.read_text().replace(project.server.url, url))


def test_a_model_the_server_lacks_is_one_clear_error(project: Project, tmp_path: Path) -> None:
    edit_spec(project, 2, seed=777)
    with running_sketch_server(tmp_path, models_dir=tmp_path / "no-models") as bare:
        point_at(project, bare.url)
        done = project.snakemake(f"{BOOK}/pages/0002/draft/manifest.json")
    assert done.returncode != 0
    assert "sketch_draft_v1.safetensors" in done.stderr
    assert "not one of the server's choices" in done.stderr
    assert "Traceback" not in done.stderr
    todo = project.artfarm("next", BOOK, "--json").stdout
    assert '"state": "failed-draft"' in todo


def test_a_broken_config_names_the_field(project: Project) -> None:
    (project.root / "config" / "config.yaml").write_text("servers: http://x\nmodel_dir: m\n")
    done = project.snakemake("-n", *project.prints())
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "config/config.yaml: servers: Input should be a valid list" in said
    assert "config/config.yaml: model_dir: Extra inputs are not permitted" in said


def test_the_report_shows_the_page_images(project: Project) -> None:
    done = project.snakemake("--report", "report.html", *project.prints())
    assert done.returncode == 0, done.stderr
    html = (project.root / "report.html").read_text()
    assert "contact_sheet.png" in html and "final.png" in html


def test_a_killed_run_reattaches_and_pays_for_no_prompt_twice(tmp_path: Path, server) -> None:
    with running_sketch_server(
        tmp_path / "slow", models_dir=server.models_dir, step_seconds=0.4
    ) as slow:
        project = make_pipeline_project(tmp_path / "project", slow)
        drafts = [f"{BOOK}/pages/{p:04d}/draft/manifest.json" for p in (1, 2, 3)]
        env = {**os.environ, "ARTFARM_CONFIG": str(project.root / "config" / "config.yaml")}
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "snakemake",
                "-s",
                str(REPO / "Snakefile"),
                "-d",
                str(project.root),
                *drafts,
            ],
            cwd=project.root,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: len(slow.stats.prompts_accepted) >= 2, "two draft jobs on the server")
        os.killpg(run.pid, signal.SIGKILL)  # the controller and its render jobs, mid-job
        run.wait()
        submitted = list(slow.stats.prompts_accepted)
        assert len(submitted) >= 2
        for manifest in project.root.rglob("manifest.json"):
            read_manifest(manifest.parent)  # nothing half-written looks finished
        assert project.snakemake("--unlock").returncode == 0
        done = project.snakemake(*drafts)
        assert done.returncode == 0, done.stderr
        accepted = slow.stats.prompts_accepted
        assert accepted[: len(submitted)] == submitted
        assert len(accepted) == 3  # one prompt per draft job, however the kill fell
    for page in (1, 2, 3):
        manifest = read_manifest(project.page(page) / "draft")
        for output in manifest.outputs:
            data = (project.page(page) / "draft" / output.file).read_bytes()
            assert hashlib.sha256(data).hexdigest() == output.sha256


def test_an_invalid_hand_written_review_stops_its_page_with_one_clear_line(
    project: Project,
) -> None:
    review = project.page(2) / "review.json"
    data = json.loads(review.read_text())
    data["draft"]["selected"] = ["c99"]
    review.write_text(json.dumps(data))
    done = project.snakemake(*project.prints())
    assert done.returncode != 0
    assert "review.json: draft.selected[0]: c99 is not a draft of this page" in done.stderr
    assert "Traceback" not in done.stderr


def test_several_servers_share_the_render_jobs(tmp_path: Path, server) -> None:
    with (
        running_sketch_server(
            tmp_path / "a", models_dir=server.models_dir, step_seconds=0.1
        ) as first,
        running_sketch_server(
            tmp_path / "b", models_dir=server.models_dir, step_seconds=0.1
        ) as second,
    ):
        project = make_pipeline_project(tmp_path / "project", first)
        config = project.root / "config" / "config.yaml"
        config.write_text(config.read_text().replace(first.url, f"{first.url}\n- {second.url}"))
        drafts = [f"{BOOK}/pages/{p:04d}/draft/manifest.json" for p in (1, 2, 3)]
        done = project.snakemake("--resources", "gpu=4", "--cores", "3", "--", *drafts)
        assert done.returncode == 0, done.stderr
        assert first.stats.prompts_accepted and second.stats.prompts_accepted
        assert len(first.stats.prompts_accepted) + len(second.stats.prompts_accepted) == 3


def dry_plan(project: Project, env: dict[str, str] | None = None) -> list[tuple[str, ...]]:
    """Each planned job as (rule, input, output, reason, wildcards) lines, job ids left out
    and each line's words sorted (Snakemake lists the files of a set in any order)."""
    dry = project.snakemake("-n", *project.prints(), env=env)
    assert dry.returncode == 0, dry.stderr
    jobs: list[list[str]] = []
    for line in (dry.stdout + dry.stderr).splitlines():
        text = line.strip()
        if text.startswith(("rule ", "localrule ")):
            jobs.append([text])
        elif jobs and text.startswith(("input:", "output:", "reason:", "wildcards:")):
            jobs[-1].append(" ".join(sorted(text.replace(",", " ").split())))
    return sorted(tuple(job) for job in jobs)


def test_a_dry_run_from_the_param_cache_plans_what_one_without_it_plans(
    project: Project,
) -> None:
    """Values remembered before an edit of a spec and of a sheet are not reused after it."""
    cache = project.root / BOOK / ".artfarm" / "param-cache.json"

    def version() -> tuple[int, int] | None:
        return (cache.stat().st_ino, cache.stat().st_mtime_ns) if cache.is_file() else None

    def all_from_cache(expected: list[tuple[str, ...]]) -> bool:
        """A run plans `expected`; True once it wrote nothing (every value was a hit). A file
        changed < 2 s before a run is not trusted by that run, so the first ones compute."""
        before = version()
        plan = dry_plan(project)
        assert plan == expected, "\n".join(map(str, set(plan) ^ set(expected)))
        return before is not None and version() == before

    wait_until(lambda: all_from_cache([]), "a dry run served by the param cache")
    edit_spec(project, 2, scene="the fox naps under a big oak tree")
    bear = project.root / BOOK / "bible" / "character_refs" / "bear.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(bear)
    without = dry_plan(project, env={"ARTFARM_PARAM_CACHE": "off"})
    drafts = [job for job in without if job[0] == "rule draft:"]
    assert len(drafts) == 3 and all("Params" in " ".join(job) for job in drafts)
    wait_until(lambda: all_from_cache(without), "the edited pages' params in the param cache")
