"""What the board shows, read from the book's files alone.

The board shows review subjects (artfarm.pipeline.subjects): the bible's rendered items
(character sheets, golden images) first, then the pages. A subject's state comes from its
to-do records (the same `artfarm next` prints); the board only names them for people and adds
"rendering" when a build is running and one of its job logs has not finished yet. Spreads follow
`layout/book.yaml` when it is valid, else the render pages in order.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artfarm.documents.book import Book
from artfarm.layout.plan import plan_interior
from artfarm.layout.spec import load_layout_spec
from artfarm.pipeline.awaiting import WAIT_MARK
from artfarm.pipeline.manifest import MANIFEST, StageManifest, read_manifest
from artfarm.pipeline.subjects import PageSubject, Subject, bible_subjects
from artfarm.pipeline.todo import Todo
from artfarm.problems import ArtfarmError

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
    "waits-for-sheet": ("queued", "waits for a sheet or golden image (review it first)"),
    "needs-sheet-drafts": ("queued", "drafts not rendered yet"),  # a bible item's
    "needs-sheet-final": ("queued", "approved image not placed yet"),
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
    key: str  # the subject's name: "7" or "sheet:bear"
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
            "subject": self.key,
            "page": int(self.key) if self.key.isdigit() else 0,
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "todo": self.todo,
            "progress": [p.record() for p in self.progress],
        }


def review_etag(subject: Subject) -> str:
    """The version of review.json a tab loaded: a save naming an older one is a conflict."""
    path = subject.review_path
    if not path.is_file():
        return NO_REVIEW
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def log_progress(subject: Subject) -> list[Progress]:
    """Stage logs whose last line is not "wrote …", an error or a wait: jobs under way."""
    folder = subject.folder / "logs"
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


def state_of(todo: Todo | None, key: str) -> PageState:
    if todo is None:
        return PageState(key, "done", "done")
    if todo.state.startswith("failed-"):
        stage = todo.state.removeprefix("failed-")
        return PageState(key, "failed", f"{stage} failed", todo.detail, todo.command, todo.state)
    kind, label = LABELS.get(todo.state, ("queued", todo.state))
    if todo.state == "waits-for-sheet" and todo.detail:
        label = todo.detail  # names the items: "waits for sheet:bear, style:dusk (review first)"
    return PageState(key, kind, label, todo.detail, todo.command, todo.state)


def subject_state(subject: Subject, building: bool) -> PageState:
    todos = subject.todo()
    state = state_of(todos[0] if todos else None, subject.key)
    if building:
        state.progress = log_progress(subject)
        if state.progress and state.kind != "failed":
            state.kind, state.label = "rendering", "rendering"
    return state


def manifest_or_none(folder: Path) -> StageManifest | None:
    if not (folder / MANIFEST).is_file():
        return None
    try:
        return read_manifest(folder)
    except ArtfarmError:
        return None


@dataclass
class Tile:
    """One physical page of a spread (a render page's art, or a named page without art), or
    one of the bible's rendered items."""

    kind: str  # story, title, dedication, end, blank, missing; sheet
    page: int | None = None
    state: PageState | None = None
    art: tuple[str, str] | None = None
    wide: bool = False  # the art spans both pages of the spread
    key: str = ""  # the subject's name in URLs: "7" or "sheet:bear"
    label: str = ""


@dataclass
class BookView:
    title: str
    spreads: list[list[Tile]]
    layout_problem: str = ""
    pages: list[int] = field(default_factory=list)
    bible: list[Tile] = field(default_factory=list)


def subject_tile(subject: Subject, building: bool, kind: str = "story", wide: bool = False) -> Tile:
    state = subject_state(subject, building)
    page = subject.page if isinstance(subject, PageSubject) else None
    return Tile(kind, page, state, subject.best_art(), wide, subject.key, subject.label)


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
            tiles.append(subject_tile(PageSubject(book, page), building, kind, wide))
        else:
            tiles.append(Tile(kind if page is None else "missing", page, wide=wide))
    try:
        title = book.config.title
    except ArtfarmError:
        title = book.id
    bible = [subject_tile(s, building, s.kind) for s in bible_subjects(book)]
    return BookView(title, pair_spreads(tiles), problem, sorted(rendered), bible)


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
    key: str
    label: str
    takes_fixes: bool
    state: PageState
    words_name: str
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
    neighbours: tuple[tuple[str, str] | None, tuple[str, str] | None]  # (key, label)
    next_waiting: tuple[str, str] | None

    @property
    def active(self) -> str:
        """The review the keys act on: the final pick once variants wait for it, else drafts."""
        later = (
            "awaiting-final-pick",
            "stale-final-review",
            "needs-print",
            "needs-sheet-final",
            "done",
        )
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


def read_history(subject: Subject) -> list[dict[str, Any]]:
    """Earlier reviews (review.history.jsonl), newest first."""
    path = subject.review_path.with_name("review.history.jsonl")
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


def raw_review(subject: Subject) -> dict[str, Any] | None:
    path = subject.review_path
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def prompts_of(subject: Subject) -> tuple[dict[str, str], str]:
    try:
        prompts = subject.prompts()
    except ArtfarmError as err:
        return {}, err.problems[0].line()
    return {"positive": prompts.positive, "negative": prompts.negative}, ""


def words_of(subject: Subject) -> tuple[str, str]:
    try:
        return subject.words()
    except ArtfarmError as err:
        return "its words", err.problems[0].line()


def subjects_in_order(book: Book) -> list[Subject]:
    """What `n`/`p` walk through: the bible's rendered items, then the pages."""
    return [*bible_subjects(book), *(PageSubject(book, p) for p in book.page_numbers())]


def page_view(book: Book, subject: Subject, building: bool) -> PageView:
    state = subject_state(subject, building)
    review = raw_review(subject)
    order = subjects_in_order(book)
    keys = [s.key for s in order]
    index = keys.index(subject.key)
    prompts, prompt_problem = prompts_of(subject)
    words_name, words = words_of(subject)
    return PageView(
        key=subject.key,
        label=subject.label,
        takes_fixes=subject.takes_fixes,
        state=state,
        words_name=words_name,
        spec=words,
        prompts=prompts,
        prompt_problem=prompt_problem,
        drafts=candidates(subject.folder / "draft", "draft", (review or {}).get("draft")),
        variants=candidates(subject.folder / "refine", "refine", (review or {}).get("refine")),
        review=review,
        review_problem=state.detail if state.todo == "invalid-review" else "",
        history=read_history(subject),
        etag=review_etag(subject),
        art=subject.best_art(),
        neighbours=(
            named(order[index - 1]) if index > 0 else None,
            named(order[index + 1]) if index + 1 < len(order) else None,
        ),
        next_waiting=next_waiting(order, index),
    )


def named(subject: Subject) -> tuple[str, str]:
    return subject.key, subject.label


def next_waiting(order: list[Subject], index: int) -> tuple[str, str] | None:
    """The next subject after `index` (wrapping round) that waits for a review, if any."""
    for other in order[index + 1 :] + order[:index]:
        if subject_state(other, False).waits_for_review:
            return named(other)
    return None
