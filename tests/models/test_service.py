"""`artfarm comfyui start --sketch | status | stop` runs a real background server, by pid file."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from artfarm.cli import main
from artfarm.comfy import service
from artfarm.documents.settings import load_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    port = free_port()
    config = {
        "servers": [f"http://127.0.0.1:{port}"],
        "sketch": {"port": port},
        "comfyui": {"install": str(tmp_path / "ComfyUI"), "port": port},
    }
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("ARTFARM_CONFIG", str(tmp_path / "config" / "config.yaml"))
    return tmp_path


def test_the_sketch_server_starts_answers_status_and_stops(project, capsys):
    try:
        assert main(["comfyui", "start", "--sketch"]) == 0
        settings = load_settings()
        record = json.loads(service.pid_path(settings).read_text())
        assert record["kind"] == "sketch" and service.alive(record)
        assert (project / "runtime" / "extra_model_paths.yaml").is_file()
        capsys.readouterr()
        assert main(["comfyui", "status", "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["up"] and info["kind"] == "sketch" and info["queue_remaining"] == 0
        assert main(["comfyui", "start", "--sketch"]) == 1  # already running
    finally:
        assert main(["comfyui", "stop"]) == 0
    assert not service.alive(record)
    assert not service.pid_path(settings).exists()
    assert main(["comfyui", "status"]) == 1


def test_a_non_loopback_listen_address_is_refused_without_allow_remote(project, capsys):
    assert main(["comfyui", "start", "--sketch", "--listen", "0.0.0.0"]) == 1
    assert "--allow-remote" in capsys.readouterr().err
    assert not service.pid_path(load_settings()).exists()


def test_comfyui_gets_the_recommended_flags(project):
    (project / "ComfyUI").mkdir()
    (project / "ComfyUI" / "main.py").write_text("")
    launch = service.comfyui_launch(load_settings(), "127.0.0.1", 8188)
    argv = " ".join(launch.argv)
    for flag in (
        "--listen 127.0.0.1",
        "--highvram",
        "--disable-auto-launch",
        "--preview-method none",
        f"--output-directory {project / 'runtime' / 'comfyui' / 'output'}",
        f"--extra-model-paths-config {project / 'runtime' / 'extra_model_paths.yaml'}",
    ):
        assert flag in argv


def test_the_systemd_unit_is_filled_with_the_same_command(project, capsys):
    (project / "ComfyUI").mkdir()
    (project / "ComfyUI" / "main.py").write_text("")
    assert main(["comfyui", "unit"]) == 0
    unit = capsys.readouterr().out
    assert "@" not in unit.split("[Unit]", 1)[1]
    assert (
        f"ExecStart={' '.join(service.comfyui_launch(load_settings(), '127.0.0.1', load_settings().comfyui.port).argv)}"
        in unit
    )


def test_starting_comfyui_without_an_install_says_how_to_fix_it(project, capsys):
    assert main(["comfyui", "start"]) == 1
    assert "comfyui.install" in capsys.readouterr().err


def test_models_placeholders_then_lock_via_the_cli(project, capsys):
    from tests.bookfactory import make_book

    book = make_book(project)
    assert main(["models", "placeholders", str(book.root)]) == 0
    assert (book.root / "models.lock.json").is_file()
    assert main(["models", "lock", "--book", str(book.root)]) == 0
    (project / "models" / "checkpoints" / "draft_a.safetensors").write_bytes(b"swapped")
    assert main(["models", "lock", "--book", str(book.root)]) == 1
    assert "--repin" in capsys.readouterr().err
    assert main(["models", "lock", "--book", str(book.root), "--repin"]) == 0
