"""`artfarm comfyui start --sketch | status | stop` runs a real background server, by pid file."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
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


# ------------------------------------------------------------------- device, VRAM and folders

RULES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "comfyui" / "cli_rules_0.3.64.json"
RULES = json.loads(RULES_FILE.read_text())
VRAM_FLAGS = RULES["exclusive_groups"][0]


def accepted(argv: list[str]) -> list[str]:
    """What ComfyUI 0.3.64's argparse would refuse in `argv` (the fixture's facts), as lines."""
    refused, seen, words = [], [], list(argv)
    while words:
        flag = words.pop(0)
        kind = RULES["flags"].get(flag)
        if kind is None:
            refused.append(f"unknown flag {flag}")
            continue
        seen.append(flag)
        takes = kind in ("value", "existing_dir") or (
            kind == "optional" and words and not words[0].startswith("--")
        )
        if kind in ("value", "existing_dir") and (not words or words[0].startswith("--")):
            refused.append(f"{flag} needs a value")
            continue
        if takes:
            value = words.pop(0)
            if flag in RULES["integers"] and not value.lstrip("-").isdigit():
                refused.append(f"{flag} {value}: not an integer")
            if value not in RULES["choices"].get(flag, [value]):
                refused.append(f"{flag} {value}: not a choice")
    for group in RULES["exclusive_groups"]:
        clash = [f for f in seen if f in group]
        if len(clash) > 1:
            refused.append(f"argument {clash[1]}: not allowed with argument {clash[0]}")
    refused += [f"{f} given twice" for f in set(seen) if seen.count(f) > 1]
    return refused


def comfy_project(project: Path, **comfyui) -> None:
    config = yaml.safe_load((project / "config" / "config.yaml").read_text())
    config["comfyui"].update(comfyui)
    (project / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    install = project / "ComfyUI"
    install.mkdir(exist_ok=True)
    main_py = (Path(__file__).parent / "fake_comfyui_main.py").read_text()
    (install / "main.py").write_text(main_py.replace("@RULES@", str(RULES_FILE)))


def test_the_rules_checker_refuses_what_comfyui_refuses() -> None:
    assert accepted(["--cpu", "--normalvram"]) == [
        "argument --normalvram: not allowed with argument --cpu"
    ]
    assert RULES["refusals"]["--cpu --normalvram"].endswith(accepted(["--cpu", "--normalvram"])[0])
    assert accepted(["--port"]) == ["--port needs a value"]
    assert accepted(["--preview-method", "fancy"]) == ["--preview-method fancy: not a choice"]
    assert accepted(["--listen", "--port", "1"]) == []


@pytest.mark.parametrize(
    ("device", "vram", "device_id", "wanted"),
    [
        ("cpu", None, None, ["--cpu"]),
        ("cuda", None, None, ["--highvram"]),
        ("cuda", "lowvram", 1, ["--lowvram", "--cuda-device", "1"]),
        ("cuda", "gpu-only", None, ["--gpu-only"]),
        ("directml", "normalvram", 0, ["--normalvram", "--directml", "0"]),
        ("mps", None, None, ["--highvram"]),
        ("xpu", "novram", None, ["--novram"]),
    ],
)
def test_each_device_gets_a_command_line_comfyui_accepts(
    project, device, vram, device_id, wanted
) -> None:
    comfy_project(project, device=device, vram=vram, device_id=device_id)
    launch = service.comfyui_launch(load_settings(), "127.0.0.1", 8188)
    argv = launch.argv[2:]
    assert accepted(argv) == []
    assert " ".join(wanted) in " ".join(argv)
    assert [f for f in argv if f in VRAM_FLAGS] == [wanted[0]]
    for name in ("input", "output", "temp", "user"):
        assert project / "runtime" / "comfyui" / name in launch.folders


@pytest.mark.parametrize(("cache_lru", "wanted"), [(0, []), (64, ["--cache-lru", "64"])])
def test_cache_lru_gives_a_cache_flag_comfyui_accepts(project, cache_lru, wanted) -> None:
    comfy_project(project, cache_lru=cache_lru)
    argv = service.comfyui_launch(load_settings(), "127.0.0.1", 8188).argv[2:]
    assert accepted(argv) == []
    [cache_group] = [g for g in RULES["exclusive_groups"] if "--cache-lru" in g]
    cache = [f for f in argv if f in cache_group]
    assert cache == wanted[:1]
    assert " ".join(wanted) in " ".join(argv)


@pytest.mark.parametrize("bad", [-1, "many", 1.5])
def test_a_bad_cache_lru_is_one_config_error(project, capsys, bad) -> None:
    comfy_project(project, cache_lru=bad)
    assert main(["comfyui", "start"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "config.yaml" in line and "cache_lru" in line


def test_the_sketch_server_keeps_models_by_the_configured_cache(project, capsys) -> None:
    comfy_project(project, cache_lru=40)
    try:
        assert main(["comfyui", "start", "--sketch"]) == 0
        url = service.read_pid(load_settings())["url"]
        assert httpx.get(f"{url}/sketch/stats", timeout=10).json()["cache"] == "lru 40"
    finally:
        assert main(["comfyui", "stop"]) == 0


def test_a_vram_mode_with_device_cpu_is_one_config_error(project, capsys) -> None:
    comfy_project(project, device="cpu", vram="normalvram")
    assert main(["comfyui", "start"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "comfyui" in line and "refuses --cpu beside --normalvram" in line


def test_comfyui_starts_on_the_cpu_with_every_folder_it_needs(project, capsys) -> None:
    comfy_project(project, device="cpu")
    try:
        assert main(["comfyui", "start", "--timeout", "60"]) == 0, capsys.readouterr().err
        settings = load_settings()
        stats = service.system_stats(read_url(settings))
        argv = stats["system"]["argv"][1:]
        assert "--cpu" in argv and not set(argv) & (set(VRAM_FLAGS) - {"--cpu"})
        for name in ("input", "output", "temp", "user"):
            assert (project / "runtime" / "comfyui" / name).is_dir()
    finally:
        assert main(["comfyui", "stop"]) == 0


def read_url(settings) -> str:
    return json.loads(service.pid_path(settings).read_text())["url"]


def test_a_failed_start_names_the_logs_last_error_and_its_fix(project, capsys) -> None:
    comfy_project(project, device="cpu")
    (project / "ComfyUI" / "main.py").write_text("import sys\nimport torch_is_not_here\n")
    assert main(["comfyui", "start", "--timeout", "60"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "exited with code 1: ModuleNotFoundError: No module named 'torch_is_not_here'" in line
    assert "pip install -r requirements.txt" in line
    assert "read the log" not in line


def test_the_cause_of_an_argument_refusal_is_the_argparse_line(tmp_path: Path) -> None:
    from artfarm.comfy.start_failure import cause_and_fix

    log = tmp_path / "comfyui.log"
    log.write_text("an older start: error: something else\n")
    offset = log.stat().st_size
    with log.open("a") as fh:
        fh.write("usage: main.py [-h] [--listen [IP]]\n               [--cpu]\n")
        fh.write(RULES["refusals"]["--cpu --normalvram"] + "\n")
    cause, fix = cause_and_fix(log, offset)
    assert cause == RULES["refusals"]["--cpu --normalvram"]
    assert "comfyui.device" in fix
