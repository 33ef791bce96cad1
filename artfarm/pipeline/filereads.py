"""Which files a computation looked at, recorded where Python meets the file system.

A DAG param (dagparams) is a function of files only: documents, templates, workflows, the
model lock, reference images, settings. paramcache reuses a value while every file it came
from is unchanged; the list of those files is not kept by hand (it would drift as the
compiler grows) but recorded while the value is computed:

- every file opened (Python's audit event "open": json, YAML, Jinja, Pillow, the workflows),
- every folder listed ("os.scandir", "os.listdir": a template added to a folder),
- every `os.stat` / `os.lstat` (no audit event exists for them, so both are wrapped while a
  recording runs): existence checks, symlink checks and the stat-keyed memos of the reader,
  the content hashes and the model lock, which read a file once per version.

Anything else a computation does that a file version cannot describe (writing or creating
files, starting a process, opening a socket, a path relative to a folder descriptor) makes its
value uncacheable. So does a file changed within `RACY_NS` of being looked at: a second write
in the same clock tick would keep its size and times, so its version would not tell.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterator
from typing import Any

RACY_NS = 2_000_000_000  # coarser than any file system's time stamps (FAT: 2 s)

Version = tuple[Any, ...]

_real_stat = os.stat
_real_lstat = os.lstat
_CODE = (".py", ".pyc", ".so")  # imports: the code's version is paramcache's own key part

_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_UNCACHEABLE = frozenset(
    {
        "os.mkdir",
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.chmod",
        "os.utime",
        "os.system",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "subprocess.Popen",
        "socket.connect",
        "socket.bind",
        "shutil.copyfile",
        "shutil.rmtree",
        "shutil.move",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
    }
)


def file_version(path: str, *, follow: bool = True) -> Version:
    """What a file is now: a regular file's (inode, size, mtime, ctime), a folder, or missing.

    ctime cannot be set back by any tool (mtime can: `cp -p`, rsync, tar), so a file written
    again always gets a new version.
    """
    try:
        st = _real_stat(path) if follow else _real_lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ("missing",)
    except OSError as err:
        return ("error", err.errno)
    return _version(st)


def _version(st: os.stat_result) -> Version:
    kind = stat.S_IFMT(st.st_mode)
    if kind == stat.S_IFDIR:
        return ("dir",)  # what it holds is recorded by listing it
    return ("file", kind, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def listing_version(path: str) -> Version:
    """A folder's entry names (a digest): a file added, removed or renamed changes it."""
    try:
        names = sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return ("missing",)
    except OSError as err:
        return ("error", err.errno)
    return (
        "names",
        hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest(),
    )


def current(key: str) -> Version:
    """The version a dependency key (`stat:`, `lstat:` or `list:` + absolute path) has now."""
    kind, _, path = key.partition(":")
    if kind == "list":
        return listing_version(path)
    return file_version(path, follow=kind == "stat")


def unchanged(key: str, version: Version) -> bool:
    """`current(key) == version`, with one stat and no tuple built for a file or a folder
    (a remembered value checks every file it came from, a few dozen, on every use)."""
    kind, _, path = key.partition(":")
    if kind == "list" or version[0] not in ("file", "dir"):
        return current(key) == version
    try:
        st = _real_stat(path) if kind == "stat" else _real_lstat(path)
    except OSError:
        return False
    if version[0] == "dir":
        return stat.S_ISDIR(st.st_mode)
    return (
        version[4] == st.st_mtime_ns
        and version[5] == st.st_ctime_ns
        and version[2] == st.st_ino
        and version[3] == st.st_size
        and version[1] == stat.S_IFMT(st.st_mode)
    )


class Reads:
    """The dependencies of one computation: key → version when first looked at."""

    def __init__(self) -> None:
        self.deps: dict[str, Version] = {}
        self.uncacheable: str | None = None  # why, when the value must not be reused

    def refuse(self, why: str) -> None:
        if self.uncacheable is None:
            self.uncacheable = why

    def add(self, key: str, version: Version, seen_ns: int) -> None:
        if key in self.deps:
            return
        self.deps[key] = version
        if version[0] == "file" and max(version[4], version[5]) + RACY_NS > seen_ns:
            self.refuse(f"{key.partition(':')[2]} changed less than 2 s before it was read")

    def merge(self, other: Reads) -> None:
        """Add another recording (a memo's first computation, replayed on every use)."""
        for key, version in other.deps.items():
            self.deps.setdefault(key, version)
        if other.uncacheable:
            self.refuse(other.uncacheable)


_lock = threading.Lock()
_stack: list[Reads] = []
_owner: int | None = None  # the thread recording; other threads' calls are not its reads
_busy = False  # inside the hook: its own listing and stat are not the computation's
_hooked = False


@contextlib.contextmanager
def recording() -> Iterator[Reads]:
    """Record what the block reads (this thread only). Nested recordings all see the reads."""
    global _owner
    _install_hook()
    reads = Reads()
    with _lock:
        if _stack and _owner != threading.get_ident():
            raise RuntimeError("file reads are recorded by one thread at a time")
        _owner = threading.get_ident()
        _stack.append(reads)
        if len(_stack) == 1:
            os.stat, os.lstat = _recording_stat, _recording_lstat
    try:
        yield reads
    finally:
        with _lock:
            _stack.remove(reads)
            if _stack:
                _stack[-1].merge(reads)
            else:
                os.stat, os.lstat = _real_stat, _real_lstat
                _owner = None


def replay(reads: Reads) -> None:
    """Count a memo's recorded reads as reads of the recording now running (if any)."""
    if _stack and _owner == threading.get_ident():
        _stack[-1].merge(reads)


def _mine() -> Reads | None:
    if _stack and _owner == threading.get_ident():
        return _stack[-1]
    return None


def _note(kind: str, path: Any, version: Version) -> None:
    reads = _mine()
    if reads is None:
        return
    if isinstance(path, int):
        reads.refuse(f"{kind} of a file descriptor")
        return
    key = f"{kind}:{os.path.abspath(os.fsdecode(path))}"
    reads.add(key, version, time.time_ns())


def _recording_stat(path: Any, *, dir_fd: int | None = None, follow_symlinks: bool = True):
    try:
        st = _real_stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)
    except (FileNotFoundError, NotADirectoryError):
        _note_stat(path, dir_fd, follow_symlinks, ("missing",))
        raise
    _note_stat(path, dir_fd, follow_symlinks, _version(st))
    return st


def _recording_lstat(path: Any, *, dir_fd: int | None = None):
    return _recording_stat(path, dir_fd=dir_fd, follow_symlinks=False)


def _note_stat(path: Any, dir_fd: int | None, follow: bool, version: Version) -> None:
    reads = _mine()
    if reads is None:
        return
    if dir_fd is not None:
        reads.refuse("a stat relative to a folder descriptor")
        return
    _note("stat" if follow else "lstat", path, version)


def _install_hook() -> None:
    global _hooked
    if not _hooked:
        _hooked = True
        import sys

        sys.addaudithook(_audit)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    global _busy
    if not _stack or _busy:
        return
    reads = _mine()
    if reads is None:
        return
    _busy = True
    try:
        _event(reads, event, args)
    finally:
        _busy = False


def _event(reads: Reads, event: str, args: tuple[Any, ...]) -> None:
    if event == "open":
        _opened(reads, *args[:3])
    elif event in ("os.scandir", "os.listdir"):
        path = args[0] if args and args[0] is not None else "."
        if isinstance(path, int):
            reads.refuse("a listing of a folder descriptor")
        else:
            _note("list", path, listing_version(os.fsdecode(path)))
    elif event in _UNCACHEABLE or event.startswith(("subprocess.", "socket.", "shutil.")):
        reads.refuse(f"the computation did {event}")


def _opened(reads: Reads, path: Any, mode: Any, flags: Any) -> None:
    writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITES)
    if isinstance(path, str | bytes) and os.fsdecode(path).endswith(_CODE):
        return
    if writes:
        reads.refuse(f"the computation wrote {path}")
    elif isinstance(path, int):
        reads.refuse("a read of a file descriptor")
    else:
        _note("stat", path, file_version(os.fsdecode(path)))
