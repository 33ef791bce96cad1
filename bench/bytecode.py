"""Benchmarks measure artfarm as installed: its bytecode compiled, as Python writes it on a
normal install. Where PYTHONDONTWRITEBYTECODE is set (this sandbox sets it) every process would
compile artfarm's sources again (≈ 0.06 s a job process, more at each Snakemake start), a cost
no user's machine pays after the first run."""

from __future__ import annotations

import compileall
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "artfarm"


def compile_package() -> str:
    """Write artfarm's __pycache__ (git-ignored) and say so, for the bench's printout."""
    compileall.compile_dir(PACKAGE, quiet=1)
    unset = "" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "not "
    return f"artfarm's bytecode compiled first (PYTHONDONTWRITEBYTECODE {unset}set here)"
