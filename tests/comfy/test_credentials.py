"""Where header secrets come from: an environment variable or a file outside the project —
never config/config.yaml itself; every gap is one line naming server, header and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from artfarm.comfy.credentials import auth_summary, request_headers
from artfarm.documents.reader import parse_model
from artfarm.documents.settings import Settings
from artfarm.problems import ArtfarmError

URL = "https://gpu2.example.org"


def settings_of(servers, root: Path) -> Settings:
    settings = parse_model(Settings, {"servers": servers}, "config/config.yaml", "settings")
    settings._root = root
    return settings


def proxied(**headers):
    return ["http://127.0.0.1:8188", {"url": URL + "/", "headers": headers}]


def test_plain_urls_and_server_objects_mix_and_urls_lose_their_trailing_slash(tmp_path):
    settings = settings_of(proxied(), tmp_path)
    assert settings.server_urls == ["http://127.0.0.1:8188", URL]
    assert request_headers(settings, "http://127.0.0.1:8188") == {}


def test_secrets_come_from_the_environment_with_a_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("COMFY_TOKEN", "abc123")
    settings = settings_of(
        proxied(Authorization={"env": "COMFY_TOKEN", "prefix": "Bearer "},
                **{"CF-Access-Client-Id": "client.access"}), tmp_path,
    )  # fmt: skip
    assert request_headers(settings, URL) == {
        "Authorization": "Bearer abc123",
        "CF-Access-Client-Id": "client.access",
    }
    summary = auth_summary(settings, URL)
    assert summary == [
        "Authorization from $COMFY_TOKEN",
        "CF-Access-Client-Id (plain value in config)",
    ]
    assert "abc123" not in " ".join(summary)


def test_an_unset_variable_is_one_line_naming_the_server_header_and_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("COMFY_TOKEN", raising=False)
    settings = settings_of(proxied(**{"X-API-Key": {"env": "COMFY_TOKEN"}}), tmp_path)
    with pytest.raises(ArtfarmError) as err:
        request_headers(settings, URL)
    (problem,) = err.value.problems
    assert problem.field == "servers[1].headers.X-API-Key"
    assert "COMFY_TOKEN is not set" in problem.problem and URL in problem.problem
    assert "export COMFY_TOKEN" in problem.fix


def test_a_secret_file_must_live_outside_the_project(tmp_path):
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir(), home.mkdir()
    (home / "key").write_text("from-file\n")
    (project / "key").write_text("committed!\n")
    outside = settings_of(proxied(**{"X-API-Key": {"file": str(home / "key")}}), project)
    assert request_headers(outside, URL) == {"X-API-Key": "from-file"}
    inside = settings_of(proxied(**{"X-API-Key": {"file": "key"}}), project)
    with pytest.raises(ArtfarmError, match="inside the project"):
        request_headers(inside, URL)
    missing = settings_of(proxied(**{"X-API-Key": {"file": str(home / "nope")}}), project)
    with pytest.raises(ArtfarmError, match="cannot read"):
        request_headers(missing, URL)


def test_a_header_source_needs_exactly_one_of_env_or_file(tmp_path):
    with pytest.raises(ArtfarmError, match="exactly one of env"):
        settings_of(proxied(**{"X-API-Key": {"env": "A", "file": "/b"}}), tmp_path)
    with pytest.raises(ArtfarmError, match="exactly one of env"):
        settings_of(proxied(**{"X-API-Key": {"prefix": "Bearer "}}), tmp_path)
