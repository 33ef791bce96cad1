"""What the board shows, read from the book's files alone.

A page's state comes from `artfarm.pipeline.todo.page_todo` (the same records `artfarm next`
prints); the board only names them for people and adds "rendering" when a build is running and
one of the page's job logs has not finished yet. Spreads follow `layout/book.yaml` when it is
valid, else the render pages in order.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artfarm.documents.book import Book
from artfarm.layout.art import find_art
from artfarm.layout.plan import plan_interior
from artfarm.layout.spec import load_layout_spec
from artfarm.layout.storyboard import STORYBOARD
from artfarm.pipeline.manifest import MANIFEST, StageManifest, read_manifest
from artfarm.pipeline.selection import WAIT_MARK
from artfarm.pipeline.todo import Todo, page_todo
from artfarm.problems import ArtfarmError
from artfarm.rendering.prompts import compile_prompts

NO_REVIEW = "none"
STAGE_LOGS = ("draft", "select", "refine", "final", "print")
STEP = re.compile(r"step (\d+)/(\d+)")
FINISHED = re.compile(rf"(: wrote |^error: |^{re.escape(WAIT_MARK)})")

LABELS = {
    "awaiting-draft-review": ("draft-review", "waiting for draft review"),
    "stale-draft-review": ("stale", "stale: drafts changed after the review"),
    "awaiting-final-pick": ("final-pick", "waiting for the final pick"),
    "stale-final-review": ("stale", "stale: variants changed after the review"),
    "invalid-review": ("failed", "review.json is invalid"),
    "needs-drafts": ("queued", "drafts not rendered yet"),
    "needs-refine": ("queued", "refine not rendered yet"),
    "needs-print": ("queued", "final and print art not made yet"),
    "waits-for-sheet": ("queued", "waits for a character sheet (review it first)"),
}


@dataclass
class Progress:
    """The newest line of one job log that has not finished."""

    log: str
    line: str
    step: int | None = None
    total: int | None = None

    def record(self) -> dict[str, Any]:
        return {"log": self.log, "line": self.line, "step": self.step, "total": self.total}


@dataclass
class PageState:
    page: int
    kind: str  # css class: draft-review, final-pick, stale, failed, queued, rendering, done
    label: str
    detail: str = ""
    fix: str = ""
    todo: str = "done"
    progress: list[Progress] = field(default_factory=list)

    @property
    def waits_for_review(self) -> bool:
        return self.kind in ("draft-review", "final-pick", "stale")

    def record(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "todo": self.todo,
            "progress": [p.record() for p in self.progress],
        }


def review_etag(book: Book, page: int) -> str:
    """The version of review.json a tab loaded: a save naming an older one is a conflict."""
    path = book.review_path(page)
    if not path.is_file():
        return NO_REVIEW
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def log_progress(book: Book, page: int) -> list[Progress]:
    """Stage logs whose last line is not "wrote …", an error or a wait: jobs under way."""
    folder = book.page_dir(page) / "logs"
    found = []
    for stage in STAGE_LOGS:
        path = folder / f"{stage}.log"
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        if not lines or FINISHED.search(lines[-1]):
            continue
        step = STEP.search(lines[-1])
        found.append(
            Progress(
                stage,
                lines[-1],
                int(step.group(1)) if step else None,
                int(step.group(2)) if step else None,
            )
        )
    return found


def state_of(todo: Todo | None, page: int) -> PageState:
    if todo is None:
        return PageState(page, "done", "done")
    if todo.state.startswith("failed-"):
        stage = todo.state.removeprefix("failed-")
        return PageState(page, "failed", f"{stage} failed", todo.detail, todo.command, todo.state)
    kind, label = LABELS.get(todo.state, ("queued", todo.state))
    return PageState(page, kind, label, todo.detail, todo.command, todo.state)


def page_state(book: Book, page: int, building: bool) -> PageState:
    todos = page_todo(book, page)
    state = state_of(todos[0] if todos else None, page)
    if building:
        state.progress = log_progress(book, page)
        if state.progress and state.kind != "failed":
            state.kind, state.label = "rendering", "rendering"
    return state


def best_art(book: Book, page: int) -> tuple[str, str] | None:
    """(stage folder, file name) of the best image so far, as the storyboard chooses it (the
    final pick, else a selected draft, else the thumbnail); else the first draft."""
    found = find_art(book.root, page, STORYBOARD.sources)
    if found is not None:
        path, source = found
        return source, path.name
    drafts = manifest_or_none(book.page_dir(page) / "draft")
    if drafts is not None and drafts.outputs:
        return "draft", drafts.outputs[0].file
    return None


def manifest_or_none(folder: Path) -> StageManifest | None:
    if not (folder / MANIFEST).is_file():
        return None
    try:
        return read_manifest(folder)
    except ArtfarmError:
        return None


@dataclass
class Tile:
    """One physical page of a spread: a render page's art, or a named page without art."""

    kind: str  # story, title, dedication, end, blank
    page: int | None = None
    state: PageState | None = None
    art: tuple[str, str] | None = None
    wide: bool = False  # the art spans both pages of the spread


@dataclass
class BookView:
    title: str
    spreads: list[list[Tile]]
    layout_problem: str = ""
    pages: list[int] = field(default_factory=list)


def reading_order(book: Book) -> tuple[list[tuple[str, int | None, bool]], str]:
    """(kind, render page, spans a spread) per physical page; the layout's problem, if any."""
    try:
        spec = load_layout_spec(book.layout_path)
        plan = plan_interior(spec, str(book.layout_path))
    except ArtfarmError as err:
        order = [("story", p, False) for p in book.page_numbers()]
        return order, err.problems[0].line()
    order = []
    for planned in plan.pages:
        if planned.half == "right":
            continue
        page = planned.story.page if planned.story else None
        order.append((planned.kind, page, planned.half == "left"))
    return order, ""


def pair_spreads(tiles: list[Tile]) -> list[list[Tile]]:
    """Page 1 is a right-hand page alone; then left/right pairs; a wide tile is a spread."""
    spreads: list[list[Tile]] = []
    current: list[Tile] = []
    for index, tile in enumerate(tiles):
        if index == 0 or tile.wide:
            if current:
                spreads.append(current)
            spreads.append([tile])
            current = []
            continue
        current.append(tile)
        if len(current) == 2:
            spreads.append(current)
            current = []
    if current:
        spreads.append(current)
    return spreads


def book_view(book: Book, building: bool) -> BookView:
    order, problem = reading_order(book)
    rendered = set(book.page_numbers())
    tiles = []
    for kind, page, wide in order:
        if page is not None and page in rendered:
            tiles.append(
                Tile(kind, page, page_state(book, page, building), best_art(book, page), wide)
            )
        else:
            tiles.append(Tile(kind if page is None else "missing", page, wide=wide))
    try:
        title = book.config.title
    except ArtfarmError:
        title = book.id
    return BookView(title, pair_spreads(tiles), problem, sorted(rendered))


@dataclass
class Candidate:
    id: str
    stage: str
    file: str
    width: int
    height: int
    source: str | None
    verdict: str = ""  # selected, final, rejected
    reason: str = ""


@dataclass
class PageView:
    page: int
    state: PageState
    spec: str
    prompts: dict[str, str]
    prompt_problem: str
    drafts: list[Candidate]
    variants: list[Candidate]
    review: dict[str, Any] | None
    review_problem: str
    history: list[dict[str, Any]]
    etag: str
    art: tuple[str, str] | None
    neighbours: tuple[int | None, int | None]
    next_waiting: int | None

    @property
    def active(self) -> str:
        """The review the keys act on: the final pick once variants wait for it, else drafts."""
        later = ("awaiting-final-pick", "stale-final-review", "needs-print", "done")
        return "refine" if self.variants and self.state.todo in later else "draft"


def candidates(folder: Path, stage: str, section: dict[str, Any] | None) -> list[Candidate]:
    manifest = manifest_or_none(folder)
    if manifest is None:
        return []
    chosen = set()
    rejected: dict[str, str] = {}
    if section:
        chosen = set(section.get("selected", [])) | {section.get("final")}
        rejected = section.get("rejected", {})
    found = []
    for out in manifest.outputs:
        verdict = "chosen" if out.id in chosen else "rejected" if out.id in rejected else ""
        found.append(
            Candidate(
                out.id,
                stage,
                out.file,
                out.width,
                out.height,
                out.source,
                verdict,
                rejected.get(out.id, ""),
            )
        )
    return found


def read_history(book: Book, page: int) -> list[dict[str, Any]]:
    """Earlier reviews of the page (review.history.jsonl), newest first."""
    path = book.review_path(page).with_name("review.history.jsonl")
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            entries.append({"replaced_at": record["replaced_at"], **json.loads(record["text"])})
        except (ValueError, KeyError, TypeError):
            continue
    return entries[::-1]


def raw_review(book: Book, page: int) -> dict[str, Any] | None:
    path = book.review_path(page)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def prompts_of(book: Book, page: int) -> tuple[dict[str, str], str]:
    try:
        spec = book.load_spec(page)
        prompts = compile_prompts(spec, book.style_pack, book.bible, book.templates_dir)
    except ArtfarmError as err:
        return {}, err.problems[0].line()
    return {"positive": prompts.positive, "negative": prompts.negative}, ""


def page_view(book: Book, page: int, building: bool) -> PageView:
    state = page_state(book, page, building)
    review = raw_review(book, page)
    pages = book.page_numbers()
    index = pages.index(page)
    folder = book.page_dir(page)
    prompts, prompt_problem = prompts_of(book, page)
    return PageView(
        page=page,
        state=state,
        spec=book.spec_path(page).read_text(encoding="utf-8"),
        prompts=prompts,
        prompt_problem=prompt_problem,
        drafts=candidates(folder / "draft", "draft", (review or {}).get("draft")),
        variants=candidates(folder / "refine", "refine", (review or {}).get("refine")),
        review=review,
        review_problem=state.detail if state.todo == "invalid-review" else "",
        history=read_history(book, page),
        etag=review_etag(book, page),
        art=best_art(book, page),
        neighbours=(
            pages[index - 1] if index > 0 else None,
            pages[index + 1] if index + 1 < len(pages) else None,
        ),
        next_waiting=next_waiting(book, page, pages),
    )


def next_waiting(book: Book, page: int, pages: list[int]) -> int | None:
    """The next page after `page` (wrapping round) that waits for a review, if any."""
    later = [p for p in pages if p > page] + [p for p in pages if p < page]
    for other in later:
        if page_state(book, other, False).waits_for_review:
            return other
    return None
