"""The render cache and server leases: the pipeline's CPU-side parts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from artfarm.cli import main
from artfarm.pipeline.lease import lease_server
from artfarm.pipeline.render_cache import RenderCache, place
from artfarm.problems import ArtfarmError
from tests.pipeline.fakes import paint


def test_cache_returns_what_was_stored_as_hard_links(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    files = [paint(tmp_path / f"out{i}.png", i) for i in range(3)]
    cache.store("ab" * 32, files, {"run": {"prompt_id": "x"}})
    hit = cache.lookup("ab" * 32)
    assert hit is not None and hit.record["run"]["prompt_id"] == "x"
    assert hit.folder == tmp_path / "cache" / "ab" / ("ab" * 32)  # a layout kept across versions
    assert [f.read_bytes() for f in hit.files] == [f.read_bytes() for f in files]
    assert os.stat(hit.files[0]).st_ino == os.stat(files[0]).st_ino
    assert cache.lookup("cd" * 32) is None


def test_across_file_systems_the_cache_copies_instead_of_linking(tmp_path: Path) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second file system (/dev/shm) to refuse a hard link")
    with tempfile.TemporaryDirectory(dir=other) as elsewhere:
        source = paint(Path(elsewhere) / "art.png", 3)
        place(source, tmp_path / "placed" / "art.png")
        placed = tmp_path / "placed" / "art.png"
        assert placed.read_bytes() == source.read_bytes()
        assert os.stat(placed).st_ino != os.stat(source).st_ino


def test_an_entry_missing_a_file_is_a_miss(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    stored = cache.store("ab" * 32, [paint(tmp_path / "a.png", 1)], {})
    stored.files[0].unlink()
    assert cache.lookup("ab" * 32) is None


def test_prune_drops_least_recently_used_first(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    now = time.time()
    for i, key in enumerate(["aa", "bb", "cc"]):
        stored = cache.store(key * 32, [paint(tmp_path / f"{key}.png", i)], {})
        used = now - 3600 * (3 - i)  # stored an hour apart, "aa" first
        os.utime(stored.folder / "record.json", (used, used))
    cache.lookup("aa" * 32)  # used again: now the most recent
    assert cache.prune(max_bytes=sum(e[2] for e in cache.entries())) == 0  # exactly fits
    assert cache.prune(older_than_days=1) == 0  # an hour or three old is not a day
    size = max(e[2] for e in cache.entries())
    assert cache.prune(max_bytes=size) == 2
    assert cache.lookup("aa" * 32) is not None
    assert cache.lookup("bb" * 32) is None


def test_leases_give_each_job_its_own_slot_and_wait_when_full(tmp_path: Path) -> None:
    servers = ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    held: list[str] = []
    with (
        lease_server(servers, tmp_path, slots=1) as first,
        lease_server(servers, tmp_path, slots=1) as second,
    ):
        held = [first, second]
        with (
            pytest.raises(ArtfarmError, match="no free server slot"),
            lease_server(servers, tmp_path, slots=1, wait=0.1),
        ):
            pass
    assert sorted(held) == servers


def test_a_released_lease_is_taken_by_the_waiting_job(tmp_path: Path) -> None:
    order: list[str] = []

    def waiter() -> None:
        with lease_server(["http://a"], tmp_path, slots=1, wait=120) as url:
            order.append(url)

    thread = threading.Thread(target=waiter)
    with lease_server(["http://a"], tmp_path, slots=1):
        thread.start()
        with (
            pytest.raises(ArtfarmError, match="no free server slot"),
            lease_server(["http://a"], tmp_path, slots=1, wait=0),
        ):
            pass  # the one slot is held: a job may not take it, it must wait
        order.append("released")
    thread.join(120)
    assert order == ["released", "http://a"]


def test_cache_commands_report_and_prune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config" / "config.yaml"
    config.parent.mkdir()
    config.write_text("runtime_dir: runtime\n")
    monkeypatch.setenv("ARTFARM_CONFIG", str(config))
    cache = RenderCache(tmp_path / "runtime" / "cache")
    cache.store("ab" * 32, [paint(tmp_path / "a.png", 1)], {})
    assert main(["cache", "info"]) == 0
    assert capsys.readouterr().out.startswith("1 entries")
    assert main(["cache", "prune", "--older-than-days", "0"]) == 0
    assert "removed 1 cache entry" in capsys.readouterr().out
    assert cache.lookup("ab" * 32) is None


def test_cache_prune_max_gb_on_the_command_line_keeps_the_most_recently_used(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config" / "config.yaml"
    config.parent.mkdir()
    config.write_text("runtime_dir: runtime\n")
    cache = RenderCache(tmp_path / "runtime" / "cache")
    now = time.time()
    for i, key in enumerate(["aa", "bb", "cc"]):
        art = tmp_path / f"{key}.bin"
        art.write_bytes(os.urandom(200_000))  # 0.0002 GB an entry
        stored = cache.store(key * 32, [art], {})
        used = now - 3600 * (3 - i)
        os.utime(stored.folder / "record.json", (used, used))

    def prune(max_gb: str) -> str:
        env = {**os.environ, "ARTFARM_CONFIG": str(config)}
        done = subprocess.run(
            [sys.executable, "-m", "artfarm", "cache", "prune", "--max-gb", max_gb],
            capture_output=True, text=True, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert prune("50") == "removed 0 cache entries"
    assert prune("0.00045") == "removed 1 cache entry"  # room for two entries, not three
    assert cache.lookup("aa" * 32) is None
    assert cache.lookup("bb" * 32) and cache.lookup("cc" * 32)
    assert prune("0") == "removed 2 cache entries"
