"""Pipeline subcommands: review, next, cache."""

from __future__ import annotations

import argparse
import json

from artfarm.cli.book_cmds import pages_of
from artfarm.documents.book import Book
from artfarm.documents.review import BoxMask, ImageMask, InpaintFix, PolygonMask
from artfarm.documents.settings import load_settings
from artfarm.pipeline.manifest import read_manifest
from artfarm.pipeline.render_cache import RenderCache
from artfarm.pipeline.reviewing import (
    auto_review_drafts,
    auto_review_refine,
    review_drafts,
    review_refine,
)
from artfarm.pipeline.todo import book_todo, render_summary
from artfarm.problems import ArtfarmError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review",
        help="write the review of a page's drafts or refined variants (review.json)",
        description="Checks ids, reasons and masks against the images, records their hash.",
    )
    p.add_argument("book")
    p.add_argument("page", help="page number, or 'all' with --auto")
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
    fixes = []
    try:
        for x, y, w, h, prompt in args.fix_box:
            box = BoxMask(x=int(x), y=int(y), width=int(w), height=int(h))
            fixes.append(InpaintFix(mask=box, prompt=prompt))
        for points, prompt in args.fix_polygon:
            pairs = [tuple(int(v) for v in pt.split(",")) for pt in points.split()]
            fixes.append(InpaintFix(mask=PolygonMask(points=pairs), prompt=prompt))
    except ValueError as err:
        raise ArtfarmError.single(
            "command line",
            "--fix-box/--fix-polygon",
            str(err).splitlines()[0],
            "give integers: X Y W H, or 'X,Y X,Y X,Y'",
        ) from None
    for path, prompt in args.fix_mask:
        fixes.append(InpaintFix(mask=ImageMask(path=path), prompt=prompt))
    return fixes


def cmd_review(args: argparse.Namespace) -> int:
    book = Book.open(args.book)
    pages = pages_of(book, args.page)
    if args.page == "all" and not args.auto:
        raise ArtfarmError.single("command line", "page", "'all' needs --auto", "name one page")
    for page in pages:
        print(review_one(book, page, args))
    return 0


def review_one(book: Book, page: int, args: argparse.Namespace) -> str:
    folder = book.page_dir(page) / ("draft" if args.stage == "draft" else "refine")
    if args.auto:
        auto = auto_review_drafts if args.stage == "draft" else auto_review_refine
        return str(auto(book, page))
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
            review_drafts(
                book,
                page,
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
        review_refine(
            book,
            page,
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
