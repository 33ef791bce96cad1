"""The board's web application: routes, templates, and the server thread.

Pages render on the server (sandboxed, autoescaped Jinja2); board.js adds the review actions,
drawing fixes and the live status poll. A subject is a page (`/page/7`) or a bible item the
pipeline renders (`/page/sheet:bear`), shown and saved the same way. Images are served only
from a subject's stage folders (and a sheet's approved file), resolved inside the book.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from artfarm.board import actions, auth
from artfarm.board.builds import BuildBusy, BuildRunner
from artfarm.board.view import book_view, page_view, subject_state
from artfarm.comfy.loopback import is_loopback
from artfarm.documents.book import Book
from artfarm.documents.safepath import PathEscape
from artfarm.pipeline.subjects import PageSubject, Subject, bible_subject, bible_subjects
from artfarm.problems import ArtfarmError

HERE = Path(__file__).parent
ART_STAGES = {"thumb", "draft", "selected", "refine", "final", "print"}
ART_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.png$")


def check_host(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise ArtfarmError.single(
            "command line",
            "--host",
            f"{host} is not a loopback address; anyone who can reach it and learns the token "
            "can change reviews",
            "use 127.0.0.1, or pass --allow-remote if you mean it",
        )


def templates() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
    return env


@dataclass
class Board:
    """One book's board: its files, its build runner, the token, who signs its reviews."""

    book: Book
    builds: BuildRunner
    token: str
    reviewer: str = "board"
    env: SandboxedEnvironment = field(default_factory=templates)

    def subject(self, request: web.Request) -> Subject:
        """The page or bible item a URL names (`7`, `sheet:bear`), else 404."""
        name = request.match_info["page"]
        if not name.isdigit():
            try:
                return bible_subject(self.book, name)
            except ArtfarmError as err:
                raise web.HTTPNotFound(text=err.problems[0].line()) from None
        page = int(name)
        if page not in self.book.page_numbers():
            raise web.HTTPNotFound(text=f"page {page} has no renderspec.json in {self.book.root}")
        return PageSubject(self.book, page)

    def render(self, name: str, **context: Any) -> web.Response:
        html = self.env.get_template(name).render(token=self.token, book_id=self.book.id, **context)
        return web.Response(text=html, content_type="text/html")

    async def index(self, request: web.Request) -> web.Response:
        view = book_view(self.book, self.builds.busy())
        return self.render("book.html", view=view, build=self.builds.status())

    async def page(self, request: web.Request) -> web.Response:
        view = page_view(self.book, self.subject(request), self.builds.busy())
        return self.render("page.html", view=view)

    async def art(self, request: web.Request) -> web.StreamResponse:
        subject = self.subject(request)
        stage, name = request.match_info["stage"], request.match_info["file"]
        if stage not in ART_STAGES or not ART_FILE.match(name):
            raise web.HTTPNotFound(text="no such image")
        try:
            path = subject.art_path(stage, name)
        except PathEscape:
            raise web.HTTPNotFound(text="no such image") from None
        if not path.is_file():
            raise web.HTTPNotFound(text="no such image")
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    async def status(self, request: web.Request) -> web.Response:
        busy = self.builds.busy()
        pages = [
            subject_state(PageSubject(self.book, p), busy).record()
            for p in self.book.page_numbers()
        ]
        bible = [subject_state(s, busy).record() for s in bible_subjects(self.book)]
        return web.json_response({"build": self.builds.status(), "pages": pages, "bible": bible})

    async def save(self, request: web.Request) -> web.Response:
        subject = self.subject(request)
        stage = request.match_info["stage"]
        if stage not in ("draft", "refine"):
            raise web.HTTPNotFound(text="stage is draft or refine")
        try:
            data = await request.json()
        except ValueError:
            return web.json_response({"problems": ["the request body is not JSON"]}, status=400)
        if not isinstance(data, dict):
            return web.json_response({"problems": ["send a JSON object"]}, status=400)
        try:
            etag = actions.save(subject, stage, data, self.reviewer)
        except actions.Conflict as conflict:
            return web.json_response({"conflict": str(conflict), "etag": conflict.etag}, status=409)
        except ArtfarmError as err:
            lines = [p.line() for p in err.problems]
            return web.json_response({"problems": lines}, status=400)
        return web.json_response(
            {"saved": True, "etag": etag, "subject": subject.key, "stage": stage}
        )

    async def build(self, request: web.Request) -> web.Response:
        try:
            self.builds.start()
        except BuildBusy as busy:
            return web.json_response({"error": str(busy)}, status=409)
        return web.json_response({"started": True, "build": self.builds.status()})


def make_app(board: Board, port: Callable[[], int]) -> web.Application:
    app = web.Application(middlewares=[auth.middleware(board.token, port)])
    app.router.add_get("/", board.index)
    app.router.add_get("/page/{page}", board.page)
    app.router.add_get("/art/{page}/{stage}/{file}", board.art)
    app.router.add_get("/api/status", board.status)
    app.router.add_post("/api/page/{page}/{stage}", board.save)
    app.router.add_post("/api/build", board.build)
    app.router.add_static("/static", HERE / "static")
    return app


class BoardServer:
    """Serves one board from a background thread (tests) or until Ctrl-C (the CLI)."""

    def __init__(self, board: Board, host: str = "127.0.0.1", port: int = 0) -> None:
        self.board = board
        self.host, self.port = host, port
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The address to open: it carries the token once, then a cookie does."""
        return f"{self.base}/?token={self.board.token}"

    def start(self) -> BoardServer:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="board", daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self.loop is None:
            return
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread:
            self.thread.join(timeout=5)
        self.loop = None
        self.board.builds.stop()

    def __enter__(self) -> BoardServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _listen(self) -> None:
        app = make_app(self.board, lambda: self.port)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        if not self.port:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
