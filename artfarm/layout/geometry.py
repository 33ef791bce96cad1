"""Page geometry in points, derived once from book.yaml so every step agrees on it.

Interior pages follow print-on-demand practice: bleed on the outer edge, top and bottom,
none at the binding (the fold), so a page is (trim width + bleed) × (trim height + 2 bleed).
Page 1 is a right-hand page (recto); odd pages bind on their left edge.
Coordinates are relative to the trim box's top-left corner; x < 0 reaches into the bleed.
"""

from __future__ import annotations

from dataclasses import dataclass

from artfarm.layout.spec import CALIPER_IN_PER_PAGE, LayoutSpec

PT_PER_IN = 72.0


@dataclass(frozen=True)
class Box:
    """A rectangle in points relative to the trim box's top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def as_dict(self) -> dict[str, float]:
        return {
            "x": round(self.x, 4),
            "y": round(self.y, 4),
            "w": round(self.w, 4),
            "h": round(self.h, 4),
        }


@dataclass(frozen=True)
class Geometry:
    trim_w: float
    trim_h: float
    bleed: float
    safe: float
    gutter: float

    @classmethod
    def of(cls, spec: LayoutSpec) -> Geometry:
        return cls(
            trim_w=spec.trim.width * PT_PER_IN,
            trim_h=spec.trim.height * PT_PER_IN,
            bleed=spec.bleed * PT_PER_IN,
            safe=spec.safe_margin * PT_PER_IN,
            gutter=spec.gutter * PT_PER_IN,
        )

    @property
    def page_w(self) -> float:
        """Interior media width: trim plus the outer bleed only."""
        return self.trim_w + self.bleed

    @property
    def page_h(self) -> float:
        return self.trim_h + 2 * self.bleed

    def art_box(self, recto: bool, spread: bool = False) -> Box:
        """Where a page's art goes: the whole bled area of the page (or of both spread pages)."""
        if spread:  # starts on a verso: bleed at the far left, art crosses the fold
            return Box(-self.bleed, -self.bleed, 2 * self.trim_w + 2 * self.bleed, self.page_h)
        x = 0.0 if recto else -self.bleed
        return Box(x, -self.bleed, self.page_w, self.page_h)

    def safe_box(self, recto: bool) -> Box:
        """Where text may go: inside the trim by the safe margin, plus the gutter at the fold."""
        inside = self.safe + self.gutter
        left = inside if recto else self.safe
        right = self.safe if recto else inside
        return Box(left, self.safe, self.trim_w - left - right, self.trim_h - 2 * self.safe)

    def spine_width(self, pages: int, paper: str) -> float:
        return pages * CALIPER_IN_PER_PAGE[paper] * PT_PER_IN

    def cover_size(self, spine: float) -> tuple[float, float]:
        return 2 * self.trim_w + spine + 2 * self.bleed, self.page_h


def effective_ppi(pixels_w: int, pixels_h: int, box_w_pt: float, box_h_pt: float) -> float:
    """Resolution of an image filled into a box with fit 'cover': the tighter side limits it."""
    points_per_pixel = max(box_w_pt / pixels_w, box_h_pt / pixels_h)
    return PT_PER_IN / points_per_pixel
