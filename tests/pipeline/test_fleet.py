"""Several servers under real Snakemake: GPU jobs ordered by model tier, and a server that dies
mid-book leaves its jobs to the others without rendering anything twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from artfarm.pipeline.lease import speed_file
from artfarm.pipeline.server_speeds import job_kind, read_speed
from artfarm.pipeline.tiers import STAGE_TIERS, TIER_ORDER, gpu_priority
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, make_pipeline_project


def test_earlier_tiers_come_first_and_every_gpu_stage_outranks_cpu_jobs(monkeypatch) -> None:
    assert gpu_priority("draft") > gpu_priority("refine") == gpu_priority("final")
    assert gpu_priority("final") > gpu_priority("print") > 0
    assert set(STAGE_TIERS.values()) <= set(TIER_ORDER)
    monkeypatch.setenv("ARTFARM_TIER_ORDER", "off")
    assert {gpu_priority(stage) for stage in STAGE_TIERS} == {0}


def successes(server) -> list[str]:
    entries = server.engine.history_items(None)
    return [pid for pid, e in entries.items() if e["status"]["status_str"] == "success"]


@pytest.mark.slow
def test_the_rules_carry_the_tier_priorities(tmp_path: Path) -> None:
    with running_sketch_server(tmp_path / "s", models_dir=tmp_path / "models") as server:
        project = make_pipeline_project(tmp_path / "p", server)
        drafts = [f"{BOOK}/pages/{p:04d}/draft/manifest.json" for p in (1, 2, 3)]
        planned = project.snakemake("-n", *drafts)
        unordered = project.snakemake("-n", *drafts, env={"ARTFARM_TIER_ORDER": "off"})
    assert planned.returncode == 0, planned.stderr
    out = planned.stdout + planned.stderr
    assert out.count(f"priority: {gpu_priority('draft')}") == 3
    assert "priority:" not in unordered.stdout + unordered.stderr


@pytest.mark.slow
def test_a_server_killed_mid_book_leaves_its_jobs_to_the_other_without_duplicates(
    tmp_path: Path,
) -> None:
    models = tmp_path / "models"
    dying = {"crash_at_step": 1, "restart_after": None}  # dies at its first job's first step
    with (
        running_sketch_server(tmp_path / "a", models_dir=models, faults=dying) as a,
        running_sketch_server(tmp_path / "b", models_dir=models, step_seconds=0.05) as b,
    ):
        project = make_pipeline_project(tmp_path / "p", b)
        config = yaml.safe_load((project.root / "config" / "config.yaml").read_text())
        config["servers"] = [a.url, b.url]
        config["client"] = {"retry_seconds": 2}
        (project.root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
        drafts = [f"{BOOK}/pages/{p:04d}/draft/manifest.json" for p in (1, 2, 3)]
        done = project.snakemake(*drafts)
        assert done.returncode == 0, done.stderr[-3000:]
        assert a.stats.crashes == 1 and len(a.stats.prompts_accepted) >= 1
        logs = "".join((project.page(p) / "logs" / "draft.log").read_text() for p in (1, 2, 3))
        assert logs.count("moving to another server") >= len(a.stats.prompts_accepted)
        ran = successes(b)
        assert len(ran) == 3 == len(b.stats.prompts_accepted)  # each page once, on b
        used = {
            page: project.book.root / "pages" / f"{page:04d}" / "draft" / "manifest.json"
            for page in (1, 2, 3)
        }
        for manifest in used.values():
            assert b.url in manifest.read_text() and a.url not in manifest.read_text()


@pytest.mark.slow
def test_the_servers_learn_their_speeds_from_a_real_run(tmp_path: Path) -> None:
    models = tmp_path / "models"
    with (
        running_sketch_server(tmp_path / "a", models_dir=models, step_seconds=0.02) as a,
        running_sketch_server(tmp_path / "b", models_dir=models, step_seconds=0.04) as b,
    ):
        project = make_pipeline_project(tmp_path / "p", a)
        config = yaml.safe_load((project.root / "config" / "config.yaml").read_text())
        config["servers"] = [a.url, b.url]
        (project.root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
        drafts = [f"{BOOK}/pages/{p:04d}/draft/manifest.json" for p in (1, 2, 3)]
        done = project.snakemake(*drafts)
        assert done.returncode == 0, done.stderr[-3000:]
        ran = {server.url: len(successes(server)) for server in (a, b)}
    assert sum(ran.values()) == 3
    manifest = json.loads((project.page(1) / "draft" / "manifest.json").read_text())
    kind = job_kind("draft", manifest["jobs"][0]["models"])
    leases = project.root / "runtime" / "leases"
    for url, count in ran.items():
        speed = read_speed(speed_file(leases, url))
        if count == 0:
            assert not speed.rates, url
            continue
        assert speed.last_kind == kind, url
        assert (speed.seconds_per_unit(kind) or 0) > 0, url
