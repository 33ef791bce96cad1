"""The interior page sequence: which physical page shows what, and on which side of the fold.

Physical page 1 is a right-hand page (recto). A spread takes a left-hand page and the
right-hand page after it. A blank page is added at the end when needed for an even count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from artfarm.layout.spec import LayoutSpec, StoryPage
from artfarm.problems import ArtfarmError, Problem

Kind = Literal["title", "copyright", "dedication", "story", "end", "blank"]


@dataclass(frozen=True)
class PlannedPage:
    number: int  # physical page, 1-based
    kind: Kind
    story: StoryPage | None = None
    half: Literal["left", "right"] | None = None  # which half of a spread this page shows

    @property
    def recto(self) -> bool:
        return self.number % 2 == 1

    @property
    def has_text(self) -> bool:
        """A spread's text sits on one of its two pages only."""
        if self.story is None:
            return False
        return self.half is None or self.half == self.story.text_side


@dataclass(frozen=True)
class Plan:
    pages: list[PlannedPage]
    padded: bool  # a blank page was added to make the count even

    def story_pages(self) -> list[PlannedPage]:
        return [p for p in self.pages if p.kind == "story" and p.half != "right"]


def plan_interior(spec: LayoutSpec, file: str) -> Plan:
    """Lay the order out page by page; refuse a spread that would straddle a leaf."""
    pages: list[PlannedPage] = []
    problems: list[Problem] = []

    def add(kind: Kind, story: StoryPage | None = None, half=None) -> None:
        pages.append(PlannedPage(len(pages) + 1, kind, story, half))

    for kind in spec.order:
        if kind == "dedication" and not spec.dedication:
            continue
        if kind != "story":
            add(kind)
            continue
        for i, story in enumerate(spec.pages):
            if not story.spread:
                add("story", story)
                continue
            start = len(pages) + 1
            if start % 2 == 1:
                problems.append(
                    Problem(
                        file,
                        f"pages[{i}].spread",
                        f"page {story.page}: the spread would start on right-hand page {start}",
                        "a spread must start on a left-hand (even) page: add or remove one page "
                        "before it, or set spread: false",
                    )
                )
            add("story", story, "left")
            add("story", story, "right")
    if problems:
        raise ArtfarmError(problems)
    padded = len(pages) % 2 == 1
    if padded:
        add("blank")
    return Plan(pages, padded)
