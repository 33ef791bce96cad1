"""One layout run's inputs, loaded and checked once: the book, its spec, geometry, fonts, plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from artfarm.layout.fonts import FontSet, resolve_fonts
from artfarm.layout.geometry import Geometry
from artfarm.layout.plan import Plan, plan_interior
from artfarm.layout.spec import LayoutSpec, load_layout_spec
from artfarm.problems import ArtfarmError


@dataclass(frozen=True)
class LayoutJob:
    root: Path
    spec: LayoutSpec
    geometry: Geometry
    fonts: FontSet
    plan: Plan

    @property
    def spec_file(self) -> str:
        return str(self.root / "layout" / "book.yaml")

    def out(self, relative: str) -> Path:
        return self.root / relative

    def field_of(self, page: int) -> str:
        """`pages[i]` of a story page number, the form an agent finds in book.yaml."""
        index = next(i for i, p in enumerate(self.spec.pages) if p.page == page)
        return f"pages[{index}]"


def open_job(book: str | Path) -> LayoutJob:
    root = Path(book)
    if not root.is_dir():
        raise ArtfarmError.single(str(root), "", "book folder does not exist", "check the path")
    spec_path = root / "layout" / "book.yaml"
    spec = load_layout_spec(spec_path)
    fonts = resolve_fonts(spec, root, str(spec_path))
    plan = plan_interior(spec, str(spec_path))
    return LayoutJob(root, spec, Geometry.of(spec), fonts, plan)
