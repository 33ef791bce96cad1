"""`artfarm comfyui doctor` against a real (sketch) server: each planted fault is one line with
its fix and exit 1; a fit server and book pass."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from artfarm.cli import main
from artfarm.comfy.doctor import node_findings
from artfarm.documents.book import Book
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from artfarm.sketch.testing import running_sketch_server
from tests.bookmaker import make_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A book whose pins are in the store (locked) and in the server's own models folder."""
    root = make_project(tmp_path / "project")
    book = Book(root / "books" / "tiny_01")
    store = ModelStore(tmp_path / "store")
    write_placeholders(book, store)
    lock_book(book, store)
    shutil.copytree(store.root, tmp_path / "server_models")
    config = {"servers": ["http://127.0.0.1:9"], "models_dir": str(store.root)}
    config["comfyui"] = {"device": "cpu"}
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("ARTFARM_CONFIG", str(root / "config" / "config.yaml"))
    return root


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """Start a sketch server over the server's models folder, with fault knobs."""
    with_servers = []

    def start(**faults):
        context = running_sketch_server(
            tmp_path / f"s{len(with_servers)}", models_dir=tmp_path / "server_models", faults=faults
        )
        with_servers.append(context)
        return context.__enter__()

    yield start
    for context in with_servers:
        context.__exit__(None, None, None)


def doctor(project: Path, url: str, capsys) -> tuple[int, list[str]]:
    code = main(["comfyui", "doctor", "--book", str(project / "books" / "tiny_01"), "--url", url])
    return code, capsys.readouterr().out.strip().splitlines()


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("PROBLEM")]


def test_a_fit_server_and_book_pass_every_check(project, serve, capsys) -> None:
    code, lines = doctor(project, serve().url, capsys)
    assert code == 0, lines
    checks = {line.split()[1].rstrip(":") for line in lines}
    assert checks == {"version", "nodes", "models", "lock", "listen", "flags"}
    assert all(line.startswith("ok") for line in lines)


def test_a_missing_node_is_one_line_with_its_fix(project, serve, capsys) -> None:
    code, lines = doctor(project, serve(missing_nodes=("GrowMask",)).url, capsys)
    assert code == 1
    [line] = problems(lines)
    assert "no node 'GrowMask'" in line and "(fix: update ComfyUI" in line


def test_a_missing_custom_node_names_its_pack() -> None:
    [finding] = node_findings({"KSampler": {}}, {"KSampler", "IPAdapterAdvanced"})
    assert "ComfyUI_IPAdapter_plus (cubiq)" in finding.text
    assert "install ComfyUI_IPAdapter_plus (cubiq) in ComfyUI's custom_nodes" in finding.fix


def test_a_model_the_server_does_not_list_is_one_line(project, serve, tmp_path, capsys) -> None:
    (tmp_path / "server_models" / "checkpoints" / "sketch_final_v1.safetensors").unlink()
    code, lines = doctor(project, serve().url, capsys)
    assert code == 1
    [line] = problems(lines)
    assert "checkpoints/sketch_final_v1.safetensors; the server does not list it" in line
    assert "artfarm comfyui paths" in line


def test_a_store_file_that_no_longer_matches_the_lock_is_one_line(
    project, serve, tmp_path, capsys
) -> None:
    (tmp_path / "store" / "loras" / "watercolor_whimsy_v1.safetensors").write_bytes(b"other")
    code, lines = doctor(project, serve().url, capsys)
    assert code == 1
    [line] = problems(lines)
    assert "lock: the book pins loras/watercolor_whimsy_v1.safetensors sha256" in line
    assert "--repin" in line


def test_a_server_listening_beyond_loopback_is_one_line(project, serve, capsys) -> None:
    argv = ["main.py", "--listen", "0.0.0.0", "--port", "8188", "--cpu"]
    code, lines = doctor(project, serve(system_argv=argv).url, capsys)
    assert code == 1
    [line] = problems(lines)
    assert "listen: ComfyUI listens on 0.0.0.0" in line and "--listen 127.0.0.1" in line


def test_launch_flags_that_do_not_fit_are_named(project, serve, capsys) -> None:
    argv = ["main.py", "--cpu", "--enable-cors-header", "--preview-method", "auto"]
    code, lines = doctor(project, serve(system_argv=argv).url, capsys)
    assert code == 1
    found = problems(lines)
    assert len(found) == 2
    assert "--enable-cors-header lets any web page" in found[0]
    assert "--preview-method auto" in found[1]


def test_a_server_that_does_not_answer_is_one_line(project, capsys) -> None:
    code, lines = doctor(project, "http://127.0.0.1:9", capsys)
    assert code == 1
    [line] = lines
    assert "does not answer" in line and "artfarm comfyui start" in line


FLUX = {
    "family": "flux-kontext",
    "unet": "flux1-kontext.safetensors",
    "clip": ["clip_l.safetensors", "t5xxl_fp8.safetensors"],
    "vae": "ae.safetensors",
}


def pin_tiers(project: Path, tmp_path: Path, **tiers: dict) -> None:
    """Re-pin the book's tiers, put the files in the store and the server's folder, lock."""
    config = project / "books" / "tiny_01" / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["models"].update(tiers)
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    book, store = Book(config.parent), ModelStore(tmp_path / "store")
    write_placeholders(book, store)
    lock_book(book, store, repin=True)
    shutil.copytree(store.root, tmp_path / "server_models", dirs_exist_ok=True)


def test_a_diffusion_family_book_needs_no_lora_loader(project, serve, tmp_path, capsys) -> None:
    pin_tiers(project, tmp_path, draft=FLUX, final=FLUX)  # the pack's LoRA stays pinned
    code, lines = doctor(project, serve(missing_nodes=("LoraLoader",)).url, capsys)
    assert code == 0, lines
    assert any(line.startswith("ok       nodes:") for line in lines)
    pin_tiers(project, tmp_path, final={"checkpoint": "sketch_final_v1.safetensors"})
    code, lines = doctor(project, serve(missing_nodes=("LoraLoader",)).url, capsys)
    assert code == 1  # an sd15 tier: its graphs chain the pack's LoRA
    [line] = problems(lines)
    assert "no node 'LoraLoader'" in line


def test_a_diffusion_family_book_needs_no_lora_file_on_the_server(
    project, serve, tmp_path, capsys
) -> None:
    pin_tiers(project, tmp_path, draft=FLUX, final=FLUX)  # the pack's LoRA stays pinned
    shutil.rmtree(tmp_path / "server_models" / "loras")  # ... but the server has no LoRA file
    code, lines = doctor(project, serve().url, capsys)
    assert code == 0, lines
    served = [line for line in lines if "models:" in line]
    assert served and not any("loras/" in line for line in served)  # not asked of the server
    pin_tiers(project, tmp_path, final={"checkpoint": "sketch_final_v1.safetensors"})
    shutil.rmtree(tmp_path / "server_models" / "loras")
    code, lines = doctor(project, serve().url, capsys)
    assert code == 1  # an sd15 tier loads the LoRA: the server must list it
    [line] = problems(lines)
    assert "loras/" in line and "the server does not list it" in line
