"""A job process imports what its work uses and nothing more: every GPU job is a new process.

Each check runs the real script in a fresh interpreter and reads its `sys.modules` after it
ends, so a later import that drags a heavy library into every job start fails here (no timing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from artfarm.documents.bible import SHEET, STYLE
from artfarm.pipeline import bible_items, job_scripts, stages
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, REPO, make_pipeline_project

# Libraries and artfarm modules a job pays for at import; none is needed to parse arguments.
HEAVY = (
    "pydantic",
    "jinja2",
    "PIL",
    "httpx",
    "httpcore",
    "websockets",
    "yaml",
    "artfarm.documents.book",
    "artfarm.documents.settings",
    "artfarm.rendering.compiler",
    "artfarm.comfy.client",
    "artfarm.pipeline.stages",
    "artfarm.pipeline.bible_items",
)
REVIEW_ONLY = (  # what the gates and the inpaint stage read: a draft job never does
    "artfarm.documents.review",
    "artfarm.pipeline.selection",
    "artfarm.pipeline.reviewing",
    "artfarm.rendering.masks",
)
CLIENT = ("httpx", "websockets", "artfarm.comfy.client", "artfarm.comfy.service")

RUN_SCRIPT = """
import json, runpy, sys
sys.argv = sys.argv[1:]
code = 0
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def run_script(script: str, *args: str, cwd: Path = REPO, env=None) -> tuple[int, set[str]]:
    """Exit status of `scripts/<script>` with `args`, and every module the process imported."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_SCRIPT, str(REPO / "scripts" / script), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return result["code"], set(result["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The names (packages or modules) of `names` that are among `modules`."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_the_parsers_choices_are_the_stages_the_modules_run() -> None:
    assert tuple(sorted(stages.STAGES)) == job_scripts.PAGE_STAGES
    assert tuple(sorted(bible_items.ITEM_STAGES)) == job_scripts.ITEM_STAGES
    assert job_scripts.ITEM_KINDS == (SHEET, STYLE)


@pytest.mark.parametrize("script", ["stage.py", "bible_item.py", "contact_sheet.py"])
def test_help_imports_nothing_heavy(script: str) -> None:
    code, modules = run_script(script, "--help")
    assert code == 0
    assert "argparse" in modules  # the check sees the script's imports
    assert loaded(modules, HEAVY) == []


def test_a_bad_argument_fails_before_anything_heavy_is_imported() -> None:
    code, modules = run_script("stage.py", "paint", BOOK, "1")
    assert code == 2
    assert loaded(modules, HEAVY) == []


def test_a_draft_job_imports_no_review_and_a_cached_one_no_client(tmp_path: Path) -> None:
    with running_sketch_server(tmp_path / "server", models_dir=tmp_path / "models") as server:
        project = make_pipeline_project(tmp_path / "project", server)
        env = {**os.environ, "ARTFARM_CONFIG": str(project.root / "config" / "config.yaml")}
        code, modules = run_script("stage.py", "draft", BOOK, "1", cwd=project.root, env=env)
        assert code == 0
        assert (project.page(1) / "draft" / "manifest.json").is_file()
        assert loaded(modules, CLIENT) == list(CLIENT)  # it did talk to the server
        assert loaded(modules, REVIEW_ONLY) == []
        accepted = project.submissions()

        shutil.rmtree(project.page(1) / "draft")
        code, modules = run_script("stage.py", "draft", BOOK, "1", cwd=project.root, env=env)
        assert code == 0
        assert (project.page(1) / "draft" / "manifest.json").is_file()
        assert project.submissions() == accepted  # served from the render cache
        assert loaded(modules, CLIENT) == []
