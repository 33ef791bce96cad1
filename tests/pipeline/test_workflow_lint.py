"""The workflow itself: Snakemake's linter has nothing to say about it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_snakemake_lint_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "-s", str(REPO / "Snakefile")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "Congratulations, your workflow is in a good condition" in said
