"""The agent's review of a page (`pages/NNNN/review.json`): the only judgement in the loop.

Two stages: the draft review picks 1–2 candidates (with reasons for every rejection), the
refine review picks the final variant and may ask for inpaint fixes. Each records the hash
of the images it judged, so a review of images that have since changed is known stale.
No pipeline rule ever writes this file: it is the agent's work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from artfarm.documents.renderspec import BOOK_ID_PATTERN, Identifier, Strict

DRAFT_ID = r"^c\d{2}$"
VARIANT_ID = r"^c\d{2}-v\d$"
SHA256 = r"^[0-9a-f]{64}$"

CandidateId = Annotated[str, Field(pattern=DRAFT_ID, description="Draft id, e.g. 'c03'.")]
VariantId = Annotated[str, Field(pattern=VARIANT_ID, description="Variant id, e.g. 'c03-v1'.")]
Reason = Annotated[str, Field(min_length=3, max_length=500)]


class BoxMask(Strict):
    kind: Literal["box"] = "box"
    x: int = Field(ge=0, description="Left edge in pixels of the judged image.")
    y: int = Field(ge=0, description="Top edge in pixels.")
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class PolygonMask(Strict):
    kind: Literal["polygon"] = "polygon"
    points: list[tuple[int, int]] = Field(
        min_length=3, max_length=1000, description="[[x, y], ...] in pixels."
    )

    @model_validator(mode="after")
    def _encloses_an_area(self) -> PolygonMask:
        """A polygon whose points lie on one line (or repeat) would repaint nothing."""
        pts = self.points
        twice_area = sum(
            x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True)
        )
        if abs(twice_area) < 2:
            raise ValueError("the polygon encloses no area (its points are on one line)")
        return self


class ImageMask(Strict):
    kind: Literal["image"] = "image"
    path: str = Field(description="Mask image inside the book; white = repaint.")


Mask = Annotated[BoxMask | PolygonMask | ImageMask, Field(discriminator="kind")]


class InpaintFix(Strict):
    mask: Mask
    prompt: str = Field(
        min_length=3, max_length=400, description="What the masked area should show."
    )
    denoise: float | None = Field(default=None, gt=0.0, le=1.0, description="Default: style pack.")


class _Judgement(Strict):
    rationale: str = Field(min_length=3, max_length=2000, description="Why this choice.")
    reviewer: str = Field(min_length=1, max_length=100, description="Who reviewed (agent name).")
    automatic: bool = Field(default=False, description="True when chosen by a scripted rule.")
    reviewed_at: datetime


class DraftReview(_Judgement):
    drafts_sha256: str = Field(pattern=SHA256, description="Hash of the draft manifest judged.")
    selected: list[CandidateId] = Field(min_length=1, max_length=2)
    rejected: dict[CandidateId, Reason] = Field(
        default_factory=dict, description="Every candidate not selected, with its reason."
    )

    @model_validator(mode="after")
    def _selection_is_consistent(self) -> DraftReview:
        if len(set(self.selected)) != len(self.selected):
            raise ValueError("selected lists a candidate twice")
        both = sorted(set(self.selected) & set(self.rejected))
        if both:
            raise ValueError(f"{', '.join(both)} is both selected and rejected")
        return self


class RefineReview(_Judgement):
    variants_sha256: str = Field(pattern=SHA256, description="Hash of the refine manifest judged.")
    final: VariantId
    rejected: dict[VariantId, Reason] = Field(default_factory=dict)
    fixes: list[InpaintFix] = Field(default_factory=list, description="Applied in order.")

    @model_validator(mode="after")
    def _final_not_rejected(self) -> RefineReview:
        if self.final in self.rejected:
            raise ValueError(f"{self.final} is both the final pick and rejected")
        return self


class Review(Strict):
    book_id: str = Field(pattern=BOOK_ID_PATTERN)
    page: int = Field(ge=1, le=9999)
    draft: DraftReview | None = None
    refine: RefineReview | None = None

    @model_validator(mode="after")
    def _refine_needs_draft(self) -> Review:
        if self.refine is not None and self.draft is None:
            raise ValueError("a refine review needs the draft review before it")
        return self


class SheetReview(Strict):
    """The review of a rendered bible item (`bible/sheets/<id>/review.json` for a character
    sheet, `bible/golden/<id>/review.json` for a golden image): the same sections and checks
    as a page's review."""

    book_id: str = Field(pattern=BOOK_ID_PATTERN)
    kind: Literal["sheet", "style"] = Field(
        default="sheet", description="What it judges: a character sheet or a golden image."
    )
    sheet: Identifier = Field(description="The character id, or the golden image's id.")
    draft: DraftReview | None = None
    refine: RefineReview | None = None

    @model_validator(mode="after")
    def _refine_needs_draft(self) -> SheetReview:
        if self.refine is not None and self.draft is None:
            raise ValueError("a refine review needs the draft review before it")
        return self
