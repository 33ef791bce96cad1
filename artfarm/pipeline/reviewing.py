"""Reviews: check a review.json against the images it judges, and write one for the agent.

The same checks guard `artfarm review` and a hand-written review.json: ids that exist, a
reason for every rejected image, masks inside the image, and the hash of the images judged.
A review never disappears: before one is replaced, the old text is appended to
`review.history.jsonl` beside it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from artfarm.atomic import canonical_json, write_text
from artfarm.documents.book import Book
from artfarm.documents.reader import (
    book_file,
    load_json_model,
    open_image,
    problems_from_validation,
)
from artfarm.documents.review import (
    BoxMask,
    DraftReview,
    ImageMask,
    InpaintFix,
    PolygonMask,
    RefineReview,
    Review,
)
from artfarm.pipeline.manifest import StageManifest, read_manifest
from artfarm.pipeline.pruned import pruned_problem
from artfarm.problems import ArtfarmError, Problem

M = TypeVar("M", bound=BaseModel)

AUTO_REVIEWER = "artfarm review --auto"
AUTO_RULE = "automatic rule: the first {what} in id order is chosen, every other one rejected"


def load_review(book: Book, page: int) -> Review | None:
    path = book.review_path(page)
    if not os.path.lexists(path):
        return None
    review = load_json_model(Review, path, "review", root=book.root)
    if review.book_id != book.id or review.page != page:
        raise ArtfarmError.single(
            str(path),
            "page",
            f"review is for {review.book_id} page {review.page}",
            f"set book_id to {book.id!r} and page to {page}",
        )
    return review


def draft_problems(review: DraftReview, drafts: StageManifest, file: str) -> list[Problem]:
    ids = set(drafts.ids())
    problems = [
        Problem(
            file,
            f"draft.selected[{i}]",
            f"{cid} is not a draft of this page",
            f"use one of {', '.join(sorted(ids))}",
        )
        for i, cid in enumerate(review.selected)
        if cid not in ids
    ]
    problems += [
        Problem(file, f"draft.rejected.{cid}", f"{cid} is not a draft of this page", "remove it")
        for cid in review.rejected
        if cid not in ids
    ]
    missing = sorted(ids - set(review.selected) - set(review.rejected))
    if missing:
        problems.append(
            Problem(
                file,
                "draft.rejected",
                f"no reason given for rejecting {', '.join(missing)}",
                "give each candidate not selected a reason in draft.rejected",
            )
        )
    return problems


def refine_problems(
    book: Book, review: RefineReview, variants: StageManifest, page_dir: Path, file: str
) -> list[Problem]:
    ids = set(variants.ids())
    problems = []
    if review.final not in ids:
        problems.append(
            Problem(
                file,
                "refine.final",
                f"{review.final} is not a variant of this page",
                f"use one of {', '.join(sorted(ids))}",
            )
        )
    problems += [
        Problem(file, f"refine.rejected.{vid}", f"{vid} is not a variant of this page", "remove it")
        for vid in review.rejected
        if vid not in ids
    ]
    chosen = variants.output(review.final)
    if chosen is not None:
        for i, fix in enumerate(review.fixes):
            problems += mask_problems(book, fix, (chosen.width, chosen.height), file, i)
    return problems


def mask_problems(
    book: Book, fix: InpaintFix, size: tuple[int, int], file: str, index: int
) -> list[Problem]:
    width, height = size
    field = f"refine.fixes[{index}].mask"
    mask = fix.mask
    inside = f"keep it inside the {width}×{height} image"
    if isinstance(mask, BoxMask):
        if mask.x + mask.width > width or mask.y + mask.height > height:
            return [Problem(file, field, "box reaches outside the image", inside)]
    elif isinstance(mask, PolygonMask):
        if any(not (0 <= x <= width and 0 <= y <= height) for x, y in mask.points):
            return [Problem(file, field, "a polygon point lies outside the image", inside)]
    elif isinstance(mask, ImageMask):
        try:
            path = book_file(book.root, mask.path, source=file, field=f"{field}.path")
            with open_image(path, source=file, field=f"{field}.path") as image:
                actual = image.size
        except ArtfarmError as err:
            return err.problems
        if actual != size:
            return [
                Problem(
                    file,
                    f"{field}.path",
                    f"mask is {actual[0]}×{actual[1]}",
                    f"make it {width}×{height}, the size of the judged variant",
                )
            ]
    return []


def pruned_picks(book: Book, page: int, stage: str, picks: list[str], file: str) -> list[Problem]:
    """An image deleted by `artfarm prune` cannot be picked until it is brought back."""
    field = "draft.selected[{}]" if stage == "draft" else "refine.final"
    found = (
        pruned_problem(book, page, stage, pick, file, field.format(i))
        for i, pick in enumerate(picks)
    )
    return [p for p in found if p is not None]


def stale_problem(file: str, section: str, judged: str, current: str, sheet: Path) -> Problem:
    return Problem(
        file,
        f"{section}.{'drafts_sha256' if section == 'draft' else 'variants_sha256'}",
        f"the {section} review is stale: it judged images {judged[:12]}…, they are now "
        f"{current[:12]}… (spec edited or model swapped)",
        f"look at {sheet} again and re-review with `artfarm review ... {section} ...`",
    )


def save_review(book: Book, page: int, review: Review) -> Path:
    """Write review.json atomically, keeping the previous text in review.history.jsonl."""
    return write_review_file(book.review_path(page), review)


def write_review_file(path: Path, review: BaseModel) -> Path:
    """Any review document (a page's, a sheet's): atomically, the old text kept in history."""
    if path.is_file():
        old = path.read_text(encoding="utf-8")
        with open(path.with_name("review.history.jsonl"), "a", encoding="utf-8") as history:
            history.write(json.dumps({"replaced_at": now().isoformat(), "text": old}) + "\n")
    return write_text(path, canonical_json(review.model_dump(mode="json", exclude_none=True)))


def build(model: type[M], data: dict[str, Any], file: str, section: str) -> M:
    """Validate a review section built from the command line, naming fields as in the file."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = problems_from_validation(err, file, "review")
        raise ArtfarmError(
            Problem(p.file, f"{section}.{p.field}" if p.field else section, p.problem, p.fix)
            for p in problems
        ) from None


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def draft_section(
    drafts: StageManifest,
    file: str,
    *,
    selected: list[str],
    rejected: dict[str, str],
    rationale: str,
    reviewer: str,
    automatic: bool,
) -> DraftReview:
    """The draft section a review command writes (a page's or a sheet's), validated now."""
    data = {
        "drafts_sha256": drafts.images_sha256,
        "selected": selected,
        "rejected": rejected,
        "rationale": rationale,
        "reviewer": reviewer,
        "automatic": automatic,
        "reviewed_at": now(),
    }
    return build(DraftReview, data, file, "draft")


def refine_section(
    variants: StageManifest,
    file: str,
    *,
    final: str,
    rejected: dict[str, str],
    fixes: list[InpaintFix],
    rationale: str,
    reviewer: str,
    automatic: bool,
) -> RefineReview:
    """The refine section a review command writes (a page's or a sheet's), validated now."""
    data = {
        "variants_sha256": variants.images_sha256,
        "final": final,
        "rejected": rejected,
        "fixes": fixes,
        "rationale": rationale,
        "reviewer": reviewer,
        "automatic": automatic,
        "reviewed_at": now(),
    }
    return build(RefineReview, data, file, "refine")


def review_drafts(
    book: Book,
    page: int,
    *,
    selected: list[str],
    rejected: dict[str, str],
    rationale: str,
    reviewer: str,
    automatic: bool = False,
) -> Path:
    drafts = read_manifest(book.page_dir(page) / "draft")
    file = str(book.review_path(page))
    section = draft_section(
        drafts,
        file,
        selected=selected,
        rejected=rejected,
        rationale=rationale,
        reviewer=reviewer,
        automatic=automatic,
    )
    problems = draft_problems(section, drafts, file)
    problems += pruned_picks(book, page, "draft", selected, file)
    if problems:
        raise ArtfarmError(problems)
    old = load_review(book, page)
    keep_refine = old is not None and old.draft is not None and old.draft.selected == selected
    review = Review(
        book_id=book.id, page=page, draft=section, refine=old.refine if keep_refine else None
    )
    return save_review(book, page, review)


def review_refine(
    book: Book,
    page: int,
    *,
    final: str,
    rejected: dict[str, str],
    fixes: list[InpaintFix],
    rationale: str,
    reviewer: str,
    automatic: bool = False,
) -> Path:
    old = load_review(book, page)
    if old is None or old.draft is None:
        raise ArtfarmError.single(
            str(book.review_path(page)),
            "draft",
            "the drafts are not reviewed yet",
            "review the drafts first (`artfarm review ... draft`)",
        )
    variants = read_manifest(book.page_dir(page) / "refine")
    section = refine_section(
        variants,
        str(book.review_path(page)),
        final=final,
        rejected=rejected,
        fixes=fixes,
        rationale=rationale,
        reviewer=reviewer,
        automatic=automatic,
    )
    problems = refine_problems(
        book, section, variants, book.page_dir(page), str(book.review_path(page))
    )
    problems += pruned_picks(book, page, "refine", [final], str(book.review_path(page)))
    if problems:
        raise ArtfarmError(problems)
    return save_review(book, page, old.model_copy(update={"refine": section}))


def auto_review_drafts(book: Book, page: int) -> Path:
    ids = read_manifest(book.page_dir(page) / "draft").ids()
    chosen = ids[0]
    return review_drafts(
        book,
        page,
        selected=[chosen],
        rejected={cid: "not chosen by the automatic rule" for cid in ids if cid != chosen},
        rationale=AUTO_RULE.format(what="draft"),
        reviewer=AUTO_REVIEWER,
        automatic=True,
    )


def auto_review_refine(book: Book, page: int) -> Path:
    ids = read_manifest(book.page_dir(page) / "refine").ids()
    chosen = ids[0]
    return review_refine(
        book,
        page,
        final=chosen,
        rejected={vid: "not chosen by the automatic rule" for vid in ids if vid != chosen},
        fixes=[],
        rationale=AUTO_RULE.format(what="variant"),
        reviewer=AUTO_REVIEWER,
        automatic=True,
    )
