"""Operations on a whole book: prune, unprune, archive, restore."""

from __future__ import annotations

import argparse
from pathlib import Path

from artfarm.cli.book_cmds import pages_of
from artfarm.documents.book import Book
from artfarm.documents.settings import load_settings
from artfarm.operations.archive import archive_book
from artfarm.operations.prune import mib, prune_book
from artfarm.operations.restore import restore_book
from artfarm.operations.unprune import unprune_page


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prune",
        help="delete drafts no review kept and variants not picked (manifests stay)",
        description="Without --drafts/--variants both are pruned. Pages whose review is "
        "missing or stale keep every image.",
    )
    p.add_argument("book")
    p.add_argument("--drafts", action="store_true", help="draft candidates no review selected")
    p.add_argument("--variants", action="store_true", help="refine variants not picked")
    p.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    p.set_defaults(func=cmd_prune)

    p = sub.add_parser(
        "unprune",
        help="bring back a page's pruned images (render cache, else re-rendered, sha256 checked)",
    )
    p.add_argument("book")
    p.add_argument("page", help="page number or 'all'")
    p.set_defaults(func=cmd_unprune)

    p = sub.add_parser(
        "archive",
        help="write the book's gold set (+ style pack, checksum list) to OUT.tar.gz",
    )
    p.add_argument("book")
    p.add_argument("out", help="OUT.tar.gz")
    p.add_argument("--with-drafts", action="store_true", help="also every draft and variant")
    p.set_defaults(func=cmd_archive)

    p = sub.add_parser(
        "restore",
        help="verify an archive completely, then restore the book (and its style pack)",
    )
    p.add_argument("archive")
    p.add_argument("book", help="books/<id>: the book id the archive holds")
    p.add_argument("--force", action="store_true", help="replace an existing book")
    p.set_defaults(func=cmd_restore)


def cmd_prune(args: argparse.Namespace) -> int:
    both = not (args.drafts or args.variants)
    report = prune_book(
        Book.open(args.book),
        drafts=both or args.drafts,
        variants=both or args.variants,
        dry_run=args.dry_run,
    )
    for line in report.skipped:
        print(line)
    if args.dry_run:
        for path in report.files:
            print(path)
    print(report.summary(args.dry_run))
    return 0


def cmd_unprune(args: argparse.Namespace) -> int:
    book = Book.open(args.book)
    settings = load_settings()
    count = sum(unprune_page(book, page, settings) for page in pages_of(book, args.page))
    print(f"{count} image(s) back")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    count, size = archive_book(Book.open(args.book), Path(args.out), with_drafts=args.with_drafts)
    print(f"wrote {args.out}: {count} files, {mib(size)} before compression")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    count = restore_book(Path(args.archive), Path(args.book), force=args.force)
    print(f"restored {count} files into {args.book}")
    return 0
