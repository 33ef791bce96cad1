"""Write files so that a reader never sees a half-written one: temp file in the same folder, then rename."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside `dest`; on success it replaces `dest` atomically, else vanishes."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make artifacts private
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(dest: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(dest)


def write_text(dest: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(dest, text.encode("utf-8"))


def canonical_json(value: Any, *, sort_keys: bool = True) -> str:
    """The one JSON spelling artfarm hashes and writes: sorted keys, no NaN, UTF-8."""
    return (
        json.dumps(value, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False, indent=2) + "\n"
    )


def write_json(dest: str | os.PathLike[str], value: Any, *, sort_keys: bool = True) -> Path:
    """`sort_keys=False` keeps key order where it is data (a graph ComfyUI will re-serialise)."""
    return write_text(dest, canonical_json(value, sort_keys=sort_keys))
