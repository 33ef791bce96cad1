"""File system faults met by the CLI: one line naming the path, nothing half-written.

As root (CI) permissions do not stop a write, so the fault is a file where a folder must be:
the same OSError path as a read-only folder or a full disk.
"""

from __future__ import annotations

import shutil

from tests.hostile.conftest import Hostile, assert_refused


def test_a_read_only_target_in_the_cli_is_one_line_naming_it(hostile: Hostile) -> None:
    runtime = hostile.root / "runtime"
    if runtime.is_dir():
        shutil.rmtree(runtime)
    runtime.write_text("a file where the runtime folder goes\n")
    result = hostile.run("comfyui", "paths")
    assert_refused(result, str(runtime))
    assert runtime.read_text() == "a file where the runtime folder goes\n"


def test_a_lock_that_cannot_be_written_leaves_no_half_file(hostile: Hostile) -> None:
    lock = hostile.root / hostile.book / "models.lock.json"
    if lock.exists():
        lock.unlink()
    lock.mkdir()  # the lock's place is taken by a folder: the rename onto it fails
    result = hostile.run("models", "lock", "--book", str(hostile.book))
    assert_refused(result, "models.lock.json")
    assert [p.name for p in lock.parent.iterdir() if p.name.startswith(".models.lock")] == []
    assert list(lock.iterdir()) == []
