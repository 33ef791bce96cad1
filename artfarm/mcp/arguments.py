"""The input of every tool, as pydantic models: their JSON Schemas are what `tools/list` shows.

Fields reuse the documents' own types (book id pattern, draft and variant ids, reasons,
inpaint fixes, document names) and the CLI's choices, so a tool accepts exactly what the
matching `artfarm` command and document accept. A bad argument becomes the same one-line
problems (file, field, problem, fix) as a bad document.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

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
from artfarm.pipeline.subjects import SUBJECT_HELP, SUBJECT_PATTERN
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


class SubjectArgs(BookArgs):
    """What is reviewed: a page (`page`) or a bible item the pipeline renders (`subject`, e.g.
    sheet:bear) — exactly one of the two."""

    # Exactly-one is said here and in both descriptions, not as a top-level oneOf: several
    # agents' APIs refuse oneOf/anyOf at the top of a tool's input schema.
    page: int | None = Field(
        default=None,
        ge=1,
        le=9999,
        description="Page number (the NNNN folder); give this or `subject`, not both.",
    )
    subject: str | None = Field(
        default=None,
        validate_default=True,
        pattern=SUBJECT_PATTERN,
        description=f"Instead of a page: {SUBJECT_HELP}, as `artfarm next` names it; give "
        "this or `page`, not both.",
    )

    @field_validator("subject")
    @classmethod
    def _exactly_one(cls, subject: str | None, info: ValidationInfo) -> str | None:
        if "page" not in info.data:
            return subject  # the page itself is wrong: that is the problem to name
        if (info.data["page"] is None) == (subject is None):
            given = "neither" if subject is None else "both"
            raise ValueError(f"give exactly one of page and subject ({given} given)")
        return subject


class SheetArgs(SubjectArgs):
    """A contact sheet of a page (`page`) or of a bible item (`subject`, e.g. sheet:bear):
    exactly one of the two."""

    stage: ReviewStage = Field(
        description="Whose contact sheet: the drafts or the refined variants."
    )


class ImageArgs(SubjectArgs):
    """One image of a page (`page`) or of a bible item (`subject`, e.g. sheet:bear): exactly
    one of the two."""

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


class ReviewArgs(SubjectArgs):
    """The flags of `artfarm review`, one field each (fixes apply boxes, polygons, then masks),
    for a page (`page`) or a bible item (`subject`, e.g. sheet:bear): exactly one of the two.
    A sheet takes no inpaint fixes."""

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
