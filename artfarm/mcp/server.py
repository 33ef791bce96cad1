"""Wiring: artfarm's tools and resources on the MCP SDK's low-level server, over stdio or HTTP.

Every tool call is validated against its arguments model, run (blocking work in a worker
thread), and answered with text, structured content and images. A user error comes back as
a tool error (isError) whose text is the CLI's one-line problems — never a traceback; an
unexpected failure is logged here with its traceback and answered with one line.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import sys
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from artfarm import __version__
from artfarm.comfy.loopback import is_loopback
from artfarm.documents.reader import read_text
from artfarm.mcp import resources
from artfarm.mcp.arguments import parse
from artfarm.mcp.images import png_base64
from artfarm.mcp.project import Project
from artfarm.mcp.snakemake_runs import BuildSlots
from artfarm.mcp.tools import TOOLS, Call, Reply, tool_named
from artfarm.problems import ArtfarmError, Problem

log = logging.getLogger("artfarm.mcp")

INSTRUCTIONS = (
    "artfarm turns a picture book plan into print-ready art. Loop: `next` (what waits), write "
    "or fix specs (resources show them; `schema` gives their JSON Schema; `validate`), `plan` "
    "(what would render and why), `build` layout/storyboard.pdf then `storyboard` (the whole "
    "book at a glance, before any draft), `build`, `contact_sheet`, `review`, `build` again."
)


def tool_list() -> list[types.Tool]:
    return [
        types.Tool(
            name=t.name, description=t.description, input_schema=t.arguments.model_json_schema()
        )
        for t in TOOLS
    ]


def reply_result(reply: Reply) -> types.CallToolResult:
    content: list[Any] = [types.TextContent(type="text", text=reply.text)]
    content += [
        types.ImageContent(type="image", data=png_base64(png), mime_type="image/png")
        for png in reply.images
    ]
    return types.CallToolResult(content=content, structured_content=reply.data)


def problem_result(problems: list[Problem]) -> types.CallToolResult:
    text = "\n".join(f"error: {p.line()}" for p in problems)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"problems": [p.record() for p in problems]},
        is_error=True,
    )


async def call_tool(
    project: Project, slots: BuildSlots, ctx: Any, params: types.CallToolRequestParams
):
    try:
        tool = tool_named(params.name)
        args = parse(tool.arguments, params.arguments, tool.name)

        async def progress(done: float, total: float | None, message: str) -> None:
            await ctx.session.report_progress(done, total, message)

        call = Call(project, slots, progress)
        if tool.run_async is not None:
            reply = await tool.run_async(call, args)
        else:
            assert tool.run is not None
            reply = await anyio.to_thread.run_sync(functools.partial(tool.run, call, args))
        return reply_result(reply)
    except ArtfarmError as err:
        return problem_result(err.problems)
    except Exception as err:  # a bug, not the agent's mistake: keep the traceback in our log
        log.exception("tool %s failed", params.name)
        line = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        return problem_result(
            [
                Problem(
                    "artfarm mcp", params.name, f"internal error ({line})", "see the server's log"
                )
            ]
        )


async def list_resources(project: Project, ctx: Any, params: Any) -> types.ListResourcesResult:
    docs = await anyio.to_thread.run_sync(resources.all_documents, project)
    return types.ListResourcesResult(
        resources=[types.Resource(uri=d.uri, name=d.name, mime_type=d.mime_type) for d in docs]
    )


async def list_templates(ctx: Any, params: Any) -> types.ListResourceTemplatesResult:
    template = types.ResourceTemplate(
        uri_template=resources.TEMPLATE,
        name="book document",
        description="book_config.yaml, bible/characters.yaml, layout/book.yaml, "
        "pages/NNNN/renderspec.json, pages/NNNN/review.json, pages/NNNN/<stage>/manifest.json",
    )
    return types.ListResourceTemplatesResult(resource_templates=[template])


async def read_resource(project: Project, ctx: Any, params: types.ReadResourceRequestParams):
    uri = str(params.uri)
    try:
        doc = resources.read_document(project, uri)
        text = read_text(doc.path, root=doc.book_root)
    except ArtfarmError as err:
        message = "\n".join(p.line() for p in err.problems)
        raise MCPError(types.INVALID_PARAMS, message, {"problems": problems_records(err)}) from None
    except (OSError, UnicodeDecodeError) as err:
        raise MCPError(types.INVALID_PARAMS, f"{uri}: cannot read ({err})", {"uri": uri}) from None
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=uri, text=text, mime_type=doc.mime_type)]
    )


def problems_records(err: ArtfarmError) -> list[dict[str, str]]:
    return [p.record() for p in err.problems]


def build_server(project: Project) -> Server:
    slots = BuildSlots()

    async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tool_list())

    return Server(
        "artfarm",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=on_list_tools,
        on_call_tool=functools.partial(call_tool, project, slots),
        on_list_resources=functools.partial(list_resources, project),
        on_list_resource_templates=list_templates,
        on_read_resource=functools.partial(read_resource, project),
    )


def serve_stdio(project: Project) -> None:
    """Serve one client on stdin/stdout (what an agent's MCP configuration launches)."""
    os.chdir(project.root)
    server = build_server(project)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)


def check_host(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise ArtfarmError.single(
            "--host",
            host,
            "the MCP server has no authentication; anyone who reaches it can build and review",
            "keep 127.0.0.1, or pass --allow-remote and put an authenticating proxy in front",
        )


def serve_http(project: Project, host: str, port: int, allow_remote: bool) -> None:
    """Streamable HTTP at http://HOST:PORT/mcp (port 0: a free one, printed on stderr)."""
    import uvicorn

    check_host(host, allow_remote)
    os.chdir(project.root)
    server = build_server(project)
    app = server.streamable_http_app(host=host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ArtfarmError.single(
            "--port",
            str(port),
            f"cannot listen on {host}:{port} ({err.strerror})",
            "pick another port, or 0",
        ) from None
    sock.listen(64)  # connections queue from now on, before uvicorn's loop starts
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"artfarm mcp: streamable HTTP on http://{shown}:{bound}/mcp", file=sys.stderr, flush=True
    )
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
