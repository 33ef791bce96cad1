"""DAG param values remembered across Snakemake runs, each with the files it came from.

`snakemake -n` asks every page's params again on every run, and each one compiles the page
(prompts, graph, request hash: ~1.7 ms a page, seconds for a long book). A value is a function
of files only (filereads records which, while it is computed) and of the code and settings
that computed it, so it is stored with the version of every file it read and reused only while
each one is unchanged; any difference (a spec, a bible word, a sheet's bytes, a template, the
model lock, the settings file, a file added to a listed folder) computes it again.

    books/<id>/.artfarm/param-cache.json   {"context": …, "files": [[key, version]…],
                                            "values": {name: [value, [file index…]]}}

The context (artfarm's code version, the Python and its packages, the working folder, the
book's place and the ARTFARM_* environment) must match as a whole, else the file is ignored; so is a corrupt one.
Values are written once, at exit, atomically, merged with what another run wrote meanwhile:
concurrent runs lose at most each other's new entries, never correctness, because every entry
carries its own file versions.

While Snakemake builds its DAG it asks every page's values, and they share most of their files
(settings, style pack, templates, model lock, bible, sheets): `one_look_per_file()` makes each
file looked at once, as Snakemake's own IO cache does for its files' times, and for as long as
that cache is on (the DAG build; a whole dry run). Once Snakemake turns it off, before any job,
every lookup looks at every file of its value again: Snakemake asks values again after jobs
wrote the files they depend on (a page's print param once its final.png exists). A 500-page
`snakemake -n` stats each shared file once, not 500 times.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artfarm.atomic import write_text
from artfarm.pipeline import filereads

CACHE_FILE = Path(".artfarm") / "param-cache.json"
SWITCH = "ARTFARM_PARAM_CACHE"  # "off": every value computed, nothing read or written
FORMAT = 1
PACKAGE = Path(__file__).resolve().parents[1]  # artfarm/

Deps = tuple[tuple[str, filereads.Version], ...]


@functools.cache
def code_version() -> str:
    """artfarm's own source files (name, size, mtime) and the Python and packages it runs on."""
    digest = hashlib.sha256(sys.version.encode())
    digest.update(repr(filereads.file_version(sysconfig.get_paths()["purelib"])).encode())
    digest.update(filereads.listing_version(sysconfig.get_paths()["purelib"])[-1].encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        st = os.stat(path)
        digest.update(f"{path.relative_to(PACKAGE)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def context(book_root: Path) -> dict[str, Any]:
    """What a stored value also depends on; the book's own place too (a copied book's cache
    names the original's files)."""
    return {
        "format": FORMAT,
        "code": code_version(),
        "cwd": os.getcwd(),
        "book": os.path.abspath(book_root),
        "env": environment_digest(),
    }


def environment_digest() -> str:
    """The ARTFARM_* variables as one digest: a value read under other settings is not reused,
    and a secret kept in one (a server's API key) is never written to the cache file."""
    digest = hashlib.sha256()
    for key, value in sorted(os.environ.items()):
        if key.startswith("ARTFARM_") and key != SWITCH:
            digest.update(f"{key}\0{value}\0".encode())
    return digest.hexdigest()


_VIEW: dict[str, filereads.Version] | None = None  # key → version, looked at once; None: off
_view_holds: Callable[[], bool] = bool


def one_look_per_file(holds: Callable[[], bool]) -> None:
    """Each file's version is looked at once while `holds()` (the Snakefile: while Snakemake's
    own IO cache is active); the first lookup after it stops holding ends the view for good."""
    global _VIEW, _view_holds
    _VIEW, _view_holds = {}, holds


def unchanged(deps: Deps) -> bool:
    """Every file of a value as it was recorded (as first looked at, while a view holds)."""
    global _VIEW
    view = _VIEW
    if view is not None and not _view_holds():
        view = _VIEW = None
    if view is None:
        return all(filereads.unchanged(key, version) for key, version in deps)
    for key, version in deps:
        seen = view.get(key)
        if seen is None:
            seen = view[key] = filereads.current(key)
        if seen != version:
            return False
    return True


class ParamCache:
    """One book's remembered values: loaded on first use, written back at exit when changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.context = context(path.parent.parent)
        self.values: dict[str, tuple[Any, Deps]] = self._read()
        self.dirty = False

    def _read(self) -> dict[str, tuple[Any, Deps]]:
        """The stored values, or none when the file is missing, corrupt or from elsewhere."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["context"] != self.context:
                return {}
            files = [(key, tuple(version)) for key, version in data["files"]]
            return {
                name: (value, tuple(files[i] for i in deps))
                for name, (value, deps) in data["values"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return {}

    def get(self, name: str, compute: Callable[[], Any]) -> Any:
        """The remembered value while all its files are unchanged, else `compute()` (recorded)."""
        hit = self.values.get(name)
        if hit is not None and unchanged(hit[1]):
            return hit[0]
        with filereads.recording() as reads:
            value = compute()
        if reads.uncacheable is None:
            self.values[name] = (value, tuple(reads.deps.items()))
            self.dirty = True
        elif hit is not None:
            del self.values[name]
            self.dirty = True
        return value

    def write(self) -> None:
        """Merge with the file as it is now (another run's entries), then replace it atomically."""
        if not self.dirty or not self.path.parent.parent.is_dir():
            return  # nothing new, or the book is gone
        merged = {**self._read(), **self.values}
        index: dict[tuple[str, filereads.Version], int] = {}
        values = {}
        for name, (value, deps) in sorted(merged.items()):
            values[name] = [value, [index.setdefault(dep, len(index)) for dep in deps]]
        data = {"context": self.context, "files": [list(dep) for dep in index], "values": values}
        with contextlib.suppress(OSError):  # a read-only book only loses the speed-up
            write_text(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            self.dirty = False


_CACHES: dict[str, ParamCache] = {}


class NoCache:
    """ARTFARM_PARAM_CACHE=off: what every value would be without the cache (and a check)."""

    def get(self, name: str, compute: Callable[[], Any]) -> Any:
        return compute()


_PLACES: dict[tuple[str, str], ParamCache] = {}  # (cwd, book_root as given) → its cache


def book_cache(book_root: str | os.PathLike[str]) -> ParamCache | NoCache:
    """The cache of the book at `book_root`, one per process; written when the process exits.
    Asked a few times a page: found by the place as given before any path is built."""
    if os.environ.get(SWITCH) == "off":
        return NoCache()
    place = (os.getcwd(), os.fspath(book_root))
    cache = _PLACES.get(place)
    if cache is None:
        # absolute: written at exit, from any folder; one cache however the place is spelled
        path = os.path.normpath(os.path.join(place[0], place[1], CACHE_FILE))
        cache = _CACHES.get(path)
        if cache is None:
            if not _CACHES:
                atexit.register(write_all)
            cache = _CACHES[path] = ParamCache(Path(path))
        _PLACES[place] = cache
    return cache


def write_all() -> None:
    for cache in _CACHES.values():
        cache.write()


def forget() -> None:
    """Drop this process's caches unwritten and its one-look view, which is off again (tests:
    the next use reads the file again and looks at every file on every lookup)."""
    global _VIEW
    _CACHES.clear()
    _PLACES.clear()
    _VIEW = None
