"""Pipeline subcommands: review, next, cache."""

from __future__ import annotations

import argparse
import json

from pydantic import ValidationError

from artfarm.cli.book_cmds import pages_of
from artfarm.documents.book import Book
from artfarm.documents.reader import problems_from_validation
from artfarm.documents.review import InpaintFix
from artfarm.documents.settings import load_settings
from artfarm.pipeline.bible_items import parse_item_arg, rendered_items, waits_for_review
from artfarm.pipeline.manifest import read_manifest
from artfarm.pipeline.render_cache import RenderCache
from artfarm.pipeline.subjects import ItemSubject, PageSubject, Subject
from artfarm.pipeline.todo import book_todo, items_waited_for, render_summary
from artfarm.problems import ArtfarmError, Problem


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review",
        help="write the review of a page's drafts or refined variants (review.json)",
        description="Checks ids, reasons and masks against the images, records their hash.",
    )
    p.add_argument("book")
    p.add_argument(
        "page",
        help="page number, sheet:<character id> (a rendered sheet), style:<id> (a rendered "
        "golden image), or 'all' with --auto",
    )
    p.add_argument("stage", choices=["draft", "refine"])
    p.add_argument("--select", action="append", default=[], metavar="cNN", help="draft to keep")
    p.add_argument("--final", metavar="cNN-vK", help="the final variant")
    p.add_argument(
        "--reject",
        nargs=2,
        action="append",
        default=[],
        metavar=("ID", "REASON"),
        help="reject one image with its reason",
    )
    p.add_argument("--reject-rest", metavar="REASON", help="reason for every image not chosen")
    p.add_argument(
        "--fix-box",
        nargs=5,
        action="append",
        default=[],
        metavar=("X", "Y", "W", "H", "PROMPT"),
        help="inpaint a box",
    )
    p.add_argument(
        "--fix-polygon",
        nargs=2,
        action="append",
        default=[],
        metavar=("'X,Y X,Y X,Y ...'", "PROMPT"),
        help="inpaint a polygon",
    )
    p.add_argument(
        "--fix-mask",
        nargs=2,
        action="append",
        default=[],
        metavar=("PATH", "PROMPT"),
        help="inpaint where a mask image is white",
    )
    p.add_argument("--rationale", help="why this choice")
    p.add_argument("--reviewer", default="agent", help="who reviews (default: agent)")
    p.add_argument(
        "--auto",
        action="store_true",
        help="scripted reviewer: first image in id order; marked automatic",
    )
    p.set_defaults(func=cmd_review)

    p = sub.add_parser(
        "demo", help="render a book end to end on the sketch server with a scripted reviewer"
    )
    p.add_argument("book", nargs="?", default="books/gingerbear_01")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("next", help="the agent's to-do list for a book")
    p.add_argument("book")
    p.add_argument("--json", action="store_true", help="one JSON record per item")
    p.set_defaults(func=cmd_next)

    p = sub.add_parser("cache", help="the render cache (outputs by request hash)")
    cache_sub = p.add_subparsers(dest="cache_command", required=True)
    prune = cache_sub.add_parser("prune", help="drop least recently used entries")
    prune.add_argument("--max-gb", type=float, help="keep at most this many GB")
    prune.add_argument("--older-than-days", type=float, help="drop entries unused this long")
    prune.set_defaults(func=cmd_cache_prune)
    info = cache_sub.add_parser("info", help="entries and size")
    info.set_defaults(func=cmd_cache_info)


def rejections(args: argparse.Namespace, ids: list[str], chosen: list[str]) -> dict[str, str]:
    rejected = {image_id: reason for image_id, reason in args.reject}
    if args.reject_rest:
        for image_id in ids:
            if image_id not in chosen and image_id not in rejected:
                rejected[image_id] = args.reject_rest
    return rejected


def fixes_from(args: argparse.Namespace) -> list[InpaintFix]:
    """Inpaint fixes from the flags; a bad one is named by flag, number and field."""
    fixes = []
    for n, (x, y, w, h, prompt) in enumerate(args.fix_box, 1):
        numbers = integers(f"--fix-box #{n}", [x, y, w, h], "give integers: X Y W H")
        box = dict(zip(("x", "y", "width", "height"), numbers, strict=True))
        fixes.append(fix_model({"kind": "box", **box}, prompt, f"--fix-box #{n}"))
    for n, (points, prompt) in enumerate(args.fix_polygon, 1):
        flag = f"--fix-polygon #{n}"
        pairs = [
            integers(flag, pt.split(","), "give points as 'X,Y X,Y X,Y'") for pt in points.split()
        ]
        fixes.append(fix_model({"kind": "polygon", "points": pairs}, prompt, flag))
    for n, (path, prompt) in enumerate(args.fix_mask, 1):
        fixes.append(fix_model({"kind": "image", "path": path}, prompt, f"--fix-mask #{n}"))
    return fixes


def integers(flag: str, values: list[str], fix: str) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        shown = " ".join(values)[:40]
        raise ArtfarmError.single(
            "command line", flag, f"{shown!r} are not integers", fix
        ) from None


def fix_model(mask: dict, prompt: str, flag: str) -> InpaintFix:
    """One fix, validated like review.json's `refine.fixes[i]`, its errors naming the field."""
    try:
        return InpaintFix.model_validate({"mask": mask, "prompt": prompt})
    except ValidationError as err:
        problems = problems_from_validation(err, "command line", "review")
        raise ArtfarmError(
            Problem(p.file, f"{flag} {p.field}".strip(), p.problem, p.fix) for p in problems
        ) from None


CONTRADICTIONS = {
    "draft": (
        ("final", "--final"),
        ("fix_box", "--fix-box"),
        ("fix_polygon", "--fix-polygon"),
        ("fix_mask", "--fix-mask"),
    ),
    "refine": (("select", "--select"),),
    "auto": (
        ("select", "--select"),
        ("final", "--final"),
        ("reject", "--reject"),
        ("reject_rest", "--reject-rest"),
        ("fix_box", "--fix-box"),
        ("fix_polygon", "--fix-polygon"),
        ("fix_mask", "--fix-mask"),
        ("rationale", "--rationale"),
    ),
}


def contradictions(args: argparse.Namespace) -> list[Problem]:
    """Flags that make no sense together: refused, never silently ignored."""
    problems = []
    for dest, flag in CONTRADICTIONS[args.stage]:
        if getattr(args, dest):
            problems.append(
                Problem(
                    "command line",
                    flag,
                    f"{flag} does not apply to a {args.stage} review",
                    f"drop {flag}"
                    + (
                        " (refine reviews take --final)"
                        if flag == "--select"
                        else " (draft reviews take --select)"
                        if flag == "--final"
                        else ""
                    ),
                )
            )
    if args.auto:
        problems += [
            Problem(
                "command line",
                flag,
                f"--auto chooses by itself; {flag} contradicts it",
                f"drop {flag}, or drop --auto to review by hand",
            )
            for dest, flag in CONTRADICTIONS["auto"]
            if getattr(args, dest)
        ]
    return problems


def cmd_review(args: argparse.Namespace) -> int:
    problems = contradictions(args)
    if problems:
        raise ArtfarmError(problems)
    book = Book.open(args.book)
    item = parse_item_arg(args.page)
    if item is None and args.page.startswith(("sheet:", "style:")):
        raise ArtfarmError.single(
            "command line",
            "page",
            f"{args.page[:40]!r} does not name a bible item",
            "write sheet:<character id> or style:<golden image id>, an id from "
            "bible/characters.yaml (e.g. sheet:bear)",
        )
    if item is not None:
        print(review_one(book, ItemSubject(book, item), args))
        return 0
    pages = pages_of(book, args.page)
    if args.page == "all" and not args.auto:
        raise ArtfarmError.single("command line", "page", "'all' needs --auto", "name one page")
    if args.page == "all":
        for subject in sheets_to_review(book, args.stage):
            print(review_one(book, subject, args))
        pages = [p for p in pages if not items_waited_for(book, p)]
    for page in pages:
        print(review_one(book, PageSubject(book, page), args))
    return 0


def sheets_to_review(book: Book, stage: str) -> list[ItemSubject]:
    """With `all --auto`: every rendered bible item whose images of this stage wait for a
    review (sheets, then golden images)."""
    return [
        ItemSubject(book, item)
        for item in rendered_items(book)
        if waits_for_review(book, item, stage)
    ]


def review_one(book: Book, subject: int | Subject, args: argparse.Namespace) -> str:
    if isinstance(subject, int):
        subject = PageSubject(book, subject)
    folder = subject.folder / ("draft" if args.stage == "draft" else "refine")
    if args.auto:
        return str(subject.auto(args.stage))
    if not args.rationale:
        raise ArtfarmError.single(
            "command line",
            "--rationale",
            "a review needs a rationale",
            "add --rationale 'why this choice'",
        )
    ids = read_manifest(folder).ids()
    if args.stage == "draft":
        if not args.select:
            raise ArtfarmError.single(
                "command line",
                "--select",
                "choose 1–2 drafts",
                f"add --select with one of {', '.join(ids)}",
            )
        return str(
            subject.drafts(
                selected=args.select,
                rejected=rejections(args, ids, args.select),
                rationale=args.rationale,
                reviewer=args.reviewer,
            )
        )
    if not args.final:
        raise ArtfarmError.single(
            "command line",
            "--final",
            "choose the final variant",
            f"add --final with one of {', '.join(ids)}",
        )
    return str(
        subject.refine(
            final=args.final,
            rejected=rejections(args, ids, [args.final]),
            fixes=fixes_from(args),
            rationale=args.rationale,
            reviewer=args.reviewer,
        )
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from artfarm.demo import run_demo

    print(run_demo(args.book))
    return 0


def cmd_next(args: argparse.Namespace) -> int:
    book = Book.open(args.book)
    todos = book_todo(book)
    if args.json:
        for todo in todos:
            print(json.dumps(todo.record(), ensure_ascii=False))
    else:
        print(render_summary(book, todos))
    return 0


def cache() -> RenderCache:
    return RenderCache(load_settings().runtime_path / "cache")


def cmd_cache_prune(args: argparse.Namespace) -> int:
    max_bytes = int(args.max_gb * 1e9) if args.max_gb is not None else None
    removed = cache().prune(max_bytes=max_bytes, older_than_days=args.older_than_days)
    print(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}")
    return 0


def cmd_cache_info(args: argparse.Namespace) -> int:
    entries = cache().entries()
    print(f"{len(entries)} entries, {sum(e[2] for e in entries) / 1e6:.1f} MB")
    return 0
