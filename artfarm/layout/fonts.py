"""Fonts the layout may use: the shipped Atkinson Hyperlegible plus files the book brings.

Typst falls back silently for an unknown family and draws nothing visible for a missing
glyph, so both are checked here, before compiling, with one clear problem each.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fontpkg_atkinson_hyperlegible
import typst
from fontTools.ttLib import TTFont
from PIL import ImageFont

from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.layout.spec import LayoutSpec
from artfarm.problems import ArtfarmError, Problem

SHIPPED_FONT_DIR = Path(fontpkg_atkinson_hyperlegible.ROOT) / "files"
SHIPPED_REGULAR = SHIPPED_FONT_DIR / "AtkinsonHyperlegible-Regular.ttf"
IGNORABLE = set("\n\r\t\u00ad\u200b\u200d\ufeff")


@cache
def pillow_font(size: int) -> ImageFont.FreeTypeFont:
    """The shipped face for text Pillow draws (contact sheets): names like Jürgen, not J☒rgen."""
    return ImageFont.truetype(str(SHIPPED_REGULAR), max(6, size))


@dataclass(frozen=True)
class FontSet:
    paths: tuple[Path, ...]  # directories and files handed to Typst
    family: str
    files: tuple[Path, ...]  # the files of `family`, for coverage checks

    @property
    def font_paths(self) -> list[str]:
        return [str(p) for p in self.paths]


def resolve_fonts(spec: LayoutSpec, book_root: Path, file: str) -> FontSet:
    """Find the family among shipped and book fonts, or say which families exist."""
    paths: list[Path] = [SHIPPED_FONT_DIR]
    problems: list[Problem] = []
    for i, name in enumerate(spec.fonts.files):
        try:
            path = resolve_inside(book_root, name)
        except PathEscape as err:
            problems.append(
                Problem(file, f"fonts.files[{i}]", str(err), "name a file inside the book")
            )
            continue
        if not path.is_file() or path.suffix.lower() not in {".ttf", ".otf"}:
            problems.append(
                Problem(
                    file,
                    f"fonts.files[{i}]",
                    f"{name} is not a .ttf/.otf file",
                    "add the font file",
                )
            )
            continue
        paths.append(path)
    if problems:
        raise ArtfarmError(problems)
    found = family_files(tuple(str(p) for p in paths))
    wanted = spec.fonts.family.casefold()
    if wanted not in found:
        known = ", ".join(sorted({name for name, _ in found.values()}))
        raise ArtfarmError.single(
            file,
            "fonts.family",
            f"font family {spec.fonts.family!r} is not available (have: {known})",
            "use one of those families, or add its .ttf files under fonts.files",
        )
    name, files = found[wanted]
    return FontSet(tuple(paths), name, tuple(files))


@cache
def family_files(paths: tuple[str, ...]) -> dict[str, tuple[str, tuple[Path, ...]]]:
    """Families as Typst sees them (case-folded name → display name, files)."""
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=list(paths)
    )
    out: dict[str, tuple[str, list[Path]]] = {}
    for info in fonts.fonts():
        if info.path is None:
            continue
        entry = out.setdefault(info.family.casefold(), (info.family, []))
        entry[1].append(Path(info.path))
    return {k: (name, tuple(sorted(files))) for k, (name, files) in out.items()}


@cache
def coverage(path: Path) -> frozenset[int]:
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def missing_glyphs(fonts: FontSet, text: str, bold: bool = False) -> list[str]:
    """Characters of `text` the family's regular (or bold) file cannot draw, in order, once each."""
    have = coverage(_pick(fonts.files, "bold" if bold else "regular"))
    seen: list[str] = []
    for ch in text:
        if ch in IGNORABLE or ch == " ":
            continue
        if ord(ch) not in have and ch not in seen:
            seen.append(ch)
    return seen


def _pick(files: tuple[Path, ...], style: str) -> Path:
    """The file whose name says `style` (ignoring italics), else the first one."""
    for f in files:
        stem = f.stem.lower()
        if stem.endswith(style) or stem.endswith(f"-{style}"):
            return f
    return files[0]


def describe(chars: list[str]) -> str:
    return ", ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)
