"""The input of every tool, as pydantic models: their JSON Schemas are what `tools/list` shows.

Fields reuse the documents' own types (book id pattern, draft and variant ids, reasons,
inpaint fixes, document names) and the CLI's choices, so a tool accepts exactly what the
matching `artfarm` command and document accept. A bad argument becomes the same one-line
problems (file, field, problem, fix) as a bad document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from artfarm.cli.provenance_cmds import GRAPH_STAGES
from artfarm.documents.reader import problems_from_validation
from artfarm.documents.renderspec import BOOK_ID_PATTERN
from artfarm.documents.review import (
    BoxMask,
    CandidateId,
    ImageMask,
    InpaintFix,
    PolygonMask,
    Reason,
    VariantId,
)
from artfarm.documents.schemas import document_models
from artfarm.problems import ArtfarmError, Problem

DocumentName = Literal[tuple(sorted(document_models()))]  # type: ignore[valid-type]
ReviewStage = Literal["draft", "refine"]
GraphStage = Literal[GRAPH_STAGES]  # type: ignore[valid-type]
IMAGE_ID = r"^(c\d{2}|c\d{2}-v\d|final|print)$"
SCHEMA_MARK = "<tool>"


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BookArgs(Arguments):
    book: str = Field(
        pattern=BOOK_ID_PATTERN,
        description="Book id: the folder name under books/, e.g. 'tiny_01'.",
    )


class PageArgs(BookArgs):
    page: int = Field(ge=1, le=9999, description="Page number (the NNNN folder).")


class SchemaArgs(Arguments):
    document: DocumentName = Field(description="Which document's JSON Schema.")


class PromptArgs(PageArgs):
    context: bool = Field(default=False, description="The template context instead of prompts.")


class TargetArgs(BookArgs):
    target: str = Field(
        default="layout/pages.pdf",
        description="File inside the book to make, e.g. layout/pages.pdf, "
        "pages/0007/print/print.png, pages/0007/draft/manifest.json.",
    )


class GraphArgs(PageArgs):
    stage: GraphStage = Field(description="Which stage's graph(s) it would submit now.")
    job: int | None = Field(default=None, ge=1, description="Only job N (from 1).")


class ReplayArgs(PageArgs):
    stage: GraphStage = Field(description="Whose manifest to replay.")
    server: str | None = Field(
        default=None, description="One of the configured servers (default: the first)."
    )


class SheetArgs(PageArgs):
    stage: ReviewStage = Field(
        description="Whose contact sheet: the drafts or the refined variants."
    )


class ImageArgs(PageArgs):
    image: str = Field(
        pattern=IMAGE_ID, description="c03 (a draft), c03-v1 (a variant), final, or print."
    )


FixPrompt = Annotated[str, InpaintFix.model_fields["prompt"]]


class BoxFix(BoxMask):
    prompt: FixPrompt


class PolygonFix(PolygonMask):
    prompt: FixPrompt


class MaskFix(ImageMask):
    prompt: FixPrompt


class ReviewArgs(PageArgs):
    """The flags of `artfarm review`, one field each (fixes apply boxes, polygons, then masks)."""

    stage: ReviewStage
    select: list[CandidateId] = Field(default_factory=list, description="Drafts to keep (1–2).")
    final: VariantId | None = Field(default=None, description="The final variant.")
    reject: dict[str, Reason] = Field(
        default_factory=dict, description="Image id → why it is rejected."
    )
    reject_rest: Reason | None = Field(
        default=None, description="Reason for every image neither chosen nor in `reject`."
    )
    fix_box: list[BoxFix] = Field(default_factory=list, description="Inpaint a box.")
    fix_polygon: list[PolygonFix] = Field(default_factory=list, description="Inpaint a polygon.")
    fix_mask: list[MaskFix] = Field(
        default_factory=list, description="Inpaint where a mask image inside the book is white."
    )
    rationale: str | None = Field(default=None, description="Why this choice.")
    reviewer: str = Field(default="agent", description="Who reviews.")
    auto: bool = Field(
        default=False,
        description="Scripted reviewer: the first image in id order; marked automatic.",
    )


def parse(model: type[Arguments], arguments: dict[str, Any] | None, tool: str) -> Arguments:
    """Validate a tool call's arguments; problems name the tool and the argument."""
    try:
        return model.model_validate(arguments or {})
    except ValidationError as err:
        problems = problems_from_validation(err, f"tool {tool}", SCHEMA_MARK)
    where = f"the inputSchema of tool `{tool}` (tools/list)"
    raise ArtfarmError(
        Problem(p.file, p.field, p.problem, p.fix.replace(f"`artfarm schema {SCHEMA_MARK}`", where))
        for p in problems
    )
