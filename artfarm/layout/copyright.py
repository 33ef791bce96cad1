"""The copyright page: title, holder, year, the models the book pins with their licences.

Models and licences come from `book_config.yaml` (`models`, `models.licences`), so the page
says what really drew the pictures; a licence not declared there is printed as such.
"""

from __future__ import annotations

import datetime
from typing import Any

from artfarm.documents.book import Book
from artfarm.layout.job import LayoutJob
from artfarm.problems import ArtfarmError

UNDECLARED = "licence not declared in book_config.yaml"


def wanted(job: LayoutJob) -> bool:
    return any(p.kind == "copyright" for p in job.plan.pages)


def copyright_data(job: LayoutJob) -> dict[str, Any] | None:
    """The copyright page's content, or None when the book has no such page."""
    if not wanted(job):
        return None
    spec = job.spec
    try:
        pins = Book.open(job.root).config.models
    except ArtfarmError as err:
        first = err.problems[0]
        raise ArtfarmError.single(
            job.spec_file,
            "order",
            f"the copyright page lists book_config.yaml's models: {first.problem}",
            f"{first.fix}, or take 'copyright' out of order",
        ) from None
    return {
        "title": spec.title,
        "holder": spec.copyright.holder or spec.author or "",
        "year": spec.copyright.year or datetime.date.today().year,
        "models": [
            {"name": name, "licence": pins.licences.get(name, UNDECLARED)}
            for name in pins.pinned_names()
        ],
        "note": spec.copyright.note,
    }
