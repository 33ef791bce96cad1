"""Archive and restore without a render: round trip, and hostile archives refused unwritten."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.operations.archive import INDEX, archive_book
from artfarm.operations.restore import Limits, restore_book
from artfarm.problems import ArtfarmError

PACK = "style_packs/watercolor_whimsy_v1"

Entry = tuple[tarfile.TarInfo, bytes]


@pytest.fixture
def archived(project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "tiny.tar.gz"
    archive_book(Book(project / "books" / "tiny_01"), out)
    return out


def entries(archive: Path) -> list[Entry]:
    with tarfile.open(archive, "r:gz") as tar:
        return [(i, tar.extractfile(i).read() if i.isreg() else b"") for i in tar]


def write_entries(out: Path, items: list[Entry]) -> Path:
    with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in items:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out


def listed(items: list[Entry], info: tarfile.TarInfo, data: bytes) -> list[Entry]:
    """Add a member and list it in the checksum list, so only the member's nature can fail."""
    *files, (index_info, index_data) = items
    index = json.loads(index_data)
    index["files"].append(
        {"name": info.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
         "mtime_ns": 0}
    )  # fmt: skip
    new = json.dumps(index).encode()
    index_info.size = len(new)
    return [*files, (info, data), (index_info, new)]


def member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"x", **extra) -> Entry:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    for key, value in extra.items():
        setattr(info, key, value)
    return info, data


def snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def refused_cli(archive: Path, project: Path, capsys, *extra: str) -> str:
    """Restore through the CLI; it must fail with exactly one line and write nothing."""
    before = snapshot(project)
    code = main(["restore", str(archive), str(project / "books" / "tiny_01"), *extra])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert snapshot(project) == before
    return lines[0]


def digests(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_round_trip_restores_book_and_missing_style_pack_byte_for_byte(
    project: Path, archived: Path
) -> None:
    book, pack = project / "books" / "tiny_01", project / PACK
    before_book, before_pack = digests(book), digests(pack)
    shutil.rmtree(book)
    shutil.rmtree(pack)
    assert restore_book(archived, book) == len(before_book) + len(before_pack)
    assert digests(book) == before_book  # bytes and mtimes
    assert digests(pack) == before_pack
    assert not [p for p in project.rglob("*") if ".restore-" in p.name]  # no staging left


def test_an_existing_book_is_refused_then_replaced_with_force(
    project: Path, archived: Path, capsys
) -> None:
    book = project / "books" / "tiny_01"
    (book / "scribble.txt").write_text("later work")
    line = refused_cli(archived, project, capsys)
    assert "already exists" in line and "--force" in line
    assert main(["restore", str(archived), str(book), "--force"]) == 0
    assert not (book / "scribble.txt").exists()
    assert (book / "book_config.yaml").is_file()
    assert not [p for p in (project / "books").iterdir() if p.name.startswith(".")]


def test_one_changed_byte_in_the_file_is_refused(project: Path, archived: Path, capsys) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    data = bytearray(archived.read_bytes())
    data[len(data) // 2] ^= 0x01
    archived.write_bytes(bytes(data))
    line = refused_cli(archived, project, capsys)
    assert str(archived) in line


def test_one_changed_byte_in_a_member_fails_its_checksum(
    project: Path, archived: Path, capsys, tmp_path: Path
) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    items = entries(archived)
    name = "book/pages/0002/renderspec.json"
    items = [(i, d.replace(b"meadow", b"meadoW", 1) if i.name == name else d) for i, d in items]
    line = refused_cli(write_entries(tmp_path / "bad.tar.gz", items), project, capsys)
    assert name in line and "differs from the checksum list" in line


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (member("book/../../escaped.txt"), "'..'"),
        (member("book//tmp/escaped.txt"), "relative"),
        (member("/tmp/escaped.txt"), "outside book/"),
        (member("escaped.txt"), "outside book/"),
        (member("book/bible/link.png", tarfile.SYMTYPE, linkname="/etc/passwd"), "symlink"),
        (member("book/bible/hard.png", tarfile.LNKTYPE, linkname="book/book_config.yaml"), "hard link"),
        (member("book/dev", tarfile.CHRTYPE, devmajor=1, devminor=3), "device"),
    ],
    ids=["dotdot", "absolute-inside", "absolute", "outside", "symlink", "hardlink", "device"],
)  # fmt: skip
def test_hostile_members_are_refused(
    project: Path, archived: Path, capsys, tmp_path: Path, extra: Entry, words: str
) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    bad = write_entries(tmp_path / "bad.tar.gz", listed(entries(archived), *extra))
    line = refused_cli(bad, project, capsys)
    assert words in line
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/escaped.txt").exists()


def test_a_member_claiming_an_absurd_size_is_refused_before_reading(
    project: Path, archived: Path, capsys, tmp_path: Path
) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    huge = tarfile.TarInfo("book/pages/0001/print/print.png")
    huge.size = 2**45  # 32 TiB, header only
    with tarfile.open(tmp_path / "bad.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(huge)
    line = refused_cli(tmp_path / "bad.tar.gz", project, capsys)
    assert "claims 35184372088832 bytes" in line


def test_the_total_is_capped_too(project: Path, archived: Path) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    with pytest.raises(ArtfarmError, match="larger than any book"):
        restore_book(archived, project / "books" / "tiny_01", limits=Limits(total_bytes=1000))
    assert not (project / "books" / "tiny_01").exists()


@pytest.mark.parametrize(
    "edit",
    [
        lambda items: items[:-1],  # no checksum list
        lambda items: [items[0], *items[2:]],  # a listed member missing
        lambda items: [*items[:-1], member("book/extra.txt"), items[-1]],  # unlisted
    ],
    ids=["no-index", "missing-member", "unlisted-member"],
)  # fmt: skip
def test_members_and_checksum_list_must_agree(
    project: Path, archived: Path, capsys, tmp_path: Path, edit: Callable
) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    bad = write_entries(tmp_path / "bad.tar.gz", edit(entries(archived)))
    line = refused_cli(bad, project, capsys)
    assert any(words in line for words in ("missing", "not in the checksum list"))


def test_a_different_style_pack_of_the_same_name_is_a_conflict(
    project: Path, archived: Path, capsys
) -> None:
    shutil.rmtree(project / "books" / "tiny_01")
    stylepack = project / PACK / "stylepack.yaml"
    stylepack.write_text(stylepack.read_text() + "\n# edited for another book\n")
    line = refused_cli(archived, project, capsys)
    assert "stylepack.yaml" in line and "differs from the existing" in line


def test_restoring_under_another_book_id_is_refused(project: Path, archived: Path, capsys) -> None:
    before = snapshot(project)
    code = main(["restore", str(archived), str(project / "books" / "other_01")])
    assert code == 1
    assert "restore it to" in capsys.readouterr().err
    assert snapshot(project) == before


def test_zstd_is_refused_with_one_line(project: Path, tmp_path: Path, capsys) -> None:
    code = main(["archive", str(project / "books" / "tiny_01"), str(tmp_path / "b.tar.zst")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and ".tar.zst is not supported" in err[0]
    assert not list(tmp_path.glob("*b.tar*"))


def test_a_symlink_in_the_book_is_not_archived(project: Path, tmp_path: Path) -> None:
    book = project / "books" / "tiny_01"
    (book / "bible" / "outside.png").symlink_to("/etc/hostname")
    with pytest.raises(ArtfarmError, match="symlink"):
        archive_book(Book(book), tmp_path / "b.tar.gz")
    assert not list(tmp_path.glob("*b.tar*"))


def test_the_checksum_list_is_inside_the_archive(archived: Path) -> None:
    items = entries(archived)
    info, data = items[-1]
    assert info.name == INDEX
    index = json.loads(data)
    names = {i.name for i, _ in items[:-1]}
    assert {f["name"] for f in index["files"]} == names
    for info, data in items[:-1]:
        [entry] = [f for f in index["files"] if f["name"] == info.name]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
