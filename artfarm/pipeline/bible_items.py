"""Phase 0: a character's sheet rendered from its bible words, through the same loop as a page.

    bible/sheets/<id>/draft/        c01.png … + manifest.json + contact_sheet.png (one GPU job)
    bible/sheets/<id>/review.json   the agent's review: same sections, checks, history, staleness
    bible/sheets/<id>/selected/     the drafts the review kept
    bible/sheets/<id>/refine/       c01-v1.png … + manifest.json + contact_sheet.png
    bible/character_refs/<id>.png   the approved sheet, <id>.manifest.json beside it

Only characters with `render_sheet:` in the bible are rendered; a hand-made sheet (listed in
`sheets:`) is never a target of these rules (`rendered_sheet_constraint`) and never written.
The pages that use a character list its sheet as an input (artfarm.rendering.references), so
they wait for its review, and a changed sheet re-runs exactly those pages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artfarm.atomic import write_json
from artfarm.documents.bible import RENDERED_SHEETS, Bible
from artfarm.documents.book import Book
from artfarm.documents.reader import load_json_model, load_yaml_model
from artfarm.documents.review import InpaintFix, SheetReview
from artfarm.documents.settings import load_settings
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
from artfarm.pipeline.selection import (
    WAIT_MARK,
    WAITING,
    AwaitingReview,
    copy_selected,
    draft_gate,
    refine_gate,
)
from artfarm.pipeline.stages import StageRun, execute, output_file
from artfarm.pipeline.todo import Todo, clear_failure, write_failure
from artfarm.problems import ArtfarmError, Problem, filesystem_problem
from artfarm.rendering.compiler import CompiledJob, compile_sheet, sheet_entry, sheet_spec
from artfarm.rendering.prompts import Prompts, compile_prompts

SHEET_ARG = re.compile(r"^sheet:([a-z][a-z0-9_]*)$")
DRAFT_WORDS = "--select cNN --reject-rest REASON --rationale TEXT"
FINAL_WORDS = "--final cNN-vK --reject-rest REASON --rationale TEXT"


def sheet_dir(book: Book, character_id: str) -> Path:
    return book.root / "bible" / "sheets" / character_id


def review_path(book: Book, character_id: str) -> Path:
    return sheet_dir(book, character_id) / "review.json"


def rendered_path(book: Book, character_id: str) -> Path:
    return book.root / RENDERED_SHEETS / f"{character_id}.png"


def rendered_manifest_path(book: Book, character_id: str) -> Path:
    return book.root / RENDERED_SHEETS / f"{character_id}.manifest.json"


def sheet_label(character_id: str) -> str:
    """How commands name a sheet where they name a page: `sheet:<id>`."""
    return f"sheet:{character_id}"


def parse_sheet_arg(text: str) -> str | None:
    """The character id of a `sheet:<id>` argument, else None (a page number or `all`)."""
    match = SHEET_ARG.match(text)
    return match.group(1) if match else None


# ------------------------------------------------------------------------------- reviews


def load_sheet_review(book: Book, character_id: str) -> SheetReview | None:
    path = review_path(book, character_id)
    if not os.path.lexists(path):
        return None
    review = load_json_model(SheetReview, path, "review", root=book.root)
    if review.book_id != book.id or review.sheet != character_id:
        raise ArtfarmError.single(
            str(path),
            "sheet",
            f"review is for {review.book_id} sheet {review.sheet}",
            f"set book_id to {book.id!r} and sheet to {character_id!r}",
        )
    return review


def review_sheet_drafts(
    book: Book,
    character_id: str,
    *,
    selected: list[str],
    rejected: dict[str, str],
    rationale: str,
    reviewer: str,
    automatic: bool = False,
) -> Path:
    """`artfarm review BOOK sheet:<id> draft …`: the page's checks, history kept."""
    drafts = read_manifest(sheet_dir(book, character_id) / "draft")
    file = str(review_path(book, character_id))
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
    old = load_sheet_review(book, character_id)
    keep_refine = old is not None and old.draft is not None and old.draft.selected == selected
    review = SheetReview(
        book_id=book.id,
        sheet=character_id,
        draft=section,
        refine=old.refine if old is not None and keep_refine else None,
    )
    return write_review_file(review_path(book, character_id), review)


def review_sheet_refine(
    book: Book,
    character_id: str,
    *,
    final: str,
    rejected: dict[str, str],
    fixes: list[InpaintFix],
    rationale: str,
    reviewer: str,
    automatic: bool = False,
) -> Path:
    file = str(review_path(book, character_id))
    old = load_sheet_review(book, character_id)
    if old is None or old.draft is None:
        raise ArtfarmError.single(
            file,
            "draft",
            "the sheet's drafts are not reviewed yet",
            f"review them first (`artfarm review {book.root} {sheet_label(character_id)} draft`)",
        )
    folder = sheet_dir(book, character_id) / "refine"
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
    return write_review_file(review_path(book, character_id), updated)


def no_fixes(section, file: str) -> list[Problem]:
    """Inpaint fixes are a page's tool; a sheet that needs one is re-rendered or hand-made."""
    if not section.fixes:
        return []
    return [
        Problem(
            file,
            "refine.fixes",
            "a character sheet takes no inpaint fixes",
            "pick another variant, edit the character's words to render again, or hand-make "
            "the sheet (list it in sheets: and remove render_sheet)",
        )
    ]


def auto_review_sheet(book: Book, character_id: str, stage: str) -> Path:
    """The scripted reviewer on a sheet: the first image in id order, as for pages."""
    folder = sheet_dir(book, character_id) / ("draft" if stage == "draft" else "refine")
    ids = read_manifest(folder).ids()
    rest = {i: "not chosen by the automatic rule" for i in ids[1:]}
    if stage == "draft":
        return review_sheet_drafts(
            book,
            character_id,
            selected=ids[:1],
            rejected=rest,
            rationale=AUTO_RULE.format(what="draft"),
            reviewer=AUTO_REVIEWER,
            automatic=True,
        )
    return review_sheet_refine(
        book,
        character_id,
        final=ids[0],
        rejected=rest,
        fixes=[],
        rationale=AUTO_RULE.format(what="variant"),
        reviewer=AUTO_REVIEWER,
        automatic=True,
    )


def is_automatic(book: Book, character_id: str, stage: str) -> bool:
    review = load_sheet_review(book, character_id)
    section = None if review is None else (review.draft if stage == "draft" else review.refine)
    return section is None or section.automatic


def waits_for_review(book: Book, character_id: str, stage: str) -> bool:
    """The stage's images exist and no current review judges them (none, or a stale one)."""
    folder = sheet_dir(book, character_id) / ("draft" if stage == "draft" else "refine")
    if not (folder / MANIFEST).is_file():
        return False
    judged = read_manifest(folder).images_sha256
    review = load_sheet_review(book, character_id)
    if review is None:
        return True
    if stage == "draft":
        return review.draft is None or review.draft.drafts_sha256 != judged
    return review.refine is None or review.refine.variants_sha256 != judged


def awaiting_sheet(book: Book, character_id: str, stage: str) -> ArtfarmError:
    folder = "draft" if stage == "draft" else "refine"
    sheet = sheet_dir(book, character_id) / folder / "contact_sheet.png"
    words = DRAFT_WORDS if stage == "draft" else FINAL_WORDS
    return AwaitingReview.single(
        str(review_path(book, character_id)),
        stage,
        f"the sheet of {character_id} waits for its {stage} review (look at {sheet})",
        f"run `artfarm review {book.root} {sheet_label(character_id)} {stage} {words}`",
    )


# ------------------------------------------------------------------------------- stages


@dataclass
class SheetRun(StageRun):
    """A stage run of one character's sheet: its folder stands where a page's would."""

    character: str = ""

    @property
    def page_dir(self) -> Path:
        return sheet_dir(self.book, self.character)

    def say(self, text: str) -> None:
        print(f"[{self.book.id} sheet {self.character}] {text}", file=self.log, flush=True)

    def prompts(self) -> Prompts:
        spec = sheet_spec(self.book, sheet_entry(self.book, self.character))
        return compile_prompts(spec, self.book.style_pack, self.book.bible, self.book.templates_dir)


def sheet_manifest(
    run: SheetRun, stage: str, outputs: list[OutputFile], jobs: list[JobRecord], **notes
) -> StageManifest:
    entry = sheet_entry(run.book, run.character)
    return StageManifest(
        stage=stage,  # type: ignore[arg-type]
        book_id=run.book.id,
        page=0,
        sheet=run.character,
        spec=entry.model_dump(mode="json"),
        params=run.params,
        jobs=jobs,
        outputs=outputs,
        images_sha256=images_identity(outputs),
        notes=notes,
    )


def placed(run: SheetRun, job: CompiledJob, folder: Path, name: Callable[[int], str], source=None):
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


def run_sheet_draft(run: SheetRun) -> Path:
    folder = run.page_dir / "draft"
    job = compile_sheet(run.book, run.character, "draft")
    record, outputs = placed(run, job, folder, lambda i: f"c{i:02d}")
    without_strays(folder, outputs)
    return write_manifest(folder, sheet_manifest(run, "draft", outputs, [record]))


def run_sheet_select(run: SheetRun) -> Path:
    drafts = read_manifest(run.page_dir / "draft")
    review = load_sheet_review(run.book, run.character)
    section = draft_gate(
        None if review is None else review.draft,
        drafts,
        str(review_path(run.book, run.character)),
        run.page_dir / "draft" / "contact_sheet.png",
        lambda: awaiting_sheet(run.book, run.character, "draft"),
    )
    out_dir = run.page_dir / "selected"
    outputs = copy_selected(drafts, section, run.page_dir / "draft", out_dir)
    manifest = sheet_manifest(
        run, "selected", outputs, [], rationale=section.rationale, reviewer=section.reviewer
    )
    return write_manifest(out_dir, manifest)


def refine_sheet_jobs(book: Book, character_id: str) -> list[tuple[str, CompiledJob]]:
    folder = sheet_dir(book, character_id) / "selected"
    return [
        (
            chosen.id,
            compile_sheet(
                book, character_id, "refine", image=folder / chosen.file, candidate=chosen.id
            ),
        )
        for chosen in read_manifest(folder).outputs
    ]


def run_sheet_refine(run: SheetRun) -> Path:
    folder = run.page_dir / "refine"
    outputs, jobs = [], []
    for candidate, job in refine_sheet_jobs(run.book, run.character):
        record, made = placed(run, job, folder, lambda k, c=candidate: f"{c}-v{k}", candidate)
        outputs += made
        jobs.append(record)
    without_strays(folder, outputs)
    return write_manifest(folder, sheet_manifest(run, "refine", outputs, jobs))


def run_sheet_final(run: SheetRun) -> Path:
    """The picked variant becomes bible/character_refs/<id>.png, its manifest beside it."""
    folder = run.page_dir / "refine"
    variants = read_manifest(folder)
    review = load_sheet_review(run.book, run.character)
    file = str(review_path(run.book, run.character))
    section = refine_gate(
        run.book,
        None if review is None else review.refine,
        variants,
        file,
        folder / "contact_sheet.png",
        lambda: awaiting_sheet(run.book, run.character, "refine"),
        lambda s: no_fixes(s, file),
    )
    chosen = variants.output(section.final)
    assert chosen is not None  # refine_gate checked it
    dest = rendered_path(run.book, run.character)
    place(folder / chosen.file, dest)
    made = output_file(dest, run.character, source=section.final)
    manifest = sheet_manifest(
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
        rendered_manifest_path(run.book, run.character),
        manifest.model_dump(mode="json"),
        sort_keys=False,
    )
    return dest


def sheet_contact(run: SheetRun, stage: str) -> Path:
    """The contact sheet of a sheet's drafts or variants; the scene line names what to judge."""
    folder = run.page_dir / stage
    manifest = read_manifest(folder)
    scene = sheet_spec(run.book, sheet_entry(run.book, run.character)).scene
    images = [(o.id, folder / o.file) for o in manifest.outputs]
    return make_contact_sheet(images, scene, [], folder / "contact_sheet.png")


SHEET_STAGES: dict[str, Callable[[SheetRun], Path]] = {
    "draft": run_sheet_draft,
    "draft-contact": lambda run: sheet_contact(run, "draft"),
    "select": run_sheet_select,
    "refine": run_sheet_refine,
    "refine-contact": lambda run: sheet_contact(run, "refine"),
    "final": run_sheet_final,
}


def run_sheet_stage(stage: str, book_dir: str | Path, character_id: str, params: str, log) -> Path:
    book = Book.open(book_dir)
    run = SheetRun(book, 0, load_settings(), params, log, character=character_id)
    try:
        path = SHEET_STAGES[stage](run)
    except AwaitingReview:
        clear_failure(run.page_dir, f"sheet-{stage}")
        raise
    except ArtfarmError as err:
        write_failure(run.page_dir, f"sheet-{stage}", [p.record() for p in err.problems])
        raise
    clear_failure(run.page_dir, f"sheet-{stage}")
    run.say(f"{stage}: wrote {path}")
    return path


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bible_item.py", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(SHEET_STAGES))
    parser.add_argument("book")
    parser.add_argument("character")
    parser.add_argument("--params", default="", help="the rule's content hash, for the record")
    parser.add_argument("--log", help="append progress here (errors also go to stderr)")
    args = parser.parse_args(argv)
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stderr  # noqa: SIM115
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        run_sheet_stage(args.stage, args.book, args.character, args.params, log)
        return 0
    except KeyboardInterrupt:
        print(f"cancelled: {args.stage} of sheet {args.character} (its prompt too)", file=log)
        return 130
    except AwaitingReview as err:
        for problem in err.problems:
            print(f"{WAIT_MARK}{problem.line()}", file=log)
        return WAITING
    except ArtfarmError as err:
        for problem in err.problems:
            print(f"error: {problem.line()}", file=log)
        return 1
    except OSError as err:
        print(f"error: {filesystem_problem(err).line()}", file=log)
        return 1
    finally:
        if log is not sys.stderr:
            log.close()


# ------------------------------------------------------------------------------- to-do


def sheet_todo(book: Book) -> list[Todo]:
    """What the rendered sheets wait for, before any page: pages wait for the sheets they use."""
    todos: list[Todo] = []
    if not book.characters_path.is_file():
        return todos  # validate names the missing bible
    for entry in book.bible.rendered():
        todos += one_sheet_todo(book, entry.id)
    return todos


def one_sheet_todo(book: Book, cid: str) -> list[Todo]:
    label = sheet_label(cid)
    folder = sheet_dir(book, cid)
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
        return [_todo(label, "needs-sheet-drafts", "sheet drafts not rendered yet", [], "")]
    try:
        review = load_sheet_review(book, cid)
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
                "pick 1–2 sheet drafts",
                [sheet],
                f"{command} draft {DRAFT_WORDS}",
            )
        ]
    if review.draft.drafts_sha256 != drafts.images_sha256:
        return [
            _todo(
                label,
                "stale-draft-review",
                "the sheet's draft review is stale",
                [sheet],
                f"{command} draft {DRAFT_WORDS}",
            )
        ]
    refine = folder / "refine"
    if not (refine / MANIFEST).is_file():
        return [_todo(label, "needs-refine", "selected sheet drafts not refined yet", [], "")]
    sheet = str(refine / "contact_sheet.png")
    variants = read_manifest(refine)
    if review.refine is None:
        return [
            _todo(
                label,
                "awaiting-final-pick",
                "pick the sheet's final variant",
                [sheet],
                f"{command} refine {FINAL_WORDS}",
            )
        ]
    if review.refine.variants_sha256 != variants.images_sha256:
        return [
            _todo(
                label,
                "stale-final-review",
                "the sheet's final review is stale",
                [sheet],
                f"{command} refine {FINAL_WORDS}",
            )
        ]
    if not rendered_manifest_path(book, cid).is_file():
        return [_todo(label, "needs-sheet-final", "approved sheet not placed yet", [], "")]
    return []


def _todo(label: str, state: str, detail: str, files: list[str], command: str) -> Todo:
    return Todo(0, state, detail, files, command, sheet=label)


# ------------------------------------------------------------------------------- rules


def rendered_sheet_constraint(books_dir: Path) -> str:
    """The `character` wildcard of the final sheet rule: only the characters each book's bible
    says are rendered, in that book (a hand-made sheet is never an output of any rule)."""
    parts = []
    for bible_file in sorted(books_dir.glob("*/bible/characters.yaml")):
        book_dir = bible_file.parent.parent
        try:
            bible = load_yaml_model(Bible, bible_file, "bible", root=book_dir)
        except (ArtfarmError, OSError):
            continue  # a broken bible renders nothing; validate names the problem
        ids = [c.id for c in bible.rendered()]
        if ids:
            before = re.escape(f"books/{book_dir.name}/{RENDERED_SHEETS}/")
            parts.append(f"(?<={before})(?:{'|'.join(ids)})")
    return "|".join(parts) or "(?!)"
