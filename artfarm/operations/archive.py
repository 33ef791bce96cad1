"""`artfarm archive books/<id> OUT.tar.gz`: the book's gold set in one file, with checksums.

The archive is a POSIX (pax) tar, gzip-compressed, of regular files only:

    book/...                       the gold set of books/<id>/ (see goldset)
    style_packs/<name>/...         the style pack, when it lives outside the book
    artfarm-archive.json           written last: book id, style pack, and per member its
                                   sha256, size and mtime (ns) — the checksum list

mtimes are kept to the nanosecond so that a restored book is as up to date for Snakemake as
the original. `.tar.zst` is refused: Python 3.11 has no zstd in its standard library, and a
compression package is not worth a new dependency for a file written once per book.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from artfarm.atomic import atomic_path, canonical_json
from artfarm.documents.book import Book
from artfarm.operations.goldset import BOOK_PREFIX, GoldSet, gold_set
from artfarm.operations.prune import Doomed
from artfarm.pipeline.pruned import PRUNED, merged_record, record_bytes
from artfarm.problems import ArtfarmError

INDEX = "artfarm-archive.json"
FORMAT = 1
SUFFIXES = (".tar.gz", ".tgz")


class HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def check_out_path(out: Path) -> None:
    if out.name.endswith(".tar.zst"):
        raise ArtfarmError.single(
            str(out),
            "",
            ".tar.zst is not supported (Python 3.11 has no zstd, and artfarm adds no package for it)",
            "write OUT.tar.gz instead",
        )
    if not out.name.endswith(SUFFIXES):
        raise ArtfarmError.single(
            str(out), "", "unknown archive type", "name the archive OUT.tar.gz"
        )


def file_info(name: str, size: int, mtime_ns: int) -> tarfile.TarInfo:
    """A plain file member: no owner, no link, mode 0644."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime_ns // 1_000_000_000
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    stat = path.stat()
    with open(path, "rb") as fh:
        reader = HashingReader(fh)
        tar.addfile(file_info(name, stat.st_size, stat.st_mtime_ns), reader)
    if path.stat().st_mtime_ns != stat.st_mtime_ns:
        raise ArtfarmError.single(
            str(path), "", "changed while it was archived", "wait for the pipeline, then archive"
        )
    return entry(name, reader.digest.hexdigest(), stat.st_size, stat.st_mtime_ns)


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime_ns: int) -> dict[str, Any]:
    tar.addfile(file_info(name, len(data), mtime_ns), io.BytesIO(data))
    return entry(name, hashlib.sha256(data).hexdigest(), len(data), mtime_ns)


def entry(name: str, sha256: str, size: int, mtime_ns: int) -> dict[str, Any]:
    return {"name": name, "sha256": sha256, "size": size, "mtime_ns": mtime_ns}


def pruned_records(book: Book, left_out: list[Doomed]) -> Iterator[tuple[str, bytes, int]]:
    """(member name, bytes, mtime) of each pruned.json that marks what the archive leaves out."""
    by_stage: dict[Path, list[Doomed]] = {}
    for d in left_out:
        by_stage.setdefault(d.stage_dir, []).append(d)
    for stage_dir, items in sorted(by_stage.items()):
        record = merged_record(stage_dir, items[0].manifest, [d.output for d in items])
        name = BOOK_PREFIX + (stage_dir / PRUNED).relative_to(book.root).as_posix()
        mtime = (stage_dir / "manifest.json").stat().st_mtime_ns
        yield name, record_bytes(record), mtime


def index_document(gold: GoldSet, with_drafts: bool, files: list[dict[str, Any]]) -> bytes:
    document = {
        "format": FORMAT,
        "book_id": gold.book_id,
        "style_pack": gold.style_pack,
        "style_pack_in_book": gold.pack_inside_book,
        "with_drafts": with_drafts,
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "files": files,
    }
    return canonical_json(document).encode("utf-8")


def archive_book(book: Book, out: Path, *, with_drafts: bool = False) -> tuple[int, int]:
    """Write the archive atomically; returns (files, bytes before compression)."""
    check_out_path(out)
    gold = gold_set(book, with_drafts=with_drafts)
    records = list(pruned_records(book, gold.left_out))
    replaced = {name for name, _, _ in records}
    files: list[dict[str, Any]] = []
    with atomic_path(out) as tmp, tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member in gold.members:
            if member.name not in replaced:
                files.append(add_file(tar, member.name, member.path))
        for name, data, mtime in records:
            files.append(add_bytes(tar, name, data, mtime))
        add_bytes(tar, INDEX, index_document(gold, with_drafts, files), 0)
    return len(files), sum(f["size"] for f in files)
