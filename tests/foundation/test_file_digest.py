"""sha256_file's per-process memo: one read per unchanged file, and a bounded memory.

While Snakemake builds its DAG every page's params hash the same sheets and style refs; the
memo (keyed by path, inode, size and mtime) makes that one read each. A long-lived process
(the board, the MCP server) hashes many files: the memo must not grow without bound.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from artfarm.rendering import contenthash
from artfarm.rendering.contenthash import sha256_file


def _rewrite_keeping_stat(path: Path, data: bytes) -> None:
    """New bytes of the same length, in place (same inode), with the old mtime put back."""
    before = path.stat()
    with open(path, "r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_unchanged_file_is_read_once_even_after_other_files(tmp_path: Path) -> None:
    contenthash._DIGESTS.clear()
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(b"AAAA")
    second.write_bytes(b"BBBB")
    remembered = sha256_file(first)
    sha256_file(second)
    _rewrite_keeping_stat(first, b"ZZZZ")  # invisible to the memo's key: proves no second read
    assert sha256_file(first) == remembered == hashlib.sha256(b"AAAA").hexdigest()


def test_a_changed_file_is_hashed_again(tmp_path: Path) -> None:
    contenthash._DIGESTS.clear()
    path = tmp_path / "a.png"
    path.write_bytes(b"AAAA")
    sha256_file(path)
    path.write_bytes(b"AAAAA")
    assert sha256_file(path) == hashlib.sha256(b"AAAAA").hexdigest()


def test_the_memo_stays_bounded_while_many_files_are_hashed(tmp_path: Path) -> None:
    contenthash._DIGESTS.clear()
    for n in range(4200):
        path = tmp_path / f"{n}.bin"
        path.write_bytes(n.to_bytes(2, "big"))
        assert sha256_file(path) == hashlib.sha256(n.to_bytes(2, "big")).hexdigest()
    assert 0 < len(contenthash._DIGESTS) <= 4097
