"""Project settings (`config/config.yaml`): servers, model store, runtime, ComfyUI, client.

One file for the CLI and the Snakemake pipeline (it is also the workflow's configfile), so
both always agree on which server and which model store a render uses. Relative paths are
resolved against the project root (the folder holding `config/`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

from artfarm.documents.reader import load_yaml_model, parse_model
from artfarm.documents.renderspec import Strict
from artfarm.problems import ArtfarmError, Problem

SETTINGS_FILE = Path("config") / "config.yaml"
SETTINGS_ENV = "ARTFARM_CONFIG"


class ComfyInstall(Strict):
    install: str | None = Field(default=None, description="ComfyUI folder holding main.py.")
    python: str | None = Field(default=None, description="Python of that install (default: ours).")
    port: int = Field(default=8188, ge=1, le=65535)
    device: Literal["cuda", "cpu", "mps", "directml", "xpu"] = Field(
        default="cuda",
        description="What ComfyUI computes on: cuda (NVIDIA, also ROCm builds), cpu (slow, no "
        "GPU needed), mps (Apple), directml (Windows), xpu (Intel).",
    )
    device_id: int | None = Field(
        default=None, ge=0, description="Which GPU (cuda: --cuda-device, directml: its index)."
    )
    vram: Literal["highvram", "normalvram", "lowvram", "novram", "gpu-only"] | None = Field(
        default=None,
        description="VRAM mode; default highvram on a GPU. Not with device cpu: ComfyUI "
        "refuses --cpu beside any VRAM flag.",
    )
    cache_lru: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="0: ComfyUI's default cache (the last prompt's nodes). N: --cache-lru N, keep "
        "N node results across prompts, so a queue alternating tiers keeps their models "
        "loaded; costs RAM for every model and image kept. The sketch server follows it too.",
    )

    @model_validator(mode="after")
    def _device_flags_comfyui_accepts(self) -> ComfyInstall:
        """ComfyUI puts --cpu and every VRAM flag in one mutually exclusive argparse group."""
        if self.device == "cpu" and self.vram is not None:
            raise ValueError(
                f"device cpu with vram {self.vram}: ComfyUI refuses --cpu beside --{self.vram}; "
                "remove comfyui.vram (or pick a GPU device)"
            )
        if self.device_id is not None and self.device not in ("cuda", "directml"):
            raise ValueError(
                f"device_id picks a cuda or directml GPU, not {self.device}; remove it"
            )
        return self


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


class HeaderSecret(Strict):
    """A header value kept out of the repository: read when a job starts, never written down."""

    env: str | None = Field(default=None, description="Environment variable holding the value.")
    file: str | None = Field(
        default=None,
        description="File outside the project holding the value (its first line; ~ expands).",
    )
    prefix: str = Field(default="", description='Put before the value, e.g. "Bearer ".')

    @model_validator(mode="after")
    def _one_source(self) -> HeaderSecret:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env (a variable) or file (a path)")
        return self


def server_url(value: str) -> str:
    """A server is an http(s) URL with a host and a valid port: refused here, not after 60 s."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as err:
        raise ValueError(f"not a server URL ({err})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("a server URL starts with http:// or https://")
    if not parts.hostname:
        raise ValueError("a server URL names a host, e.g. http://127.0.0.1:8188")
    if port == 0:
        raise ValueError("port 0 is not a server's port")
    if parts.username is not None or parts.password is not None:
        # Its own error type: the reader never quotes this value back (it holds a secret).
        raise PydanticCustomError(
            "credentials_in_url", "a server URL carries no user:password (records keep URLs)"
        )
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("a server URL has no spaces or control characters")
    return value


ServerUrl = Annotated[str, Field(max_length=2048), AfterValidator(server_url)]


class ServerEntry(Strict):
    """A server behind an authenticating proxy: its URL and the headers the proxy wants."""

    url: ServerUrl
    headers: dict[str, str | HeaderSecret] = Field(
        default_factory=dict,
        description="Sent on every HTTP request and the WebSocket handshake. A plain string "
        "only for a value that is no secret (e.g. CF-Access-Client-Id); secrets as "
        "{env: NAME} or {file: path}, with an optional prefix.",
    )


class Settings(Strict):
    servers: list[ServerUrl | ServerEntry] = Field(
        default_factory=lambda: ["http://127.0.0.1:8188"],
        min_length=1,
        description="ComfyUI servers: a URL, or {url, headers} for one behind a proxy.",
    )
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

    @property
    def server_urls(self) -> list[str]:
        """Every server's URL (no trailing slash), in the order listed."""
        return [entry_of(s).url for s in self.servers]

    def server_entry(self, url: str) -> tuple[int, ServerEntry]:
        """The listed server with this URL and its index; a URL not listed has no headers."""
        for index, server in enumerate(self.servers):
            entry = entry_of(server)
            if entry.url == url.rstrip("/"):
                return index, entry
        return -1, ServerEntry(url=url.rstrip("/"))

    def path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else self._root / p

    @property
    def models_path(self) -> Path:
        return self.path(self.models_dir)

    @property
    def runtime_path(self) -> Path:
        return self.path(self.runtime_dir)


def entry_of(server: str | ServerEntry) -> ServerEntry:
    if isinstance(server, str):
        return ServerEntry(url=server.rstrip("/"))
    return ServerEntry(url=server.url.rstrip("/"), headers=server.headers)


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
    # A project's own config/config.yaml stays in the project; $ARTFARM_CONFIG is the user's pick.
    found = not os.environ.get(SETTINGS_ENV) and path.parent.name == "config"
    settings = load_yaml_model(
        Settings, path, "settings", root=path.parent.parent if found else None
    )
    settings._root = path.resolve().parent.parent
    return settings
