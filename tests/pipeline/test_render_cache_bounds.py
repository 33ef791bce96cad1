"""The render cache at its edges: an entry stored again, and the age bound of `prune`.

An entry with a missing file is a miss, so the job renders again and stores under the same
request hash: that must replace the entry, not fail. `--older-than-days N` drops what was last
used more than N days ago: half a second past the bound is old, a minute short of it is not.
The ages are set on the files (os.utime) relative to now; the clock only makes entries older.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from artfarm.pipeline.render_cache import RenderCache
from tests.pipeline.fakes import paint


def test_an_entry_stored_again_after_a_miss_replaces_it(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    first = cache.store("ab" * 32, [paint(tmp_path / "a.png", 1)], {"run": 1})
    first.files[0].unlink()
    assert cache.lookup("ab" * 32) is None
    again = paint(tmp_path / "b.png", 2)
    cache.store("ab" * 32, [again], {"run": 2})
    hit = cache.lookup("ab" * 32)
    assert hit is not None and hit.record["run"] == 2
    assert hit.files[0].read_bytes() == again.read_bytes()


@pytest.mark.parametrize("days", [1.0, 0.5, 7.0])
def test_prune_by_age_drops_what_is_past_the_bound_and_keeps_what_is_not(
    tmp_path: Path, days: float
) -> None:
    cache = RenderCache(tmp_path / "cache")
    bound = days * 86400
    now = time.time()
    ages = {"aa": bound + 0.5, "bb": bound - 60, "cc": 0.0}
    for n, (key, age) in enumerate(ages.items()):
        stored = cache.store(key * 32, [paint(tmp_path / f"{key}.png", n)], {})
        os.utime(stored.folder / "record.json", (now - age, now - age))
    assert cache.prune(older_than_days=days) == 1
    assert cache.lookup("aa" * 32) is None
    assert cache.lookup("bb" * 32) is not None and cache.lookup("cc" * 32) is not None
