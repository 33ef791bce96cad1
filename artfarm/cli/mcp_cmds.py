"""`artfarm mcp`: the agent's tools over the Model Context Protocol (stdio, or streamable HTTP)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add `mcp` to the `artfarm` parser."""
    p = sub.add_parser(
        "mcp",
        help="serve artfarm's tools and book documents to an MCP client (stdio by default)",
        description="Tools mirror the CLI (next, validate, schema, prompt, graph, replay, plan, "
        "build, contact_sheet, page_image, review); resources are the books' documents.",
    )
    p.add_argument("--root", type=Path, default=None,
                   help="project folder holding books/ and config/ (default: the settings' root)")  # fmt: skip
    p.add_argument("--snakefile", type=Path, default=None,
                   help="default: ROOT/Snakefile, else the one shipped with artfarm")  # fmt: skip
    p.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (0: any free one)")
    p.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (no auth!)"
    )
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    from artfarm.documents.settings import load_settings
    from artfarm.mcp.project import Project
    from artfarm.mcp.server import serve_http, serve_stdio

    project = Project.open(args.root or load_settings().root, args.snakefile)
    # A cancelled build is a Ctrl-C to Snakemake: started with SIGINT ignored (nohup, a
    # background shell), this process would hand that on and Snakemake would not hear it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.http:
        serve_http(project, args.host, args.port, args.allow_remote)
    else:
        serve_stdio(project)
    return 0
