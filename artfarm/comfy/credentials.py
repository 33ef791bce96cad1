"""Request headers for a server behind an authenticating proxy, with their secrets resolved.

config/config.yaml names where each secret lives — an environment variable or a file outside
the project — never the secret itself. Values are read when a client is made and live only in
its memory: they are sent on HTTP requests and the WebSocket handshake, and never written to
manifests, journals, logs or error lines (errors name the header and the variable, not values).
"""

from __future__ import annotations

import os
from pathlib import Path

from artfarm.documents.settings import HeaderSecret, Settings
from artfarm.problems import ArtfarmError, Problem

CONFIG = "config/config.yaml"


def request_headers(settings: Settings, url: str) -> dict[str, str]:
    """The headers to send to `url`, secrets filled in; one problem line per missing one."""
    index, entry = settings.server_entry(url)
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    for name, source in entry.headers.items():
        if isinstance(source, str):
            headers[name] = source
            continue
        try:
            headers[name] = source.prefix + secret_value(settings, source)
        except ValueError as exc:
            problem, fix = exc.args
            field = f"servers[{index}].headers.{name}"
            problems.append(Problem(CONFIG, field, f"{problem} (server {entry.url})", fix))
    if problems:
        raise ArtfarmError(problems)
    return headers


def secret_value(settings: Settings, source: HeaderSecret) -> str:
    """The secret behind `source`; ValueError(problem, fix) when it cannot be read."""
    if source.env is not None:
        value = os.environ.get(source.env)
        if not value:
            raise ValueError(
                f"environment variable {source.env} is not set",
                f"export {source.env}=<the value> before running (it is never written anywhere)",
            )
        return value.strip()
    path = Path(os.path.expanduser(str(source.file)))
    path = path if path.is_absolute() else settings.root / path
    if path.resolve().is_relative_to(settings.root.resolve()):
        raise ValueError(
            f"{source.file} is inside the project, where a secret could be committed",
            "move the file outside the project (e.g. ~/.config/artfarm/) and point file: at it",
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(
            f"cannot read {path} ({exc.strerror or type(exc).__name__})",
            "create the file with the value on its first line, readable by you only",
        ) from exc
    if not lines or not lines[0].strip():
        raise ValueError(f"{path} is empty", "put the value on the file's first line")
    return lines[0].strip()


def auth_summary(settings: Settings, url: str) -> list[str]:
    """Which headers go to `url` and where their values come from — never the values."""
    summary = []
    for name, source in settings.server_entry(url)[1].headers.items():
        if isinstance(source, str):
            summary.append(f"{name} (plain value in config)")
        elif source.env is not None:
            summary.append(f"{name} from ${source.env}")
        else:
            summary.append(f"{name} from file {source.file}")
    return summary
