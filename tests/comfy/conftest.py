"""Fixtures: a sketch server per test, or any ComfyUI named by ARTFARM_COMFYUI_URL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from artfarm.comfy.client import ComfyClient, RetryPolicy, WaitPolicy
from artfarm.sketch.testing import running_sketch_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "comfyui"
CKPT = "random_sd15_fp16.safetensors"
SKETCH_MODELS = [("checkpoints", CKPT), ("upscale_models", "4x-sketch.pth")]
REAL_URL = os.environ.get("ARTFARM_COMFYUI_URL")


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def sketch(tmp_path):
    """A fresh sketch server (own folders, one checkpoint, one upscale model)."""
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        yield server


# The contract runs against the sketch server in both API generations it speaks, or against
# the one real server ARTFARM_COMFYUI_URL names (whatever version that is).
API_MODES = ["real"] if REAL_URL else ["0.36", "0.3.64"]
MET: dict[str, str] = {}  # server URL → what the contract met there (printed at the end)


@pytest.fixture(params=API_MODES, ids=lambda mode: f"api-{mode}")
def comfy_url(request, tmp_path):
    """The server under contract: a real ComfyUI if ARTFARM_COMFYUI_URL is set, else a sketch."""
    if REAL_URL:
        yield REAL_URL.rstrip("/")
        return
    with running_sketch_server(tmp_path, models=SKETCH_MODELS, api=request.param) as server:
        yield server.url


def pytest_terminal_summary(terminalreporter):
    """Say which ComfyUI API the contract met, so a run against a real server reports it."""
    if MET and REAL_URL:
        for url, what in MET.items():
            terminalreporter.write_line(f"ComfyUI contract met {url}: {what}")


def quick_client(url: str, tmp_path: Path, **kw) -> ComfyClient:
    kw.setdefault("retry", RetryPolicy(total_seconds=5.0, first_delay=0.02, max_delay=0.2))
    # a real ComfyUI on a shared CPU takes minutes to load a checkpoint: wait generously
    timeout = 1800.0 if REAL_URL else 120.0
    kw.setdefault("wait", WaitPolicy(timeout=timeout, ws_stall_seconds=2.0, poll_interval=0.05,
                                     ws_retry_seconds=0.5))  # fmt: skip
    return ComfyClient(url, journal_dir=tmp_path / "journal", **kw)


@pytest.fixture
def client(comfy_url, tmp_path):
    with quick_client(comfy_url, tmp_path) as c:
        yield c


@pytest.fixture
def checkpoint(comfy_url) -> str:
    """A checkpoint the server has; tests that need a model skip without one."""
    names = httpx.get(f"{comfy_url}/models/checkpoints", trust_env=False).json()
    if not names:
        pytest.skip("the server has no checkpoint files (model-needing test)")
    return CKPT if CKPT in names else names[0]
