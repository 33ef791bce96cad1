"""`artfarm restore ARCHIVE books/<id> [--force]`: bring an archived book back, or nothing.

Reading is guarded like the documents are: every member must be a regular file whose name
stays inside the book (`safepath`), under a size cap per member and in total, listed once in
the archive's checksum list with the same size and sha256. All of that is checked in a first
pass that writes nothing. The second pass writes into a hidden folder beside the target,
checks every sha256 again while writing, sets each file's recorded mtime (so Snakemake finds
the book as up to date as it was), and only then renames the folder into place.

The style pack: restored beside `books/` when missing; an existing pack with the same files is
used as is; one whose archived files differ is a conflict (refused: the pack is shared by
other books, and a restore must not change them).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict, ValidationError

from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.operations.archive import FORMAT, INDEX
from artfarm.operations.goldset import BOOK_PREFIX, PACK_PREFIX
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import sha256_file

GiB = 2**30
PACK_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Caps against absurd archives: no member or total beyond what a book can need."""

    member_bytes: int = 8 * GiB
    total_bytes: int = 512 * GiB
    members: int = 500_000
    index_bytes: int = 256 * 2**20


class IndexEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    sha256: str
    size: int
    mtime_ns: int


class ArchiveIndex(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: int
    book_id: str
    style_pack: str
    style_pack_in_book: bool
    with_drafts: bool
    created_at: str
    files: list[IndexEntry]


@dataclass(frozen=True)
class Scanned:
    sha256: str
    size: int


class Refused(ArtfarmError):
    """The archive (or the target) is not safe to restore from; nothing was written."""


def refuse(archive: Path, member: str, problem: str, fix: str) -> Refused:
    return Refused.single(str(archive), member, problem, fix)


def member_kind(info: tarfile.TarInfo) -> str | None:
    """Why a member is not a plain file, or None when it is one."""
    if info.isreg():
        return None
    if info.issym():
        return "is a symlink"
    if info.islnk():
        return "is a hard link"
    if info.isdir():
        return "is a directory entry"
    if info.ischr() or info.isblk() or info.isfifo():
        return "is a device or fifo"
    return "is not a regular file"


def check_member(archive: Path, info: tarfile.TarInfo, limits: Limits) -> None:
    kind = member_kind(info)
    if kind:
        raise refuse(archive, info.name, f"member {kind}", "use an archive written by artfarm")
    if info.size > limits.member_bytes:
        raise refuse(
            archive,
            info.name,
            f"member claims {info.size} bytes (cap {limits.member_bytes})",
            "this is not a book archive; use one written by `artfarm archive`",
        )
    if info.name == INDEX:
        return
    root, rel = split_name(info.name)
    if root is None:
        raise refuse(
            archive, info.name, "member outside book/ and style_packs/", "use an artfarm archive"
        )
    try:
        resolve_inside(Path("/nonexistent-restore-root"), rel)
    except PathEscape as err:
        raise refuse(
            archive, info.name, f"member path is unsafe: {err}", "use an artfarm archive"
        ) from None


def split_name(name: str) -> tuple[str | None, str]:
    """('book', rel) or ('pack:<name>', rel); (None, name) for anything else."""
    if name.startswith(BOOK_PREFIX):
        return "book", name[len(BOOK_PREFIX) :]
    if name.startswith(PACK_PREFIX):
        pack, _, rel = name[len(PACK_PREFIX) :].partition("/")
        if PACK_NAME.match(pack) and rel:
            return f"pack:{pack}", rel
    return None, name


def hash_stream(fh: IO[bytes], sink: IO[bytes] | None = None) -> str:
    digest = hashlib.sha256()
    while block := fh.read(CHUNK):
        digest.update(block)
        if sink is not None:
            sink.write(block)
    return digest.hexdigest()


@contextlib.contextmanager
def open_archive(archive: Path) -> Iterator[Iterator[tuple[tarfile.TarInfo, IO[bytes]]]]:
    """(member, reader) pairs; any damage to the compressed stream becomes one line."""
    try:
        with tarfile.open(archive, "r:gz") as tar:

            def members() -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
                for info in tar:
                    reader = tar.extractfile(info) if info.isreg() else None
                    yield info, reader  # type: ignore[misc]

            yield members()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        if isinstance(err, FileNotFoundError) and not archive.exists():
            raise refuse(archive, "", "archive does not exist", "check the path") from None
        raise refuse(
            archive, "", f"archive is damaged or not a .tar.gz ({err})", "use an intact copy"
        ) from None


def scan(archive: Path, limits: Limits) -> tuple[ArchiveIndex, dict[str, Scanned]]:
    """First pass, writes nothing: every member checked and hashed, then the checksum list."""
    seen: dict[str, Scanned] = {}
    index_bytes = b""
    total = 0
    with open_archive(archive) as members:
        for info, reader in members:
            check_member(archive, info, limits)
            if info.name in seen or (info.name == INDEX and index_bytes):
                raise refuse(archive, info.name, "member appears twice", "use an artfarm archive")
            total += info.size
            if total > limits.total_bytes or len(seen) >= limits.members:
                raise refuse(
                    archive, info.name, "archive is larger than any book", "use a book archive"
                )
            if info.name == INDEX:
                if info.size > limits.index_bytes:
                    raise refuse(
                        archive, INDEX, "checksum list is absurdly large", "use an artfarm archive"
                    )
                index_bytes = reader.read()
                continue
            seen[info.name] = Scanned(hash_stream(reader), info.size)
    return parse_index(archive, index_bytes), seen


def parse_index(archive: Path, data: bytes) -> ArchiveIndex:
    if not data:
        raise refuse(archive, INDEX, "the checksum list is missing", "use an artfarm archive")
    try:
        index = ArchiveIndex.model_validate_json(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        problem = f"{where}: {first['msg']}" if where else first["msg"]
        raise refuse(archive, INDEX, problem, "use an artfarm archive") from None
    if index.format != FORMAT:
        raise refuse(
            archive, INDEX, f"format {index.format} is unknown", "use a newer artfarm to restore it"
        )
    return index


def verify(archive: Path, index: ArchiveIndex, seen: dict[str, Scanned]) -> None:
    """Every member listed once with its size and sha256; nothing listed is missing."""
    listed = {}
    for item in index.files:
        if item.name in listed:
            raise refuse(
                archive, item.name, "listed twice in the checksum list", "use an artfarm archive"
            )
        listed[item.name] = item
    for name, got in seen.items():
        want = listed.get(name)
        if want is None:
            raise refuse(archive, name, "member is not in the checksum list", "use an intact copy")
        if got.size != want.size or got.sha256 != want.sha256:
            raise refuse(
                archive,
                name,
                f"sha256 {got.sha256[:12]}… differs from the checksum list ({want.sha256[:12]}…)",
                "the archive was changed or damaged; use an intact copy",
            )
    missing = sorted(set(listed) - set(seen))
    if missing:
        raise refuse(
            archive, missing[0], "listed but missing from the archive", "use an intact copy"
        )
    packs = {split_name(n)[0] for n in seen} - {"book"}
    allowed = set() if index.style_pack_in_book else {f"pack:{index.style_pack}"}
    if not PACK_NAME.match(index.style_pack) or packs - allowed:
        raise refuse(
            archive,
            INDEX,
            "style pack members disagree with the checksum list",
            "use an artfarm archive",
        )


def pack_conflict(pack_dir: Path, index: ArchiveIndex) -> str | None:
    """The first archived pack file that differs from the existing pack, if any."""
    prefix = f"{PACK_PREFIX}{index.style_pack}/"
    for item in index.files:
        if item.name.startswith(prefix):
            path = pack_dir / item.name[len(prefix) :]
            if not path.is_file() or path.is_symlink() or sha256_file(path) != item.sha256:
                return item.name[len(prefix) :]
    return None


def check_target(archive: Path, target: Path, index: ArchiveIndex, force: bool) -> Path | None:
    """Refuse a wrong or existing target; returns the pack folder to restore, if any."""
    if target.name != index.book_id:
        raise refuse(
            archive,
            "",
            f"the archive holds book {index.book_id!r}; its reviews and manifests name it",
            f"restore it to {target.parent / index.book_id}",
        )
    if (target.exists() or target.is_symlink()) and not force:
        raise refuse(
            archive, "", f"{target} already exists", "pass --force to replace it, or move it aside"
        )
    if index.style_pack_in_book:
        return None
    pack_dir = target.parent.parent / "style_packs" / index.style_pack
    if not pack_dir.exists():
        return pack_dir
    conflict = pack_conflict(pack_dir, index)
    if conflict:
        raise refuse(
            archive,
            f"{PACK_PREFIX}{index.style_pack}/{conflict}",
            f"differs from the existing {pack_dir} (other books use it)",
            "move the existing pack aside to restore the archived one, or restore in another project",
        )
    return None


def staging_dir(dest: Path) -> Path:
    """A hidden folder beside `dest`, on the same file system so the final rename is atomic."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{dest.name}.restore-", dir=dest.parent))
    mask = os.umask(0)
    os.umask(mask)
    folder.chmod(0o777 & ~mask)
    return folder


def write_member(root: Path, rel: str, reader: IO[bytes], item: IndexEntry) -> str:
    dest = resolve_inside(root, rel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "xb") as sink:
        digest = hash_stream(reader, sink)
    os.utime(dest, ns=(item.mtime_ns, item.mtime_ns))
    return digest


def unpack(archive: Path, index: ArchiveIndex, roots: dict[str, Path]) -> None:
    """Second pass: write every member under its staging root, checking sha256 again."""
    listed = {item.name: item for item in index.files}
    with open_archive(archive) as members:
        for info, reader in members:
            if info.name == INDEX:
                continue
            kind, rel = split_name(info.name)
            item = listed.get(info.name)
            if kind is not None and kind != "book" and kind not in roots:
                continue  # the existing pack has the same files
            if item is None or kind not in roots or member_kind(info):
                raise refuse(archive, info.name, "archive changed while restoring", "try again")
            if write_member(roots[kind], rel, reader, item) != item.sha256:
                raise refuse(archive, info.name, "archive changed while restoring", "try again")


def commit(staged: Path, dest: Path) -> None:
    """Rename the staged folder into place; an old one (--force) goes only after that."""
    old = None
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.replaced-{os.getpid()}")
        os.rename(dest, old)
    os.rename(staged, dest)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def restore_book(
    archive: Path, target: Path, *, force: bool = False, limits: Limits | None = None
) -> int:
    """Verify everything, then write; returns the number of files restored."""
    limits = limits or Limits()
    index, seen = scan(archive, limits)
    verify(archive, index, seen)
    pack_dir = check_target(archive, target, index, force)
    needed = sum(item.size for item in index.files)
    free = shutil.disk_usage(first_existing(target.parent)).free
    if needed > free:
        raise refuse(archive, "", f"needs {needed} bytes, {free} free", "free some disk space")
    roots = {"book": staging_dir(target)}
    if pack_dir is not None:
        roots[f"pack:{index.style_pack}"] = staging_dir(pack_dir)
    try:
        unpack(archive, index, roots)
        if pack_dir is not None:
            commit(roots[f"pack:{index.style_pack}"], pack_dir)
        commit(roots["book"], target)
    finally:
        for folder in roots.values():
            shutil.rmtree(folder, ignore_errors=True)
    return len(seen)


def first_existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path
