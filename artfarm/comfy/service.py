"""ComfyUI (or the sketch server) as a background service on this machine.

    runtime/comfyui.pid            JSON: pid, kind (comfyui|sketch), url, stands_for, argv
    runtime/comfyui.log            the server's stdout + stderr
    runtime/extra_model_paths.yaml points ComfyUI at the model store
    runtime/comfyui/{input,output,temp,user}/  ComfyUI's folders, made before it starts
                                   (sketch: runtime/sketch/)

The device (`comfyui.device`: cuda, cpu, mps, directml, xpu) and VRAM mode give flags ComfyUI
accepts together: --cpu sits in one mutually exclusive group with every VRAM flag, so a cpu
start has none. A start that fails names the log's last error line and its fix.

Both kinds start the same way and answer the same API, so the rest of artfarm does not care
which one runs. A sketch server only ever uses a port of its own: when the configured one is
taken (another checkout's server, anything else) it listens on a free port instead, and the
pid file says which configured URL it `stands_for`; `servers_in_use` gives the pipeline that
URL in its place. A server this checkout did not start is never used in its stead.

ComfyUI has no authentication: a non-loopback address is refused unless the
user forces it (and then belongs behind an authenticating proxy).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from artfarm.atomic import write_json
from artfarm.comfy.credentials import auth_summary, request_headers
from artfarm.comfy.loopback import is_loopback
from artfarm.comfy.start_failure import cause_and_fix
from artfarm.documents.settings import ComfyInstall, Settings
from artfarm.problems import ArtfarmError
from artfarm.rendering.modelstore import ModelStore

PID_FILE = "comfyui.pid"
LOG_FILE = "comfyui.log"
PATHS_FILE = "extra_model_paths.yaml"
UNIT_TEMPLATE = Path(__file__).resolve().parents[2] / "config" / "comfyui.service"
DATA_FOLDERS = ("input", "output", "temp", "user")


@dataclass(frozen=True)
class Launch:
    """How to start one server: its command line, working folder and the URL it will answer on."""

    kind: str
    argv: list[str]
    cwd: Path
    url: str
    folders: tuple[Path, ...] = ()  # must exist before it starts (ComfyUI checks some)


def check_listen(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise ArtfarmError.single(
            "--listen",
            host,
            "ComfyUI has no authentication; listening beyond this machine exposes it",
            "keep 127.0.0.1, or pass --allow-remote and put an authenticating proxy in front",
        )


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def write_model_paths(settings: Settings) -> Path:
    """runtime/extra_model_paths.yaml for the store (folders created if missing)."""
    return ModelStore(settings.models_path).write_extra_model_paths(
        settings.runtime_path / PATHS_FILE
    )


def comfyui_launch(settings: Settings, host: str, port: int) -> Launch:
    """The recommended flags: loopback, resident models, no browser, no previews, our folders."""
    install = settings.comfyui.install
    if not install or not (settings.path(install) / "main.py").is_file():
        raise ArtfarmError.single(
            "config/config.yaml",
            "comfyui.install",
            f"no ComfyUI install with a main.py at {install!r}",
            "set comfyui.install to your ComfyUI folder, or use `artfarm comfyui start --sketch`",
        )
    folder = settings.path(install)
    python = settings.path(settings.comfyui.python) if settings.comfyui.python else sys.executable
    data = settings.runtime_path / "comfyui"
    argv = [str(python), str(folder / "main.py"), *comfyui_flags(settings, host, port, data)]
    folders = tuple(data / name for name in DATA_FOLDERS)
    return Launch("comfyui", argv, folder, url_for(host, port), folders)


def device_flags(comfy: ComfyInstall) -> list[str]:
    """Device and VRAM flags ComfyUI accepts together (settings refuse cpu with a VRAM mode)."""
    if comfy.device == "cpu":
        return ["--cpu"]
    flags = [f"--{comfy.vram or 'highvram'}"]
    if comfy.device == "cuda" and comfy.device_id is not None:
        flags += ["--cuda-device", str(comfy.device_id)]
    if comfy.device == "directml":
        flags += ["--directml", *([str(comfy.device_id)] if comfy.device_id is not None else [])]
    return flags


def cache_flags(comfy: ComfyInstall) -> list[str]:
    """ComfyUI's default cache needs no flag; `cache_lru` N > 0 keeps N node results."""
    return ["--cache-lru", str(comfy.cache_lru)] if comfy.cache_lru else []


def comfyui_flags(settings: Settings, host: str, port: int, data: Path) -> list[str]:
    return [
        "--listen",
        host,
        "--port",
        str(port),
        *device_flags(settings.comfyui),
        *cache_flags(settings.comfyui),
        "--disable-auto-launch",
        "--preview-method",
        "none",
        "--output-directory",
        str(data / "output"),
        "--input-directory",
        str(data / "input"),
        "--temp-directory",
        str(data / "temp"),
        "--user-directory",
        str(data / "user"),
        "--database-url",  # default: a file in the install's own user/, which may not exist
        f"sqlite:///{data / 'user' / 'comfyui.db'}",
        "--extra-model-paths-config",
        str(settings.runtime_path / PATHS_FILE),
    ]


def sketch_launch(settings: Settings, host: str, port: int) -> Launch:
    argv = [
        sys.executable,
        "-m",
        "artfarm",
        "sketch-server",
        "--host",
        host,
        "--port",
        str(port),
        "--root",
        str(settings.runtime_path / "sketch"),
        "--models",
        str(settings.models_path),
        "--step-seconds",
        str(settings.sketch.step_seconds),
        *cache_flags(settings.comfyui),  # the stand-in keeps models as ComfyUI would
    ]
    if not is_loopback(host):
        argv.append("--allow-remote")
    return Launch("sketch", argv, settings.root, url_for(host, port))


# ------------------------------------------------------------------------------- pid file


def pid_path(settings: Settings) -> Path:
    return settings.runtime_path / PID_FILE


def read_pid(settings: Settings) -> dict[str, Any] | None:
    try:
        return json.loads(pid_path(settings).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def alive(record: dict[str, Any]) -> bool:
    """Our process still runs (the pid exists and its command line is the one we started)."""
    try:
        cmdline = Path(f"/proc/{record['pid']}/cmdline").read_bytes().split(b"\0")
    except (OSError, KeyError):
        return False
    return [c.decode(errors="replace") for c in cmdline if c] == record.get("argv")


# ------------------------------------------------------------------------------- verbs


def port_free(host: str, port: int) -> bool:
    """Nothing listens on host:port (we could bind it now)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_sketch(settings: Settings, host: str, port: int, timeout: float) -> dict[str, Any]:
    """The sketch server on `port`, or on a free port when `port` is taken by anything else."""
    chosen = port if port_free(host, port) else free_port(host)
    launch = sketch_launch(settings, host, chosen)
    return start(settings, launch, timeout, stands_for=url_for(host, port))


def servers_in_use(settings: Settings) -> list[str]:
    """The configured server URLs, with the one our running server stands for replaced by its own."""
    record = read_pid(settings)
    if not record or not alive(record):
        return settings.server_urls
    stands_for = record.get("stands_for")
    return [record["url"] if url == stands_for else url for url in settings.server_urls]


def whose(settings: Settings, url: str, stats: dict[str, Any] | None) -> str:
    """Who runs the server answering at `url`: this checkout, another checkout, or someone else."""
    record = read_pid(settings)
    if record and alive(record) and record["url"] == url:
        return f"this checkout's {record['kind']} server (pid {record['pid']})"
    if stats is None:
        return "nobody answers"
    argv = [str(a) for a in stats.get("system", {}).get("argv", [])]
    if "sketch-server" in argv:
        root = argv[argv.index("--root") + 1] if "--root" in argv[:-1] else "unknown folder"
        return f"a sketch server this checkout did not start (root {root}): not used by it"
    return "a server this checkout did not start (external ComfyUI?)"


def start(
    settings: Settings, launch: Launch, timeout: float = 60.0, stands_for: str | None = None
) -> dict[str, Any]:
    """Start the server in the background and wait until GET /system_stats answers."""
    running = read_pid(settings)
    if running and alive(running):
        raise ArtfarmError.single(
            str(pid_path(settings)),
            "",
            f"a {running['kind']} server already runs (pid {running['pid']}, {running['url']})",
            "stop it first with `artfarm comfyui stop`",
        )
    if system_stats(launch.url, timeout=1.0) is not None:
        raise ArtfarmError.single(
            launch.url,
            "",
            "something already answers on this address (not started by artfarm)",
            "stop it, or start on another port with --port",
        )
    write_model_paths(settings)
    for folder in launch.folders:
        folder.mkdir(parents=True, exist_ok=True)
    log = settings.runtime_path / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    offset = log.stat().st_size if log.is_file() else 0
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            launch.argv,
            cwd=launch.cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    record = {
        "pid": proc.pid,
        "kind": launch.kind,
        "url": launch.url,
        "stands_for": stands_for or launch.url,
        "argv": launch.argv,
    }
    write_json(pid_path(settings), record)
    _wait_until_up(settings, proc, launch.url, (log, offset), timeout)
    return record


def _wait_until_up(settings, proc: subprocess.Popen, url: str, log: tuple[Path, int], timeout):
    """Until GET /system_stats answers; a process that exits names the cause from its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pid_path(settings).unlink(missing_ok=True)
            cause, fix = cause_and_fix(*log)
            raise ArtfarmError.single(
                str(log[0]), "", f"the server exited with code {proc.returncode}: {cause}", fix
            )
        if system_stats(url, timeout=1.0) is not None:
            return
        time.sleep(0.2)
    cause, _ = cause_and_fix(*log)
    raise ArtfarmError.single(
        url,
        "",
        f"the server did not answer GET /system_stats within {timeout:.0f} s ({cause})",
        f"still starting? `artfarm comfyui status`, or `artfarm comfyui stop` (log: {log[0]})",
    )


def stop(settings: Settings, timeout: float = 15.0) -> dict[str, Any] | None:
    """Stop the server artfarm started (by its recorded pid); None when none runs."""
    record = read_pid(settings)
    if record is None or not alive(record):
        pid_path(settings).unlink(missing_ok=True)
        return None
    pid = int(record["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(record):
        time.sleep(0.1)
    if alive(record):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    pid_path(settings).unlink(missing_ok=True)
    return record


def system_stats(
    url: str, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> dict[str, Any] | None:
    try:
        resp = httpx.get(f"{url}/system_stats", timeout=timeout, headers=headers)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def status(settings: Settings, url: str | None = None) -> dict[str, Any]:
    """Version, devices, VRAM and queue length of the server (ours if running, else the first)."""
    record = read_pid(settings)
    ours = record if record and alive(record) else None
    url = url or (ours["url"] if ours else servers_in_use(settings)[0])
    headers, auth_problem = {}, None
    try:
        headers = request_headers(settings, url)
    except ArtfarmError as err:
        auth_problem = err.problems[0].line()
    stats = system_stats(url, headers=headers)
    refused = None
    if stats is None:
        with contextlib.suppress(httpx.HTTPError):
            code = httpx.get(f"{url}/system_stats", timeout=5.0, headers=headers).status_code
            refused = code if code in (401, 403) else None
    result: dict[str, Any] = {
        "url": url,
        "up": stats is not None,
        "started_by_artfarm": ours is not None and ours["url"] == url,
        "whose": whose(settings, url, stats),
        "kind": ours["kind"] if ours else None,
        "pid": ours["pid"] if ours else None,
        "auth": auth_summary(settings, url),
        "auth_problem": auth_problem,
        "auth_refused": refused,
        "servers": [{"url": u, "auth": auth_summary(settings, u)} for u in settings.server_urls],
    }
    if stats is None:
        return result
    system = stats.get("system", {})
    result["version"] = system.get("comfyui_version")
    result["devices"] = [
        {k: d.get(k) for k in ("name", "type", "vram_total", "vram_free")}
        for d in stats.get("devices", [])
    ]
    with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
        body = httpx.get(f"{url}/prompt", timeout=5.0, headers=headers).json()
        result["queue_remaining"] = body["exec_info"]["queue_remaining"]
    return result


def render_unit(settings: Settings, host: str, port: int) -> str:
    """config/comfyui.service with this machine's paths and the recommended flags filled in."""
    launch = comfyui_launch(settings, host, port)
    write_model_paths(settings)
    for folder in launch.folders:  # the unit starts ComfyUI later: its folders must exist
        folder.mkdir(parents=True, exist_ok=True)
    text = UNIT_TEMPLATE.read_text(encoding="utf-8")
    replacements = {
        "@WORKDIR@": str(launch.cwd),
        "@EXEC@": " ".join(launch.argv),
        "@USER@": os.environ.get("USER", "artfarm"),
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    return text
