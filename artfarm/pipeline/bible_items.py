"""Phase 0: the bible's rendered items, through the same loop as a page.

A bible item (documents.bible.BibleItem) is a character's sheet (`sheet:<id>`, from its words
and `render_sheet:`) or a golden image (`style:<id>`, a style reference from a few scene words
and `render:` in `style_refs:`). One code path serves both:

    bible/sheets/<id>/  or  bible/golden/<id>/     the item's work folder (item_dir)
        draft/          c01.png … + manifest.json + contact_sheet.png (one GPU job)
        review.json     the agent's review: same sections, checks, history, staleness
        selected/       the drafts the review kept
        refine/         c01-v1.png … + manifest.json + contact_sheet.png
    bible/character_refs/<id>.png  or  bible/style_refs/<id>.png   the approved image
                        (rendered_path), <id>.manifest.json beside it

Public API (the CLI, the demo, the board and the MCP tools use these):
    rendered_items(book) -> [BibleItem]        sheets first, then golden images
    item_status(book) -> [ItemStatus]          each with kind, id, label, state, folders
    parse_item_arg("style:meadow") -> BibleItem | None
    item_dir / review_path / rendered_path / rendered_manifest_path(book, item)
    load_item_review, review_item_drafts, review_item_refine, auto_review_item(book, item, …)

Only items the bible renders are targets of the rules (`documents.bible.rendered_item_constraint`); a
hand-made sheet or golden image is never written. The pages that use an item list its image
as an input (artfarm.rendering.references), so they wait for its review, and a changed item
re-runs exactly those pages.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artfarm.atomic import write_json
from artfarm.documents.bible import SHEET, STYLE, BibleItem
from artfarm.documents.book import Book
from artfarm.documents.reader import load_json_model
from artfarm.documents.review import InpaintFix, SheetReview
from artfarm.documents.settings import load_settings
from artfarm.pipeline.awaiting import AwaitingReview
from artfarm.pipeline.contact_sheet import make_contact_sheet
from artfarm.pipeline.manifest import (
    MANIFEST,
    JobRecord,
    OutputFile,
    StageManifest,
    images_identity,
    read_manifest,
    write_manifest,
)
from artfarm.pipeline.render_cache import place
from artfarm.pipeline.reviewing import (
    AUTO_REVIEWER,
    AUTO_RULE,
    draft_problems,
    draft_section,
    refine_problems,
    refine_section,
    write_review_file,
)
from artfarm.pipeline.selection import copy_selected, draft_gate, refine_gate
from artfarm.pipeline.stages import StageRun, execute, output_file
from artfarm.pipeline.todo import Todo, clear_failure, write_failure
from artfarm.problems import ArtfarmError, Problem
from artfarm.rendering.compiler import CompiledJob, compile_item, item_entry, item_spec
from artfarm.rendering.prompts import Prompts, compile_prompts

ITEM_ARG = re.compile(r"^(sheet|style):([a-z][a-z0-9_]*)$")
DRAFT_WORDS = "--select cNN --reject-rest REASON --rationale TEXT"
FINAL_WORDS = "--final cNN-vK --reject-rest REASON --rationale TEXT"
NOUN = {SHEET: "sheet", STYLE: "golden image"}
NO_ITEM = BibleItem(SHEET, "")


@dataclass(frozen=True)
class ItemStatus:
    """Where one rendered bible item stands: what `artfarm next` and the board show."""

    item: BibleItem
    state: str  # "approved", or the state of its first to-do (e.g. awaiting-draft-review)
    folder: Path  # its work folder (draft/, selected/, refine/, review.json)
    image: Path  # the approved image, once state is "approved"

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def label(self) -> str:
        return self.item.label


def rendered_items(book: Book) -> list[BibleItem]:
    """The items the book's bible renders: character sheets first, then golden images."""
    return book.bible.rendered_items()


def item_status(book: Book) -> list[ItemStatus]:
    """Every rendered item of the book with its state (its first to-do, else approved)."""
    statuses = []
    for item in rendered_items(book):
        todos = one_item_todo(book, item)
        state = todos[0].state if todos else "approved"
        statuses.append(ItemStatus(item, state, item_dir(book, item), rendered_path(book, item)))
    return statuses


def item_dir(book: Book, item: BibleItem) -> Path:
    return book.root / item.folder


def review_path(book: Book, item: BibleItem) -> Path:
    return item_dir(book, item) / "review.json"


def rendered_path(book: Book, item: BibleItem) -> Path:
    return book.root / item.rendered


def rendered_manifest_path(book: Book, item: BibleItem) -> Path:
    return rendered_path(book, item).with_suffix(".manifest.json")


def parse_item_arg(text: str) -> BibleItem | None:
    """The item of a `sheet:<id>` or `style:<id>` argument, else None (a page, or `all`)."""
    match = ITEM_ARG.match(text)
    return BibleItem(match.group(1), match.group(2)) if match else None


# ------------------------------------------------------------------------------- reviews


def load_item_review(book: Book, item: BibleItem) -> SheetReview | None:
    path = review_path(book, item)
    if not os.path.lexists(path):
        return None
    review = load_json_model(SheetReview, path, "review", root=book.root)
    if review.book_id != book.id or (review.kind, review.sheet) != (item.kind, item.id):
        raise ArtfarmError.single(
            str(path),
            "sheet",
            f"review is for {review.book_id} {review.kind}:{review.sheet}",
            f"set book_id to {book.id!r}, kind to {item.kind!r} and sheet to {item.id!r}",
        )
    return review


def review_item_drafts(
    book: Book,
    item: BibleItem,
    *,
    selected: list[str],
    rejected: dict[str, str],
    rationale: str,
    reviewer: str,
    automatic: bool = False,
) -> Path:
    """`artfarm review BOOK sheet:<id>|style:<id> draft …`: the page's checks, history kept."""
    drafts = read_manifest(item_dir(book, item) / "draft")
    file = str(review_path(book, item))
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
    if problems:
        raise ArtfarmError(problems)
    old = load_item_review(book, item)
    keep_refine = old is not None and old.draft is not None and old.draft.selected == selected
    review = SheetReview(
        book_id=book.id,
        kind=item.kind,
        sheet=item.id,
        draft=section,
        refine=old.refine if old is not None and keep_refine else None,
    )
    return write_review_file(review_path(book, item), review)


def review_item_refine(
    book: Book,
    item: BibleItem,
    *,
    final: str,
    rejected: dict[str, str],
    fixes: list[InpaintFix],
    rationale: str,
    reviewer: str,
    automatic: bool = False,
) -> Path:
    file = str(review_path(book, item))
    old = load_item_review(book, item)
    if old is None or old.draft is None:
        raise ArtfarmError.single(
            file,
            "draft",
            f"the {NOUN[item.kind]}'s drafts are not reviewed yet",
            f"review them first (`artfarm review {book.root} {item.label} draft`)",
        )
    folder = item_dir(book, item) / "refine"
    variants = read_manifest(folder)
    section = refine_section(
        variants,
        file,
        final=final,
        rejected=rejected,
        fixes=fixes,
        rationale=rationale,
        reviewer=reviewer,
        automatic=automatic,
    )
    problems = refine_problems(book, section, variants, folder, file) + no_fixes(section, file)
    if problems:
        raise ArtfarmError(problems)
    updated = old.model_copy(update={"refine": section})
    return write_review_file(review_path(book, item), updated)


def no_fixes(section, file: str) -> list[Problem]:
    """Inpaint fixes are a page's tool; a bible item that needs one is re-rendered or
    hand-made."""
    if not section.fixes:
        return []
    return [
        Problem(
            file,
            "refine.fixes",
            "a bible item (character sheet or golden image) takes no inpaint fixes",
            "pick another variant, edit its words to render again, or hand-make it "
            "(a sheet in sheets:, a golden image as image:)",
        )
    ]


def auto_review_item(book: Book, item: BibleItem, stage: str) -> Path:
    """The scripted reviewer on an item: the first image in id order, as for pages."""
    folder = item_dir(book, item) / ("draft" if stage == "draft" else "refine")
    ids = read_manifest(folder).ids()
    rest = {i: "not chosen by the automatic rule" for i in ids[1:]}
    if stage == "draft":
        return review_item_drafts(
            book,
            item,
            selected=ids[:1],
            rejected=rest,
            rationale=AUTO_RULE.format(what="draft"),
            reviewer=AUTO_REVIEWER,
            automatic=True,
        )
    return review_item_refine(
        book,
        item,
        final=ids[0],
        rejected=rest,
        fixes=[],
        rationale=AUTO_RULE.format(what="variant"),
        reviewer=AUTO_REVIEWER,
        automatic=True,
    )


def is_automatic(book: Book, item: BibleItem, stage: str) -> bool:
    review = load_item_review(book, item)
    section = None if review is None else (review.draft if stage == "draft" else review.refine)
    return section is None or section.automatic


def waits_for_review(book: Book, item: BibleItem, stage: str) -> bool:
    """The stage's images exist and no current review judges them (none, or a stale one)."""
    folder = item_dir(book, item) / ("draft" if stage == "draft" else "refine")
    if not (folder / MANIFEST).is_file():
        return False
    judged = read_manifest(folder).images_sha256
    review = load_item_review(book, item)
    if review is None:
        return True
    if stage == "draft":
        return review.draft is None or review.draft.drafts_sha256 != judged
    return review.refine is None or review.refine.variants_sha256 != judged


def awaiting_item(book: Book, item: BibleItem, stage: str) -> ArtfarmError:
    folder = "draft" if stage == "draft" else "refine"
    sheet = item_dir(book, item) / folder / "contact_sheet.png"
    words = DRAFT_WORDS if stage == "draft" else FINAL_WORDS
    return AwaitingReview.single(
        str(review_path(book, item)),
        stage,
        f"the {NOUN[item.kind]} {item.id} waits for its {stage} review (look at {sheet})",
        f"run `artfarm review {book.root} {item.label} {stage} {words}`",
    )


# ------------------------------------------------------------------------------- stages


@dataclass
class ItemRun(StageRun):
    """A stage run of one bible item: its folder stands where a page's would."""

    item: BibleItem = NO_ITEM  # StageRun's fields before it have defaults

    @property
    def page_dir(self) -> Path:
        return item_dir(self.book, self.item)

    def say(self, text: str) -> None:
        print(f"[{self.book.id} {self.item.label}] {text}", file=self.log, flush=True)

    def prompts(self) -> Prompts:
        spec = item_spec(self.book, self.item)
        return compile_prompts(spec, self.book.style_pack, self.book.bible, self.book.templates_dir)


def item_manifest(
    run: ItemRun, stage: str, outputs: list[OutputFile], jobs: list[JobRecord], **notes
) -> StageManifest:
    entry = item_entry(run.book, run.item)
    return StageManifest(
        stage=stage,  # type: ignore[arg-type]
        book_id=run.book.id,
        page=0,
        sheet=run.item.id,
        kind=run.item.kind,
        spec=entry.model_dump(mode="json"),
        params=run.params,
        jobs=jobs,
        outputs=outputs,
        images_sha256=images_identity(outputs),
        notes=notes,
    )


def placed(run: ItemRun, job: CompiledJob, folder: Path, name: Callable[[int], str], source=None):
    """Render (or restore) one job and place its images in `folder`."""
    record, files = execute(run, job)
    outputs = []
    for index, src in enumerate(files, start=1):
        dest = folder / f"{name(index)}.png"
        place(src, dest)
        outputs.append(output_file(dest, dest.stem, source=source))
    record.outputs = [o.id for o in outputs]
    return record, outputs


def without_strays(folder: Path, outputs: list[OutputFile]) -> None:
    keep = {o.file for o in outputs} | {"contact_sheet.png"}
    for stray in folder.glob("*.png"):
        if stray.name not in keep:
            stray.unlink()


def run_item_draft(run: ItemRun) -> Path:
    folder = run.page_dir / "draft"
    job = compile_item(run.book, run.item, "draft")
    record, outputs = placed(run, job, folder, lambda i: f"c{i:02d}")
    without_strays(folder, outputs)
    return write_manifest(folder, item_manifest(run, "draft", outputs, [record]))


def run_item_select(run: ItemRun) -> Path:
    drafts = read_manifest(run.page_dir / "draft")
    review = load_item_review(run.book, run.item)
    section = draft_gate(
        None if review is None else review.draft,
        drafts,
        str(review_path(run.book, run.item)),
        run.page_dir / "draft" / "contact_sheet.png",
        lambda: awaiting_item(run.book, run.item, "draft"),
    )
    out_dir = run.page_dir / "selected"
    outputs = copy_selected(drafts, section, run.page_dir / "draft", out_dir)
    manifest = item_manifest(
        run, "selected", outputs, [], rationale=section.rationale, reviewer=section.reviewer
    )
    return write_manifest(out_dir, manifest)


def refine_item_jobs(book: Book, item: BibleItem) -> list[tuple[str, CompiledJob]]:
    folder = item_dir(book, item) / "selected"
    return [
        (
            chosen.id,
            compile_item(book, item, "refine", image=folder / chosen.file, candidate=chosen.id),
        )
        for chosen in read_manifest(folder).outputs
    ]


def run_item_refine(run: ItemRun) -> Path:
    folder = run.page_dir / "refine"
    outputs, jobs = [], []
    for candidate, job in refine_item_jobs(run.book, run.item):
        record, made = placed(run, job, folder, lambda k, c=candidate: f"{c}-v{k}", candidate)
        outputs += made
        jobs.append(record)
    without_strays(folder, outputs)
    return write_manifest(folder, item_manifest(run, "refine", outputs, jobs))


def run_item_final(run: ItemRun) -> Path:
    """The picked variant becomes the item's approved image (bible/character_refs/<id>.png
    or bible/style_refs/<id>.png), its manifest beside it."""
    folder = run.page_dir / "refine"
    variants = read_manifest(folder)
    review = load_item_review(run.book, run.item)
    file = str(review_path(run.book, run.item))
    section = refine_gate(
        run.book,
        None if review is None else review.refine,
        variants,
        file,
        folder / "contact_sheet.png",
        lambda: awaiting_item(run.book, run.item, "refine"),
        lambda s: no_fixes(s, file),
    )
    chosen = variants.output(section.final)
    assert chosen is not None  # refine_gate checked it
    dest = rendered_path(run.book, run.item)
    place(folder / chosen.file, dest)
    made = output_file(dest, run.item.id, source=section.final)
    manifest = item_manifest(
        run,
        "final",
        [made.model_copy(update={"file": dest.name})],
        [],
        final=section.final,
        rationale=section.rationale,
        reviewer=section.reviewer,
        variants=f"{folder.relative_to(run.book.root).as_posix()}/{MANIFEST}",
    )
    write_json(
        rendered_manifest_path(run.book, run.item),
        manifest.model_dump(mode="json"),
        sort_keys=False,
    )
    return dest


def item_contact(run: ItemRun, stage: str) -> Path:
    """The contact sheet of a sheet's drafts or variants; the scene line names what to judge."""
    folder = run.page_dir / stage
    manifest = read_manifest(folder)
    scene = item_spec(run.book, run.item).scene
    images = [(o.id, folder / o.file) for o in manifest.outputs]
    return make_contact_sheet(images, scene, [], folder / "contact_sheet.png")


ITEM_STAGES: dict[str, Callable[[ItemRun], Path]] = {
    "draft": run_item_draft,
    "draft-contact": lambda run: item_contact(run, "draft"),
    "select": run_item_select,
    "refine": run_item_refine,
    "refine-contact": lambda run: item_contact(run, "refine"),
    "final": run_item_final,
}


def run_item_stage(stage: str, book_dir: str | Path, item: BibleItem, params: str, log) -> Path:
    book = Book.open(book_dir)
    run = ItemRun(book, 0, load_settings(), params, log, item=item)
    try:
        path = ITEM_STAGES[stage](run)
    except AwaitingReview:
        clear_failure(run.page_dir, f"sheet-{stage}")
        raise
    except ArtfarmError as err:
        write_failure(run.page_dir, f"sheet-{stage}", [p.record() for p in err.problems])
        raise
    clear_failure(run.page_dir, f"sheet-{stage}")
    run.say(f"{stage}: wrote {path}")
    return path


# ------------------------------------------------------------------------------- to-do


def item_todo(book: Book) -> list[Todo]:
    """What the rendered bible items wait for, before any page: pages wait for the items they
    use. Character sheets first, then golden images."""
    todos: list[Todo] = []
    if not book.characters_path.is_file():
        return todos  # validate names the missing bible
    for item in rendered_items(book):
        todos += one_item_todo(book, item)
    return todos


def one_item_todo(book: Book, item: BibleItem) -> list[Todo]:
    label, noun = item.label, NOUN[item.kind]
    folder = item_dir(book, item)
    failed = sorted((folder / "errors").glob("*.json")) if (folder / "errors").is_dir() else []
    if failed:
        data = json.loads(failed[0].read_text())
        first = data["problems"][0] if data.get("problems") else {}
        state = f"failed-{data.get('stage', failed[0].stem)}"
        detail = first.get("problem", "the job failed")
        return [
            _todo(label, state, detail, [first.get("file", str(failed[0]))], first.get("fix", ""))
        ]
    draft = folder / "draft"
    if not (draft / MANIFEST).is_file():
        return [_todo(label, "needs-sheet-drafts", f"{noun} drafts not rendered yet", [], "")]
    try:
        review = load_item_review(book, item)
    except ArtfarmError as err:
        p = err.problems[0]
        return [_todo(label, "invalid-review", p.problem, [p.file], p.fix)]
    command = f"artfarm review {book.root} {label}"
    sheet = str(draft / "contact_sheet.png")
    drafts = read_manifest(draft)
    if review is None or review.draft is None:
        return [
            _todo(
                label,
                "awaiting-draft-review",
                f"pick 1–2 {noun} drafts",
                [sheet],
                f"{command} draft {DRAFT_WORDS}",
            )
        ]
    if review.draft.drafts_sha256 != drafts.images_sha256:
        return [
            _todo(
                label,
                "stale-draft-review",
                f"the {noun}'s draft review is stale",
                [sheet],
                f"{command} draft {DRAFT_WORDS}",
            )
        ]
    refine = folder / "refine"
    if not (refine / MANIFEST).is_file():
        return [_todo(label, "needs-refine", f"selected {noun} drafts not refined yet", [], "")]
    sheet = str(refine / "contact_sheet.png")
    variants = read_manifest(refine)
    if review.refine is None:
        return [
            _todo(
                label,
                "awaiting-final-pick",
                f"pick the {noun}'s final variant",
                [sheet],
                f"{command} refine {FINAL_WORDS}",
            )
        ]
    if review.refine.variants_sha256 != variants.images_sha256:
        return [
            _todo(
                label,
                "stale-final-review",
                f"the {noun}'s final review is stale",
                [sheet],
                f"{command} refine {FINAL_WORDS}",
            )
        ]
    if not rendered_manifest_path(book, item).is_file():
        return [_todo(label, "needs-sheet-final", f"approved {noun} not placed yet", [], "")]
    return []


def _todo(label: str, state: str, detail: str, files: list[str], command: str) -> Todo:
    return Todo(0, state, detail, files, command, sheet=label)
