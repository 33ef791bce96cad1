"""`artfarm layout` and `artfarm preflight`: book.yaml + art → print PDFs, proof, web export."""

from __future__ import annotations

import argparse
import json
import sys

from artfarm.problems import ArtfarmError

TARGET_CHOICES = ("pages", "cover", "proof", "web", "storyboard", "all", "art")


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `artfarm` parser."""
    layout = sub.add_parser(
        "layout",
        help="lay out a book with Typst (pages.pdf, cover.pdf, proof.pdf, web export)",
        description="Build layout targets of books/<id>: pages (print interior), cover, "
        "proof (best art so far, stamped PROOF), web (small PDF, JPEGs, PNGs), storyboard "
        "(every opening with its best art so far, PDF + one-image PNG), all; "
        "art --page N prepares one page's print JPEG.",
    )
    layout.add_argument("book", help="book folder, e.g. books/gingerbear_01")
    layout.add_argument("target", nargs="?", default="all", choices=TARGET_CHOICES)
    layout.add_argument("--page", type=int, help="story page for the `art` target")
    layout.add_argument("--json", action="store_true", help="problems as NDJSON records")
    layout.set_defaults(func=run_layout)

    preflight = sub.add_parser(
        "preflight",
        help="check a book against the printer's rules (resolution, fonts, boxes, pages)",
        description="Writes layout/preflight.json and .txt; exit 1 when any finding is an error.",
    )
    preflight.add_argument("book", help="book folder, e.g. books/gingerbear_01")
    preflight.add_argument("--json", action="store_true", help="findings as NDJSON records")
    preflight.set_defaults(func=run_preflight)


def run_layout(args: argparse.Namespace) -> int:
    from artfarm.layout.build import TARGETS, prepare_page_art
    from artfarm.layout.job import open_job

    job = open_job(args.book)
    if args.target == "art":
        if args.page is None:
            raise ArtfarmError.single(
                args.book, "--page", "the art target needs a page", "add --page N"
            )
        print(prepare_page_art(job, args.page))
        return 0
    names = list(TARGETS) if args.target == "all" else [args.target]
    for name in names:
        report = TARGETS[name](job)
        for finding in report.findings:
            if finding.severity == "warning" and not args.json:
                print(f"warning: {finding.as_problem().line()}", file=sys.stderr)
        if not args.json:
            print(f"{name}: ok")
    return 0


def run_preflight(args: argparse.Namespace) -> int:
    from artfarm.layout.build import build_preflight
    from artfarm.layout.job import open_job

    report = build_preflight(open_job(args.book))
    if args.json:
        for finding in report.findings:
            print(
                json.dumps(
                    {
                        **finding.as_problem().record(),
                        "severity": finding.severity,
                        "page": finding.page,
                    },
                    ensure_ascii=False,
                )
            )
        print(json.dumps({"ok": not report.errors, "facts": report.facts}, ensure_ascii=False))
    else:
        print(report.text(), end="")
    return 1 if report.errors else 0
