"""`artfarm next`: the agent's to-do list, read from the files on disk alone.

For every page: what it waits for (drafts to render, a draft review, a final pick), whether a
review is stale, which job failed and why — each with the files to look at and the command to
run. The same records print as text or as NDJSON (`--json`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from artfarm.atomic import write_json
from artfarm.documents.book import Book
from artfarm.pipeline.manifest import MANIFEST, read_manifest
from artfarm.problems import ArtfarmError

ERRORS_DIR = "errors"
WAITING_STATES = ("awaiting-", "stale-")  # the page waits for the agent's (new) review


@dataclass
class Todo:
    page: int
    state: str
    detail: str
    files: list[str] = field(default_factory=list)
    command: str = ""
    sheet: str = ""  # "sheet:<id>" for a rendered character sheet (page 0)

    def record(self) -> dict[str, object]:
        return asdict(self)

    def line(self) -> str:
        where = self.sheet or f"page {self.page:04d}"
        text = f"{where}: {self.state}: {self.detail}"
        if self.files:
            text += f"\n    look at: {', '.join(self.files)}"
        if self.command:
            text += f"\n    then:    {self.command}"
        return text


def failed_jobs(book: Book, page: int) -> list[Todo]:
    folder = book.page_dir(page) / ERRORS_DIR
    todos = []
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(record.read_text())
        first = data["problems"][0] if data.get("problems") else {}
        todos.append(
            Todo(
                page,
                f"failed-{data.get('stage', record.stem)}",
                first.get("problem", "the job failed"),
                [first.get("file", str(record))],
                first.get("fix", ""),
            )
        )
    return todos


def page_todo(book: Book, page: int) -> list[Todo]:
    from artfarm.pipeline.reviewing import load_review  # not for a job writing its failure

    page_dir = book.page_dir(page)
    failed = failed_jobs(book, page)
    if failed:
        return failed
    draft_dir = page_dir / "draft"
    if not (draft_dir / MANIFEST).is_file():
        waits = items_waited_for(book, page)
        if waits:
            return [
                Todo(
                    page,
                    "waits-for-sheet",
                    f"waits for {', '.join(waits)} (review first)",
                    [],
                    "",
                )
            ]
        return [
            Todo(
                page,
                "needs-drafts",
                "drafts not rendered yet",
                [],
                f"snakemake {draft_dir / MANIFEST}",
            )
        ]
    try:
        review = load_review(book, page)
    except ArtfarmError as err:
        p = err.problems[0]
        return [Todo(page, "invalid-review", p.problem, [p.file], p.fix)]
    sheet = str(draft_dir / "contact_sheet.png")
    review_cmd = f"artfarm review {book.root} {page}"
    if review is None or review.draft is None:
        return [
            Todo(
                page,
                "awaiting-draft-review",
                "pick 1–2 drafts",
                [sheet],
                f"{review_cmd} draft --select cNN --reject-rest REASON --rationale TEXT",
            )
        ]
    drafts = read_manifest(draft_dir)
    if review.draft.drafts_sha256 != drafts.images_sha256:
        return [
            Todo(
                page,
                "stale-draft-review",
                "the draft review is stale (the drafts changed after it): waits for a new one",
                [sheet],
                f"{review_cmd} draft --select cNN --reject-rest REASON --rationale TEXT",
            )
        ]
    refine_dir = page_dir / "refine"
    if not (refine_dir / MANIFEST).is_file():
        return [
            Todo(
                page,
                "needs-refine",
                "selected drafts not refined yet",
                [],
                f"snakemake {refine_dir / MANIFEST}",
            )
        ]
    variants = read_manifest(refine_dir)
    sheet = str(refine_dir / "contact_sheet.png")
    if review.refine is None:
        return [
            Todo(
                page,
                "awaiting-final-pick",
                "pick the final variant (fixes optional)",
                [sheet],
                f"{review_cmd} refine --final cNN-vK --reject-rest REASON --rationale TEXT",
            )
        ]
    if review.refine.variants_sha256 != variants.images_sha256:
        return [
            Todo(
                page,
                "stale-final-review",
                "the final review is stale (the variants changed after it): waits for a new one",
                [sheet],
                f"{review_cmd} refine --final cNN-vK --reject-rest REASON --rationale TEXT",
            )
        ]
    if not (page_dir / "print" / MANIFEST).is_file():
        return [
            Todo(
                page,
                "needs-print",
                "final and print art not made yet",
                [],
                f"snakemake {page_dir / 'print' / MANIFEST}",
            )
        ]
    return []


def items_waited_for(book: Book, page: int) -> list[str]:
    """The rendered bible items the page uses (its characters' sheets, its golden images) that
    are not approved and placed yet, as labels (`sheet:bear`, `style:meadow`)."""
    from artfarm.pipeline.bible_items import rendered_items, rendered_manifest_path
    from artfarm.rendering.references import page_references

    try:
        used = {ref.path for ref in page_references(book, page)}
        items = rendered_items(book)
    except ArtfarmError:
        return []
    return [
        item.label
        for item in items
        if book.root / item.rendered in used and not rendered_manifest_path(book, item).is_file()
    ]


def book_todo(book: Book) -> list[Todo]:
    """Bible item reviews first, sheets then golden images (pages wait for the items they
    use), then the pages in order."""
    from artfarm.pipeline.bible_items import item_todo

    try:
        sheets = item_todo(book)
    except ArtfarmError as err:
        p = err.problems[0]
        sheets = [Todo(0, "invalid-bible", p.problem, [p.file], p.fix, sheet="bible")]
    return sheets + [todo for page in book.page_numbers() for todo in page_todo(book, page)]


def render_summary(book: Book, todos: list[Todo]) -> str:
    if not todos:
        return f"{book.root}: every page is printed; nothing waits for you."
    waiting = sum(1 for t in todos if t.state.startswith(WAITING_STATES))
    sheets = sum(1 for t in todos if t.sheet)
    who = f"{len(todos) - sheets} page(s)" + (f" and {sheets} bible item(s)" if sheets else "")
    head = f"{book.root}: {who} need something ({waiting} wait for a review)"
    return "\n".join([head, *storyboard_hint(book, todos), *(t.line() for t in todos)])


def storyboard_hint(book: Book, todos: list[Todo]) -> list[str]:
    """A fresh book (no page drafted, no storyboard yet): the cheap look at the whole book
    comes before the first draft burst (artfarm.layout.storyboard)."""
    fresh = all(t.state == "needs-drafts" for t in todos)
    if not fresh or (book.root / "layout" / "storyboard.pdf").exists():
        return []
    return [
        "first, the whole book at a glance (one cheap thumbnail per page, no draft burst):",
        f"    snakemake {book.root / 'layout' / 'storyboard.pdf'}",
    ]


def write_failure(page_dir: Path, stage: str, problems: list[dict[str, str]]) -> None:
    write_json(page_dir / ERRORS_DIR / f"{stage}.json", {"stage": stage, "problems": problems})


def clear_failure(page_dir: Path, stage: str) -> None:
    (page_dir / ERRORS_DIR / f"{stage}.json").unlink(missing_ok=True)


def book_summary(book: Book) -> str:
    """The to-do summary of one book (printed when a run stops), or why it cannot be read."""
    try:
        return render_summary(book, book_todo(book))
    except ArtfarmError as err:
        return f"{book.root}: {err}"
