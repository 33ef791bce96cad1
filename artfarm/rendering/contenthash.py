"""The content hash of a page: everything that determines its render, by bytes.

Spec (canonical JSON), every file of the style pack, the book's template overrides, the bible
entries of the characters on the page (not the whole bible: editing the bear changes only the
bear's pages) and the bytes of every reference image the page's graphs get
(`references.page_references`). Later stages add model hashes and graphs.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from artfarm.atomic import canonical_json
from artfarm.documents.book import Book
from artfarm.documents.reader import book_file
from artfarm.documents.renderspec import RenderSpec
from artfarm.rendering.references import spec_references


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Remembered per process by (path, inode, size, mtime): while Snakemake builds its DAG,
    every page's params hash the same bible sheets and style refs again."""
    stat = os.stat(path)
    key = (os.fspath(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
        if len(_DIGESTS) > 4096:
            _DIGESTS.clear()
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def sha256_json(value: Any) -> str:
    return sha256_bytes(canonical_json(value).encode("utf-8"))


def tree_digest(root: Path, files: list[Path]) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in files}


def reference_paths(book: Book, spec: RenderSpec) -> list[str]:
    """The page's reference images, relative to the book: exactly what its graphs get
    (`references.page_references`), so the hash follows those bytes and nothing else."""
    refs = spec_references(book, spec)
    return sorted({ref.path.relative_to(book.root).as_posix() for ref in refs})


def content_inputs(book: Book, spec: RenderSpec) -> dict[str, Any]:
    """The parts of the content hash, kept apart so a change can be explained."""
    pack = book.style_pack
    overrides = book.templates_dir
    entries = book.bible.by_id()
    words = tree_digest(pack.directory, pack.files())
    if book.config.constraints:  # the book's own constraint words count as part of its pack
        words["book_config.yaml:constraints"] = sha256_json(
            {k: v.model_dump() for k, v in book.config.constraints.items()}
        )
    return {
        "spec": spec.model_dump(mode="json"),
        "style_pack": words,
        "template_overrides": tree_digest(overrides, sorted(overrides.rglob("*.j2")))
        if overrides.is_dir()
        else {},
        "bible": {
            "characters": [
                entries[c].model_dump(mode="json") for c in spec.character_ids() if c in entries
            ],
            "forbidden": list(book.bible.forbidden),
        },
        "references": {p: reference_digest(book, p) for p in reference_paths(book, spec)},
    }


def reference_digest(book: Book, relative: str) -> str:
    """A reference's sha256; a bible item the pipeline renders (sheet or golden image) and
    has not made yet is "pending" (the page waits for it, and its hash changes once it
    exists).

    The pending words are hashed and never shown, so they stay as they are, "sheet" for a
    golden image too (new words would move hashes for nothing); what a person or an agent
    reads names the kind (compiler's refusal, `artfarm next`, the board)."""
    rendered = {item.rendered for item in book.bible.rendered_items()}
    if relative in rendered and not os.path.lexists(book.root / relative):
        return "pending: rendered sheet not approved yet"
    return sha256_file(book_file(book.root, relative, source=str(book.root), field="references"))


def page_content_hash(book: Book, spec: RenderSpec) -> str:
    return sha256_json(content_inputs(book, spec))
