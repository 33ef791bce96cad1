"""A render through a server behind an authenticating proxy (the sketch server requiring a
header), end to end with real Snakemake: works with the header configured, fails with one line
without it, and the secret lands in no file the run writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, Project, make_pipeline_project

pytestmark = pytest.mark.slow

SECRET = "k3y-9f8e7d6c5b4a-do-not-leak"
HEADER = "X-API-Key"
VAR = "ARTFARM_TEST_COMFY_KEY"
DRAFT = f"{BOOK}/pages/0001/draft/manifest.json"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "server"
    with running_sketch_server(
        root, models_dir=root / "models", require_headers={HEADER: SECRET}
    ) as server:
        yield make_pipeline_project(tmp_path / "project", server)


def configure(project: Project, headers: dict | None) -> None:
    path = project.root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    server = {"url": project.server.url, "headers": headers} if headers else project.server.url
    config.update(servers=[server], client={"retry_seconds": 1.0})
    path.write_text(yaml.safe_dump(config))


def error_lines(done) -> list[str]:
    return [line for line in (done.stdout + done.stderr).splitlines() if "error:" in line]


def files_holding(root: Path, secret: bytes) -> list[str]:
    """Every file under root (book, runtime, logs, .snakemake) whose bytes contain `secret`."""
    return [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and secret in p.read_bytes()
    ]


def test_with_the_header_configured_the_render_succeeds_and_the_secret_is_written_nowhere(
    project: Project,
) -> None:
    configure(project, {HEADER: {"env": VAR}})
    done = project.snakemake(DRAFT, env={VAR: SECRET})
    assert done.returncode == 0, done.stderr
    assert (project.root / DRAFT).is_file() and project.submissions() >= 1
    assert files_holding(project.root, SECRET.encode()) == []
    assert SECRET not in done.stdout + done.stderr


def test_without_the_variable_one_line_names_the_server_header_and_variable(
    project: Project,
) -> None:
    configure(project, {HEADER: {"env": VAR}})
    done = project.snakemake(DRAFT, env={VAR: ""})
    assert done.returncode != 0 and "Traceback" not in done.stderr
    (line,) = {line.split("error: ", 1)[1] for line in error_lines(done)}
    assert f"servers[0].headers.{HEADER}" in line and project.server.url in line
    assert f"{VAR} is not set" in line
    assert project.submissions() == 0


def test_with_no_headers_configured_the_servers_refusal_is_one_line(project: Project) -> None:
    configure(project, None)
    done = project.snakemake(DRAFT)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    (line,) = {line.split("error: ", 1)[1] for line in error_lines(done)}
    assert project.server.url in line and "HTTP 401" in line and f"{HEADER} required" in line
    assert "headers sent: none configured" in line
    assert project.submissions() == 0
