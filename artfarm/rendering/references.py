"""Which reference images a page's graphs get: its characters' sheets, then its style reference.

    page_references(book, 3)      -> [Reference("character", "bear", books/x/bible/…/bear.png), …]
    character_sheets(book, "bear") -> the bible's approved sheets of the bear
    golden_images(book, 3)         -> the bible's golden images page 3 uses (style_refs:)

A page's style reference is its spec's `refs.style`, else the bible's golden images for the
page: those that list it in `pages:`, else those that list no pages (Bible.for_page). A
family with fewer reference slots puts the rest on one board (families.assign_references).

One list serves the compiler (what goes into a family's reference slots), the rules (every
path is an input of the page's draft and refine jobs, so Snakemake orders a page after the
sheets it uses and a changed sheet re-runs exactly the pages that use it) and validate.
Paths are checked to stay inside the book but need not exist yet: a sheet the pipeline will
render is still a reference of the pages that use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from artfarm.documents.book import Book
from artfarm.documents.renderspec import RenderSpec
from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.problems import ArtfarmError

CHARACTER = "character"
STYLE = "style"


@dataclass(frozen=True)
class Reference:
    """One reference image of a page: whose it is and where it lives in the book."""

    kind: str  # "character" | "style"
    id: str  # character id, or "style"
    path: Path  # book.root / the document's relative path (relative when book.root is)


def character_sheets(book: Book, character_id: str) -> list[Path]:
    """The bible's approved sheets of one character (none for an unknown id).

    A rendered sheet (`render_sheet:`, Phase 0) comes first: `bible/character_refs/<id>.png`
    exists once its final pick is approved, and is listed before that so Snakemake renders
    it (through its review) before the pages that use it. Hand-made `sheets:` follow.
    """
    entry = book.bible.by_id().get(character_id)
    if entry is None:
        return []
    source = str(book.characters_path)
    field = f"characters[{character_id}].sheets"
    rendered = [entry.rendered_sheet] if entry.render_sheet is not None else []
    return [_inside(book, rel, source, field) for rel in rendered + entry.sheets]


def page_references(book: Book, page: int) -> list[Reference]:
    """For each character on the page its spec's refs, else its sheets; then the style refs."""
    return spec_references(book, book.load_spec(page))


def spec_references(book: Book, spec: RenderSpec) -> list[Reference]:
    """`page_references` of a spec already read (the content hash reads it once)."""
    source = str(book.spec_path(spec.page))
    refs: list[Reference] = []
    for cid in spec.character_ids():
        named = spec.refs.characters.get(cid)
        if named:
            paths = [_inside(book, r, source, f"refs.characters.{cid}") for r in named]
        else:
            paths = character_sheets(book, cid)
        refs.extend(Reference(CHARACTER, cid, p) for p in paths)
    for index, rel in enumerate(spec.refs.style):
        refs.append(Reference(STYLE, STYLE, _inside(book, rel, source, f"refs.style[{index}]")))
    if not spec.refs.style:
        refs.extend(Reference(STYLE, STYLE, path) for path in golden_images(book, spec.page))
    return _unique(refs)


def golden_images(book: Book, page: int) -> list[Path]:
    """The bible's golden images a page uses when its spec names no style reference.

    A rendered one (`render:`) counts before its file exists, as a rendered sheet does, so
    Snakemake renders it (through its review) before the pages that use it.
    """
    source = str(book.characters_path)
    return [
        _inside(book, ref.path, source, f"style_refs[{ref.id}].image")
        for ref in book.bible.for_page(page)
    ]


def _inside(book: Book, relative: str, source: str, field: str) -> Path:
    """book.root / relative, refused (one line) when it leaves the book."""
    try:
        resolve_inside(book.root, relative)
    except PathEscape as err:
        raise ArtfarmError.single(
            source, field, f"{relative[:80]!r}: {err}", "use a path inside the book folder"
        ) from None
    return book.root / PurePosixPath(relative)


def _unique(refs: list[Reference]) -> list[Reference]:
    """The same file named twice for one owner is one reference."""
    seen: set[tuple[str, Path]] = set()
    kept = []
    for ref in refs:
        if (ref.id, ref.path) not in seen:
            seen.add((ref.id, ref.path))
            kept.append(ref)
    return kept
