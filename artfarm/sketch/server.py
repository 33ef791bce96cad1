"""The sketch server: ComfyUI's HTTP and WebSocket API on aiohttp (what ComfyUI itself uses),
executing graphs with Pillow so artfarm runs end to end without a GPU.

Embeddable: `SketchServer(root).start()` serves from a background thread with its own event
loop; `crash()`, `refuse_connections()` and the `Faults` knobs let tests break it on purpose.

Two API generations: `api="0.36"` (the default: what users run in late 2026 — jobs API,
cancel endpoint, UUID-only prompt_ids, `create_time`, upload `asset`) and `api="0.3.64"`
(October 2025, the last version recorded on real hardware here). `require_headers` makes it
behave like a server behind an authenticating proxy: every HTTP request and WebSocket
handshake without those headers is refused (401 missing, 403 wrong value).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import mimetypes
import os
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from PIL import Image, PngImagePlugin

from artfarm.comfy.loopback import is_loopback
from artfarm.comfy.objectinfo import comfy_validate
from artfarm.problems import ArtfarmError
from artfarm.sketch import catalog, jobs
from artfarm.sketch.engine import Engine, QueueItem
from artfarm.sketch.limits import (
    DEFAULT_MAX_JOB_PIXELS,
    BadRequest,
    check_prompt_body,
    id_list,
    max_items,
    too_large,
    upload_filename,
)
from artfarm.sketch.model_cache import LoadLog
from artfarm.sketch.nodes import NodeContext, image_exists

API_VERSIONS = {"0.36": "0.36.0", "0.3.64": "0.3.64"}  # --api mode → comfyui_version
MAX_UPLOAD = 100 * 1024 * 1024


@dataclass
class Faults:
    """Ways to misbehave, for tests and benchmarks. Mutable while the server runs."""

    ws_drop_at_step: int | None = None  # close every WebSocket when a sampler reaches this step
    ws_refuse: bool = False  # refuse WebSocket upgrades (clients must poll)
    http_500_next: int = 0  # answer HTTP 500 to the next N requests
    crash_at_step: int | None = None  # crash (queue, history, cache lost) at this sampler step
    restart_after: float = 1.0  # ... and listen again after this many seconds
    crash_times: int = 1  # how many times crash_at_step may fire
    missing_nodes: tuple[str, ...] = ()  # leave these out of /object_info, as a bare ComfyUI would
    system_argv: list[str] | None = None  # report this command line in /system_stats instead
    lose_prompt_reply_next: int = 0  # queue the next N prompts, then answer 502 (a proxy timeout)
    refuse_prompt_next: int = 0  # answer 502 to the next N POST /prompt, queueing nothing


@dataclass
class Stats:
    """What the server saw, so tests can count submissions across crashes."""

    prompts_accepted: list[str] = field(default_factory=list)
    crashes: int = 0
    routes: Counter[str] = field(default_factory=Counter)  # "GET /api/jobs/{job_id}" → count
    loads: LoadLog = field(default_factory=LoadLog)  # model loads paid, by loader and file


class Hub:
    """The open WebSockets by client id; one writer task per socket keeps frames in order."""

    def __init__(self) -> None:
        self.sockets: dict[str, list[tuple[web.WebSocketResponse, asyncio.Queue]]] = {}

    def add(self, sid: str, ws: web.WebSocketResponse) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.sockets.setdefault(sid, []).append((ws, queue))
        return queue

    def remove(self, sid: str, ws: web.WebSocketResponse) -> None:
        self.sockets[sid] = [p for p in self.sockets.get(sid, []) if p[0] is not ws]
        if not self.sockets[sid]:
            del self.sockets[sid]

    def send(self, event: str, data: dict[str, Any], sid: str | None) -> None:
        text = json.dumps({"type": event, "data": data})
        targets = (
            self.sockets.get(sid, [])
            if sid is not None
            else [p for v in self.sockets.values() for p in v]
        )
        for _, queue in targets:
            queue.put_nowait(text)

    async def close_all(self) -> None:
        for ws, queue in [p for v in list(self.sockets.values()) for p in v]:
            queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await ws.close()


class SketchServer:
    """ComfyUI's API over a root folder (input/, output/, temp/) and a models folder."""

    def __init__(
        self,
        root: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models_dir: str | Path | None = None,
        step_seconds: float = 0.0,
        faults: Faults | None = None,
        allow_remote: bool = False,
        metadata: bool = True,
        api: str = "0.36",
        require_headers: dict[str, str] | None = None,
        max_job_pixels: int = DEFAULT_MAX_JOB_PIXELS,
        cache_lru: int = 0,
        load_seconds: float = 0.0,
    ):
        if not is_loopback(host) and not allow_remote:
            raise ArtfarmError.single(
                "sketch-server", "host", f"{host} is not a loopback address",
                "bind 127.0.0.1, or pass --allow-remote to expose an unauthenticated server",
            )  # fmt: skip
        if api not in API_VERSIONS:
            raise ArtfarmError.single(
                "sketch-server", "api", f"unknown API version {api!r}",
                f"use one of {', '.join(API_VERSIONS)}",
            )  # fmt: skip
        self.api = api
        self.version = API_VERSIONS[api]
        self.require_headers = dict(require_headers or {})
        self.root = Path(root).resolve()
        self.dirs = {k: self.root / k for k in ("input", "output", "temp")}
        for folder in self.dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.models_dir = Path(models_dir).resolve() if models_dir else None
        self.host, self.port = host, port
        self.step_seconds = step_seconds
        self.max_job_pixels = max_job_pixels
        self.cache_lru, self.load_seconds = cache_lru, load_seconds
        self.faults = faults or Faults()
        self.metadata = metadata
        self.stats = Stats()
        self.hub = Hub()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.runner: web.AppRunner | None = None
        self.engine: Engine | None = None
        self.listening = threading.Event()

    # ------------------------------------------------------------------ life cycle

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SketchServer:
        """Serve from a background thread; returns once the port accepts connections."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="sketch-server", daemon=True
        )
        self.thread.start()
        self.engine = self._new_engine()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if self.loop is None:
            return
        self._call(self._shutdown(restart_after=None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread:
            self.thread.join(timeout=5)
        self.loop = None

    def __enter__(self) -> SketchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """For the CLI: run in the calling thread until Ctrl-C."""
        self.start()
        try:
            threading.Event().wait()
        finally:
            self.stop()

    def crash(self, restart_after: float | None = 1.0) -> None:
        """Die like a killed ComfyUI (queue, history, cache gone); listen again later."""
        self._call(self._crash(restart_after))

    def refuse_connections(self, seconds: float | None) -> None:
        """Stop listening for a while, keeping the queue (a network blip); None: until
        `accept_connections()`, so a test can reopen on a condition instead of a clock."""
        self._call(self._pause(seconds))

    def accept_connections(self) -> None:
        """Listen again after `refuse_connections(None)`."""
        self._call(self._listen())

    def _call(self, coro) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def _new_engine(self) -> Engine:
        def emit(event: str, data: dict[str, Any], sid: str | None) -> None:
            if self.loop is not None:
                self.loop.call_soon_threadsafe(self.hub.send, event, data, sid)

        return Engine(self.dirs, self.models_dir, emit, step_seconds=self.step_seconds,
                      on_step=self._on_step, metadata=self.metadata, cache_lru=self.cache_lru,
                      load_seconds=self.load_seconds, load_log=self.stats.loads)  # fmt: skip

    async def _listen(self) -> None:
        self.runner = web.AppRunner(self._app(), shutdown_timeout=0.5, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, reuse_address=True)
        await site.start()
        if not self.port:
            sock = site._server.sockets[0]  # type: ignore[union-attr]
            self.port = sock.getsockname()[1]
        self.listening.set()

    async def _stop_listening(self) -> None:
        self.listening.clear()
        await self.hub.close_all()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def _shutdown(self, restart_after: float | None) -> None:
        if self.engine:
            self.engine.stop()
        await self._stop_listening()

    async def _crash(self, restart_after: float | None) -> None:
        self.stats.crashes += 1
        if self.engine:
            self.engine.stop()
        await self._stop_listening()
        self.engine = self._new_engine()
        if restart_after is not None:
            self._later(restart_after)

    async def _pause(self, seconds: float | None) -> None:
        await self._stop_listening()
        if seconds is not None:
            self._later(seconds)

    def _later(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(seconds, lambda: loop.create_task(self._listen()))

    def _on_step(self, prompt_id: str, value: int, maximum: int) -> None:
        """Fault hooks, called by the worker thread at every sampler step."""
        faults = self.faults
        if faults.ws_drop_at_step == value and self.loop is not None:
            asyncio.run_coroutine_threadsafe(self.hub.close_all(), self.loop)
        if faults.crash_at_step == value and faults.crash_times > 0 and self.loop is not None:
            faults.crash_times -= 1
            if self.engine:
                self.engine.stop()
            asyncio.run_coroutine_threadsafe(self._crash(faults.restart_after), self.loop)

    # ------------------------------------------------------------------ the app

    def _app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_UPLOAD,
            middlewares=[
                self._auth_middleware,
                self._fault_middleware,
                origin_middleware,
                bad_request_middleware,
            ],
        )
        routes = [
            ("GET", "/prompt", self.get_prompt), ("POST", "/prompt", self.post_prompt),
            ("GET", "/queue", self.get_queue), ("POST", "/queue", self.post_queue),
            ("POST", "/interrupt", self.post_interrupt), ("POST", "/free", self.post_free),
            ("GET", "/history", self.get_history), ("GET", "/history/{prompt_id}", self.get_history_one),
            ("POST", "/history", self.post_history), ("GET", "/view", self.get_view),
            ("POST", "/upload/image", self.upload_image), ("POST", "/upload/mask", self.upload_mask),
            ("GET", "/system_stats", self.system_stats), ("GET", "/object_info", self.get_object_info),
            ("GET", "/object_info/{node_class}", self.get_object_info_one),
            ("GET", "/models", self.get_models), ("GET", "/models/{folder}", self.get_model_files),
            ("GET", "/ws", self.websocket),
        ]  # fmt: skip
        for prefix in ("", "/api"):
            for method, path, handler in routes:
                if method == "GET":
                    app.router.add_get(prefix + path, handler)
                else:
                    app.router.add_post(prefix + path, handler)
        app.router.add_get("/sketch/stats", self.sketch_stats)  # not ComfyUI's: for benches
        if self.jobs_api:  # registered with the /api/ prefix hard-coded, as on ComfyUI
            app.router.add_get("/api/jobs", self.get_jobs)
            app.router.add_post("/api/jobs/cancel", self.cancel_jobs)
            app.router.add_get("/api/jobs/{job_id}", self.get_job)
            app.router.add_post("/api/jobs/{job_id}/cancel", self.cancel_job)
        return app

    @property
    def jobs_api(self) -> bool:
        return self.api == "0.36"

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler):
        """What an authenticating reverse proxy does: no header 401, a wrong one 403."""
        for name, value in self.require_headers.items():
            got = request.headers.get(name)
            if got is None:
                return web.Response(status=401, text=f"401 Unauthorized: {name} required")
            if got != value:
                return web.Response(status=403, text=f"403 Forbidden: bad {name}")
        return await handler(request)

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler):
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else request.path
        self.stats.routes[f"{request.method} {route}"] += 1
        if self.faults.http_500_next > 0 and not request.path.endswith("/ws"):
            self.faults.http_500_next -= 1
            return web.Response(status=500, text="500 Internal Server Error (injected fault)")
        return await handler(request)

    @property
    def _engine(self) -> Engine:
        assert self.engine is not None
        return self.engine

    def _ctx(self) -> NodeContext:
        d = self.dirs
        return NodeContext(
            d["input"], d["output"], d["temp"], self.models_dir, {}, None, lambda v, m: None
        )

    # ------------------------------------------------------------------ prompts and queue

    async def get_prompt(self, request: web.Request) -> web.Response:
        return web.json_response({"exec_info": {"queue_remaining": self._engine.queue_remaining()}})

    async def post_prompt(self, request: web.Request) -> web.Response:
        if self.faults.refuse_prompt_next > 0:
            self.faults.refuse_prompt_next -= 1
            return web.Response(status=502, text="502 Bad Gateway (injected: not forwarded)")
        body = check_prompt_body(await _json_body(request))
        engine = self._engine
        if "number" in body:
            number: float = float(body["number"])
        else:
            number = engine.next_number(bool(body.get("front")))
        if "prompt" not in body:
            error = {"type": "no_prompt", "message": "No prompt provided",
                     "details": "No prompt provided", "extra_info": {}}  # fmt: skip
            return web.json_response({"error": error, "node_errors": {}}, status=400)
        prompt = body["prompt"]
        oversize = too_large(prompt, self.max_job_pixels)
        if oversize is not None:
            return web.json_response(oversize, status=400)
        given = body.get("prompt_id")
        if self.jobs_api and given is not None and not jobs.is_canonical_uuid(given):
            return web.json_response(jobs.invalid_prompt_id(), status=400)
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        schemas = catalog.object_info(self.models_dir, None)
        check = ("image",), lambda v: image_exists(self._ctx(), v.get("image"))
        verdict = await asyncio.to_thread(
            comfy_validate, prompt, schemas, partial_targets=body.get("partial_execution_targets"),
            custom={"LoadImage": check, "LoadImageMask": check},
        )  # fmt: skip
        extra = dict(body.get("extra_data") or {})
        if "client_id" in body:
            extra["client_id"] = body["client_id"]
        if not verdict.ok:
            return web.json_response(
                {"error": verdict.error, "node_errors": verdict.node_errors}, status=400
            )
        if self.jobs_api:
            extra["create_time"] = int(time.time() * 1000)
        item = QueueItem(
            number, next(engine.counter), prompt_id, prompt, extra, verdict.good_outputs
        )
        self.stats.prompts_accepted.append(prompt_id)
        engine.put(item)
        if self.faults.lose_prompt_reply_next > 0:
            self.faults.lose_prompt_reply_next -= 1
            return web.Response(status=502, text="502 Bad Gateway (injected: reply lost)")
        return web.json_response(
            {"prompt_id": prompt_id, "number": number, "node_errors": verdict.node_errors}
        )

    async def get_queue(self, request: web.Request) -> web.Response:
        return web.json_response(self._engine.snapshot())

    async def post_queue(self, request: web.Request) -> web.Response:
        body = await _json_or_empty(request)
        if body.get("clear"):
            self._engine.clear()
        if "delete" in body:
            self._engine.delete(id_list(body["delete"]))
        return web.Response(status=200)

    async def post_interrupt(self, request: web.Request) -> web.Response:
        body = await _json_or_empty(request)
        self._engine.interrupt(body.get("prompt_id"))
        return web.Response(status=200)

    async def post_free(self, request: web.Request) -> web.Response:
        body = await _json_or_empty(request)
        self._engine.free(bool(body.get("unload_models")), bool(body.get("free_memory")))
        return web.Response(status=200)

    async def get_history(self, request: web.Request) -> web.Response:
        limit = max_items(request.rel_url.query.get("max_items"))
        return web.json_response(self._engine.history_items(limit))

    async def get_history_one(self, request: web.Request) -> web.Response:
        return web.json_response(self._engine.history_of(request.match_info["prompt_id"]))

    async def post_history(self, request: web.Request) -> web.Response:
        body = await _json_or_empty(request)
        delete = id_list(body["delete"]) if body.get("delete") is not None else None
        self._engine.history_delete(delete, bool(body.get("clear")))
        return web.Response(status=200)

    # ------------------------------------------------------------------ jobs API (v0.36)

    async def get_jobs(self, request: web.Request) -> web.Response:
        raw = request.rel_url.query.get("status", "")
        states = [s.strip().lower() for s in raw.split(",") if s.strip()]
        bad = [s for s in states if s not in jobs.ALL_STATES]
        if bad:
            return web.json_response(
                {"error": f"Invalid status value(s): {', '.join(bad)}. "
                          f"Valid values: {', '.join(jobs.ALL_STATES)}"}, status=400,
            )  # fmt: skip
        engine = self._engine
        return web.json_response(
            jobs.list_jobs(engine.snapshot(), engine.history_items(None), states)
        )

    async def get_job(self, request: web.Request) -> web.Response:
        job_id = request.match_info["job_id"]
        engine = self._engine
        job = jobs.find_job(job_id, engine.snapshot(), engine.history_of(job_id))
        if job is None:
            return web.json_response({"error": "Job not found"}, status=404)
        return web.json_response(job)

    async def cancel_job(self, request: web.Request) -> web.Response:
        return web.json_response({"cancelled": self._engine.cancel(request.match_info["job_id"])})

    async def cancel_jobs(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "Request body must be valid JSON"}, status=400)
        ids = body.get("job_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            return web.json_response({"error": "job_ids must be a list"}, status=400)
        invalid = [
            i if isinstance(i, str) else repr(i) for i in ids if not jobs.is_canonical_uuid(i)
        ]
        if invalid:
            return web.json_response(
                {"error": "job_ids contains invalid id(s)", "invalid_ids": invalid}, status=400
            )
        results = [self._engine.cancel(i) for i in ids]
        return web.json_response({"cancelled": any(results)})

    # ------------------------------------------------------------------ files

    def _dir_of(self, kind: str | None) -> Path | None:
        return self.dirs.get(kind or "output")

    async def get_view(self, request: web.Request) -> web.StreamResponse:
        query = request.rel_url.query
        if "filename" not in query:
            return web.Response(status=404)
        filename, folder = annotated(query["filename"], self.dirs)
        if not filename:
            return web.Response(status=400)
        if filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        folder = folder or self._dir_of(query.get("type", "output"))
        if folder is None:
            return web.Response(status=400)
        if "subfolder" in query:
            full = os.path.join(folder, query["subfolder"])
            if os.path.commonpath((os.path.abspath(full), str(folder))) != str(folder):
                return web.Response(status=403)
            folder = Path(full)
        path = Path(folder) / os.path.basename(filename)
        if path.is_file():
            return web.FileResponse(
                path, headers={"Content-Disposition": f'filename="{path.name}"'}
            )
        return web.Response(status=404)

    async def _save_upload(self, request: web.Request, mask: bool) -> web.Response:
        try:
            post = await request.post()
        except ValueError as err:  # a malformed multipart body
            raise BadRequest("malformed form data", str(err)[:80], "bad_request") from None
        image = post.get("image")
        if image is None or not hasattr(image, "file"):
            return web.Response(status=400)
        folder = self._dir_of(str(post.get("type") or "input"))
        kind = str(post.get("type") or "input")
        if folder is None:
            folder, kind = self.dirs["input"], "input"
        filename = upload_filename(image.filename)
        subfolder = str(post.get("subfolder", ""))
        target_dir = folder / os.path.normpath(subfolder)
        path = Path(os.path.abspath(target_dir / filename))
        if os.path.commonpath((str(folder), str(path))) != str(folder):
            return web.Response(status=400)
        target_dir.mkdir(parents=True, exist_ok=True)
        data = image.file.read()
        overwrite = str(post.get("overwrite")) in ("true", "1")
        stem, ext = os.path.splitext(filename)
        duplicate, i = False, 1
        while not overwrite and path.exists():
            if hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
                duplicate = True
                break
            filename = f"{stem} ({i}){ext}"
            path = target_dir / filename
            i += 1
        if not duplicate:
            if mask:
                status = await asyncio.to_thread(
                    self._apply_mask, post.get("original_ref"), data, path
                )
                if status != 200:
                    return web.Response(status=status)
            else:
                await asyncio.to_thread(path.write_bytes, data)
        answer: dict[str, Any] = {"name": filename, "subfolder": subfolder, "type": kind}
        if self.jobs_api:
            asset = asset_of(path, filename, kind)
            if asset is not None:
                answer["asset"] = asset
        return web.json_response(answer)

    def _apply_mask(self, ref_text: Any, data: bytes, dest: Path) -> int:
        """ComfyUI's /upload/mask: copy the upload's alpha onto the referenced original."""
        try:
            ref = json.loads(str(ref_text))
        except ValueError:
            return 400
        if not isinstance(ref, dict):
            return 400
        filename, folder = annotated(str(ref.get("filename", "")), self.dirs)
        if not filename or filename[0] == "/" or ".." in filename:
            return 400
        folder = folder or self._dir_of(ref.get("type", "output"))
        if folder is None:
            return 400
        if ref.get("subfolder"):
            full = os.path.join(folder, ref["subfolder"])
            if os.path.commonpath((os.path.abspath(full), str(folder))) != str(folder):
                return 403
            folder = Path(full)
        original = Path(folder) / filename
        if not original.is_file():
            return 404
        import io

        try:
            with Image.open(original) as orig:
                _fits(orig, self.max_job_pixels)
                info = PngImagePlugin.PngInfo()
                for key, value in getattr(orig, "text", {}).items():
                    info.add_text(key, value)
                rgba = orig.convert("RGBA")
            with Image.open(io.BytesIO(data)) as upload:
                _fits(upload, self.max_job_pixels)
                alpha = upload.convert("RGBA").getchannel("A")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            return 400  # the original or the upload is not an image (or too large for one)
        rgba.putalpha(alpha.resize(rgba.size) if alpha.size != rgba.size else alpha)
        rgba.save(dest, compress_level=4, pnginfo=info)
        return 200

    async def upload_image(self, request: web.Request) -> web.Response:
        return await self._save_upload(request, mask=False)

    async def upload_mask(self, request: web.Request) -> web.Response:
        return await self._save_upload(request, mask=True)

    # ------------------------------------------------------------------ facts

    async def system_stats(self, request: web.Request) -> web.Response:
        page = os.sysconf("SC_PAGE_SIZE")
        ram_total = page * os.sysconf("SC_PHYS_PAGES")
        ram_free = page * os.sysconf("SC_AVPHYS_PAGES")
        vram_total = 32 * 1024**3
        vram_free = vram_total - 2 * 1024**3 * self._engine.loaded_models()
        import platform

        return web.json_response({
            "system": {
                "os": os.name, "ram_total": ram_total, "ram_free": ram_free,
                "comfyui_version": self.version, "required_frontend_version": "none",
                "python_version": platform.python_version(), "pytorch_version": "none (artfarm sketch server)",
                "embedded_python": False, "argv": self.faults.system_argv or ["artfarm", "sketch-server", "--api", self.api, "--root", str(self.root)],
            },
            "devices": [{
                "name": "artfarm sketch (no GPU)", "type": "cpu", "index": None,
                "vram_total": vram_total, "vram_free": vram_free,
                "torch_vram_total": vram_total, "torch_vram_free": vram_free,
            }],
        })  # fmt: skip

    async def sketch_stats(self, request: web.Request) -> web.Response:
        """The sketch server's own counters (no ComfyUI has this; the client never asks)."""
        loads = self.stats.loads.snapshot()
        return web.json_response({
            "model_loads": loads, "loads_total": sum(loads.values()),
            "prompts_accepted": len(self.stats.prompts_accepted), "crashes": self.stats.crashes,
            "cache": self._engine.cache.rule, "load_seconds": self.load_seconds,
            "step_seconds": self.step_seconds,
        })  # fmt: skip

    async def _object_info(self) -> dict[str, Any]:
        info = await asyncio.to_thread(catalog.object_info, self.models_dir, self.dirs["input"])
        return {k: v for k, v in info.items() if k not in self.faults.missing_nodes}

    async def get_object_info(self, request: web.Request) -> web.Response:
        return web.json_response(await self._object_info())

    async def get_object_info_one(self, request: web.Request) -> web.Response:
        name = request.match_info["node_class"]
        info = await self._object_info()
        return web.json_response({name: info[name]} if name in info else {})

    async def get_models(self, request: web.Request) -> web.Response:
        return web.json_response(catalog.MODEL_FOLDERS)

    async def get_model_files(self, request: web.Request) -> web.Response:
        folder = request.match_info["folder"]
        if folder not in catalog.MODEL_FOLDERS:
            return web.Response(status=404)
        return web.json_response(catalog.model_files(self.models_dir, folder))

    # ------------------------------------------------------------------ websocket

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        if self.faults.ws_refuse:
            return web.Response(status=503, text="WebSocket refused (injected fault)")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        sid = request.rel_url.query.get("clientId") or uuid.uuid4().hex
        queue = self.hub.add(sid, ws)
        writer = asyncio.ensure_future(_write(ws, queue))
        engine = self._engine
        status = {
            "status": {"exec_info": {"queue_remaining": engine.queue_remaining()}},
            "sid": sid,
        }
        self.hub.send("status", status, sid)
        self.hub.send(
            "feature_flags", {"supports_preview_metadata": True, "max_upload_size": MAX_UPLOAD}, sid
        )
        running = engine.running
        if running and running.extra_data.get("client_id") == sid and engine.running_node:
            node = engine.running_node
            self.hub.send(
                "executing",
                {"node": node, "display_node": node, "prompt_id": running.prompt_id},
                sid,
            )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.hub.remove(sid, ws)
            queue.put_nowait(None)
            writer.cancel()
        return ws


async def _write(ws: web.WebSocketResponse, queue: asyncio.Queue) -> None:
    while True:
        text = await queue.get()
        if text is None or ws.closed:
            return
        try:
            await ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return


def _fits(image: Image.Image, limit: int) -> None:
    """Refuse an image larger than a job may be, from its header (before decoding it)."""
    if image.width * image.height > limit:
        raise ValueError(f"{image.width}×{image.height} is more than {limit} pixels")


async def _json_body(request: web.Request) -> Any:
    """The request's JSON; a body that is not JSON (or empty) is a 400, not a 500."""
    try:
        return await request.json()
    except (ValueError, RecursionError) as err:
        raise BadRequest("The request body is not valid JSON", str(err)[:80]) from None


@web.middleware
async def bad_request_middleware(request: web.Request, handler):
    """A `BadRequest` from any handler: 400 with ComfyUI's error body."""
    try:
        return await handler(request)
    except BadRequest as err:
        return web.json_response(err.body, status=400)


async def _json_or_empty(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def asset_of(path: Path, name: str, kind: str) -> dict[str, Any] | None:
    """v0.36's asset object for an upload; None without the blake3 module (clients must cope)."""
    try:
        import blake3
    except ImportError:
        return None
    data = path.read_bytes()
    digest = blake3.blake3(data).hexdigest()
    return {
        "id": str(uuid.UUID(digest[:32])),
        "name": name,
        "asset_hash": f"blake3:{digest}",
        "size": len(data),
        "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "tags": [kind],
    }


def annotated(name: str, dirs: dict[str, Path]) -> tuple[str, Path | None]:
    """`name [output]` → (name, output folder), as ComfyUI's annotated_filepath."""
    for kind in ("output", "input", "temp"):
        tag = f" [{kind}]"
        if name.endswith(tag):
            return name[: -len(tag)], dirs[kind]
    return name, None


@web.middleware
async def origin_middleware(request: web.Request, handler):
    """ComfyUI's guard: a loopback Host with a different Origin host gets 403."""
    host = request.headers.get("Host")
    origin = request.headers.get("Origin")
    if host and origin:
        host_domain = host.lower()
        origin_domain = urllib.parse.urlparse(origin).netloc.lower()
        hostname = urllib.parse.urlsplit("//" + host_domain).hostname or ""
        if is_loopback(hostname) and host_domain != origin_domain:
            return web.Response(status=403)
    if request.method == "OPTIONS":
        return web.Response()
    return await handler(request)
