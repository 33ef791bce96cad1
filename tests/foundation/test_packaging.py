"""The project's own promises about setup: conda and pip install the same things."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_environment_yml_holds_the_same_dependencies_as_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) - {"-e ."} == wanted


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in readme
    assert ci.strip().splitlines()[-1] == "make test"


def test_the_config_schema_snakemake_checks_is_the_settings_schema() -> None:
    from artfarm.documents.schemas import json_schema

    shipped = json.loads((REPO / "config" / "config.schema.json").read_text())
    shipped.pop("$schema", None)
    assert shipped == json_schema("settings"), "regenerate config/config.schema.json"


def test_the_shipped_config_is_valid_and_sets_the_client_retry_budget() -> None:
    from artfarm.documents.settings import load_settings

    settings = load_settings(REPO / "config" / "config.yaml")
    assert settings.client.retry_seconds == 60


TIMING = re.compile(r"\btime\.sleep\(|\bsleep\(|monotonic\(|perf_counter\(|\belapsed\b")


def test_no_test_sleeps_or_asserts_on_elapsed_time() -> None:
    """Tests wait on conditions (tests/waiting.py), never on the clock of a shared machine."""
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name != "waiting.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TIMING.search(line)
    ]
    assert offenders == []
