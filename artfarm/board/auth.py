"""The board's token: who may look, and which requests may change anything.

As Jupyter does, the server makes a random token and prints a URL carrying it. Opening that URL
sets an HttpOnly, SameSite=Strict cookie and redirects to the same page without the token, so
reading pages needs the cookie (or the token). A request that changes anything (any method but
GET/HEAD) must also carry the token itself in the `X-Artfarm-Token` header or a `token` form
field — a cookie alone never suffices, so another site cannot forge one — and its Origin, when
sent, must be the board's own.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

HEADER = "X-Artfarm-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
REFUSED = "open the URL `artfarm board` printed (it carries the token)"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_name(port: int) -> str:
    """One cookie per port: two boards on one machine do not overwrite each other's token."""
    return f"artfarm_board_{port}"


def matches(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())


def origin_ok(request: web.Request) -> bool:
    """A browser names the page that sent a request; it must be this board (same host:port)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.host}"


async def form_token(request: web.Request) -> str | None:
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        field = (await request.post()).get("token")
        return field if isinstance(field, str) else None
    return None


def refuse(request: web.Request, why: str) -> web.Response:
    if request.path.startswith("/api/"):
        return web.json_response({"error": why}, status=403)
    return web.Response(text=f"artfarm board: {why}\n", status=403)


def middleware(token: str, port: Callable[[], int]) -> Callable:
    """Every request needs the token (query, cookie or header); changes need it explicitly."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        name = cookie_name(port())
        if request.method not in SAFE_METHODS:
            if not origin_ok(request):
                return refuse(request, "request from another site refused")
            sent = request.headers.get(HEADER) or await form_token(request)
            if not matches(sent, token):
                return refuse(request, f"a change needs the token ({REFUSED})")
            return await handler(request)
        if matches(request.query.get("token"), token):
            query = {k: v for k, v in request.query.items() if k != "token"}
            response = web.Response(
                status=302, headers={"Location": str(request.rel_url.with_query(query))}
            )
            response.set_cookie(name, token, httponly=True, samesite="Strict", path="/")
            return response
        if not (
            matches(request.cookies.get(name), token) or matches(request.headers.get(HEADER), token)
        ):
            return refuse(request, f"no token: {REFUSED}")
        return await handler(request)

    return check
