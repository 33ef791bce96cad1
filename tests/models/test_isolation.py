"""A checkout uses only servers it started: a foreign server on its port gets no work from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from artfarm.cli import main
from artfarm.comfy import service
from artfarm.demo import ensure_server
from artfarm.documents.settings import load_settings
from tests.bookmaker import make_project
from tests.pipeline.project import REPO


class Foreign(BaseHTTPRequestHandler):
    """Looks like a ComfyUI someone else runs: answers /system_stats, records every request."""

    seen: list[tuple[str, str]]

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path))
        body = json.dumps({"system": {"comfyui_version": "0.3.64", "argv": ["main.py"]}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def do_POST(self) -> None:
        self.seen.append(("POST", self.path))
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def foreign() -> Iterator[tuple[int, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (Foreign,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path: Path, foreign, monkeypatch) -> Path:
    """The tiny book's project, configured for the port the foreign server holds."""
    port, _ = foreign
    root = make_project(tmp_path / "project")
    config = {
        "servers": [f"http://127.0.0.1:{port}"],
        "sketch": {"port": port},
        "models_dir": "models",
        "runtime_dir": "runtime",
    }
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("ARTFARM_CONFIG", str(root / "config" / "config.yaml"))
    return root


def test_start_sketch_moves_to_a_free_port_and_status_says_whose(project, foreign, capsys):
    port, seen = foreign
    configured = f"http://127.0.0.1:{port}"
    assert main(["comfyui", "status"]) == 0
    assert "did not start" in capsys.readouterr().out
    try:
        assert main(["comfyui", "start", "--sketch"]) == 0
        out = capsys.readouterr().out
        record = service.read_pid(load_settings())
        assert record is not None and record["url"] != configured
        assert record["stands_for"] == configured
        assert f"uses {record['url']} in its place" in out
        assert service.servers_in_use(load_settings()) == [record["url"]]
        assert main(["comfyui", "status"]) == 0
        assert "this checkout's sketch server" in capsys.readouterr().out
        assert main(["comfyui", "status", "--url", configured, "--json"]) == 0
        assert "did not start" in json.loads(capsys.readouterr().out)["whose"]
    finally:
        assert main(["comfyui", "stop"]) == 0
    assert service.servers_in_use(load_settings()) == [configured]
    assert not [s for s in seen if s[0] == "POST"]


def test_the_demo_starts_its_own_server_beside_a_foreign_one(project, foreign):
    port, seen = foreign
    settings = load_settings()
    try:
        assert ensure_server(settings) is True
        record = service.read_pid(settings)
        assert record is not None and record["url"] != f"http://127.0.0.1:{port}"
        assert ensure_server(settings) is False  # the second time: ours, found by its pid file
    finally:
        service.stop(settings)
    assert not [s for s in seen if s[0] == "POST"]


@pytest.mark.slow
def test_a_foreign_server_on_the_port_receives_no_prompt_from_the_pipeline(project, foreign):
    _, seen = foreign
    env = {**os.environ, "ARTFARM_CONFIG": str(project / "config" / "config.yaml")}
    settings = load_settings()
    try:
        assert main(["comfyui", "start", "--sketch"]) == 0
        target = "books/tiny_01/pages/0001/draft/manifest.json"
        done = subprocess.run(
            [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), target],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        manifest = json.loads((project / target).read_text())
        assert manifest["jobs"][0]["run"]["server"]["url"] == service.read_pid(settings)["url"]
    finally:
        service.stop(settings)
    assert not [s for s in seen if s[0] == "POST"]
