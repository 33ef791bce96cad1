"""A server behind an authenticating proxy: headers on every request and on the WebSocket
handshake, one clear line when refused, and the secret never in what the client says."""

from __future__ import annotations

import pytest

from artfarm.comfy.errors import AuthRefused
from artfarm.sketch.testing import running_sketch_server, txt2img_graph

from .conftest import CKPT, SKETCH_MODELS, quick_client

SECRET = "tok-5e3d-very-secret"


@pytest.fixture
def guarded(tmp_path):
    with running_sketch_server(
        tmp_path, models=SKETCH_MODELS, require_headers={"Authorization": f"Bearer {SECRET}"}
    ) as server:
        yield server


def test_with_the_header_a_job_runs_and_its_progress_comes_over_the_websocket(guarded, tmp_path):
    steps = []
    headers = {"Authorization": f"Bearer {SECRET}"}
    with quick_client(guarded.url, tmp_path, headers=headers) as client:
        record = client.run(
            txt2img_graph("(Pip:1.1)", ckpt=CKPT, steps=3), {}, tmp_path / "out",
            on_progress=lambda value, total, node: steps.append(value),
        )  # fmt: skip
    assert record.outputs and steps[-1] == 3  # progress frames only ever come by socket
    assert SECRET not in record.model_dump_json()


def test_without_the_header_one_line_names_the_server_and_what_it_wants(guarded, tmp_path):
    with quick_client(guarded.url, tmp_path) as client, pytest.raises(AuthRefused) as err:
        client.health()
    line = str(err.value)
    assert "\n" not in line and guarded.url in line and "HTTP 401" in line
    assert "Authorization required" in line and "headers sent: none configured" in line


def test_a_wrong_secret_is_refused_without_repeating_it(guarded, tmp_path):
    wrong = {"Authorization": "Bearer wrong-token-123"}
    client = quick_client(guarded.url, tmp_path, headers=wrong)
    with client, pytest.raises(AuthRefused) as err:
        client.run(txt2img_graph("x", ckpt=CKPT), {}, tmp_path / "out")
    line = str(err.value)
    assert "HTTP 403" in line and "headers sent: Authorization" in line
    assert "wrong-token-123" not in line and "\n" not in line


def test_comfyui_status_lists_each_servers_headers_and_their_sources_never_values(
    guarded, tmp_path, monkeypatch, capsys
):
    from artfarm.cli import main

    config = tmp_path / "config" / "config.yaml"
    config.parent.mkdir()
    config.write_text(
        f"servers:\n"
        f"  - url: {guarded.url}\n"
        f"    headers:\n"
        f"      Authorization: {{env: AF_STATUS_TOKEN, prefix: 'Bearer '}}\n"
        f"  - http://127.0.0.1:9\n"
        f"runtime_dir: runtime\n"
    )
    monkeypatch.setenv("ARTFARM_CONFIG", str(config))
    monkeypatch.setenv("AF_STATUS_TOKEN", SECRET)
    assert main(["comfyui", "status"]) == 0
    out = capsys.readouterr().out
    assert f"configured: {guarded.url} — headers: Authorization from $AF_STATUS_TOKEN" in out
    assert "configured: http://127.0.0.1:9 — headers: none" in out
    assert SECRET not in out
    monkeypatch.delenv("AF_STATUS_TOKEN")
    assert main(["comfyui", "status"]) == 1
    said = capsys.readouterr()
    assert "AF_STATUS_TOKEN" in said.err and SECRET not in said.out + said.err
