"""The review gates: nothing is refined or finalised from a missing or stale review.

`select_drafts` copies the drafts the review chose into `selected/` (hard links), after checking
the review against the draft manifest. `refine_review_for` is the same gate for the final pick.
Both fail with one message naming the page, the contact sheet to look at and the command to run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from artfarm.documents.book import Book
from artfarm.documents.review import DraftReview, RefineReview
from artfarm.pipeline.awaiting import AwaitingReview, StaleReview
from artfarm.pipeline.manifest import (
    OutputFile,
    StageManifest,
    images_identity,
    read_manifest,
    write_manifest,
)
from artfarm.pipeline.render_cache import place
from artfarm.pipeline.reviewing import (
    draft_problems,
    load_review,
    pruned_picks,
    refine_problems,
    stale_problem,
)
from artfarm.problems import ArtfarmError, Problem


def awaiting(book: Book, page: int, stage: str) -> ArtfarmError:
    folder = "draft" if stage == "draft" else "refine"
    sheet = book.page_dir(page) / folder / "contact_sheet.png"
    what = (
        "--select cNN [--select cNN] --reject-rest REASON"
        if stage == "draft"
        else ("--final cNN-vK --reject-rest REASON")
    )
    return AwaitingReview.single(
        str(book.review_path(page)),
        stage,
        f"page {page:04d} waits for its {stage} review (look at {sheet})",
        f"run `artfarm review {book.root} {page} {stage} {what} --rationale TEXT`",
    )


def draft_review_for(book: Book, page: int, drafts: StageManifest) -> DraftReview:
    review = load_review(book, page)
    file = str(book.review_path(page))
    sheet = book.page_dir(page) / "draft" / "contact_sheet.png"
    return draft_gate(
        None if review is None else review.draft,
        drafts,
        file,
        sheet,
        lambda: awaiting(book, page, "draft"),
        lambda section: pruned_picks(book, page, "draft", section.selected, file),
    )


def draft_gate(
    section: DraftReview | None,
    drafts: StageManifest,
    file: str,
    sheet: Path,
    wait: Callable[[], ArtfarmError],
    more: Callable[[DraftReview], list[Problem]] = lambda _: [],
) -> DraftReview:
    """The draft gate of any reviewed subject (a page, a character sheet): missing → wait,
    stale → wait for a new review, else every check of `artfarm review`."""
    if section is None:
        raise wait()
    if section.drafts_sha256 != drafts.images_sha256:
        raise StaleReview(
            stale_problem(file, "draft", section.drafts_sha256, drafts.images_sha256, sheet)
        )
    problems = draft_problems(section, drafts, file) + more(section)
    if problems:
        raise ArtfarmError(problems)
    return section


def refine_review_for(book: Book, page: int, variants: StageManifest) -> RefineReview:
    review = load_review(book, page)
    file = str(book.review_path(page))
    return refine_gate(
        book,
        None if review is None else review.refine,
        variants,
        file,
        book.page_dir(page) / "refine" / "contact_sheet.png",
        lambda: awaiting(book, page, "refine"),
        lambda section: pruned_picks(book, page, "refine", [section.final], file),
    )


def refine_gate(
    book: Book,
    section: RefineReview | None,
    variants: StageManifest,
    file: str,
    sheet: Path,
    wait: Callable[[], ArtfarmError],
    more: Callable[[RefineReview], list[Problem]] = lambda _: [],
) -> RefineReview:
    """The final-pick gate of any reviewed subject, as `draft_gate`."""
    if section is None:
        raise wait()
    if section.variants_sha256 != variants.images_sha256:
        raise StaleReview(
            stale_problem(file, "refine", section.variants_sha256, variants.images_sha256, sheet)
        )
    problems = refine_problems(book, section, variants, sheet.parent, file) + more(section)
    if problems:
        raise ArtfarmError(problems)
    return section


def select_drafts(book: Book, page: int, params: str) -> Path:
    """Gate + copy: selected/<id>.png for each chosen draft, then selected/manifest.json."""
    page_dir = book.page_dir(page)
    drafts = read_manifest(page_dir / "draft")
    review = draft_review_for(book, page, drafts)
    out_dir = page_dir / "selected"
    outputs = copy_selected(drafts, review, page_dir / "draft", out_dir)
    manifest = StageManifest(
        stage="selected",
        book_id=book.id,
        page=page,
        spec=drafts.spec,
        params=params,
        outputs=outputs,
        images_sha256=images_identity(outputs),
        notes={"rationale": review.rationale, "reviewer": review.reviewer},
    )
    return write_manifest(out_dir, manifest)


def copy_selected(
    drafts: StageManifest, review: DraftReview, draft_dir: Path, out_dir: Path
) -> list[OutputFile]:
    """The chosen drafts into `out_dir` (hard links); strays of an earlier choice go."""
    outputs: list[OutputFile] = []
    for cid in review.selected:
        chosen = drafts.output(cid)
        assert chosen is not None  # draft_problems checked the ids
        place(draft_dir / chosen.file, out_dir / chosen.file)
        outputs.append(chosen.model_copy(update={"source": cid}))
    for stray in out_dir.glob("c*.png"):
        if stray.name not in {o.file for o in outputs}:
            stray.unlink()
    return outputs
