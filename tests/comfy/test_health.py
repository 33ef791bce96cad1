"""The look before a run: every server in use answers, or one line names it and its fix."""

from __future__ import annotations

from pathlib import Path

from artfarm.comfy.health import server_problems
from artfarm.documents.reader import parse_model
from artfarm.documents.settings import Settings
from artfarm.sketch.testing import running_sketch_server

DEAD = "http://127.0.0.1:9"


def settings_of(servers: list, root: Path) -> Settings:
    settings = parse_model(Settings, {"servers": servers}, "config/config.yaml", "settings")
    settings._root = root
    return settings


def test_servers_that_answer_give_no_problem(tmp_path: Path) -> None:
    with running_sketch_server(tmp_path) as server:
        assert server_problems(settings_of([server.url], tmp_path)) == []


def test_each_dead_server_is_one_line_naming_its_entry_and_fix(tmp_path: Path) -> None:
    with running_sketch_server(tmp_path) as server:
        problems = server_problems(settings_of([server.url, DEAD], tmp_path))
    assert len(problems) == 1
    line = problems[0].line()
    assert line.startswith(f"config/config.yaml: servers[1]: no answer from {DEAD}")
    assert "(fix: start ComfyUI" in line
    assert "\n" not in line


def test_a_server_refusing_the_credentials_is_named_with_the_header_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HEALTH_TOKEN", "wrong")
    auth = {"X-API-Key": {"env": "HEALTH_TOKEN"}}
    with running_sketch_server(tmp_path, require_headers={"X-API-Key": "right"}) as server:
        problems = server_problems(settings_of([{"url": server.url, "headers": auth}], tmp_path))
    assert [p.field for p in problems] == ["servers[0]"]
    assert "403" in problems[0].problem
    assert "wrong" not in problems[0].line()  # never the secret


def test_a_missing_secret_is_named_before_anything_is_sent(tmp_path, monkeypatch):
    monkeypatch.delenv("HEALTH_TOKEN", raising=False)
    auth = {"Authorization": {"env": "HEALTH_TOKEN", "prefix": "Bearer "}}
    with running_sketch_server(tmp_path) as server:
        problems = server_problems(settings_of([{"url": server.url, "headers": auth}], tmp_path))
        assert server.stats.routes["GET /system_stats"] == 0
    assert len(problems) == 1
    assert "HEALTH_TOKEN" in problems[0].line()
