"""The render cache: outputs of every GPU job, addressed by the job's request hash.

Reverting a spec to an earlier version, copying a book, or re-running a stage whose inputs did
not really change restores images from here without a GPU job. Files are hard-linked where the
file system allows (no extra disk), copied otherwise. `artfarm cache prune` trims it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artfarm.atomic import atomic_path, write_json

RECORD = "record.json"


@dataclass(frozen=True)
class CachedJob:
    folder: Path
    record: dict[str, Any]
    files: list[Path]


def place(src: Path, dest: Path) -> None:
    """Put `src`'s bytes at `dest` atomically: a hard link if possible, else a copy."""
    with atomic_path(dest) as tmp:
        tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)


class RenderCache:
    def __init__(self, root: Path):
        self.root = root

    def folder(self, request_hash: str) -> Path:
        return self.root / request_hash[:2] / request_hash

    def lookup(self, request_hash: str) -> CachedJob | None:
        folder = self.folder(request_hash)
        try:
            record = json.loads((folder / RECORD).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        files = [folder / name for name in record.get("files", [])]
        if not all(f.is_file() for f in files):
            return None
        with contextlib.suppress(OSError):
            os.utime(folder / RECORD)  # last use, for pruning
        return CachedJob(folder, record, files)

    def store(self, request_hash: str, files: list[Path], record: dict[str, Any]) -> CachedJob:
        """Keep `files` (in order) under the request hash; the record is written last."""
        folder = self.folder(request_hash)
        folder.mkdir(parents=True, exist_ok=True)
        names = []
        for i, src in enumerate(files):
            name = f"out_{i:02d}{src.suffix}"
            place(src, folder / name)
            names.append(name)
        record = {**record, "files": names, "stored_at": time.time()}
        write_json(folder / RECORD, record)
        return CachedJob(folder, record, [folder / n for n in names])

    def entries(self) -> list[tuple[Path, float, int]]:
        """(folder, last use, bytes) of every complete entry."""
        out = []
        for record in self.root.glob("*/*/" + RECORD):
            folder = record.parent
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
            out.append((folder, record.stat().st_mtime, size))
        return out

    def prune(self, *, max_bytes: int | None = None, older_than_days: float | None = None) -> int:
        """Drop least recently used entries; returns how many were removed."""
        entries = sorted(self.entries(), key=lambda e: e[1])
        total = sum(e[2] for e in entries)
        now = time.time()
        removed = 0
        for folder, used, size in entries:
            too_old = older_than_days is not None and now - used > older_than_days * 86400
            too_big = max_bytes is not None and total > max_bytes
            if not (too_old or too_big):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            total -= size
            removed += 1
        return removed
