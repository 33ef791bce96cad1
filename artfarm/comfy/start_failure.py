"""Why a server failed to start, from its log: the last error line and the fix it calls for.

ComfyUI dies at start with an argparse line ("main.py: error: argument --cpu: not allowed
with argument --normalvram"), a Python exception (the last line of a traceback), or a logged
error; "read the log" helps nobody, so the start error names that line.
"""

from __future__ import annotations

import re
from pathlib import Path

_ERROR = re.compile(
    r"(^[\w.]*(Error|Exception|Exit)\b.*"  # the last line of a traceback
    r"|\berror: .+"  # argparse, and "ERROR: ..." log lines
    r"|^(ERROR|CRITICAL)\b.+"
    r"|address already in use)",
    re.IGNORECASE,
)
_FIXES = (
    (
        "not allowed with argument",
        "set comfyui.device / comfyui.vram in config/config.yaml to "
        "a combination ComfyUI accepts (device cpu takes no vram mode)",
    ),
    (
        "no nvidia driver",
        "this machine has no NVIDIA GPU: set comfyui.device: cpu (or the "
        "device it has) in config/config.yaml",
    ),
    (
        "torch not compiled with cuda",
        "this torch has no CUDA: set comfyui.device: cpu, or "
        "install a CUDA build of torch in ComfyUI's Python",
    ),
    (
        "no module named",
        "install ComfyUI's requirements into the Python that runs it "
        "(comfyui.python): pip install -r requirements.txt",
    ),
    ("address already in use", "another program holds the port: stop it or pass --port"),
    ("does not exist", "create that folder (artfarm comfyui start creates its own)"),
)


def read_from(log: Path, offset: int) -> list[str]:
    """The log's lines written after `offset` (this start's part of an appended log)."""
    try:
        with open(log, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def last_error(lines: list[str]) -> str | None:
    """The last line that reads as an error, else None."""
    for line in reversed(lines):
        if _ERROR.search(line.strip()):
            return " ".join(line.split())[:300]
    return None


def cause_and_fix(log: Path, offset: int) -> tuple[str, str]:
    """(the cause, in one line; the fix) for a start that failed."""
    lines = read_from(log, offset)
    error = last_error(lines)
    if error is None:
        shown = " ".join(lines[-1].split())[:300] if lines else "the log is empty"
        return f"last log line: {shown}", f"see {log}"
    fix = next((f for key, f in _FIXES if key in error.lower()), f"see {log} for the context")
    return error, fix
