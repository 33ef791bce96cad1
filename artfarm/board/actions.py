"""The board's saves: a draft review or a final pick, written by `artfarm review`'s own code
(a page's or a bible item's: artfarm.pipeline.subjects, so a bible item refuses inpaint fixes).

Every save names the version of review.json its tab loaded (`view.review_etag`). If the file
changed since — another tab, the agent, `artfarm review` — the save is refused with a conflict
and nothing is written; the tab keeps its edits. A saved review replaces the old one only
through `reviewing.save_review`, which keeps the old text in review.history.jsonl.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import TypeAdapter, ValidationError

from artfarm.board.view import review_etag
from artfarm.documents.reader import problems_from_validation
from artfarm.documents.review import InpaintFix
from artfarm.pipeline.subjects import Subject
from artfarm.problems import ArtfarmError, Problem

FIXES = TypeAdapter(list[InpaintFix])
SAVING = threading.Lock()  # check-then-write is one step for every tab of this board


class Conflict(Exception):
    """The review changed after the tab loaded it."""

    def __init__(self, etag: str) -> None:
        super().__init__(
            "this page's review was saved elsewhere after you opened it; your edits are still "
            "here: look at the newer review (reload in another tab), then save again to replace it"
        )
        self.etag = etag


def text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


def reasons(data: dict[str, Any]) -> dict[str, str]:
    value = data.get("rejected", {})
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def parse_fixes(subject: Subject, value: Any) -> list[InpaintFix]:
    """The drawn boxes and polygons, each with its prompt, validated as review.json's fixes."""
    try:
        return FIXES.validate_python(value or [])
    except ValidationError as err:
        file = str(subject.review_path)
        raise ArtfarmError(
            Problem(p.file, f"refine.fixes.{p.field}", p.problem, p.fix)
            for p in problems_from_validation(err, file, "review")
        ) from None


def save(subject: Subject, stage: str, data: dict[str, Any], reviewer: str) -> str:
    """Write the review of `stage` unless review.json moved on; returns the new etag."""
    with SAVING:
        current = review_etag(subject)
        if text(data, "etag") != current:
            raise Conflict(current)
        if stage == "draft":
            selected = data.get("selected", [])
            subject.drafts(
                selected=[str(s) for s in selected] if isinstance(selected, list) else [],
                rejected=reasons(data),
                rationale=text(data, "rationale"),
                reviewer=reviewer,
            )
        else:
            subject.refine(
                final=text(data, "final"),
                rejected=reasons(data),
                fixes=parse_fixes(subject, data.get("fixes")),
                rationale=text(data, "rationale"),
                reviewer=reviewer,
            )
        return review_etag(subject)
