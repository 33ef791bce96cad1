"""The SDK's own client talking to a real `artfarm mcp` subprocess over stdio."""

from __future__ import annotations

import base64
import io
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from mcp import Client, StdioServerParameters
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def server_environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    config = root / "config" / "config.yaml"
    if config.is_file():
        env["ARTFARM_CONFIG"] = str(config)
    return env


@asynccontextmanager
async def mcp_session(root: Path) -> AsyncIterator[Client]:
    """`artfarm mcp --root ROOT` launched as a subprocess, as an agent's MCP config does."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "artfarm", "mcp", "--root", str(root), "--snakefile", str(REPO / "Snakefile")],
        env=server_environment(root),
        cwd=str(REPO),
    )
    async with Client(params, read_timeout_seconds=600) as client:
        yield client


def texts(result) -> str:
    return "\n".join(item.text for item in result.content if item.type == "text")


def images(result) -> list[Image.Image]:
    """Every image content of a tool result, decoded (PNG only)."""
    found = []
    for item in result.content:
        if item.type == "image":
            assert item.mime_type == "image/png"
            data = base64.b64decode(item.data)
            assert data.startswith(b"\x89PNG")
            found.append(Image.open(io.BytesIO(data)))
    return found
