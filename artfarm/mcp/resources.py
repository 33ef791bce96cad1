"""A book's documents as MCP resources: `artfarm://books/<id>/<path inside the book>`.

Only the documents are served — book_config.yaml, the bible, the layout, each page's
renderspec.json and review.json, and each stage's manifest.json; for each bible item the
pipeline renders (a character sheet in bible/sheets/<id>/, a golden image in
bible/golden/<id>/) its review.json and stage manifests, and the approved image's manifest
(bible/character_refs/ or bible/style_refs/<id>.manifest.json) — through the guarded reader,
each path resolved inside its book (no `..`, no symlink out): a URI can never read anything
else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from artfarm.documents.bible import RENDERED_FOLDERS, WORK_FOLDERS
from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.mcp.project import Project
from artfarm.problems import ArtfarmError

SCHEME = "artfarm://books/"
ITEM_WORK = "|".join(re.escape(folder) for folder in sorted(WORK_FOLDERS.values()))
ITEM_IMAGES = "|".join(re.escape(folder) for folder in sorted(RENDERED_FOLDERS.values()))
TEMPLATE = SCHEME + "{book}/{+path}"
DOCUMENTS = re.compile(
    r"^(book_config\.yaml|bible/characters\.yaml|layout/book\.yaml"
    r"|pages/\d{4}/(renderspec\.json|review\.json|(draft|selected|refine|final|print)/manifest\.json)"
    rf"|({ITEM_WORK})/[a-z][a-z0-9_]*/(review\.json|(draft|selected|refine)/manifest\.json)"
    rf"|({ITEM_IMAGES})/[a-z][a-z0-9_]*\.manifest\.json)$"
)
LISTED = (
    "*.yaml",
    "bible/*.yaml",
    "layout/*.yaml",
    "pages/*/*.json",
    "pages/*/*/manifest.json",
    "bible/*/*/review.json",
    "bible/*/*/*/manifest.json",
    "bible/*/*.manifest.json",
)
MIME = {".json": "application/json", ".yaml": "application/yaml"}


@dataclass(frozen=True)
class Document:
    uri: str
    name: str
    path: Path
    mime_type: str
    book_root: Path


def document(project: Project, book_id: str, relative: str) -> Document:
    root = project.root / "books" / book_id
    return Document(
        uri=f"{SCHEME}{book_id}/{relative}",
        name=f"{book_id}/{relative}",
        path=root / relative,
        mime_type=MIME[Path(relative).suffix],
        book_root=root,
    )


def book_documents(project: Project, book_id: str) -> list[Document]:
    """The documents a book has now (none through a symlink out of it), in a stable order."""
    root = project.root / "books" / book_id
    found = sorted(
        path.relative_to(root).as_posix()
        for pattern in LISTED
        for path in root.glob(pattern)
        if path.is_file()
    )
    return [
        document(project, book_id, rel)
        for rel in found
        if DOCUMENTS.match(rel) and inside(root, rel)
    ]


def inside(root: Path, relative: str) -> bool:
    try:
        resolve_inside(root.resolve(), relative)
    except PathEscape:
        return False
    return True


def all_documents(project: Project) -> list[Document]:
    return [doc for book_id in project.book_ids() for doc in book_documents(project, book_id)]


def read_document(project: Project, uri: str) -> Document:
    """The document a URI names, checked: a known kind of document, inside its book, present."""
    if not uri.startswith(SCHEME) or "/" not in uri[len(SCHEME) :]:
        raise ArtfarmError.single(uri, "uri", "not an artfarm document URI", f"use {TEMPLATE}")
    book_id, _, relative = uri[len(SCHEME) :].partition("/")
    book = project.book(book_id)
    if not DOCUMENTS.match(relative):
        raise ArtfarmError.single(
            uri,
            "path",
            "not a book document",
            "name book_config.yaml, bible/characters.yaml, layout/book.yaml, "
            "pages/NNNN/renderspec.json, pages/NNNN/review.json, pages/NNNN/<stage>/manifest.json, "
            "a bible item's bible/sheets|golden/<id>/review.json or <stage>/manifest.json, or "
            "bible/character_refs|style_refs/<id>.manifest.json",
        )
    try:
        resolve_inside((project.root / book.root).resolve(), relative)
    except PathEscape as err:
        raise ArtfarmError.single(uri, "path", str(err), "use a path inside the book") from None
    found = document(project, book_id, relative)
    if not found.path.is_file():
        raise ArtfarmError.single(
            uri, "path", "the book has no such document yet", "list resources"
        )
    return found
