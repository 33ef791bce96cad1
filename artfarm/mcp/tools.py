"""The agent's tools: each one calls the same functions as the `artfarm` command it mirrors.

    next           artfarm next          the to-do list (book status)
    validate       artfarm validate      every problem of a book at once
    schema         artfarm schema        JSON Schema of a document
    prompt         artfarm prompt        compiled prompts of a page and its content hash
    graph          artfarm graph         the exact graph(s) a stage would submit now
    replay         artfarm replay        a stage run again from its manifest, bytes compared
    plan           snakemake -n          which jobs would run, per page, and why
    build          snakemake TARGET      runs the pipeline; progress; the to-do summary
    contact_sheet  (the sheet's PNG)     a page's (or bible item's) candidates as one image
    page_image     (a rendered PNG)      one draft, variant, final or print image
    storyboard     (layout/storyboard.png) the whole book, every opening, in one image
    review         artfarm review        writes review.json with the same checks

contact_sheet, page_image and review take a page or a bible item the pipeline renders
(`subject`: sheet:<id> or style:<id>, as `artfarm next` names it): artfarm.pipeline.subjects.

A tool returns text (what the CLI prints), structured content (what `--json` prints) and,
for pictures, PNG image content sized for a vision model.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from artfarm.atomic import canonical_json
from artfarm.cli import build_parser
from artfarm.cli.pipeline_cmds import review_one
from artfarm.cli.provenance_cmds import replay_stage, stage_graphs
from artfarm.documents.book import Book
from artfarm.documents.schemas import json_schema
from artfarm.documents.settings import load_settings
from artfarm.mcp import arguments as a
from artfarm.mcp.images import png_for_model
from artfarm.mcp.project import Project
from artfarm.mcp.snakemake_runs import BuildSlots, Progress, build, dry_run, plan_text
from artfarm.pipeline.manifest import read_manifest
from artfarm.pipeline.subjects import PageSubject, Subject, bible_subject
from artfarm.pipeline.todo import book_todo, render_summary
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import page_content_hash
from artfarm.rendering.prompts import compile_prompts, template_context
from artfarm.validate import book_warnings, validate_book


@dataclass
class Reply:
    """What a tool gives back: text, optional structured data, and PNG images."""

    text: str
    data: dict[str, Any] | None = None
    images: list[bytes] = field(default_factory=list)


@dataclass
class Call:
    """Everything a tool may use besides its arguments."""

    project: Project
    slots: BuildSlots
    progress: Progress


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[a.Arguments]
    run: Callable[[Call, Any], Reply] | None = None  # blocking: run in a worker thread
    run_async: Callable[[Call, Any], Awaitable[Reply]] | None = None


def next_todo(call: Call, args: a.BookArgs) -> Reply:
    book = call.project.book(args.book)
    todos = book_todo(book)
    return Reply(render_summary(book, todos), {"todo": [todo.record() for todo in todos]})


def validate(call: Call, args: a.BookArgs) -> Reply:
    book = call.project.book(args.book)
    problems = validate_book(book.root)
    warnings = book_warnings(book.root)
    lines = [f"error: {p.line()}" for p in problems]
    lines += [f"warning: {w.line()}" for w in warnings]
    if problems:
        lines.append(f"{len(problems)} problem(s) in {book.root}")
    else:
        lines.append(f"ok: {book.root} is valid ({len(warnings)} warning(s))")
    record = {
        "valid": not problems,
        "problems": [p.record() for p in problems],
        "warnings": [w.record() for w in warnings],
    }
    return Reply("\n".join(lines), record)


def schema(call: Call, args: a.SchemaArgs) -> Reply:
    document = json_schema(args.document)
    return Reply(json.dumps(document, indent=2, ensure_ascii=False), document)


def existing_page(book: Book, page: int) -> int:
    if not book.spec_path(page).is_file():
        raise ArtfarmError.single(
            str(book.spec_path(page)), "", "page has no renderspec.json", "create it with new-page"
        )
    return page


def subject_of(book: Book, args: a.SubjectArgs) -> Subject:
    """The page or bible item a call names (the arguments hold exactly one of them)."""
    if args.subject is not None:
        return bible_subject(book, args.subject)
    assert args.page is not None  # SubjectArgs checked it
    return PageSubject(book, existing_page(book, args.page))


def where(subject: Subject) -> str:
    return f"page {subject.page:04d}" if isinstance(subject, PageSubject) else subject.key


def prompt(call: Call, args: a.PromptArgs) -> Reply:
    book = call.project.book(args.book)
    spec = book.load_spec(existing_page(book, args.page))
    if args.context:
        context = template_context(spec, book.style_pack, book.bible)
        return Reply(json.dumps(context, indent=2, sort_keys=True, ensure_ascii=False), context)
    source = str(book.spec_path(args.page))
    prompts = compile_prompts(spec, book.style_pack, book.bible, book.templates_dir, source=source)
    digest = page_content_hash(book, spec)
    record = {
        "page": args.page,
        "positive": prompts.positive,
        "negative": prompts.negative,
        "content_hash": digest,
    }
    text = f"# page {args.page:04d}  content {digest}\npositive: {prompts.positive}\nnegative: {prompts.negative}"
    return Reply(text, record)


def graph(call: Call, args: a.GraphArgs) -> Reply:
    book = call.project.book(args.book)
    graphs = stage_graphs(book, existing_page(book, args.page), args.stage, args.job)
    text = canonical_json(graphs[0] if len(graphs) == 1 else graphs, sort_keys=False)
    return Reply(text, {"graphs": graphs})


def replay(call: Call, args: a.ReplayArgs) -> Reply:
    book = call.project.book(args.book)
    path = book.page_dir(existing_page(book, args.page)) / args.stage / "manifest.json"
    known = load_settings().server_urls
    if args.server is not None and args.server not in known:
        raise ArtfarmError.single(
            "tool replay",
            "server",
            f"{args.server!r} is not a configured server",
            f"use one of {', '.join(known)}",
        )
    result = replay_stage(path, args.server)
    lines = [*result.lines()]
    for job in result.jobs:
        verdict = "identical" if not job.differences else "DIFFERENT"
        lines.append(
            f"{path}: job {job.index} ({job.stage}) on {job.server}: {len(job.got)} output(s) {verdict}"
        )
    return Reply("\n".join(lines), json.loads(result.as_json()))


def plan(call: Call, args: a.TargetArgs) -> Reply:
    record = dry_run(call.project, call.project.book(args.book), args.target)
    return Reply(plan_text(record), record)


async def run_build(call: Call, args: a.TargetArgs) -> Reply:
    book = call.project.book(args.book)
    call.slots.claim(book)
    try:
        record = await build(call.project, book, args.target, call.progress)
    finally:
        call.slots.release(book)
    head = (
        f"{record['target']}: {'built' if record['ok'] else 'stopped'} (exit {record['exit_code']})"
    )
    lines = [head, record["summary"]]
    if not record["ok"] and (
        not record["todo"] or any("Exception" in x for x in record["log_tail"])
    ):
        lines += ["last log lines:", *record["log_tail"][-15:]]
    return Reply("\n".join(line.rstrip("\n") for line in lines), record)


def contact_sheet(call: Call, args: a.SheetArgs) -> Reply:
    book = call.project.book(args.book)
    subject = subject_of(book, args)
    folder = subject.folder / args.stage
    sheet = folder / "contact_sheet.png"
    if not sheet.is_file():
        target = f"{folder.relative_to(book.root).as_posix()}/contact_sheet.png"
        raise ArtfarmError.single(
            str(sheet), "", "no contact sheet yet", f"build it: tool `build` with target {target}"
        )
    png, size = png_for_model(sheet, book.root)
    ids = read_manifest(folder).ids()
    text = (
        f"{sheet} ({size[0]}×{size[1]} px): {where(subject)}, {args.stage} ids {', '.join(ids)}; "
        f"judge them, then tool `review` with stage {args.stage!r}"
    )
    return Reply(
        text, {"sheet": str(sheet), "ids": ids, "width": size[0], "height": size[1]}, [png]
    )


STAGE_OF_IMAGE = {"final": "final", "print": "print"}


def page_image(call: Call, args: a.ImageArgs) -> Reply:
    book = call.project.book(args.book)
    subject = subject_of(book, args)
    stage = STAGE_OF_IMAGE.get(args.image, "refine" if "-v" in args.image else "draft")
    manifest, folder = subject.stage_manifest(stage)
    # final and print hold one image (a sheet's final is named by its character)
    one = stage in STAGE_OF_IMAGE and len(manifest.outputs) == 1
    output = manifest.outputs[0] if one else manifest.output(args.image)
    if output is None:
        raise ArtfarmError.single(
            str(folder / "manifest.json"),
            "outputs",
            f"{args.image} is not an image of this stage",
            f"use one of {', '.join(manifest.ids())}",
        )
    png, size = png_for_model(folder / output.file, book.root)
    text = (
        f"{folder / output.file}: {args.image}, {output.width}×{output.height} px"
        f" (sent as {size[0]}×{size[1]})"
    )
    record = {
        "image": args.image,
        "file": str(folder / output.file),
        "sha256": output.sha256,
    }
    return Reply(text, {**record, "width": size[0], "height": size[1]}, [png])


def storyboard(call: Call, args: a.BookArgs) -> Reply:
    """The book at a glance (artfarm.layout.storyboard): built by `build`, shown here."""
    book = call.project.book(args.book)
    overview = book.root / "layout" / "storyboard.png"
    if not overview.is_file():
        raise ArtfarmError.single(
            str(overview),
            "",
            "no storyboard yet",
            "build it: tool `build` with target layout/storyboard.pdf",
        )
    png, size = png_for_model(overview, book.root)
    text = (
        f"{overview} ({size[0]}×{size[1]} px): every opening of the book in reading order, "
        "page numbers under the pages, each page's best art so far (final art, a selected "
        f"draft or a thumbnail); one sheet per opening: {overview.with_suffix('.pdf')}"
    )
    data = {"storyboard": str(overview), "pdf": str(overview.with_suffix(".pdf"))}
    return Reply(text, {**data, "width": size[0], "height": size[1]}, [png])


def review_flags(book: Book, subject: Subject, args: a.ReviewArgs) -> Any:
    """The namespace `artfarm review` would parse from the same choices, with its defaults."""
    flags = build_parser().parse_args(["review", str(book.root), subject.key, args.stage])
    flags.select = list(args.select)
    flags.final = args.final
    flags.reject = [[image_id, reason] for image_id, reason in args.reject.items()]
    flags.reject_rest = args.reject_rest
    flags.fix_box = [
        [*(str(v) for v in (f.x, f.y, f.width, f.height)), f.prompt] for f in args.fix_box
    ]
    flags.fix_polygon = [
        [" ".join(f"{x},{y}" for x, y in f.points), f.prompt] for f in args.fix_polygon
    ]
    flags.fix_mask = [[f.path, f.prompt] for f in args.fix_mask]
    flags.rationale = args.rationale
    flags.reviewer = args.reviewer
    flags.auto = args.auto
    return flags


def review(call: Call, args: a.ReviewArgs) -> Reply:
    book = call.project.book(args.book)
    subject = subject_of(book, args)
    path = review_one(book, subject, review_flags(book, subject, args))
    written = subject.load_review()
    todos = subject.todo()
    after = "\n".join(t.line() for t in todos) or f"{where(subject)}: nothing waits"
    data = {
        "review": str(path),
        "written": written.model_dump(mode="json", exclude_none=True) if written else None,
        "todo": [t.record() for t in todos],
    }
    return Reply(f"wrote {path}\n{after}", data)


TOOLS: tuple[Tool, ...] = (
    Tool("next", "A book's to-do list (its status): what waits for a review, which job failed, "
         "what to build; the same records as `artfarm next --json`.", a.BookArgs, next_todo),
    Tool("validate", "Check every document of a book and list all problems at once "
         "(file, field, problem, fix), as `artfarm validate`.", a.BookArgs, validate),
    Tool("schema", "The JSON Schema of a document an agent writes (renderspec, review, ...).",
         a.SchemaArgs, schema),
    Tool("prompt", "A page's compiled positive and negative prompts and content hash, before "
         "any GPU time, as `artfarm prompt`.", a.PromptArgs, prompt),
    Tool("graph", "The exact ComfyUI graph(s) a stage of a page would submit now, before any "
         "GPU time, as `artfarm graph`.", a.GraphArgs, graph),
    Tool("replay", "Run a stage's manifest again on a configured server and compare every "
         "output's sha256 with the recorded one, as `artfarm replay`.", a.ReplayArgs, replay),
    Tool("plan", "The dry run (`snakemake -n`): which jobs would run for a target, per page, "
         "each with Snakemake's reason. Nothing is rendered.", a.TargetArgs, plan),
    Tool("build", "Run the pipeline (Snakemake) for a target of a book; progress notifications "
         "per finished step; returns the to-do summary Snakemake prints when it stops. "
         "One build per book at a time.", a.TargetArgs, run_async=run_build),
    Tool("contact_sheet", "A page's (or a bible item's, e.g. subject sheet:bear) draft or "
         "refine contact sheet as a PNG image (at most 1568 px), with the candidate ids to "
         "review.", a.SheetArgs, contact_sheet),
    Tool("page_image", "One rendered image of a page (or of a bible item, e.g. subject "
         "sheet:bear) as a PNG (at most 1568 px): a draft (c03), a refined variant (c03-v1), "
         "the final or the print art.", a.ImageArgs, page_image),
    Tool("storyboard", "The whole book in one PNG image (at most 1568 px): every opening in "
         "reading order with its page numbers and each page's best art so far. Build "
         "layout/storyboard.pdf first (cheap: one thumbnail per page).", a.BookArgs, storyboard),
    Tool("review", "Write the draft or refine review (review.json) of a page, or of a bible "
         "item (subject sheet:<id>: no inpaint fixes), with the same checks as "
         "`artfarm review`: ids, a reason for every rejected image, masks inside the image, "
         "the hash of the images judged.", a.ReviewArgs, review),
)  # fmt: skip


def tool_named(name: str) -> Tool:
    for tool in TOOLS:
        if tool.name == name:
            return tool
    raise ArtfarmError.single(
        "tools/call",
        "name",
        f"no tool named {name!r}",
        f"use one of {', '.join(t.name for t in TOOLS)}",
    )
