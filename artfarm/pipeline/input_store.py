"""Every file a job uploads, kept inside the book by content: `inputs/sha256/<hash><suffix>`.

Drafts, variants and finals are replaced when a page re-renders, and inpaint masks are made in
a temporary folder; a manifest that named those paths could not be replayed later. A stored
input never changes (its name is its hash), so a manifest's `inputs` stay valid for as long as
the book exists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from artfarm.atomic import atomic_path
from artfarm.comfy.uploads import upload_name
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import sha256_file

STORE = Path("inputs") / "sha256"


def store_input(book_root: Path, path: Path) -> dict[str, str]:
    """Copy `path` into the book's input store (once); its manifest record: path, sha256, name."""
    digest = sha256_file(path)
    rel = STORE / f"{digest}{path.suffix.lower() or '.png'}"
    dest = book_root / rel
    if not dest.is_file() or sha256_file(dest) != digest:
        with atomic_path(dest) as tmp:
            shutil.copyfile(path, tmp)
    return {"path": rel.as_posix(), "sha256": digest, "name": upload_name(digest, path.suffix)}


def stored_input(book_root: Path, record: dict[str, str], where: str) -> Path:
    """The stored file of a manifest's input record, checked against its sha256."""
    rel = record.get("path", "")
    path = (book_root / rel).resolve()
    if not rel or Path(rel).is_absolute() or not path.is_relative_to(book_root.resolve()):
        raise ArtfarmError.single(
            where, "path", f"{rel!r} is not inside the book", "re-render the stage to record it"
        )
    if not path.is_file():
        raise ArtfarmError.single(
            where, "path", f"stored input {rel} is missing", "re-render the stage to store it again"
        )
    actual = sha256_file(path)
    if actual != record.get("sha256"):
        raise ArtfarmError.single(
            where,
            "sha256",
            f"stored input {rel} has sha256 {actual[:16]}…, the manifest records "
            f"{str(record.get('sha256'))[:16]}…",
            "restore the file, or re-render the stage",
        )
    return path
