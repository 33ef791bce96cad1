"""Start a sketch server for a test (or any short-lived code) and always stop it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from artfarm.sketch.server import Faults, SketchServer


@contextlib.contextmanager
def running_sketch_server(tmp_path: str | Path, **knobs: Any) -> Iterator[SketchServer]:
    """A started server rooted at `tmp_path/sketch` on a free port; knobs go to SketchServer.

    `models=[("checkpoints", "draft.safetensors"), ...]` creates empty model files first.
    """
    root = Path(tmp_path) / "sketch"
    models = knobs.pop("models", None)
    if models is not None and "models_dir" not in knobs:
        knobs["models_dir"] = root / "models"
        for folder, name in models:
            path = knobs["models_dir"] / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    if isinstance(knobs.get("faults"), dict):
        knobs["faults"] = Faults(**knobs["faults"])
    server = SketchServer(root, **knobs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
