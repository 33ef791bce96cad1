"""Project settings (`config/config.yaml`): servers, model store, runtime, ComfyUI, client.

One file for the CLI and the Snakemake pipeline (it is also the workflow's configfile), so
both always agree on which server and which model store a render uses. Relative paths are
resolved against the project root (the folder holding `config/`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr

from artfarm.documents.reader import load_yaml_model, parse_model
from artfarm.documents.renderspec import Strict
from artfarm.problems import ArtfarmError, Problem

SETTINGS_FILE = Path("config") / "config.yaml"
SETTINGS_ENV = "ARTFARM_CONFIG"


class ComfyInstall(Strict):
    install: str | None = Field(default=None, description="ComfyUI folder holding main.py.")
    python: str | None = Field(default=None, description="Python of that install (default: ours).")
    port: int = Field(default=8188, ge=1, le=65535)
    vram: Literal["highvram", "normalvram", "lowvram", "gpu-only"] = "highvram"


class SketchSettings(Strict):
    port: int = Field(default=8188, ge=1, le=65535)
    step_seconds: float = Field(default=0.0, ge=0.0, le=60.0)


class ClientSettings(Strict):
    retry_seconds: float = Field(
        default=60.0,
        gt=0.0,
        le=3600.0,
        description="How long a render job keeps retrying a server that refuses or answers 5xx.",
    )


class Settings(Strict):
    servers: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8188"], min_length=1)
    models_dir: str = "models"
    runtime_dir: str = "runtime"
    comfyui: ComfyInstall = Field(default_factory=ComfyInstall)
    sketch: SketchSettings = Field(default_factory=SketchSettings)
    client: ClientSettings = Field(default_factory=ClientSettings)

    # Set by `load_settings`: the folder relative paths are resolved against.
    _root: Path = PrivateAttr(default_factory=Path.cwd)

    @property
    def root(self) -> Path:
        return self._root

    def path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self._root / p

    @property
    def models_path(self) -> Path:
        return self.path(self.models_dir)

    @property
    def runtime_path(self) -> Path:
        return self.path(self.runtime_dir)


def settings_problems(data: object, file: str) -> list[Problem]:
    """Problems of a settings mapping (e.g. Snakemake's `config`), without raising."""
    try:
        parse_model(Settings, data, file, "settings")
    except ArtfarmError as err:
        return err.problems
    return []


def find_settings_file(start: Path | None = None) -> Path | None:
    """$ARTFARM_CONFIG, else config/config.yaml in the current folder or any parent."""
    if os.environ.get(SETTINGS_ENV):
        return Path(os.environ[SETTINGS_ENV])
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder / SETTINGS_FILE
    return None


def load_settings(path: Path | None = None) -> Settings:
    """Settings from `path` (or the one found); defaults when the project has none."""
    path = path or find_settings_file()
    if path is None:
        settings = parse_model(Settings, {}, "config/config.yaml", "settings")
        settings._root = Path.cwd()
        return settings
    settings = load_yaml_model(Settings, path, "settings")
    settings._root = path.resolve().parent.parent
    return settings
