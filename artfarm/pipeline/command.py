"""A job's command line as a rule's `params.run`, left out of Snakemake's "params changed" check.

The command names this checkout's interpreter and scripts folder by absolute path: where the
checkout lives, not what a job makes. As a plain string it was part of every job's recorded
params, so moving or re-cloning the project re-ran every job. Snakemake compares only params
of builtin types (str, list, dict, …) and skips any other object, so a `Command` formats into
the shell line like a string yet never makes a job re-run.
"""

from __future__ import annotations

import shlex


class Command:
    """Words quoted for the shell; `str()` is the command line."""

    def __init__(self, *words: str) -> None:
        self.line = " ".join(shlex.quote(w) for w in words)

    def __str__(self) -> str:
        return self.line

    def __repr__(self) -> str:
        return f"Command({self.line!r})"
