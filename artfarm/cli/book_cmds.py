"""Subcommands of this area (filled in by the issue that owns it)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `artfarm` parser."""
